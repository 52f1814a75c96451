using System.Net;
using Ha.Net.Vrrp.Linux.Announcements;
using Ha.Net.Vrrp.Linux.Lab;

namespace Ha.Net.Vrrp.Linux.Tests.Announcements;

public class AnnouncementFramesTests
{
    [Fact]
    public void Gratuitous_arp_is_keepalived_s_captured_frame()
    {
        var frame = new byte[AnnouncementFrames.GratuitousArpLength];
        AnnouncementFrames.WriteGratuitousArp(frame, Convert.FromHexString("6240a4f06fd4"), IPAddress.Parse("10.99.0.100"));
        Assert.Equal(TestData.Bytes(TestData.GratuitousArp), frame);
    }

    [Fact]
    public void Neighbour_advertisement_overrides_and_carries_the_mac()
    {
        var message = new byte[AnnouncementFrames.NeighbourAdvertisementLength];
        AnnouncementFrames.WriteNeighbourAdvertisement(message, Convert.FromHexString("0200c612000b"), IPAddress.Parse("2001:db8::54"), router: false);
        Assert.Equal(Convert.FromHexString(
            "88" + "00" + "0000" + "20000000" + "20010db8000000000000000000000054" + "02" + "01" + "0200c612000b"), message);
    }

    [Fact]
    public void Wrong_families_and_macs_are_refused()
    {
        var frame = new byte[64];
        Assert.Throws<ArgumentException>(() => AnnouncementFrames.WriteGratuitousArp(frame, new byte[6], IPAddress.Parse("2001:db8::1")));
        Assert.Throws<ArgumentException>(() => AnnouncementFrames.WriteGratuitousArp(frame, new byte[8], IPAddress.Parse("198.18.0.1")));
        Assert.Throws<ArgumentException>(() => AnnouncementFrames.WriteNeighbourAdvertisement(frame, new byte[6], IPAddress.Parse("198.18.0.1"), false));
    }
}

using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Wire;

/// <summary>Codec properties as FsCheck <c>[Property]</c> tests: each generated input is a parameter, the
/// generators are the arbitraries of <see cref="Arbitraries"/>, a failure prints the shrunk input and its replay seed.</summary>
[Properties(Arbitrary = [typeof(CodecPropertyTests.Arbitraries)])]
public class CodecPropertyTests
{
    public sealed record Sample(
        VrrpAdvertisement Advert, byte[] Addresses, byte[] Password, VrrpChecksumMode Mode, byte[] Source, byte[] Destination)
    {
        public override string ToString() =>
            $"{Advert} addresses={Convert.ToHexString(Addresses)} pass={Convert.ToHexString(Password)} {Mode} src={Convert.ToHexString(Source)} dst={Convert.ToHexString(Destination)}";

        public byte[] Write()
        {
            var buf = new byte[VrrpPacket.MaxLength];
            Assert.True(VrrpPacket.TryWrite(buf, Advert, Addresses, Password, Mode, Source, Destination, out var n));
            return buf[..n];
        }
    }

    private static Gen<byte[]> Bytes(int length) => Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), length);

    public static readonly Gen<Sample> Samples =
        from v3 in Gen.Elements(false, true)
        from ipv6 in v3 ? Gen.Elements(false, true) : Gen.Constant(false)
        from vrid in Gen.Choose(1, 255)
        from prio in Gen.Choose(0, 255)
        from count in Gen.Choose(v3 ? 1 : 0, 20)
        from interval in v3 ? Gen.Choose(1, 4095) : Gen.Choose(1, 255)
        from auth in v3 ? Gen.Constant(VrrpAuthenticationType.None) : Gen.Elements(VrrpAuthenticationType.None, VrrpAuthenticationType.SimplePassword)
        from addresses in Bytes(count * (ipv6 ? 16 : 4))
        from passLength in Gen.Choose(0, 8)
        from pass in Bytes(passLength)
        from mode in Gen.Elements(VrrpChecksumMode.PseudoHeader, VrrpChecksumMode.MessageOnly)
        from src in Bytes(ipv6 ? 16 : 4)
        from dst in Bytes(ipv6 ? 16 : 4)
        select new Sample(
            new VrrpAdvertisement(v3 ? VrrpVersion.V3 : VrrpVersion.V2, (byte)vrid, (byte)prio, (byte)count, (ushort)interval, ipv6, auth),
            addresses, auth == VrrpAuthenticationType.SimplePassword ? pass : [], mode, src, dst);

    /// <summary>A byte string that looks like a VRRP message (a VRRP first byte) with source and destination addresses.</summary>
    public sealed record Noise(byte[] Bytes, byte[] Source, byte[] Destination)
    {
        public override string ToString() => $"{Convert.ToHexString(Bytes)} src={Convert.ToHexString(Source)} dst={Convert.ToHexString(Destination)}";
    }

    /// <summary>A valid message and where to cut it or which bit to flip (reduced modulo its length).</summary>
    public sealed record Damage(Sample Sample, int Position)
    {
        public override string ToString() => $"{Sample} at {Position}";
    }

    /// <summary>The generators the properties draw from.</summary>
    public static class Arbitraries
    {
        public static Arbitrary<Sample> Sample() => Samples.ToArbitrary();

        public static Arbitrary<Noise> Noise() => (
            from length in Gen.Choose(0, 120)
            from bytes in Bytes(length)
            from first in Gen.Elements<byte>(0x21, 0x31, 0x22, 0x11, 0x41)
            from ipv6 in Gen.Elements(false, true)
            from src in Bytes(ipv6 ? 16 : 4)
            from dst in Bytes(ipv6 ? 16 : 4)
            select new Noise(length > 0 ? [first, .. bytes[1..]] : bytes, src, dst)).ToArbitrary();

        public static Arbitrary<Damage> Damage() => (
            from s in Samples
            from position in Gen.Choose(0, 100_000)
            select new Damage(s, position)).ToArbitrary();
    }

    [Property]
    public bool ReadAfterWrite_GivesBackEveryField(Sample s)
    {
            var bytes = s.Write();
            var reason = VrrpPacket.Read(bytes, s.Source, s.Destination, out var read);
            var expectedMode = s.Advert.Version == VrrpVersion.V2 ? VrrpChecksumMode.MessageOnly
                : s.Advert.IsIPv6 ? VrrpChecksumMode.PseudoHeader : s.Mode;
            var password = new byte[s.Advert.Version == VrrpVersion.V2 ? 8 : 0];
            s.Password.CopyTo(password, 0);
            return reason == VrrpDropReason.None
                && read with { Checksum = 0, ChecksumMode = default } == s.Advert
                && read.Length == bytes.Length
                && VrrpPacket.GetAddresses(bytes, read).SequenceEqual(s.Addresses)
                && VrrpPacket.GetAuthenticationData(bytes, read).SequenceEqual(password)
                // The message-only and pseudo-header forms can coincide by chance; otherwise the reader names the form used.
                && (read.ChecksumMode == expectedMode || s.Advert.Version == VrrpVersion.V3);
    }

    [Property]
    public bool AnyBytes_GiveADropReasonOrAnAdvert_NeverAnException(Noise t)
    {
        var reason = VrrpPacket.Read(t.Bytes, t.Source, t.Destination, out var read);
        return Enum.IsDefined(reason) && (reason != VrrpDropReason.None || read.Length <= t.Bytes.Length);
    }

    [Property]
    public bool EveryTruncation_OfAValidMessage_IsDropped(Damage t)
    {
        var bytes = t.Sample.Write();
        var truncated = bytes[..(t.Position % bytes.Length)];
        var reason = VrrpPacket.Read(truncated, t.Sample.Source, t.Sample.Destination, out _);
        return reason is VrrpDropReason.TooShort or VrrpDropReason.LengthMismatch or VrrpDropReason.CarpAdvertisement;
    }

    [Property]
    public bool AnyBitFlip_OfAValidMessage_IsDroppedOrStillConsistent(Damage t)
    {
        var bytes = t.Sample.Write();
        var bit = t.Position % (bytes.Length * 8);
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        var reason = VrrpPacket.Read(bytes, t.Sample.Source, t.Sample.Destination, out _);
        // One's complement sums catch every single-bit error; VRRPv3/IPv4 accepts two checksum forms, so a
        // flip there could in principle land on the other form: then it merely must not throw.
        return Enum.IsDefined(reason) && (reason != VrrpDropReason.None || t.Sample.Advert is { Version: VrrpVersion.V3, IsIPv6: false });
    }
}

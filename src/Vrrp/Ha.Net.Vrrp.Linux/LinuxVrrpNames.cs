namespace Ha.Net.Vrrp.Linux;

/// <summary>Names shared by the Ha.Net.Vrrp.Linux package.</summary>
public static class LinuxVrrpNames
{
    /// <summary>The IP protocol number of VRRP (RFC 3768 §5.2.4).</summary>
    public const int IpProtocolVrrp = 112;

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> this package reports on.</summary>
    public const string MeterName = "Ha.Net.Vrrp.Linux";
}

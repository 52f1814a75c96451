namespace Ha.Net.Proxy;

/// <summary>Names shared by the Ha.Net.Proxy package.</summary>
public static class ProxyNames
{
    /// <summary>The name of the meter the proxy's instruments are published under.</summary>
    public const string MeterName = "Ha.Net.Proxy";
}

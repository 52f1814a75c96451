namespace Ha.Net.Vrrp.Linux.Lab;

/// <summary>
/// The VRRP lab tests run one after another (xunit runs collections in parallel): each starts
/// several .NET and keepalived processes with sub-second timers, and on a 2-core CI machine running
/// them side by side would starve those timers into spurious failovers.
/// </summary>
[CollectionDefinition(Name)]
public sealed class VrrpLabs
{
    public const string Name = "VRRP network labs";
}

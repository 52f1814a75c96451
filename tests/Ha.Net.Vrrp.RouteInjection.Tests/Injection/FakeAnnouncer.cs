using System.Net;
using Ha.Net.Vrrp.RouteInjection;

namespace Ha.Net.Vrrp.RouteInjection.Tests.Injection;

/// <summary>Records every call in order; can be told to refuse.</summary>
internal sealed class FakeAnnouncer : IRouteAnnouncer
{
    private readonly List<string> _calls = [];

    public string Description => "fake speaker";

    public bool Refuse { get; set; }

    public bool Announced { get; private set; }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public Task AnnounceAsync(IPNetwork prefix, CancellationToken cancellationToken = default) => Record("announce " + prefix, true);

    public Task WithdrawAsync(IPNetwork prefix, CancellationToken cancellationToken = default) => Record("withdraw " + prefix, false);

    private Task Record(string call, bool announced)
    {
        lock (_calls)
        {
            _calls.Add(Refuse ? "refused " + call : call);
        }

        if (Refuse)
        {
            throw new RouteAnnouncerException("fake speaker refuses: " + call);
        }

        Announced = announced;
        return Task.CompletedTask;
    }
}

namespace Ha.Net.Vrrp.Transport;

/// <summary>
/// Implemented by a transport that wants to know the router hosting it (the in-memory network of Ha.Net.Vrrp.Testing):
/// it receives a function that completes when every input queued to that router's loop so far has been handled.
/// </summary>
internal interface IHostedTransport
{
    /// <summary>Called once by the router that owns the transport, from its constructor.</summary>
    /// <param name="flush">Completes when the router's loop has handled everything queued before the call.</param>
    /// <param name="isRunning">Whether the router was started and its loop has not ended (it reads the transport).</param>
    void OnHosted(Func<Task> flush, Func<bool> isRunning);
}

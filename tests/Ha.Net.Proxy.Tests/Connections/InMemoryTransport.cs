using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Proxy.Connections;

namespace Ha.Net.Proxy.Tests.Connections;

/// <summary>
/// An <see cref="ISessionTransport"/> with no sockets: two scripted in-memory peers (<see cref="Client"/>,
/// <see cref="Server"/>) and a record of everything the session asked for. The test plays the peers
/// (send, FIN, reset), completes the pending connect, and reads what each peer received.
/// </summary>
/// <remarks>
/// <para>It behaves like <see cref="SocketTransport"/>: before the data phase only the PROXY header reads look
/// at the client, so what the client sends (or a FIN, a reset) while the session queues or connects waits
/// "in the socket buffer" and is delivered when <see cref="StartForwarding"/> starts the data phase. In the
/// data phase bytes go to the other peer at once, counted with <see cref="ProxySession.CountBytes"/> and
/// touching <see cref="ProxySession.LastActivity"/> with the runtime clock; a FIN comes back as
/// <see cref="ProxySession.OnSourceEnded"/> after everything sent before it was delivered; a reset as
/// <see cref="ProxySession.OnFailed"/>. A header read pending when the session closes completes with
/// <see cref="SocketError.OperationAborted"/>, as a closed socket's would.</para>
/// <para>Everything runs on the caller's thread, callbacks included (a session raising an input while it
/// dispatches queues it, as with a real transport completing inline). One lock guards the state: the
/// session calls it from a pool thread when a queue answers (the backend's queue completes its waiters
/// asynchronously).</para>
/// </remarks>
internal sealed class InMemoryTransport : ISessionTransport
{
    private readonly object _gate = new();
    private readonly List<IPEndPoint> _connects = [];
    private readonly List<bool> _shutdownWrites = [];
    private readonly IPEndPoint _frontendAddress;
    private ProxySession? _session;
    private Memory<byte> _receiveBuffer;
    private bool _receivePending;
    private bool _connectPending;
    private bool _serverConnected;
    private bool _forwarding;
    private bool _closed;
    private int _abortConnects;
    private int _closes;
    private bool? _closedAbortive;
    private byte[]? _preface;

    public InMemoryTransport(IPEndPoint? clientAddress, IPEndPoint frontendAddress)
    {
        ClientAddress = clientAddress;
        _frontendAddress = frontendAddress;
        Client = new Peer(this, isClient: true);
        Server = new Peer(this, isClient: false);
    }

    /// <summary>The client: what it sends goes to the server (upstream).</summary>
    public Peer Client { get; }

    /// <summary>The server the session connected to (one connection at a time; a retry reconnects it).</summary>
    public Peer Server { get; }

    public IPEndPoint? ClientAddress { get; }

    /// <summary>When set, <see cref="GetFrontendAddress"/> throws as it does once the client's socket is gone.</summary>
    public bool ClientGone { get; set; }

    /// <summary>When set, the next <see cref="Connect"/> throws it (a socket that cannot be created: out of
    /// descriptors), then it is cleared.</summary>
    public Exception? ThrowOnConnect { get; set; }

    /// <summary>The connection attempts, in order, with the address each went to.</summary>
    public IReadOnlyList<IPEndPoint> ConnectAttempts
    {
        get { lock (_gate) { return [.. _connects]; } }
    }

    /// <summary>How many times the session cut an attempt in flight (<see cref="AbortConnect"/>).</summary>
    public int AbortConnectCalls
    {
        get { lock (_gate) { return _abortConnects; } }
    }

    /// <summary>The FINs the session passed on, in order (true: to the server).</summary>
    public IReadOnlyList<bool> ShutdownWrites
    {
        get { lock (_gate) { return [.. _shutdownWrites]; } }
    }

    /// <summary>How many times <see cref="Close"/> was called (once is right).</summary>
    public int CloseCalls
    {
        get { lock (_gate) { return _closes; } }
    }

    /// <summary><see langword="null"/> until closed, then whether the close was abortive (a reset).</summary>
    public bool? ClosedAbortive
    {
        get { lock (_gate) { return _closedAbortive; } }
    }

    /// <summary>A connection attempt is in flight (waiting for <see cref="CompleteConnect"/>).</summary>
    public bool ConnectPending
    {
        get { lock (_gate) { return _connectPending; } }
    }

    /// <summary>A PROXY header read is waiting for the client.</summary>
    public bool ReceivePending
    {
        get { lock (_gate) { return _receivePending; } }
    }

    /// <summary>The data phase started.</summary>
    public bool Forwarding
    {
        get { lock (_gate) { return _forwarding; } }
    }

    /// <summary>The preface given to <see cref="StartForwarding"/> (copied; <see langword="null"/>: none or not started).</summary>
    public byte[]? Preface
    {
        get { lock (_gate) { return _preface; } }
    }

    public string PrefaceText => Preface is { } p ? Encoding.ASCII.GetString(p) : "";

    /// <summary>Binds the session whose callbacks this transport calls (as Frontend does).</summary>
    public void Bind(ProxySession session) => _session = session;

    private ProxySession Session => _session ?? throw new InvalidOperationException("Bind the session first.");

    // ---- the test's side ----

    /// <summary>Completes the attempt in flight: connected (<see cref="SocketError.Success"/>) or failed.</summary>
    public void CompleteConnect(SocketError error = SocketError.Success)
    {
        lock (_gate)
        {
            if (!_connectPending)
            {
                throw new InvalidOperationException("No connection attempt is in flight.");
            }

            _connectPending = false;
            _serverConnected = error == SocketError.Success;
            Session.OnConnected(error);
        }
    }

    /// <summary>A transport operation throws unexpectedly (a bug, a disposed object): the session is told
    /// through <see cref="ProxySession.OnUnexpected"/>, as the real transports do.</summary>
    public void FailUnexpectedly(Exception exception)
    {
        lock (_gate)
        {
            Session.OnUnexpected(exception);
        }
    }

    // ---- ISessionTransport ----

    public IPEndPoint GetFrontendAddress()
    {
        lock (_gate)
        {
            return ClientGone ? throw new SocketException((int)SocketError.NotConnected) : _frontendAddress;
        }
    }

    public void ReceiveClient(Memory<byte> buffer)
    {
        lock (_gate)
        {
            if (_receivePending || _closed)
            {
                throw new InvalidOperationException(_closed ? "ReceiveClient after Close." : "A read is already pending.");
            }

            _receiveBuffer = buffer;
            _receivePending = true;
            TryCompleteReceive();
        }
    }

    public void Connect(IPEndPoint server)
    {
        lock (_gate)
        {
            if (_closed || _connectPending || _serverConnected)
            {
                throw new InvalidOperationException("Connect while closed, connecting or connected.");
            }

            _connects.Add(server);
            if (ThrowOnConnect is { } exception)
            {
                ThrowOnConnect = null;
                throw exception;
            }

            // A new attempt: a new server connection.
            Server.NewConnection();
            _connectPending = true;
        }
    }

    public void AbortConnect()
    {
        lock (_gate)
        {
            _abortConnects++;
            _connectPending = false;
        }
    }

    public void StartForwarding(byte[]? preface, int length)
    {
        lock (_gate)
        {
            if (_forwarding || _closed || !_serverConnected)
            {
                throw new InvalidOperationException("StartForwarding twice, after Close, or before connecting.");
            }

            _forwarding = true;
            if (preface is not null)
            {
                _preface = preface.AsSpan(0, length).ToArray();
                Server.Deliver(_preface); // not counted: the PROXY header is ours, early data was counted when read
                ArrayPool<byte>.Shared.Return(preface);
            }

            // What waited in the sockets while the session queued and connected.
            Client.Flush();
            Server.Flush();
        }
    }

    public void ShutdownWrite(bool toServer)
    {
        lock (_gate)
        {
            _shutdownWrites.Add(toServer);
            (toServer ? Server : Client).FinSeen = true;
        }
    }

    public void Close(bool abortive)
    {
        lock (_gate)
        {
            _closes++;
            if (_closed)
            {
                return;
            }

            _closed = true;
            _closedAbortive = abortive;
            _connectPending = false;
            foreach (var peer in new[] { Client, Server })
            {
                if (peer.IsClient || _serverConnected)
                {
                    if (abortive)
                    {
                        peer.ResetSeen = true;
                    }
                    else
                    {
                        peer.FinSeen = true;
                    }
                }
            }

            if (_receivePending)
            {
                // A closed socket's pending read completes with an abort.
                _receivePending = false;
                Session.OnClientReceived(new SocketResult(SocketError.OperationAborted));
            }
        }
    }

    /// <summary>Completes a pending header read with what the client sent, its FIN or its reset.</summary>
    private void TryCompleteReceive()
    {
        if (!_receivePending)
        {
            return;
        }

        var client = Client;
        if (client.Pending.Count > 0)
        {
            int count = Math.Min(client.Pending.Count, _receiveBuffer.Length);
            CollectionsMarshalCopy(client.Pending, count, _receiveBuffer.Span);
            client.Pending.RemoveRange(0, count);
            _receivePending = false;
            Session.OnClientReceived(new SocketResult(count));
        }
        else if (client.ResetSent)
        {
            _receivePending = false;
            client.ResetDelivered = true;
            Session.OnClientReceived(new SocketResult(SocketError.ConnectionReset));
        }
        else if (client.FinSent)
        {
            _receivePending = false;
            Session.OnClientReceived(new SocketResult(0));
        }
    }

    private static void CollectionsMarshalCopy(List<byte> source, int count, Span<byte> target) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(source)[..count].CopyTo(target);

    /// <summary>One end: the client or the server. Its script (<see cref="Send(string)"/>, <see cref="Close"/>,
    /// <see cref="Reset()"/>) and what it saw (<see cref="Received"/>, <see cref="FinSeen"/>, <see cref="ResetSeen"/>).</summary>
    internal sealed class Peer
    {
        private readonly InMemoryTransport _transport;
        private readonly List<byte> _received = [];

        public Peer(InMemoryTransport transport, bool isClient)
        {
            _transport = transport;
            IsClient = isClient;
        }

        public bool IsClient { get; }

        /// <summary>Bytes sent but not yet delivered (before the data phase).</summary>
        internal List<byte> Pending { get; } = [];

        internal bool FinSent { get; private set; }

        internal bool ResetSent { get; private set; }

        internal bool FinDelivered { get; private set; }

        internal bool ResetDelivered { get; set; }

        /// <summary>What this peer received, in order.</summary>
        public byte[] Received
        {
            get { lock (_transport._gate) { return [.. _received]; } }
        }

        public string ReceivedText => Encoding.ASCII.GetString(Received);

        /// <summary>This peer's read side saw a FIN (the session passed one on, or closed in order).</summary>
        public bool FinSeen { get; internal set; }

        /// <summary>This peer's connection was reset by the session (an abortive close).</summary>
        public bool ResetSeen { get; internal set; }

        public void Send(string text) => Send(Encoding.ASCII.GetBytes(text));

        /// <summary>Sends bytes: delivered at once in the data phase (or to a pending header read), else kept
        /// until it starts. Dropped once the session closed (the socket is gone).</summary>
        public void Send(byte[] data)
        {
            lock (_transport._gate)
            {
                if (FinSent || ResetSent)
                {
                    throw new InvalidOperationException("Send after this peer's FIN or reset.");
                }

                if (!IsClient && !_transport._serverConnected)
                {
                    throw new InvalidOperationException("The server is not connected.");
                }

                if (_transport._closed)
                {
                    return;
                }

                Pending.AddRange(data);
                Deliver();
            }
        }

        /// <summary>Half-closes this peer's sending side (a FIN).</summary>
        public void Close()
        {
            lock (_transport._gate)
            {
                if (FinSent || ResetSent)
                {
                    throw new InvalidOperationException("FIN after this peer's FIN or reset.");
                }

                FinSent = true;
                if (!_transport._closed)
                {
                    Deliver();
                }
            }
        }

        /// <summary>Resets this peer's connection.</summary>
        public void Reset()
        {
            lock (_transport._gate)
            {
                if (ResetSent)
                {
                    throw new InvalidOperationException("Reset twice.");
                }

                ResetSent = true;
                if (!_transport._closed)
                {
                    Deliver();
                }
            }
        }

        /// <summary>What this peer sent (bytes, FIN, reset) moves on: forwarded in the data phase, or, from the
        /// client before it, to a pending header read. Under the gate.</summary>
        private void Deliver()
        {
            if (_transport._forwarding)
            {
                Flush();
            }
            else if (IsClient)
            {
                _transport.TryCompleteReceive();
            }
        }

        /// <summary>A fresh server connection for a new attempt.</summary>
        internal void NewConnection()
        {
            Pending.Clear();
            FinSent = ResetSent = FinDelivered = ResetDelivered = false;
            FinSeen = ResetSeen = false;
            _received.Clear();
        }

        internal void Deliver(ReadOnlySpan<byte> data)
        {
            foreach (byte b in data)
            {
                _received.Add(b);
            }
        }

        /// <summary>In the data phase: moves what this peer sent to the other one, then its FIN or reset.</summary>
        internal void Flush()
        {
            var session = _transport.Session;
            if (ResetSent)
            {
                // A reset discards what was not read yet, as TCP does.
                Pending.Clear();
                if (!ResetDelivered)
                {
                    ResetDelivered = true;
                    session.OnFailed(client: IsClient, SocketError.ConnectionReset);
                }

                return;
            }

            if (Pending.Count > 0)
            {
                var data = Pending.ToArray();
                Pending.Clear();
                (IsClient ? _transport.Server : _transport.Client).Deliver(data);
                Volatile.Write(ref session.LastActivity, session.Runtime.Time.GetTimestamp());
                session.CountBytes(upstream: IsClient, data.Length);
            }

            if (FinSent && !FinDelivered)
            {
                FinDelivered = true;
                session.OnSourceEnded(upstream: IsClient);
            }
        }
    }
}

using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Ha.Net.Vrrp.Linux.Interop;

namespace Ha.Net.Vrrp.Linux.Netlink;

/// <summary>Turns one reply message of a request into a value, or skips it (returns <see langword="false"/>).</summary>
internal delegate bool NetlinkReplyParser<T>(NetlinkMessage message, out T value);

/// <summary>
/// An rtnetlink socket (<c>socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE)</c>) owned by a
/// <see cref="Socket"/>. Used either for requests — one at a time, each with a fresh sequence
/// number, answered by replies carrying that number and ended by an ack/error (NLMSG_ERROR) or, for
/// dumps, NLMSG_DONE — or, when opened with multicast groups, as a stream of kernel notifications.
/// The socket belongs to the network namespace of the thread that opened it.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class NetlinkSocket : IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;
    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private readonly byte[] _send = new byte[1024];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private uint _sequence;

    private NetlinkSocket(Socket socket)
    {
        _socket = socket;
        _sequence = (uint)Environment.TickCount;
    }

    /// <summary>
    /// Attaches a classic BPF filter that drops every datagram whose first message is of <paramref name="type"/>, so a
    /// notification socket is not woken for messages it ignores (the binder's own RTM_NEWADDRs, #18: each woke a
    /// thread-pool chain right when the VRRP thread's gratuitous ARP was due).
    /// </summary>
    public unsafe void DropMessagesOfType(ushort type)
    {
        // A BPF_ABS load reads in network byte order; nlmsg_type (offset 4) is in host order.
        var value = BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(type) : type;
        ulong* filter = stackalloc ulong[4]
        {
            Instruction(0x28, 0, 0, 4),          // ldh [4]
            Instruction(0x15, 0, 1, value),      // jeq #type, drop, accept
            Instruction(0x06, 0, 0, 0),          // ret #0 (drop)
            Instruction(0x06, 0, 0, 0xFFFFFFFF), // ret #-1 (the whole datagram)
        };
        Span<byte> program = stackalloc byte[16]; // struct sock_fprog: unsigned short len; struct sock_filter *filter
        program.Clear();
        MemoryMarshal.Write(program, (ushort)4);
        MemoryMarshal.Write(program[8..], (nint)filter);
        _socket.SetRawSocketOption(LibC.SOL_SOCKET, SO_ATTACH_FILTER, program);

        // struct sock_filter: u16 code; u8 jt; u8 jf; u32 k, in host order.
        static ulong Instruction(ushort code, byte jt, byte jf, uint k) =>
            BitConverter.IsLittleEndian
                ? code | ((ulong)jt << 16) | ((ulong)jf << 24) | ((ulong)k << 32)
                : ((ulong)code << 48) | ((ulong)jt << 40) | ((ulong)jf << 32) | k;
    }

    private const int SO_ATTACH_FILTER = 26;

    /// <summary>How long a request may wait for its reply before it fails.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The receive buffer holding the last datagram read by <see cref="ReceiveAsync"/>.</summary>
    public ReadOnlySpan<byte> LastDatagram(int length) => _receive.AsSpan(0, length);

    /// <summary>Opens a socket in the calling thread's network namespace, joined to <paramref name="groups"/> (RTNLGRP_*).</summary>
    public static unsafe NetlinkSocket Open(params int[] groups)
    {
        var socket = LibC.OpenSocket(LibC.AF_NETLINK, LibC.NETLINK_ROUTE, fd =>
        {
            var address = new sockaddr_nl { nl_family = LibC.AF_NETLINK };
            return LibC.bind(fd, &address, (uint)sizeof(sockaddr_nl));
        });
        try
        {
            // Acks carry only the request's header (not the whole request) plus the kernel's error text.
            socket.SetRawSocketOption(LibC.SOL_NETLINK, LibC.NETLINK_CAP_ACK, BitConverter.GetBytes(1));
            socket.SetRawSocketOption(LibC.SOL_NETLINK, LibC.NETLINK_EXT_ACK, BitConverter.GetBytes(1));
            foreach (var group in groups)
            {
                socket.SetRawSocketOption(LibC.SOL_NETLINK, LibC.NETLINK_ADD_MEMBERSHIP, BitConverter.GetBytes(group));
            }

            if (groups.Length > 0)
            {
                socket.ReceiveBufferSize = 1024 * 1024;
            }

            return new NetlinkSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request built by <paramref name="build"/> and collects the replies <paramref name="parse"/> accepts until the ack or NLMSG_DONE.</summary>
    /// <exception cref="NetlinkException">The kernel answered with an error.</exception>
    public async Task<List<T>> RequestAsync<T>(Func<Memory<byte>, uint, int> build, NetlinkReplyParser<T> parse, string description, CancellationToken cancellationToken)
    {
        var results = new List<T>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            var sequence = NextSequence();
            var length = build(_send, sequence);
            await _socket.SendAsync(_send.AsMemory(0, length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                int received;
                try
                {
                    received = await _socket.ReceiveAsync(_receive, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"{description}: no netlink reply within {RequestTimeout.TotalSeconds:0.#} s.");
                }

                if (Consume(received, sequence, parse, results, description))
                {
                    return results;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The blocking twin of <see cref="RequestAsync"/>, for set-up code that must stay on the calling
    /// thread (a thread inside a network namespace, a synchronous factory).
    /// </summary>
    public List<T> Request<T>(Func<Memory<byte>, uint, int> build, NetlinkReplyParser<T> parse, string description)
    {
        var results = new List<T>();
        _gate.Wait();
        try
        {
            var sequence = NextSequence();
            var length = build(_send, sequence);
            _socket.Send(_send, 0, length, SocketFlags.None);
            var deadline = Environment.TickCount64 + (long)RequestTimeout.TotalMilliseconds;
            while (true)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !_socket.Poll(TimeSpan.FromMilliseconds(left), SelectMode.SelectRead))
                {
                    throw new TimeoutException($"{description}: no netlink reply within {RequestTimeout.TotalSeconds:0.#} s.");
                }

                var received = _socket.Receive(_receive, SocketFlags.None);
                if (Consume(received, sequence, parse, results, description))
                {
                    return results;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The sequence number for a request built by the caller (<see cref="RequestAck"/>).</summary>
    public uint NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// A blocking request answered by an ack only (RTM_NEWADDR, RTM_DELADDR), built by the caller with
    /// <see cref="NextSequence"/>, without allocating: <paramref name="operation"/> and <paramref name="subject"/> are
    /// only formatted to name the request in an error.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel answered with an error.</exception>
    public void RequestAck(ReadOnlySpan<byte> request, uint sequence, string operation, object subject)
    {
        _gate.Wait();
        try
        {
            _socket.Send(request, SocketFlags.None);
            var deadline = Environment.TickCount64 + (long)RequestTimeout.TotalMilliseconds;
            while (true)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !_socket.Poll(TimeSpan.FromMilliseconds(left), SelectMode.SelectRead))
                {
                    throw new TimeoutException($"{operation} {subject}: no netlink reply within {RequestTimeout.TotalSeconds:0.#} s.");
                }

                var received = _socket.Receive(_receive.AsSpan(), SocketFlags.None);
                var reader = new NetlinkMessageReader(_receive.AsSpan(0, received));
                while (reader.TryRead(out var message))
                {
                    if (message.Sequence != sequence)
                    {
                        continue; // a late reply to an earlier request that timed out
                    }

                    if (message.Type is Rtnl.NLMSG_DONE)
                    {
                        return;
                    }

                    if (message.Type is Rtnl.NLMSG_ERROR)
                    {
                        var error = message.Payload.Length >= 4 ? MemoryMarshal.Read<int>(message.Payload) : -LibC.EAGAIN;
                        if (error == 0)
                        {
                            return;
                        }

                        throw new NetlinkException(-error, $"{operation} {subject}", ReadExtendedAck(message));
                    }
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits for the next notification datagram (sockets opened with groups); read it with <see cref="LastDatagram"/>.</summary>
    public ValueTask<int> ReceiveAsync(CancellationToken cancellationToken) => _socket.ReceiveAsync(_receive, SocketFlags.None, cancellationToken);

    public void Dispose()
    {
        _socket.Dispose();
        _gate.Dispose();
    }

    /// <summary>Handles one reply datagram; <see langword="true"/> when the request is complete.</summary>
    private bool Consume<T>(int received, uint sequence, NetlinkReplyParser<T> parse, List<T> results, string description)
    {
        var reader = new NetlinkMessageReader(_receive.AsSpan(0, received));
        while (reader.TryRead(out var message))
        {
            if (message.Sequence != sequence)
            {
                continue; // a late reply to an earlier request that timed out
            }

            switch (message.Type)
            {
                case Rtnl.NLMSG_DONE:
                    return true;
                case Rtnl.NLMSG_ERROR:
                    var error = message.Payload.Length >= 4 ? MemoryMarshal.Read<int>(message.Payload) : -LibC.EAGAIN;
                    if (error == 0)
                    {
                        return true;
                    }

                    throw new NetlinkException(-error, description, ReadExtendedAck(message));
                case Rtnl.NLMSG_NOOP:
                case Rtnl.NLMSG_OVERRUN:
                    continue;
                default:
                    if (parse(message, out var value))
                    {
                        results.Add(value);
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>NLMSGERR_ATTR_MSG from an error with NLM_F_ACK_TLVS (the request is capped, so the TLVs follow its header).</summary>
    private static string? ReadExtendedAck(NetlinkMessage message)
    {
        if ((message.Flags & Rtnl.NLM_F_ACK_TLVS) == 0)
        {
            return null;
        }

        var offset = Marshal.SizeOf<nlmsgerr>();
        if ((message.Flags & Rtnl.NLM_F_CAPPED) == 0 && message.Payload.Length >= offset)
        {
            offset = 4 + (int)MemoryMarshal.Read<nlmsghdr>(message.Payload[4..]).nlmsg_len;
        }

        if (offset > message.Payload.Length)
        {
            return null;
        }

        var attributes = new NetlinkAttributeReader(message.Payload[Rtnl.Align(offset)..]);
        while (attributes.TryRead(out var type, out var value))
        {
            if (type == Rtnl.NLMSGERR_ATTR_MSG)
            {
                return NetlinkAttributeReader.ReadString(value);
            }
        }

        return null;
    }
}

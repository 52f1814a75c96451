using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Ha.Net.Vrrp.Linux.Signals;

/// <summary>
/// The managed side of <c>libhanet_sigstop.so</c> (Signals/hanet_sigstop.c, built by gcc with this project): a signal
/// handler that, the moment SIGTERM or SIGINT arrives, sends the frames armed here — each master's priority-0 advert,
/// then an RTM_DELADDR per virtual address held — and then chains to the handler installed before it (the .NET
/// runtime's), so the application's own graceful stop runs as before (#18: .NET's own dispatch of a SIGTERM to managed
/// code takes milliseconds; keepalived's stop takes under one).
/// </summary>
/// <remarks>
/// <para>Slots: the transports arm one per master advert destination (kind <see cref="Advert"/>, sent first), the address
/// binder one per IPv4 address it added (kind <see cref="AddressRemoval"/>). A transport's priority-0 advert whose slot
/// the handler sent is not sent again; an address the handler removed is removed again by the binder (idempotent).</para>
/// <para>Nothing here runs unless <see cref="TryInstall"/> succeeded: without the library every call is a no-op.
/// Every write to the native slots is under one lock (the C side allows one writer at a time).</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal static unsafe class SignalStop
{
    /// <summary>The file name of the native helper, looked for beside the application.</summary>
    public const string LibraryName = "libhanet_sigstop.so";

    /// <summary>A priority-0 advert (sent first).</summary>
    public const int Advert = 1;

    /// <summary>An RTM_DELADDR (sent after every advert).</summary>
    public const int AddressRemoval = 2;

    private static readonly Lock Gate = new();
    private static readonly List<Action<System.Net.IPAddress>> RemovalListeners = [];
    private static delegate* unmanaged<int, int> _install;
    private static delegate* unmanaged<int, int, int, byte*, int, byte*, int, int> _arm;
    private static delegate* unmanaged<int, int> _disarm;
    private static delegate* unmanaged<int, int> _sent;
    private static delegate* unmanaged<int> _fired;
    private static bool[] _used = [];
    private static volatile bool _installed;

    /// <summary>Whether the handler is installed (frames are armed only then).</summary>
    public static bool IsInstalled => _installed;

    /// <summary>Whether the handler has run (a stop signal arrived).</summary>
    public static bool HasFired => _installed && _fired() != 0;

    /// <summary>
    /// Loads the helper from <paramref name="directory"/> and installs its handler for <paramref name="signals"/>, in
    /// front of the handlers installed now. Once per process; later calls only report.
    /// </summary>
    public static bool TryInstall(IEnumerable<int> signals, string directory, [NotNullWhen(false)] out string? reason)
    {
        lock (Gate)
        {
            if (_installed)
            {
                reason = null;
                return true;
            }

            var path = Path.Combine(directory, LibraryName);
            if (!File.Exists(path))
            {
                reason = $"{path} is missing (it is built with gcc at build time; the build had none)";
                return false;
            }

            if (!NativeLibrary.TryLoad(path, out var library))
            {
                reason = $"{path} could not be loaded";
                return false;
            }

            try
            {
                _install = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "hanet_sigstop_install");
                _arm = (delegate* unmanaged<int, int, int, byte*, int, byte*, int, int>)NativeLibrary.GetExport(library, "hanet_sigstop_arm");
                _disarm = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "hanet_sigstop_disarm");
                _sent = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "hanet_sigstop_sent");
                _fired = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "hanet_sigstop_fired");
                var slots = ((delegate* unmanaged<int>)NativeLibrary.GetExport(library, "hanet_sigstop_slots"))();
                _used = new bool[slots];
            }
            catch (EntryPointNotFoundException ex)
            {
                reason = $"{path} is not the expected library ({ex.Message})";
                return false;
            }

            foreach (var signo in signals.Distinct())
            {
                var result = _install(signo);
                if (result != 0)
                {
                    reason = $"sigaction({signo}) failed: {Marshal.GetPInvokeErrorMessage(-result)}";
                    return false;
                }
            }

            _installed = true;
            reason = null;
            return true;
        }
    }

    /// <summary>
    /// Arms <paramref name="slot"/> (a new one when -1) with <paramref name="frame"/>, to be sent on
    /// <paramref name="fd"/> to <paramref name="address"/> (empty: none). Returns the slot, or -1 when not installed or
    /// every slot is taken (the frame then goes out the managed way only).
    /// </summary>
    public static int Arm(int slot, int kind, int fd, ReadOnlySpan<byte> frame, ReadOnlySpan<byte> address)
    {
        if (!_installed)
        {
            return -1;
        }

        lock (Gate)
        {
            if (slot < 0)
            {
                slot = Array.IndexOf(_used, false);
                if (slot < 0)
                {
                    return -1;
                }

                _used[slot] = true;
            }

            fixed (byte* f = frame)
            fixed (byte* a = address)
            {
                if (_arm(slot, kind, fd, f, frame.Length, a, address.Length) != 0)
                {
                    _used[slot] = false;
                    return -1;
                }
            }

            return slot;
        }
    }

    /// <summary>Stops <paramref name="slot"/>'s frame from being sent (the slot stays taken); whether the handler had sent it.</summary>
    public static bool Disarm(int slot)
    {
        if (!_installed || slot < 0)
        {
            return false;
        }

        lock (Gate)
        {
            return _disarm(slot) != 0;
        }
    }

    /// <summary>Disarms and gives back <paramref name="slot"/>.</summary>
    public static void Release(int slot)
    {
        if (!_installed || slot < 0)
        {
            return;
        }

        lock (Gate)
        {
            _ = _disarm(slot);
            _used[slot] = false;
        }
    }

    /// <summary>Whether the handler sent <paramref name="slot"/>'s frame.</summary>
    public static bool WasSent(int slot) => _installed && slot >= 0 && _sent(slot) != 0;

    /// <summary>Registers a callback told when the binder is about to remove an address (adverts carrying it are disarmed).</summary>
    public static void OnAddressRemoving(Action<System.Net.IPAddress> listener)
    {
        lock (Gate)
        {
            RemovalListeners.Add(listener);
        }
    }

    /// <summary>Unregisters a callback of <see cref="OnAddressRemoving"/>.</summary>
    public static void RemoveListener(Action<System.Net.IPAddress> listener)
    {
        lock (Gate)
        {
            RemovalListeners.Remove(listener);
        }
    }

    /// <summary>Tells the transports that <paramref name="address"/> is being removed: their adverts carrying it are disarmed.</summary>
    public static void AddressRemoving(System.Net.IPAddress address)
    {
        if (!_installed)
        {
            return;
        }

        Action<System.Net.IPAddress>[] listeners;
        lock (Gate)
        {
            listeners = [.. RemovalListeners];
        }

        foreach (var listener in listeners)
        {
            listener(address);
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Transport;
using Ha.Net.Vrrp.Wire;

[assembly: InternalsVisibleTo("Ha.Net.Vrrp.Linux")]

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// Implemented by a seam (transport, binder, announcer) that can make its first use as fast as its hundredth:
/// look up what it needs (interface index, MAC), build what it can (netlink requests, frames) and compile the
/// methods on its path, without any effect on the system.
/// </summary>
internal interface IHotPathPreparable
{
    /// <summary>Prepares for the addresses of one instance; called once per instance at start, off the loop thread.</summary>
    void PrepareHotPath(IReadOnlyList<VirtualAddress> addresses);
}

/// <summary>
/// Implemented by a transport that can receive on a thread of its own (a blocking receive): the host then reads
/// adverts on a dedicated thread instead of through thread-pool continuations, so a busy pool does not delay them.
/// </summary>
internal interface ISynchronousVrrpReceiver
{
    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the next VRRP message; <see langword="null"/> when none came.
    /// </summary>
    VrrpReceiveResult? Receive(Span<byte> buffer, TimeSpan timeout);
}

/// <summary>
/// Compiles the methods between a VRRP decision and its syscalls before the first transition needs them.
/// </summary>
/// <remarks>
/// Measured on the failover benchmark before this existed: the first MASTER transition of a process took 80 ms from
/// "Entering MASTER STATE" to the last gratuitous ARP, the second 5 ms; the first SIGTERM 11 ms from signal to VIP
/// removed. The difference is the JIT compiling each method the first time it runs (Ha.Net assemblies are not
/// ReadyToRun when run with <c>dotnet</c>). A Native AOT build needs none of this: there it does nothing.
/// </remarks>
internal static class HotPath
{
    private static int _corePrepared;

    /// <summary>Prepares the engine's own path once per process and each seam that can, on a background thread.</summary>
    public static void Prepare(VirtualRouterSettings settings, IVrrpTransport transport, IVirtualAddressBinder binder, IAddressAnnouncer announcer)
    {
        var addresses = settings.AllAddresses;
        var thread = new Thread(
            [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "PrepareType keeps every member of these types, nested enums' inherited Enum.GetValues(Type) included, but under Native AOT (no dynamic code) it returns before touching any of them.")]
            () =>
        {
            if (Interlocked.Exchange(ref _corePrepared, 1) == 0)
            {
                PrepareType(typeof(VirtualRouterHost));
                PrepareType(typeof(VirtualRouterMachine));
                PrepareType(typeof(VrrpPacket));
                PrepareType(typeof(InternetChecksum));
                PrepareType(typeof(AdvertisementFilter));
                PrepareType(typeof(ElectionTiming));
                PrepareType(typeof(VrrpAction));
                PrepareType(typeof(VrrpInput));
            }

            foreach (var seam in new object[] { transport, binder, announcer })
            {
                if (seam is IHotPathPreparable preparable)
                {
                    try
                    {
                        preparable.PrepareHotPath(addresses);
                    }
#pragma warning disable CA1031 // Preparing is an optimisation: a seam that cannot prepare works unprepared.
                    catch (Exception)
#pragma warning restore CA1031
                    {
                    }
                }
            }
        })
        { IsBackground = true, Name = "vrrp prepare" };
        thread.Start();
    }

    /// <summary>
    /// JIT-compiles every non-generic method and constructor of <paramref name="type"/> and of its nested types, and
    /// runs the static constructors of nested <c>Log</c> classes (the <c>[LoggerMessage]</c> delegates).
    /// </summary>
    public static void PrepareType([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] Type type)
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled)
        {
            return;
        }

        PrepareMembers(type);
        foreach (var nested in type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
        {
            PrepareNested(nested);
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Nested types of a type kept whole (All); a member trimmed away is simply not prepared.")]
    private static void PrepareNested(Type nested) => PrepareMembers(nested);

    private static void PrepareMembers([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] Type type)
    {
        if (type.ContainsGenericParameters || type.IsInterface)
        {
            return;
        }

        if (type.Name == "Log")
        {
            TryRun(() => RuntimeHelpers.RunClassConstructor(type.TypeHandle));
        }

        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var method in type.GetMethods(all))
        {
            if (!method.IsAbstract && !method.ContainsGenericParameters && (method.Attributes & MethodAttributes.PinvokeImpl) == 0)
            {
                TryRun(() => RuntimeHelpers.PrepareMethod(method.MethodHandle));
            }
        }

        foreach (var constructor in type.GetConstructors(all))
        {
            if (!constructor.IsStatic)
            {
                TryRun(() => RuntimeHelpers.PrepareMethod(constructor.MethodHandle));
            }
        }
    }

    private static void TryRun(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // A method that cannot be prepared is compiled on first use, as without this.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}

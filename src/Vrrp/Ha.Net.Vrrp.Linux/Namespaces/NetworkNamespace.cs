using System.Runtime.Versioning;
using System.Runtime.InteropServices;
using Ha.Net.Vrrp.Linux.Interop;
using Microsoft.Win32.SafeHandles;

namespace Ha.Net.Vrrp.Linux.Namespaces;

/// <summary>
/// Runs code inside a named network namespace (<c>/run/netns/NAME</c>, as <c>ip netns add</c> makes
/// them) on a dedicated thread that entered it with <c>setns(CLONE_NEWNET)</c>. Sockets created
/// there (raw, netlink, packet) stay in that namespace for their whole life, whatever thread uses
/// them later; the thread itself ends when the code returns, so no pooled thread is left in it.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class NetworkNamespace
{
    public const string RunDirectory = "/run/netns";

    public static Task<T> RunAsync<T>(string name, Func<T> action)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var path = name.Contains('/', StringComparison.Ordinal) ? name : Path.Combine(RunDirectory, name);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
                Enter(handle, path);
                completion.SetResult(action());
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + name,
        };
        thread.Start();
        return completion.Task;
    }

    private static void Enter(SafeFileHandle handle, string path)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (LibC.setns((int)handle.DangerousGetHandle(), LibC.CLONE_NEWNET) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"setns({path}, CLONE_NEWNET) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}

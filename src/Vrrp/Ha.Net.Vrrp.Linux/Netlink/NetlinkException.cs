using System.Runtime.InteropServices;

namespace Ha.Net.Vrrp.Linux.Netlink;

/// <summary>The kernel refused a netlink request: the errno, what was asked, and the kernel's extended-ack text when it gave one.</summary>
internal sealed class NetlinkException : IOException
{
    public NetlinkException(int errno, string request, string? kernelMessage)
        : base(Describe(errno, request, kernelMessage))
    {
        Errno = errno;
        HResult = errno;
    }

    /// <summary>The positive errno (17 EEXIST, 99 EADDRNOTAVAIL, 1 EPERM, ...).</summary>
    public int Errno { get; }

    private static string Describe(int errno, string request, string? kernelMessage)
    {
        var text = Marshal.GetPInvokeErrorMessage(errno);
        return kernelMessage is null
            ? $"{request}: {text} (errno {errno})"
            : $"{request}: {text} (errno {errno}): {kernelMessage}";
    }
}

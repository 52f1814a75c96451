using System.Runtime.InteropServices;
using System.Text;
using Ha.Net.ConfigKit;

namespace Ha.Net.Vrrp.Keepalived;

/// <summary>
/// Opens configuration files as keepalived 2.2.7 does (parser.c <c>check_glob_file</c>: only a regular file with no
/// execute bit is read; anything else, /dev/zero, a FIFO, a directory, a script, is skipped) and never reads more than
/// <see cref="MaxBytes"/> of one file.
/// </summary>
internal static class KeepalivedFile
{
    /// <summary>The largest configuration file (main or included) read: 16 MiB, far above any real keepalived.conf.</summary>
    public const long MaxBytes = ConfigText.MaxFileBytes;

    public const string MaxBytesText = ConfigText.MaxFileBytesText;

    public enum Kind
    {
        Missing,
        Regular,
        Directory,

        /// <summary>A character or block device, a FIFO, a socket.</summary>
        Other,
    }

    /// <summary>What stat(2) says about a path (symbolic links followed, as keepalived's stat()).</summary>
    public readonly record struct Status(Kind Kind, bool Executable, long Size)
    {
        /// <summary>keepalived's test: <c>S_ISREG(st_mode) &amp;&amp; !(st_mode &amp; (S_IXUSR | S_IXGRP | S_IXOTH))</c>.</summary>
        public bool IsRegularNonExecutable => Kind == Kind.Regular && !Executable;
    }

    public static Status Probe(string path)
    {
        if (OperatingSystem.IsLinux() && TryStatx(path, out var status))
        {
            return status;
        }

        // Elsewhere .NET cannot tell a device or a FIFO from a file; directories and sizes it knows.
        if (Directory.Exists(path))
        {
            return new Status(Kind.Directory, false, 0);
        }

        if (!File.Exists(path))
        {
            return new Status(Kind.Missing, false, 0);
        }

        var executable = !OperatingSystem.IsWindows()
                         && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        return new Status(Kind.Regular, executable, new FileInfo(path).Length);
    }

    /// <summary>Reads a regular file of at most <see cref="MaxBytes"/>; <see langword="null"/> when it is bigger (it may have
    /// grown since <see cref="Probe"/>). The bounded read is the readers' shared one (<see cref="ConfigText.ReadBounded"/>).</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public static string? ReadBounded(string path) => ConfigText.ReadBounded(path);

    // ------------------------------------------------------------------ statx(2): its layout is the same on every Linux architecture

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxSize = 0x200;
    private const int StatxModeOffset = 0x1C;
    private const int StatxSizeOffset = 0x28;
    private const int SIfMt = 0xF000;
    private const int SIfReg = 0x8000;
    private const int SIfDir = 0x4000;
    private const int AnyExecute = 0x49; // S_IXUSR | S_IXGRP | S_IXOTH
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    private static bool _statxMissing;

    private static bool TryStatx(string path, out Status status)
    {
        status = default;
        if (_statxMissing)
        {
            return false;
        }

        var buffer = new byte[256];
        int result;
        try
        {
            result = NativeMethods.Statx(AtFdCwd, path, 0, StatxType | StatxMode | StatxSize, buffer);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _statxMissing = true;
            return false;
        }

        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR)
            {
                status = new Status(Kind.Missing, false, 0);
                return true;
            }

            return false; // EACCES and others: let the managed checks and the open report it
        }

        // statx fields are in the machine's byte order.
        int mode = MemoryMarshal.Read<ushort>(buffer.AsSpan(StatxModeOffset));
        var size = (long)MemoryMarshal.Read<ulong>(buffer.AsSpan(StatxSizeOffset));
        var kind = (mode & SIfMt) switch
        {
            SIfReg => Kind.Regular,
            SIfDir => Kind.Directory,
            _ => Kind.Other,
        };
        status = new Status(kind, (mode & AnyExecute) != 0, size);
        return true;
    }

    private static class NativeMethods
    {
        /// <summary>statx(2) with the path as NUL-terminated UTF-8 and the 256-byte <c>struct statx</c> as bytes.</summary>
        public static int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer)
        {
            var utf8 = new byte[Encoding.UTF8.GetByteCount(path) + 1];
            Encoding.UTF8.GetBytes(path, utf8);
            return StatxImport(dirfd, utf8, flags, mask, buffer);
        }

        // Ha.Net.Vrrp is built without unsafe code, which LibraryImport's generated marshalling needs; byte arrays
        // are blittable, so the runtime pins them and nothing is converted.
#pragma warning disable SYSLIB1054
        [DllImport("libc", EntryPoint = "statx", SetLastError = true, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int StatxImport(int dirfd, byte[] path, int flags, uint mask, [Out] byte[] buffer);
#pragma warning restore SYSLIB1054
    }
}

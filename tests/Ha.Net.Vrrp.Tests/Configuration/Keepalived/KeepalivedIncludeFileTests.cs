using System.Diagnostics;
using Ha.Net.Testing.Files;
using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>
/// What the reader opens (#15 item 2): only regular, non-executable files, as keepalived 2.2.7's check_glob_file(),
/// and never more than <see cref="MaxBytes"/> of one file.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeepalivedIncludeFileTests
{
    private const int MaxBytes = 16 * 1024 * 1024;

    private const string Minimal = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  198.18.0.10\n }\n}\n";

    /// <summary>Loads on another thread so a reader that blocks (a FIFO) or reads forever (/dev/zero) fails the test instead of hanging it.</summary>
    private static KeepalivedConfigResult LoadBounded(string path)
    {
        var load = Task.Run(() => KeepalivedConfigReader.Load(path));
        Assert.True(load.Wait(TimeSpan.FromSeconds(20)), $"KeepalivedConfigReader.Load({path}) did not return within 20 s");
        return load.Result;
    }

    [Fact]
    public void IncludeOfDevZero_IsSkipped_WithKeepalivedsMessage()
    {
        using var dir = new TempDir();
        var main = dir.Write("keepalived.conf", "include /dev/zero\n" + Minimal);

        var result = LoadBounded(main);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(("include", 1), (warning.Directive, warning.Location.Line));
        Assert.Equal("Configuration file '/dev/zero' is not a regular non-executable file - skipping", warning.Message);
        Assert.DoesNotContain("/dev/zero", result.Config!.Files);
    }

    [Fact]
    public void IncludeGlob_SkipsFifosAndExecutables_AndReadsTheRegularFiles()
    {
        using var dir = new TempDir();
        dir.Write("conf.d/10-vi1.conf", Minimal);
        var executable = dir.Write("conf.d/20-exec.conf", "vrrp_instance VI_X {\n}\n");
        File.SetUnixFileMode(executable, (UnixFileMode)0b111_101_101);
        var fifo = Path.Combine(dir.Path, "conf.d", "30-fifo.conf");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var main = dir.Write("keepalived.conf", "include conf.d/*.conf\n");

        var result = LoadBounded(main);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("VI_1", Assert.Single(result.Config!.Instances).Name);
        Assert.Equal(
            [$"Configuration file '{executable}' is not a regular non-executable file - skipping", $"Configuration file '{fifo}' is not a regular non-executable file - skipping"],
            result.Warnings.Select(w => w.Message));
        Assert.All(result.Warnings, w => Assert.Equal((main, 1), (w.Location.File, w.Location.Line)));
    }

    [Fact]
    public void MainFileThatIsNotRegular_IsAnError_NotAnEndlessRead()
    {
        var result = LoadBounded("/dev/zero");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("/dev/zero", 0), (error.Location.File, error.Location.Line));
        Assert.Contains("not a regular non-executable file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileBiggerThan16MiB_IsAnErrorNamingIt_AsMainFileOrInclude()
    {
        using var dir = new TempDir();
        var big = Path.Combine(dir.Path, "big.conf");
        using (var stream = File.Create(big))
        {
            stream.SetLength(MaxBytes + 1L); // sparse: no 16 MiB written
        }

        var direct = LoadBounded(big);
        var error = Assert.Single(direct.Errors);
        Assert.Equal((big, 0), (error.Location.File, error.Location.Line));
        Assert.Contains("16 MiB", error.Message, StringComparison.Ordinal);

        var main = dir.Write("keepalived.conf", Minimal + "include big.conf\n");
        var included = LoadBounded(main);
        var includeError = Assert.Single(included.Errors);
        Assert.Equal((main, 8), (includeError.Location.File, includeError.Location.Line));
        Assert.Contains(big, includeError.Message, StringComparison.Ordinal);
        Assert.Contains("16 MiB", includeError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileOfExactly16MiB_IsRead()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "keepalived.conf");
        var text = Minimal + new string('#', MaxBytes - Minimal.Length - 1) + "\n";
        File.WriteAllText(path, text);

        var result = LoadBounded(path);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("VI_1", Assert.Single(result.Config!.Instances).Name);
    }
}

using System.Runtime.Versioning;
using Ha.Net.Samples.Lab;

namespace Ha.Net.Testing.Environment;

/// <summary>Child processes under test started inside a lab's namespace: output collected, killed at the lab's teardown.</summary>
[SupportedOSPlatform("linux")]
public static class NetnsLabProcesses
{
    /// <summary>Starts <c>FILE ARGS</c> (ARGS split like a command line) inside <paramref name="ns"/> under <c>ip netns exec</c>.</summary>
    public static ChildProcess Start(this NetnsLab lab, string ns, string file, string args, string? name = null) =>
        lab.Own(ChildProcess.Start("ip", $"netns exec {ns} {file} {args}", name ?? Path.GetFileName(file)));

    /// <summary>Starts <paramref name="file"/> inside <paramref name="ns"/>, each of <paramref name="args"/> one argument.</summary>
    public static ChildProcess Start(this NetnsLab lab, string ns, string file, IEnumerable<string> args, string? name = null) =>
        lab.Own(ChildProcess.Start("ip", NetnsLab.ExecArguments(ns, file, args), name ?? Path.GetFileName(file)));
}

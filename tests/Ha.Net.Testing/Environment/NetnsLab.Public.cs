namespace Ha.Net.Samples.Lab;

/// <summary>
/// The shared network-namespace lab (samples/Lab/NetnsLab.cs, compiled in by a link: see Ha.Net.Testing.csproj),
/// made public here for every test project. The demo compiles the same file as an internal type.
/// </summary>
public sealed partial class NetnsLab;

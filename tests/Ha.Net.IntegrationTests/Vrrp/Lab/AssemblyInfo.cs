// The network-namespace lab shared with the demo (samples/Lab, public in Ha.Net.Testing); this folder is also
// compiled into Ha.Net.Vrrp.Linux.Tests, so the using is global here rather than in each test file.
global using Ha.Net.Samples.Lab;
using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]

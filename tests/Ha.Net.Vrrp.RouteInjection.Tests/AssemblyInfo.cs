// The daemon under test and the test bed are Linux-only (network namespaces, FRR, nftables).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

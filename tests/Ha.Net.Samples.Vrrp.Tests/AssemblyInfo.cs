using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]

// The namespace tests own the CPU and interfaces while they run: no parallel collections.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Ha.Net.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

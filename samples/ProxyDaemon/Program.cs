using Ha.Net.Samples.ProxyDaemon;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

return await ProxyDaemon.MainAsync(args, Console.Out, Console.Error);

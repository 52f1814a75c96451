using System.Runtime.Versioning;

// Raw sockets, rtnetlink and AF_PACKET: this package only runs on Linux.
[assembly: SupportedOSPlatform("linux")]

// Raw sockets, rtnetlink and AF_PACKET: this package only runs on Linux. The types that call the kernel are marked
// [SupportedOSPlatform("linux")] one by one; the documented entry point (AddLinuxVrrp) is not, so a portable app calls it
// without CA1416 and gets PlatformNotSupportedException at once on another OS. LinuxVrrpBackend's factories stay Linux-only.

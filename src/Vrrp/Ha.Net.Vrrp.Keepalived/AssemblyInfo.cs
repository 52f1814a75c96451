using System.Runtime.CompilerServices;

// hanet-vrrpd (samples/VrrpDaemon) exits from -t with keepalived's code, which it reads from the internal
// KeepalivedDiagnostic.KeepalivedCheck of each finding (not public API: it mirrors keepalived 2.2.7's config_err_t).
[assembly: InternalsVisibleTo("hanet-vrrpd")]

// hanet-vrrpd (samples/VrrpDaemon) composes this package through its public API only: -t exits with keepalived's code
// from KeepalivedConfigResult.KeepalivedCheckExitCode and KeepalivedMapping.KeepalivedCheckExitCode; each finding's
// class (KeepalivedDiagnostic.KeepalivedCheck, mirroring keepalived 2.2.7's config_err_t) stays internal.

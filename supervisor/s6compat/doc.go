// Package s6compat is hermes-init's s6 surface: what the unchanged Hermes CLI
// expects of s6-overlay (NousResearch/hermes-agent's
// hermes_cli/service_manager.py runs these programs and detects s6 by
// /proc/1/comm and /run/s6/basedir). It owns
//
//   - the s6 programs hermes-init answers as when argv[0] names one
//     (RunTool): s6-svc, s6-svstat, s6-svwait and s6-svscanctl, which talk to
//     the running hermes-init over its control socket; s6-setuidgid and
//     with-contenv, which change their own process and exec; s6-log, the
//     logger of a slot's log/run;
//   - the scan directory: the gateway slots' service directories written at
//     boot (WriteSlotDir), the pointer that tells the programs which
//     hermes-init serves it (PrepareScanDir), and the scanner that reads the
//     service directories found there (ReadScanDir);
//   - the rest of the disguise: the container environment's envdir
//     (WriteEnvdir), /proc/1/comm and the basedir (Pose).
//
// How a program finds the hermes-init that serves a directory, every option
// mapped to what hermes-init does, the exit statuses (s6's) and what is left
// out and why are documented once, in docs/s6.md at the repository's root.
package s6compat

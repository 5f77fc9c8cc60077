// Package s6compat is hermes-init's s6 surface: what the unchanged Hermes CLI
// expects of s6-overlay (hermes-contract.md §1 "How a process knows where it
// runs", §7). It owns
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
// # How a program finds hermes-init
//
// s6-svc DIR acts on the service named after DIR's last element, supervised
// by the hermes-init whose socket the symlink
// <scandir>/.s6-svscan/hermes-init.sock (scandir being DIR's parent) points
// to; s6-svscanctl SCANDIR uses SCANDIR's own. A directory without one is not
// supervised: the programs answer as s6 does when no s6-supervise listens
// (s6-svc and s6-svscanctl exit 100, s6-svstat 1, s6-svwait 111).
//
// # Exit statuses
//
// Those of s6: 0 success, 1 (s6-svstat) not supervised, 99 timed out, 100
// wrong usage or nothing supervising the directory, 102 (s6-svwait) the
// supervisor went away, 111 a system call or the control request failed;
// s6-svwait -u exits with the number of services that failed for good.
// README.md ("s6 compatibility") maps every option to what hermes-init does and lists what is
// left out.
package s6compat

// Package cgroup places each supervised service in a cgroup of its own and
// answers the questions the supervisor asks of it: who is still in there, kill
// them all, is it empty, was it OOM-killed.
//
// Setup detects once which rung of the ladder this machine offers and says
// why: ModeV2 (a writable cgroup v2 hierarchy at /sys/fs/cgroup), ModeHybrid
// (v1 controllers plus v2 at /sys/fs/cgroup/unified), ModeV1 (writable v1
// hierarchies only) or ModeNone (no writable cgroup: a service is its process
// group, the processes carrying its TagVar environment tag and the
// descendants of its main process). What each mode does, where the cgroups
// go, what it never touches, the kernel rules it relies on and what Docker
// allows are documented once, in docs/cgroups.md at the repository's root.
//
// # Why not github.com/containerd/cgroups/v3
//
// The package does its own file operations over golang.org/x/sys rather
// than use containerd's cgroups library, for two reasons, measured on
// v3.1.3 with go1.26.8 (linux/amd64) by linking its cgroup2 package into a
// throwaway copy of hermes-init that calls cgroup2.Load once, built as
// scripts/build does (CGO_ENABLED=0, stripped):
//
//   - Weight. The binary grows by 4.1 MB, from 5.2 to 9.3 MB, nearly
//     doubling (in a program that does nothing else, by 5.0 MB, from 1.6
//     to 6.6 MB); the resident memory of a running hermes-init by 2.0 MB
//     (5.3 to 7.3 MB, nearly all of it the bigger binary's pages); and 48
//     more package inits run at every start (38 to 86: cilium/ebpf for the
//     device filter, godbus and go-systemd for the systemd driver,
//     protobuf for the statistics, logrus through containerd/log),
//     dependencies hermes-init never uses, for a PID 1 that should start in
//     milliseconds and stay small in every container.
//   - Kill. Manager.Kill writes cgroup.kill, as Group.Kill does. When that
//     write fails (no cgroup.kill before Linux 5.14, or a read-only mount,
//     or EPERM), it falls back to freezing, SIGKILLing each member and
//     thawing, and then, unless the calling process is a child subreaper,
//     calls Wait on every pid it killed: that reaps children behind the
//     back of the supervisor's one reaper, whose exit statuses are then
//     lost. hermes-init makes itself a subreaper first, so the trap stays
//     shut, but only by an ordering rule the library does not state; the
//     fallback also logs through logrus, not our logger, and its freeze
//     returns as soon as cgroup.freeze echoes the request, before the
//     kernel reports the cgroup frozen in cgroup.events.
//
// Everything the supervisor needs from a cgroup (mkdir, cgroup.procs,
// subtree_control, cgroup.kill, cgroup.events, memory.events, the v1
// freezer) is a file read or write, done here with errors that name the
// file, and tested against the fixtures of testdata/ladder.
package cgroup

// Package cgroup places each supervised service in a cgroup of its own and
// answers the questions the supervisor asks of it: who is still in there, kill
// them all, is it empty, was it OOM-killed.
//
// Setup detects once which rung of the ladder this machine offers and says why
// (architecture.md, "Cgroup ladder"):
//
//  1. ModeV2: a writable cgroup v2 hierarchy mounted at /sys/fs/cgroup. As PID 1
//     at the root of its cgroup namespace (a Docker or Podman container) hermes-init
//     first moves every process of the root into /init, retrying while
//     `docker exec` adds more, so that the root may delegate controllers
//     ("no internal processes", cgroup-v2.rst §2-4-3); services then live in
//     /<name>. Kill is cgroup.kill (Linux 5.14), emptiness is cgroup.events.
//  2. ModeHybrid: v1 controllers plus a v2 hierarchy at /sys/fs/cgroup/unified.
//     The v2 tree gives membership and cgroup.kill; limits come from the v1
//     memory and pids hierarchies when those are writable.
//  3. ModeV1: writable v1 hierarchies only. Membership comes from the pids or
//     freezer hierarchy; kill is freeze, SIGKILL every member, thaw.
//  4. ModeNone: no writable cgroup (Docker's default read-only mount). A service
//     is its process group, the processes carrying its HERMES_INIT_SERVICE
//     environment tag, and the descendants of its main process.
//
// Outside a container (or when not PID 1) hermes-init works in a subtree it
// creates, <own cgroup>/hermes-init.<pid> or --cgroup-root, and removes what it
// created when it exits. It never writes to cgroups it did not create, except
// the namespace root's cgroup.procs and cgroup.subtree_control in container
// mode.
package cgroup

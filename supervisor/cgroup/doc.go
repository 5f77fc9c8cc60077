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
package cgroup

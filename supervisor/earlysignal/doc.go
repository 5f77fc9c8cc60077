// Package earlysignal makes hermes-init catch signals from its first instruction.
//
// A PID 1 only receives the signals it has a handler for; anything that arrives
// while the disposition is SIG_DFL is discarded by the kernel (pid_namespaces(7)).
// A Go program has two further hazards: the runtime installs its own handlers
// a fraction of a millisecond after exec, and until os/signal.Notify is called
// for SIGTERM, SIGINT or SIGHUP the runtime "dies from the signal", which for a
// PID 1 ends in exit(2) (runtime.dieFromSignal). What that costs a container
// and what hermes-init promises instead: docs/signals.md at the repository's
// root ("Signals from the first instruction").
//
// The package closes both windows with a small assembly entry point, linked as
// the ELF entry with -ldflags=-E=<EntrySymbol> (see scripts/build):
//
//   - before the Go runtime starts, it records the signal mask and every signal's
//     disposition (so children can inherit the ignored set, which the runtime
//     would otherwise overwrite) and installs a recording handler for the
//     asynchronous signals that are at SIG_DFL;
//   - a signal that reaches that handler before the runtime takes over is kept
//     in a bitmask and re-raised once Notify is in place (nothing is lost);
//   - a SIGTERM, SIGINT or SIGHUP that lands after the runtime's handler is in
//     place but before Notify is forwarded by the runtime to the recording
//     handler while it dies; there the handler ends PID 1 with 128+N, the
//     status a default action would give, instead of the runtime's 2. No
//     service has started at that point, so nothing is left behind.
//
// Its init function then registers C for every signal hermes-init handles, stop
// signals first. A binary linked without the entry point still works; it only
// loses those guarantees (StubActive reports which).
//
// The entry point exists for amd64 (entry_amd64.s) and arm64 (entry_arm64.s),
// the two architectures the image is built for; both do the same steps in the
// same order and share the Go side (stub.go). Elsewhere EntrySymbol is empty
// and scripts/build links without -E. The arm64 stub differs where the ABI
// does: its handler is installed with SA_ONSTACK, because Go's arm64 code keeps
// the caller's frame pointer at -8(RSP), where the kernel would write its
// frame record if the handler ran on the Go stack; it needs no restorer, as
// the kernel returns through the vDSO; and its handler forms symbol addresses
// in scratch registers so that it never touches R27, which the assembler
// would otherwise use and which a C-ABI callee must preserve.
//
// The arm64 stub is tested on amd64 machines under qemu-user (scripts/test).
// There the guarantee starts at the guest's first instruction too, but qemu
// itself catches SIGTERM from its own start: one that arrives before the
// stub has installed its handler finds the guest's SIG_DFL, and qemu, trying
// to die by it, waits forever as a PID 1. On hardware the kernel discards
// such a signal instead, as for every init.
package earlysignal

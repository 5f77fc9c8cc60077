// Package earlysignal makes hermes-init catch signals from its first instruction.
//
// A PID 1 only receives the signals it has a handler for; anything that arrives
// while the disposition is SIG_DFL is discarded by the kernel (pid_namespaces(7)).
// A Go program has two further hazards: the runtime installs its own handlers
// a fraction of a millisecond after exec, and until os/signal.Notify is called
// for SIGTERM, SIGINT or SIGHUP the runtime "dies from the signal", which for a
// PID 1 ends in exit(2) (runtime.dieFromSignal). On a 2-core VM we measured the
// first package init at 1.35 ms (p50) after exec, so a `docker stop` a
// millisecond after `docker start` would kill a naive Go init with status 2.
//
// The package closes both windows with a small assembly entry point, linked as
// the ELF entry with -ldflags=-E=<EntrySymbol> (see the Makefile):
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
package earlysignal

//go:build amd64 || arm64

package earlysignal

// EntrySymbol is the linker symbol to pass as -ldflags=-E=<EntrySymbol>.
const EntrySymbol = "github.com/hermes-init/hermes-init/supervisor/earlysignal.entry"

// Set by entry before the Go runtime starts. They live in the data segments the
// kernel maps at exec, so they need no Go initialisation.
var (
	stubRan      uint64
	entrySP      uint64
	maskAtEntry  uint64
	dispAtEntry  [65]uint64
	earlyPending uint64
)

// catchMask selects the signals the entry stub takes over while they are at
// SIG_DFL: the asynchronous signals an operator or runtime sends to an init.
// Synchronous faults, SIGCHLD, SIGPIPE, SIGURG (Go preemption), SIGPROF and
// the libc-reserved real-time signals 32-34 are left alone.
var catchMask uint64 = catchSignals // a constant, so it is laid out statically

const catchSignals = 1<<(1-1) | 1<<(2-1) | 1<<(3-1) | 1<<(6-1) | 1<<(10-1) | 1<<(12-1) |
	1<<(14-1) | 1<<(15-1) | 1<<(18-1) | 1<<(20-1) | 1<<(21-1) | 1<<(22-1) | 1<<(24-1) |
	1<<(25-1) | 1<<(26-1) | 1<<(28-1) | 1<<(29-1) | 1<<(30-1) |
	(1<<64-1)&^(1<<34-1) // real-time signals 35..64

// Implemented in entry_$GOARCH.s; referenced so the linker keeps them.
func entry()
func earlyHandler()

var _ = []func(){entry, earlyHandler}

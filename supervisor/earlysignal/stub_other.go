//go:build !amd64 && !arm64

package earlysignal

// EntrySymbol is empty where no entry stub exists: link without -E.
const EntrySymbol = ""

var (
	stubRan      uint64
	maskAtEntry  uint64
	dispAtEntry  [65]uint64
	earlyPending uint64
)

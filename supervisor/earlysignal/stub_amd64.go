package earlysignal

// earlyRestorer is the sa_restorer of the stub's handler: the x86-64 kernel
// needs one to return from a handler (arm64 uses its vDSO's). Implemented in
// entry_amd64.s.
func earlyRestorer()

var _ = earlyRestorer

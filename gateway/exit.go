package gateway

// The gateway's exit codes (hermes-agent's gateway/restart.py, and the slot's
// finish script in hermes_cli/service_manager.py).
const (
	ExitStop        = 0  // intentional: planned stop, SIGINT, takeover, clean exit
	ExitFailure     = 1  // failure or unexpected signal
	ExitRestart     = 75 // EX_TEMPFAIL: "restart me" (in-band /restart, SIGUSR1, loop watchdog)
	ExitFatalConfig = 78 // EX_CONFIG: fatal configuration, restarting cannot help
)

// Verdict is what a supervisor does after a gateway exits.
type Verdict int

// The verdicts of ClassifyExit.
const (
	// VerdictStop: stay down; an explicit start brings it back.
	VerdictStop Verdict = iota
	// VerdictFail: stay down and report the slot failed.
	VerdictFail
	// VerdictRestartNow: the gateway asked to be restarted.
	VerdictRestartNow
	// VerdictRestartBackoff: restart after the backoff for repeated fast exits.
	VerdictRestartBackoff
)

// String names the verdict for logs and status output.
func (v Verdict) String() string {
	switch v {
	case VerdictStop:
		return "stop"
	case VerdictFail:
		return "fail"
	case VerdictRestartNow:
		return "restart"
	case VerdictRestartBackoff:
		return "restart-backoff"
	}
	return "unknown"
}

// Restarts reports whether the verdict starts the gateway again.
func (v Verdict) Restarts() bool {
	return v == VerdictRestartNow || v == VerdictRestartBackoff
}

// ClassifyExit maps how a gateway ended to a verdict:
//
//	exit 0           stop     restarting a clean exit caused a reconnect storm (#76435)
//	exit 78          fail     a fatal config error crash-looped and filled /tmp (#51228)
//	exit 75          restart  the gateway asked for it (in-band restart)
//	other, signalled backoff  failure or unexpected signal; bounded restarts (#89034)
//
// A death by signal is never a stop, whatever code accompanies it: SIGKILL
// from the OOM killer must bring the gateway back.
func ClassifyExit(code int, signaled bool) Verdict {
	switch {
	case signaled:
		return VerdictRestartBackoff
	case code == ExitStop:
		return VerdictStop
	case code == ExitFatalConfig:
		return VerdictFail
	case code == ExitRestart:
		return VerdictRestartNow
	}
	return VerdictRestartBackoff
}

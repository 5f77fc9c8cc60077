package supervisor

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
)

// Action is what hermes-init does with a signal it receives.
type Action int

// The actions; docs/signals.md has the table.
const (
	// ActReap: SIGCHLD collects exited children; never forwarded.
	ActReap Action = iota
	// ActStop: SIGTERM, SIGINT and SIGRTMIN+3 (Podman's --systemd stop signal)
	// start the stop sequence: forward, wait the grace, kill what is left.
	ActStop
	// ActForward: sent on to the main command's process group (in services
	// mode, to the default slot's).
	ActForward
	// ActRescan: as s6-overlay's PID 1 (s6-svscan), SIGHUP scans the scan
	// directory for new services (s6-overlay's reading only).
	ActRescan
	// ActDrop: never forwarded. SIGURG is the Go runtime's preemption signal
	// (golang/go#37942) and SIGPIPE only concerns hermes-init's own writes;
	// synchronous fault signals sent with kill(2) are meaningless to forward.
	ActDrop
)

// Classify is the one place that decides what a signal means to
// hermes-init. With s6 false it is a plain init's reading (tini's): the
// stop signals stop, the rest is forwarded. With s6 true it is s6-overlay's
// /init's reading, whose PID 1 is s6-svscan with s6-linux-init's signal
// scripts: SIGTERM, SIGINT (reboot), SIGUSR1 and SIGPWR (poweroff) and
// SIGUSR2 (halt) all stop the container, and so does SIGRTMIN+3 (Podman);
// SIGHUP rescans; nothing is forwarded to the main program, which
// s6-overlay signals only at the end of the stop. With
// S6_CMD_RECEIVE_SIGNALS and a main program running (mainReceives),
// SIGTERM, SIGQUIT, SIGINT, SIGUSR1, SIGUSR2, SIGPWR and SIGWINCH go to the
// main program instead.
func Classify(sig syscall.Signal, s6, mainReceives bool) Action {
	switch sig {
	case unix.SIGCHLD:
		return ActReap
	case unix.SIGKILL, unix.SIGSTOP:
		return ActDrop // cannot be caught; listed for completeness
	case earlysignal.SIGRTMIN3:
		return ActStop
	}
	if s6 {
		switch sig {
		case unix.SIGTERM, unix.SIGQUIT, unix.SIGINT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGPWR, unix.SIGWINCH:
			if mainReceives {
				return ActForward
			}
			if sig == unix.SIGQUIT || sig == unix.SIGWINCH {
				return ActDrop // s6-linux-init's scripts for them do nothing
			}
			return ActStop
		case unix.SIGHUP:
			return ActRescan
		}
		return ActDrop // s6-svscan catches nothing else; as PID 1 the rest is void
	}
	switch sig {
	case unix.SIGTERM, unix.SIGINT:
		return ActStop
	case unix.SIGURG, unix.SIGPIPE, unix.SIGPROF,
		unix.SIGILL, unix.SIGTRAP, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSTKFLT, unix.SIGSYS:
		return ActDrop
	}
	// HUP, QUIT, ABRT, USR1, USR2, ALRM, CONT, TSTP, TTIN, TTOU, WINCH, XCPU,
	// XFSZ, VTALRM, IO, PWR and the real-time signals 35-64. The job-control
	// signals are forwarded, not acted on: hermes-init itself never stops.
	return ActForward
}

// SignalName names a signal the way kill -l does ("TERM", "RTMIN+3").
func SignalName(sig syscall.Signal) string {
	if sig >= 34 && sig <= 64 {
		if sig == 34 {
			return "RTMIN"
		}
		if sig <= 49 {
			return fmt.Sprintf("RTMIN+%d", sig-34)
		}
		if sig == 64 {
			return "RTMAX"
		}
		return fmt.Sprintf("RTMAX-%d", 64-sig)
	}
	name := unix.SignalName(sig)
	if len(name) > 3 && name[:3] == "SIG" {
		return name[3:]
	}
	if name == "" {
		return fmt.Sprintf("signal %d", int(sig))
	}
	return name
}

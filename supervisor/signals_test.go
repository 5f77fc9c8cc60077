package supervisor

import (
	"syscall"
	"testing"

	"github.com/matryer/is"
	"golang.org/x/sys/unix"
)

// TestClassify pins what every signal 1-64 means in each reading: a plain
// init's (tini's), s6-overlay's /init's, and s6-overlay's with
// S6_CMD_RECEIVE_SIGNALS while the main program runs.
func TestClassify(t *testing.T) {
	is := is.New(t)
	stop := map[syscall.Signal]bool{unix.SIGTERM: true, unix.SIGINT: true, 37: true}
	drop := map[syscall.Signal]bool{
		unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGURG: true, unix.SIGPIPE: true, unix.SIGPROF: true,
		unix.SIGILL: true, unix.SIGTRAP: true, unix.SIGBUS: true, unix.SIGFPE: true, unix.SIGSEGV: true,
		unix.SIGSTKFLT: true, unix.SIGSYS: true,
	}
	s6stop := map[syscall.Signal]bool{
		unix.SIGTERM: true, unix.SIGINT: true, unix.SIGUSR1: true, unix.SIGUSR2: true, unix.SIGPWR: true, 37: true,
	}
	toMain := map[syscall.Signal]bool{
		unix.SIGTERM: true, unix.SIGQUIT: true, unix.SIGINT: true, unix.SIGUSR1: true,
		unix.SIGUSR2: true, unix.SIGPWR: true, unix.SIGWINCH: true,
	}
	for sig := syscall.Signal(1); sig <= 64; sig++ {
		name := SignalName(sig)
		want := ActForward
		switch {
		case sig == unix.SIGCHLD:
			want = ActReap
		case stop[sig]:
			want = ActStop
		case drop[sig]:
			want = ActDrop
		}
		if got := Classify(sig, false, false); got != want {
			t.Errorf("plain init: %s: got %d, want %d", name, got, want)
		}
		if got := Classify(sig, false, true); got != want {
			t.Errorf("plain init, main receives: %s: got %d, want %d", name, got, want)
		}

		want = ActDrop
		switch {
		case sig == unix.SIGCHLD:
			want = ActReap
		case sig == unix.SIGHUP:
			want = ActRescan
		case s6stop[sig]:
			want = ActStop
		}
		if got := Classify(sig, true, false); got != want {
			t.Errorf("s6: %s: got %d, want %d", name, got, want)
		}
		if toMain[sig] {
			want = ActForward
		}
		if got := Classify(sig, true, true); got != want {
			t.Errorf("s6, main receives: %s: got %d, want %d", name, got, want)
		}
	}
	is.Equal(SignalName(37), "RTMIN+3")
	is.Equal(SignalName(64), "RTMAX")
	is.Equal(SignalName(unix.SIGTERM), "TERM")
}

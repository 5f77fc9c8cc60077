package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/gateway"
)

func TestStartWritesPIDFileLedgerAndRunning(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t)
	s.waitRunning()
	pid := int64(s.pid())
	start, err := gateway.ProcStartTime(s.pid())
	is.NoErr(err)

	st := s.state()
	is.Equal(st[gateway.KeyGatewayState], gateway.StateRunning) // state
	is.Equal(st["kind"], "hermes-gateway")
	is.Equal(num(st, "pid"), pid)
	is.Equal(num(st, "start_time"), int64(start)) // /proc/PID/stat field 22
	is.Equal(st["hermes_home"], canonical(s.home))
	is.Equal(st["argv"], []any{stubBin, "gateway", "run", "--replace"})
	is.True(st[gateway.KeyUpdatedAt] != nil)

	pf := s.pidFile()
	is.Equal(num(pf, "pid"), pid)
	is.Equal(pf["kind"], "hermes-gateway")
	is.Equal(num(pf, "start_time"), int64(start))
	is.Equal(pf["hermes_home"], canonical(s.home))

	led := s.ledger()
	is.Equal(led["phase"], "running")
	is.Equal(num(led, "pid"), pid)
	is.True(led["started_at"] != nil)
	prior, _ := gateway.ReadPriorExit(s.home)
	is.Equal(prior, gateway.PriorExitUnclean) // a running ledger reads as unclean at the next boot

	for _, want := range []string{"start home=", "state=starting", "state=running"} {
		s.waitLine(fmt.Sprintf("stub-gateway: profile=default pid=%d %s", pid, want))
	}
}

// TestStopBySignal covers the three signals the real gateway handles, with
// no marker in the home (hermes-agent's gateway/run.py and gateway/restart.py).
func TestStopBySignal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		sig     syscall.Signal
		state   string
		code    int
		reason  string
		restart bool
	}{
		{syscall.SIGTERM, gateway.StateRunning, gateway.ExitFailure, "unexpected signal", false},
		{syscall.SIGINT, gateway.StateStopped, gateway.ExitStop, "planned stop", false},
		{syscall.SIGUSR1, gateway.StateStopped, gateway.ExitRestart, "restart requested", true},
	}
	for _, c := range cases {
		t.Run(c.sig.String(), func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			s := startGateway(t)
			s.waitRunning()
			s.signal(c.sig)
			is.Equal(s.wait(), exit{code: c.code}) // exit status
			st := s.state()
			is.Equal(st[gateway.KeyGatewayState], c.state) // terminal state
			is.Equal(st["exit_reason"], c.reason)
			is.Equal(st["restart_requested"], c.restart)
			led := s.ledger()
			is.Equal(led["phase"], "exited")
			is.Equal(num(led, "exit_code"), int64(c.code))
			is.Equal(num(led, "pid"), int64(s.pid()))
			is.True(!exists(filepath.Join(s.home, gateway.PIDFile)))          // gateway.pid removed
			is.True(exists(filepath.Join(s.home, gateway.CleanShutdownFile))) // .clean_shutdown
			pending := readJSON(t, filepath.Join(s.home, gateway.RestartPendingFile))
			is.Equal(pending != nil, c.restart) // .restart_pending.json only for SIGUSR1
			if c.restart {
				is.Equal(pending["via_service"], true)
				is.Equal(pending["detached"], false)
				is.True(pending["requested_at"] != nil)
			}
			prior, _ := gateway.ReadPriorExit(s.home)
			is.Equal(prior, gateway.PriorExitClean)
			s.waitLine(fmt.Sprintf("exit code=%d reason=%q", c.code, c.reason))
		})
	}
}

// TestSignalDuringStartup: a SIGTERM before "running" is classified like
// any other (PR #104517: never exit 0 for it), not left to the runtime's
// default action. The stub's stdout is a full pipe, so it stalls at its
// first line, after it has set up its signal handling and claimed
// gateway.pid; the SIGTERM comes then, and once the pipe drains, the wait
// between "starting" and "running" finds it.
func TestSignalDuringStartup(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	home := t.TempDir()
	r, w, err := os.Pipe()
	is.NoErr(err)
	defer r.Close()
	filler := fillPipe(t, w)
	cmd := exec.Command(stubBin, "gateway", "run")
	cmd.Env = []string{gateway.EnvHome + "=" + home}
	cmd.Stdout = w
	is.NoErr(cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	w.Close() // the stub's is the only write end left
	poll(t, "gateway.pid", func() bool { return exists(filepath.Join(home, gateway.PIDFile)) })
	is.NoErr(cmd.Process.Signal(syscall.SIGTERM))
	is.NoErr(r.SetReadDeadline(time.Now().Add(waitLimit)))
	out, err := io.ReadAll(r) // drains the pipe, up to the stub's exit
	is.NoErr(err)
	_ = cmd.Wait()                                             // an *exec.ExitError for status 1
	is.Equal(cmd.ProcessState.ExitCode(), gateway.ExitFailure) // exited 1, not killed by SIGTERM
	lines := strings.Split(string(out[filler:]), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, " state=starting") })
	is.True(i >= 0 && i+1 < len(lines))
	is.True(strings.HasSuffix(lines[i+1], " signal=SIGTERM stop=unexpected")) // before "running"
	st := readJSON(t, filepath.Join(home, gateway.StateFile))
	is.Equal(st[gateway.KeyGatewayState], gateway.StateRunning)
	is.Equal(st["exit_reason"], "unexpected signal")
}

// fillPipe writes to w until its pipe is full and returns how many bytes
// it wrote. w is left in blocking mode, so that the next write waits for
// a reader.
func fillPipe(t *testing.T, w *os.File) int {
	t.Helper()
	fd := int(w.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, chunk := range [][]byte{make([]byte, 4096), make([]byte, 1)} {
		for {
			m, err := syscall.Write(fd, chunk)
			if err == syscall.EAGAIN {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n += m
		}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExitAtStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code   int
		state  string
		reason string
	}{
		{78, gateway.StateStartupFailed, "fatal config"},
		{1, gateway.StateStartupFailed, "startup failed"},
		{0, gateway.StateStopped, "exit at start"},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			s := startGateway(t, "STUB_EXIT_AT_START="+strconv.Itoa(c.code))
			is.Equal(s.wait(), exit{code: c.code})
			st := s.state()
			is.Equal(st[gateway.KeyGatewayState], c.state)
			is.Equal(st["exit_reason"], c.reason)
			is.Equal(s.ledger()["phase"], "exited")
			is.True(!exists(filepath.Join(s.home, gateway.PIDFile)))
			s.waitLine("state=starting")
		})
	}
}

// TestCrash: a crash exits 1 and leaves what a SIGKILL would: the state and
// ledger of a running gateway and its gateway.pid.
func TestCrash(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_CRASH_AFTER=100ms")
	is.Equal(s.wait(), exit{code: gateway.ExitFailure}) // how it ended
	is.Equal(s.state()[gateway.KeyGatewayState], gateway.StateRunning)
	is.Equal(s.state()["exit_reason"], nil)
	is.Equal(s.ledger()["phase"], "running")
	is.Equal(num(s.pidFile(), "pid"), int64(s.pid())) // gateway.pid left behind
	is.True(!exists(filepath.Join(s.home, gateway.CleanShutdownFile)))
	s.waitLine("crash code=1")
}

func TestIgnoreTerm(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_IGNORE_TERM=1")
	s.waitRunning()
	s.signal(syscall.SIGTERM)
	s.waitLine("signal=SIGTERM action=ignored")
	is.True(!s.exited())                                               // SIGTERM did not end it
	is.Equal(s.state()[gateway.KeyGatewayState], gateway.StateRunning) // and wrote nothing
	s.signal(syscall.SIGINT)
	is.Equal(s.wait(), exit{code: 0}) // other signals still work
}

// TestStopDelayDrains: STUB_STOP_DELAY keeps the stub in draining, and a
// second signal meanwhile changes nothing (stop is single-flight).
func TestStopDelayDrains(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_STOP_DELAY=1s")
	s.waitRunning()
	s.signal(syscall.SIGTERM)
	s.waitLine("state=draining")
	is.Equal(s.state()[gateway.KeyGatewayState], gateway.StateDraining)
	s.signal(syscall.SIGINT)
	s.waitLine("signal=SIGINT action=ignored reason=stopping")
	is.Equal(s.wait(), exit{code: gateway.ExitFailure}) // the first signal decided
	is.Equal(s.state()[gateway.KeyGatewayState], gateway.StateRunning)
}

func TestFilesAreNotWorldWritable(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t)
	s.waitRunning()
	for name, want := range map[string]os.FileMode{
		gateway.PIDFile:   0o644,
		gateway.StateFile: 0o644,
		gateway.StateDir:  0o755 | os.ModeDir,
		filepath.Join(gateway.StateDir, gateway.LifecycleFile): 0o644,
	} {
		fi, err := os.Lstat(filepath.Join(s.home, name))
		is.NoErr(err)
		is.Equal(fi.Mode(), want) // mode of the file
	}
}

// TestPriorExitAfterCrash: the next life in the same home reads the crashed
// life's "running" ledger as an unclean exit, and a clean stop as clean.
func TestPriorExitAfterCrash(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	crashed := startGateway(t, "STUB_CRASH_AFTER=0")
	is.Equal(crashed.wait(), exit{code: gateway.ExitFailure})
	next := startStub(t, crashed.home, crashed.home, []string{"gateway", "run", "--replace"})
	next.waitLine("prior_exit=unclean")
	next.waitRunning()
	is.Equal(next.ledger()["prior_unclean_exit"], true)
	next.signal(syscall.SIGINT)
	is.Equal(next.wait(), exit{code: 0})
	last := startStub(t, crashed.home, crashed.home, []string{"gateway", "run", "--replace"})
	last.waitLine("prior_exit=clean")
	last.waitRunning()
	is.Equal(last.ledger()["prior_unclean_exit"], nil)
}

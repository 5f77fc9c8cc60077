package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// startupDelay is the time between "starting" and "running", in which a
// signal is handled like any other.
const startupDelay = 50 * time.Millisecond

// stub is one gateway life in one profile home.
type stub struct {
	profile   string
	home      string   // canonical absolute path: hermes_home and messages
	root      *os.Root // the home, opened once; every file below it goes through nofollow
	pid       int
	startTime *uint64 // field 22 of /proc/self/stat; nil when unreadable (written as null)
	started   time.Time
	argv      []string
	opts      options
	out       *lines
	errOut    *lines
	tools     []*tool
	stopping  atomic.Bool // set when a stop begins: the flood and the allocation end
}

// runGateway is "gateway run": it reads the options, then lives one gateway
// life in the profile's home.
func runGateway(inv invocation, argv []string, getenv func(string) string, stdout, stderr io.Writer) int {
	errOut := &lines{w: stderr}
	opts, err := readOptions(getenv)
	if err != nil {
		errOut.printf("%v", err)
		return exitUsage
	}
	// Signals first: a stop that arrives during startup must be classified
	// like any other, not end the process with the runtime's default action.
	sigs := notifySignals()
	// The contract's modes (files 0644, directories 0755) whatever umask
	// the supervisor gave us.
	syscall.Umask(0o022)
	s, err := newStub(inv.profile, argv, getenv, opts)
	if err != nil {
		errOut.printf("profile=%s pid=%d %v", inv.profile, os.Getpid(), err)
		return gateway.ExitFailure
	}
	defer s.root.Close()
	s.out, s.errOut = &lines{w: stdout}, errOut
	return s.live(inv.replace, sigs)
}

// live runs one gateway life in the order the real gateway goes through it
// (hermes-agent's gateway/run.py and gateway/status.py): PID file, ledger, starting, running, serve.
func (s *stub) live(replace bool, sigs <-chan os.Signal) int {
	if !s.claimPIDFile(replace) {
		return gateway.ExitFailure
	}
	s.recordStartup()
	s.persist(gateway.StateStarting, nil)
	if s.opts.exitAtStart {
		return s.finish(startupExit(s.opts.exitCode))
	}
	if r, stop := s.await(sigs, time.After(startupDelay)); stop {
		return s.stop(r, sigs)
	}
	s.persist(gateway.StateRunning, nil)
	s.spawnTools()
	s.startLoad()
	var crash <-chan time.Time // nil: never
	if s.opts.crash {
		crash = time.After(s.opts.crashAfter)
	}
	if r, stop := s.await(sigs, crash); stop {
		return s.stop(r, sigs)
	}
	return s.crash()
}

// newStub opens the profile's home and gathers the stub's identity.
func newStub(profile string, argv []string, getenv func(string) string, opts options) (*stub, error) {
	root, home, err := openHome(getenv, profile)
	if err != nil {
		return nil, err
	}
	s := &stub{profile: profile, home: home, root: root, pid: os.Getpid(), started: time.Now(), argv: argv, opts: opts}
	if t, err := gateway.ProcStartTime(s.pid); err == nil {
		s.startTime = &t
	}
	return s, nil
}

// openHome opens HERMES_HOME (default /opt/data) for the root profile, or
// HERMES_HOME/profiles/NAME for a named one, refusing symlinks below
// HERMES_HOME. It returns the home and its canonical path. The root home is
// created when missing, as the real gateway does on first use; a named
// profile must exist.
func openHome(getenv func(string) string, profile string) (*os.Root, string, error) {
	base := getenv(gateway.EnvHome)
	if base == "" {
		base = gateway.DefaultHome
	}
	base, err := filepath.Abs(base)
	if err != nil {
		return nil, "", fmt.Errorf("unable to resolve %s %q: %w", gateway.EnvHome, base, err)
	}
	if profile == gateway.DefaultProfile {
		if err := os.MkdirAll(base, 0o755); err != nil {
			return nil, "", fmt.Errorf("unable to create home %s: %w", base, err)
		}
		root, err := os.OpenRoot(base)
		if err != nil {
			return nil, "", fmt.Errorf("unable to open home %s: %w", base, err)
		}
		return root, canonical(base), nil
	}
	rel := gateway.ProfilesDir + "/" + profile
	root, err := nofollow.OpenPath(base, rel)
	if err != nil {
		return nil, "", fmt.Errorf("unable to open profile home %s: %w", filepath.Join(base, rel), err)
	}
	return root, filepath.Join(canonical(base), rel), nil
}

// canonical resolves symlinks in an absolute path, like Python's
// Path.resolve(), keeping the path as given when that fails.
func canonical(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}

package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A proc is a command the driver started: either the init itself (not PID 1)
// or `unshare --pid --fork --mount-proc --kill-child INIT...`, whose child is
// PID 1 of a fresh PID namespace. Every proc is in the registry until it has
// been waited for, so that an interrupt or a failure can kill what is left.
type proc struct {
	argv    []string
	ns      bool
	p       *os.Process
	start   int64 // CLOCK_MONOTONIC ns just before the fork
	end     int64 // just after wait returned
	state   *os.ProcessState
	waitErr error
	done    chan struct{}
	errFile *os.File // the init's stderr, for the reason of a failure
	initPid int      // host pid of PID 1 in the namespace (ns only), once known
	cancel  func() bool

	mu      sync.Mutex
	cgroups []cgroupDir // hermes-init's cgroups, to remove if it left them
}

// registry holds every proc still running.
type registry struct {
	mu    sync.Mutex
	procs map[*proc]bool
}

var live = &registry{procs: map[*proc]bool{}}

func (r *registry) add(p *proc) {
	r.mu.Lock()
	r.procs[p] = true
	r.mu.Unlock()
}

func (r *registry) remove(p *proc) {
	r.mu.Lock()
	delete(r.procs, p)
	r.mu.Unlock()
}

// stopAll ends every proc left, all at once: SIGTERM first, so that a
// hermes-init removes its cgroups, and SIGKILL (the whole namespace for an
// unshare) after a few seconds. It returns when they have ended.
func (r *registry) stopAll() {
	r.mu.Lock()
	ps := make([]*proc, 0, len(r.procs))
	for p := range r.procs {
		ps = append(ps, p)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.abort()
		}()
	}
	wg.Wait()
}

// childEnv is the environment of everything the driver starts: its own,
// without the variables that would change what hermes-init does (HERMES_HOME
// turns on the gateway slots; HERMES_INIT_* set configuration keys).
var childEnv = func() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERMES_") {
			env = append(env, kv)
		}
	}
	return env
}()

// startProc starts argv with stdin and stdout on /dev/null and stderr in a
// temporary file under dir. The child dies with the driver (Pdeathsig), and
// for an unshare --kill-child takes its namespace along.
func startProc(argv []string, ns bool, dir string) (*proc, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	errFile, err := os.CreateTemp(dir, "stderr-*")
	if err != nil {
		return nil, fmt.Errorf("create stderr file: %w", err)
	}
	p := &proc{argv: argv, ns: ns, done: make(chan struct{}), errFile: errFile}
	attr := &os.ProcAttr{
		Dir:   dir,
		Env:   childEnv,
		Files: []*os.File{null, null, errFile},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	}
	p.start = mono()
	p.p, err = os.StartProcess(argv[0], argv, attr)
	if err != nil {
		errFile.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	live.add(p)
	return p, nil
}

// wait waits for the proc and records when it ended.
func (p *proc) wait() {
	p.state, p.waitErr = p.p.Wait()
	p.end = mono()
	live.remove(p)
	p.removeCgroups()
	close(p.done)
}

// waitAsync waits in a goroutine; p.done closes when it has ended.
func (p *proc) waitAsync() { go p.wait() }

// waitFor waits up to d for the end; false on timeout.
func (p *proc) waitFor(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// failure describes why the proc did not exit 0: its status and the first
// line of its stderr.
func (p *proc) failure() error {
	if p.waitErr != nil {
		return p.waitErr
	}
	if p.state != nil && p.state.Success() {
		return nil
	}
	return fmt.Errorf("%s: %v%s", strings.Join(shortArgv(p.argv), " "), p.state, p.stderrLine())
}

func (p *proc) stderrLine() string {
	data, _ := os.ReadFile(p.errFile.Name())
	line, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	if line == "" {
		return ""
	}
	return ": " + line
}

// close removes the stderr file.
func (p *proc) close() {
	p.errFile.Close()
	os.Remove(p.errFile.Name())
}

// findInit waits until the unshare has forked PID 1 and that has executed
// its program (its comm is no longer unshare's).
func (p *proc) findInit(timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return 0, fmt.Errorf("ended before starting its init: %w", p.failure())
		default:
		}
		if kids := children(p.p.Pid); len(kids) > 0 {
			if comm(kids[0]) != "unshare" {
				p.initPid = kids[0]
				return kids[0], nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	return 0, errors.New("no PID 1 appeared in the namespace")
}

// target is the process that gets signals meant for the init.
func (p *proc) target() int {
	if p.ns {
		return p.initPid
	}
	return p.p.Pid
}

// stop sends SIGTERM to the init and kills everything after timeout.
func (p *proc) stop(timeout time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	if t := p.target(); t > 0 {
		_ = unix.Kill(t, unix.SIGTERM)
	}
	if !p.waitFor(timeout) {
		p.kill()
	}
}

// abort ends a proc that should not be running any more: an interrupt or a
// timeout. SIGTERM first, so that a hermes-init removes its cgroups.
func (p *proc) abort() {
	p.noteCgroups()
	p.stop(3 * time.Second)
}

// kill ends the proc: for a namespace, SIGKILL to its PID 1 kills every
// process in it; otherwise the process group. It then waits.
func (p *proc) kill() {
	select {
	case <-p.done:
		return // waited for: its pid and group may be someone else's now
	default:
	}
	p.noteCgroups()
	if p.ns && p.initPid > 0 {
		_ = unix.Kill(p.initPid, unix.SIGKILL)
	}
	_ = unix.Kill(-p.p.Pid, unix.SIGKILL)
	_ = p.p.Kill()
	if !p.waitFor(10 * time.Second) {
		fmt.Fprintf(os.Stderr, "bench: %s (pid %d) did not end after SIGKILL\n", p.argv[0], p.p.Pid)
	}
}

// noteCgroups records the cgroups hermes-init made for what runs below it,
// to remove them after the run if hermes-init could not (it was killed).
// Called while the processes run; only the cgroups that a process below has
// joined are visible.
func (p *proc) noteCgroups() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pid := range append([]int{p.target()}, descendants(p.target())...) {
		for _, dir := range hermesCgroups(pid) {
			if !slices.Contains(p.cgroups, dir) {
				p.cgroups = append(p.cgroups, dir)
			}
		}
	}
}

func (p *proc) removeCgroups() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, dir := range p.cgroups {
		dir.remove()
	}
}

// shortArgv drops the unshare prefix from an argv for messages.
func shortArgv(argv []string) []string {
	for i, a := range argv {
		if a == "--kill-child" {
			return argv[i+1:]
		}
	}
	return argv
}

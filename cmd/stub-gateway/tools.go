package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// Tool timing.
const (
	toolReadyTimeout = 10 * time.Second // from start to "ready" on the tool's pipe
	toolTermWait     = time.Second      // stopTools: SIGTERM, then this long before SIGKILL
	toolKillWait     = time.Second
)

// selfExe re-executes the running binary even when its file was replaced or
// deleted, and in a FROM scratch image with no /bin/sleep to run instead.
const selfExe = "/proc/self/exe"

// tool is one tool child: a process that only sleeps, started the way the
// real gateway's terminal tool or a careless helper would be.
type tool struct {
	kind  toolKind
	pid   int           // the tool itself: the grandchild for doublefork
	start uint64        // its start time, so a reused pid is never signalled
	cmd   *exec.Cmd     // the direct child (for doublefork, the parent that exits at once)
	done  chan struct{} // closed once cmd is reaped
	ready *os.File      // read end of the tool's readiness pipe, until it reported
}

// spawnTools starts STUB_TOOL_COUNT tools of every STUB_TOOLS kind, all at
// once, then waits for each to report ready and prints its pid. A tool that
// fails is reported and skipped.
func (s *stub) spawnTools() {
	var started []*tool
	for _, k := range s.opts.tools {
		for range s.opts.toolCount {
			t, err := s.startTool(k)
			if err != nil {
				s.warn("unable to start tool kind=%s: %v", k, err)
				continue
			}
			started = append(started, t)
		}
	}
	for _, t := range started {
		if err := t.awaitReady(); err != nil {
			s.warn("tool kind=%s (child pid %d) %v", t.kind, t.cmd.Process.Pid, err)
			_ = t.cmd.Process.Kill() // not reported, so nobody else would stop it
			continue
		}
		s.tools = append(s.tools, t)
		s.out.printf("tool kind=%s pid=%d", t.kind, t.pid)
	}
}

// startTool starts "stub-gateway __tool KIND" with a readiness pipe as fd 3.
func (s *stub) startTool(k toolKind) (*tool, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("unable to create pipe: %w", err)
	}
	defer w.Close() // the child holds its own copy
	cmd := &exec.Cmd{
		Path:        selfExe,
		Args:        []string{s.argv[0], toolCommand, k.String()},
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: k.setsid},
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		return nil, fmt.Errorf("unable to start %s: %w", selfExe, err)
	}
	t := &tool{kind: k, cmd: cmd, done: make(chan struct{}), ready: r}
	go t.reap()
	return t, nil
}

// reap waits for the direct child; it is the stub's only wait.
func (t *tool) reap() {
	_ = t.cmd.Wait()
	close(t.done)
}

// awaitReady reads the tool's "ready PID" line and its start time.
func (t *tool) awaitReady() error {
	defer t.ready.Close()
	_ = t.ready.SetReadDeadline(time.Now().Add(toolReadyTimeout))
	line, err := bufio.NewReader(t.ready).ReadString('\n')
	if err != nil {
		return fmt.Errorf("did not report ready: %w", err)
	}
	word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	if word != "ready" {
		return fmt.Errorf("failed: %s", strings.TrimSpace(line))
	}
	if t.pid, err = strconv.Atoi(rest); err != nil || t.pid <= 0 {
		return fmt.Errorf("reported a bad pid %q", rest)
	}
	if t.start, err = gateway.ProcStartTime(t.pid); err != nil {
		return fmt.Errorf("is gone already: %w", err)
	}
	return nil
}

// alive reports whether the tool still runs. A direct child is alive until
// reaped, so its pid cannot be reused while we may signal it.
func (t *tool) alive() bool {
	if !t.kind.doubleFork {
		select {
		case <-t.done:
			return false
		default:
			return true
		}
	}
	return alive(t.pid, &t.start)
}

func (t *tool) signal(sig syscall.Signal) {
	if !t.alive() {
		return
	}
	if !t.kind.doubleFork {
		_ = t.cmd.Process.Signal(sig)
		return
	}
	_ = syscall.Kill(t.pid, sig)
}

// stopTools ends the tools before the terminal write, as the real gateway's
// process registry does (#8202): SIGTERM, a short wait, SIGKILL. With
// STUB_LEAVE_TOOLS it leaves them, for tests of hermes-init's own cleanup.
func (s *stub) stopTools() {
	if len(s.tools) == 0 {
		return
	}
	if s.opts.leaveTools {
		s.say("tools left=%d", len(s.tools))
		return
	}
	s.signalTools(syscall.SIGTERM)
	s.waitTools(toolTermWait)
	killed := s.signalTools(syscall.SIGKILL)
	if !s.waitTools(toolKillWait) {
		s.warn("tools still alive after SIGKILL: %d", s.countAlive())
	}
	s.say("tools stopped=%d killed=%d", len(s.tools), killed)
}

// signalTools signals every live tool and returns how many it signalled.
func (s *stub) signalTools(sig syscall.Signal) int {
	n := 0
	for _, t := range s.tools {
		if t.alive() {
			t.signal(sig)
			n++
		}
	}
	return n
}

func (s *stub) waitTools(d time.Duration) bool {
	return waitGone(d, func() bool { return s.countAlive() == 0 })
}

func (s *stub) countAlive() int {
	n := 0
	for _, t := range s.tools {
		if t.alive() {
			n++
		}
	}
	return n
}

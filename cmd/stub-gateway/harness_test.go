package main

// The tests build the real stub and run it as a process against a
// t.TempDir() home, the way hermes-init's tests run it: they send real
// signals, read the files it leaves and match the lines it prints. Waits
// poll with a deadline; every process a test starts is killed in t.Cleanup.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// stubBin is the stub, built once for every test.
var stubBin string

// waitLimit bounds every wait in the tests.
const waitLimit = 60 * time.Second

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stub-gateway-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Readable by the unprivileged user of TestUnprivilegedUser.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stubBin = filepath.Join(dir, "hermes") // the name the image installs it under
	build := exec.Command(goTool(), "build", "-trimpath", "-o", stubBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as scripts/build makes it
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// stubProc is one running stub.
type stubProc struct {
	t      *testing.T
	home   string // its profile home
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
}

// syncBuffer collects a stream written by os/exec's copying goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startStub runs "hermes ARGS..." with HERMES_HOME=hermesHome and env, and
// nothing else from the test's environment. home is the profile home the
// test reads. The stub leads its own process group so that the cleanup
// reaches its plain tools too.
func startStub(t *testing.T, hermesHome, home string, args []string, env ...string) *stubProc {
	t.Helper()
	return startStubAs(t, nil, hermesHome, home, args, env...)
}

// startStubAs is startStub as the user cred (nil: the test's own).
func startStubAs(t *testing.T, cred *syscall.Credential, hermesHome, home string, args []string, env ...string) *stubProc {
	t.Helper()
	s := &stubProc{t: t, home: home, done: make(chan struct{})}
	s.cmd = exec.Command(stubBin, args...)
	s.cmd.Env = append([]string{gateway.EnvHome + "=" + hermesHome}, env...)
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start stub: %v", err)
	}
	go func() {
		_ = s.cmd.Wait() // the tests' only wait for a stub
		close(s.done)
	}()
	t.Cleanup(s.cleanup)
	return s
}

// startGateway runs "hermes gateway run --replace" for the root profile in
// a fresh home, as hermes-init's default command does.
func startGateway(t *testing.T, env ...string) *stubProc {
	t.Helper()
	home := t.TempDir()
	return startStub(t, home, home, []string{"gateway", "run", "--replace"}, env...)
}

// cleanup kills the stub, its process group and every tool it reported.
func (s *stubProc) cleanup() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	for _, pid := range s.toolPids() {
		killTool(pid)
	}
	select {
	case <-s.done:
	case <-time.After(waitLimit):
		s.t.Errorf("stub pid %d did not exit after SIGKILL", s.cmd.Process.Pid)
	}
	if s.t.Failed() {
		s.t.Logf("stub pid %d stdout:\n%s\nstderr:\n%s", s.cmd.Process.Pid, s.stdout.String(), s.stderr.String())
	}
}

// killTool kills pid only if it still is one of the stub's tools: after the
// tool's death the pid may belong to anybody.
func killTool(pid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err == nil && bytes.Contains(b, []byte("\x00"+toolCommand+"\x00")) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (s *stubProc) pid() int { return s.cmd.Process.Pid }

func (s *stubProc) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v to stub: %v", sig, err)
	}
}

// lines returns the stdout lines so far.
func (s *stubProc) lines() []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s.stdout.String()))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// waitLine waits for a stdout line that contains want and returns it.
func (s *stubProc) waitLine(want string) string {
	s.t.Helper()
	var found string
	poll(s.t, "a line containing "+strconv.Quote(want), func() bool {
		for _, l := range s.lines() {
			if strings.Contains(l, want) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

// waitRunning waits for the stub to have written state running.
func (s *stubProc) waitRunning() {
	s.t.Helper()
	s.waitLine(fmt.Sprintf("pid=%d state=running", s.pid()))
}

// exit is how a stub ended.
type exit struct {
	code   int            // -1 when signalled
	signal syscall.Signal // 0 when it exited
}

// wait waits for the stub to end.
func (s *stubProc) wait() exit {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(waitLimit):
		s.t.Fatalf("stub pid %d still running after %s", s.pid(), waitLimit)
	}
	ws := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return exit{code: -1, signal: ws.Signal()}
	}
	return exit{code: ws.ExitStatus()}
}

// exited reports whether the stub has ended.
func (s *stubProc) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// toolLine is one "tool kind=K pid=N" line.
type toolLine struct {
	kind string
	pid  int
}

func (s *stubProc) tools() []toolLine {
	var out []toolLine
	for _, l := range s.lines() {
		var tl toolLine
		if _, err := fmt.Sscanf(l, "stub-gateway: tool kind=%s pid=%d", &tl.kind, &tl.pid); err == nil {
			out = append(out, tl)
		}
	}
	return out
}

func (s *stubProc) toolPids() []int {
	var pids []int
	for _, tl := range s.tools() {
		pids = append(pids, tl.pid)
	}
	return pids
}

// poll calls cond until it holds or waitLimit passes.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readJSON reads a JSON object file, numbers as json.Number; nil if missing.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("parse %s: %v\n%s", path, err, b)
	}
	return m
}

func (s *stubProc) state() map[string]any {
	return readJSON(s.t, filepath.Join(s.home, gateway.StateFile))
}

func (s *stubProc) ledger() map[string]any {
	return readJSON(s.t, filepath.Join(s.home, gateway.StateDir, gateway.LifecycleFile))
}

func (s *stubProc) pidFile() map[string]any {
	return readJSON(s.t, filepath.Join(s.home, gateway.PIDFile))
}

// num returns a JSON number field as an int64 (-1 when absent or not one).
func num(m map[string]any, key string) int64 {
	n, ok := m[key].(json.Number)
	if !ok {
		return -1
	}
	i, err := n.Int64()
	if err != nil {
		return -1
	}
	return i
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// procStat returns the fields of /proc/PID/stat after the command name:
// [0] is field 3 (state), [1] ppid, [3] session.
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(b[i+1:])), true
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	f, ok := procStat(pid)
	return ok && f[0] != "Z" && f[0] != "X"
}

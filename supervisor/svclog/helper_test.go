package svclog

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHelperProcess is not a test: re-executed by helper(), it is a service
// that writes lines. SVCLOG_HELPER selects what it does:
//
//	flood NAME N     N lines through a 64 KiB buffer, as fast as it can
//	pieces NAME N    N lines, each in three write(2)s, the newline last
//	lines NAME N     N lines, one write(2) per line
//	paced NAME N R   like lines, at R lines per second
func TestHelperProcess(t *testing.T) {
	args := strings.Fields(os.Getenv("SVCLOG_HELPER"))
	if len(args) < 3 {
		return
	}
	name := args[1]
	n, _ := strconv.Atoi(args[2])
	out := os.Stdout
	switch args[0] {
	case "flood":
		w := bufio.NewWriterSize(out, 64<<10)
		for i := range n {
			fmt.Fprintf(w, "%s-line-%d %s\n", name, i, strings.Repeat("x", i%97))
		}
		w.Flush()
	case "pieces":
		for i := range n {
			fmt.Fprintf(out, "%s-line-%d ", name, i)
			out.WriteString(strings.Repeat("y", i%50))
			out.WriteString("\n")
		}
	case "lines", "paced":
		rate := 0
		if len(args) > 3 {
			rate, _ = strconv.Atoi(args[3])
		}
		pad := strings.Repeat("z", 80)
		start := time.Now()
		buf := make([]byte, 0, 128)
		for i := range n {
			if rate > 0 && i%100 == 0 { // pace in steps of 100 lines
				if ahead := time.Duration(i)*time.Second/time.Duration(rate) - time.Since(start); ahead > 0 {
					time.Sleep(ahead)
				}
			}
			buf = fmt.Appendf(buf[:0], "%s-line-%d %s\n", name, i, pad)
			out.Write(buf)
		}
	}
	os.Exit(0)
}

// helper starts the test binary as a service writing to w (fds 1 and 2) and
// closes the test's copy of w, as the supervisor does after a fork.
func helper(t *testing.T, w *os.File, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "SVCLOG_HELPER="+mode)
	return start(t, cmd, w)
}

// shell starts sh -c script as a service writing to w.
func shell(t *testing.T, w *os.File, script string) *exec.Cmd {
	t.Helper()
	return start(t, exec.Command("sh", "-c", script), w)
}

func start(t *testing.T, cmd *exec.Cmd, w *os.File) *exec.Cmd {
	t.Helper()
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// wait waits for a service started by helper or shell, with a deadline.
func wait(t *testing.T, cmd *exec.Cmd, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%v: %v", cmd.Args, err)
		}
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit within %v: its output blocked?", cmd.Args, d)
	}
}

// eventually polls cond until it holds or d has passed.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noLeaks checks, when the test ends, that every goroutine it started has
// ended. Tests using it must not run in parallel.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		eventually(t, 5*time.Second, "goroutines left behind", func() bool {
			return runtime.NumGoroutine() <= before
		})
	})
}

// syncBuffer is the Fan's stdout in tests.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) lines() []string {
	return strings.Split(strings.TrimSuffix(s.String(), "\n"), "\n")
}

// gate is a stdout nobody reads: Write blocks until open is called.
type gate struct {
	syncBuffer
	opened  chan struct{}
	once    sync.Once
	blocked chan struct{} // closed at the first Write
	first   sync.Once
}

func newGate() *gate { return &gate{opened: make(chan struct{}), blocked: make(chan struct{})} }

func (g *gate) Write(p []byte) (int, error) {
	g.first.Do(func() { close(g.blocked) })
	<-g.opened
	return g.syncBuffer.Write(p)
}

func (g *gate) open() { g.once.Do(func() { close(g.opened) }) }

// logs collects Logf messages.
type logs struct {
	mu  sync.Mutex
	msg []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msg = append(l.msg, fmt.Sprintf(format, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msg, "\n")
}

// readLog returns the lines of a log file without their timestamps, after
// checking that every line has one.
func readLog(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s ends inside a line", path)
	}
	var lines []string
	for _, l := range strings.Split(string(data[:len(data)-1]), "\n") {
		ts, rest, ok := strings.Cut(l, " ")
		if _, err := time.Parse("2006-01-02T15:04:05.000000Z", ts); !ok || err != nil || len(ts) != 27 {
			t.Fatalf("%s: line without an ISO 8601 UTC timestamp: %q", path, l)
		}
		lines = append(lines, rest)
	}
	return lines
}

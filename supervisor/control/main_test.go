package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// envHelper selects the role of the test binary re-executed as a helper
// process: "ctl" runs RunCLI on the arguments after "--", "call" sends the
// request given as JSON in envRequest and prints the reply.
const (
	envHelper  = "HERMES_CONTROL_TEST_HELPER"
	envRequest = "HERMES_CONTROL_TEST_REQUEST"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envHelper) {
	case "":
		os.Exit(m.Run())
	case "ctl":
		os.Exit(RunCLI(helperArgs(), os.Getenv, os.Stdout, os.Stderr))
	case "hold":
		os.Exit(holdConnections(helperArgs()[0]))
	case "call":
		var req Request
		if err := json.Unmarshal([]byte(os.Getenv(envRequest)), &req); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(100)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := Call(ctx, helperArgs()[0], req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(101)
		}
		json.NewEncoder(os.Stdout).Encode(resp)
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "unknown %s\n", envHelper)
	os.Exit(102)
}

func helperArgs() []string {
	for i, a := range os.Args {
		if a == "--" {
			return os.Args[i+1:]
		}
	}
	return nil
}

// fake is a Handler over an in-memory set of slots.
type fake struct {
	mu      sync.Mutex
	slots   []SlotStatus
	healthy bool
	detail  string
	panicOn string        // an op whose method panics
	block   chan struct{} // when set, Start, Stop, Restart and Wait wait for it (or their context)
	entered chan string   // told the op each time a method starts blocking
	hang    chan struct{} // when set, methods ignore their context and wait for it
	causes  chan error    // told the cause when a blocked method's context ends
}

func newFake() *fake {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	code := 1
	mem := uint64(50_593_792)
	return &fake{
		healthy: true,
		detail:  "every service that should run is up",
		slots: []SlotStatus{
			{Name: "gateway-default", Profile: "default", State: StateUp, Want: WantUp, Pid: 41, Since: now, UptimeSeconds: 192.4, Restarts: 2,
				LastExit: &Exit{Code: &code, At: now}, MemoryBytes: &mem},
			{Name: "gateway-work", Profile: "work", State: StateDown, Want: WantDown, Since: now},
			{Name: "dashboard", State: StateFailed, Want: WantUp, Since: now, Restarts: 5,
				LastExit: &Exit{Signal: "KILL", OOM: true, At: now}, Reason: "crash loop: 5 fast deaths"},
		},
	}
}

func (f *fake) find(name string) (*SlotStatus, error) {
	slot, ok := SlotName(name, func(s string) bool {
		for _, x := range f.slots {
			if x.Name == s {
				return true
			}
		}
		return false
	})
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProfile, name)
	}
	for i := range f.slots {
		if f.slots[i].Name == slot {
			return &f.slots[i], nil
		}
	}
	panic("unreachable")
}

// pause applies the fake's panic, hang and block settings to op.
func (f *fake) pause(ctx context.Context, op string) error {
	if f.panicOn == op {
		panic("fake handler: " + op)
	}
	if f.hang != nil {
		<-f.hang
		return nil
	}
	if f.block == nil {
		return nil
	}
	if f.entered != nil {
		f.entered <- op
	}
	select {
	case <-f.block:
		return nil
	case <-ctx.Done():
		if f.causes != nil {
			f.causes <- context.Cause(ctx)
		}
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

func (f *fake) Status() Status {
	if f.panicOn == OpStatus {
		panic("fake handler: status")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return Status{CgroupMode: "v2", Slots: append([]SlotStatus(nil), f.slots...)}
}

func (f *fake) set(ctx context.Context, op, name string, change func(*SlotStatus)) (SlotStatus, error) {
	if err := f.pause(ctx, op); err != nil {
		return SlotStatus{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.find(name)
	if err != nil {
		return SlotStatus{}, err
	}
	change(s)
	return *s, nil
}

func (f *fake) Start(ctx context.Context, name string) (SlotStatus, error) {
	return f.set(ctx, OpStart, name, func(s *SlotStatus) { s.State, s.Want, s.Pid, s.Reason = StateUp, WantUp, 100, "" })
}

func (f *fake) Stop(ctx context.Context, name string) (SlotStatus, error) {
	return f.set(ctx, OpStop, name, func(s *SlotStatus) { s.State, s.Want, s.Pid = StateDown, WantDown, 0 })
}

func (f *fake) Restart(ctx context.Context, name string) (SlotStatus, error) {
	return f.set(ctx, OpRestart, name, func(s *SlotStatus) { s.State, s.Want, s.Pid, s.Restarts = StateUp, WantUp, s.Pid+1, s.Restarts+1 })
}

// Wait answers at once when the slot is already in the state, else when ctx ends.
func (f *fake) Wait(ctx context.Context, name string, up bool) (SlotStatus, error) {
	if err := f.pause(ctx, OpWait); err != nil {
		return SlotStatus{}, err
	}
	f.mu.Lock()
	s, err := f.find(name)
	var st SlotStatus
	if err == nil {
		st = *s
	}
	f.mu.Unlock()
	if err != nil || (st.State == StateUp) == up {
		return st, err
	}
	<-ctx.Done()
	return st, fmt.Errorf("wait %s: %w", st.Name, ctx.Err())
}

func (f *fake) Up(ctx context.Context, name string, once bool) (SlotStatus, error) {
	op := OpUp
	if once {
		op = OpOnce
	}
	return f.set(ctx, op, name, func(s *SlotStatus) {
		s.State, s.Pid = StateUp, 100
		if s.Want = WantUp; once {
			s.Want = WantDown
		}
	})
}

func (f *fake) Down(ctx context.Context, name string) (SlotStatus, error) {
	return f.set(ctx, OpDown, name, func(s *SlotStatus) { s.State, s.Want, s.Pid = StateDown, WantDown, 0 })
}

// Signal records the signal as the slot's reason, so a test can see it arrived.
func (f *fake) Signal(ctx context.Context, name string, sig syscall.Signal) (SlotStatus, error) {
	return f.set(ctx, OpSignal, name, func(s *SlotStatus) { s.Reason = "got " + sig.String() })
}

// Scan adds a slot "scanned" the first time, and with prune drops it again.
func (f *fake) Halt() error { return nil }

func (f *fake) Scan(ctx context.Context, prune bool) (Status, error) {
	if err := f.pause(ctx, OpScan); err != nil {
		return Status{}, err
	}
	f.mu.Lock()
	if prune {
		f.slots = slices.DeleteFunc(f.slots, func(s SlotStatus) bool { return s.Name == "scanned" })
	} else if !slices.ContainsFunc(f.slots, func(s SlotStatus) bool { return s.Name == "scanned" }) {
		f.slots = append(f.slots, SlotStatus{Name: "scanned", State: StateDown, Want: WantDown})
	}
	f.mu.Unlock()
	return f.Status(), nil
}

func (f *fake) Health() (bool, string) {
	if f.panicOn == OpHealth {
		panic("fake handler: health")
	}
	return f.healthy, f.detail
}

// logBuffer collects the server's log lines; goroutines may outlive the test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sockPath is a socket path in a fresh directory, short enough for sun_path
// (108 bytes).
func sockPath(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "control.sock")
	if len(p) < 100 {
		return p
	}
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "control.sock")
}

// serve listens at o.Path (a fresh path when empty) and serves h until the
// test ends. It returns the socket path and the server's log.
func serve(t *testing.T, h Handler, o ServerOptions) (string, *logBuffer) {
	t.Helper()
	is := is.New(t)
	if o.Path == "" {
		o.Path = sockPath(t)
	}
	if o.GID == 0 {
		o.GID = -1
	}
	logs := &logBuffer{}
	o.Logf = logs.logf
	srv, err := Listen(o)
	is.NoErr(err) // Listen
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return 10s after its context ended")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return o.Path, logs
}

// mustCall sends req and fails the test when no reply comes.
func mustCall(t *testing.T, path string, req Request) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := Call(ctx, path, req)
	if err != nil {
		t.Fatalf("Call %+v: %v", req, err)
	}
	return resp
}

// rawExchange writes payload as is and returns the decoded reply.
func rawExchange(t *testing.T, path string, payload []byte) Response {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go c.Write(payload) // may fail once the server has answered and closed
	resp, err := readResponse(c)
	if err != nil {
		t.Fatalf("reply to %.60q: %v", payload, err)
	}
	return resp
}

// runCLI runs ctl against the socket at path.
func runCLI(path string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	if path != "" {
		args = append([]string{"--socket", path}, args...)
	}
	code = RunCLI(args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

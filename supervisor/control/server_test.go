package control

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestEveryOpRoundTrips(t *testing.T) {
	path, _ := serve(t, newFake(), ServerOptions{})
	cases := []struct {
		req   Request
		slot  string // the slot the reply carries, "" for status and health
		state string
	}{
		{req: Request{Op: OpStatus}},
		{req: Request{Op: OpHealth}},
		{req: Request{Op: OpStart, Profile: "work"}, slot: "gateway-work", state: StateUp},
		{req: Request{Op: OpWait, Profile: "gateway-work", State: WantUp}, slot: "gateway-work", state: StateUp},
		{req: Request{Op: OpRestart, Profile: "default", TimeoutMillis: 5000}, slot: "gateway-default", state: StateUp},
		{req: Request{Op: OpStop, Profile: "dashboard"}, slot: "dashboard", state: StateDown},
		{req: Request{Op: OpWait, Profile: "dashboard", State: WantDown}, slot: "dashboard", state: StateDown},
		{req: Request{Op: OpUp, Profile: "work"}, slot: "gateway-work", state: StateUp},
		{req: Request{Op: OpOnce, Profile: "dashboard"}, slot: "dashboard", state: StateUp},
		{req: Request{Op: OpDown, Profile: "work", TimeoutMillis: 5000}, slot: "gateway-work", state: StateDown},
		{req: Request{Op: OpSignal, Profile: "default", Signal: "SIGHUP"}, slot: "gateway-default", state: StateUp},
	}
	for _, c := range cases {
		t.Run(describe(c.req), func(t *testing.T) {
			is := is.New(t)
			r := mustCall(t, path, c.req)
			is.True(r.OK)        // ok
			is.Equal(r.Code, "") // no code on success
			switch c.req.Op {
			case OpStatus:
				is.Equal(r.Status.CgroupMode, "v2")
				is.Equal(len(r.Status.Slots), 3)
				is.Equal(*r.Status.Slots[0].MemoryBytes, uint64(50_593_792)) // memory survives the trip
				is.Equal(*r.Status.Slots[0].LastExit.Code, 1)
				is.True(r.Status.Slots[2].LastExit.OOM)
			case OpHealth:
				is.True(r.Healthy != nil && *r.Healthy)
				is.Equal(r.Detail, "every service that should run is up")
			default:
				is.Equal(len(r.Status.Slots), 1) // the slot concerned
				is.Equal(r.Status.Slots[0].Name, c.slot)
				is.Equal(r.Status.Slots[0].State, c.state)
			}
		})
	}
}

// TestS6Ops: the ops of the s6 surface carry their arguments to the Handler.
func TestS6Ops(t *testing.T) {
	is := is.New(t)
	path, _ := serve(t, newFake(), ServerOptions{})

	for _, name := range []string{"USR1", "SIGUSR1", "10"} {
		r := mustCall(t, path, Request{Op: OpSignal, Profile: "work", Signal: name})
		is.True(r.OK)                                                   // signal accepted
		is.Equal(r.Status.Slots[0].Reason, "got user defined signal 1") // the Handler got SIGUSR1
	}
	r := mustCall(t, path, Request{Op: OpSignal, Profile: "work", Signal: "FOO"})
	is.Equal(r.Code, CodeBadRequest)
	is.Equal(r.Error, `signal: unknown signal "FOO"`)

	r = mustCall(t, path, Request{Op: OpOnce, Profile: "work"})
	is.True(r.OK)
	is.Equal(r.Status.Slots[0].Want, WantDown) // once: up, but not wanted up

	r = mustCall(t, path, Request{Op: OpScan})
	is.True(r.OK)
	is.Equal(len(r.Status.Slots), 4) // the scan's new service is listed
	r = mustCall(t, path, Request{Op: OpScan, Prune: true, TimeoutMillis: 1000})
	is.True(r.OK)
	is.Equal(len(r.Status.Slots), 3) // and pruned again

	r = mustCall(t, path, Request{Op: OpUp, Profile: "nosuch"})
	is.Equal(r.Code, CodeUnknownProfile)
}

func TestHandlerErrorsMapToCodes(t *testing.T) {
	is := is.New(t)
	path, _ := serve(t, newFake(), ServerOptions{})

	r := mustCall(t, path, Request{Op: OpStart, Profile: "nosuch"})
	is.Equal(r.Code, CodeUnknownProfile)
	is.True(!r.OK)
	is.True(contains(r.Error, `"nosuch"`)) // the message names the profile

	start := time.Now()
	r = mustCall(t, path, Request{Op: OpWait, Profile: "work", State: WantUp, TimeoutMillis: 100})
	is.Equal(r.Code, CodeTimeout)
	is.Equal(r.Error, "wait work up: timed out after 100ms (gateway-work is down)")
	is.Equal(r.Status.Slots[0].Name, "gateway-work") // the slot's state comes with the failure
	is.True(time.Since(start) < 2*time.Second)
}

func TestMalformedRequestsGetBadRequest(t *testing.T) {
	path, _ := serve(t, newFake(), ServerOptions{})
	cases := []struct {
		name, line, code, msg string
	}{
		{"invalid JSON", `{"op":`, CodeBadRequest, "truncated JSON object"},
		{"syntax error", `{"op" "status"}`, CodeBadRequest, "invalid JSON at byte"},
		{"not an object", `["status"]`, CodeBadRequest, "want a JSON object, not a JSON array"},
		{"wrong type", `{"op":"wait","profile":"w","state":"up","timeout_ms":"5s"}`, CodeBadRequest, "timeout_ms: want a JSON integer, not a JSON string"},
		{"unknown field", `{"op":"status","profil":"w"}`, CodeBadRequest, `unknown field "profil"`},
		{"trailing data", `{"op":"status"} {"op":"health"}`, CodeBadRequest, "trailing data"},
		{"empty line", ``, CodeBadRequest, "empty request"},
		{"missing op", `{}`, CodeBadRequest, "op: missing"},
		{"unknown op", `{"op":"reboot"}`, CodeUnknownOp, `op: unknown op "reboot"`},
		{"missing profile", `{"op":"stop"}`, CodeBadRequest, "profile: missing"},
		{"bad profile", `{"op":"stop","profile":"../etc"}`, CodeBadRequest, "profile: "},
		{"missing state", `{"op":"wait","profile":"work"}`, CodeBadRequest, "state: missing"},
		{"bad state", `{"op":"wait","profile":"work","state":"sideways"}`, CodeBadRequest, `state: "sideways" is not up or down`},
		{"negative timeout", `{"op":"wait","profile":"work","state":"up","timeout_ms":-1}`, CodeBadRequest, "timeout_ms: -1 is negative"},
		{"huge timeout", `{"op":"stop","profile":"work","timeout_ms":9223372036854775807}`, CodeBadRequest, "timeout_ms: 9223372036854775807 is more than"},
		{"profile on status", `{"op":"status","profile":"work"}`, CodeBadRequest, "profile: not used by status"},
		{"null", `null`, CodeBadRequest, "op: missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			r := rawExchange(t, path, []byte(c.line+"\n"))
			is.True(!r.OK)
			is.Equal(r.Code, c.code)
			if !strings.Contains(r.Error, c.msg) {
				t.Errorf("error %q does not contain %q", r.Error, c.msg)
			}
		})
	}
	is.New(t).True(mustCall(t, path, Request{Op: OpStatus}).OK) // the server goes on
}

func TestOversizedRequestIsRefused(t *testing.T) {
	is := is.New(t)
	path, _ := serve(t, newFake(), ServerOptions{})
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = 'a'
	}

	r := rawExchange(t, path, big)
	is.Equal(r.Code, CodeBadRequest)
	is.True(strings.HasPrefix(r.Error, "request too large")) // raw 1 MiB

	// Through Call, whose write fails once the server has answered and closed.
	r = mustCall(t, path, Request{Op: OpStop, Profile: string(big)})
	is.Equal(r.Code, CodeBadRequest)
	is.True(strings.HasPrefix(r.Error, "request too large")) // 1 MiB profile

	// Exactly MaxRequestSize bytes before the newline is still read.
	line := []byte(`{"op":"status"}`)
	line = append(line, make([]byte, MaxRequestSize-len(line))...)
	for i := len(`{"op":"status"}`); i < len(line); i++ {
		line[i] = ' '
	}
	r = rawExchange(t, path, append(line, '\n'))
	is.True(r.OK) // a request of MaxRequestSize bytes

	is.True(mustCall(t, path, Request{Op: OpStatus}).OK) // the server goes on
}

func TestHalfClosedRequestWithoutNewline(t *testing.T) {
	is := is.New(t)
	path, _ := serve(t, newFake(), ServerOptions{})
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	is.NoErr(err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Write([]byte(`{"op":"health"}`))
	is.NoErr(err)
	is.NoErr(c.CloseWrite())
	r, err := readResponse(c)
	is.NoErr(err)
	is.True(r.OK) // served without the newline
}

func TestSilentClientDoesNotHoldTheServer(t *testing.T) {
	is := is.New(t)
	const readTimeout = 300 * time.Millisecond
	path, _ := serve(t, newFake(), ServerOptions{ReadTimeout: readTimeout, MaxConns: 2})

	start := time.Now() // before the dial: the server's read deadline starts at its accept
	silent, err := net.Dial("unix", path)
	is.NoErr(err)
	defer silent.Close()
	is.True(mustCall(t, path, Request{Op: OpStatus}).OK) // others are served meanwhile
	is.True(time.Since(start) < readTimeout)             // at once, not after the silent one

	silent.SetDeadline(time.Now().Add(5 * time.Second))
	r, err := readResponse(silent)
	is.NoErr(err)
	is.Equal(r.Code, CodeBadRequest)
	is.True(strings.Contains(r.Error, "no complete request within 300ms"))
	is.True(time.Since(start) >= readTimeout)
	is.True(time.Since(start) < readTimeout+2*time.Second) // answered at the deadline

	// A client that connects and closes at once costs nothing either.
	for range 20 {
		c, err := net.Dial("unix", path)
		is.NoErr(err)
		c.Close()
	}
	deadline := time.Now().Add(2 * time.Second)
	for r := mustCall(t, path, Request{Op: OpStatus}); !r.OK; r = mustCall(t, path, Request{Op: OpStatus}) {
		is.Equal(r.Code, CodeBusy) // only while the closed ones are let go
		if time.Now().After(deadline) {
			t.Fatal("connections closed by their clients still hold the server after 2s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectionsBeyondMaxConnsAreBusy(t *testing.T) {
	is := is.New(t)
	f := newFake()
	f.block, f.entered = make(chan struct{}), make(chan string, 8)
	path, logs := serve(t, f, ServerOptions{MaxConns: 2})

	var wg sync.WaitGroup
	results := make(chan Response, 2)
	for range 2 {
		wg.Go(func() { results <- mustCall(t, path, Request{Op: OpWait, Profile: "default", State: WantUp}) })
	}
	for range 2 {
		select {
		case <-f.entered:
		case <-time.After(5 * time.Second):
			t.Fatal("the two waits did not reach the handler")
		}
	}
	var busy sync.WaitGroup
	for range 10 {
		busy.Go(func() {
			r := mustCall(t, path, Request{Op: OpStatus})
			if r.Code != CodeBusy {
				t.Errorf("a connection beyond MaxConns: got %+v, want code busy", r)
			}
		})
	}
	busy.Wait()
	close(f.block)
	wg.Wait()
	for range 2 {
		is.True((<-results).OK) // the two in flight finish
	}
	is.True(mustCall(t, path, Request{Op: OpStatus}).OK)                                        // and the budget is back
	is.True(strings.Contains(logs.String(), "uid 0 has 2 connections in flight; answered pid")) // logged
	is.Equal(strings.Count(logs.String(), "connections in flight"), 1)                          // once, not per connection
}

func TestPanickingHandlerIsAnsweredInternal(t *testing.T) {
	f := newFake()
	path, logs := serve(t, f, ServerOptions{})
	for _, op := range []Request{
		{Op: OpStatus},
		{Op: OpHealth},
		{Op: OpStop, Profile: "work"},
		{Op: OpWait, Profile: "work", State: WantDown},
	} {
		t.Run(op.Op, func(t *testing.T) {
			is := is.New(t)
			f.panicOn = op.Op
			r := mustCall(t, path, op)
			is.Equal(r.Code, CodeInternal)
			is.True(strings.Contains(r.Error, "internal error"))
			f.panicOn = ""
			is.True(mustCall(t, path, op).OK) // served again
		})
	}
	is.New(t).True(strings.Contains(logs.String(), "recovered from a panic in the handler: fake handler: stop"))
}

func TestHandlerThatIgnoresItsContextIsAbandoned(t *testing.T) {
	is := is.New(t)
	f := newFake()
	f.hang = make(chan struct{})
	defer close(f.hang)
	path, logs := serve(t, f, ServerOptions{})
	start := time.Now()
	r := mustCall(t, path, Request{Op: OpStop, Profile: "work", TimeoutMillis: 100})
	is.Equal(r.Code, CodeTimeout)
	is.Equal(r.Error, "stop work: no answer within 100ms")
	is.True(time.Since(start) < 100*time.Millisecond+handlerGrace+time.Second)
	is.True(strings.Contains(logs.String(), "the handler did not return"))
}

func TestClientHangupCancelsTheOperation(t *testing.T) {
	is := is.New(t)
	f := newFake()
	f.block, f.entered, f.causes = make(chan struct{}), make(chan string, 1), make(chan error, 1)
	path, _ := serve(t, f, ServerOptions{})

	c, err := net.Dial("unix", path)
	is.NoErr(err)
	_, err = c.Write([]byte(`{"op":"wait","profile":"work","state":"up","timeout_ms":60000}` + "\n"))
	is.NoErr(err)
	<-f.entered
	c.Close()
	select {
	case cause := <-f.causes:
		is.True(errors.Is(cause, errClientGone)) // the context ended because the client left
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context did not end after the client hung up")
	}
}

func TestListenReplacesOnlyAStaleSocket(t *testing.T) {
	t.Run("stale socket", func(t *testing.T) {
		is := is.New(t)
		path := sockPath(t)
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		is.NoErr(err)
		ln.SetUnlinkOnClose(false)
		ln.Close() // the file stays: what a killed hermes-init leaves
		_, err = os.Lstat(path)
		is.NoErr(err)
		path, _ = serve(t, newFake(), ServerOptions{Path: path})
		is.True(mustCall(t, path, Request{Op: OpStatus}).OK)
	})
	t.Run("live socket", func(t *testing.T) {
		is := is.New(t)
		path, _ := serve(t, newFake(), ServerOptions{})
		_, err := Listen(ServerOptions{Path: path, GID: -1})
		is.True(err != nil)
		is.True(strings.Contains(err.Error(), "another process is serving it"))
		is.True(mustCall(t, path, Request{Op: OpStatus}).OK) // the first server still owns it
	})
	for _, kind := range []string{"regular file", "symlink", "directory"} {
		t.Run(kind, func(t *testing.T) {
			is := is.New(t)
			path := sockPath(t)
			switch kind {
			case "regular file":
				is.NoErr(os.WriteFile(path, []byte("keep me"), 0o600))
			case "symlink":
				target := filepath.Join(filepath.Dir(path), "target")
				is.NoErr(os.WriteFile(target, []byte("keep me"), 0o600))
				is.NoErr(os.Symlink(target, path))
			case "directory":
				is.NoErr(os.Mkdir(path, 0o755))
			}
			_, err := Listen(ServerOptions{Path: path, GID: -1})
			is.True(err != nil)
			is.True(strings.Contains(err.Error(), "is in the way"))
			is.True(strings.Contains(err.Error(), "a "+kind))
			if kind != "directory" {
				b, err := os.ReadFile(path)
				is.NoErr(err)
				is.Equal(string(b), "keep me") // untouched
			}
		})
	}
}

func TestListenCreatesTheDirectoryAndSetsModeAndGroup(t *testing.T) {
	is := is.New(t)
	if os.Geteuid() != 0 {
		t.Skip("chown to another group needs root")
	}
	path := filepath.Join(filepath.Dir(sockPath(t)), "run", "control.sock")
	srv, err := Listen(ServerOptions{Path: path, GID: 4321, Logf: t.Logf})
	is.NoErr(err)
	fi, err := os.Stat(filepath.Dir(path))
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o755)) // parent created 0755
	fi, err = os.Lstat(path)
	is.NoErr(err)
	is.Equal(fi.Mode().Type(), os.ModeSocket)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o660))
	is.Equal(fi.Sys().(*syscall.Stat_t).Gid, uint32(4321)) // the gateway's group

	is.NoErr(srv.Close())
	_, err = os.Lstat(path)
	is.True(errors.Is(err, os.ErrNotExist)) // Close removes the socket file
	is.NoErr(srv.Close())                   // twice is fine
}

func TestServeReturnsWhenItsContextEnds(t *testing.T) {
	is := is.New(t)
	f := newFake()
	f.block, f.entered = make(chan struct{}), make(chan string, 1)
	path := sockPath(t)
	srv, err := Listen(ServerOptions{Path: path, GID: -1})
	is.NoErr(err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, f) }()

	reply := make(chan Response, 1)
	go func() { reply <- mustCall(t, path, Request{Op: OpStop, Profile: "work"}) }()
	<-f.entered
	cancel()
	select {
	case err := <-done:
		is.NoErr(err)
	case <-time.After(shutdownWait + 2*time.Second):
		t.Fatal("Serve did not return")
	}
	r := <-reply
	is.Equal(r.Code, CodeFailed) // the operation in flight was told
	is.True(strings.Contains(r.Error, "context canceled"))
	_, err = os.Lstat(path)
	is.True(errors.Is(err, os.ErrNotExist)) // the socket is gone
}

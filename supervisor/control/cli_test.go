package control

import (
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestStatusTable(t *testing.T) {
	is := is.New(t)
	path, _ := serve(t, newFake(), ServerOptions{})
	code, stdout, stderr := runCLI(path, nil, "status")
	is.Equal(stderr, "")
	is.Equal(code, ExitOK)
	want := `cgroup mode: v2
NAME             STATE   PID  UPTIME  RESTARTS  LAST-EXIT          MEMORY
gateway-default  up      41   3m12s   2         exit 1             48.2 MiB
gateway-work     down    -    -       0         -                  -
dashboard        failed  -    -       5         signal KILL (OOM)  -
dashboard: crash loop: 5 fast deaths
`
	if stdout != want {
		t.Errorf("status table:\n%s\nwant:\n%s", stdout, want)
	}
}

func TestStatusJSON(t *testing.T) {
	is := is.New(t)
	f := newFake()
	path, _ := serve(t, f, ServerOptions{})
	code, stdout, stderr := runCLI(path, nil, "status", "--json")
	is.Equal(stderr, "")
	is.Equal(code, ExitOK)
	var got Status
	is.NoErr(json.Unmarshal([]byte(stdout), &got)) // stdout is the Status JSON
	want, _ := json.Marshal(f.Status())
	again, _ := json.Marshal(got)
	is.Equal(string(again), string(want)) // nothing lost
	is.True(strings.Contains(stdout, `"cgroup_mode": "v2"`))
	is.True(strings.Contains(stdout, `"memory_bytes": 50593792`))
}

func TestCtlExitStatuses(t *testing.T) {
	f := newFake()
	path, _ := serve(t, f, ServerOptions{})
	stale := filepath.Join(t.TempDir(), "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()

	cases := []struct {
		name   string
		socket string // "" = the live server
		setup  func() func()
		args   []string
		code   int
		stdout string // substring wanted on stdout
		stderr string // substring wanted on stderr
	}{
		{name: "status", args: []string{"status"}, code: ExitOK, stdout: "gateway-default"},
		{name: "start", args: []string{"start", "work"}, code: ExitOK, stdout: "gateway-work: up (pid 100)\n"},
		{name: "wait up", args: []string{"wait", "work", "up"}, code: ExitOK, stdout: "gateway-work: up"},
		{name: "restart", args: []string{"restart", "gateway-work"}, code: ExitOK, stdout: "gateway-work: up (pid 101)"},
		{name: "stop", args: []string{"stop", "work", "--timeout", "10s"}, code: ExitOK, stdout: "gateway-work: down\n"},
		{name: "wait down", args: []string{"wait", "--timeout=5", "work", "down"}, code: ExitOK},
		{name: "health", args: []string{"health"}, code: ExitOK, stdout: "healthy: every service that should run is up\n"},
		{name: "unhealthy", setup: func() func() {
			f.healthy, f.detail = false, "dashboard is failed"
			return func() { f.healthy = true }
		}, args: []string{"health"}, code: ExitFailed, stdout: "unhealthy: dashboard is failed\n"},
		{name: "unknown profile", args: []string{"start", "nosuch"}, code: ExitFailed, stderr: `hermes-init: ctl: no such profile or service: "nosuch"`},
		{name: "internal", setup: func() func() {
			f.panicOn = OpStatus
			return func() { f.panicOn = "" }
		}, args: []string{"status"}, code: ExitFailed, stderr: "hermes-init: ctl: status: internal error in hermes-init"},
		{name: "wait timeout", args: []string{"wait", "work", "up", "--timeout", "150ms"}, code: ExitTimeout,
			stderr: "hermes-init: ctl: wait work up: timed out after 150ms (gateway-work is down)"},
		{name: "stop timeout", setup: func() func() {
			f.block = make(chan struct{})
			return func() { f.block = nil }
		}, args: []string{"stop", "default", "--timeout", "0.1"}, code: ExitTimeout, stderr: "stop default: timed out after 100ms"},
		{name: "no socket", socket: filepath.Join(t.TempDir(), "none.sock"), args: []string{"status"}, code: ExitUnreachable,
			stderr: "hermes-init: ctl: cannot reach hermes-init: unable to connect to "},
		{name: "stale socket", socket: stale, args: []string{"health"}, code: ExitUnreachable, stderr: "connection refused (the socket is stale"},

		{name: "help", args: []string{"--help"}, code: ExitOK, stdout: "usage: hermes-init ctl"},
		{name: "no command", args: nil, code: ExitUsage, stderr: "hermes-init: ctl: missing command"},
		{name: "unknown command", args: []string{"reboot"}, code: ExitUsage, stderr: `unknown command "reboot"`},
		{name: "missing profile", args: []string{"stop"}, code: ExitUsage, stderr: "stop needs a PROFILE"},
		{name: "missing state", args: []string{"wait", "work"}, code: ExitUsage, stderr: "wait needs a PROFILE and up or down"},
		{name: "bad state", args: []string{"wait", "work", "sideways"}, code: ExitUsage, stderr: `"sideways" is not up or down`},
		{name: "extra argument", args: []string{"status", "work"}, code: ExitUsage, stderr: `status: unexpected argument "work"`},
		{name: "bad profile", args: []string{"start", "a b"}, code: ExitUsage, stderr: "profile: "},
		{name: "negative timeout", args: []string{"wait", "work", "up", "--timeout", "-1s"}, code: ExitUsage, stderr: "is negative"},
		{name: "bad timeout", args: []string{"wait", "work", "up", "--timeout", "soon"}, code: ExitUsage, stderr: `"soon" is not a duration`},
		{name: "timeout on status", args: []string{"status", "--timeout", "1s"}, code: ExitUsage, stderr: "--timeout is not used by status"},
		{name: "json on start", args: []string{"start", "work", "--json"}, code: ExitUsage, stderr: "--json is only for status"},
		{name: "unknown flag", args: []string{"--force", "status"}, code: ExitUsage, stderr: "flag provided but not defined: -force"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			if c.setup != nil {
				defer c.setup()()
			}
			sock := c.socket
			if sock == "" {
				sock = path
			}
			code, stdout, stderr := runCLI(sock, nil, c.args...)
			is.Equal(code, c.code) // exit status
			if !strings.Contains(stdout, c.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout, c.stdout)
			}
			if !strings.Contains(stderr, c.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, c.stderr)
			}
			if c.stderr == "" && stderr != "" {
				t.Errorf("stderr %q, want none", stderr)
			}
		})
	}
}

func TestCtlSocketFromTheEnvironment(t *testing.T) {
	is := is.New(t)
	path, _ := serve(t, newFake(), ServerOptions{})
	code, _, stderr := runCLI("", map[string]string{EnvSocket: path}, "health")
	is.Equal(stderr, "")
	is.Equal(code, ExitOK) // HERMES_INIT_CONTROL_SOCKET names the socket

	code, _, stderr = runCLI("", map[string]string{EnvSocket: path + ".nope"}, "--socket", path, "health")
	is.Equal(stderr, "")
	is.Equal(code, ExitOK) // --socket wins over the environment

	code, _, stderr = runCLI("", map[string]string{EnvSocket: path + ".nope"}, "health")
	is.Equal(code, ExitUnreachable)
	is.True(strings.Contains(stderr, path+".nope"))
}

func TestExitStatus(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name string
		r    Response
		err  error
		want int
	}{
		{"ok", Response{OK: true}, nil, ExitOK},
		{"healthy", Response{OK: true, Healthy: &yes}, nil, ExitOK},
		{"unhealthy", Response{OK: true, Healthy: &no}, nil, ExitFailed},
		{"unknown profile", Response{Code: CodeUnknownProfile}, nil, ExitFailed},
		{"refused", Response{Code: CodeRefused}, nil, ExitFailed},
		{"busy", Response{Code: CodeBusy}, nil, ExitFailed},
		{"failed", Response{Code: CodeFailed}, nil, ExitFailed},
		{"internal", Response{Code: CodeInternal}, nil, ExitFailed},
		{"bad request from the server", Response{Code: CodeBadRequest}, nil, ExitFailed},
		{"unknown op from the server", Response{Code: CodeUnknownOp}, nil, ExitFailed},
		{"timeout", Response{Code: CodeTimeout}, nil, ExitTimeout},
		{"usage", Response{}, &usageError{"x"}, ExitUsage},
		{"no socket", Response{}, syscall.ENOENT, ExitUnreachable},
		{"connection refused", Response{}, syscall.ECONNREFUSED, ExitUnreachable},
		{"permission denied", Response{}, syscall.EACCES, ExitUnreachable},
		{"no reply in time", Response{}, errors.New("no reply"), ExitUnreachable},
	}
	for _, c := range cases {
		if got := ExitStatus(c.r, c.err); got != c.want {
			t.Errorf("%s: ExitStatus = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"2m", 2 * time.Minute, true},
		{"30", 30 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"25h", 0, false},
		{"soon", 0, false},
	}
	for _, c := range cases {
		got, err := parseTimeout(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseTimeout(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

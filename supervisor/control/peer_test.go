package control

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

const otherUID = 12345 // a uid that is neither root nor allowed

// peerDir is a world-searchable directory holding a copy of the test binary,
// so that a child running as otherUID can execute it and reach a socket
// there (t.TempDir and the go build cache are 0700).
func peerDir(t *testing.T) (dir, bin string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running a client as another uid needs root")
	}
	dir, err := os.MkdirTemp("", "ctlpeer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "control.test")
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// runAs runs the test binary as uid in the helper role, with args after "--".
func runAs(t *testing.T, bin string, uid int, role string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--"}, args...)...)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = append([]string{envHelper + "=" + role, "PATH=/usr/bin:/bin"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the client as uid %d did not finish; stderr:\n%s", uid, errb.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestUnprivilegedPeerIsRefused(t *testing.T) {
	is := is.New(t)
	dir, bin := peerDir(t)
	// 0666 lets the other uid through connect(2), so that SO_PEERCRED is what
	// refuses it.
	path, logs := serve(t, newFake(), ServerOptions{Path: filepath.Join(dir, "run", "control.sock"), Mode: 0o666, AllowUIDs: []int{10000}})

	code, stdout, stderr := runAs(t, bin, otherUID, "ctl", nil, "--socket", path, "stop", "work")
	is.Equal(code, ExitFailed) // ctl exit status when refused
	is.Equal(stdout, "")
	is.Equal(stderr, "hermes-init: ctl: uid 12345 may not control services (allowed: root, uid 10000)\n")

	req, _ := json.Marshal(Request{Op: OpStop, Profile: "work"})
	code, stdout, stderr = runAs(t, bin, otherUID, "call", []string{envRequest + "=" + string(req)}, path)
	is.Equal(stderr, "")
	is.Equal(code, 0) // a reply came
	var r Response
	is.NoErr(json.Unmarshal([]byte(stdout), &r))
	is.Equal(r.Code, CodeRefused)
	is.True(!r.OK)

	is.True(strings.Contains(logs.String(), "control: refused uid 12345 (pid "))
	is.Equal(strings.Count(logs.String(), "control: refused"), 1) // one log line per 10s, not per connection
	r = mustCall(t, path, Request{Op: OpStatus})
	is.True(r.OK)                              // root is still served
	is.Equal(r.Status.Slots[0].State, StateUp) // and nothing was stopped
}

func TestAllowedUIDIsServed(t *testing.T) {
	is := is.New(t)
	dir, bin := peerDir(t)
	path, _ := serve(t, newFake(), ServerOptions{Path: filepath.Join(dir, "run", "control.sock"), Mode: 0o666, AllowUIDs: []int{otherUID}})
	code, stdout, stderr := runAs(t, bin, otherUID, "ctl", []string{EnvSocket + "=" + path}, "start", "work")
	is.Equal(stderr, "")
	is.Equal(code, ExitOK)
	is.Equal(stdout, "gateway-work: up (pid 100)\n")
}

func TestSocketModeKeepsOthersOut(t *testing.T) {
	is := is.New(t)
	dir, bin := peerDir(t)
	// The default 0660 and root's group: the other uid cannot even connect.
	path, _ := serve(t, newFake(), ServerOptions{Path: filepath.Join(dir, "run", "control.sock"), AllowUIDs: []int{otherUID}})
	code, _, stderr := runAs(t, bin, otherUID, "ctl", nil, "--socket", path, "status")
	is.Equal(code, ExitUnreachable) // permission denied on the socket
	is.True(strings.Contains(stderr, "permission denied (run ctl as root or as the gateway user)"))
}

// holdCount is how many connections the "hold" helper keeps open.
const holdCount = 1000

// holdConnections is the "hold" helper: it connects holdCount times to the
// socket and sends nothing, says "holding" on stdout, and keeps the
// connections until its stdin closes (an agent's tool, as the gateway's uid,
// trying to keep everybody else out).
func holdConnections(path string) int {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < holdCount+64 {
		lim.Cur = min(lim.Max, holdCount+64)
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	var conns []net.Conn
	for len(conns) < holdCount {
		c, err := net.Dial("unix", path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "connection %d: %v\n", len(conns), err)
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestIdleConnectionsOfTheGatewayUIDDoNotStarveRoot: the gateway's uid
// holds 1,000 connections that say nothing; root's health requests (Docker's
// HEALTHCHECK) are answered every time meanwhile, the held connections are
// answered busy beyond the uid's own budget, and the rest are let go after
// the first-byte deadline.
func TestIdleConnectionsOfTheGatewayUIDDoNotStarveRoot(t *testing.T) {
	is := is.New(t)
	dir, bin := peerDir(t)
	path, _ := serve(t, newFake(), ServerOptions{Path: filepath.Join(dir, "run", "control.sock"), Mode: 0o666, AllowUIDs: []int{otherUID}})
	cmd := exec.Command(bin, "--", path)
	cmd.Env = []string{envHelper + "=hold", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherUID, Groups: []uint32{}}}
	stdin, err := cmd.StdinPipe()
	is.NoErr(err)
	out, err := cmd.StdoutPipe()
	is.NoErr(err)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	is.NoErr(cmd.Start())
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	is.NoErr(err) // the helper connected (stderr in the message)
	is.Equal(line, "holding\n")
	for i := range 50 {
		r := mustCall(t, path, Request{Op: OpHealth})
		if !r.OK || r.Healthy == nil || !*r.Healthy {
			t.Fatalf("health request %d as root while uid %d holds %d connections: %+v", i, otherUID, holdCount, r)
		}
	}
}

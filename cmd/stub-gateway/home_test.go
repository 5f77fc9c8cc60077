package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/gateway"
)

// TestUnknownKeysPreserved: every write is a merge; desired_state and keys
// the stub does not know keep their values and their places.
func TestUnknownKeysPreserved(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	home := t.TempDir()
	seed := `{"desired_state":"running","custom":{"nested":[1,2.5,"x"]},"gateway_state":"running","platforms":{"telegram":{"state":"connected"}}}` + "\n"
	is.NoErr(os.WriteFile(filepath.Join(home, gateway.StateFile), []byte(seed), 0o644))
	s := startStub(t, home, home, []string{"gateway", "run", "--replace"})
	s.waitRunning()
	check := func(state string) {
		st, warns := gateway.ReadState(home)
		is.Equal(len(warns), 0)
		is.Equal(st.Keys()[:4], []string{"desired_state", "custom", "gateway_state", "platforms"}) // original keys first, in order
		custom, _ := st.Raw("custom")
		is.Equal(string(custom), `{"nested":[1,2.5,"x"]}`)
		platforms, _ := st.Raw("platforms")
		is.Equal(string(platforms), `{"telegram":{"state":"connected"}}`)
		desired, _ := st.String(gateway.KeyDesiredState)
		is.Equal(desired, "running")
		got, _ := st.String(gateway.KeyGatewayState)
		is.Equal(got, state)
	}
	check(gateway.StateRunning)
	s.signal(syscall.SIGINT)
	is.Equal(s.wait(), exit{code: 0})
	check(gateway.StateStopped)
}

// TestSymlinkedStateNotFollowed: a gateway_state.json that is a symlink is
// never written through; the stub warns and goes on.
func TestSymlinkedStateNotFollowed(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	home, outside := t.TempDir(), filepath.Join(t.TempDir(), "target")
	is.NoErr(os.WriteFile(outside, []byte(`{"gateway_state":"stopped"}`), 0o644))
	is.NoErr(os.Symlink(outside, filepath.Join(home, gateway.StateFile)))
	s := startStub(t, home, home, []string{"gateway", "run"})
	s.waitRunning()
	b, err := os.ReadFile(outside)
	is.NoErr(err)
	is.Equal(string(b), `{"gateway_state":"stopped"}`) // the target is untouched
	is.True(strings.Contains(s.stderr.String(), "warning: unable to persist"))
}

func TestNamedProfile(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-p", "work", "gateway", "run", "--replace"},
		{"--profile", "work", "gateway", "run"},
		{"--profile=work", "gateway", "run", "--replace", "--no-supervise"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			root := t.TempDir()
			home := filepath.Join(root, gateway.ProfilesDir, "work")
			is.NoErr(os.MkdirAll(home, 0o755))
			s := startStub(t, root, home, args)
			s.waitLine("stub-gateway: profile=work pid=" + strconv.Itoa(s.pid()) + " state=running")
			is.Equal(s.state()["hermes_home"], canonical(home))
			is.Equal(num(s.pidFile(), "pid"), int64(s.pid()))
			is.True(!exists(filepath.Join(root, gateway.StateFile))) // nothing in the root home
			s.signal(syscall.SIGTERM)
			is.Equal(s.wait(), exit{code: 1})
		})
	}
}

// TestNamedProfileRefused: a missing profile, or one reached through a
// symlink, is an error (exit 1) and nothing is written.
func TestNamedProfileRefused(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	root, elsewhere := t.TempDir(), t.TempDir()
	s := startStub(t, root, root, []string{"-p", "work", "gateway", "run"})
	is.Equal(s.wait(), exit{code: 1})
	is.NoErr(os.MkdirAll(filepath.Join(root, gateway.ProfilesDir), 0o755))
	is.NoErr(os.Symlink(elsewhere, filepath.Join(root, gateway.ProfilesDir, "work")))
	s = startStub(t, root, root, []string{"-p", "work", "gateway", "run"})
	is.Equal(s.wait(), exit{code: 1})
	entries, err := os.ReadDir(elsewhere)
	is.NoErr(err)
	is.Equal(len(entries), 0) // nothing written through the symlink
}

// TestStalePIDFileReplaced: a gateway.pid naming a dead process, in any of
// the shapes found on volumes, does not block the start (#13655).
func TestStalePIDFileReplaced(t *testing.T) {
	t.Parallel()
	dead := deadPid(t)
	for name, content := range map[string]string{
		"json":    `{"pid":` + strconv.Itoa(dead) + `,"kind":"hermes-gateway","start_time":1}`,
		"legacy":  strconv.Itoa(dead) + "\n",
		"garbage": "\x00\x01 not a pid",
		"empty":   "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			home := t.TempDir()
			path := filepath.Join(home, gateway.PIDFile)
			is.NoErr(os.WriteFile(path, []byte(content), 0o644))
			s := startStub(t, home, home, []string{"gateway", "run"})
			s.waitRunning()
			is.Equal(num(s.pidFile(), "pid"), int64(s.pid())) // the file is ours now
		})
	}
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(stubBin, "version")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestLiveHolderWithoutReplace: without --replace a live gateway keeps the
// PID file and the newcomer exits 1.
func TestLiveHolderWithoutReplace(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startGateway(t)
	a.waitRunning()
	b := startStub(t, a.home, a.home, []string{"gateway", "run"})
	is.Equal(b.wait(), exit{code: 1})
	is.True(strings.Contains(b.stderr.String(), "another gateway instance is already running (pid "+strconv.Itoa(a.pid())))
	is.True(!a.exited())
	is.Equal(num(a.pidFile(), "pid"), int64(a.pid()))
	is.Equal(num(a.state(), "pid"), int64(a.pid())) // the newcomer wrote no state
}

// TestReplaceTakesOver: --replace stops the live holder as a planned
// takeover (exit 0, stopped) and then runs in its place.
func TestReplaceTakesOver(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startGateway(t)
	a.waitRunning()
	b := startStub(t, a.home, a.home, []string{"gateway", "run", "--replace"})
	is.Equal(a.wait(), exit{code: 0}) // the old one exits as a planned takeover
	a.waitLine("signal=SIGTERM stop=takeover")
	b.waitRunning()
	b.waitLine("replace old_pid=" + strconv.Itoa(a.pid()) + " result=exited")
	is.Equal(num(b.pidFile(), "pid"), int64(b.pid()))
	is.Equal(num(b.state(), "pid"), int64(b.pid()))
	is.Equal(b.state()[gateway.KeyGatewayState], gateway.StateRunning)
	is.Equal(num(b.ledger(), "pid"), int64(b.pid()))
	is.True(!exists(filepath.Join(a.home, gateway.TakeoverMarkerFile))) // consumed
}

// TestReplaceKillsStuckHolder: a holder that ignores SIGTERM is killed
// after the takeover wait.
func TestReplaceKillsStuckHolder(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := startGateway(t, "STUB_IGNORE_TERM=1")
	a.waitRunning()
	b := startStub(t, a.home, a.home, []string{"gateway", "run", "--replace"})
	is.Equal(a.wait(), exit{code: -1, signal: syscall.SIGKILL})
	b.waitLine("replace old_pid=" + strconv.Itoa(a.pid()) + " result=killed")
	b.waitRunning()
	is.Equal(num(b.pidFile(), "pid"), int64(b.pid()))
}

// TestUnprivilegedUser: the image runs the gateway as uid 10000 in a home
// it owns while hermes-init, as root, writes the planned-stop marker there.
// The stub creates its files 0644 as itself and consumes root's marker.
func TestUnprivilegedUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to uid 10000")
	}
	t.Parallel()
	is := is.New(t)
	const uid = 10000
	home := t.TempDir()
	is.NoErr(os.Chmod(filepath.Dir(home), 0o755)) // t.TempDir's parent is 0700
	is.NoErr(os.Chown(home, uid, uid))
	s := startStubAs(t, &syscall.Credential{Uid: uid, Gid: uid}, home, home,
		[]string{"gateway", "run", "--replace"}, "STUB_TOOLS=setsid-ignoreterm")
	s.waitRunning()
	s.waitLine("tool kind=setsid-ignoreterm ")
	for _, name := range []string{gateway.StateFile, gateway.PIDFile, gateway.StateDir} {
		fi, err := os.Lstat(filepath.Join(home, name))
		is.NoErr(err)
		is.Equal(fi.Sys().(*syscall.Stat_t).Uid, uint32(uid)) // owned by the gateway user
	}
	is.NoErr(gateway.WritePlannedStopMarker(home, s.pid(), os.Getpid())) // as root, like hermes-init
	s.signal(syscall.SIGTERM)
	is.Equal(s.wait(), exit{code: 0})
	is.Equal(s.state()[gateway.KeyGatewayState], gateway.StateStopped)
	is.True(!exists(filepath.Join(home, gateway.PlannedStopMarkerFile))) // consumed
}

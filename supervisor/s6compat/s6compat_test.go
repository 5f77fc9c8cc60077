package s6compat

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/supervisor/control"
)

func TestGetopt(t *testing.T) {
	is := is.New(t)
	opts, rest, bad := getopt([]string{"-wu", "-T", "500", "-dx", "dir", "extra"}, "dxT:w:")
	is.Equal(bad, byte(0))
	is.Equal(opts, []opt{{'w', "u"}, {'T', "500"}, {c: 'd'}, {c: 'x'}})
	is.Equal(rest, []string{"dir", "extra"})
	_, _, bad = getopt([]string{"-Z", "dir"}, "dxT:w:")
	is.Equal(bad, byte('Z')) // unknown letter
	_, _, bad = getopt([]string{"-T"}, "T:")
	is.Equal(bad, byte('T')) // missing argument
	_, rest, _ = getopt([]string{"--", "-d"}, "d")
	is.Equal(rest, []string{"-d"}) // -- ends the options
}

func TestHumanStatus(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cases := []struct {
		v    view
		want string
	}{
		{view{up: true, pid: 12, wantUp: true, normallyUp: true, stamp: now.Add(-45 * time.Second)}, "up (pid 12) 45 seconds"},
		{view{up: true, pid: 12, normallyUp: false, stamp: now}, "up (pid 12) 0 seconds, normally down, want down"},
		{view{exitCode: 0, signum: -1, normallyUp: true, wantUp: true, stamp: now.Add(-3 * time.Second), readyStamp: now.Add(-2 * time.Second)}, "down (exitcode 0) 3 seconds, normally up, want up, ready 2 seconds"},
		{view{exitCode: -1, signum: 15, signal: "SIGTERM", stamp: now, readyStamp: now}, "down (signal SIGTERM) 0 seconds, ready 0 seconds"},
		{view{exitCode: -1, signum: 9, signal: "SIGKILL", finishing: true, stamp: now}, "down (signal SIGKILL) 0 seconds"},
	}
	for _, c := range cases {
		if got := humanStatus(c.v, now, false); got != c.want {
			t.Errorf("humanStatus(%+v) = %q, want %q", c.v, got, c.want)
		}
	}
	is.New(t).Equal(humanStatus(view{signum: 9, signal: "SIGKILL", stamp: now, readyStamp: now}, now, true), "down (signal 9) 0 seconds, ready 0 seconds")
}

func TestViewOf(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	now := time.Now()
	code := 1
	st := control.SlotStatus{State: control.StateBackoff, Want: control.WantUp, LastExit: &control.Exit{Code: &code, At: now.Add(-time.Second)}, Since: now}
	v := viewOf(st, dir, now)
	is.True(!v.up && v.wantUp && v.normallyUp && v.ready())
	is.Equal(v.exitCode, 1)
	is.Equal(v.pid, 0)
	st = control.SlotStatus{State: control.StateFinishing, Want: control.WantUp, LastExit: &control.Exit{Signal: "TERM", At: now}}
	v = viewOf(st, dir, now) // process gone, ./finish running
	is.True(!v.up && v.finishing && !v.ready())
	is.Equal(v.signal, "SIGTERM")
	is.Equal(v.signum, 15)
	st.State, st.Want = control.StateDraining, control.WantDown
	is.True(!viewOf(st, dir, now).ready()) // a stop's leftovers still have their grace
	st.State = control.StateCleaning
	is.True(!viewOf(st, dir, now).ready()) // on the way down: not over yet
	st.Want = control.WantUp
	is.True(viewOf(st, dir, now).ready()) // about to start: down and ready, as in backoff
	st.State, st.Want = control.StateUp, control.WantUp
	is.True(viewOf(st, dir, now).ready()) // no pid in up is no longer read as ./finish running
	os.WriteFile(filepath.Join(dir, "down"), nil, 0o644)
	v = viewOf(control.SlotStatus{State: control.StateUp, Pid: 7, UptimeSeconds: 2}, dir, now)
	is.True(v.up && !v.normallyUp && !v.wantUp)
	is.True(now.Sub(v.stamp) > time.Second) // up since the start
}

func TestTAI64N(t *testing.T) {
	is := is.New(t)
	// s6-tai64n printed @400000006b0917c906bdf6ac at Unix 1795757988.
	is.Equal(tai64n(time.Unix(1795757988, 0x06bdf6ac))[:25], "@400000006b0917c906bdf6ac")
}

func TestEnvdirRoundTrip(t *testing.T) {
	is := is.New(t)
	dir := filepath.Join(t.TempDir(), "env")
	is.NoErr(os.MkdirAll(dir, 0o755))
	is.NoErr(os.WriteFile(filepath.Join(dir, "STALE"), []byte("x"), 0o644))
	env := []string{"A=1", "EMPTY=", "NL=two\nlines\n", "B=x=y", ".HIDDEN=1", "BAD"}
	is.NoErr(WriteEnvdir(dir, env))
	_, err := os.Stat(filepath.Join(dir, "STALE"))
	is.True(os.IsNotExist(err)) // the envdir is this boot's only
	fi, err := os.Stat(filepath.Join(dir, "A"))
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o644))
	is.NoErr(os.WriteFile(filepath.Join(dir, "UNSET"), nil, 0o644)) // an empty file unsets
	got, err := ReadEnvdir(dir, []string{"PATH=/bin", "UNSET=gone", "A=old"})
	is.NoErr(err)
	slices.Sort(got)
	is.Equal(got, []string{"A=1", "B=x=y", "EMPTY=", "NL=two\nlines\n", "PATH=/bin"})
}

func TestKeepEnv(t *testing.T) {
	is := is.New(t)
	is.True(keepEnv([]string{"S6_KEEP_ENV=1"}))
	is.True(!keepEnv([]string{"S6_KEEP_ENV=0"}))
	is.True(!keepEnv([]string{"S6_KEEP_ENV="}))
	is.True(!keepEnv(nil))
}

func TestParseLogScript(t *testing.T) {
	is := is.New(t)
	sc, err := parseLogScript([]string{"1", "n10", "s1000000", "T", "/var/log/x"})
	is.NoErr(err)
	is.True(sc.stdout)
	is.Equal(len(sc.dirs), 1)
	is.Equal(sc.dirs[0].Keep, 10)
	is.Equal(sc.dirs[0].MaxBytes, int64(1000000))
	for _, bad := range [][]string{{"+foo", "/x"}, {"s100", "/x"}, {"nX", "/x"}, {"n3"}, {"=status"}} {
		_, err := parseLogScript(bad)
		is.True(err != nil) // refused
	}
}

func TestScanDirAndSpec(t *testing.T) {
	is := is.New(t)
	scan := t.TempDir()
	mk := func(name string, files map[string]string) {
		d := filepath.Join(scan, name)
		is.NoErr(os.MkdirAll(d, 0o755))
		for f, text := range files {
			is.NoErr(os.WriteFile(filepath.Join(d, f), []byte(text), 0o755))
		}
	}
	mk("plain", map[string]string{"run": "#!/bin/sh\n"})
	mk("full", map[string]string{"run": "#!/bin/sh\n", "finish": "#!/bin/sh\n", "down": "", "timeout-kill": "1500\n", "timeout-finish": "0\n"})
	mk("norun", map[string]string{"finish": "x"})
	mk(".staging", map[string]string{"run": "x"})
	is.NoErr(os.WriteFile(filepath.Join(scan, "file"), nil, 0o644))
	is.NoErr(os.Symlink(filepath.Join(scan, "plain"), filepath.Join(scan, "link")))
	dirs, warnings, err := ReadScanDir(scan)
	is.NoErr(err)
	var names []string
	for _, d := range dirs {
		names = append(names, d.Name)
	}
	is.Equal(names, []string{"full", "link", "plain"}) // dot entries and files skipped, symlinks followed
	is.Equal(len(warnings), 1)                         // norun
	is.True(strings.Contains(warnings[0], "norun"))

	full := dirs[0]
	is.True(full.Down && full.Finish)
	is.Equal(full.TimeoutKill, 1500*time.Millisecond)
	is.Equal(full.TimeoutFinish, unlimited)
	spec := full.Spec([]string{"PATH=/bin"})
	is.Equal(spec.Argv, []string{filepath.Join(scan, "full", "run"), "full"})
	is.Equal(spec.Dir, filepath.Join(scan, "full"))
	is.Equal(spec.Finish, []string{filepath.Join(scan, "full", "finish")})
	is.Equal(spec.StopTimeout, 1500*time.Millisecond)
	is.True(!spec.Autostart && !spec.AlwaysRestart)
	is.Equal(spec.Source, "scandir")

	plain := dirs[2].Spec(nil)
	is.True(plain.Autostart && plain.AlwaysRestart) // no ./finish: restart after any exit
	is.Equal(plain.StopTimeout, time.Duration(-1))  // no timeout-kill: never SIGKILL
	is.Equal(dirs[2].TimeoutFinish, DefaultFinishTimeout)
}

func TestScanDirOwnerRunsTheService(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	is := is.New(t)
	scan := t.TempDir()
	d := filepath.Join(scan, "mine")
	is.NoErr(os.MkdirAll(d, 0o755))
	is.NoErr(os.WriteFile(filepath.Join(d, "run"), []byte("#!/bin/sh\n"), 0o755))
	is.NoErr(os.Chown(d, 10000, 10001))
	dirs, _, err := ReadScanDir(scan)
	is.NoErr(err)
	spec := dirs[0].Spec(nil)
	is.True(spec.Cred != nil)
	is.Equal(*spec.Cred, syscall.Credential{Uid: 10000, Gid: 10001, Groups: []uint32{10001}}) // never more than its creator
}

func TestPrepareAndWriteSlotDir(t *testing.T) {
	is := is.New(t)
	scan := filepath.Join(t.TempDir(), "service")
	is.NoErr(os.MkdirAll(filepath.Join(scan, "gateway-old"), 0o755))
	is.NoErr(os.MkdirAll(filepath.Join(scan, ".gateway-x.tmp"), 0o755))
	is.NoErr(os.MkdirAll(filepath.Join(scan, "other"), 0o755))
	self := Owner{UID: -1, GID: -1}
	is.NoErr(PrepareScanDir(scan, "/run/hermes-init/control.sock", self))
	entries, _ := os.ReadDir(scan)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	is.Equal(names, []string{".s6-svscan", "other"}) // stale slots and staging gone, others kept
	sock, err := socketOf(scan)
	is.NoErr(err)
	is.Equal(sock, "/run/hermes-init/control.sock")

	is.NoErr(WriteSlotDir(scan, Slot{Profile: "work", Down: true}, self))
	d := filepath.Join(scan, "gateway-work")
	for _, f := range []string{"type", "run", "finish", "log/run", "down", "event", "supervise/event", "log/supervise/control"} {
		_, err := os.Lstat(filepath.Join(d, f))
		is.NoErr(err) // the slot has it
	}
	run, _ := os.ReadFile(filepath.Join(d, "run"))
	is.True(strings.Contains(string(run), "exec s6-setuidgid hermes hermes -p work gateway run --replace"))
	fi, _ := os.Stat(filepath.Join(d, "run"))
	is.Equal(fi.Mode().Perm(), os.FileMode(0o755))
	fi, _ = os.Lstat(filepath.Join(d, "supervise", "control"))
	is.Equal(fi.Mode()&os.ModeNamedPipe, os.ModeNamedPipe)
	_, err = os.Stat(filepath.Join(scan, ".gateway-work.tmp"))
	is.True(os.IsNotExist(err)) // published by rename
	is.NoErr(WriteSlotDir(scan, Slot{Profile: "work"}, self))
	_, err = os.Stat(filepath.Join(d, "down"))
	is.True(os.IsNotExist(err)) // rewritten: starts up now
}

func TestShellQuote(t *testing.T) {
	is := is.New(t)
	is.Equal(shellQuote("work"), "work")
	is.Equal(shellQuote("a b"), "'a b'")
	is.Equal(shellQuote("it's"), `'it'"'"'s'`)
}

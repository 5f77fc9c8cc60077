package svclog

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// untouched records every file below dir, with its content, and returns a
// check that nothing there changed.
func untouched(t *testing.T, dir string) func() {
	snap := func() map[string]string {
		m := map[string]string{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			data, _ := os.ReadFile(p)
			m[p] = string(data)
			return nil
		})
		return m
	}
	before := snap()
	return func() {
		t.Helper()
		if after := snap(); !maps.Equal(before, after) {
			t.Fatalf("something was written outside the log root: %v, was %v", after, before)
		}
	}
}

// newOutside returns a directory outside the log root, holding a file.
func newOutside(t *testing.T) string {
	dir := t.TempDir()
	is.New(t).NoErr(os.WriteFile(filepath.Join(dir, "victim"), []byte("keep\n"), 0o644))
	return dir
}

func TestSymlinksRefused(t *testing.T) {
	cases := []struct {
		name  string
		plant func(t *testing.T, root, outside string) string // returns the refused path
		why   string
	}{
		{"log dir", func(t *testing.T, root, outside string) string {
			os.MkdirAll(filepath.Join(root, "logs/gateways"), 0o755)
			return symlink(t, outside, filepath.Join(root, "logs/gateways/x"))
		}, "symbolic link (refused)"},
		{"component between root and dir", func(t *testing.T, root, outside string) string {
			os.MkdirAll(filepath.Join(outside, "gateways/x"), 0o755)
			return symlink(t, outside, filepath.Join(root, "logs"))
		}, "symbolic link (refused)"},
		{"current", func(t *testing.T, root, outside string) string {
			os.MkdirAll(filepath.Join(root, "logs/gateways/x"), 0o755)
			return symlink(t, filepath.Join(outside, "victim"), filepath.Join(root, "logs/gateways/x/current"))
		}, "symbolic link (refused)"},
		{"dangling current", func(t *testing.T, root, outside string) string {
			os.MkdirAll(filepath.Join(root, "logs/gateways/x"), 0o755)
			return symlink(t, filepath.Join(outside, "new"), filepath.Join(root, "logs/gateways/x/current"))
		}, "symbolic link (refused)"},
		{"lock", func(t *testing.T, root, outside string) string {
			os.MkdirAll(filepath.Join(root, "logs/gateways/x"), 0o755)
			return symlink(t, filepath.Join(outside, "victim"), filepath.Join(root, "logs/gateways/x/lock"))
		}, "symbolic link (refused)"},
		{"hard link as current", func(t *testing.T, root, outside string) string {
			os.MkdirAll(filepath.Join(root, "logs/gateways/x"), 0o755)
			p := filepath.Join(root, "logs/gateways/x/current")
			if err := os.Link(filepath.Join(outside, "victim"), p); err != nil {
				t.Skip("no hard link across these directories:", err)
			}
			return p
		}, "has 2 hard links (refused)"},
		{"FIFO as current", func(t *testing.T, root, outside string) string {
			os.MkdirAll(filepath.Join(root, "logs/gateways/x"), 0o755)
			p := filepath.Join(root, "logs/gateways/x/current")
			is.New(t).NoErr(syscall.Mkfifo(p, 0o644))
			return p
		}, "current"}, // ENXIO from the non-blocking open: no hang either way
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			noLeaks(t)
			is := is.New(t)
			root := t.TempDir()
			out := newOutside(t)
			refused := c.plant(t, root, out)
			unchanged := untouched(t, out)
			stdout, msgs := &syncBuffer{}, &logs{}
			f := NewFan(stdout, 0)
			s, _ := newSink(t, f, "x", Options{Root: root, Logf: msgs.logf})
			wait(t, shell(t, pipe(t, s), "echo hello"), 10*time.Second)
			is.NoErr(s.Close())
			f.Close()
			is.Equal(stdout.String(), "[x] hello\n") // stdout goes on
			m := msgs.String()
			is.True(strings.HasPrefix(m, "[x] unable to log to "+filepath.Join(root, "logs/gateways/x")+": "))
			is.True(strings.Contains(m, refused)) // the message names the path
			is.True(strings.Contains(m, c.why))   // and why
			is.True(strings.HasSuffix(m, "; logging to stdout only"))
			unchanged()
		})
	}
}

func symlink(t *testing.T, target, link string) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestSwappedDirIsNotFollowed: a directory replaced by a symlink while the
// sink writes changes nothing, since every operation is relative to the
// descriptor opened at the start.
func TestSwappedDirIsNotFollowed(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	root := t.TempDir()
	out := newOutside(t)
	unchanged := untouched(t, out)
	f := NewFan(&syncBuffer{}, 0)
	s, dir := newSink(t, f, "x", Options{Root: root, MaxBytes: 200})
	w := pipe(t, s)
	_, err := w.WriteString("first\n")
	is.NoErr(err)
	is.NoErr(os.Rename(dir, dir+".real"))
	symlink(t, out, dir)
	for range 20 { // rotates several times
		_, err = w.WriteString("after the swap, a line of forty bytes\n")
		is.NoErr(err)
	}
	w.Close()
	is.NoErr(s.Close())
	f.Close()
	unchanged()
	names, _ := filepath.Glob(filepath.Join(dir+".real", "@*.s"))
	is.True(len(names) > 0) // the rotations happened in the real directory
}

func TestSecondWriterRefused(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	root := t.TempDir()
	msgs := &logs{}
	f := NewFan(&syncBuffer{}, 0)
	defer f.Close()
	a, _ := newSink(t, f, "x", Options{Root: root})
	b, _ := newSink(t, f, "x", Options{Root: root, Logf: msgs.logf})
	is.True(strings.Contains(msgs.String(), "lock")) // the directory is a's
	is.True(strings.Contains(msgs.String(), "held by another logger"))
	is.True(b.file == nil)
	is.NoErr(b.Close())
	is.NoErr(a.Close())
	c, _ := newSink(t, f, "x", Options{Root: root})
	is.True(c.file != nil) // the lock went with a
	is.NoErr(c.Close())
}

func TestOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files away")
	}
	noLeaks(t)
	is := is.New(t)
	old := unix.Umask(0o077) // modes are exact whatever the umask
	defer unix.Umask(old)
	root := t.TempDir()
	is.NoErr(os.Mkdir(filepath.Join(root, "logs"), 0o700)) // existing: left alone
	f := NewFan(&syncBuffer{}, 0)
	s, dir := newSink(t, f, "o", Options{Root: root, MaxBytes: 100, UID: 12345, GID: 12346})
	wait(t, shell(t, pipe(t, s), `for i in 1 2 3 4 5 6; do echo line $i; done`), 10*time.Second)
	is.NoErr(s.Close())
	f.Close()

	owned := func(path string, uid, gid uint32, mode fs.FileMode) {
		t.Helper()
		fi, err := os.Lstat(path)
		is.NoErr(err)
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid || fi.Mode().Perm() != mode {
			t.Fatalf("%s: owner %d:%d mode %v, want %d:%d %v", path, st.Uid, st.Gid, fi.Mode().Perm(), uid, gid, mode)
		}
	}
	owned(root, 0, 0, 0o700)
	owned(filepath.Join(root, "logs"), 0, 0, 0o700)
	owned(filepath.Join(root, "logs/gateways"), 12345, 12346, 0o755)
	owned(dir, 12345, 12346, 0o755)
	archives, _ := filepath.Glob(filepath.Join(dir, "@*.s"))
	is.True(len(archives) > 0)
	for _, p := range append(archives, filepath.Join(dir, "current"), filepath.Join(dir, "lock")) {
		owned(p, 12345, 12346, 0o644)
	}
}

// TestFullDisk: a log directory that stops taking lines costs the file those
// lines only; stdout goes on, the failure is told once, and the file is used
// again once it works.
func TestFullDisk(t *testing.T) {
	is := is.New(t)
	root := t.TempDir()
	dir := filepath.Join(root, "logs/gateways/full")
	is.NoErr(os.MkdirAll(dir, 0o755))
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=16k"); err != nil {
		t.Skip("cannot mount a small tmpfs:", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	filler := filepath.Join(dir, "filler")
	is.NoErr(os.WriteFile(filler, make([]byte, 8<<10), 0o644))
	defer func(d time.Duration) { retryEvery = d }(retryEvery)
	retryEvery = 10 * time.Millisecond
	noLeaks(t)

	out, msgs := &syncBuffer{}, &logs{}
	f := NewFan(out, 0)
	s, _ := newSink(t, f, "full", Options{Root: root, Logf: msgs.logf})
	w := pipe(t, s)
	line := "a line of some forty bytes, to fill up\n"
	for range 1000 {
		_, err := w.WriteString(line)
		is.NoErr(err)
	}
	eventually(t, 10*time.Second, "the failure is told", func() bool {
		return strings.Contains(msgs.String(), "no space left on device")
	})
	is.NoErr(os.Remove(filler))
	eventually(t, 10*time.Second, "the file is used again", func() bool {
		w.WriteString("probe\n")
		return strings.Contains(msgs.String(), "logging to "+dir+" again")
	})
	_, err := w.WriteString("the end\n")
	is.NoErr(err)
	w.Close()
	is.NoErr(s.Close())
	f.Close()

	m := msgs.String()
	is.Equal(strings.Count(m, "unable to log to"), 1) // told once, not per retry
	is.True(strings.Contains(m, "; logging to stdout only, trying again every"))
	is.Equal(strings.Count(out.String(), "[full] "+line), 1000) // stdout had everything
	data, err := os.ReadFile(filepath.Join(dir, "current"))
	is.NoErr(err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	is.True(strings.HasSuffix(lines[len(lines)-1], "Z the end"))
	// The cut line, if any, was ended before writing went on.
	resumed := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, "Z probe") })
	is.True(resumed > 0)
	for _, l := range lines[resumed:] {
		is.True(strings.HasSuffix(l, "Z probe") || strings.HasSuffix(l, "Z the end"))
	}
	var ok bool
	for _, l := range lines[:resumed] {
		ok = ok || strings.HasSuffix(l, "Z "+strings.TrimSuffix(line, "\n"))
	}
	is.True(ok) // lines before the disk filled are there
}

func TestDirErrors(t *testing.T) {
	is := is.New(t)
	root := t.TempDir()
	is.NoErr(os.WriteFile(filepath.Join(root, "file"), nil, 0o644))
	_, err := openDir(root, "file/x", owner{-1, -1})
	is.True(errors.Is(err, syscall.ENOTDIR))
	_, err = openDir(root, "a/../..", owner{-1, -1})
	is.True(err != nil) // no way up
	symlink(t, t.TempDir(), filepath.Join(root, "link"))
	_, err = openDir(root, "link/x", owner{-1, -1})
	is.True(errors.Is(err, nofollow.ErrSymlink))
	var pe *fs.PathError
	is.True(errors.As(err, &pe))
	is.Equal(pe.Path, filepath.Join(root, "link"))
}

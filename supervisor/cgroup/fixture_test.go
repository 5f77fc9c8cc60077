package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fixture is a copy of a machine of testdata/ladder in a temporary
// directory: the proc files beside fs/, the tree that stands in for the
// cgroup file systems (Options.FSRoot). Setup reads, creates and writes in
// it as it would in /sys/fs/cgroup, so the ladder runs without root.
type fixture struct {
	t    *testing.T
	src  string // testdata/ladder/<name>
	dir  string // the copy: cgroup*, mountinfo*
	fs   string // dir/fs
	pid  string // the test process, hermes-init's stand-in
	made map[string]string
	// made holds the files the fake kernel put in the tree (a fresh
	// cgroup2 mount): they are not Setup's writes.
}

func newFixture(t *testing.T, name string) *fixture {
	t.Helper()
	dir := t.TempDir()
	fx := &fixture{t: t, src: filepath.Join("testdata", "ladder", name), dir: dir, fs: filepath.Join(dir, "fs"),
		pid: strconv.Itoa(os.Getpid()), made: map[string]string{}}
	entries, err := os.ReadDir(fx.src)
	if err != nil {
		t.Fatalf("read fixture %s: %v", fx.src, err)
	}
	for _, e := range entries {
		if e.Name() == "fs" || !e.IsDir() && (strings.HasPrefix(e.Name(), "cgroup") || strings.HasPrefix(e.Name(), "mountinfo")) {
			fx.copyTree(filepath.Join(fx.src, e.Name()), filepath.Join(dir, e.Name()), nil)
		}
	}
	if _, err := os.Stat(fx.fs); err != nil {
		t.Fatalf("fixture %s has no fs/: %v", fx.src, err)
	}
	return fx
}

// copyTree copies from to to, with {{pid}} replaced by the test's pid,
// recording each file copied in made when it is not nil.
func (fx *fixture) copyTree(from, to string, made map[string]string) {
	fx.t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := strings.ReplaceAll(string(b), "{{pid}}", fx.pid)
		if made != nil {
			made[fx.rel(dst)] = s
		}
		return os.WriteFile(dst, []byte(s), 0o644)
	})
	if err != nil {
		fx.t.Fatalf("copy fixture %s: %v", from, err)
	}
}

// rel turns a path of the tree into the path hermes-init would see ("" stays "").
func (fx *fixture) rel(p string) string {
	if p == "" {
		return ""
	}
	r, err := filepath.Rel(fx.fs, p)
	if err != nil || strings.HasPrefix(r, "..") {
		return "outside the fixture: " + p
	}
	return "/" + r
}

// expand writes the test's pid where an expectation says <pid>.
func (fx *fixture) expand(s string) string { return strings.ReplaceAll(s, "<pid>", fx.pid) }

// snapshot lists the tree's directories (ending in "/") and files with their
// contents.
func (fx *fixture) snapshot() map[string]string {
	fx.t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(fx.fs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			snap[fx.rel(p)+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		snap[fx.rel(p)] = string(b)
		return err
	})
	if err != nil {
		fx.t.Fatalf("snapshot %s: %v", fx.fs, err)
	}
	return snap
}

// changes compares two snapshots: the directories made, and what was
// written to each file (appended, or the whole of a new file), leaving out
// what the fake kernel put there.
func (fx *fixture) changes(before, after map[string]string) (dirs []string, writes map[string]string) {
	writes = map[string]string{}
	for p, now := range after {
		was, existed := before[p]
		if k, ok := fx.made[p]; ok {
			was, existed = k, true
		}
		switch {
		case strings.HasSuffix(p, "/"):
			if !existed {
				dirs = append(dirs, strings.TrimSuffix(p, "/"))
			}
		case !existed:
			writes[p] = now
		case now != was:
			writes[p] = strings.TrimPrefix(now, was)
		}
	}
	sort.Strings(dirs)
	return dirs, writes
}

// kernel stands in for mount(2) (Options.mount): it records each call and
// answers with answer, or, when answer is nil, does to the fixture what the
// kernel does: a remount shows "rw" in mountinfo, a cgroup2 mount adds the
// fixture's cgroup2.mountinfo line and cgroup2/ files.
func (fx *fixture) kernel(mountinfo string, answer error, calls *[]string) func(string, string, string, uintptr, string) error {
	return func(source, target, fstype string, flags uintptr, data string) error {
		point := fx.rel(target)
		if flags&unix.MS_REMOUNT != 0 {
			*calls = append(*calls, "remount "+point)
		} else {
			*calls = append(*calls, "mount "+fstype+" "+point)
		}
		if answer != nil {
			return answer
		}
		b, err := os.ReadFile(mountinfo)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		switch {
		case flags&unix.MS_REMOUNT != 0:
			for i, l := range lines {
				if f := strings.Fields(l); len(f) > 5 && f[4] == point {
					f[5] = "rw" + strings.TrimPrefix(f[5], "ro")
					lines[i] = strings.Join(f, " ")
				}
			}
		case fstype == "cgroup2":
			added, err := os.ReadFile(filepath.Join(fx.src, "cgroup2.mountinfo"))
			if err != nil {
				return errors.New("fixture has no cgroup2.mountinfo: " + err.Error())
			}
			lines = append(lines, strings.TrimSpace(string(added)))
			fx.copyTree(filepath.Join(fx.src, "cgroup2"), target, fx.made)
		default:
			return unix.EINVAL
		}
		return os.WriteFile(mountinfo, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
}

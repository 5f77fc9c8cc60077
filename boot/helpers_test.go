package boot

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// tree lays out files under root. A value "dir:" makes a directory, "link:T"
// a symlink to T, "fifo:" a FIFO; anything else is file content.
func tree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names) // parents before children
	for _, name := range names {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		v := files[name]
		var err error
		switch {
		case v == "dir:":
			err = os.MkdirAll(path, 0o755)
		case v == "fifo:":
			err = syscall.Mkfifo(path, 0o644)
		case strings.HasPrefix(v, "link:"):
			err = os.Symlink(strings.TrimPrefix(v, "link:"), path)
		default:
			err = os.WriteFile(path, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot maps every path under root to its content ("dir:", "link:T" or
// "other:" for the rest), for before/after comparisons.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			out[rel] = "link:" + target
		case d.IsDir():
			out[rel] = "dir:"
		case d.Type().IsRegular():
			b, _ := os.ReadFile(path)
			out[rel] = string(b)
		default:
			out[rel] = "other:"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var t0 = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func mustPlan(t *testing.T, in Inputs) Plan {
	t.Helper()
	if in.Now.IsZero() {
		in.Now = t0
	}
	p, err := MakePlan(in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// slot finds a slot by profile name.
func slot(p Plan, profile string) (Slot, bool) {
	for _, s := range p.Slots {
		if s.Profile == profile {
			return s, true
		}
	}
	return Slot{}, false
}

func profiles(p Plan) []string {
	var names []string
	for _, s := range p.Slots {
		names = append(names, s.Profile)
	}
	return names
}

func warningsText(p Plan) string {
	var b strings.Builder
	for _, w := range p.Warnings {
		b.WriteString(w.String() + "\n")
	}
	for _, s := range p.Slots {
		for _, w := range s.Warnings {
			b.WriteString(w.String() + "\n")
		}
	}
	return b.String()
}

func profileTree(names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m["profiles/"+n+"/"+gateway.SoulFile] = "soul"
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

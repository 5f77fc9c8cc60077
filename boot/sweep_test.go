package boot

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hermes-init/hermes-init/gateway/gwconfig"
	"github.com/matryer/is"
)

// Rule 8: gateway.pid and processes.json are swept in every registered home,
// and nothing else.
func TestSweep(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	outside := t.TempDir()
	tree(t, outside, map[string]string{"victim": "keep"})
	keep := map[string]string{
		"gateway.lock":                 "{}",
		"processes.json.lock":          "",
		".gateway-planned-stop.json":   "{}",
		".gateway-takeover.json":       "{}",
		".clean_shutdown":              "",
		"gateway.pid.bak":              "1",
		"gateway_state.json":           `{"gateway_state":"running"}`,
		"state/gateway.lifecycle.json": `{"phase":"running"}`,
	}
	files := merge(profileTree("work", "muxed", "Bad", "default"), keep, map[string]string{
		"gateway.pid":                     `{"pid":7}`,
		"processes.json":                  "[]",
		"profiles/work/gateway.pid":       "7",
		"profiles/work/processes.json":    "[]",
		"profiles/work/gateway.lock":      "{}",
		"profiles/muxed/gateway.pid":      "7",
		"profiles/Bad/gateway.pid":        "7",
		"profiles/default/processes.json": "[]",
		"profiles/nosoul/gateway.pid":     "7",
	})
	tree(t, home, files)
	p := mustPlan(t, Inputs{Home: home, Getenv: env(gwconfig.EnvMultiplex, "1")})
	want := []string{"gateway.pid", "processes.json", "profiles/muxed/gateway.pid", "profiles/work/gateway.pid", "profiles/work/processes.json"}
	for i := range want {
		want[i] = filepath.Join(home, want[i])
	}
	is.Equal(p.Sweep, want) // root first, then profiles in order; multiplexed ones too

	before := snapshot(t, home)
	_, err := Apply(p)
	is.NoErr(err)
	after := snapshot(t, home)
	for path := range before {
		_, still := after[path]
		swept := slices.Contains(want, filepath.Join(home, path))
		is.Equal(still, !swept) // exactly the planned files are gone
	}
	again := mustPlan(t, Inputs{Home: home})
	is.Equal(len(again.Sweep), 0)
	_, err = Apply(again)
	is.NoErr(err) // missing files are fine
}

func TestSweepOddEntries(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	is.NoErr(os.WriteFile(victim, []byte("keep"), 0o644))
	tree(t, home, map[string]string{
		"gateway.pid":    "dir:",
		"processes.json": "link:" + victim,
	})
	p := mustPlan(t, Inputs{Home: home})
	is.Equal(p.Sweep, []string{filepath.Join(home, "processes.json")}) // a symlink is unlinked itself
	is.Equal(len(p.Slots[0].Warnings), 1)
	is.Equal(p.Slots[0].Warnings[0].String(), filepath.Join(home, "gateway.pid")+": is a directory; not swept")
	_, err := Apply(p)
	is.NoErr(err)
	b, err := os.ReadFile(victim)
	is.NoErr(err)
	is.Equal(string(b), "keep") // the target is untouched
	_, err = os.Lstat(filepath.Join(home, "processes.json"))
	is.True(os.IsNotExist(err))
}

// A Plan is a plain value; Apply never deletes anything but stale runtime
// files of a profile home, whatever the Sweep list says.
func TestSweepRefusesForeignPaths(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, merge(profileTree("work"), map[string]string{
		"gateway_state.json":               "{}",
		"profiles/work/gateway_state.json": "{}",
		"logs/gateway.pid":                 "1",
		"profiles/work/sub/gateway.pid":    "1",
		"profiles/Bad/gateway.pid":         "1",
	}))
	other := t.TempDir()
	tree(t, other, map[string]string{"gateway.pid": "1"})
	before := snapshot(t, home)
	for _, path := range []string{
		filepath.Join(home, "gateway_state.json"),
		filepath.Join(home, "profiles/work/gateway_state.json"),
		filepath.Join(home, "logs/gateway.pid"),
		filepath.Join(home, "profiles/work/sub/gateway.pid"),
		filepath.Join(home, "profiles/Bad/gateway.pid"),
		filepath.Join(other, "gateway.pid"),
		filepath.Join(home, "../gateway.pid"),
	} {
		p := mustPlan(t, Inputs{Home: home})
		p.Sweep = []string{path}
		_, err := Apply(p)
		is.True(err != nil && strings.Contains(err.Error(), "refused")) // refused, named
		is.True(strings.Contains(err.Error(), path))
	}
	is.Equal(snapshot(t, home)["gateway_state.json"], before["gateway_state.json"])
	_, err := os.Stat(filepath.Join(other, "gateway.pid"))
	is.NoErr(err)
}

func TestSweepThroughSwappedSymlink(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	outside := t.TempDir()
	tree(t, outside, map[string]string{"gateway.pid": "1"})
	tree(t, home, merge(profileTree("work"), map[string]string{"profiles/work/gateway.pid": "1"}))
	p := mustPlan(t, Inputs{Home: home})
	is.Equal(len(p.Sweep), 1)
	// Between plan and apply the profile directory becomes a symlink.
	is.NoErr(os.RemoveAll(filepath.Join(home, "profiles/work")))
	is.NoErr(os.Symlink(outside, filepath.Join(home, "profiles/work")))
	_, err := Apply(p)
	is.True(err != nil && strings.Contains(err.Error(), "symbolic link"))
	_, err = os.Stat(filepath.Join(outside, "gateway.pid"))
	is.NoErr(err) // never followed
}

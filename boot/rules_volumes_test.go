package boot

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/gwconfig"
)

// The volumes TestPlanAgainstTheRules generates, and how they are laid out.

// File kinds of the generated volumes.
const (
	absent = iota
	regular
	linked    // a symlink to a file or directory outside the home
	dangling  // a symlink to nothing
	directory // a directory where a file belongs
)

type genHome struct {
	state      int // kind of gateway_state.json
	content    stateCase
	pid, procs int // kinds of gateway.pid and processes.json
	ledger     string
	ledgerLink bool // state/ is a symlink to a directory outside
}

// Kinds of entries under profiles/.
const (
	profileDir    = iota // a directory with SOUL.md
	plainDir             // a directory without SOUL.md
	plainFile            // a file
	profileLink          // a symlink to a profile directory outside the home
	siblingLink          // a symlink to another entry
	danglingEntry        // a symlink to nothing
)

type genEntry struct {
	name    string
	kind    int
	sibling string // for siblingLink
	home    genHome
}

type genVolume struct {
	owned        bool
	env          map[string]string
	argv         []string
	config       configCase
	root         genHome
	entries      []genEntry // nil: no profiles/
	profilesLink bool       // profiles/ is a symlink to a directory outside
}

func generateVolume(r *rand.Rand) genVolume {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	v := genVolume{env: map[string]string{
		EnvBootstrapState:     pick("", "", "running", "Running"),
		EnvNoSupervise:        pick("", "", "1", "on"),
		gwconfig.EnvMultiplex: pick("", "", "", "1", "off", "maybe"),
	}}
	v.argv = [][]string{nil, {"gateway", "run"}, {"/opt/hermes/docker/main-wrapper.sh", "gateway", "run"},
		{"gateway", "run", "--no-supervise"}, {"hermes", "chat"}, {"", "dashboard"}, {"sleep", "1"}}[r.IntN(7)]
	v.config = configCases[r.IntN(len(configCases))]
	v.root = genHomeFiles(r)
	if r.IntN(5) == 0 {
		return v // no profiles/
	}
	v.profilesLink = r.IntN(6) == 0
	names := []string{"work", "alpha", "zeta", "m-1_x", "default", "Bad", "a.b", strings.Repeat("l", 242), strings.Repeat("t", 243)}
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	v.entries = []genEntry{} // profiles/ exists
	for _, name := range names[:r.IntN(6)] {
		e := genEntry{name: name, kind: []int{profileDir, profileDir, profileDir, plainDir, plainFile, profileLink, siblingLink, danglingEntry}[r.IntN(8)], home: genHomeFiles(r)}
		v.entries = append(v.entries, e)
	}
	for i := range v.entries {
		if v.entries[i].kind == siblingLink {
			v.entries[i].sibling = v.entries[r.IntN(len(v.entries))].name
		}
	}
	return v
}

func genHomeFiles(r *rand.Rand) genHome {
	kinds := []int{absent, regular, regular, regular, linked, dangling, directory}
	files := []int{absent, absent, regular, linked, directory}
	ledgers := []string{"", `{"phase":"exited"}`, `{"phase":"running"}`, `{"phase":1}`, `nope`}
	return genHome{
		state: kinds[r.IntN(len(kinds))], content: stateCases[r.IntN(len(stateCases))],
		pid: files[r.IntN(len(files))], procs: files[r.IntN(len(files))],
		ledger: ledgers[r.IntN(len(ledgers))], ledgerLink: r.IntN(4) == 0,
	}
}

// layout writes the volume: the home, and a directory outside it that
// links lead to.
func (v genVolume) layout(t *testing.T) (home, outside string) {
	t.Helper()
	home, outside = searchableDir(t), searchableDir(t)
	writeHome(t, home, outside, v.root, "root")
	if v.config.yaml != "" {
		mkfile(t, filepath.Join(home, "config.yaml"), v.config.yaml)
	}
	if v.config.json != "" {
		mkfile(t, filepath.Join(home, "gateway.json"), v.config.json)
	}
	if v.entries != nil {
		pdir := filepath.Join(home, gateway.ProfilesDir)
		if v.profilesLink {
			pdir = filepath.Join(outside, "profiles")
			mklink(t, pdir, filepath.Join(home, gateway.ProfilesDir))
		}
		mkdir(t, pdir)
		for i, e := range v.entries {
			path, tag := filepath.Join(pdir, e.name), fmt.Sprintf("p%d", i)
			switch e.kind {
			case profileDir:
				mkfile(t, filepath.Join(path, gateway.SoulFile), "soul")
				writeHome(t, path, outside, e.home, tag)
			case plainDir:
				mkfile(t, filepath.Join(path, "notes"), "x")
			case plainFile:
				mkfile(t, path, "x")
			case profileLink:
				real := filepath.Join(outside, tag)
				mkfile(t, filepath.Join(real, gateway.SoulFile), "soul")
				writeHome(t, real, outside, e.home, tag)
				mklink(t, real, path)
			case siblingLink:
				mklink(t, e.sibling, path)
			case danglingEntry:
				mklink(t, filepath.Join(outside, "nowhere"), path)
			}
		}
	}
	if v.owned {
		giveTo(t, home, owner)
		giveTo(t, outside, owner)
	}
	return home, outside
}

func writeHome(t *testing.T, dir, outside string, h genHome, tag string) {
	t.Helper()
	mkdir(t, dir)
	state := filepath.Join(dir, gateway.StateFile)
	switch h.state {
	case regular:
		mkfile(t, state, h.content.content)
	case linked:
		mkfile(t, filepath.Join(outside, tag+".json"), h.content.content)
		mklink(t, filepath.Join(outside, tag+".json"), state)
	case dangling:
		mklink(t, filepath.Join(outside, "missing", tag), state)
	case directory:
		mkfile(t, filepath.Join(state, "x"), "x")
	}
	for name, kind := range map[string]int{gateway.PIDFile: h.pid, gateway.ProcessesFile: h.procs} {
		switch kind {
		case regular:
			mkfile(t, filepath.Join(dir, name), "1")
		case linked:
			keep := filepath.Join(outside, "keep-"+tag+"-"+name)
			mkfile(t, keep, "1")
			mklink(t, keep, filepath.Join(dir, name))
		case directory:
			mkfile(t, filepath.Join(dir, name, "x"), "x")
		}
	}
	if h.ledger == "" {
		return
	}
	ledgerDir := filepath.Join(dir, gateway.StateDir)
	if h.ledgerLink {
		ledgerDir = filepath.Join(outside, "ledger-"+tag)
		mklink(t, ledgerDir, filepath.Join(dir, gateway.StateDir))
	}
	mkfile(t, filepath.Join(ledgerDir, gateway.LifecycleFile), h.ledger)
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mkfile(t *testing.T, path, content string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mklink(t *testing.T, to, path string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.Symlink(to, path); err != nil {
		t.Fatal(err)
	}
}

package boot

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/gwconfig"
)

// TestPlanAgainstTheRules generates volumes and checks every decision of
// MakePlan against a model written from the rules of docs/plan.md, not
// from the code: the slots registered and their order, autostart, the prior
// state as the boot log prints it, prior_exit, the seed, the migration, the
// sweep and the multiplex decision. Each volume is laid out both owned by
// root (links refused) and, as root, owned by the gateway user (links
// followed). A failure prints the seed and the volume.
func TestPlanAgainstTheRules(t *testing.T) {
	for seed := uint64(1); seed <= 160; seed++ {
		r := rand.New(rand.NewPCG(seed, 16))
		v := generateVolume(r)
		for _, owned := range []bool{false, true} {
			if owned && os.Geteuid() != 0 {
				continue
			}
			v.owned = owned
			t.Run(fmt.Sprintf("seed%d/owned=%v", seed, owned), func(t *testing.T) {
				checkVolume(t, v)
			})
		}
	}
}

// stateCase is a gateway_state.json content and what the rules say of it.
type stateCase struct {
	content string
	label   string // as the boot log prints it; "None" for no intent
}

var stateCases = []stateCase{
	{`{"gateway_state":"running"}`, "running"},
	{`{"gateway_state":"draining"}`, "running"}, // a transient sub-state of running
	{`{"gateway_state":"degraded","desired_state":null}`, "running"},
	{`{"gateway_state":"starting"}`, "starting"},
	{`{"desired_state":"stopped","gateway_state":"running"}`, "stopped"},
	{`{"desired_state":"running","gateway_state":"stopped"}`, "running"},
	{`{"desired_state":"draining"}`, "draining"}, // desired_state is verbatim
	{`{"gateway_state":"running "}`, "running "},
	{`{"desired_state":NaN,"gateway_state":"running"}`, "nan"}, // NaN is a value, not null
	{`{"desired_state":true}`, "True"},
	{`{"gateway_state":1.0}`, "1.0"},
	{"\xEF\xBB\xBF" + `{"gateway_state":"running"}`, "running"},
	{`[1]`, "None"},
	{`{"gateway_state":`, "None"},
	{`{}`, "None"},
}

// configCase is a Hermes configuration and the multiplex it means.
type configCase struct {
	yaml, json string // "" = no file
	on         bool
}

var configCases = []configCase{
	{"", "", false},
	{"multiplex_profiles: yes\n", "", true},
	{"gateway:\n  multiplex_profiles: on\n", "", true},
	{"multiplex_profiles: 'no'\n", `{"multiplex_profiles": true}`, false},
	{"multiplex_profiles: [\n", `{"multiplex_profiles": 1}`, true}, // invalid YAML: gateway.json decides
	{"gateway:\n  multiplex_profiles: true\n", `{"multiplex_profiles": false}`, false},
	{"model: x\n", `{"gateway": {"multiplex_profiles": "true"}}`, true},
}

var ledgerCases = map[string]gateway.PriorExit{
	"": gateway.PriorExitUnknown, `{"phase":"exited"}`: gateway.PriorExitClean,
	`{"phase":"running"}`: gateway.PriorExitUnclean, `{"phase":1}`: gateway.PriorExitUnknown, `nope`: gateway.PriorExitUnknown,
}

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

// expected is the model's plan.
type expected struct {
	skipped         bool
	slots           []expSlot
	sweep           []string
	seed, migration bool
	multiplex       bool
}

type expSlot struct {
	profile   string
	autostart bool
	label     string
	exit      gateway.PriorExit
}

// expect applies the written rules to the volume's description.
func (v genVolume) expect(home string) expected {
	var e expected
	args := slices.DeleteFunc(slices.Clone(v.argv), func(a string) bool { return a == "" })
	if i := slices.IndexFunc(args, func(a string) bool { return strings.HasSuffix(a, "main-wrapper.sh") }); i >= 0 {
		args = args[i+1:]
	}
	if len(args) > 0 && args[0] == "hermes" {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "dashboard" {
		// Nothing of the reconciler's; stage2's seed happens in every container.
		return expected{skipped: true, seed: v.root.state == absent && v.env[EnvBootstrapState] == "running"}
	}
	switch v.env[gwconfig.EnvMultiplex] {
	case "1":
		e.multiplex = true
	case "off":
	default:
		e.multiplex = v.config.on
	}
	// The root: seed, else migration, else the state file.
	missing := v.root.state == absent || v.owned && v.root.state == dangling
	legacy := len(args) >= 2 && args[0] == "gateway" && args[1] == "run" && !slices.Contains(args, "--no-supervise")
	e.seed = missing && v.root.state == absent && v.env[EnvBootstrapState] == "running"
	e.migration = missing && !e.seed && legacy && v.env[EnvNoSupervise] != "1"
	root := v.slotOf(gateway.DefaultProfile, v.root, false)
	if e.seed || e.migration {
		root.label, root.autostart = "running", true
	}
	e.slots = append(e.slots, root)
	swept := map[*genHome]bool{}
	e.sweep = v.sweepOf(home, &v.root, swept)
	if v.entries == nil || v.profilesLink && !v.owned {
		return e
	}
	byName := map[string]*genEntry{}
	for i := range v.entries {
		byName[v.entries[i].name] = &v.entries[i]
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range byName {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		target, link := resolveEntry(byName, name)
		switch {
		case target == nil, name == gateway.DefaultProfile, !gateway.ValidProfileName(name), len(name) > 242:
			continue // not a profile, or a name refused with a warning
		case link && !v.owned:
			e.slots = append(e.slots, expSlot{profile: name, label: "None", exit: gateway.PriorExitUnknown})
			continue
		}
		s := v.slotOf(name, target.home, e.multiplex)
		e.slots = append(e.slots, s)
		e.sweep = append(e.sweep, v.sweepOf(filepath.Join(home, gateway.ProfilesDir, name), &target.home, swept)...)
	}
	return e
}

// resolveEntry follows an entry's links to a profile directory, or nil.
func resolveEntry(byName map[string]*genEntry, name string) (*genEntry, bool) {
	link := false
	for range len(byName) + 1 {
		e, ok := byName[name]
		switch {
		case !ok:
			return nil, link
		case e.kind == profileDir:
			return e, link
		case e.kind == profileLink:
			return e, true
		case e.kind != siblingLink:
			return nil, link
		}
		name, link = e.sibling, true
	}
	return nil, link // a cycle of links
}

// slotOf decides one home from its files: the intent (as root, a linked
// state file is refused), autostart unless multiplexed, and prior_exit.
func (v genVolume) slotOf(profile string, h genHome, multiplexed bool) expSlot {
	s := expSlot{profile: profile, label: "None", exit: gateway.PriorExitUnknown}
	if h.state == regular || h.state == linked && v.owned {
		s.label = h.content.label
	}
	s.autostart = s.label == "running" && !multiplexed
	if !h.ledgerLink || v.owned {
		s.exit = ledgerCases[h.ledger]
	}
	return s
}

// sweepOf lists a home's stale files once per directory (a link to an
// already swept profile finds nothing left).
func (v genVolume) sweepOf(dir string, h *genHome, swept map[*genHome]bool) []string {
	if swept[h] {
		return nil
	}
	swept[h] = true
	var out []string
	for _, f := range []struct {
		name string
		kind int
	}{{gateway.PIDFile, h.pid}, {gateway.ProcessesFile, h.procs}} {
		if f.kind == regular || f.kind == linked {
			out = append(out, filepath.Join(dir, f.name))
		}
	}
	return out
}

func checkVolume(t *testing.T, v genVolume) {
	home, _ := v.layout(t)
	want := v.expect(home)
	p, err := MakePlan(Inputs{Home: home, MainCommand: v.argv, Getenv: func(k string) string { return v.env[k] }, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	var got expected
	got.skipped = p.SkippedReason != ""
	for _, s := range p.Slots {
		got.slots = append(got.slots, expSlot{s.Profile, s.Autostart, s.Prior.Label(), s.PriorExit})
	}
	got.sweep, got.seed, got.migration = p.Sweep, p.Seed != "", p.Migration != ""
	got.multiplex = p.Multiplex.On && !got.skipped
	slices.Sort(got.sweep)
	slices.Sort(want.sweep)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("volume %+v\nplan  %+v\nrules %+v\nwarnings:\n%s", v, got, want, warningsText(p))
	}
	if _, err := Apply(p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, path := range p.Sweep {
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Fatalf("%s not swept", path)
		}
	}
	again, err := MakePlan(Inputs{Home: home, MainCommand: v.argv, Getenv: func(k string) string { return v.env[k] }, Now: t0})
	if err != nil || len(again.Sweep) != 0 || again.Seed != "" || again.Migration != "" {
		t.Fatalf("work left after Apply: %v %+v", err, again)
	}
}

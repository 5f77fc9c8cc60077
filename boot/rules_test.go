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

package boot

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/gwconfig"
)

// fuzzDirs and fuzzFiles are the vocabulary the fuzzer builds trees from, so
// that random bytes hit the paths the rules care about.
var (
	fuzzDirs = []string{"", "profiles", "profiles/work", "profiles/default", "profiles/Bad",
		"profiles/a b", "profiles/zz", "state", "logs", "profiles/work/state", "profiles/work/logs"}
	fuzzFiles = []string{"SOUL.md", "gateway_state.json", "gateway.pid", "processes.json",
		"gateway.lifecycle.json", "container-boot.log", "container-boot.log.1", "gateway.lock", "state", "logs", "profiles"}
	fuzzStates = []string{`{"gateway_state":"running"}`, `{"gateway_state":"draining"}`,
		`{"desired_state":"stopped","gateway_state":"running"}`, `{"phase":"running"}`, `{"phase":"exited"}`, "\xEF\xBB\xBF{}", `[`, ``}
	logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} profile=[a-z0-9][a-z0-9_-]* prior_state=\S* action=(started|registered) prior_exit=(clean|unclean|unknown)$`)
)

// FuzzPlan builds an arbitrary directory tree (directories, files, symlinks
// inside and out, FIFOs, profile directories with arbitrary names), owned by
// root or, when the first byte says so and the test runs as root, by the
// gateway user (then the plan follows links with that user's rights), and
// checks that MakePlan always decides without panicking and within the
// rules, and that Apply is safe and idempotent on it.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{0x0f, 1, 1, 0, 0, 1, 2, 1, 1, 0, 3, 2, 5, 'w', 'o', 'r', 'k', '2'})
	f.Add([]byte{0x03, 1, 0, 1, 0, 2, 1, 3, 0, 4, 4, 'B', 'A', 'D', '!', 1, 2, 2, 6})
	f.Add([]byte{0x05, 2, 1, 0, 7, 3, 0, 2, 1, 1, 4, 1, 1, 2, 0, 3, 8, 1})
	f.Add([]byte{0x45, 2, 1, 0, 7, 3, 0, 2, 1, 1, 4, 1, 1, 2, 0, 3, 8, 1, 2, 2, 1, 6, 0, 4, 4, 'w', 'o', 'r', 'k'})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Bounded trees keep every execution fast; size is the benchmarks' job.
		data = data[:min(len(data), 2048)]
		owned := len(data) > 0 && data[0]&64 != 0 && os.Geteuid() == 0
		home := t.TempDir()
		if owned {
			home = searchableDir(t)
		}
		in := fuzzInputs(home, data)
		buildFuzzTree(t, home, data[min(1, len(data)):])
		if owned {
			giveTo(t, home, owner)
		}
		p, err := MakePlan(in)
		if err != nil {
			t.Fatalf("MakePlan: %v", err)
		}
		checkPlan(t, home, p)
		checkApply(t, in, p)
	})
}

func fuzzInputs(home string, data []byte) Inputs {
	var flags byte
	if len(data) > 0 {
		flags = data[0]
	}
	kv := []string{}
	if flags&1 != 0 {
		kv = append(kv, EnvBootstrapState, "running")
	}
	if flags&2 != 0 {
		kv = append(kv, gwconfig.EnvMultiplex, "1")
	}
	if flags&16 != 0 {
		kv = append(kv, EnvNoSupervise, "1")
	}
	var argv []string
	if flags&4 != 0 {
		argv = legacyCmd
	}
	if flags&8 != 0 && flags&32 != 0 {
		argv = []string{"hermes", "dashboard"}
	}
	return Inputs{Home: home, MainCommand: argv, Getenv: env(kv...), Now: t0}
}

// buildFuzzTree reads data as records: op, directory, file, then op-specific bytes.
func buildFuzzTree(t *testing.T, home string, data []byte) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	for len(data) > 0 {
		op, dir := next()%5, filepath.Join(home, fuzzDirs[int(next())%len(fuzzDirs)])
		_ = os.MkdirAll(dir, 0o755)
		path := filepath.Join(dir, fuzzFiles[int(next())%len(fuzzFiles)])
		switch op {
		case 0:
			writeNonblock(path, fuzzStates[int(next())%len(fuzzStates)])
		case 1:
			_ = os.MkdirAll(path, 0o755)
		case 2:
			targets := []string{home, filepath.Dir(home), "/etc/hostname", "nowhere", ".", "..", filepath.Join(home, "profiles")}
			_ = os.Symlink(targets[int(next())%len(targets)], path)
		case 3:
			_ = syscall.Mkfifo(path, 0o644)
		case 4:
			n := int(next()) % 8
			name := strings.Map(func(r rune) rune {
				if r == '/' || r == 0 {
					return 'x'
				}
				return r
			}, string(data[:min(n, len(data))]))
			data = data[min(n, len(data)):]
			if name != "" && name != "." && name != ".." {
				_ = os.MkdirAll(filepath.Join(home, "profiles", name), 0o755)
				writeNonblock(filepath.Join(home, "profiles", name, "SOUL.md"), "")
			}
		}
	}
}

// writeNonblock writes a file without hanging on a FIFO the fuzzer made earlier.
func writeNonblock(path, content string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NONBLOCK, 0o644)
	if err == nil {
		f.WriteString(content)
		f.Close()
	}
}

func checkPlan(t *testing.T, home string, p Plan) {
	t.Helper()
	if p.SkippedReason != "" {
		if len(p.Slots)+len(p.Sweep)+len(p.BootLog) != 0 || p.Migration != "" {
			t.Fatalf("skipped plan does something: %+v", p)
		}
		return
	}
	if len(p.Slots) == 0 || p.Slots[0].Profile != "default" || p.Slots[0].Dir != home {
		t.Fatalf("no root slot first: %+v", p.Slots)
	}
	for i, s := range p.Slots[1:] {
		if !gateway.ValidProfileName(s.Profile) || s.Profile == "default" || s.Dir != filepath.Join(home, "profiles", s.Profile) {
			t.Fatalf("bad named slot %+v", s)
		}
		if i > 0 && p.Slots[i].Profile >= s.Profile {
			t.Fatalf("slots not sorted: %q then %q", p.Slots[i].Profile, s.Profile)
		}
	}
	for _, s := range p.Slots {
		checkSlot(t, s)
	}
	for _, path := range p.Sweep {
		if _, _, err := sweepTarget(home, path); err != nil {
			t.Fatalf("plan sweeps a foreign path: %v", err)
		}
	}
	checkOutputs(t, p)
}

func checkSlot(t *testing.T, s Slot) {
	t.Helper()
	if s.Autostart && !s.Prior.Autostart() {
		t.Fatalf("autostart without a running intent: %+v", s)
	}
	if !slices.Contains([]gateway.PriorExit{"clean", "unclean", "unknown"}, s.PriorExit) {
		t.Fatalf("prior_exit %q", s.PriorExit)
	}
}

func checkOutputs(t *testing.T, p Plan) {
	t.Helper()
	if len(p.BootLog) != len(p.Slots) || len(p.Summary()) != len(p.Slots) {
		t.Fatalf("%d log lines, %d summary lines for %d slots", len(p.BootLog), len(p.Summary()), len(p.Slots))
	}
	for _, line := range p.BootLog {
		if !logLine.MatchString(line) && !strings.Contains(line, `prior_state="`) {
			t.Fatalf("boot log line %q", line)
		}
	}
	b, err := json.Marshal(p)
	if err != nil || !json.Valid(b) {
		t.Fatalf("JSON: %v", err)
	}
	if err := p.WriteTable(io.Discard); err != nil {
		t.Fatal(err)
	}
}

// checkApply: Apply never panics; after a clean Apply the next plan has
// nothing left to sweep or seed, and applying it changes nothing.
func checkApply(t *testing.T, in Inputs, p Plan) {
	t.Helper()
	if _, err := Apply(p); err != nil {
		return // a tree the fuzzer broke (a FIFO named logs, ...): errors are fine, panics are not
	}
	again, err := MakePlan(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Sweep) != 0 || again.Seed != "" || again.Migration != "" {
		t.Fatalf("work left after Apply: %+v", again)
	}
	before := snapshot(t, in.Home)
	if _, err := Apply(again); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	after := snapshot(t, in.Home)
	if len(before) != len(after) {
		t.Fatalf("second Apply changed the tree:\n%v\n%v", before, after)
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("second Apply changed %s", k)
		}
	}
}

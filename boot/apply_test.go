package boot

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// Apply twice equals Apply once; and Apply writes nothing beyond the plan
// (rule 10: the reconciliation starts nothing and creates no run files).
func TestApplyIdempotent(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, merge(profileTree("work", "idle"), map[string]string{
		"gateway.pid":                      "1",
		"profiles/work/processes.json":     "[]",
		"profiles/work/gateway_state.json": `{"gateway_state":"degraded","platforms":{"x":1}}`,
	}))
	before := snapshot(t, home)
	p := mustPlan(t, Inputs{Home: home, MainCommand: legacyCmd})
	_, err := Apply(p)
	is.NoErr(err)
	once := snapshot(t, home)
	_, err = Apply(p)
	is.NoErr(err)
	is.Equal(snapshot(t, home), once) // idempotent

	want := maps.Clone(before)
	delete(want, "gateway.pid")
	delete(want, "profiles/work/processes.json")
	want["gateway_state.json"] = `{"gateway_state":"running","desired_state":"running","timestamp":1782820800,"migrated_from":"legacy-container-cmd"}` + "\n"
	want["logs"] = "dir:"
	want["logs/container-boot.log"] = strings.Join(p.BootLog, "\n") + "\n"
	is.Equal(once, want) // exactly the planned changes
	is.Equal(once["profiles/work/gateway_state.json"], before["profiles/work/gateway_state.json"])
}

func TestApplyMissingHome(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	p := mustPlan(t, Inputs{Home: home})
	is.NoErr(os.Remove(home))
	_, err := Apply(p)
	is.True(err != nil && strings.Contains(err.Error(), home))
}

// TestApplySurvivesKill kills a process that applies a seed plan over and over
// at arbitrary instants. Afterwards gateway_state.json is absent or complete,
// the boot log holds whole lines only, and one more Apply completes the boot.
func TestApplySurvivesKill(t *testing.T) {
	if home := os.Getenv("BOOT_TEST_KILL_HOME"); home != "" {
		applyForever(t, home)
		return
	}
	is := is.New(t)
	home := t.TempDir()
	for round := range 15 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestApplySurvivesKill$", "-test.count=1")
		cmd.Env = append(os.Environ(), "BOOT_TEST_KILL_HOME="+home)
		is.NoErr(cmd.Start())
		time.Sleep(time.Duration(5+round*3) * time.Millisecond)
		is.NoErr(cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		s := snapshot(t, home)
		if st, ok := s["gateway_state.json"]; ok {
			is.Equal(st, `{"gateway_state":"running"}`+"\n") // never half written
		}
		for _, line := range strings.SplitAfter(s["logs/container-boot.log"], "\n") {
			is.True(line == "" || strings.HasSuffix(line, " prior_exit=unknown\n")) // whole lines only
		}
	}
	p := mustPlan(t, Inputs{Home: home, Getenv: env(EnvBootstrapState, "running")})
	_, err := Apply(p)
	is.NoErr(err)
	var st map[string]string
	is.NoErr(json.Unmarshal([]byte(snapshot(t, home)["gateway_state.json"]), &st))
	is.Equal(st["gateway_state"], "running")
}

func applyForever(t *testing.T, home string) {
	for i := 0; ; i++ {
		os.Remove(filepath.Join(home, "gateway_state.json"))
		os.WriteFile(filepath.Join(home, "gateway.pid"), []byte("1"), 0o644)
		p, err := MakePlan(Inputs{Home: home, Getenv: env(EnvBootstrapState, "running"), Now: t0.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(p); err != nil {
			t.Fatal(err)
		}
	}
}

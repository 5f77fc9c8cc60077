package boot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// Rule 11: the boot log line, byte for byte.
func TestBootLogLines(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, merge(profileTree("b", "a"), map[string]string{
		"gateway_state.json":                      `{"gateway_state":"draining"}`,
		"state/gateway.lifecycle.json":            `{"phase":"running"}`,
		"profiles/a/gateway_state.json":           `{"desired_state":"stopped"}`,
		"profiles/a/state/gateway.lifecycle.json": `{"phase":"exited"}`,
		"profiles/b/gateway_state.json":           `{"desired_state":"running "}`,
	}))
	p := mustPlan(t, Inputs{Home: home, Now: time.Date(2026, 6, 30, 12, 0, 0, 999, time.UTC)})
	is.Equal(p.BootLog, []string{
		"2026-06-30T12:00:00+0000 profile=default prior_state=running action=started prior_exit=unclean",
		"2026-06-30T12:00:00+0000 profile=a prior_state=stopped action=registered prior_exit=clean",
		"2026-06-30T12:00:00+0000 profile=b prior_state=running  action=registered prior_exit=unknown", // as Python prints it
	})
	empty := t.TempDir()
	p = mustPlan(t, Inputs{Home: empty, Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("IST", 5*3600+1800))})
	is.Equal(p.BootLog, []string{"2026-01-02T03:04:05+0530 profile=default prior_state=None action=registered prior_exit=unknown"})
	p = mustPlan(t, Inputs{Home: empty, Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("PDT", -7*3600))})
	is.True(strings.HasPrefix(p.BootLog[0], "2026-01-02T03:04:05-0700 ")) // local time, %z
}

// TestBootLogLabels: prior states print as upstream's boot log prints them,
// Python's str() of the value, whatever it is.
func TestBootLogLabels(t *testing.T) {
	cases := []struct{ state, label string }{
		{`{"gateway_state":"running"}`, "running"},
		{`{"gateway_state":" running "}`, " running "},
		{`{"gateway_state":"a\nb"}`, "a\nb"},
		{`{"gateway_state":""}`, ""},
		{`{"desired_state":true}`, "True"},
		{`{"desired_state":false,"gateway_state":"running"}`, "False"},
		{`{"desired_state":NaN,"gateway_state":"running"}`, "nan"}, // a value, not null: no fall-through
		{`{"desired_state":-Infinity}`, "-inf"},
		{`{"desired_state":1e16}`, "1e+16"},
		{`{"desired_state":2.50}`, "2.5"},
		{`{"desired_state":{"a":[1,"it's"]}}`, `{'a': [1, "it's"]}`},
		{`{"desired_state":null,"gateway_state":null}`, "None"},
	}
	for _, c := range cases {
		is := is.New(t)
		home := t.TempDir()
		tree(t, home, map[string]string{"gateway_state.json": c.state})
		p := mustPlan(t, Inputs{Home: home})
		action := map[bool]string{true: "started", false: "registered"}[c.label == "running"]
		is.Equal(p.BootLog[0], "2026-06-30T12:00:00+0000 profile=default prior_state="+c.label+" action="+action+" prior_exit=unknown")
		is.Equal(p.Summary()[0], "reconcile: profile=default prior_state="+c.label+" action="+action)
	}
}

func TestBootLogAppendRotateIdempotent(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	logPath := filepath.Join(home, "logs/container-boot.log")
	p := mustPlan(t, Inputs{Home: home})
	_, err := Apply(p)
	is.NoErr(err)
	line := "2026-06-30T12:00:00+0000 profile=default prior_state=None action=registered prior_exit=unknown\n"
	is.Equal(snapshot(t, home)["logs/container-boot.log"], line)
	_, err = Apply(p)
	is.NoErr(err)
	is.Equal(snapshot(t, home)["logs/container-boot.log"], line) // the same plan is not logged twice

	p2 := mustPlan(t, Inputs{Home: home, Now: t0.Add(time.Hour)})
	_, err = Apply(p2)
	is.NoErr(err)
	is.Equal(strings.Count(snapshot(t, home)["logs/container-boot.log"], "\n"), 2) // a new pass appends

	// Just under the limit: no rotation.
	is.NoErr(os.WriteFile(logPath, []byte(strings.Repeat("x", BootLogRotateBytes-1)), 0o644))
	is.NoErr(os.WriteFile(logPath+".1", []byte("old"), 0o644))
	_, err = Apply(p)
	is.NoErr(err)
	s := snapshot(t, home)
	is.Equal(s["logs/container-boot.log.1"], "old")
	is.Equal(len(s["logs/container-boot.log"]), BootLogRotateBytes-1+len(line))

	// At the limit: renamed to .1 (replacing it), then the new lines.
	is.NoErr(os.WriteFile(logPath, []byte(strings.Repeat("y", BootLogRotateBytes)), 0o644))
	_, err = Apply(p2)
	is.NoErr(err)
	s = snapshot(t, home)
	is.Equal(s["logs/container-boot.log.1"], strings.Repeat("y", BootLogRotateBytes))
	is.Equal(s["logs/container-boot.log"], strings.Replace(line, "12:00:00", "13:00:00", 1))
}

func TestBootLogRefusesSymlinks(t *testing.T) {
	cases := []struct {
		name  string
		files func(victim string) map[string]string
	}{
		{"log file", func(v string) map[string]string { return map[string]string{"logs/container-boot.log": "link:" + v} }},
		{"logs dir", func(v string) map[string]string { return map[string]string{"logs": "link:" + filepath.Dir(v)} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			victim := filepath.Join(t.TempDir(), "container-boot.log")
			is.NoErr(os.WriteFile(victim, []byte("keep"), 0o644))
			tree(t, home, merge(c.files(victim), map[string]string{"gateway.pid": "1"}))
			p := mustPlan(t, Inputs{Home: home})
			_, err := Apply(p)
			is.True(err != nil && strings.Contains(err.Error(), "refusing")) // refused, with a reason
			is.True(strings.Contains(err.Error(), filepath.Join(home, "logs")))
			b, _ := os.ReadFile(victim)
			is.Equal(string(b), "keep")
			_, err = os.Stat(filepath.Join(home, "gateway.pid"))
			is.True(os.IsNotExist(err)) // the other steps still ran
		})
	}
}

func TestBootLogRotationFailureWarns(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, map[string]string{
		"logs/container-boot.log":     strings.Repeat("z", BootLogRotateBytes),
		"logs/container-boot.log.1/x": "a non-empty directory blocks the rename",
	})
	warns, err := Apply(mustPlan(t, Inputs{Home: home}))
	is.NoErr(err)
	is.Equal(len(warns), 1)
	is.True(strings.Contains(warns[0].String(), "could not rotate"))
	s := snapshot(t, home)
	is.True(strings.HasSuffix(s["logs/container-boot.log"], "action=registered prior_exit=unknown\n")) // appended anyway
}

package boot

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/gwconfig"
	"github.com/matryer/is"
)

// Rule 1: a dashboard container reconciles nothing.
func TestDashboardSkip(t *testing.T) {
	cases := []struct {
		argv []string
		skip bool
	}{
		{[]string{"/init", "/opt/hermes/docker/main-wrapper.sh", "dashboard", "--host", "0.0.0.0"}, true},
		{[]string{"dashboard"}, true},
		{[]string{"hermes", "dashboard"}, true},
		{[]string{"/init", "dashboard"}, true},
		{[]string{"/opt/hermes/docker/entrypoint-dispatch.sh", "hermes", "dashboard"}, true},
		{[]string{"gateway", "run"}, false},
		{[]string{"dashboards"}, false},
		{[]string{"hermes", "chat", "dashboard"}, false},
		{nil, false},
	}
	for _, c := range cases {
		is := is.New(t)
		home := t.TempDir()
		tree(t, home, merge(profileTree("work"), map[string]string{
			"gateway_state.json": `{"gateway_state":"running"}`, "gateway.pid": "1",
		}))
		p := mustPlan(t, Inputs{Home: home, MainCommand: c.argv, Getenv: env(EnvBootstrapState, "running")})
		is.Equal(p.SkippedReason != "", c.skip) // skip decision for the argv
		if !c.skip {
			continue
		}
		is.Equal(p.SkippedReason, DashboardSkipReason)
		is.Equal(len(p.Slots), 0)   // no slots
		is.Equal(len(p.Sweep), 0)   // no sweep
		is.Equal(len(p.BootLog), 0) // no boot log
		is.Equal(p.Seed, "")
		is.Equal(p.Summary(), []string{"reconcile: skipping (dashboard container — does not need per-profile gateways)"})
		before := snapshot(t, home)
		warns, err := Apply(p)
		is.NoErr(err)
		is.Equal(len(warns), 0)
		is.Equal(snapshot(t, home), before) // nothing touched
	}
	// The skip is decided from the command alone, even without a home.
	p := mustPlan(t, Inputs{Home: filepath.Join(t.TempDir(), "missing"), MainCommand: []string{"dashboard"}})
	is.New(t).Equal(p.SkippedReason, DashboardSkipReason)

	// The image's stage2 hook seeds in every container, a dashboard's too.
	is := is.New(t)
	home := t.TempDir()
	p = mustPlan(t, Inputs{Home: home, MainCommand: []string{"dashboard"}, Getenv: env(EnvBootstrapState, "running")})
	is.Equal(p.SkippedReason, DashboardSkipReason)
	is.Equal(p.Seed, filepath.Join(home, "gateway_state.json"))
	_, err := Apply(p)
	is.NoErr(err)
	is.Equal(snapshot(t, home), map[string]string{"gateway_state.json": `{"gateway_state":"running"}` + "\n"}) // the seed, nothing else
}

// Rule 2: the home must exist and be a readable directory; errors name it.
func TestHomeErrors(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	tree(t, dir, map[string]string{"file": "x"})
	for _, home := range []string{"", filepath.Join(dir, "missing"), filepath.Join(dir, "file")} {
		_, err := MakePlan(Inputs{Home: home, Now: t0})
		is.True(err != nil) // a clear error, not a panic
		is.True(strings.Contains(err.Error(), "home"))
	}
	p := mustPlan(t, Inputs{Home: dir + "/./"})
	is.Equal(p.Home, dir) // cleaned, absolute
	wd, _ := os.Getwd()
	is.NoErr(os.Chdir(dir))
	defer os.Chdir(wd)
	p = mustPlan(t, Inputs{Home: "."})
	is.Equal(p.Home, dir)
}

// TestHomeUnreadable needs a permission error, so as root it re-runs itself
// as nobody (the os/exec helper-process pattern).
func TestHomeUnreadable(t *testing.T) {
	if home := os.Getenv("BOOT_TEST_UNREADABLE_HOME"); home != "" {
		_, err := MakePlan(Inputs{Home: home, Now: t0})
		if err == nil || !strings.Contains(err.Error(), home) || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("err = %v", err)
		}
		return
	}
	is := is.New(t)
	base, err := os.MkdirTemp("", "boot-unreadable")
	is.NoErr(err)
	defer os.RemoveAll(base)
	is.NoErr(os.Chmod(base, 0o755))
	home := filepath.Join(base, "home")
	is.NoErr(os.Mkdir(home, 0o300)) // traversable, not listable
	if os.Geteuid() != 0 {
		t.Setenv("BOOT_TEST_UNREADABLE_HOME", home)
		TestHomeUnreadable(t)
		return
	}
	self, _ := os.Executable()
	bin, _ := os.ReadFile(self)
	is.NoErr(os.WriteFile(filepath.Join(base, "test.bin"), bin, 0o755))
	cmd := exec.Command(filepath.Join(base, "test.bin"), "-test.run=^TestHomeUnreadable$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BOOT_TEST_UNREADABLE_HOME="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Log(string(out))
	}
	is.NoErr(err) // the unprivileged run gets an error naming the home
}

// Rule 3: multiplex registers named slots without autostart; the root is unaffected.
func TestMultiplex(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name      string
		config    *bool
		env       string
		multiplex bool
	}{
		{"unset", nil, "", false},
		{"env 1", nil, "1", true},
		{"env true", nil, "true", true},
		{"env YES", nil, "YES", true},
		{"env on, padded", nil, " on ", true},
		{"env off", nil, "off", false},
		{"env 0", nil, "0", false},
		{"env garbage", nil, "maybe", false},
		{"config true", &yes, "", true},
		{"config false beats env", &no, "1", false},
		{"config true beats env", &yes, "0", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			running := `{"gateway_state":"running"}`
			tree(t, home, merge(profileTree("a", "b"), map[string]string{
				"gateway_state.json": running, "profiles/a/gateway_state.json": running,
				"profiles/b/gateway_state.json": running, "profiles/b/gateway.pid": "1",
			}))
			p := mustPlan(t, Inputs{Home: home, Multiplex: c.config, Getenv: env(gwconfig.EnvMultiplex, c.env)})
			is.Equal(profiles(p), []string{"default", "a", "b"}) // still registered
			is.True(p.Slots[0].Autostart)                        // the root is unaffected
			is.Equal(p.Slots[1].Autostart, !c.multiplex)
			is.Equal(p.Slots[2].Autostart, !c.multiplex)
			is.Equal(p.Slots[2].Prior.Label(), "running")                              // the intent is still reported
			is.Equal(p.Sweep, []string{filepath.Join(home, "profiles/b/gateway.pid")}) // and swept
		})
	}
}

// Rules 5 and 6: the root slot always exists and follows the intent.
func TestRootSlot(t *testing.T) {
	cases := []struct {
		name, state string // state "" = no file
		label       string
		autostart   bool
		warn        string
	}{
		{"empty home", "", "None", false, ""},
		{"running", `{"gateway_state":"running"}`, "running", true, ""},
		{"draining", `{"gateway_state":"draining"}`, "running", true, ""},
		{"degraded", `{"gateway_state":"degraded"}`, "running", true, ""},
		{"starting", `{"gateway_state":"starting"}`, "starting", false, ""},
		{"stopped", `{"gateway_state":"stopped"}`, "stopped", false, ""},
		{"startup_failed", `{"gateway_state":"startup_failed"}`, "startup_failed", false, ""},
		{"desired stopped", `{"gateway_state":"running","desired_state":"stopped"}`, "stopped", false, ""},
		{"desired running", `{"gateway_state":"startup_failed","desired_state":"running"}`, "running", true, ""},
		{"desired null", `{"gateway_state":"degraded","desired_state":null}`, "running", true, ""},
		{"BOM", "\xEF\xBB\xBF{\"gateway_state\":\"running\"}", "running", true, ""},
		{"corrupt", `{"gateway_state":"run`, "None", false, "is not valid JSON"},
		{"array", `["running"]`, "None", false, "is not a JSON object"},
		{"not a string", `{"desired_state":1}`, "1", false, "desired_state is not a string"},
		{"FIFO", "fifo:", "None", false, "is not a regular file (FIFO)"},
		{"directory", "dir:", "None", false, "is not a regular file (directory)"},
		{"symlink", "link:/etc/hostname", "None", false, "is a symbolic link: refusing to follow it as root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			if c.state != "" {
				tree(t, home, map[string]string{"gateway_state.json": c.state})
			}
			p := mustPlan(t, Inputs{Home: home})
			is.Equal(len(p.Slots), 1)
			s := p.Slots[0]
			is.Equal(s.Profile, "default")
			is.Equal(s.Dir, home)
			is.Equal(s.Name(), "gateway-default")
			is.Equal(s.Prior.Label(), c.label)
			is.Equal(s.Autostart, c.autostart)
			is.Equal(s.Action(), map[bool]string{true: "started", false: "registered"}[c.autostart])
			if c.warn == "" {
				is.Equal(len(s.Warnings), 0)
			} else {
				is.Equal(len(s.Warnings), 1)
				is.True(strings.Contains(s.Warnings[0].String(), filepath.Join(home, "gateway_state.json")+": ")) // names the file
				is.True(strings.Contains(s.Warnings[0].Reason, c.warn))
			}
		})
	}
}

// Rule 7: named profiles.
func TestNamedProfiles(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	outside := t.TempDir()
	tree(t, outside, map[string]string{"SOUL.md": "x", "gateway_state.json": `{"gateway_state":"running"}`, "gateway.pid": "1"})
	tree(t, home, merge(profileTree("zeta", "alpha", "m-1_x", "default", "Bad", "-x", "a b", strings.Repeat("l", 252)), map[string]string{
		"profiles/alpha/gateway_state.json":  `{"gateway_state":"running"}`,
		"profiles/zeta/gateway_state.json":   `{"gateway_state":"stopped"}`,
		"profiles/m-1_x/gateway_state.json":  `{"desired_state":"running","gateway_state":"stopped"}`,
		"profiles/Bad/gateway_state.json":    `{"gateway_state":"running"}`,
		"profiles/Bad/gateway.pid":           "1",
		"profiles/default/gateway.pid":       "1",
		"profiles/nosoul/gateway_state.json": `{"gateway_state":"running"}`,
		"profiles/file":                      "not a dir",
		"profiles/soul-dir/SOUL.md":          "dir:", // exists() is true for a directory
		"profiles/soul-link/SOUL.md":         "link:../alpha/SOUL.md",
		"profiles/soul-dangling/SOUL.md":     "link:nowhere",
		"profiles/linked":                    "link:" + outside,
		"profiles/linked-file":               "link:" + filepath.Join(outside, "SOUL.md"),
		"profiles/dangling":                  "link:/nonexistent",
		"profiles/fifo":                      "fifo:",
	}))
	p := mustPlan(t, Inputs{Home: home})
	is.Equal(profiles(p), []string{"default", "alpha", "linked", "m-1_x", "soul-dir", "soul-link", "zeta"}) // sorted, SOUL.md holders only
	alpha, _ := slot(p, "alpha")
	is.True(alpha.Autostart)
	is.Equal(alpha.Dir, filepath.Join(home, "profiles/alpha"))
	zeta, _ := slot(p, "zeta")
	is.True(!zeta.Autostart)
	mx, _ := slot(p, "m-1_x")
	is.True(mx.Autostart) // desired_state wins per profile
	linked, _ := slot(p, "linked")
	is.True(!linked.Autostart) // nothing read through a symlink
	is.Equal(linked.Prior.Label(), "None")
	is.Equal(linked.PriorExit, gateway.PriorExitUnknown)
	is.Equal(linked.Warnings[0].String(), filepath.Join(home, "profiles/linked")+
		": is a symbolic link: refusing to follow it as root (the home belongs to root); nothing is read or swept in it; registered without autostart")
	is.Equal(len(p.Sweep), 0) // not in linked, Bad or default either

	w := warningsText(p)
	is.True(strings.Contains(w, filepath.Join(home, "profiles/default")+": a profile may not be named default"))
	for _, bad := range []string{"Bad", "-x", "a b", strings.Repeat("l", 252)} {
		is.True(strings.Contains(w, filepath.Join(home, "profiles", bad)+": invalid profile name")) // each bad name is named
	}
	is.Equal(len(p.Warnings), 5) // default + four invalid names, nothing for non-profiles
	_, err := os.Stat(filepath.Join(outside, "gateway.pid"))
	is.NoErr(err)
}

func TestProfilesDirUnusable(t *testing.T) {
	cases := []struct {
		name, profiles, warn string
	}{
		{"a file", "x", "not a directory"},
		{"a symlink", "link:", "symbolic link"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			v := c.profiles
			if v == "link:" {
				other := t.TempDir()
				tree(t, other, profileTree("work"))
				v += filepath.Join(other, "profiles")
			}
			tree(t, home, map[string]string{"profiles": v, "gateway_state.json": `{"gateway_state":"running"}`})
			p := mustPlan(t, Inputs{Home: home})
			is.Equal(profiles(p), []string{"default"}) // the root slot still exists
			is.True(p.Slots[0].Autostart)
			is.Equal(len(p.Warnings), 1)
			is.Equal(p.Warnings[0].Path, filepath.Join(home, "profiles"))
			is.True(strings.Contains(p.Warnings[0].Reason, c.warn))
		})
	}
}

// Rule 12: prior_exit per slot.
func TestPriorExit(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, merge(profileTree("a", "b", "c"), map[string]string{
		"state/gateway.lifecycle.json":            `{"phase":"exited"}`,
		"profiles/a/state/gateway.lifecycle.json": `{"phase":"running"}`,
		"profiles/b/state/gateway.lifecycle.json": `{"phase":"stopping"}`,
	}))
	p := mustPlan(t, Inputs{Home: home})
	var got []gateway.PriorExit
	for _, s := range p.Slots {
		got = append(got, s.PriorExit)
	}
	is.Equal(got, []gateway.PriorExit{"clean", "unclean", "unknown", "unknown"})
}

// Rule 13 and the JSON document.
func TestSummaryAndJSON(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, merge(profileTree("work", "Bad"), map[string]string{
		"gateway.pid":                      "1",
		"profiles/work/gateway_state.json": `{"gateway_state":"stopped"}`,
	}))
	p := mustPlan(t, Inputs{Home: home, MainCommand: []string{"gateway", "run"}})
	is.Equal(p.Summary(), []string{
		"reconcile: profile=default prior_state=running action=started",
		"reconcile: profile=work prior_state=stopped action=registered",
	})
	b, err := json.Marshal(p)
	is.NoErr(err)
	want := `{"home":"H","skipped_reason":null,"slots":[` +
		`{"profile":"default","dir":"H","prior_state":"running","autostart":true,"action":"started","prior_exit":"unknown","warnings":[]},` +
		`{"profile":"work","dir":"H/profiles/work","prior_state":"stopped","autostart":false,"action":"registered","prior_exit":"unknown","warnings":[]}],` +
		`"sweep":["H/gateway.pid"],"seed":null,"migration":"H/gateway_state.json",` +
		`"warnings":["H/profiles/Bad: invalid profile name \"Bad\" (must match ^[a-z0-9][a-z0-9_-]*$, at most 251 bytes); skipped, the other profiles are unaffected"],` +
		`"multiplex":{"enabled":false,"source":"default (off): no multiplex_profiles in config.yaml or gateway.json"},` +
		`"read_as":"as root (the home's owner), refusing symbolic links below the home",` +
		`"boot_log":["2026-06-30T12:00:00+0000 profile=default prior_state=running action=started prior_exit=unknown",` +
		`"2026-06-30T12:00:00+0000 profile=work prior_state=stopped action=registered prior_exit=unknown"]}`
	is.Equal(string(b), strings.ReplaceAll(want, "H", home))

	empty := mustPlan(t, Inputs{Home: t.TempDir()})
	b, err = json.Marshal(empty)
	is.NoErr(err)
	is.True(strings.Contains(string(b), `"prior_state":null`))
	is.True(strings.Contains(string(b), `"sweep":[],"seed":null,"migration":null,"warnings":[]`)) // lists never null
	skipped := mustPlan(t, Inputs{Home: home, MainCommand: []string{"dashboard"}})
	b, _ = json.Marshal(skipped)
	is.Equal(string(b), `{"home":"`+home+`","skipped_reason":"dashboard container — does not need per-profile gateways","slots":[],"sweep":[],"seed":null,"migration":null,"warnings":[],"multiplex":null,"read_as":null,"boot_log":[]}`)
}

func TestWriteTable(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, merge(profileTree("work", "default"), map[string]string{
		"gateway_state.json":               `{"gateway_state":"running"}`,
		"profiles/work/gateway_state.json": `{"gateway_state":"oops`,
	}))
	p := mustPlan(t, Inputs{Home: home, Getenv: env(gwconfig.EnvMultiplex, "1")})
	var b strings.Builder
	is.NoErr(p.WriteTable(&b))
	want := "home: H\n" +
		"PROFILE  AUTOSTART  ACTION      PRIOR_STATE  PRIOR_EXIT  DIR\n" +
		"default  yes        started     running      unknown     H\n" +
		"work     no         registered  None         unknown     H/profiles/work\n" +
		"multiplex: on (GATEWAY_MULTIPLEX_PROFILES=1)\n" +
		"read as: as root (the home's owner), refusing symbolic links below the home\n" +
		"sweep: none\nseed: none\nmigration: none\nwarnings:\n" +
		"  [work] H/profiles/work/gateway_state.json: is not valid JSON (unexpected end of JSON input); treating as no prior state\n" +
		"  H/profiles/default: a profile may not be named default: the name is reserved for the root profile's slot; skipped\n"
	is.Equal(b.String(), strings.ReplaceAll(want, "H", home))

	b.Reset()
	is.NoErr(mustPlan(t, Inputs{Home: home, MainCommand: []string{"dashboard"}}).WriteTable(&b))
	is.Equal(b.String(), "home: "+home+"\nskipped: dashboard container — does not need per-profile gateways\n")
	is.Equal(printable("a\nb"), `"a\nb"`)
}

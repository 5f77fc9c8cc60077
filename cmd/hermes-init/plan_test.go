package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

const gatewayUID = 10000 // the Hermes image's gateway user

// giveToGateway makes dir's parents searchable by everyone and hands dir and
// everything below it (links themselves) to the gateway user.
func giveToGateway(t *testing.T, dir string) {
	t.Helper()
	for d := filepath.Dir(dir); d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, gatewayUID, gatewayUID)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlanAsOwner: `hermes-init plan`, run as root, reads the home as its
// owner does: a symlinked profile is read, and config.yaml's multiplex keeps
// named slots down.
func TestPlanAsOwner(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home, elsewhere := filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "real")
	for dir, files := range map[string]map[string]string{
		home:      {"gateway_state.json": `{"gateway_state":"running"}`, "profiles/in/SOUL.md": "s", "profiles/in/gateway_state.json": `{"gateway_state":"running"}`},
		elsewhere: {"SOUL.md": "s", "gateway_state.json": `{"gateway_state":"draining"}`, "gateway.pid": "7"},
	} {
		for name, content := range files {
			is.NoErr(os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
			is.NoErr(os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		}
	}
	is.NoErr(os.Symlink(elsewhere, filepath.Join(home, "profiles", "out")))
	giveToGateway(t, home)
	giveToGateway(t, elsewhere)

	conf := filepath.Join(t.TempDir(), "empty.toml")
	is.NoErr(os.WriteFile(conf, nil, 0o644))
	plan := func(extra ...string) map[string]any {
		cmd := exec.Command(initBin, append([]string{"plan", "--json", "--home", home}, extra...)...)
		cmd.Env = append(os.Environ(), "HERMES_INIT_CONFIG="+conf)
		out, err := cmd.Output()
		is.NoErr(err)
		var v map[string]any
		is.NoErr(json.Unmarshal(out, &v))
		return v
	}
	autostart := func(v map[string]any) map[string]bool {
		m := map[string]bool{}
		for _, s := range v["slots"].([]any) {
			s := s.(map[string]any)
			m[s["profile"].(string)] = s["autostart"].(bool)
		}
		return m
	}
	v := plan()
	is.True(strings.Contains(v["read_as"].(string), "uid 10000"))
	is.Equal(autostart(v), map[string]bool{"default": true, "in": true, "out": true}) // draining reads as running, through the link
	is.Equal(v["sweep"], []any{filepath.Join(home, "profiles/out/gateway.pid")})

	is.NoErr(os.WriteFile(filepath.Join(home, "config.yaml"), []byte("multiplex_profiles: on\n"), 0o644))
	v = plan()
	is.Equal(v["multiplex"], map[string]any{"enabled": true, "source": "config.yaml multiplex_profiles"})
	is.Equal(autostart(v), map[string]bool{"default": true, "in": false, "out": false})
	_, err := os.Stat(filepath.Join(elsewhere, "gateway.pid"))
	is.NoErr(err) // plan changes nothing
}

// TestCtlWritesAsOwner: with a home owned by the gateway user, ctl stop
// writes the planned-stop marker and desired_state with the owner's rights
// (the boot log too): the files are the owner's, even where the gateway,
// running as root here, wrote before.
func TestCtlWritesAsOwner(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	h := newHome(t)
	work := h.addProfile("work")
	h.writeState(work, map[string]any{"gateway_state": "running"})
	giveToGateway(t, h.dir)
	p := h.start()
	h.waitSlot("gateway-work", "up", 10*time.Second)
	out, code := h.ctl("stop", "work")
	is.Equal(code, 0) // ctl stop
	is.True(strings.Contains(out, "down"))
	p.waitLine("[gateway-work] stub-gateway: profile=work", time.Second)
	is.Equal(count(p, "stop=planned"), 1) // the owner's marker reached the gateway
	is.Equal(h.state(work)["desired_state"], "stopped")
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
	p2 := h.start()
	h.waitSlot("gateway-work", "down", 10*time.Second) // the owner's desired_state holds
	for _, f := range []string{"logs/container-boot.log", "profiles/work/gateway_state.json"} {
		fi, err := os.Stat(filepath.Join(h.dir, f))
		is.NoErr(err)
		is.Equal(fi.Sys().(*syscall.Stat_t).Uid, uint32(gatewayUID)) // written as the owner
	}
	p2.signal(syscall.SIGTERM)
	is.Equal(p2.wait(10*time.Second), 0)
}

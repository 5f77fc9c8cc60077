package hermes

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// TestScanAdoptsByThePlansRule: a gateway-<profile> directory registered
// at runtime becomes that profile's gateway slot exactly when the boot plan
// knows the profile (the root one; a named one holding SOUL.md, a symlinked
// one included); any other directory runs its own run script.
func TestScanAdoptsByThePlansRule(t *testing.T) {
	is := is.New(t)
	root := t.TempDir()
	home, scandir, elsewhere := filepath.Join(root, "home"), filepath.Join(root, "service"), filepath.Join(root, "elsewhere")
	for _, d := range []string{home + "/profiles/alpha", home + "/profiles/nosoul", elsewhere + "/linked", scandir} {
		is.NoErr(os.MkdirAll(d, 0o755))
	}
	is.NoErr(os.WriteFile(home+"/profiles/alpha/SOUL.md", nil, 0o644))
	is.NoErr(os.WriteFile(elsewhere+"/linked/SOUL.md", nil, 0o644))
	is.NoErr(os.Symlink(elsewhere+"/linked", home+"/profiles/linked"))

	cfg := config.Default()
	cfg.Gateway.Home, cfg.S6.ScanDir = home, scandir
	cfg.Gateway.UID, cfg.Gateway.GID = -1, -1
	for _, p := range []string{"default", "alpha", "linked", "nosoul", "ghost"} {
		is.NoErr(s6compat.WriteSlotDir(scandir, s6compat.Slot{Profile: p, Down: p == "alpha"}, s6compat.Owner{UID: -1, GID: -1}))
	}
	is.NoErr(os.MkdirAll(scandir+"/other", 0o755))
	is.NoErr(os.WriteFile(scandir+"/other/run", []byte("#!/bin/sh\nexec sleep 1\n"), 0o755))

	log := supervisor.NewLogger(os.Stderr, supervisor.LevelError)
	env := []string{"PATH=/bin", "TZ=UTC"}
	specs, err := newScanDir(cfg, log, []string{"PATH=/bin"}, func() []string { return env }).scan()
	is.NoErr(err)
	byName := map[string]spec.Service{}
	for _, sp := range specs {
		byName[sp.Name] = sp
	}
	is.Equal(len(byName), 6)
	for _, p := range []string{"default", "alpha", "linked"} {
		sp := byName["gateway-"+p]
		is.Equal(sp.Profile, p)                 // adopted as the profile's slot
		is.Equal(sp.Argv, cfg.GatewayArgv(p))   // with the configured gateway command
		is.Equal(sp.Source, spec.SourceScanDir) // dropped with its directory
		is.Equal(sp.Autostart, p != "alpha")    // the down file decides
	}
	is.Equal(byName["gateway-linked"].Home, filepath.Join(home, "profiles", "linked"))
	for _, n := range []string{"gateway-nosoul", "gateway-ghost", "other"} {
		is.Equal(byName[n].Profile, "")                               // not a profile the plan knows
		is.Equal(byName[n].Argv[0], filepath.Join(scandir, n, "run")) // runs its own run script
	}
}

package boot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

var legacyCmd = []string{"/init", "/opt/hermes/docker/main-wrapper.sh", "gateway", "run"}

// Rule 4: first-boot seed and legacy migration, root profile only.
func TestSeedAndMigration(t *testing.T) {
	const seeded = `{"gateway_state":"running"}` + "\n"
	const migrated = `{"gateway_state":"running","desired_state":"running","timestamp":1782820800,"migrated_from":"legacy-container-cmd"}` + "\n"
	cases := []struct {
		name      string
		files     map[string]string
		argv      []string
		env       []string
		seed      bool
		migration bool
		label     string
		source    string
		written   string // gateway_state.json after Apply; "" = absent
	}{
		{"nothing", nil, nil, nil, false, false, "None", "", ""},
		{"seed", nil, nil, []string{EnvBootstrapState, "running"}, true, false, "running", "gateway_state", seeded},
		{"seed value must be exact", nil, nil, []string{EnvBootstrapState, "Running"}, false, false, "None", "", ""},
		{"seed value padded", nil, nil, []string{EnvBootstrapState, "running "}, false, false, "None", "", ""},
		{"seed stopped ignored", nil, nil, []string{EnvBootstrapState, "stopped"}, false, false, "None", "", ""},
		{"seed only without a file", map[string]string{"gateway_state.json": `{"gateway_state":"stopped"}`}, nil,
			[]string{EnvBootstrapState, "running"}, false, false, "stopped", "gateway_state", `{"gateway_state":"stopped"}`},
		{"seed not over an empty file", map[string]string{"gateway_state.json": ""}, nil,
			[]string{EnvBootstrapState, "running"}, false, false, "None", "", ""},
		{"seed not over a dangling symlink", map[string]string{"gateway_state.json": "link:nowhere"}, nil,
			[]string{EnvBootstrapState, "running"}, false, false, "None", "", "link:nowhere"},
		{"migration", nil, legacyCmd, nil, false, true, "running", "desired_state", migrated},
		{"migration, plain argv", nil, []string{"gateway", "run", "--replace"}, nil, false, true, "running", "desired_state", migrated},
		{"seed pre-empts migration", nil, legacyCmd, []string{EnvBootstrapState, "running"}, true, false, "running", "gateway_state", seeded},
		{"no migration over a file", map[string]string{"gateway_state.json": `{"gateway_state":"stopped"}`}, legacyCmd, nil,
			false, false, "stopped", "gateway_state", `{"gateway_state":"stopped"}`},
		{"no migration with --no-supervise", nil, append(legacyCmd, "--no-supervise"), nil, false, false, "None", "", ""},
		{"no migration with NO_SUPERVISE=1", nil, legacyCmd, []string{EnvNoSupervise, "1"}, false, false, "None", "", ""},
		{"no migration with NO_SUPERVISE=TRUE", nil, legacyCmd, []string{EnvNoSupervise, "TRUE"}, false, false, "None", "", ""},
		{"no migration with NO_SUPERVISE=yes", nil, legacyCmd, []string{EnvNoSupervise, "yes"}, false, false, "None", "", ""},
		{"NO_SUPERVISE=on is not honoured", nil, legacyCmd, []string{EnvNoSupervise, "on"}, false, true, "running", "desired_state", migrated},
		{"other command", nil, []string{"gateway", "start"}, nil, false, false, "None", "", ""},
		{"profile flag first", nil, []string{"-p", "work", "gateway", "run"}, nil, false, false, "None", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			tree(t, home, c.files)
			p := mustPlan(t, Inputs{Home: home, MainCommand: c.argv, Getenv: env(c.env...)})
			statePath := filepath.Join(home, "gateway_state.json")
			is.Equal(p.Seed != "", c.seed)
			is.Equal(p.Migration != "", c.migration)
			if c.seed {
				is.Equal(p.Seed, statePath)
			}
			if c.migration {
				is.Equal(p.Migration, statePath)
			}
			root := p.Slots[0]
			is.Equal(root.Prior.Label(), c.label)
			is.Equal(root.Prior.Source, c.source)
			is.Equal(root.Autostart, c.label == "running")

			_, err := Apply(p)
			is.NoErr(err)
			is.Equal(snapshot(t, home)["gateway_state.json"], c.written)
			if c.written == seeded {
				fi, err := os.Stat(statePath)
				is.NoErr(err)
				is.Equal(fi.Mode().Perm(), os.FileMode(0o644)) // as stage2 seeds it
			}
			// The next boot reads what was written and writes nothing more.
			again := mustPlan(t, Inputs{Home: home, MainCommand: c.argv, Getenv: env(c.env...)})
			is.Equal(again.Seed, "")
			is.Equal(again.Migration, "")
			if c.written == seeded || c.written == migrated {
				is.Equal(again.Slots[0].Prior.Label(), "running")
				is.True(again.Slots[0].Autostart)
			}
		})
	}
}

func TestMigrationAndSeedOnlyForRoot(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	tree(t, home, merge(profileTree("work"), map[string]string{"gateway_state.json": `{"gateway_state":"stopped"}`}))
	p := mustPlan(t, Inputs{Home: home, MainCommand: legacyCmd, Getenv: env(EnvBootstrapState, "running")})
	is.Equal(p.Seed, "")
	is.Equal(p.Migration, "")
	work, _ := slot(p, "work")
	is.True(!work.Autostart) // a named profile without state is never seeded
	_, err := Apply(p)
	is.NoErr(err)
	_, err = os.Stat(filepath.Join(home, "profiles/work/gateway_state.json"))
	is.True(os.IsNotExist(err))
}

// A symlinked HERMES_HOME: stage2 refuses to seed "through symlinked path".
func TestSymlinkedHomeRefusesWrites(t *testing.T) {
	cases := []struct {
		name      string
		argv      []string
		env       []string
		warns     []string
		autostart bool
	}{
		{"seed", nil, []string{EnvBootstrapState, "running"}, []string{"refusing seed through symlinked path"}, false},
		{"migration", legacyCmd, nil, []string{"refusing legacy migration write through symlinked path"}, true},
		{"both", legacyCmd, []string{EnvBootstrapState, "running"},
			[]string{"refusing seed through symlinked path", "refusing legacy migration write through symlinked path"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			real := t.TempDir()
			link := filepath.Join(t.TempDir(), "home")
			is.NoErr(os.Symlink(real, link))
			p := mustPlan(t, Inputs{Home: link, MainCommand: c.argv, Getenv: env(c.env...)})
			is.Equal(p.Seed, "")
			is.Equal(p.Migration, "")
			root := p.Slots[0]
			is.Equal(root.Autostart, c.autostart) // a refused migration still honours the command
			is.Equal(len(root.Warnings), len(c.warns))
			for i, w := range c.warns {
				is.Equal(root.Warnings[i].Path, filepath.Join(link, "gateway_state.json"))
				is.True(strings.Contains(root.Warnings[i].Reason, w))
			}
			_, err := Apply(p)
			is.NoErr(err)
			_, err = os.Lstat(filepath.Join(real, "gateway_state.json"))
			is.True(os.IsNotExist(err)) // nothing written through the link
		})
	}
}

func TestApplyRefusesForeignStatePaths(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	p := mustPlan(t, Inputs{Home: home})
	p.Seed = filepath.Join(home, "profiles/x/gateway_state.json")
	_, err := Apply(p)
	is.True(err != nil && strings.Contains(err.Error(), "refusing to seed"))
	p = mustPlan(t, Inputs{Home: home})
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "l")
	is.NoErr(os.Symlink(real, link))
	p.Home, p.Migration, p.BootLog = link, filepath.Join(link, "gateway_state.json"), nil
	_, err = Apply(p)
	is.True(err != nil && strings.Contains(err.Error(), "symlinked path")) // checked again at write time
}

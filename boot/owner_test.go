package boot

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/matryer/is"
)

const owner = 10000 // the gateway user of the Hermes image

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the home to another user")
	}
}

// searchableDir is a temporary directory every user can search
// (t.TempDir's are 0700 down from the test's own directory).
func searchableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// giveTo hands root and everything below it (links themselves) to uid.
func giveTo(t *testing.T, root string, uid int) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ownedHome lays files out in a home owned by the gateway user, and
// elsewhere in a directory outside it (also the user's); "@/x" in a link
// target stands for that directory.
func ownedHome(t *testing.T, files, elsewhere map[string]string) (home, outside string) {
	t.Helper()
	home, outside = searchableDir(t), searchableDir(t)
	tree(t, outside, elsewhere)
	for k, v := range files {
		if rest, ok := strings.CutPrefix(v, "link:@"); ok {
			files[k] = "link:" + outside + rest
		}
	}
	tree(t, home, files)
	giveTo(t, home, owner)
	giveTo(t, outside, owner)
	return home, outside
}

// Symlinks are followed with the owner's rights, as upstream's reconciler
// (running as the gateway user) follows them.
func TestOwnerFollowsLinks(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	running, exited := `{"gateway_state":"running"}`, `{"phase":"exited"}`
	home, outside := ownedHome(t, map[string]string{
		"gateway_state.json":             "link:@/root-state.json",
		"state":                          "link:@/root-ledger",
		"gateway.pid":                    "link:@/keep.pid",
		"profiles/in/SOUL.md":            "soul",
		"profiles/inside":                "link:in",
		"profiles/out":                   "link:@/out",
		"profiles/in/gateway.pid":        "1",
		"profiles/in/gateway_state.json": `{"desired_state":"stopped"}`,
	}, map[string]string{
		"root-state.json":                    running,
		"root-ledger/gateway.lifecycle.json": exited,
		"keep.pid":                           "1",
		"out/SOUL.md":                        "soul",
		"out/gateway_state.json":             `{"gateway_state":"degraded"}`,
		"out/state/gateway.lifecycle.json":   `{"phase":"running"}`,
		"out/processes.json":                 "[]",
	})
	p := mustPlan(t, Inputs{Home: home})
	is.Equal(p.Rights.UID, owner)
	is.True(p.Rights.Follow)
	is.Equal(profiles(p), []string{"default", "in", "inside", "out"})
	root := p.Slots[0]
	is.True(root.Autostart)                          // a symlinked gateway_state.json is read
	is.Equal(root.PriorExit, gateway.PriorExitClean) // a symlinked state/ too
	out, _ := slot(p, "out")
	is.True(out.Autostart) // a profile directory outside the home, as upstream registers it
	is.Equal(out.PriorExit, gateway.PriorExitUnclean)
	inside, _ := slot(p, "inside")
	is.Equal(inside.Prior.Label(), "stopped")
	is.Equal(p.Sweep, []string{
		filepath.Join(home, "gateway.pid"), // the link itself
		filepath.Join(home, "profiles/in/gateway.pid"),
		filepath.Join(home, "profiles/out/processes.json"),
	}) // in/gateway.pid once: inside is the same directory, swept already
	is.Equal(len(warningsText(p)), 0)

	_, err := Apply(p)
	is.NoErr(err)
	_, err = os.Stat(filepath.Join(outside, "keep.pid"))
	is.NoErr(err) // unlink takes the link, never its target
	_, err = os.Lstat(filepath.Join(outside, "out/processes.json"))
	is.True(os.IsNotExist(err)) // swept through the linked profile directory
	fi, err := os.Stat(filepath.Join(home, "logs/container-boot.log"))
	is.NoErr(err)
	st := fi.Sys().(*syscall.Stat_t)
	is.Equal([]uint32{st.Uid, st.Gid}, []uint32{owner, owner}) // created by the owner, as the owner
}

// What only root could reach stays unreachable: a link the owner cannot
// follow is a warning, as it would be for the owner's own gateway.
func TestOwnerCannotReachRootsFiles(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	secret := searchableDir(t)
	is.NoErr(os.Chmod(secret, 0o700))
	tree(t, secret, map[string]string{"state.json": `{"gateway_state":"running"}`, "p/SOUL.md": "soul"})
	home, _ := ownedHome(t, map[string]string{
		"gateway_state.json": "link:" + filepath.Join(secret, "state.json"),
		"profiles/hidden":    "link:" + filepath.Join(secret, "p"),
	}, nil)
	p := mustPlan(t, Inputs{Home: home})
	is.True(!p.Slots[0].Autostart) // root could read it; the owner cannot
	is.True(strings.Contains(warningsText(p), filepath.Join(home, "gateway_state.json")+": is unreadable (permission denied)"))
	is.Equal(profiles(p), []string{"default"}) // not a profile the owner can see
}

// The planned changes are seen by later reads, as upstream's pass sees them
// while it changes the home: the root's sweep before a profile's read, the
// seed before everything.
func TestOwnerPlanSeesEarlierSteps(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home, _ := ownedHome(t, merge(profileTree("a", "b"), map[string]string{
		"gateway.pid":                   `{"gateway_state":"running"}`,
		"profiles/a/gateway_state.json": "link:../../gateway.pid",
		"profiles/b/gateway_state.json": "link:../../gateway_state.json",
	}), nil)
	p := mustPlan(t, Inputs{Home: home, Getenv: env(EnvBootstrapState, "running")})
	is.Equal(p.Seed, filepath.Join(home, "gateway_state.json"))
	a, _ := slot(p, "a")
	is.Equal(a.Prior.Label(), "None") // the root's sweep removed what the link led to
	is.True(!a.Autostart)
	b, _ := slot(p, "b")
	is.True(b.Autostart) // reads the seeded root state through its link
	before := snapshot(t, home)
	is.Equal(before["gateway.pid"], `{"gateway_state":"running"}`) // planning changed nothing
}

// A dangling gateway_state.json: stage2 (as root) refuses to seed through
// it; the legacy migration, upstream's reconciler's own write, follows it.
func TestOwnerWritesThroughDanglingLink(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home, outside := ownedHome(t, map[string]string{
		"gateway_state.json": "link:@/state/real.json",
	}, map[string]string{"state/other": "x"})
	p := mustPlan(t, Inputs{Home: home, MainCommand: legacyCmd, Getenv: env(EnvBootstrapState, "running")})
	is.Equal(p.Seed, "")
	is.True(strings.Contains(warningsText(p), "refusing seed through symlinked path "+filepath.Join(home, "gateway_state.json")))
	is.Equal(p.Migration, filepath.Join(home, "gateway_state.json"))
	is.True(p.Slots[0].Autostart)
	_, err := Apply(p)
	is.NoErr(err)
	b, err := os.ReadFile(filepath.Join(outside, "state/real.json"))
	is.NoErr(err)
	is.True(strings.Contains(string(b), `"migrated_from":"legacy-container-cmd"`)) // where the link leads
	fi, _ := os.Lstat(filepath.Join(home, "gateway_state.json"))
	is.True(fi.Mode()&fs.ModeSymlink != 0) // the link stays
}

// Multiplex from the Hermes configuration keeps named slots down; the
// plan names the source.
func TestMultiplexFromConfigYAML(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	running := `{"gateway_state":"running"}`
	tree(t, home, merge(profileTree("a"), map[string]string{
		"config.yaml":                   "model: x\ngateway:\n  multiplex_profiles: yes\n",
		"gateway_state.json":            running,
		"profiles/a/gateway_state.json": running,
	}))
	p := mustPlan(t, Inputs{Home: home})
	is.True(p.Multiplex.On)
	is.Equal(p.Multiplex.Source, "config.yaml gateway.multiplex_profiles")
	is.True(p.Slots[0].Autostart)  // the root gateway multiplexes
	is.True(!p.Slots[1].Autostart) // a named slot would be a second owner
	no := false
	p = mustPlan(t, Inputs{Home: home, Multiplex: &no})
	is.True(p.Slots[1].Autostart) // hermes-init's own setting wins
	is.Equal(p.Multiplex.Source, "hermes-init's gateway.multiplex")
}

// A name too long for its slot directory is refused; the others go on.
func TestNameTooLongForSlot(t *testing.T) {
	is := is.New(t)
	fits, long := strings.Repeat("a", 242), strings.Repeat("b", 243)
	home := t.TempDir()
	tree(t, home, profileTree(fits, long, "c"))
	p := mustPlan(t, Inputs{Home: home})
	is.Equal(profiles(p), []string{"default", fits, "c"})
	is.True(strings.Contains(warningsText(p), "profile name of 243 bytes is too long for its slot"))
}

// A home its owner cannot enter is read as root, links refused, with a
// warning: the gateways still come up.
func TestOwnerCannotEnterHome(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	closed := searchableDir(t)
	home := filepath.Join(closed, "home")
	tree(t, home, map[string]string{"gateway_state.json": `{"gateway_state":"running"}`, "gateway.pid": "1"})
	giveTo(t, home, owner)
	is.NoErr(os.Chmod(closed, 0o700)) // root's directory, closed to the owner
	p, applied, err := Boot(Inputs{Home: home, Now: t0})
	is.NoErr(err)
	is.NoErr(applied.Err)
	is.True(p.Slots[0].Autostart)
	is.True(!p.Rights.Follow) // read as root, refusing links
	is.True(strings.Contains(p.Warnings[0].String(), "cannot be entered with its owner's rights (uid 10000: permission denied)"))
	_, err = os.Stat(filepath.Join(home, "gateway.pid"))
	is.True(os.IsNotExist(err)) // and swept
}

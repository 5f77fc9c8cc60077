package homefs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
	"github.com/matryer/is"
)

// openDir is a temporary directory that every user can search (t.TempDir's
// are 0700 down from the test's own directory).
func openDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to own files as another user")
	}
}

func mk(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, to, path string) {
	t.Helper()
	if err := os.Symlink(to, path); err != nil {
		t.Fatal(err)
	}
}

// chownAll hands a tree to uid:gid.
func chownAll(t *testing.T, root string, uid, gid int) {
	t.Helper()
	err := filepath.Walk(root, func(p string, _ fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOf(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home := openDir(t)
	r, err := Of(home)
	is.NoErr(err)
	is.Equal(r, Rights{}) // root's home: root's rights, links refused
	is.NoErr(os.Chown(home, 10000, 10001))
	r, err = Of(home)
	is.NoErr(err)
	is.Equal(r, Rights{UID: 10000, GID: 10001, Switch: true, Follow: true}) // the owner's, links followed
	alias := filepath.Join(openDir(t), "alias")
	link(t, home, alias)
	r, err = Of(alias)
	is.NoErr(err)
	is.Equal(r.UID, 10000) // a symlinked home is taken as given
	_, err = Of(filepath.Join(home, "missing"))
	is.True(errors.Is(err, fs.ErrNotExist))
}

// inHome runs fn on home opened with the home's rights.
func inHome(t *testing.T, home string, fn func(d *Dir) error) error {
	t.Helper()
	r, err := Of(home)
	if err != nil {
		t.Fatal(err)
	}
	return r.Do(func() error {
		d, err := r.Open(home)
		if err != nil {
			return err
		}
		defer d.Close()
		return fn(d)
	})
}

func TestFollowModeReadsThroughLinks(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home, outside := openDir(t), openDir(t)
	mk(t, filepath.Join(outside, "real", "gateway_state.json"), "out")
	mk(t, filepath.Join(home, "target.json"), "in")
	link(t, filepath.Join(outside, "real"), filepath.Join(home, "profile"))
	link(t, "target.json", filepath.Join(home, "state.json"))
	chownAll(t, home, 10000, 10000)
	chownAll(t, outside, 10000, 10000)
	is.NoErr(inHome(t, home, func(d *Dir) error {
		is.True(d.Follows())
		b, err := d.ReadFile("state.json", 100)
		is.NoErr(err)
		is.Equal(string(b), "in") // a link inside the home is followed
		p, err := d.Sub("profile")
		is.NoErr(err)
		is.Equal(p.Path(), filepath.Join(home, "profile")) // messages keep the name the caller gave
		b, err = p.ReadFile("gateway_state.json", 100)
		is.NoErr(err)
		is.Equal(string(b), "out") // and one leading outside it
		fi, err := d.Lstat("state.json")
		is.NoErr(err)
		is.True(fi.Mode()&fs.ModeSymlink != 0) // Lstat sees the link itself
		return nil
	}))
}

func TestFollowModeHasOnlyTheOwnersRights(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home, secret := openDir(t), openDir(t)
	is.NoErr(os.Chmod(secret, 0o700))
	mk(t, filepath.Join(secret, "f"), "root's")
	link(t, filepath.Join(secret, "f"), filepath.Join(home, "state.json"))
	mk(t, filepath.Join(home, "mine"), "x")
	chownAll(t, home, 10000, 10000)
	is.NoErr(inHome(t, home, func(d *Dir) error {
		_, err := d.ReadFile("state.json", 100)
		is.True(errors.Is(err, fs.ErrPermission)) // what only root could reach stays unreachable
		var pe *fs.PathError
		is.True(errors.As(err, &pe))
		is.Equal(pe.Path, filepath.Join(home, "state.json")) // the error names the file in the home
		_, err = d.ReadFile("mine", 100)
		return err
	}))
}

func TestStrictModeRefusesLinks(t *testing.T) {
	is := is.New(t)
	home := openDir(t)
	mk(t, filepath.Join(home, "target.json"), "in")
	link(t, "target.json", filepath.Join(home, "state.json"))
	is.NoErr(os.Mkdir(filepath.Join(home, "real"), 0o755))
	link(t, "real", filepath.Join(home, "profile"))
	d, err := Open(home, false)
	is.NoErr(err)
	defer d.Close()
	is.True(!d.Follows())
	_, err = d.ReadFile("state.json", 100)
	is.True(errors.Is(err, nofollow.ErrSymlink)) // refused, not followed
	_, err = d.Sub("profile")
	is.True(errors.Is(err, nofollow.ErrSymlink))
	_, err = d.Stat("state.json")
	is.NoErr(err) // strict Stat is Lstat: the link is there
}

func TestFollowModeWrites(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home := openDir(t)
	is.NoErr(os.Mkdir(filepath.Join(home, "sub"), 0o755))
	mk(t, filepath.Join(home, "target"), "old")
	link(t, "target", filepath.Join(home, "replaced"))
	link(t, "sub/created", filepath.Join(home, "dangling"))
	link(t, "sub/appended", filepath.Join(home, "log"))
	is.NoErr(os.Mkdir(filepath.Join(home, "adir"), 0o755))
	link(t, "target", filepath.Join(home, "gateway.pid"))
	link(t, "sub", filepath.Join(home, "logs"))
	chownAll(t, home, 10000, 10001)
	is.NoErr(inHome(t, home, func(d *Dir) error {
		is.NoErr(d.WriteFile("replaced", []byte("new"), 0o644))
		created, err := d.CreateFile("dangling", []byte("c"), 0o644)
		is.NoErr(err)
		is.True(created) // through the dangling link, as write_text does
		created, err = d.CreateFile("target", []byte("c"), 0o644)
		is.NoErr(err)
		is.True(!created) // never over an existing file
		is.NoErr(d.Append("log", []byte("a\n"), 0o644))
		is.NoErr(d.Append("log", []byte("b\n"), 0o644))
		removed, err := d.RemoveFile("gateway.pid")
		is.NoErr(err)
		is.True(removed)
		_, err = d.RemoveFile("adir")
		is.True(errors.Is(err, syscall.EISDIR)) // a directory is never unlinked
		logs, err := d.MkdirSub("logs", 0o755)
		is.NoErr(err) // an existing linked directory is used
		tail, size, err := logs.ReadTail("appended", 2)
		is.NoErr(err)
		is.Equal(string(tail), "b\n")
		is.Equal(size, int64(4))
		_, err = d.MkdirSub("newdir", 0o755)
		return err
	}))
	fi, err := os.Lstat(filepath.Join(home, "replaced"))
	is.NoErr(err)
	is.True(fi.Mode().IsRegular()) // the link was replaced by the file, as os.replace does
	b, _ := os.ReadFile(filepath.Join(home, "target"))
	is.Equal(string(b), "old") // and its target left alone
	b, _ = os.ReadFile(filepath.Join(home, "sub", "created"))
	is.Equal(string(b), "c")
	b, _ = os.ReadFile(filepath.Join(home, "sub", "appended"))
	is.Equal(string(b), "a\nb\n")
	_, err = os.Lstat(filepath.Join(home, "gateway.pid"))
	is.True(errors.Is(err, fs.ErrNotExist)) // the link itself went
	_, err = os.Stat(filepath.Join(home, "target"))
	is.NoErr(err) // not its target
	for _, name := range []string{"replaced", "sub/created", "sub/appended", "newdir"} {
		fi, err := os.Lstat(filepath.Join(home, name))
		is.NoErr(err)
		st := fi.Sys().(*syscall.Stat_t)
		is.Equal([]uint32{st.Uid, st.Gid}, []uint32{10000, 10001}) // created by the owner, as the owner
	}
}

func TestPending(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home := openDir(t)
	mk(t, filepath.Join(home, "gateway.pid"), "1")
	is.NoErr(os.MkdirAll(filepath.Join(home, "profiles", "a"), 0o755))
	link(t, "../../gateway.pid", filepath.Join(home, "profiles", "a", "gateway_state.json"))
	link(t, "../../gateway_state.json", filepath.Join(home, "profiles", "a", "ledger.json"))
	chownAll(t, home, 10000, 10000)
	is.NoErr(inHome(t, home, func(d *Dir) error {
		pend := NewPending()
		d = d.WithPending(pend)
		a, err := d.Sub("profiles")
		is.NoErr(err)
		a, err = a.Sub("a")
		is.NoErr(err)
		b, err := a.ReadFile("gateway_state.json", 10)
		is.NoErr(err)
		is.Equal(string(b), "1") // before the pending sweep
		pend.Remove(d, "gateway.pid")
		_, err = a.ReadFile("gateway_state.json", 10)
		is.True(errors.Is(err, fs.ErrNotExist)) // the swept file is gone for later reads
		names, err := d.Names()
		is.NoErr(err)
		is.Equal(names, []string{"profiles"})
		_, err = a.ReadFile("ledger.json", 10)
		is.True(errors.Is(err, fs.ErrNotExist))
		t, err := a.Target("ledger.json")
		is.NoErr(err)
		is.Equal(t, filepath.Join(home, "gateway_state.json")) // where a write through the dangling link lands
		pend.Create(t, []byte("seeded"))
		b, err = a.ReadFile("ledger.json", 10)
		is.NoErr(err)
		is.Equal(string(b), "seeded") // a pending creation is read through the link
		_, err = a.ReadFile("ledger.json", 3)
		is.True(errors.Is(err, nofollow.ErrTooLarge)) // and bounded like a real file
		return nil
	}))
	_, err := os.Stat(filepath.Join(home, "gateway.pid"))
	is.NoErr(err) // nothing changed on disk
}

func TestWalkLimits(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	home := openDir(t)
	link(t, "loop2", filepath.Join(home, "loop1"))
	link(t, "loop1", filepath.Join(home, "loop2"))
	mk(t, filepath.Join(home, "file"), "x")
	link(t, "file/x", filepath.Join(home, "through-file"))
	chownAll(t, home, 10000, 10000)
	is.NoErr(inHome(t, home, func(d *Dir) error {
		d = d.WithPending(NewPending())
		_, err := d.ReadFile("loop1", 10)
		is.True(errors.Is(err, syscall.ELOOP)) // a link cycle ends, as in the kernel
		_, err = d.Stat("through-file")
		is.True(errors.Is(err, syscall.ENOTDIR))
		_, err = d.Stat("../etc")
		is.True(err != nil) // one component only
		return nil
	}))
}

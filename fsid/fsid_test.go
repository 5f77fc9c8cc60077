package fsid

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("switching file-system ids needs root")
	}
}

// openDir is a temporary directory every user can search: t.TempDir's are
// 0700 down from the test's own directory.
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

func write(t *testing.T, path string, mode fs.FileMode, uid, gid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func TestRunHasTheUsersRightsOnly(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	dir := openDir(t)
	write(t, filepath.Join(dir, "mine"), 0o600, 10000, 10001)
	write(t, filepath.Join(dir, "roots"), 0o600, 0, 0)
	write(t, filepath.Join(dir, "rootgroup"), 0o040, 0, 0)
	secret := filepath.Join(dir, "secret")
	is.NoErr(os.Mkdir(secret, 0o700))
	write(t, filepath.Join(secret, "f"), 0o644, 0, 0)

	var mine, roots, group, inSecret error
	err := Run(10000, 10001, func() error {
		_, mine = os.ReadFile(filepath.Join(dir, "mine"))
		_, roots = os.ReadFile(filepath.Join(dir, "roots"))
		_, group = os.ReadFile(filepath.Join(dir, "rootgroup"))
		_, inSecret = os.ReadFile(filepath.Join(secret, "f"))
		return os.Chown(dir, 10000, 10001)
	})
	is.True(errors.Is(err, fs.ErrPermission))      // fn's error comes back: no CAP_CHOWN either
	is.NoErr(mine)                                 // the user's own file
	is.True(errors.Is(roots, fs.ErrPermission))    // root's 0600 file: no CAP_DAC_OVERRIDE
	is.True(errors.Is(group, fs.ErrPermission))    // root's group grants nothing: groups dropped
	is.True(errors.Is(inSecret, fs.ErrPermission)) // no CAP_DAC_READ_SEARCH through a 0700 directory
	_, err = os.ReadFile(filepath.Join(secret, "f"))
	is.NoErr(err) // the caller is root again
}

func TestRunCreatesAsTheUser(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	dir := openDir(t)
	is.NoErr(os.Chown(dir, 10000, 10001))
	is.NoErr(Run(10000, 10001, func() error {
		return os.WriteFile(filepath.Join(dir, "new"), nil, 0o644)
	}))
	fi, err := os.Stat(filepath.Join(dir, "new"))
	is.NoErr(err)
	st := fi.Sys().(*syscall.Stat_t)
	is.Equal([]uint32{st.Uid, st.Gid}, []uint32{10000, 10001}) // owned by the user, no chown needed
}

func TestRunLeavesOtherThreadsAlone(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	dir := openDir(t)
	write(t, filepath.Join(dir, "roots"), 0o600, 0, 0)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var failures int
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := os.ReadFile(filepath.Join(dir, "roots")); err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		}()
	}
	for range 200 {
		is.NoErr(Run(10000, 10001, func() error { return nil }))
	}
	close(stop)
	wg.Wait()
	is.Equal(failures, 0) // root's other goroutines never ran with the user's ids
}

func TestRunPanicReachesCaller(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	defer func() {
		is.Equal(recover(), "boom") // the panic value, raised in the caller
	}()
	_ = Run(10000, 10000, func() error { panic("boom") })
	t.Fatal("Run returned after a panic")
}

func TestRunRefusesInvalidIDs(t *testing.T) {
	is := is.New(t)
	called := false
	err := Run(-1, 0, func() error { called = true; return nil })
	is.True(err != nil)
	is.True(!called) // fn never runs with half-switched ids
}

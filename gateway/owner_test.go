package gateway

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
	"github.com/matryer/is"
)

// searchable makes t.TempDir's 0700 directories searchable by every user.
func searchable(t *testing.T, dir string) string {
	t.Helper()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		must(t, os.Chmod(d, 0o755))
	}
	return dir
}

// TestWritesAsOwner: the control commands' writes follow the owner's links
// with the owner's rights, and refuse links in a root-owned home.
func TestWritesAsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to act as another user")
	}
	is := is.New(t)
	volume, elsewhere := searchable(t, t.TempDir()), searchable(t, t.TempDir())
	real := filepath.Join(elsewhere, "work")
	must(t, os.Mkdir(real, 0o755))
	write(t, real, StateFile, `{"gateway_state":"running","kind":"hermes-gateway"}`)
	must(t, os.MkdirAll(filepath.Join(volume, "profiles"), 0o755))
	home := filepath.Join(volume, "profiles", "work")
	must(t, os.Symlink(real, home))
	secret := filepath.Join(volume, "profiles", "secret")
	rootOnly := searchable(t, t.TempDir())
	must(t, os.Chmod(rootOnly, 0o700))
	must(t, os.Symlink(rootOnly, secret))
	for _, p := range []string{volume, filepath.Join(volume, "profiles"), home, real, filepath.Join(real, StateFile)} {
		must(t, os.Lchown(p, 10000, 10000))
	}
	now := time.Unix(1700000000, 0)

	is.NoErr(RecordDesiredStateAsOwner(volume, home, StateStopped, now)) // through the owner's link
	got := read(t, filepath.Join(real, StateFile))
	is.Equal(got, `{"gateway_state":"running","kind":"hermes-gateway","desired_state":"stopped","updated_at":1700000000}`+"\n")
	is.NoErr(WritePlannedStopMarkerAsOwner(volume, home, os.Getpid(), 1))
	fi, err := os.Stat(filepath.Join(real, PlannedStopMarkerFile))
	is.NoErr(err)
	st := fi.Sys().(*syscall.Stat_t)
	is.Equal([]uint32{st.Uid, st.Gid}, []uint32{10000, 10000}) // written by the owner

	err = RecordDesiredStateAsOwner(volume, secret, StateStopped, now)
	is.True(errors.Is(err, fs.ErrPermission)) // a link the owner cannot follow: root's rights are not lent

	must(t, os.Lchown(volume, 0, 0)) // a root-owned home: links are refused
	err = RecordDesiredStateAsOwner(volume, home, StateRunning, now)
	is.True(errors.Is(err, nofollow.ErrSymlink))
	is.True(strings.Contains(err.Error(), home)) // the error names the profile home
}

package cgroup

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/sys/unix"
)

// TestStaleInstanceDirectories: the directories of dead instances are removed
// at start when empty; those of running instances (locked), young ones and
// those still holding something stay; and the name is taken anew without a
// limit on how many earlier ones exist. Plain directories stand in for
// cgroups: a file in one stands for a process (both make rmdir fail).
func TestStaleInstanceDirectories(t *testing.T) {
	is := is.New(t)
	parent := t.TempDir()
	old := time.Now().Add(-time.Hour)
	mk := func(name string, age time.Time, children ...string) string {
		dir := filepath.Join(parent, name)
		is.NoErr(os.MkdirAll(dir, 0o755))
		for _, c := range children {
			is.NoErr(os.MkdirAll(filepath.Join(dir, c), 0o755))
			is.NoErr(os.Chtimes(filepath.Join(dir, c), age, age))
		}
		is.NoErr(os.Chtimes(dir, age, age))
		return dir
	}
	dead := mk("hermes-init.7", old, "gateway-default", "dashboard")
	live := mk("hermes-init.8", old, "gateway-default")
	fd, err := unix.Open(live, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	is.NoErr(err)
	defer unix.Close(fd)
	is.NoErr(unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)) // another instance runs there
	young := mk("hermes-init.9", time.Now())
	busy := mk("hermes-init.10", old, "gateway-default")
	is.NoErr(os.WriteFile(filepath.Join(busy, "gateway-default", "cgroup.procs"), []byte("4242\n"), 0o644))
	other := mk("elsewhere.7", old)
	for i := 1; i <= 150; i++ { // more than the 100 names the ladder used to try
		mk("hermes-init.42."+strconv.Itoa(i), time.Now())
	}
	mk("hermes-init.42", time.Now())

	var warnings []string
	tr := &Tree{warnf: func(f string, a ...any) { warnings = append(warnings, f) }}
	dir, err := tr.mkdirUnique(filepath.Join(parent, "hermes-init.42"))
	is.NoErr(err)
	is.Equal(dir, filepath.Join(parent, "hermes-init.42.151")) // past every name in use
	for _, kept := range []string{live, young, busy, other} {
		_, err := os.Stat(kept)
		is.NoErr(err) // kept
	}
	_, err = os.Stat(dead)
	is.True(os.IsNotExist(err)) // the dead instance's empty tree is gone
	is.Equal(len(warnings), 1)  // the busy one is said
	is.True(!tr.dead(dir))      // and the new one is locked for this instance
	is.NoErr(tr.Close())
	_, err = os.Stat(dir)
	is.True(os.IsNotExist(err))
}

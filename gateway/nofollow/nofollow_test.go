package nofollow

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

func mkfile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestOpenPath(t *testing.T) {
	is := is.New(t)
	base := t.TempDir()
	mkfile(t, filepath.Join(base, "a/b/f"), "x")
	outside := t.TempDir()
	mkfile(t, filepath.Join(outside, "f"), "secret")
	is.NoErr(os.Symlink(outside, filepath.Join(base, "a/link")))
	is.NoErr(os.Symlink(base, filepath.Join(outside, "base-link")))

	r, err := OpenPath(base, "a/b")
	is.NoErr(err)
	is.Equal(Dir(r), filepath.Join(base, "a/b"))
	r.Close()

	_, err = OpenPath(base, "a/link")
	is.True(errors.Is(err, ErrSymlink)) // a symlinked component is refused
	is.True(strings.Contains(err.Error(), filepath.Join(base, "a/link")))

	_, err = OpenPath(base, "a/b/f")
	is.True(errors.Is(err, syscall.ENOTDIR))
	_, err = OpenPath(base, "a/none")
	is.True(errors.Is(err, fs.ErrNotExist))

	r, err = OpenPath(filepath.Join(outside, "base-link"), "a")
	is.NoErr(err) // the base itself may be a symlink: the caller chose it
	r.Close()
}

func TestReadFile(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	mkfile(t, filepath.Join(dir, "ok"), "12345")
	is.NoErr(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	is.NoErr(os.Symlink("ok", filepath.Join(dir, "link")))
	is.NoErr(os.Mkdir(filepath.Join(dir, "dir"), 0o755))

	b, err := ReadFile(r, "ok", 5)
	is.NoErr(err)
	is.Equal(string(b), "12345")
	_, err = ReadFile(r, "ok", 4)
	is.True(errors.Is(err, ErrTooLarge))
	_, err = ReadFile(r, "fifo", 10) // returns at once: no writer is needed
	is.True(errors.Is(err, ErrNotRegular))
	_, err = ReadFile(r, "link", 10)
	is.True(errors.Is(err, ErrSymlink)) // even a link inside the root
	_, err = ReadFile(r, "dir", 10)
	is.True(errors.Is(err, ErrNotRegular))
	_, err = ReadFile(r, "none", 10)
	is.True(errors.Is(err, fs.ErrNotExist))
	_, err = ReadFile(r, "../ok", 10)
	is.True(err != nil) // one component only
}

func TestReadTail(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	mkfile(t, filepath.Join(dir, "log"), "abcdef")
	b, size, err := ReadTail(r, "log", 3)
	is.NoErr(err)
	is.Equal(string(b), "def")
	is.Equal(size, int64(6))
	b, _, err = ReadTail(r, "log", 100)
	is.NoErr(err)
	is.Equal(string(b), "abcdef")
	b, size, err = ReadTail(r, "none", 3)
	is.NoErr(err)
	is.Equal(len(b), 0)
	is.Equal(size, int64(0))
}

func TestWriteFile(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	is.NoErr(WriteFile(r, "new", []byte("1"), 0o640))
	fi, err := os.Stat(filepath.Join(dir, "new"))
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), fs.FileMode(0o640))

	is.NoErr(os.Chmod(filepath.Join(dir, "new"), 0o600))
	is.NoErr(WriteFile(r, "new", []byte("2"), 0o644))
	fi, _ = os.Stat(filepath.Join(dir, "new"))
	is.Equal(fi.Mode().Perm(), fs.FileMode(0o600)) // an existing file's mode is kept

	victim := filepath.Join(t.TempDir(), "victim")
	mkfile(t, victim, "keep")
	is.NoErr(os.Symlink(victim, filepath.Join(dir, "link")))
	is.NoErr(WriteFile(r, "link", []byte("3"), 0o644))
	b, _ := os.ReadFile(victim)
	is.Equal(string(b), "keep") // the symlink was replaced, not followed
	fi, _ = os.Lstat(filepath.Join(dir, "link"))
	is.True(fi.Mode().IsRegular())

	is.NoErr(os.Mkdir(filepath.Join(dir, "d"), 0o755))
	err = WriteFile(r, "d", []byte("4"), 0o644)
	is.True(errors.Is(err, ErrNotRegular))
	names, _ := Names(r)
	slices.Sort(names)
	is.Equal(names, []string{"d", "link", "new"}) // no temporary file left
}

func TestCreateFile(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	created, err := CreateFile(r, "f", []byte("1"), 0o644)
	is.NoErr(err)
	is.True(created)
	created, err = CreateFile(r, "f", []byte("2"), 0o644)
	is.NoErr(err)
	is.True(!created)
	b, _ := os.ReadFile(filepath.Join(dir, "f"))
	is.Equal(string(b), "1")
	is.NoErr(os.Symlink("nowhere", filepath.Join(dir, "dangling")))
	created, err = CreateFile(r, "dangling", []byte("3"), 0o644)
	is.NoErr(err)
	is.True(!created) // even a dangling link counts as present
	names, _ := Names(r)
	is.Equal(len(names), 2)
}

func TestOwnershipFollowsDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to hand files to another user")
	}
	is := is.New(t)
	dir := t.TempDir()
	is.NoErr(os.Chown(dir, 10000, 10001))
	r := open(t, dir)
	is.NoErr(WriteFile(r, "w", []byte("1"), 0o644))
	_, err := CreateFile(r, "c", []byte("1"), 0o644)
	is.NoErr(err)
	is.NoErr(Append(r, "a", []byte("1"), 0o644))
	sub, err := MkdirOpen(r, "d", 0o755)
	is.NoErr(err)
	sub.Close()
	for _, name := range []string{"w", "c", "a", "d"} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		is.NoErr(err)
		st := fi.Sys().(*syscall.Stat_t)
		is.Equal([]uint32{st.Uid, st.Gid}, []uint32{10000, 10001}) // the volume's user, not root
	}
	is.NoErr(os.Chown(filepath.Join(dir, "w"), 10002, 10003))
	is.NoErr(WriteFile(r, "w", []byte("2"), 0o644))
	fi, _ := os.Lstat(filepath.Join(dir, "w"))
	st := fi.Sys().(*syscall.Stat_t)
	is.Equal([]uint32{st.Uid, st.Gid}, []uint32{10002, 10003}) // a replaced file keeps its owner
}

func TestAppend(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	is.NoErr(Append(r, "log", []byte("a\n"), 0o644))
	is.NoErr(Append(r, "log", []byte("b\n"), 0o644))
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	is.Equal(string(b), "a\nb\n")

	victim := filepath.Join(t.TempDir(), "victim")
	mkfile(t, victim, "keep")
	is.NoErr(os.Symlink(victim, filepath.Join(dir, "link")))
	err := Append(r, "link", []byte("x"), 0o644)
	is.True(errors.Is(err, ErrSymlink))
	is.NoErr(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	err = Append(r, "fifo", []byte("x"), 0o644)
	is.True(errors.Is(err, ErrNotRegular)) // and no hang
	b, _ = os.ReadFile(victim)
	is.Equal(string(b), "keep")
}

func TestMkdirOpen(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	sub, err := MkdirOpen(r, "logs", 0o755)
	is.NoErr(err)
	sub.Close()
	sub, err = MkdirOpen(r, "logs", 0o755)
	is.NoErr(err) // idempotent
	sub.Close()
	is.NoErr(os.Symlink(t.TempDir(), filepath.Join(dir, "link")))
	_, err = MkdirOpen(r, "link", 0o755)
	is.True(errors.Is(err, ErrSymlink))
	mkfile(t, filepath.Join(dir, "file"), "")
	_, err = MkdirOpen(r, "file", 0o755)
	is.True(errors.Is(err, syscall.ENOTDIR))
}

func TestRemoveFile(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	mkfile(t, filepath.Join(dir, "f"), "")
	victim := filepath.Join(t.TempDir(), "victim")
	mkfile(t, victim, "keep")
	is.NoErr(os.Symlink(victim, filepath.Join(dir, "link")))
	is.NoErr(os.Mkdir(filepath.Join(dir, "d"), 0o755))

	removed, err := RemoveFile(r, "f")
	is.NoErr(err)
	is.True(removed)
	removed, err = RemoveFile(r, "f")
	is.NoErr(err)
	is.True(!removed) // missing is fine
	removed, err = RemoveFile(r, "link")
	is.NoErr(err)
	is.True(removed)
	_, err = os.Stat(victim)
	is.NoErr(err) // the link went, not its target
	_, err = RemoveFile(r, "d")
	is.True(errors.Is(err, syscall.EISDIR))
}

func TestRename(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	r := open(t, dir)
	mkfile(t, filepath.Join(dir, "a"), "1")
	mkfile(t, filepath.Join(dir, "b"), "2")
	is.NoErr(Rename(r, "a", "b"))
	b, _ := os.ReadFile(filepath.Join(dir, "b"))
	is.Equal(string(b), "1")
	is.True(Rename(r, "a", "b") != nil)
	is.True(Rename(r, "b", "../x") != nil)
}

func TestKind(t *testing.T) {
	is := is.New(t)
	is.Equal(Kind(0), "regular file")
	is.Equal(Kind(fs.ModeDir), "directory")
	is.Equal(Kind(fs.ModeSymlink), "symbolic link")
	is.Equal(Kind(fs.ModeNamedPipe), "FIFO")
	is.Equal(Kind(fs.ModeSocket), "socket")
	is.Equal(Kind(fs.ModeDevice|fs.ModeCharDevice), "character device")
	is.Equal(Kind(fs.ModeDevice), "block device")
	is.Equal(Kind(fs.ModeIrregular), "special file")
}

// TestOpenRootDotNeverBlocks pins the os.Root behaviour OpenDir relies on when
// a directory is swapped for a FIFO after the Lstat: "name/." opens name with
// O_DIRECTORY, so the open fails at once instead of waiting for a writer.
func TestOpenRootDotNeverBlocks(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	is.NoErr(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	r := open(t, dir)
	done := make(chan error, 1)
	go func() {
		sub, err := r.OpenRoot("fifo/.")
		if err == nil {
			sub.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		is.True(errors.Is(err, syscall.ENOTDIR))
	case <-time.After(5 * time.Second):
		t.Fatal("opening a FIFO as a directory blocked")
	}
}

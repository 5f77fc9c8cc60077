package nofollow

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Append adds data to the end of the regular file name inside r, creating it
// with perm (owned like the directory when we are root) if it is missing. The
// data goes out in one write(2) on an O_APPEND descriptor, so a kill never
// leaves part of it interleaved with another writer's.
func Append(r *os.Root, name string, data []byte, perm fs.FileMode) error {
	fi, err := Lstat(r, name)
	created := errors.Is(err, fs.ErrNotExist)
	if err != nil && !created {
		return err
	}
	if !created && !fi.Mode().IsRegular() {
		return pathErr("append", r, name, notRegular(fi.Mode()))
	}
	flags := os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NONBLOCK
	f, err := r.OpenFile(name, flags, perm)
	if err != nil {
		return pathErr("open", r, name, unwrapPath(err))
	}
	err = appendTo(r, f, data, created)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return pathErr("append", r, name, unwrapPath(err))
	}
	return nil
}

func appendTo(r *os.Root, f *os.File, data []byte, created bool) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return notRegular(st.Mode())
	}
	if created {
		own, err := dirOwner(r)
		if err != nil {
			return err
		}
		chown(f, own)
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// MkdirOpen opens the directory name inside r, creating it with perm (owned
// like its parent when we are root) if it is missing. A symlink is refused.
func MkdirOpen(r *os.Root, name string, perm fs.FileMode) (*os.Root, error) {
	_, err := Lstat(r, name)
	if errors.Is(err, fs.ErrNotExist) {
		err = mkdir(r, name, perm)
	}
	if err != nil {
		return nil, err
	}
	return OpenDir(r, name)
}

func mkdir(r *os.Root, name string, perm fs.FileMode) error {
	err := r.Mkdir(name, perm)
	if errors.Is(err, fs.ErrExist) {
		return nil // lost a race to another creator; OpenDir checks what it is
	}
	if err != nil {
		return pathErr("mkdir", r, name, unwrapPath(err))
	}
	own, err := dirOwner(r)
	if err == nil && os.Geteuid() == 0 {
		_ = r.Lchown(name, own.uid, own.gid) // best-effort, as in chown
	}
	return err
}

// RemoveFile unlinks name inside r and reports whether something was removed.
// A missing name is not an error. A directory is refused: the callers remove
// files, and an unlinkat on a directory name is never what they meant. A
// symlink is unlinked itself; its target is untouched.
func RemoveFile(r *os.Root, name string) (bool, error) {
	fi, err := Lstat(r, name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if fi.IsDir() {
		return false, pathErr("remove", r, name, syscall.EISDIR)
	}
	err = r.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, pathErr("remove", r, name, unwrapPath(err))
	}
	return true, nil
}

// Rename atomically renames oldname to newname inside r, replacing newname.
// A symlink under either name is renamed or replaced itself, never followed.
func Rename(r *os.Root, oldname, newname string) error {
	if err := checkName(oldname); err != nil {
		return pathErr("rename", r, oldname, err)
	}
	if err := checkName(newname); err != nil {
		return pathErr("rename", r, newname, err)
	}
	if err := r.Rename(oldname, newname); err != nil {
		return pathErr("rename", r, oldname, unwrapPath(err))
	}
	return syncDir(r)
}

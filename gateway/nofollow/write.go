package nofollow

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// writeMu serialises atomic writes inside this process: two writers of one
// target would otherwise share its temporary file name.
var writeMu sync.Mutex

// tmpName is the temporary file for a target: dot-prefixed, and fixed per
// target and process, so that one left by a kill is removed by the process's
// next write to that target. PID 1 is PID 1 in every container, so
// hermes-init cleans up after its own previous life; another process never
// removes a temporary file that a live writer is still filling.
func tmpName(name string) string {
	return "." + name + ".hermes-init." + strconv.Itoa(os.Getpid()) + ".tmp"
}

// WriteFile atomically replaces name inside r with data. The new file keeps
// the mode and owner of the file it replaces; a new file gets perm and, when
// we run as root, the owner of the directory (the volume's user, not root).
// A symlink under the name is replaced, never followed; a directory or other
// special file under the name is an error.
func WriteFile(r *os.Root, name string, data []byte, perm fs.FileMode) error {
	_, err := write(r, name, data, perm, false)
	return err
}

// CreateFile atomically creates name inside r with data only when nothing
// (not even a dangling symlink) exists under the name. It reports whether it
// created the file. Linking the finished temporary file into place makes the
// "only when absent" check and the publication one atomic step.
func CreateFile(r *os.Root, name string, data []byte, perm fs.FileMode) (bool, error) {
	return write(r, name, data, perm, true)
}

type owner struct {
	perm     fs.FileMode
	uid, gid int
}

func write(r *os.Root, name string, data []byte, perm fs.FileMode, exclusive bool) (bool, error) {
	writeMu.Lock()
	defer writeMu.Unlock()
	own, exists, err := targetOwner(r, name, perm)
	if exists && exclusive {
		return false, nil // whatever stands there, it is not ours to replace
	}
	if err != nil {
		return false, err
	}
	tmp := tmpName(name)
	if err := writeTemp(r, tmp, data, own); err != nil {
		return false, err
	}
	// After a successful rename the temporary name is gone and this is a
	// no-op; after a link or a failure it removes our temporary file.
	defer r.Remove(tmp)
	if exclusive {
		err = r.Link(tmp, name)
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
	} else {
		err = r.Rename(tmp, name)
	}
	if err != nil {
		return false, pathErr("publish", r, name, unwrapPath(err))
	}
	return true, syncDir(r)
}

// targetOwner decides the mode and owner of the file that will stand under name.
func targetOwner(r *os.Root, name string, perm fs.FileMode) (owner, bool, error) {
	fi, err := Lstat(r, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		own, err := dirOwner(r)
		own.perm = perm
		return own, false, err
	case err != nil:
		return owner{}, false, err
	case fi.Mode().IsRegular():
		uid, gid := ids(fi)
		return owner{perm: fi.Mode().Perm(), uid: uid, gid: gid}, true, nil
	case fi.Mode()&fs.ModeSymlink != 0:
		own, err := dirOwner(r)
		own.perm = perm
		return own, true, err
	}
	return owner{}, true, pathErr("replace", r, name, notRegular(fi.Mode()))
}

func writeTemp(r *os.Root, tmp string, data []byte, own owner) error {
	if err := r.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathErr("remove stale", r, tmp, unwrapPath(err))
	}
	// O_EXCL: os.Root never follows a symlink on an exclusive create.
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return pathErr("create", r, tmp, unwrapPath(err))
	}
	err = fill(f, data, own)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Remove(tmp)
		return pathErr("write", r, tmp, unwrapPath(err))
	}
	return nil
}

func fill(f *os.File, data []byte, own owner) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(own.perm); err != nil {
		return err
	}
	chown(f, own)
	return f.Sync()
}

// chown hands the file to the volume's owner when we are root. It is
// best-effort: a rootless or user-namespaced container may refuse it, and the
// file is still correct, only root-owned.
func chown(f *os.File, own owner) {
	if os.Geteuid() == 0 {
		_ = f.Chown(own.uid, own.gid)
	}
}

func dirOwner(r *os.Root) (owner, error) {
	fi, err := r.Stat(".")
	if err != nil {
		return owner{}, &fs.PathError{Op: "stat", Path: Dir(r), Err: unwrapPath(err)}
	}
	uid, gid := ids(fi)
	return owner{uid: uid, gid: gid}, nil
}

func ids(fi fs.FileInfo) (int, int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return os.Geteuid(), os.Getegid()
}

// syncDir makes a rename or link durable: without it a power loss can forget
// the new directory entry even though the file's data reached the disk.
func syncDir(r *os.Root) error {
	d, err := r.Open(".")
	if err != nil {
		return &fs.PathError{Op: "open", Path: Dir(r), Err: unwrapPath(err)}
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return &fs.PathError{Op: "fsync", Path: Dir(r), Err: unwrapPath(err)}
	}
	return nil
}

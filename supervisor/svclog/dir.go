package svclog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// dir is an open directory that was reached without following a symlink.
// Every operation names one entry relative to fd with O_NOFOLLOW or its
// equivalent, so swapping a component for a symlink after we looked changes
// nothing: the kernel refuses it (doc.go says why this is not nofollow's
// os.Root).
type dir struct {
	fd   int
	path string // for messages
}

// owner is who created directories and files belong to; -1 leaves a field.
type owner struct{ uid, gid int }

// openDir opens root (following symlinks: the caller chose it) and then each
// component of rel, refusing symlinks and creating what is missing with mode
// 0755 and owner o.
func openDir(root, rel string, o owner) (*dir, error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	d := &dir{fd: fd, path: filepath.Clean(root)}
	for _, name := range strings.Split(rel, "/") {
		if name == "" || name == "." {
			continue
		}
		sub, err := d.mkdirOpen(name, o)
		d.close()
		if err != nil {
			return nil, err
		}
		d = sub
	}
	return d, nil
}

// mkdirOpen opens the directory name in d, creating it if it is missing.
func (d *dir) mkdirOpen(name string, o owner) (*dir, error) {
	if name == ".." {
		return nil, d.err("open", name, errors.New("invalid path component"))
	}
	created := false
	err := unix.Mkdirat(d.fd, name, 0o755)
	switch {
	case err == nil:
		created = true
	case err != unix.EEXIST:
		return nil, d.err("mkdir", name, err)
	}
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, d.err("open", name, d.why(name, err))
	}
	sub := &dir{fd: fd, path: filepath.Join(d.path, name)}
	if created {
		// Through the descriptor, never the name: the name may be a
		// symlink by now (the reason s6's log/run never chowns as root).
		err = fixMode(fd, 0o755, o)
	}
	if err != nil {
		sub.close()
		return nil, d.err("chown", name, err)
	}
	return sub, nil
}

// openFile opens the regular file name in d with flags (O_CREAT is implied),
// creating it with mode perm and owner o if it is missing. It refuses a
// symlink, anything but a regular file, and a file with other hard links.
func (d *dir) openFile(name string, flags int, perm uint32, o owner) (*os.File, error) {
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK // no hang on a planted FIFO
	created := true
	fd, err := unix.Openat(d.fd, name, flags|unix.O_CREAT|unix.O_EXCL, perm)
	if err == unix.EEXIST {
		created = false
		fd, err = unix.Openat(d.fd, name, flags, 0)
	}
	if err != nil {
		return nil, d.err("open", name, d.why(name, err))
	}
	var st unix.Stat_t
	err = unix.Fstat(fd, &st)
	switch {
	case err != nil:
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = fmt.Errorf("%w (%s)", nofollow.ErrNotRegular, nofollow.Kind(fileMode(st.Mode)))
	case st.Nlink != 1 && !created:
		err = fmt.Errorf("has %d hard links (refused)", st.Nlink)
	case created:
		err = fixMode(fd, perm, o)
	}
	if err == nil {
		err = unix.SetNonblock(fd, false)
	}
	if err != nil {
		unix.Close(fd)
		return nil, d.err("open", name, err)
	}
	return os.NewFile(uintptr(fd), filepath.Join(d.path, name)), nil
}

// fixMode gives a file we just created its exact mode (whatever the umask)
// and its owner.
func fixMode(fd int, perm uint32, o owner) error {
	if err := unix.Fchmod(fd, perm); err != nil {
		return err
	}
	if o.uid == -1 && o.gid == -1 {
		return nil
	}
	return unix.Fchown(fd, o.uid, o.gid)
}

// why turns the errors O_NOFOLLOW gives for a symlink into ErrSymlink.
func (d *dir) why(name string, err error) error {
	if err != unix.ELOOP && err != unix.ENOTDIR {
		return err
	}
	var st unix.Stat_t
	if unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return nofollow.ErrSymlink
	}
	return err
}

// exists tells whether name is present in d (as anything, a symlink too).
// When that cannot be told, it says no: the caller's next step reports.
func (d *dir) exists(name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// rename renames oldname to newname inside d. renameat never follows a
// symlink under either name.
func (d *dir) rename(oldname, newname string) error {
	if err := unix.Renameat(d.fd, oldname, d.fd, newname); err != nil {
		return d.err("rename", oldname, err)
	}
	return nil
}

// remove unlinks the file name in d (a symlink itself, never its target).
func (d *dir) remove(name string) error {
	if err := unix.Unlinkat(d.fd, name, 0); err != nil && err != unix.ENOENT {
		return d.err("remove", name, err)
	}
	return nil
}

// names lists the entries of d.
func (d *dir) names() ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: err}
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	return f.Readdirnames(-1)
}

// sync makes renames and creations in d durable.
func (d *dir) sync() error {
	if err := unix.Fsync(d.fd); err != nil {
		return &fs.PathError{Op: "fsync", Path: d.path, Err: err}
	}
	return nil
}

func (d *dir) close() {
	if d.fd >= 0 {
		unix.Close(d.fd)
		d.fd = -1
	}
}

func (d *dir) err(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: filepath.Join(d.path, name), Err: err}
}

// fileMode converts a stat mode's type bits for nofollow.Kind.
func fileMode(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFREG:
		return 0
	}
	return fs.ModeIrregular
}

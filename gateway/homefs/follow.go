package homefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
	"golang.org/x/sys/unix"
)

var errNotDir = syscall.ENOTDIR

// target is where a follow-mode lookup led: a real path, or a file a
// pending plan creates there.
type target struct {
	path    string
	virtual []byte // content of a pending creation, nil otherwise
}

// lookup resolves name in d as the kernel would, seeing d.pend's changes.
func (d *Dir) lookup(op, name string, follow bool) (fs.FileInfo, target, error) {
	if err := checkName(name); err != nil {
		return nil, target{}, d.err(op, name, err)
	}
	path, st, err := d.pend.walk(d.real, name, follow)
	t := target{path: path}
	if err != nil {
		return nil, t, d.err(op, name, err)
	}
	switch st {
	case missing:
		return nil, t, d.err(op, name, syscall.ENOENT)
	case virtual:
		t.virtual = d.pend.created[path]
		return virtualInfo{name: name, size: int64(len(t.virtual))}, t, nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, t, d.err(op, name, unwrap(err))
	}
	return fi, t, nil
}

// openFollowing opens name for reading, following links, and checks that it
// is a regular file of at most limit bytes (limit < 0: any size).
// O_NONBLOCK keeps a FIFO from blocking the open.
func (d *Dir) openFollowing(name, path string, limit int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, d.err("open", name, unwrap(err))
	}
	st, err := f.Stat()
	if err == nil {
		err = checkRegular(st, limit)
	}
	if err != nil {
		f.Close()
		return nil, d.err("open", name, unwrap(err))
	}
	return f, nil
}

func (d *Dir) readFollowing(name, path string, max int64) ([]byte, error) {
	f, err := d.openFollowing(name, path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, d.err("read", name, unwrap(err))
	}
	if int64(len(data)) > max {
		return nil, d.err("read", name, tooLarge(int64(len(data)), max))
	}
	return data, nil
}

func (d *Dir) tailFollowing(name string, n int64) ([]byte, int64, error) {
	_, t, err := d.lookup("open", name, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if t.virtual != nil {
		size := int64(len(t.virtual))
		return t.virtual[max(size-n, 0):], size, nil
	}
	f, err := d.openFollowing(name, t.path, -1)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, d.err("stat", name, unwrap(err))
	}
	size := st.Size()
	off := max(size-n, 0)
	buf := make([]byte, size-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, 0, d.err("read", name, unwrap(err))
	}
	return buf, size, nil
}

func (d *Dir) appendFollowing(name string, data []byte, perm fs.FileMode) error {
	if err := checkName(name); err != nil {
		return d.err("append", name, err)
	}
	flags := os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NONBLOCK
	f, err := os.OpenFile(filepath.Join(d.real, name), flags, perm)
	if err != nil {
		return d.err("open", name, unwrap(err))
	}
	st, err := f.Stat()
	if err == nil {
		err = checkRegular(st, -1)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return d.err("append", name, unwrap(err))
	}
	return nil
}

func (d *Dir) removeFollowing(name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, d.err("remove", name, err)
	}
	path := filepath.Join(d.real, name)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, d.err("lstat", name, unwrap(err))
	}
	if fi.IsDir() {
		return false, d.err("remove", name, syscall.EISDIR)
	}
	if err := unix.Unlink(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, d.err("remove", name, err)
	}
	return true, nil
}

func checkRegular(fi fs.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w (%s)", nofollow.ErrNotRegular, nofollow.Kind(fi.Mode()))
	}
	if limit >= 0 && fi.Size() > limit {
		return tooLarge(fi.Size(), limit)
	}
	return nil
}

func tooLarge(size, limit int64) error {
	return fmt.Errorf("%w (%d bytes, limit %d)", nofollow.ErrTooLarge, size, limit)
}

// virtualInfo describes a file a pending plan creates.
type virtualInfo struct {
	name string
	size int64
}

func (v virtualInfo) Name() string       { return v.name }
func (v virtualInfo) Size() int64        { return v.size }
func (v virtualInfo) Mode() fs.FileMode  { return 0o644 }
func (v virtualInfo) ModTime() time.Time { return time.Time{} }
func (v virtualInfo) IsDir() bool        { return false }
func (v virtualInfo) Sys() any           { return nil }

package nofollow

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ReadFile returns the contents of the regular file name inside r. It refuses
// a symlink, anything that is not a regular file, and a file over max bytes.
func ReadFile(r *os.Root, name string, max int64) ([]byte, error) {
	f, err := openRegular(r, name, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, pathErr("read", r, name, unwrapPath(err))
	}
	if int64(len(data)) > max {
		return nil, pathErr("read", r, name, tooLarge(int64(len(data)), max))
	}
	return data, nil
}

// ReadTail returns up to n bytes from the end of the regular file name inside
// r and the file's size. A missing file gives (nil, 0, nil).
func ReadTail(r *os.Root, name string, n int64) ([]byte, int64, error) {
	f, err := openRegular(r, name, -1)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, pathErr("stat", r, name, unwrapPath(err))
	}
	size := st.Size()
	off := max(size-n, 0)
	buf := make([]byte, size-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, 0, pathErr("read", r, name, unwrapPath(err))
	}
	return buf, size, nil
}

// Names lists the entries of r in directory order.
func Names(r *os.Root) ([]string, error) {
	d, err := r.Open(".")
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: Dir(r), Err: unwrapPath(err)}
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: Dir(r), Err: unwrapPath(err)}
	}
	return names, nil
}

// openRegular opens name for reading after checking, before and after the
// open, that it is a regular file of at most limit bytes (limit < 0: any size).
// O_NONBLOCK keeps a FIFO planted under the name from blocking the open.
func openRegular(r *os.Root, name string, limit int64) (*os.File, error) {
	fi, err := Lstat(r, name)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(fi, limit); err != nil {
		return nil, pathErr("open", r, name, err)
	}
	f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, pathErr("open", r, name, unwrapPath(err))
	}
	st, err := f.Stat()
	if err == nil {
		err = checkRegular(st, limit)
	}
	if err != nil {
		f.Close()
		return nil, pathErr("open", r, name, unwrapPath(err))
	}
	return f, nil
}

func checkRegular(fi fs.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return notRegular(fi.Mode())
	}
	if limit >= 0 && fi.Size() > limit {
		return tooLarge(fi.Size(), limit)
	}
	return nil
}

func tooLarge(size, limit int64) error {
	return fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, size, limit)
}

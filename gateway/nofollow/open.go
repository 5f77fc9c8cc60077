package nofollow

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrSymlink reports a path component that is a symbolic link and was refused.
var ErrSymlink = errors.New("is a symbolic link (refused)")

// ErrNotRegular reports a file that exists but is not a regular file.
var ErrNotRegular = errors.New("is not a regular file")

// ErrTooLarge reports a file larger than the caller's limit.
var ErrTooLarge = errors.New("is too large")

// OpenPath opens base (following symlinks: the caller chose it) and then each
// slash-separated component of rel without following symlinks. rel may be "".
func OpenPath(base, rel string) (*os.Root, error) {
	r, err := os.OpenRoot(base)
	if err != nil {
		return nil, err
	}
	for _, name := range strings.Split(rel, "/") {
		if name == "" || name == "." {
			continue
		}
		sub, err := OpenDir(r, name)
		r.Close()
		if err != nil {
			return nil, err
		}
		r = sub
	}
	return r, nil
}

// OpenDir opens the directory name inside r, refusing a symlink.
func OpenDir(r *os.Root, name string) (*os.Root, error) {
	fi, err := Lstat(r, name)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, pathErr("open", r, name, ErrSymlink)
	}
	if !fi.IsDir() {
		return nil, pathErr("open", r, name, syscall.ENOTDIR)
	}
	// "name/." makes os.Root open name as an intermediate component, with
	// O_DIRECTORY: if name was swapped for a FIFO since the Lstat, the open
	// fails instead of blocking the boot until a writer shows up.
	sub, err := r.OpenRoot(name + "/.")
	if err != nil {
		return nil, pathErr("open", r, name, unwrapPath(err))
	}
	return sub, nil
}

// Lstat describes name inside r without following a final symlink. name must
// be a single path component.
func Lstat(r *os.Root, name string) (fs.FileInfo, error) {
	if err := checkName(name); err != nil {
		return nil, pathErr("lstat", r, name, err)
	}
	fi, err := r.Lstat(name)
	if err != nil {
		return nil, pathErr("lstat", r, name, unwrapPath(err))
	}
	return fi, nil
}

// Join returns the full path of name inside r, for messages.
func Join(r *os.Root, name string) string {
	return filepath.Join(r.Name(), name)
}

// Dir returns the clean path r was opened on, for messages.
func Dir(r *os.Root) string {
	return filepath.Clean(r.Name())
}

// Kind names the type of a file mode for messages ("directory", "FIFO", ...).
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return "special file"
}

func notRegular(m fs.FileMode) error {
	if m&fs.ModeSymlink != 0 {
		return ErrSymlink
	}
	return fmt.Errorf("%w (%s)", ErrNotRegular, Kind(m))
}

// checkName keeps every operation to one component of one directory, so the
// symlink check made on that component is the one that matters.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return fmt.Errorf("invalid file name %q", name)
	}
	return nil
}

func pathErr(op string, r *os.Root, name string, err error) error {
	return &fs.PathError{Op: op, Path: Join(r, name), Err: err}
}

// unwrapPath strips an os.Root PathError (whose Path is relative) so that we
// can re-wrap the cause with the full path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

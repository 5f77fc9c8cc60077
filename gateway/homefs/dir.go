package homefs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// Dir is a directory of a Hermes home opened in one mode: following
// symbolic links (with the owner's rights) or refusing them (as root).
// Names given to its methods are single path components.
type Dir struct {
	path  string   // as the caller named it, for messages
	real  string   // follow mode: the path with every symbolic link resolved
	root  *os.Root // strict mode
	owned bool     // Close closes root
	pend  *Pending // follow mode: a plan's changes that reads must see
}

// Open opens the directory at path, which is taken as given: symlinks in it
// are followed in both modes. follow selects the mode for what lies below.
func Open(path string, follow bool) (*Dir, error) {
	if !follow {
		r, err := os.OpenRoot(path)
		if err != nil {
			return nil, err
		}
		return &Dir{path: filepath.Clean(path), root: r, owned: true}, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotDir}
	}
	return &Dir{path: filepath.Clean(path), real: real}, nil
}

// FromRoot wraps a directory already opened as an os.Root, in strict mode.
// Closing the Dir leaves r open.
func FromRoot(r *os.Root) *Dir {
	return &Dir{path: nofollow.Dir(r), root: r}
}

// WithPending returns d (and, through it, every directory opened below it)
// seeing p's changes. Only follow mode needs it: strict mode never reaches
// one file under two names.
func (d *Dir) WithPending(p *Pending) *Dir {
	c := *d
	c.owned = false
	c.pend = p
	return &c
}

// Follows reports whether d follows symbolic links.
func (d *Dir) Follows() bool { return d.root == nil }

// Path is the directory's path as it was named, for messages.
func (d *Dir) Path() string { return d.path }

// Join is the path of name in d, for messages.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, name) }

// Close releases the directory.
func (d *Dir) Close() error {
	if d.root != nil && d.owned {
		return d.root.Close()
	}
	return nil
}

// Root is the os.Root of a strict-mode Dir, nil in follow mode.
func (d *Dir) Root() *os.Root { return d.root }

// Lstat describes name without following a final symbolic link.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	if d.root != nil {
		return nofollow.Lstat(d.root, name)
	}
	fi, _, err := d.lookup("lstat", name, false)
	return fi, err
}

// Stat describes name, following a final symbolic link in follow mode; in
// strict mode it is Lstat.
func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	if d.root != nil {
		return nofollow.Lstat(d.root, name)
	}
	fi, _, err := d.lookup("stat", name, true)
	return fi, err
}

// Sub opens the directory name below d, in d's mode. Strict mode refuses a
// symbolic link; follow mode follows it.
func (d *Dir) Sub(name string) (*Dir, error) {
	if d.root != nil {
		r, err := nofollow.OpenDir(d.root, name)
		if err != nil {
			return nil, err
		}
		return &Dir{path: d.Join(name), root: r, owned: true}, nil
	}
	fi, t, err := d.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, d.err("open", name, errNotDir)
	}
	return &Dir{path: d.Join(name), real: t.path, pend: d.pend}, nil
}

// MkdirSub opens the directory name below d, creating it with perm if
// nothing stands there. In strict mode a new directory is handed to the
// owner of d when hermes-init is root.
func (d *Dir) MkdirSub(name string, perm fs.FileMode) (*Dir, error) {
	if d.root != nil {
		r, err := nofollow.MkdirOpen(d.root, name, perm)
		if err != nil {
			return nil, err
		}
		return &Dir{path: d.Join(name), root: r, owned: true}, nil
	}
	if err := checkName(name); err != nil {
		return nil, d.err("mkdir", name, err)
	}
	if err := os.Mkdir(filepath.Join(d.real, name), perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, d.err("mkdir", name, unwrap(err))
	}
	return d.Sub(name)
}

// Names lists the entries of d.
func (d *Dir) Names() ([]string, error) {
	if d.root != nil {
		return nofollow.Names(d.root)
	}
	f, err := os.Open(d.real)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: unwrap(err)}
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: d.path, Err: unwrap(err)}
	}
	if d.pend.empty() {
		return names, nil
	}
	kept := names[:0]
	for _, n := range names {
		if !d.pend.removed[filepath.Join(d.real, n)] {
			kept = append(kept, n)
		}
	}
	return kept, nil
}

// ReadFile returns the contents of the regular file name, at most max bytes
// (a bigger file is an error wrapping nofollow.ErrTooLarge).
func (d *Dir) ReadFile(name string, max int64) ([]byte, error) {
	if d.root != nil {
		return nofollow.ReadFile(d.root, name, max)
	}
	_, t, err := d.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	if t.virtual != nil {
		if int64(len(t.virtual)) > max {
			return nil, d.err("read", name, tooLarge(int64(len(t.virtual)), max))
		}
		return t.virtual, nil
	}
	return d.readFollowing(name, t.path, max)
}

// ReadTail returns up to n bytes from the end of the regular file name and
// the file's size; a missing file gives (nil, 0, nil).
func (d *Dir) ReadTail(name string, n int64) ([]byte, int64, error) {
	if d.root != nil {
		return nofollow.ReadTail(d.root, name, n)
	}
	return d.tailFollowing(name, n)
}

// WriteFile atomically replaces name with data: a temporary file in d, then
// a rename over name. A symbolic link under the name is replaced, in both
// modes, as upstream's writers replace it (os.replace).
func (d *Dir) WriteFile(name string, data []byte, perm fs.FileMode) error {
	if d.root != nil {
		return nofollow.WriteFile(d.root, name, data, perm)
	}
	r, err := os.OpenRoot(d.real)
	if err != nil {
		return &fs.PathError{Op: "open", Path: d.path, Err: unwrap(err)}
	}
	defer r.Close()
	return d.rename(nofollow.WriteFile(r, name, data, perm), r)
}

// CreateFile atomically creates name with data only when nothing is there,
// and reports whether it did. Strict mode counts a dangling symbolic link
// as something; follow mode creates the file the link points to, as
// Python's write_text does through a dangling link.
func (d *Dir) CreateFile(name string, data []byte, perm fs.FileMode) (bool, error) {
	if d.root != nil {
		return nofollow.CreateFile(d.root, name, data, perm)
	}
	fi, err := d.Lstat(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	dir, base := d.real, name
	if err == nil {
		if fi.Mode()&fs.ModeSymlink == 0 {
			return false, nil
		}
		if _, err := d.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			return false, err // the link leads to something (or cannot be followed)
		}
		t, err := d.Target(name)
		if err != nil {
			return false, err
		}
		dir, base = filepath.Split(t)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return false, d.err("create", name, unwrap(err))
	}
	defer r.Close()
	created, err := nofollow.CreateFile(r, base, data, perm)
	return created, d.rename(err, r)
}

// Append adds data to the end of the regular file name, creating it with
// perm if it is missing. One write(2) on an O_APPEND descriptor.
func (d *Dir) Append(name string, data []byte, perm fs.FileMode) error {
	if d.root != nil {
		return nofollow.Append(d.root, name, data, perm)
	}
	return d.appendFollowing(name, data, perm)
}

// RemoveFile unlinks name and reports whether something was removed. A
// missing name is not an error; a directory is refused (EISDIR); a symbolic
// link is removed itself.
func (d *Dir) RemoveFile(name string) (bool, error) {
	if d.root != nil {
		return nofollow.RemoveFile(d.root, name)
	}
	return d.removeFollowing(name)
}

// Rename renames oldname to newname in d, replacing newname; symbolic links
// under either name are renamed or replaced themselves.
func (d *Dir) Rename(oldname, newname string) error {
	if d.root != nil {
		return nofollow.Rename(d.root, oldname, newname)
	}
	for _, n := range []string{oldname, newname} {
		if err := checkName(n); err != nil {
			return d.err("rename", n, err)
		}
	}
	if err := os.Rename(filepath.Join(d.real, oldname), filepath.Join(d.real, newname)); err != nil {
		return d.err("rename", oldname, unwrap(err))
	}
	return nil
}

// Target is the path a write through name would create or replace: name's
// own path, or, when name is a symbolic link, where the links lead
// (resolved as far as the file system and the pending changes go).
func (d *Dir) Target(name string) (string, error) {
	if d.root != nil {
		return d.Join(name), nil
	}
	_, t, err := d.lookup("resolve", name, true)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return t.path, nil
}

func (d *Dir) err(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: d.Join(name), Err: err}
}

// rename turns a PathError naming a file of r (the resolved directory) into
// one naming it below d's own path.
func (d *Dir) rename(err error, r *os.Root) error {
	var pe *fs.PathError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	if rel, ok := strings.CutPrefix(pe.Path, nofollow.Dir(r)+"/"); ok && !strings.Contains(rel, "/") {
		return &fs.PathError{Op: pe.Op, Path: d.Join(rel), Err: pe.Err}
	}
	return err
}

func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return fmt.Errorf("invalid file name %q", name)
	}
	return nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

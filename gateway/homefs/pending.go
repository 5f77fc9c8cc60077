package homefs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Pending is what a plan will change in a home, recorded before anything
// changes, so that the plan's later reads see the home as a pass making the
// changes in order would see it. It matters in follow mode only, where a
// symbolic link can make a later read land on a file an earlier step
// removed or created (a profile's state file linking to the root's
// gateway.pid, swept just before). Paths are real: every link resolved.
type Pending struct {
	removed map[string]bool   // directory entries that will be unlinked
	created map[string][]byte // files that will be created, with their content
}

// NewPending returns an empty Pending.
func NewPending() *Pending {
	return &Pending{removed: map[string]bool{}, created: map[string][]byte{}}
}

// Remove records that name in d will be unlinked (the entry itself, as
// unlink does not follow a final link).
func (p *Pending) Remove(d *Dir, name string) {
	if p == nil || d.root != nil {
		return
	}
	path := filepath.Join(d.real, name)
	p.removed[path] = true
	delete(p.created, path)
}

// Create records that a file holding data will be created at path, a real
// path as Dir.Target gives it.
func (p *Pending) Create(path string, data []byte) {
	if p == nil {
		return
	}
	delete(p.removed, path)
	p.created[path] = data
}

func (p *Pending) empty() bool {
	return p == nil || len(p.removed)+len(p.created) == 0
}

// state is what a walk found.
type state int

const (
	exists  state = iota // a real file system object
	missing              // nothing (the final component only; else an error)
	virtual              // a file a pending creation makes
)

// maxLinks is Linux's limit of symbolic links followed in one lookup.
const maxLinks = 40

// walk resolves name below dir (a real directory path) one component at a
// time, as the kernel does, following symbolic links (the final one only
// when follow is set), and seeing the pending changes. It returns the real
// path reached; a missing final component is not an error, so that a caller
// learns where a dangling link leads.
func (p *Pending) walk(dir, name string, follow bool) (string, state, error) {
	cur, comps, links := dir, []string{name}, 0
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		last := len(comps) == 0
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		if p.isRemoved(next) {
			if last {
				return next, missing, nil
			}
			return next, missing, syscall.ENOENT
		}
		if p.isCreated(next) {
			if last {
				return next, virtual, nil
			}
			return next, missing, syscall.ENOTDIR
		}
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) && last {
			return next, missing, nil
		}
		if err != nil {
			return next, missing, unwrap(err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 && (!last || follow) {
			if links++; links > maxLinks {
				return next, missing, syscall.ELOOP
			}
			to, err := os.Readlink(next)
			if err != nil {
				return next, missing, unwrap(err)
			}
			if strings.HasPrefix(to, "/") {
				cur = "/"
			}
			comps = append(strings.Split(to, "/"), comps...)
			continue
		}
		if !last && !fi.IsDir() {
			return next, missing, syscall.ENOTDIR
		}
		cur = next
	}
	return cur, exists, nil
}

func (p *Pending) isRemoved(path string) bool { return p != nil && p.removed[path] }

func (p *Pending) isCreated(path string) bool {
	if p == nil {
		return false
	}
	_, ok := p.created[path]
	return ok
}

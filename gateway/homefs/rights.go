package homefs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hermes-init/hermes-init/fsid"
)

// Rights is how hermes-init acts inside one Hermes home.
type Rights struct {
	UID, GID int  // the file-system ids the work runs with
	Switch   bool // switch the working thread's file-system ids to UID:GID
	Follow   bool // follow symbolic links; false: refuse them below the home
}

// Of returns the rights for the home at path, which is taken as given (a
// symlinked HERMES_HOME is followed; its owner is the target's):
//
//   - hermes-init not root: its own ids, following links; the kernel already
//     limits it to what it may reach;
//   - root, home owned by another user: that user's uid and gid, following
//     links (the owner's gateway follows them too);
//   - root, home owned by root: root, refusing every link below the home,
//     since no lesser user's rights apply.
func Of(path string) (Rights, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Rights{}, err
	}
	uid, gid := ids(fi)
	switch {
	case os.Geteuid() != 0:
		return Rights{UID: os.Geteuid(), GID: os.Getegid(), Follow: true}, nil
	case uid != 0:
		return Rights{UID: uid, GID: gid, Switch: true, Follow: true}, nil
	}
	return Rights{}, nil
}

// Do runs fn with the rights: on a thread with the owner's file-system ids
// when Switch is set, else directly. Every file operation of fn must happen
// on the goroutine that runs it.
func (r Rights) Do(fn func() error) error {
	if !r.Switch {
		return fn()
	}
	return fsid.Run(r.UID, r.GID, fn)
}

// Open opens the directory at path (taken as given, symlinks in it followed)
// in the rights' mode. In follow mode it must run inside Do.
func (r Rights) Open(path string) (*Dir, error) {
	return Open(path, r.Follow)
}

// String says how the home is read, for the plan and the logs.
func (r Rights) String() string {
	switch {
	case r.Switch:
		return fmt.Sprintf("as the home's owner (uid %d, gid %d), following symbolic links", r.UID, r.GID)
	case r.Follow:
		return fmt.Sprintf("as uid %d, gid %d (hermes-init's own), following symbolic links", r.UID, r.GID)
	}
	return "as root (the home's owner), refusing symbolic links below the home"
}

func ids(fi fs.FileInfo) (int, int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return os.Geteuid(), os.Getegid()
}

// OpenBelow opens path, a directory at or below the home directory home
// (HERMES_HOME, taken as given). In strict mode every component below home
// is opened refusing symbolic links; in follow mode path is opened as given.
// A path that is not below home is opened as given in both modes.
func (r Rights) OpenBelow(home, path string) (*Dir, error) {
	rel, err := filepath.Rel(home, path)
	if r.Follow || err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return Open(path, r.Follow)
	}
	d, err := Open(home, false)
	if err != nil {
		return nil, err
	}
	for _, name := range strings.Split(rel, "/") {
		if name == "." || name == "" {
			continue
		}
		sub, err := d.Sub(name)
		d.Close()
		if err != nil {
			return nil, err
		}
		d = sub
	}
	return d, nil
}

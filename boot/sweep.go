package boot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// staleFiles lists the PID-namespace-bound files present in a profile home
// (rule 8: gateway.pid and processes.json, nothing else) and records them in
// pend as removed, for the reads that follow. A symlink under one of those
// names is the file to remove (unlink takes the link, never its target). A
// directory is left alone with a warning: unlinking it is not what the rule
// means (upstream's pass fails on it).
func staleFiles(d *homefs.Dir, pend *homefs.Pending) ([]string, []gateway.Warning) {
	var paths []string
	var warns []gateway.Warning
	for _, name := range gateway.StaleRuntimeFiles() {
		path := d.Join(name)
		fi, err := d.Lstat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			warns = append(warns, gateway.Warning{Path: path, Reason: gateway.Reason(path, err) + "; not swept"})
		case fi.IsDir():
			warns = append(warns, gateway.Warning{Path: path, Reason: "is a directory; not swept"})
		default:
			paths = append(paths, path)
			pend.Remove(d, name)
		}
	}
	return paths, warns
}

// sweep removes the planned stale files. Each path must be a stale-file name
// in the home or in a profile directory directly below profiles/; anything
// else in a plan is refused, so a hand-made Plan cannot delete other files.
func sweep(home *homefs.Dir, paths []string) error {
	var errs []error
	for _, path := range paths {
		if err := sweepOne(home, path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sweepOne(home *homefs.Dir, path string) error {
	dir, name, err := sweepTarget(home.Path(), path)
	if err != nil {
		return err
	}
	d := home
	if dir != "" {
		profiles, err := home.Sub(gateway.ProfilesDir)
		if err == nil {
			defer profiles.Close()
			d, err = profiles.Sub(filepath.Base(dir))
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil // the profile went away: nothing stale is left in it
		}
		if err != nil {
			return fmt.Errorf("sweep %s: %s", path, gateway.Reason(path, err))
		}
		defer d.Close()
	}
	if _, err := d.RemoveFile(name); err != nil {
		return fmt.Errorf("sweep %s: %w", path, unwrap(err))
	}
	return nil
}

func sweepTarget(home, path string) (dir, name string, err error) {
	rel, err := filepath.Rel(home, path)
	dir, name = filepath.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	parts := strings.Split(dir, "/")
	inProfile := len(parts) == 2 && parts[0] == gateway.ProfilesDir && gateway.ValidProfileName(parts[1])
	if err != nil || !slices.Contains(gateway.StaleRuntimeFiles(), name) || (dir != "" && !inProfile) {
		return "", "", fmt.Errorf("sweep %s: not a stale runtime file of a profile in %s; refused", path, home)
	}
	return dir, name, nil
}

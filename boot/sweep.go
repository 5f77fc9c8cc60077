package boot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// staleFiles lists the PID-namespace-bound files present in a profile home
// (rule 8: gateway.pid and processes.json, nothing else). A directory under
// one of those names is left alone with a warning: unlinking it is not what
// the rule means, and Hermes would crash on it.
func staleFiles(r *os.Root) ([]string, []gateway.Warning) {
	var paths []string
	var warns []gateway.Warning
	for _, name := range gateway.StaleRuntimeFiles() {
		fi, err := nofollow.Lstat(r, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			warns = append(warns, gateway.Warning{Path: nofollow.Join(r, name), Reason: reason(err) + "; not swept"})
		case fi.IsDir():
			warns = append(warns, gateway.Warning{Path: nofollow.Join(r, name), Reason: "is a directory; not swept"})
		default:
			paths = append(paths, nofollow.Join(r, name))
		}
	}
	return paths, warns
}

// sweep removes the planned stale files. Each path must be a stale-file name
// in the home or in a profile directory directly below profiles/; anything
// else in a plan is refused, so a hand-made Plan cannot delete other files.
func sweep(home string, paths []string) error {
	var errs []error
	for _, path := range paths {
		if err := sweepOne(home, path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sweepOne(home, path string) error {
	dir, name, err := sweepTarget(home, path)
	if err != nil {
		return err
	}
	r, err := nofollow.OpenPath(home, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // the profile went away: nothing stale is left in it
	}
	if err != nil {
		return fmt.Errorf("sweep %s: %w", path, err)
	}
	defer r.Close()
	if _, err := nofollow.RemoveFile(r, name); err != nil {
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

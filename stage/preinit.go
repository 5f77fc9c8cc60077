package stage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// InitPath is the PATH s6-overlay's /init gives everything it runs: the
// container's, with /bin, /usr/bin and /command put in front when missing
// (/command ends up first), so that s6-setuidgid and with-contenv resolve by
// name.
func InitPath(p string) string {
	if p == "" {
		p = "/bin"
	}
	for _, dir := range []string{"/bin", "/usr/bin", s6compat.CommandDir} {
		if !strings.Contains(":"+p+":", ":"+dir+":") {
			p = dir + ":" + p
		}
	}
	return p
}

// ErrRunReadOnly: /run cannot be written by this user (a PID 1 started with
// --user); hermes-init goes on without what it keeps there.
var ErrRunReadOnly = errors.New("preinit: /run is not writable")

// Preinit prepares /run as s6-overlay's preinit does: it exists (a tmpfs is
// mounted with S6_READ_ONLY_ROOT when it is not writable), /var/run points
// to it, and nothing of an earlier life of the container is left in
// /run/s6, /run/service, /run/uncaught-logs or /run/s6-rc*.
func Preinit(s Settings, log *supervisor.Logger) error {
	if err := os.MkdirAll("/run", 0o755); err != nil && !s.ReadOnlyRoot {
		return fmt.Errorf("create /run: %w", err)
	}
	if s.ReadOnlyRoot && unix.Access("/run", unix.W_OK) != nil {
		log.Infof("preinit: /run is not writable: mounting a tmpfs there")
		if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
			return fmt.Errorf("mount a tmpfs on /run (S6_READ_ONLY_ROOT; needs CAP_SYS_ADMIN or a writable /run): %w", err)
		}
	}
	if target, err := os.Readlink("/var/run"); err != nil || filepath.Clean(target) != "/run" && target != "../run" {
		fixVarRun(log)
	}
	olds, _ := filepath.Glob("/run/s6-rc*")
	for _, p := range append([]string{"/run/s6", "/run/service", "/run/uncaught-logs"}, olds...) {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("clean %s: %w", p, err)
		}
	}
	for _, p := range []string{"/run/s6", "/run/service"} {
		if err := os.Mkdir(p, 0o755); errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EROFS) {
			return fmt.Errorf("%w (uid %d): create %s: %v", ErrRunReadOnly, os.Geteuid(), p, err)
		} else if err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	return nil
}

// fixVarRun makes /var/run a symlink to /run when it is missing or an empty
// directory; a /var/run with something in it is left, with a warning (s6-
// overlay removes it: hermes-init loses nothing).
func fixVarRun(log *supervisor.Logger) {
	fi, err := os.Lstat("/var/run")
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err == nil && fi.IsDir():
		if err := os.Remove("/var/run"); err != nil {
			log.Warnf("preinit: /var/run is a directory, not a symlink to /run, and cannot be replaced: %v", err)
			return
		}
	default:
		log.Warnf("preinit: /var/run is not a symlink to /run; left as it is")
		return
	}
	log.Warnf("preinit: /var/run is not a symlink to /run, fixing it")
	if err := os.Symlink("/run", "/var/run"); err != nil {
		log.Warnf("preinit: %v", err)
	}
}

// WriteExitCode makes the container results' exit code file, "0": the
// status of a container stopped by docker stop, unless a script writes
// another (s6-linux-init's default).
func WriteExitCode(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte("0\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

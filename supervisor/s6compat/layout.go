package s6compat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Owner is who owns what hermes-init writes in the scan directory: the
// gateway user, so that the Hermes CLI (uid 10000) can register and remove
// slots there as s6-overlay's reconciler arranged (chown -R /run/service).
// -1 leaves the owner hermes-init's.
type Owner struct{ UID, GID int }

// PrepareScanDir makes scandir ready for this boot: it exists (0755, owned
// by o), holds no service directory of a gateway slot nor a staging
// directory left by an earlier life of the container (s6-overlay's /run is a
// fresh tmpfs; Docker keeps a container's /run across restarts), and its
// .s6-svscan/hermes-init.sock points to socket, which is how the s6 programs
// find this hermes-init. Other service directories are kept: a boot scan
// picks them up, as s6-svscan's first scan does.
func PrepareScanDir(scandir, socket string, o Owner) error {
	if err := os.MkdirAll(scandir, 0o755); err != nil {
		return fmt.Errorf("create scan directory %s: %w", scandir, err)
	}
	if err := lchown(scandir, o); err != nil {
		return err
	}
	entries, err := os.ReadDir(scandir)
	if err != nil {
		return fmt.Errorf("read scan directory %s: %w", scandir, err)
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "gateway-") || strings.HasPrefix(n, ".") && strings.HasSuffix(n, ".tmp") {
			if err := os.RemoveAll(filepath.Join(scandir, n)); err != nil {
				return fmt.Errorf("remove stale %s: %w", filepath.Join(scandir, n), err)
			}
		}
	}
	ctl := filepath.Join(scandir, ControlDir)
	if err := os.MkdirAll(ctl, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", ctl, err)
	}
	link := filepath.Join(ctl, SocketLink)
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(socket, tmp); err != nil {
		return fmt.Errorf("link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("link %s: %w", link, err)
	}
	return nil
}

// Slot is a gateway slot's service directory as the Hermes reconciler lays
// it out (hermes-agent's hermes_cli/service_manager.py, register_profile_gateway).
type Slot struct {
	Profile string // "default" for the root profile
	Down    bool   // registered down: a down file
}

// WriteSlotDir writes <scandir>/gateway-<profile> as Hermes's
// _register_service does: built in the dot-prefixed staging directory
// .gateway-<profile>.tmp (a scan skips dot entries, so nobody supervises a
// half-built directory), with type, run, finish, log/run, down when the slot
// starts down, and the supervise/ and event/ skeleton, everything owned by
// o; an existing directory is replaced; then renamed into place.
//
// hermes-init supervises the slot itself with its configured gateway
// command: run, finish and log/run say what s6 would run, for whoever reads
// them, and are not executed.
func WriteSlotDir(scandir string, s Slot, o Owner) (err error) {
	name := "gateway-" + s.Profile
	final := filepath.Join(scandir, name)
	stage := filepath.Join(scandir, "."+name+".tmp")
	if err := os.RemoveAll(stage); err != nil {
		return fmt.Errorf("remove staging directory %s: %w", stage, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	files := []struct {
		path, text string
		mode       os.FileMode
	}{
		{"type", "longrun\n", 0o644},
		{"run", runScript(s.Profile), 0o755},
		{"finish", finishScript, 0o755},
		{"log/run", logRunScript(s.Profile), 0o755},
	}
	if s.Down {
		files = append(files, struct {
			path, text string
			mode       os.FileMode
		}{"down", "", 0o644})
	}
	for _, d := range []string{"", "log"} {
		if err := mkdirOwned(filepath.Join(stage, d), 0o755, o); err != nil {
			return err
		}
	}
	for _, f := range files {
		p := filepath.Join(stage, f.path)
		if err := os.WriteFile(p, []byte(f.text), f.mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // the umask must not strip x
			return fmt.Errorf("chmod %s: %w", p, err)
		}
		if err := lchown(p, o); err != nil {
			return err
		}
	}
	for _, d := range []string{stage, filepath.Join(stage, "log")} {
		if err := seedSupervise(d, o); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("replace %s: %w", final, err)
	}
	if err := os.Rename(stage, final); err != nil {
		return fmt.Errorf("publish %s: %w", final, err)
	}
	return nil
}

// seedSupervise lays the skeleton Hermes pre-creates so that its CLI, as
// uid 10000, may use a slot s6-supervise (root) runs: event/ (03730),
// supervise/ (0755), supervise/event/ (03730), the FIFO supervise/control
// (0660).
func seedSupervise(dir string, o Owner) error {
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{"event", 0o730 | os.ModeSetgid | os.ModeSticky}, {"supervise", 0o755}, {"supervise/event", 0o730 | os.ModeSetgid | os.ModeSticky}} {
		if err := mkdirOwned(filepath.Join(dir, d.path), d.mode, o); err != nil {
			return err
		}
	}
	fifo := filepath.Join(dir, "supervise", "control")
	if err := unix.Mkfifo(fifo, 0o660); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("mkfifo %s: %w", fifo, err)
	}
	if err := os.Chmod(fifo, 0o660); err != nil {
		return fmt.Errorf("chmod %s: %w", fifo, err)
	}
	return lchown(fifo, o)
}

func mkdirOwned(p string, mode os.FileMode, o Owner) error {
	if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", p, err)
	}
	if err := os.Chmod(p, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	return lchown(p, o)
}

func lchown(p string, o Owner) error {
	if o.UID < 0 && o.GID < 0 {
		return nil
	}
	if err := os.Lchown(p, o.UID, o.GID); err != nil {
		return fmt.Errorf("chown %s to %d:%d: %w", p, o.UID, o.GID, err)
	}
	return nil
}

// shellQuote quotes s for sh as Python's shlex.quote does.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// runScript is the slot's run as Hermes renders it (no extra environment):
// the root profile runs without -p.
func runScript(profile string) string {
	cmd := "hermes gateway run --replace"
	if profile != "default" {
		cmd = "hermes -p " + shellQuote(profile) + " gateway run --replace"
	}
	return "#!/command/with-contenv sh\n" +
		"# shellcheck shell=sh\n" +
		"# hermes-init supervises this slot itself, with its configured gateway command;\n" +
		"# this is what s6 would run.\n" +
		"set -e\n" +
		"export HOME=/opt/data\n" +
		"cd /opt/data\n" +
		"export HERMES_S6_SUPERVISED_CHILD=1\n" +
		"export HERMES_SUPERVISED_CHILD=1\n" +
		"[ \"$(id -u)\" = 0 ] || exec " + cmd + "\n" +
		"exec s6-setuidgid hermes " + cmd + "\n"
}

// finishScript maps the gateway's 78 (fatal config) and 0 (intentional stop)
// to 125: not restarted (#51228, #76435).
const finishScript = "#!/command/with-contenv sh\n" +
	"# shellcheck shell=sh\n" +
	"# $1 = exit code from the run script.\n" +
	"# Exit 78 (EX_CONFIG) = fatal config error — don't restart.\n" +
	"# Exit 0 (clean stop) = intentional stop — don't restart.\n" +
	"if [ \"$1\" = \"78\" ]; then\n  exit 125\nfi\n" +
	"if [ \"$1\" = \"0\" ]; then\n  exit 125\nfi\n" +
	"exit 0\n"

// logRunScript is the slot's log/run: s6-log into the profile's log
// directory, as the gateway user.
func logRunScript(profile string) string {
	p := shellQuote(profile)
	return "#!/command/with-contenv sh\n" +
		"# shellcheck shell=sh\n" +
		": \"${HERMES_HOME:=/opt/data}\"\n" +
		"log_dir=\"$HERMES_HOME/logs/gateways/" + p + "\"\n" +
		"if [ \"$(id -u)\" = 0 ]; then\n" +
		"  s6-setuidgid hermes mkdir -p \"$log_dir\"\n" +
		"  s6-setuidgid hermes rm -f \"$log_dir/lock\"\n" +
		"else\n" +
		"  mkdir -p \"$log_dir\"\n" +
		"  rm -f \"$log_dir/lock\"\n" +
		"fi\n" +
		"[ \"$(id -u)\" = 0 ] || exec s6-log 1 n10 s1000000 T \"$log_dir\"\n" +
		"exec s6-setuidgid hermes s6-log 1 n10 s1000000 T \"$log_dir\"\n"
}

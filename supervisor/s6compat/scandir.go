package s6compat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/spec"
)

// The service directory files hermes-init reads (s6 servicedir.html).
const (
	runFile            = "run"
	finishFile         = "finish"
	downFile           = "down"
	timeoutKillFile    = "timeout-kill"
	timeoutFinishFile  = "timeout-finish"
	notificationFDFile = "notification-fd"
	downSignalFile     = "down-signal"
)

// DefaultFinishTimeout is s6's bound on ./finish without a timeout-finish file.
const DefaultFinishTimeout = 5 * time.Second

// unlimited stands for "no bound" where the supervisor wants a duration
// (timeout-finish 0).
const unlimited = time.Duration(1<<63 - 1)

// maxNameLen is s6-svscan's default name_max.
const maxNameLen = 251

// CommandDir is where the image links the s6 programs to hermes-init; scanned
// services find them on their PATH, as under s6-overlay.
const CommandDir = "/command"

// ServiceDir is what a scan found in one service directory.
type ServiceDir struct {
	Name   string // its name in the scan directory
	Path   string // absolute, as found in the scan directory (maybe a symlink)
	Down   bool   // ./down exists: the service is not started when picked up
	Finish bool   // ./finish exists
	// TimeoutKill is timeout-kill: SIGKILL that long after a down's SIGTERM;
	// 0 (no file, 0 or an invalid value) never kills, as in s6.
	TimeoutKill time.Duration
	// TimeoutFinish is timeout-finish (default 5 s); unlimited for 0.
	TimeoutFinish time.Duration
	// UID and GID run the service. The scan directory is writable by the
	// gateway user (the Hermes CLI registers slots as uid 10000), so a
	// service runs as the owner of its directory entry, or of ./run, when
	// that is not root: creating a directory there never buys more
	// privilege than its creator has. -1: hermes-init's own (root).
	UID, GID int
	// ID is the directory's device and inode: a directory deleted and made
	// again under the same name is another service (ServiceSpec.ID).
	ID string
	// NotificationFD is notification-fd: the fd on which the service says
	// it is ready; 0 without one (or an invalid one).
	NotificationFD int
	// DownSignal is down-signal: what s6-svc -d sends; 0 is SIGTERM.
	DownSignal syscall.Signal
}

// DirID returns the device:inode identity of the directory at path, or "".
func DirID(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// ReadScanDir lists the service directories of scandir as s6-svscan's
// scanner does: every entry that is a directory (or a symlink to one) and
// does not start with a dot. Entries without a run file, or whose name the
// control socket cannot carry, are left out with a warning.
func ReadScanDir(scandir string) ([]ServiceDir, []string, error) {
	entries, err := os.ReadDir(scandir)
	if err != nil {
		return nil, nil, fmt.Errorf("read scan directory %s: %w", scandir, err)
	}
	var dirs []ServiceDir
	var warnings []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		d, err := readServiceDir(scandir, name)
		switch {
		case errors.Is(err, errNotServiceDir):
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("scan: %s: %v; not supervised", filepath.Join(scandir, name), err))
		default:
			dirs = append(dirs, d)
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name < dirs[j].Name })
	return dirs, warnings, nil
}

var errNotServiceDir = errors.New("not a directory")

// ReadServiceDir reads the service directory scandir/name as s6-supervise
// would (see ServiceDir).
func ReadServiceDir(scandir, name string) (ServiceDir, error) {
	return readServiceDir(scandir, name)
}

func readServiceDir(scandir, name string) (ServiceDir, error) {
	p := filepath.Join(scandir, name)
	d := ServiceDir{Name: name, Path: p, UID: -1, GID: -1, TimeoutFinish: DefaultFinishTimeout}
	lfi, err := os.Lstat(p)
	if err != nil {
		return d, err
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.IsDir() {
		return d, errNotServiceDir
	}
	if !validName(name) {
		return d, fmt.Errorf("name %q is longer than %d bytes or holds a space, a control character or a slash", name, maxNameLen)
	}
	run, err := os.Stat(filepath.Join(p, runFile))
	if err != nil {
		return d, fmt.Errorf("no %s file: %w", runFile, unwrapPath(err))
	}
	d.ID = DirID(p)
	d.UID, d.GID = owner(lfi)
	if d.UID < 0 {
		d.UID, d.GID = owner(run)
	}
	if _, err := os.Stat(filepath.Join(p, downFile)); err == nil {
		d.Down = true
	}
	if fi, err := os.Stat(filepath.Join(p, finishFile)); err == nil && !fi.IsDir() {
		d.Finish = true
	}
	if ms, ok := readMillis(filepath.Join(p, timeoutKillFile)); ok {
		d.TimeoutKill = time.Duration(ms) * time.Millisecond
	}
	if n, ok := readMillis(filepath.Join(p, notificationFDFile)); ok && n >= 3 && n < 1024 {
		d.NotificationFD = int(n)
	}
	if b, err := os.ReadFile(filepath.Join(p, downSignalFile)); err == nil {
		d.DownSignal = parseSignalName(strings.TrimSpace(string(b)))
	}
	if ms, ok := readMillis(filepath.Join(p, timeoutFinishFile)); ok {
		d.TimeoutFinish = time.Duration(ms) * time.Millisecond
		if ms == 0 {
			d.TimeoutFinish = unlimited
		}
	}
	return d, nil
}

// owner is fi's owner, or -1, -1 for root.
func owner(fi os.FileInfo) (int, int) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return -1, -1
	}
	return int(st.Uid), int(st.Gid)
}

// readMillis reads a file holding one unsigned number of milliseconds, as
// s6-supervise reads timeout-kill and timeout-finish; ok is false when the
// file is missing or invalid.
func readMillis(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	ms, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	return ms, err == nil
}

func validName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for _, r := range name {
		if r == '/' || r == unicode.ReplacementChar || !unicode.IsGraphic(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// Spec is the service s6-supervise would run for d: ./run with the
// directory's name as its argument and the directory as its working
// directory; ./finish after each exit (exit 125 keeps it down), or, without
// one, a restart after any exit; timeout-kill and timeout-finish. env is the
// environment of the supervision tree (hermes-init's), to which CommandDir
// is prepended on PATH.
func (d ServiceDir) Spec(env []string) spec.Service {
	sp := spec.Service{
		Name: d.Name, Argv: []string{filepath.Join(d.Path, runFile), d.Name},
		Env: withCommandDir(env), Dir: d.Path,
		Autostart: !d.Down, AlwaysRestart: !d.Finish,
		FinishTimeout:  d.TimeoutFinish,
		StopTimeout:    -1, // timeout-kill absent or 0: never SIGKILL
		Source:         spec.SourceScanDir,
		ID:             d.ID,
		NotificationFD: d.NotificationFD,
		StopSignal:     d.DownSignal,
	}
	if d.TimeoutKill > 0 {
		sp.StopTimeout = d.TimeoutKill
	}
	if d.Finish {
		sp.Finish = []string{filepath.Join(d.Path, finishFile)}
	}
	if d.UID >= 0 && os.Geteuid() == 0 {
		sp.Cred = &syscall.Credential{Uid: uint32(d.UID), Gid: uint32(d.GID), Groups: []uint32{uint32(d.GID)}}
	}
	return sp
}

// withCommandDir puts CommandDir first on env's PATH when it exists.
func withCommandDir(env []string) []string {
	if fi, err := os.Stat(CommandDir); err != nil || !fi.IsDir() {
		return env
	}
	out := make([]string, 0, len(env)+1)
	found := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			found = true
			if !strings.HasPrefix(v+":", CommandDir+":") {
				kv = "PATH=" + CommandDir + ":" + v
			}
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "PATH="+CommandDir+":/usr/local/bin:/usr/bin:/bin")
	}
	return out
}

// parseSignalName reads a signal as s6 names it in down-signal ("SIGHUP",
// "HUP" or a number); 0 when it is none.
func parseSignalName(s string) syscall.Signal {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n)
	}
	return unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(s), "SIG"))
}

// MarkSupervised creates the directory's supervise/ as s6-supervise does
// when it takes a service (mode 0700; here owned by whoever the service runs
// as), unless it exists: scripts and tests look for it to tell a supervised
// directory (Hermes's probes do). hermes-init keeps nothing in it: the s6
// programs ask hermes-init over its socket.
func (d ServiceDir) MarkSupervised() error {
	p := filepath.Join(d.Path, "supervise")
	if err := os.Mkdir(p, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil
		}
		return fmt.Errorf("create %s: %w", p, err)
	}
	if d.UID >= 0 {
		if err := os.Lchown(p, d.UID, d.GID); err != nil {
			return fmt.Errorf("chown %s: %w", p, err)
		}
	}
	return nil
}

package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
)

// Spec describes a process to start.
type Spec struct {
	Name  string   // for messages: "main", "gateway-default"
	Path  string   // executable, already resolved (see Resolve)
	Argv  []string // argv, including argv[0]
	Env   []string
	Dir   string
	Files []*os.File // become fds 0, 1, 2, ...
	// Cred runs the process as another user (nil: as hermes-init's user).
	Cred *syscall.Credential
	// Foreground makes the process group the foreground group of the terminal
	// on Files[0] (an interactive `docker run -it`).
	Foreground bool
	// Ignore lists signals the process must start with at SIG_IGN.
	Ignore []syscall.Signal
	// Mask, when set, is the signal mask the process must start with. A Go
	// fork only passes on blocked signals the runtime itself lets be blocked
	// (runtime.BeforeFork saves the forking thread's mask, from which minit
	// removed SIGTERM, SIGINT, SIGHUP and the fault signals), so a mask with
	// any of those goes through the helper.
	Mask *uint64
}

// runtimeUnblocks are the signals the Go runtime unblocks on its threads
// (runtime.blockableSig is false for them), so a direct fork cannot pass them
// on blocked.
const runtimeUnblocks = 1<<(1-1) | 1<<(2-1) | 1<<(3-1) | 1<<(4-1) | 1<<(5-1) | 1<<(6-1) | 1<<(7-1) |
	1<<(8-1) | 1<<(11-1) | 1<<(15-1) | 1<<(16-1) | 1<<(17-1) | 1<<(23-1) | 1<<(27-1) | 1<<(31-1) |
	1<<(32-1) | 1<<(33-1) | 1<<(34-1)

// ChildMask returns the mask children must get when a direct fork would not
// give it to them: hermes-init's own starting mask, when it blocks signals the
// runtime unblocks.
func ChildMask() *uint64 {
	if mask, ok := earlysignal.MaskAtStart(); ok && mask&runtimeUnblocks != 0 {
		return &mask
	}
	return nil
}

// Process is a started service process. It leads its own process group.
type Process struct {
	Pid     int
	Started time.Time
	Exit    <-chan Exit
	proc    *os.Process // holds a pidfd: signalling it after reaping is safe
}

// Signal sends sig to the process group, and to the process itself if it has
// left the group (setsid). Gone is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	err := unix.Kill(-p.Pid, sig)
	if err == unix.ESRCH && p.proc != nil {
		err = p.proc.Signal(sig)
		if errors.Is(err, os.ErrProcessDone) {
			return nil
		}
	}
	if err == unix.ESRCH {
		return nil
	}
	return err
}

// Release frees the pidfd after the process has been reaped.
func (p *Process) Release() {
	if p.proc != nil {
		_ = p.proc.Release()
		p.proc = nil
	}
}

// Spawner starts processes into cgroups and registers them with the reaper.
type Spawner struct {
	Reaper *Reaper
	Log    *Logger
	// Self is the binary the spawn helper is re-executed from.
	Self string
	// noClone3 caches that clone3 is refused (ENOSYS from seccomp, or a kernel
	// without it), so later spawns go straight to the helper.
	noClone3 atomic.Bool
}

// Start starts spec inside g. The process leads its own process group.
func (s *Spawner) Start(spec Spec, g *cgroup.Group) (*Process, error) {
	if spec.Dir != "" {
		// A fork error cannot tell a missing directory from a missing program.
		if fi, err := os.Stat(spec.Dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = errors.New("not a directory")
			}
			return nil, &ExecError{Name: spec.Argv[0], Err: fmt.Errorf("working directory %s: %w", spec.Dir, err), Status: ExitCannotExec}
		}
	}
	plain := len(spec.Ignore) == 0 && spec.Mask == nil // nothing a fork cannot do
	direct := g.CgroupFD() >= 0 && !g.NeedsJoin() && plain && !s.noClone3.Load()
	if g.CgroupFD() < 0 && !g.NeedsJoin() && plain {
		return s.start(spec, -1) // ModeNone: a plain fork is all there is
	}
	if direct {
		p, err := s.start(spec, g.CgroupFD())
		if err == nil || !clone3Refused(err) {
			return p, err
		}
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.E2BIG) {
			s.noClone3.Store(true)
		}
		s.Log.Infof("clone3 into cgroup %s refused (%v): using the spawn helper", g.Path(), err)
	}
	return s.startHelper(spec, g)
}

// clone3Refused tells a refused clone3(CLONE_INTO_CGROUP) from an exec error.
// Exec errors are rare here because Resolve checked the file first.
func clone3Refused(err error) bool {
	for _, e := range []error{unix.ENOSYS, unix.E2BIG, unix.EPERM, unix.EINVAL, unix.EBUSY, unix.EOPNOTSUPP} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (s *Spawner) start(spec Spec, cgroupFD int) (*Process, error) {
	attr := &os.ProcAttr{Dir: spec.Dir, Env: spec.Env, Files: spec.Files, Sys: s.sysAttr(spec)}
	attr.Sys.Credential = spec.Cred
	if cgroupFD >= 0 {
		attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, cgroupFD
	}
	return s.fork(spec.Path, spec.Argv, attr)
}

func (s *Spawner) sysAttr(spec Spec) *syscall.SysProcAttr {
	if spec.Foreground && len(spec.Files) > 0 && spec.Files[0] != nil {
		return &syscall.SysProcAttr{Foreground: true, Ctty: int(spec.Files[0].Fd())}
	}
	return &syscall.SysProcAttr{Setpgid: true}
}

func (s *Spawner) fork(path string, argv []string, attr *os.ProcAttr) (*Process, error) {
	var proc *os.Process
	pid, exit, err := s.Reaper.Start(func() (int, error) {
		p, err := os.StartProcess(path, argv, attr)
		if err != nil {
			return 0, err
		}
		proc = p
		return p.Pid, nil
	})
	if err != nil {
		return nil, err
	}
	return &Process{Pid: pid, Started: time.Now(), Exit: exit, proc: proc}, nil
}

// startHelper re-executes hermes-init as its spawn helper: it joins every
// cgroup.procs of the group (starting in the v2 cgroup already when clone3
// works), applies the ignored dispositions and credentials, then execs spec.
func (s *Spawner) startHelper(spec Spec, g *cgroup.Group) (*Process, error) {
	args := []string{"hermes-init", earlysignal.HelperCommand}
	join := g.ProcsFiles()
	if len(join) > 0 {
		args = append(args, "--join", strings.Join(join, ","))
	}
	if len(spec.Ignore) > 0 {
		var nums []string
		for _, sig := range spec.Ignore {
			nums = append(nums, strconv.Itoa(int(sig)))
		}
		args = append(args, "--ignore", strings.Join(nums, ","))
	}
	if spec.Mask != nil {
		args = append(args, "--mask", strconv.FormatUint(*spec.Mask, 16))
	}
	if c := spec.Cred; c != nil {
		args = append(args, "--uid", strconv.Itoa(int(c.Uid)), "--gid", strconv.Itoa(int(c.Gid)))
		if !c.NoSetGroups {
			var gs []string
			for _, x := range c.Groups {
				gs = append(gs, strconv.Itoa(int(x)))
			}
			args = append(args, "--groups", strings.Join(gs, ","))
		}
	}
	args = append(args, "--", spec.Path)
	args = append(args, spec.Argv...)
	attr := &os.ProcAttr{Dir: spec.Dir, Env: spec.Env, Files: spec.Files, Sys: s.sysAttr(spec)}
	if fd := g.CgroupFD(); fd >= 0 && !s.noClone3.Load() {
		attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, fd
		p, err := s.fork(s.Self, args, attr)
		if err == nil || !clone3Refused(err) {
			return p, err
		}
		attr.Sys.UseCgroupFD = false
	}
	return s.fork(s.Self, args, attr)
}

// ExecError is a command that cannot be started, with the exit status the
// contract gives it (127 not found, 126 not executable).
type ExecError struct {
	Name   string
	Err    error
	Status int
}

func (e *ExecError) Error() string { return fmt.Sprintf("cannot run %q: %v", e.Name, e.Err) }
func (e *ExecError) Unwrap() error { return e.Err }

// Resolve finds name as execvp would, in the PATH of env, and checks that it
// can be executed, so that failures are reported as 127 or 126 before any fork.
func Resolve(name string, env []string) (string, error) {
	if name == "" {
		return "", &ExecError{Name: name, Err: errors.New("empty command"), Status: ExitNotFound}
	}
	if strings.Contains(name, "/") {
		return name, checkExec(name, name)
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := checkExec(name, p)
		if err == nil {
			return p, nil
		}
		var ee *ExecError
		if errors.As(err, &ee) && ee.Status == ExitCannotExec && denied == nil {
			denied = err // keep looking, as execvp does, but remember why
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", &ExecError{Name: name, Err: errors.New("not found in PATH"), Status: ExitNotFound}
}

func checkExec(name, path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &ExecError{Name: name, Err: errors.New("no such file or directory"), Status: ExitNotFound}
	case err != nil:
		return &ExecError{Name: name, Err: err, Status: ExitCannotExec}
	case fi.IsDir():
		return &ExecError{Name: name, Err: errors.New("is a directory"), Status: ExitCannotExec}
	}
	if err := unix.Access(path, unix.X_OK); err != nil {
		return &ExecError{Name: name, Err: errors.New("permission denied"), Status: ExitCannotExec}
	}
	return nil
}

// StartError turns an error from Start into an ExecError with its status.
func StartError(name string, err error) *ExecError {
	var ee *ExecError
	if errors.As(err, &ee) {
		return ee
	}
	if errors.Is(err, unix.ENOENT) {
		return &ExecError{Name: name, Err: err, Status: ExitNotFound}
	}
	return &ExecError{Name: name, Err: err, Status: ExitCannotExec}
}

package stage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor"
)

// Paths are where the stages find the image's files and lay out theirs.
type Paths struct {
	// Etc holds cont-init.d, cont-finish.d, services.d and fix-attrs.d:
	// /etc, or /etc/cont-profile.d/<S6_RUNTIME_PROFILE>.
	Etc string
	// SourceDir holds the s6-rc definitions (/etc/s6-overlay/s6-rc.d) and
	// BundleDir the user and user2 bundles (/etc/s6-overlay/user-bundles.d,
	// or S6_RUNTIME_BUNDLEDIR).
	SourceDir, BundleDir string
	// ScanDir is the scan directory (/run/service); ServiceDirs where the
	// longruns' service directories are laid out (/run/s6-rc/servicedirs);
	// LegacyDir where /etc/services.d is copied (/run/s6/legacy-services).
	ScanDir, ServiceDirs, LegacyDir string
	// ExitCode is the file that holds the container's exit status
	// (/run/s6-linux-init-container-results/exitcode).
	ExitCode string
}

// DefaultPaths are s6-overlay's, for the runtime profile and bundle
// directory the settings name.
func DefaultPaths(s Settings) Paths {
	etc, overlay := "/etc", "/etc/s6-overlay"
	if s.RuntimeProfile != "" {
		etc = filepath.Join("/etc/cont-profile.d", s.RuntimeProfile)
		overlay = filepath.Join(etc, "s6-overlay")
	}
	bundles := filepath.Join(overlay, "user-bundles.d")
	if s.BundleDir != "" {
		bundles = s.BundleDir
	}
	return Paths{
		Etc:         etc,
		SourceDir:   filepath.Join(overlay, "s6-rc.d"),
		BundleDir:   bundles,
		ScanDir:     "/run/service",
		ServiceDirs: "/run/s6-rc/servicedirs",
		LegacyDir:   "/run/s6/legacy-services",
		ExitCode:    "/run/s6-linux-init-container-results/exitcode",
	}
}

// Dynamic is the supervision hermes-init adds to what the image declares:
// the Hermes gateway slots and the services of the scan directory (package
// main wires it).
type Dynamic interface {
	// Prepare runs when /etc/cont-init.d is done (it may have remapped the
	// gateway user's uid, as Hermes's stage2 hook does): settle the users,
	// carry out the boot plan, open the control socket.
	Prepare(ctx context.Context, sup *supervisor.Supervisor) error
	// Start runs where s6-overlay's services-up scans /run/service: start
	// the gateway slots and pick up the scan directory.
	Start(ctx context.Context, sup *supervisor.Supervisor) error
}

// Stages carries out s6-overlay v3's stage 2 and stage 3 for hermes-init as
// /init; it implements supervisor.Stages. See doc.go for the order.
type Stages struct {
	Paths    Paths
	Settings Settings
	DB       *DB
	// Env is the environment of every program the stages run, the main
	// program's included: PATH alone, unless KeepEnv (see ProgramEnv).
	Env []string
	// Command is the main program (the container's CMD); S6_CMD_ARG0 goes
	// in front of it. Empty: none.
	Command []string
	// Workdir is the main program's working directory (the container's).
	Workdir string
	Dynamic Dynamic
	// Out receives the stages' messages (the container's stderr).
	Out io.Writer

	mu       sync.Mutex
	up       map[string]bool // atomic services brought up, for Down
	exitCode int
	pipes    map[string]*pipe // consumer name → its pipeline's pipe
	legacy   []string         // the /etc/services.d services
	sup      *supervisor.Supervisor
}

// Up is stage 2 (supervisor.Stages): the stage-2 hook, then every service
// of the "top" bundle in dependency order (fix-attrs, /etc/cont-init.d, the
// user bundle, /etc/services.d and hermes-init's own services, user2),
// then it returns the main program.
func (st *Stages) Up(ctx context.Context, sup *supervisor.Supervisor) (*supervisor.MainProgram, error) {
	st.sup = sup
	st.up = map[string]bool{}
	for _, w := range st.DB.Warnings {
		st.warnf("s6-rc-compile: warning: %s", w)
	}
	if err := st.hook(ctx); err != nil {
		return nil, err
	}
	if err := st.makePipes(); err != nil {
		st.halt(111, "%v", err)
		return nil, err
	}
	if r := st.bringUp(ctx); r != 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if st.Settings.Behaviour > 0 {
			st.warnf("rc.init: warning: s6-rc failed to properly bring all the services up! Check your logs for more information.")
			if st.Settings.Behaviour >= 2 {
				st.errorf("rc.init: fatal: stopping the container.")
				st.halt(r, "")
				return nil, fmt.Errorf("services failed to come up (status %d)", r)
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(st.Command) == 0 {
		return nil, nil
	}
	return &supervisor.MainProgram{
		Argv: append(append([]string(nil), st.Settings.CmdArg0...), st.Command...),
		Env:  st.Env,
		Dir:  st.Workdir,
	}, nil
}

// hook runs S6_STAGE2_HOOK, as rc.init does.
func (st *Stages) hook(ctx context.Context) error {
	h := st.Settings.Hook
	if len(h) == 0 {
		return nil
	}
	code, err := st.sup.RunOnce(ctx, supervisor.Once{Name: "stage2 hook", Argv: h, Env: st.Env, Dir: "/"})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		st.errorf("rc.init: %v", err)
	}
	hook := strings.Join(h, " ")
	switch {
	case code > 0 && st.Settings.Behaviour >= 2:
		st.errorf("rc.init: fatal: hook %s exited %d", hook, code)
		st.halt(code, "")
		return fmt.Errorf("stage2 hook exited %d", code)
	case code > 0:
		st.warnf("rc.init: warning: hook %s exited %d", hook, code)
	default:
		st.infof("rc.init: info: hook %s exited %d", hook, code)
	}
	return nil
}

// bringUp starts the "top" bundle and returns s6-rc's status: 0, 1 when a
// service failed, 2 when S6_CMD_WAIT_FOR_SERVICES_MAXTIME ran out.
func (st *Stages) bringUp(ctx context.Context) int {
	order, err := st.DB.Order(BundleTop)
	if err != nil { // ReadDB checked it
		st.errorf("s6-rc: fatal: %v", err)
		return 1
	}
	uctx, cancel := ctx, context.CancelFunc(func() {})
	if st.Settings.CmdWait > 0 {
		uctx, cancel = context.WithTimeout(ctx, st.Settings.CmdWait)
	}
	defer cancel()
	failed := change(uctx, order, st.DB.DirectDeps, func(ctx context.Context, name string) error {
		return st.start(ctx, name)
	})
	switch {
	case len(failed) == 0:
		return 0
	case errors.Is(uctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		st.errorf("s6-rc: warning: timed out bringing up %s", strings.Join(failed, ", "))
		return 2
	}
	return 1
}

// start brings one atomic service up, with s6-rc's messages.
func (st *Stages) start(ctx context.Context, name string) error {
	d := st.DB.Defs[name]
	st.infof("s6-rc: info: service %s: starting", name)
	tctx, cancel := ctx, context.CancelFunc(func() {})
	if d.TimeoutUp > 0 {
		tctx, cancel = context.WithTimeout(ctx, d.TimeoutUp)
	}
	defer cancel()
	var err error
	switch d.Kind {
	case KindOneshot:
		err = st.oneshot(ctx, d, d.Up, d.TimeoutUp)
	case KindLongrun:
		err = st.startLongrun(tctx, d)
	case KindStage:
		err = st.startOwn(tctx, name)
	}
	if err != nil {
		if ctx.Err() == nil {
			st.warnf("s6-rc: warning: unable to start service %s: %v", name, err)
		}
		return err
	}
	st.mu.Lock()
	st.up[name] = true
	st.mu.Unlock()
	st.infof("s6-rc: info: service %s successfully started", name)
	return nil
}

func (st *Stages) startOwn(ctx context.Context, name string) error {
	switch name {
	case FixAttrs:
		return st.fixAttrs()
	case LegacyContInit:
		if err := st.contInit(ctx); err != nil {
			return err
		}
		if st.Dynamic != nil {
			return st.Dynamic.Prepare(ctx, st.sup)
		}
		return nil
	case LegacyServices:
		return st.servicesUp(ctx)
	}
	return fmt.Errorf("unknown stage service %s", name)
}

// oneshot runs an up or down command line of an s6-rc oneshot, SIGKILLed
// after timeout (timeout-up, timeout-down; 0: none).
func (st *Stages) oneshot(ctx context.Context, d *Definition, argv []string, timeout time.Duration) error {
	if len(argv) == 0 {
		return nil // an empty script succeeds, as under execlineb
	}
	o := supervisor.Once{Name: d.Name, Argv: argv, Env: st.Env, Dir: "/", Timeout: timeout}
	code, err := st.sup.RunOnce(ctx, o)
	switch {
	case err != nil && code == supervisor.ExitNotFound && !strings.Contains(argv[0], "/"):
		// if, foreground, importas ... are programs of the execline package.
		return fmt.Errorf("%w (if it is an execline command, the image needs the execline package)", err)
	case err != nil:
		return err
	case code != 0:
		return fmt.Errorf("command exited %d", code)
	}
	return nil
}

// Down is stage 3 (supervisor.Stages): every service that came up goes
// down, dependents before their dependencies (user2, /etc/services.d, the
// user bundle, then /etc/cont-finish.d as legacy-cont-init's down), each
// wait bounded; then S6_SYNC_DISKS.
func (st *Stages) Down(sup *supervisor.Supervisor) {
	st.sup = sup
	st.mu.Lock()
	var order []string
	if all, err := st.DB.Order(BundleTop); err == nil {
		for i := len(all) - 1; i >= 0; i-- {
			if st.up[all[i]] {
				order = append(order, all[i])
			}
		}
	}
	st.mu.Unlock()
	// A service goes down once every service that depends on it is down.
	dependents := map[string][]string{}
	for _, n := range order {
		for _, dep := range st.DB.DirectDeps(n) {
			dependents[dep] = append(dependents[dep], n)
		}
	}
	change(context.Background(), order, func(n string) []string { return dependents[n] }, func(ctx context.Context, name string) error {
		st.stop(name)
		return nil
	})
	if st.Settings.SyncDisks {
		unix.Sync()
	}
}

// stop brings one service down, with s6-rc's messages; a failure is only
// said (s6-rc cannot do more, and the end of the stop kills what is left).
func (st *Stages) stop(name string) {
	d := st.DB.Defs[name]
	st.infof("s6-rc: info: service %s: stopping", name)
	var err error
	switch d.Kind {
	case KindOneshot:
		err = st.oneshot(context.Background(), d, d.Down, d.TimeoutDown)
	case KindLongrun:
		err = st.stopLongrun(d)
	case KindStage:
		switch name {
		case LegacyServices:
			st.servicesDown()
		case LegacyContInit:
			st.contFinish()
		}
	}
	if err != nil {
		st.warnf("s6-rc: warning: unable to stop service %s: %v", name, err)
		return
	}
	st.infof("s6-rc: info: service %s successfully stopped", name)
}

// change runs do for every name once the names it waits for (after) are
// done, as many at once as the order allows, as s6-rc does. A name whose
// awaited names failed is not run and fails too. It returns the failed
// names.
func change(ctx context.Context, names []string, after func(string) []string, do func(context.Context, string) error) []string {
	done := map[string]chan struct{}{}
	var mu sync.Mutex
	failed := map[string]bool{}
	for _, n := range names {
		done[n] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[n])
			ok := true
			for _, a := range after(n) {
				c, in := done[a]
				if !in {
					continue // not part of this change (already there)
				}
				<-c
				mu.Lock()
				ok = ok && !failed[a]
				mu.Unlock()
			}
			var err error
			if !ok || ctx.Err() != nil {
				err = errors.New("not started")
			} else {
				err = do(ctx, n)
			}
			if err != nil {
				mu.Lock()
				failed[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var out []string
	for _, n := range names {
		if failed[n] {
			out = append(out, n)
		}
	}
	return out
}

// MainExited records the main program's own exit as the container's
// status, as rc.init writes it before halting (supervisor.Stages).
func (st *Stages) MainExited(status int) {
	st.halt(status, "")
}

// halt records the container's exit status in the exit code file, where a
// finish script may also write it (s6-overlay's container results).
func (st *Stages) halt(status int, format string, args ...any) {
	if format != "" {
		st.errorf(format, args...)
	}
	st.mu.Lock()
	st.exitCode = status
	st.mu.Unlock()
	err := os.WriteFile(st.Paths.ExitCode, []byte(strconv.Itoa(status)+"\n"), 0o644)
	if err != nil && !errors.Is(err, os.ErrNotExist) { // missing: /run was not writable, as said
		st.warnf("%v", err)
	}
}

// ExitStatus is the container's status: what the exit code file says
// (written by the main program's exit, a failed stage 2, or a finish
// script), 0 when nothing wrote it (supervisor.Stages).
func (st *Stages) ExitStatus() int {
	b, err := os.ReadFile(st.Paths.ExitCode)
	if err != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.exitCode
	}
	s := strings.TrimSpace(string(b))
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		st.warnf("%s: %q is not an exit status (0 to 255); exiting 0", st.Paths.ExitCode, s)
		return 0
	}
	return n
}

// The stages' messages, by S6_VERBOSITY: errors always, warnings from 1,
// the start and stop of every service and script from 2.
func (st *Stages) errorf(format string, args ...any) { st.say(0, format, args...) }
func (st *Stages) warnf(format string, args ...any)  { st.say(1, format, args...) }
func (st *Stages) infof(format string, args ...any)  { st.say(2, format, args...) }

func (st *Stages) say(level int, format string, args ...any) {
	if st.Settings.Verbosity < level || st.Out == nil {
		return
	}
	fmt.Fprintf(st.Out, "hermes-init: %s\n", supervisor.Escape(fmt.Sprintf(format, args...)))
}

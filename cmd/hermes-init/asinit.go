package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/stage"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// runAsInit is hermes-init installed as s6-overlay v3's /init (argv[0]'s
// last element "init"): every argument is the container's command, run as
// the main program after stage 2; see package stage for the stages and
// docs/s6-overlay.md for what is and is not s6-overlay's.
func runAsInit(command []string, stderr io.Writer) int {
	environ := os.Environ()
	cfgPath, explicit := config.Path("", environ)
	cfg, err := config.Load(cfgPath, explicit, environ)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "hermes-init: %s\n", supervisor.Escape(line))
		}
		return supervisor.ExitUsage
	}
	settings := stage.ReadSettings(environ)
	lv, _ := supervisor.ParseLevel(cfg.LogLevel)
	log := supervisor.NewLogger(os.Stderr, lv)
	for _, w := range append(cfg.Warnings, settings.Warnings...) {
		log.Warnf("%s", w)
	}
	for _, w := range settings.Ignored {
		log.Debugf("%s", w)
	}

	// What s6-overlay's /init and preinit do before stage 1.
	path := initPath(lookup(environ, "PATH"))
	containerEnv := setEnv(environ, "PATH", path)
	if err := preinit(settings, log); errors.Is(err, errRunReadOnly) {
		// s6-overlay's preinit runs as root (setuid) and fixes /run; a
		// PID 1 started with --user cannot. The stages then see the
		// container's environment itself, since no envdir can hold it.
		log.Warnf("%v: no /run/s6 (container environment, halt, the s6 programs' scan directory); the stages get the container's environment as with S6_KEEP_ENV=1", err)
		settings.KeepEnv = true
	} else if err != nil {
		log.Errorf("%v", err)
		return 1
	}
	paths := stage.DefaultPaths(settings)
	if err := writeExitCode(paths.ExitCode); err != nil {
		log.Warnf("%v (the exit status is kept in memory)", err)
	}
	stageEnv := []string{"PATH=" + path}
	if settings.KeepEnv {
		stageEnv = containerEnv
	} else if err := s6compat.WriteEnvdir(cfg.S6.EnvDir, containerEnv); err != nil {
		log.Warnf("s6: %v (with-contenv will not find the container environment)", err)
	}
	self, err := os.Executable()
	if err != nil {
		self = "/proc/self/exe"
	}
	if err := s6compat.Pose(cfg.S6.BaseDir); err != nil {
		log.Warnf("s6: %v (Hermes will not see s6 as its service manager)", err)
	}
	if err := s6compat.LinkHalt(cfg.S6.BaseDir, self); err != nil {
		log.Warnf("s6: %v (scripts cannot halt the container)", err)
	}
	if err := s6compat.PrepareScanDir(cfg.S6.ScanDir, cfg.ControlSocket, s6compat.Owner{UID: -1, GID: -1}); err != nil {
		log.Warnf("s6: %v (the s6 programs will not reach hermes-init)", err)
	}
	db, err := stage.ReadDB(paths.SourceDir, paths.BundleDir)
	if err != nil {
		log.Errorf("s6-rc: %v", err)
		return 1
	}

	cwd, _ := os.Getwd() // the container's working directory, before Run moves to /
	dyn := &initDynamic{
		cfgPath: cfgPath, explicit: explicit, cfg: cfg, log: log,
		command: command, containerEnv: containerEnv, stageEnv: stageEnv,
		keepEnv: settings.KeepEnv, native: cfg.File != "" && cfg.Gateway.Enabled,
	}
	o := baseOptions(cfg, log)
	o.ControlSocket = cfg.ControlSocket
	o.Scan = dyn.scan
	o.Stages = &stage.Stages{
		Paths: paths, Settings: settings, DB: db, Env: stageEnv,
		Command: command, Workdir: cwd, Dynamic: dyn, Out: stderr,
	}
	o.MainReceivesSignals = settings.CmdReceivesSignals
	o.FinalGrace = settings.KillGrace
	return supervisor.Run(o)
}

// initPath is the PATH s6-overlay's /init gives everything it runs: the
// container's, with /bin, /usr/bin and /command put in front when missing
// (/command ends up first), so that s6-setuidgid and with-contenv resolve by
// name.
func initPath(p string) string {
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

// preinit prepares /run as s6-overlay's preinit does: it exists (a tmpfs is
// mounted with S6_READ_ONLY_ROOT when it is not writable), /var/run points
// to it, and nothing of an earlier life of the container is left in
// /run/s6, /run/service, /run/uncaught-logs or /run/s6-rc*.
func preinit(s stage.Settings, log *supervisor.Logger) error {
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
			return fmt.Errorf("%w (uid %d): create %s: %v", errRunReadOnly, os.Geteuid(), p, err)
		} else if err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	return nil
}

// errRunReadOnly: /run cannot be written by this user; hermes-init goes on
// without what it keeps there.
var errRunReadOnly = errors.New("preinit: /run is not writable")

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

// writeExitCode makes the container results' exit code file, "0": the
// status of a container stopped by docker stop, unless a script writes
// another (s6-linux-init's default).
func writeExitCode(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte("0\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// initDynamic is hermes-init's own supervision under /init (stage.Dynamic):
// the gateway slots of the boot plan (native: the plan replaces the image's
// Python reconciler) and the services of the scan directory (swap: the
// image's reconciler registers the slots there, as for s6-overlay).
type initDynamic struct {
	cfgPath  string
	explicit bool
	cfg      *config.Config
	log      *supervisor.Logger
	command  []string
	// containerEnv is the container's environment (PATH with /command);
	// stageEnv the supervision tree's.
	containerEnv, stageEnv []string
	keepEnv                bool // S6_KEEP_ENV
	native                 bool
	slots                  []spec.Service // native: the plan's
}

// Prepare runs once /etc/cont-init.d is done: the configuration is read
// again (a cont-init script may have given the gateway user another uid,
// as Hermes's stage2 hook does for HERMES_UID), the boot plan is carried
// out when native, and the control socket opens for root and the gateway
// user.
func (d *initDynamic) Prepare(ctx context.Context, sup *supervisor.Supervisor) error {
	if cfg, err := config.Load(d.cfgPath, d.explicit, os.Environ()); err != nil {
		d.log.Warnf("configuration read again after cont-init: %v (keeping the first reading)", err)
	} else {
		d.cfg = cfg
	}
	defer func() {
		var uids []int
		if d.cfg.Gateway.UID >= 0 {
			uids = []int{d.cfg.Gateway.UID}
		}
		sup.ServeControl(uids, d.cfg.Gateway.GID) // also when the boot plan failed
	}()
	owner := s6compat.Owner{UID: -1, GID: -1}
	if os.Geteuid() == 0 && d.cfg.Gateway.UID >= 0 {
		owner = s6compat.Owner{UID: d.cfg.Gateway.UID, GID: d.cfg.Gateway.GID}
	}
	if d.native {
		if found, _ := filepath.Glob(filepath.Join(d.cfg.S6.ScanDir, "gateway-*")); len(found) > 0 {
			d.log.Warnf("boot: a cont-init script registered gateway slots in %s (%s); hermes-init's boot plan replaces them. Remove the image's own reconciler (Hermes: /etc/cont-init.d/02-reconcile-profiles), or remove hermes-init's configuration file to let it do the boot", d.cfg.S6.ScanDir, strings.Join(found, ", "))
		}
		if err := s6compat.PrepareScanDir(d.cfg.S6.ScanDir, d.cfg.ControlSocket, owner); err != nil {
			return fmt.Errorf("s6: %w", err)
		}
		plan, err := bootPlan(d.cfg, d.command, func(k string) string { return lookup(d.containerEnv, k) }, d.log)
		if err != nil {
			return fmt.Errorf("boot: %w", err)
		}
		d.slots = gatewaySpecs(d.cfg, d.gatewayEnv(), plan, d.log)
		for i := range d.slots {
			sp := &d.slots[i]
			sp.Source = spec.SourceScanDir
			slot := s6compat.Slot{Profile: sp.Profile, Down: !sp.Autostart}
			if err := s6compat.WriteSlotDir(d.cfg.S6.ScanDir, slot, owner); err != nil {
				d.log.Warnf("s6: %v", err)
			}
			sp.ID = s6compat.DirID(filepath.Join(d.cfg.S6.ScanDir, sp.Name))
		}
	}
	return nil
}

// Start runs where s6-overlay's services-up rescans /run/service: the
// plan's slots start (native), then the scan picks up what is in the scan
// directory (the slots the image's reconciler registered, any other
// service directory).
func (d *initDynamic) Start(ctx context.Context, sup *supervisor.Supervisor) error {
	for _, sp := range d.slots {
		if err := sup.AddService(sp); err != nil {
			d.log.Warnf("%s: %v", sp.Name, err)
		}
	}
	if _, err := sup.Scan(ctx, false); err != nil {
		d.log.Warnf("s6: scan of %s: %v", d.cfg.S6.ScanDir, err)
	}
	return nil
}

// scan lists the scan directory's services (supervisor.Options.Scan).
func (d *initDynamic) scan() ([]spec.Service, error) {
	return scanSpecs(d.cfg, d.stageEnv, d.gatewayEnv(), d.log)
}

// gatewayEnv is the container environment as with-contenv gives it to a
// gateway's run script: the envdir as cont-init scripts left it (Hermes's
// stage2 hook adds AGENT_BROWSER_EXECUTABLE_PATH there), or the container's
// own with S6_KEEP_ENV.
func (d *initDynamic) gatewayEnv() []string {
	if d.keepEnv {
		return d.containerEnv
	}
	env, err := s6compat.ReadEnvdir(d.cfg.S6.EnvDir, []string{"PATH=" + lookup(d.containerEnv, "PATH")})
	if err != nil {
		d.log.Warnf("s6: read %s: %v (the gateways get hermes-init's environment)", d.cfg.S6.EnvDir, err)
		return d.containerEnv
	}
	return env
}

// lookup is os.Getenv over an environment list (the first of duplicates).
func lookup(environ []string, key string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// setEnv returns environ with key set to value (in place of the first, or
// added).
func setEnv(environ []string, key, value string) []string {
	out := make([]string, 0, len(environ)+1)
	done := false
	for _, kv := range environ {
		if strings.HasPrefix(kv, key+"=") {
			if done {
				continue
			}
			kv, done = key+"="+value, true
		}
		out = append(out, kv)
	}
	if !done {
		out = append(out, key+"="+value)
	}
	return out
}

var _ stage.Dynamic = (*initDynamic)(nil)

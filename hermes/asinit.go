package hermes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/stage"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// AsInit is hermes-init installed as s6-overlay v3's /init (argv[0]'s last
// element "init"): every argument is the container's command, run as the
// main program after stage 2; package stage runs the stages, and
// docs/s6-overlay.md says what is and is not s6-overlay's.
type AsInit struct {
	Command []string
	Environ []string
	Stdin   *os.File
	Stdout  *os.File
	Stderr  *os.File
}

// Run runs the container and returns its exit status: s6-overlay's, from
// the exit code file.
func (a AsInit) Run() int {
	cfgPath, explicit := config.Path("", a.Environ)
	cfg, err := config.Load(cfgPath, explicit, a.Environ)
	if err != nil {
		Fail(a.Stderr, err)
		return supervisor.ExitUsage
	}
	settings := stage.ReadSettings(a.Environ)
	lv, _ := supervisor.ParseLevel(cfg.LogLevel)
	log := supervisor.NewLogger(a.Stderr, lv)
	for _, w := range append(cfg.Warnings, settings.Warnings...) {
		log.Warnf("%s", w)
	}
	for _, w := range settings.Ignored {
		log.Debugf("%s", w)
	}

	// What s6-overlay's /init and preinit do before stage 1.
	path := stage.InitPath(lookup(a.Environ, "PATH"))
	containerEnv := setEnv(a.Environ, "PATH", path)
	if err := stage.Preinit(settings, log); errors.Is(err, stage.ErrRunReadOnly) {
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
	if err := stage.WriteExitCode(paths.ExitCode); err != nil {
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
		cfgPath: cfgPath, explicit: explicit, cfg: cfg, log: log, environ: a.Environ,
		command: a.Command, containerEnv: containerEnv, stageEnv: stageEnv,
		keepEnv: settings.KeepEnv, native: cfg.File != "" && cfg.Gateway.Enabled,
	}
	o := options(cfg, log, a.Stdin, a.Stdout, a.Stderr)
	o.ControlSocket = cfg.ControlSocket
	o.Scan = func() ([]spec.Service, error) { return dyn.scanDir().scan() }
	o.Stages = &stage.Stages{
		Paths: paths, Settings: settings, DB: db, Env: stageEnv,
		Command: a.Command, Workdir: cwd, Dynamic: dyn, Out: a.Stderr,
	}
	o.MainReceivesSignals = settings.CmdReceivesSignals
	o.FinalGrace = settings.KillGrace
	return supervisor.Run(o)
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
	environ  []string // the process's
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
	if cfg, err := config.Load(d.cfgPath, d.explicit, d.environ); err != nil {
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
	if !d.native {
		return nil
	}
	if found, _ := filepath.Glob(filepath.Join(d.cfg.S6.ScanDir, "gateway-*")); len(found) > 0 {
		d.log.Warnf("boot: a cont-init script registered gateway slots in %s (%s); hermes-init's boot plan replaces them. Remove the image's own reconciler (Hermes: /etc/cont-init.d/02-reconcile-profiles), or remove hermes-init's configuration file to let it do the boot", d.cfg.S6.ScanDir, strings.Join(found, ", "))
	}
	sd := d.scanDir()
	if err := sd.prepare(); err != nil {
		return fmt.Errorf("s6: %w", err)
	}
	plan, err := runBoot(d.cfg, d.command, d.containerEnv, d.log)
	if err != nil {
		return fmt.Errorf("boot: %w", err)
	}
	d.slots = gatewaySpecs(d.cfg, d.gatewayEnv(), plan, d.log)
	sd.register(d.slots)
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

// scanDir is the scan directory with the configuration of the moment.
func (d *initDynamic) scanDir() *scanDir {
	return newScanDir(d.cfg, d.log, d.stageEnv, d.gatewayEnv)
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

var _ stage.Dynamic = (*initDynamic)(nil)

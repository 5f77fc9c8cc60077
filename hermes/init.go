package hermes

import (
	"os"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// Init is hermes-init as `hermes-init [flags] [-- COMMAND]`.
type Init struct {
	Config  *config.Config
	Command []string // the main program; nil: none
	Environ []string // the process's environment, the main program's and the services' base
	Log     *supervisor.Logger
	Stdin   *os.File
	Stdout  *os.File
	Stderr  *os.File
}

// WantsServices reports whether hermes-init supervises services: static
// services are configured, the s6 surface is on, or gateway slots are
// enabled and there is a Hermes home to take them from (a configuration
// file, or HERMES_HOME set). Without any, hermes-init is a plain init for
// its command, as tini.
func WantsServices(cfg *config.Config, environ []string) bool {
	return len(cfg.Services) > 0 || cfg.S6.Compat || slotsWanted(cfg, environ)
}

func slotsWanted(cfg *config.Config, environ []string) bool {
	return cfg.Gateway.Enabled && (cfg.File != "" || lookup(environ, gateway.EnvHome) != "")
}

// Run runs the init until the container stops and returns its exit status
// (supervisor.Run): the command alone, or the boot plan's gateway slots and
// the configured services beside it.
func (in Init) Run() int {
	o := options(in.Config, in.Log, in.Stdin, in.Stdout, in.Stderr)
	if len(in.Command) > 0 {
		o.Main = &supervisor.MainProgram{Argv: in.Command, Env: in.Environ}
	}
	if !WantsServices(in.Config, in.Environ) {
		return supervisor.Run(o)
	}
	cfg, log := in.Config, in.Log
	if slotsWanted(cfg, in.Environ) {
		plan, err := runBoot(cfg, in.Command, in.Environ, log)
		if err != nil {
			log.Errorf("boot: %v", err)
			return 1
		}
		o.Services = gatewaySpecs(cfg, in.Environ, plan, log)
		o.Rescan = func() ([]spec.Service, error) {
			p, err := replan(cfg, in.Command, in.Environ, log)
			if err != nil {
				return nil, err
			}
			return gatewaySpecs(cfg, in.Environ, p, log), nil
		}
		if o.Main != nil && boot.SupervisedByASlot(in.Command, Getenv(in.Environ)) {
			log.Infof("main command %q is the gateway the slot gateway-default supervises (legacy `gateway run`): not running it separately", in.Command)
			o.Main = nil
		}
	}
	o.Services = append(o.Services, serviceSpecs(cfg, in.Environ, log)...)
	if cfg.S6.Compat {
		in.s6(&o)
	}
	o.ControlSocket = cfg.ControlSocket
	o.ControlGID = cfg.Gateway.GID
	if cfg.Gateway.UID >= 0 {
		o.ControlUIDs = []int{cfg.Gateway.UID}
	}
	return supervisor.Run(o)
}

// s6 sets up the s6 surface (package s6compat) before any service starts,
// in this order: the container environment is written to s6.envdir, for
// with-contenv; s6.basedir exists and, as PID 1, /proc/1/comm reads
// s6-svscan, which is how Hermes decides that s6 is its service manager;
// the scan directory is emptied of an earlier life's slots, points to the
// control socket and gets a service directory per gateway slot; the first
// scan adds the other service directories found there.
func (in Init) s6(o *supervisor.Options) {
	cfg, log := in.Config, in.Log
	if err := s6compat.WriteEnvdir(cfg.S6.EnvDir, in.Environ); err != nil {
		log.Warnf("s6: %v (with-contenv will not find the container environment)", err)
	}
	if err := s6compat.Pose(cfg.S6.BaseDir); err != nil {
		log.Warnf("s6: %v (Hermes will not see s6 as its service manager)", err)
	}
	sd := newScanDir(cfg, log, in.Environ, func() []string { return in.Environ })
	if err := sd.prepare(); err != nil {
		log.Errorf("s6: %v (the s6 programs will not reach hermes-init)", err)
		return
	}
	sd.register(o.Services)
	found, err := sd.scan()
	if err != nil {
		log.Warnf("s6: %v", err)
	}
	known := map[string]bool{}
	for _, sp := range o.Services {
		known[sp.Name] = true
	}
	for _, sp := range found {
		if !known[sp.Name] {
			o.Services = append(o.Services, sp)
		}
	}
	if plan := o.Rescan; plan != nil {
		o.Rescan = func() ([]spec.Service, error) {
			specs, err := plan()
			sd.register(specs)
			return specs, err
		}
	}
	o.Scan = sd.scan
}

// options are the supervisor's options every mode shares: the numbers, the
// cgroups, the log and the standard files.
func options(cfg *config.Config, log *supervisor.Logger, stdin, stdout, stderr *os.File) supervisor.Options {
	mode, auto, _ := cgroup.ParseMode(cfg.Cgroup)
	return supervisor.Options{
		Grace:         cfg.Grace,
		LeftoverGrace: cfg.LeftoverGrace,
		Restart: supervisor.RestartPolicy{
			BackoffMin: cfg.Restart.BackoffMin, BackoffMax: cfg.Restart.BackoffMax,
			StableAfter: cfg.Restart.StableAfter, CrashLoopMax: cfg.Restart.CrashLoopMax,
		},
		ControlGID:  -1,
		DefaultSlot: gateway.SlotName(gateway.DefaultProfile),
		Cgroup: cgroup.Options{
			Mode: mode, Auto: auto, Root: cfg.CgroupRoot, Mount: cfg.CgroupMount,
			Controllers: []string{"memory", "pids", "cpu"},
		},
		Log:    log,
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
	}
}

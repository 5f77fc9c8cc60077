package main

import (
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/svclog"
)

// wantsServices reports whether hermes-init supervises services: static
// services are configured, or gateway slots are enabled and there is a Hermes
// home to take them from (a configuration file, or HERMES_HOME set). Without
// either, hermes-init is a plain init for its command, as tini.
func wantsServices(cfg *config.Config, getenv func(string) string) bool {
	if len(cfg.Services) > 0 || cfg.S6.Compat {
		return true
	}
	return slotsWanted(cfg, getenv)
}

func slotsWanted(cfg *config.Config, getenv func(string) string) bool {
	return cfg.Gateway.Enabled && (cfg.File != "" || getenv(gateway.EnvHome) != "")
}

// runServices reconciles the Hermes home into slots (package boot), applies
// the plan, and supervises the slots and static services beside the main
// command, if any.
func runServices(o supervisor.Options, cfg *config.Config, getenv func(string) string) int {
	log := o.Log
	var mainArgv []string
	if o.Main != nil {
		mainArgv = o.Main.Argv
	}
	if slotsWanted(cfg, getenv) {
		plan, err := bootPlan(cfg, mainArgv, getenv, log)
		if err != nil {
			log.Errorf("boot: %v", err)
			return 1
		}
		o.Services = gatewaySpecs(cfg, os.Environ(), plan, log)
		o.Rescan = func() ([]spec.Service, error) {
			p, err := makePlan(cfg, mainArgv, getenv)
			if err != nil {
				return nil, err
			}
			logWarnings(log, p)
			return gatewaySpecs(cfg, os.Environ(), p, log), nil
		}
		if mainArgv != nil && boot.SupervisedByASlot(mainArgv, getenv) {
			log.Infof("main command %q is the gateway the slot gateway-default supervises (legacy `gateway run`): not running it separately", mainArgv)
			o.Main = nil
		}
	}
	o.Services = append(o.Services, serviceSpecs(cfg, os.Environ(), log)...)
	if cfg.S6.Compat {
		o.Services, o.Rescan, o.Scan = s6Boot(cfg, o.Services, o.Rescan, log)
	}
	o.ControlSocket = cfg.ControlSocket
	o.ControlGID = cfg.Gateway.GID
	if cfg.Gateway.UID >= 0 {
		o.ControlUIDs = []int{cfg.Gateway.UID}
	}
	return supervisor.Run(o)
}

// bootPlan makes the boot plan and carries it out: sweep, seed, migration,
// boot log, in one pass with the rights of the home's owner (boot.Boot). A
// home that does not exist yet is created for the gateway user, as the
// image's stage2 hook does.
func bootPlan(cfg *config.Config, mainArgv []string, getenv func(string) string, log *supervisor.Logger) (boot.Plan, error) {
	home := cfg.Gateway.Home
	if _, err := os.Lstat(home); os.IsNotExist(err) {
		if err := os.MkdirAll(home, 0o755); err != nil {
			return boot.Plan{}, err
		}
		if cfg.Gateway.UID >= 0 && os.Geteuid() == 0 {
			_ = os.Chown(home, cfg.Gateway.UID, cfg.Gateway.GID)
		}
	}
	plan, applied, err := boot.Boot(boot.Inputs{
		Home: cfg.Gateway.Home, MainCommand: mainArgv, Getenv: getenv,
		Multiplex: cfg.Gateway.Multiplex, Now: time.Now(),
	})
	if err != nil {
		return plan, err
	}
	logWarnings(log, plan)
	for _, w := range applied.Warnings {
		log.Warnf("boot: %s", w)
	}
	if applied.Err != nil {
		log.Warnf("boot: %v", applied.Err) // the slots still run; the boot log may lack a line
	}
	if plan.SkippedReason != "" {
		log.Infof("boot: %s", plan.SkippedReason) // a first-boot seed may have been written
		return plan, nil
	}
	log.Infof("boot: %s read %s; multiplex %v (%s)", plan.Home, plan.Rights, plan.Multiplex.On, plan.Multiplex.Source)
	for _, line := range plan.Summary() {
		log.Infof("%s", line)
	}
	return plan, nil
}

// makePlan decides the slots again (SIGHUP), reading the home with its
// owner's rights, changing nothing.
func makePlan(cfg *config.Config, mainArgv []string, getenv func(string) string) (boot.Plan, error) {
	return boot.MakePlan(boot.Inputs{
		Home: cfg.Gateway.Home, MainCommand: mainArgv, Getenv: getenv,
		Multiplex: cfg.Gateway.Multiplex, Now: time.Now(),
	})
}

func logWarnings(log *supervisor.Logger, p boot.Plan) {
	for _, w := range p.Warnings {
		log.Warnf("boot: %s", w)
	}
	for _, s := range p.Slots {
		for _, w := range s.Warnings {
			log.Warnf("boot: %s", w)
		}
	}
}

// gatewaySpecs turns the plan's slots into services: the gateway command of
// the configuration, run as the gateway user with the supervised-child
// environment, logging to $HERMES_HOME/logs/gateways/<profile>.
func gatewaySpecs(cfg *config.Config, environ []string, plan boot.Plan, log *supervisor.Logger) []spec.Service {
	var specs []spec.Service
	for _, slot := range plan.Slots {
		specs = append(specs, gatewaySpec(cfg, environ, plan.Home, slot, log))
	}
	return specs
}

// gatewaySpec is one gateway slot's service; environ is the container's
// environment, which the gateway gets (as with-contenv gives it under s6).
func gatewaySpec(cfg *config.Config, environ []string, home string, slot boot.Slot, log *supervisor.Logger) spec.Service {
	g := cfg.Gateway
	return spec.Service{
		Name: slot.Name(), Profile: slot.Profile, Home: slot.Dir,
		Argv:      cfg.GatewayArgv(slot.Profile),
		Env:       cfg.GatewayEnv(environ, home),
		Dir:       g.Workdir,
		Cred:      credential(g.Exec),
		Limits:    limits(g.Exec),
		Log:       logOptions(cfg, slot.Name(), home, filepath.Join(home, "logs", "gateways", slot.Profile), g.Exec, log),
		Autostart: slot.Autostart, Source: spec.SourcePlan,
	}
}

// serviceSpecs turns the configured static services into services; their
// files log to $HERMES_HOME/logs/services/<name> when there is a home.
func serviceSpecs(cfg *config.Config, environ []string, log *supervisor.Logger) []spec.Service {
	var specs []spec.Service
	for _, s := range cfg.Services {
		home := cfg.Gateway.Home
		dir := filepath.Join(home, "logs", "services", s.Name)
		if _, err := os.Stat(home); err != nil {
			home, dir = "", ""
		}
		specs = append(specs, spec.Service{
			Name: s.Name, Argv: s.Command, Env: s.Environ(environ), Dir: s.Workdir,
			Cred: credential(s.Exec), Limits: limits(s.Exec),
			Log:       logOptions(cfg, s.Name, home, dir, s.Exec, log),
			Autostart: s.Autostart, Source: spec.SourceConfig,
		})
	}
	return specs
}

func logOptions(cfg *config.Config, name, root, dir string, e config.Exec, log *supervisor.Logger) svclog.Options {
	return svclog.Options{
		Prefix: "[" + name + "] ", Dir: dir, Root: root,
		MaxBytes: cfg.Logs.MaxBytes, Keep: cfg.Logs.Keep,
		UID: e.UID, GID: e.GID, Stdout: cfg.Logs.Stdout,
		Logf: log.Warnf,
	}
}

// credential drops to the configured user when hermes-init runs as root.
func credential(e config.Exec) *syscall.Credential {
	if e.UID < 0 || os.Geteuid() != 0 {
		return nil
	}
	c := &syscall.Credential{Uid: uint32(e.UID), Gid: uint32(e.GID)}
	for _, g := range e.Groups {
		c.Groups = append(c.Groups, uint32(g))
	}
	return c
}

func limits(e config.Exec) cgroup.Limits {
	return cgroup.Limits{MemoryMax: e.MemoryMax, PidsMax: e.PidsMax}
}

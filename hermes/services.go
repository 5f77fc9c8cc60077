package hermes

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/svclog"
)

// gatewaySpecs turns the plan's slots into services.
func gatewaySpecs(cfg *config.Config, environ []string, plan boot.Plan, log *supervisor.Logger) []spec.Service {
	var specs []spec.Service
	for _, slot := range plan.Slots {
		specs = append(specs, gatewaySpec(cfg, environ, plan.Home, slot, log))
	}
	return specs
}

// gatewaySpec is one gateway slot's service: the gateway command of the
// configuration, run as the gateway user with the supervised-child
// environment built on environ (the container's, as with-contenv gives it
// under s6), logging to $HERMES_HOME/logs/gateways/<profile>.
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

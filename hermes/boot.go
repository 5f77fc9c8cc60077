package hermes

import (
	"time"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/supervisor"
)

// inputs are what the boot plan decides from besides the home's contents.
func inputs(cfg *config.Config, command, environ []string) boot.Inputs {
	return boot.Inputs{
		Home: cfg.Gateway.Home, MainCommand: command, Getenv: Getenv(environ),
		Multiplex: cfg.Gateway.Multiplex, Now: time.Now(),
	}
}

// runBoot makes the boot plan and carries it out: sweep, seed, migration,
// boot log, in one pass with the rights of the home's owner (boot.Boot),
// after creating a home that does not exist yet.
func runBoot(cfg *config.Config, command, environ []string, log *supervisor.Logger) (boot.Plan, error) {
	if err := boot.EnsureHome(cfg.Gateway.Home, cfg.Gateway.UID, cfg.Gateway.GID); err != nil {
		return boot.Plan{}, err
	}
	plan, applied, err := boot.Boot(inputs(cfg, command, environ))
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

// replan decides the slots again (SIGHUP), reading the home with its
// owner's rights, changing nothing.
func replan(cfg *config.Config, command, environ []string, log *supervisor.Logger) (boot.Plan, error) {
	p, err := boot.MakePlan(inputs(cfg, command, environ))
	if err == nil {
		logWarnings(log, p)
	}
	return p, err
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

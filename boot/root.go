package boot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// seededIntent is the intent of the first-boot seed {"gateway_state":"running"}.
var seededIntent = gateway.RunIntent{Value: gateway.StateRunning, Set: true, Source: gateway.KeyGatewayState}

// migratedIntent is the intent of the legacy migration record, which sets
// desired_state=running.
var migratedIntent = gateway.RunIntent{Value: gateway.StateRunning, Set: true, Source: gateway.KeyDesiredState}

// planRoot decides the "default" slot, whose home is HERMES_HOME itself. The
// steps run in the image's order: the stage2 seed first, then the legacy
// migration, which a seeded file therefore pre-empts. Both apply only when
// nothing at all stands under gateway_state.json.
func (p *Plan) planRoot(r *os.Root, in Inputs) {
	s := Slot{Profile: gateway.DefaultProfile, Dir: p.Home}
	statePath := filepath.Join(p.Home, gateway.StateFile)
	_, err := nofollow.Lstat(r, gateway.StateFile)
	absent := errors.Is(err, fs.ErrNotExist)
	switch {
	case absent && p.planSeed(&s, in, statePath):
	case absent && p.planMigration(&s, in, statePath):
	default:
		s.Prior = p.readIntent(&s, r)
	}
	p.finishSlot(&s, r, false)
}

// planSeed handles the first-boot seed HERMES_GATEWAY_BOOTSTRAP_STATE=running
// (stage2 writes {"gateway_state":"running"}). It reports whether it decided
// the intent.
func (p *Plan) planSeed(s *Slot, in Inputs, statePath string) bool {
	if in.env(EnvBootstrapState) != gateway.StateRunning {
		return false
	}
	if homeIsSymlink(p.Home) {
		// As in stage2: no seed, so the migration or "no state" decides.
		s.Warnings = append(s.Warnings, refusal("seed", statePath))
		return false
	}
	p.Seed, s.Prior = statePath, seededIntent
	return true
}

// planMigration handles rule 4: a tini-era image ran the gateway as the
// container command; under a supervisor, with no state yet, it would be
// registered down and never start. It reports whether it decided the intent.
func (p *Plan) planMigration(s *Slot, in Inputs, statePath string) bool {
	if noSupervise(in.env(EnvNoSupervise)) || !isLegacyGatewayRun(in.MainCommand) {
		return false
	}
	if homeIsSymlink(p.Home) {
		// The command still asks for a running gateway; only the record is
		// refused. The gateway writes its own state once it runs.
		s.Warnings = append(s.Warnings, refusal("legacy migration write", statePath))
	} else {
		p.Migration = statePath
	}
	s.Prior = migratedIntent
	return true
}

func (p *Plan) readIntent(s *Slot, r *os.Root) gateway.RunIntent {
	st, warns := gateway.ReadStateAt(homefs.FromRoot(r))
	s.Warnings = append(s.Warnings, warns...)
	intent, warns := gateway.Intent(st)
	s.Warnings = append(s.Warnings, warns...)
	return intent
}

// finishSlot completes a slot whose intent is known: autostart, prior exit,
// the files to sweep, and registration in the plan.
func (p *Plan) finishSlot(s *Slot, r *os.Root, multiplexed bool) {
	s.Autostart = !multiplexed && s.Prior.Autostart()
	exit, warns := gateway.ReadPriorExitAt(homefs.FromRoot(r))
	s.PriorExit = exit
	s.Warnings = append(s.Warnings, warns...)
	sweep, warns := staleFiles(r)
	p.Sweep = append(p.Sweep, sweep...)
	s.Warnings = append(s.Warnings, warns...)
	p.Slots = append(p.Slots, *s)
}

// homeIsSymlink: stage2 refuses to seed "through symlinked path", and its
// walk includes HERMES_HOME itself.
func homeIsSymlink(home string) bool {
	fi, err := os.Lstat(home)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

func refusal(action, path string) gateway.Warning {
	return gateway.Warning{Path: path, Reason: "refusing " + action + " through symlinked path " + filepath.Dir(path) + "; continuing"}
}

package boot

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// MigratedFrom is the legacy migration record's migrated_from value.
const MigratedFrom = "legacy-container-cmd"

// seededIntent is the intent of the first-boot seed {"gateway_state":"running"}.
var seededIntent = gateway.RunIntent{Value: gateway.StateRunning, Set: true, Source: gateway.KeyGatewayState}

// migratedIntent is the intent of the legacy migration record, which sets
// desired_state=running.
var migratedIntent = gateway.RunIntent{Value: gateway.StateRunning, Set: true, Source: gateway.KeyDesiredState}

func seedFields() []gateway.Field {
	return []gateway.Field{{Key: gateway.KeyGatewayState, Value: gateway.StateRunning}}
}

func migrationFields(now time.Time) []gateway.Field {
	return []gateway.Field{
		{Key: gateway.KeyGatewayState, Value: gateway.StateRunning},
		{Key: gateway.KeyDesiredState, Value: gateway.StateRunning},
		{Key: gateway.KeyTimestamp, Value: now.Unix()},
		{Key: gateway.KeyMigratedFrom, Value: MigratedFrom},
	}
}

// planRoot decides the "default" slot, whose home is HERMES_HOME itself. The
// steps run in the image's order: the stage2 seed first, then the legacy
// migration, which a seeded file therefore pre-empts. Both apply only when
// nothing stands under gateway_state.json: in follow mode, nothing the owner
// reaches through it (a dangling link counts as nothing, as pathlib's
// exists() says); as root, nothing at all.
func (p *Plan) planRoot(d *homefs.Dir, in Inputs, pend *homefs.Pending) {
	s := Slot{Profile: gateway.DefaultProfile, Dir: p.Home}
	_, err := d.Stat(gateway.StateFile)
	absent := errors.Is(err, fs.ErrNotExist)
	switch {
	case absent && p.planSeed(d, &s, in, pend):
	case absent && p.planMigration(d, &s, in, pend):
	default:
		s.Prior = p.readIntent(&s, d)
	}
	p.finishSlot(&s, d, false, pend)
}

// planSeed handles the first-boot seed HERMES_GATEWAY_BOOTSTRAP_STATE=running
// (stage2 writes {"gateway_state":"running"}). It reports whether it decided
// the intent.
func (p *Plan) planSeed(d *homefs.Dir, s *Slot, in Inputs, pend *homefs.Pending) bool {
	if in.env(EnvBootstrapState) != gateway.StateRunning {
		return false
	}
	path := d.Join(gateway.StateFile)
	if homeIsSymlink(p.Home) || isLink(d, gateway.StateFile) {
		// stage2, as root, refuses to write through a link, the state file's
		// own or the home's; the migration or "no state" decides.
		s.Warnings = append(s.Warnings, refusal("seed", path))
		return false
	}
	p.Seed, s.Prior = path, seededIntent
	pend.Create(target(d, gateway.StateFile), encode(seedFields()))
	return true
}

// planMigration handles rule 4: a tini-era image ran the gateway as the
// container command; under a supervisor, with no state yet, it would be
// registered down and never start. It reports whether it decided the intent.
// With the owner's rights the record is written as upstream's reconciler
// writes it, through a symlinked home or a dangling link; as root it is
// refused there, as stage2 refuses.
func (p *Plan) planMigration(d *homefs.Dir, s *Slot, in Inputs, pend *homefs.Pending) bool {
	if noSupervise(in.env(EnvNoSupervise)) || !isLegacyGatewayRun(in.MainCommand) {
		return false
	}
	path := d.Join(gateway.StateFile)
	if !d.Follows() && homeIsSymlink(p.Home) {
		// The command still asks for a running gateway; only the record is
		// refused. The gateway writes its own state once it runs.
		s.Warnings = append(s.Warnings, refusal("legacy migration write", path))
	} else {
		p.Migration = path
		pend.Create(target(d, gateway.StateFile), encode(migrationFields(p.Now)))
	}
	s.Prior = migratedIntent
	return true
}

func (p *Plan) readIntent(s *Slot, d *homefs.Dir) gateway.RunIntent {
	st, warns := gateway.ReadStateAt(d)
	s.Warnings = append(s.Warnings, warns...)
	intent, warns := gateway.Intent(st)
	s.Warnings = append(s.Warnings, warns...)
	return intent
}

// finishSlot completes a slot whose intent is known: autostart, the files to
// sweep, then the prior exit (upstream reads the ledger after the sweep),
// and registration in the plan.
func (p *Plan) finishSlot(s *Slot, d *homefs.Dir, multiplexed bool, pend *homefs.Pending) {
	s.Autostart = !multiplexed && s.Prior.Autostart()
	sweep, warns := staleFiles(d, pend)
	p.Sweep = append(p.Sweep, sweep...)
	s.Warnings = append(s.Warnings, warns...)
	exit, warns := gateway.ReadPriorExitAt(d)
	s.PriorExit = exit
	s.Warnings = append(s.Warnings, warns...)
	p.Slots = append(p.Slots, *s)
}

// homeIsSymlink: stage2 refuses to seed "through symlinked path", and its
// walk includes HERMES_HOME itself.
func homeIsSymlink(home string) bool {
	fi, err := os.Lstat(home)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

func isLink(d *homefs.Dir, name string) bool {
	fi, err := d.Lstat(name)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

// target is where a write through name in d lands (its link's end).
func target(d *homefs.Dir, name string) string {
	t, err := d.Target(name)
	if err != nil {
		return d.Join(name)
	}
	return t
}

func encode(fields []gateway.Field) []byte {
	b, _ := gateway.EncodeFields(fields) // strings and an int always encode
	return b
}

// refusal is the warning for a write refused through a symlink, worded as
// stage2 words it.
func refusal(action, path string) gateway.Warning {
	return gateway.Warning{Path: path, Reason: "refusing " + action + " through symlinked path " + path + "; continuing"}
}

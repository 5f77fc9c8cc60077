package boot

import (
	"errors"
	"fmt"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// Apply carries out a plan: the first-boot seed or the legacy migration
// record, the sweep of stale runtime files, and the boot log lines, with the
// rights of the home's owner (package homefs). It starts nothing: the
// supervisor starts Plan.Slots with Autostart.
//
// Every step runs even when another fails; the error joins every failure,
// each naming its file. No failure should stop the boot, but a failed sweep
// deserves a loud log line: a stale gateway.pid makes the gateway exit with
// "PID file race lost" (#13655). Warnings report non-fatal trouble.
//
// Apply is idempotent and crash-safe: state is only created where nothing
// exists (atomically, never replacing a file), a sweep of a missing file is a
// no-op, and the boot log is not appended twice for the same plan. A kill at
// any instant leaves no half-written file.
func Apply(p Plan) ([]gateway.Warning, error) {
	if p.SkippedReason != "" && p.Seed == "" {
		return nil, nil
	}
	rights, err := homefs.Of(p.Home)
	if err != nil {
		return nil, fmt.Errorf("apply: open home %s: %w", p.Home, unwrap(err))
	}
	p.Rights = rights
	var warns []gateway.Warning
	err = rights.Do(func() error {
		var err error
		warns, err = p.apply()
		return err
	})
	return warns, err
}

func (p *Plan) apply() ([]gateway.Warning, error) {
	d, err := p.Rights.Open(p.Home)
	if err != nil {
		return nil, fmt.Errorf("apply: open home %s: %w", p.Home, unwrap(err))
	}
	defer d.Close()
	errs := []error{
		createState(d, *p, p.Seed, seedFields(), true),
		createState(d, *p, p.Migration, migrationFields(p.Now), false),
		sweep(d, p.Sweep),
	}
	warns, err := appendBootLog(d, p.BootLog)
	return warns, errors.Join(append(errs, err)...)
}

// createState writes the root gateway_state.json when the plan asks for it
// at path. The seed is refused through a symlink at write time too, as
// stage2 refuses it; the migration only as root.
func createState(d *homefs.Dir, p Plan, path string, fields []gateway.Field, seed bool) error {
	if path == "" {
		return nil
	}
	if path != d.Join(gateway.StateFile) {
		return fmt.Errorf("apply: refusing to seed %s: not the root state file of %s", path, p.Home)
	}
	if (seed || !d.Follows()) && homeIsSymlink(p.Home) {
		return fmt.Errorf("apply: refusing to write %s through symlinked path %s", path, p.Home)
	}
	if seed && isLink(d, gateway.StateFile) {
		return fmt.Errorf("apply: refusing seed through symlinked path %s", path)
	}
	_, err := gateway.CreateStateAt(d, fields)
	return err
}

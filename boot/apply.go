package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// MigratedFrom is the legacy migration record's migrated_from value.
const MigratedFrom = "legacy-container-cmd"

// Apply carries out a plan: the first-boot seed or the legacy migration
// record, the sweep of stale runtime files, and the boot log lines. It starts
// nothing: the supervisor starts Plan.Slots with Autostart.
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
	if p.SkippedReason != "" {
		return nil, nil
	}
	r, err := os.OpenRoot(p.Home)
	if err != nil {
		return nil, fmt.Errorf("apply: open home %s: %w", p.Home, unwrap(err))
	}
	defer r.Close()
	errs := []error{
		createState(r, p, p.Seed, []gateway.Field{{Key: gateway.KeyGatewayState, Value: gateway.StateRunning}}),
		createState(r, p, p.Migration, []gateway.Field{
			{Key: gateway.KeyGatewayState, Value: gateway.StateRunning},
			{Key: gateway.KeyDesiredState, Value: gateway.StateRunning},
			{Key: gateway.KeyTimestamp, Value: p.Now.Unix()},
			{Key: gateway.KeyMigratedFrom, Value: MigratedFrom},
		}),
		sweep(p.Home, p.Sweep),
	}
	warns, err := appendBootLog(r, p.BootLog)
	return warns, errors.Join(append(errs, err)...)
}

// createState writes the root gateway_state.json when the plan asks for it
// at path. It refuses a symlinked home at write time too, as stage2 does.
func createState(r *os.Root, p Plan, path string, fields []gateway.Field) error {
	if path == "" {
		return nil
	}
	if path != filepath.Join(p.Home, gateway.StateFile) {
		return fmt.Errorf("apply: refusing to seed %s: not the root state file of %s", path, p.Home)
	}
	if homeIsSymlink(p.Home) {
		return fmt.Errorf("apply: refusing to write %s through symlinked path %s", path, p.Home)
	}
	_, err := gateway.CreateStateAt(homefs.FromRoot(r), fields)
	return err
}

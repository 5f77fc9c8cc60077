package boot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// DashboardSkipReason is Plan.SkippedReason in a dashboard container.
const DashboardSkipReason = "dashboard container — does not need per-profile gateways"

// Plan is the outcome of a boot reconciliation: which gateway slots exist and
// which autostart, and what Apply will write. MakePlan builds it without
// touching anything; Apply carries it out.
type Plan struct {
	Home          string            // absolute HERMES_HOME
	SkippedReason string            // set in a dashboard container: no slots, nothing to do
	Slots         []Slot            // "default" first, then named profiles sorted by name
	Warnings      []gateway.Warning // findings not tied to one slot (skipped directories, ...)
	Sweep         []string          // absolute paths of stale runtime files to remove
	Seed          string            // gateway_state.json to seed as running, or ""
	Migration     string            // gateway_state.json to write for the legacy migration, or ""
	BootLog       []string          // lines for logs/container-boot.log, without newlines
	Now           time.Time         // when the plan was made (Inputs.Now)
}

// Slot is one supervised gateway. The supervisor needs Profile, Dir and
// Autostart; the rest explains the decision.
type Slot struct {
	Profile   string            // "default" for the root profile, else the profile name
	Dir       string            // the profile's home: HERMES_HOME or HERMES_HOME/profiles/<name>
	Autostart bool              // start at boot; otherwise registered down until a start
	Prior     gateway.RunIntent // the persisted intent the decision came from
	PriorExit gateway.PriorExit // how the previous gateway life ended
	Warnings  []gateway.Warning // problems met while deciding this slot
}

// Action is the boot log's label: "started" or "registered".
func (s Slot) Action() string {
	if s.Autostart {
		return "started"
	}
	return "registered"
}

// Name is the slot's supervised name, "gateway-<profile>".
func (s Slot) Name() string {
	return gateway.SlotName(s.Profile)
}

// MakePlan decides the boot of the gateway slots under in.Home
// (hermes-contract.md §3), reading the home and nothing else. The root slot
// always exists, so that a start without a profile has a target (PR #30136).
// Unusable files and directories become warnings, never errors: one bad
// profile never keeps the others down. The only errors are a home that is
// missing, not a directory or unreadable.
func MakePlan(in Inputs) (Plan, error) {
	home, err := absHome(in.Home)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Home: home, Now: in.Now}
	if isDashboard(in.MainCommand) {
		p.SkippedReason = DashboardSkipReason
		return p, nil
	}
	r, err := openHome(home)
	if err != nil {
		return Plan{}, err
	}
	defer r.Close()
	p.planRoot(r, in)
	p.planProfiles(r, in.multiplex())
	p.BootLog = bootLogLines(p.Slots, in.Now)
	return p, nil
}

func absHome(home string) (string, error) {
	if home == "" {
		return "", errors.New("plan: no home directory given")
	}
	abs, err := filepath.Abs(home)
	if err != nil {
		return "", fmt.Errorf("plan: resolve home %s: %w", home, err)
	}
	return abs, nil
}

// openHome opens the home and proves it can be listed, so that an unreadable
// home is reported as such rather than as an empty one.
func openHome(home string) (*os.Root, error) {
	r, err := os.OpenRoot(home)
	if err != nil {
		return nil, fmt.Errorf("plan: open home %s: %w", home, unwrap(err))
	}
	d, err := r.Open(".")
	if err == nil {
		_, err = d.Readdirnames(1)
		d.Close()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		r.Close()
		return nil, fmt.Errorf("plan: read home %s: %w", home, unwrap(err))
	}
	return r, nil
}

// unwrap drops a PathError's path when the message already names the file.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

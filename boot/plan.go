package boot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/gwconfig"
	"github.com/hermes-init/hermes-init/gateway/homefs"
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
	Multiplex     Multiplex         // whether named slots are kept down, and why
	Rights        homefs.Rights     // how the home was read, and will be written
	Now           time.Time         // when the plan was made (Inputs.Now)
}

// Multiplex is the multiplex decision: on, a root gateway serves every
// profile, so named slots are registered but never autostarted.
type Multiplex struct {
	On     bool
	Source string // what decided: hermes-init's setting, the environment, a file, the default
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
// (the rules of docs/plan.md), reading the home and nothing else, with the
// rights of the home's owner (package homefs). The root slot always exists,
// so that a start without a profile has a target (PR #30136). Unusable files
// and directories become warnings, never errors: one bad profile never keeps
// the others down. The only errors are a home that is missing, not a
// directory or unreadable.
func MakePlan(in Inputs) (Plan, error) {
	p, rights, err := start(in)
	if err != nil {
		return p, err
	}
	err = p.pass(rights, func() error { return p.make(in) })
	return p, err
}

// Applied is how Apply went: its warnings, and its error joining every
// step that failed (each naming its file).
type Applied struct {
	Warnings []gateway.Warning
	Err      error
}

// Boot makes the plan and carries it out (Apply) in one pass with the home
// owner's rights: what hermes-init does at container start. The error is the
// plan's (the home cannot be read); Apply's trouble is in Applied.
func Boot(in Inputs) (Plan, Applied, error) {
	p, rights, err := start(in)
	if err != nil {
		return p, Applied{}, err
	}
	var a Applied
	err = p.pass(rights, func() error {
		if err := p.make(in); err != nil {
			return err
		}
		a.Warnings, a.Err = p.apply()
		return nil
	})
	return p, a, err
}

// pass runs fn with rights. A home its owner cannot enter (a parent
// directory closed to the owner, say) is read again as root, refusing every
// link: the gateways must still come up, and refusing links is what makes
// root's reads safe.
func (p *Plan) pass(rights homefs.Rights, fn func() error) error {
	err := rights.Do(fn)
	var he *homeError
	if !rights.Switch || !errors.As(err, &he) || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	*p = Plan{Home: p.Home, Now: p.Now, SkippedReason: p.SkippedReason}
	err = homefs.Rights{}.Do(fn)
	p.Warnings = append([]gateway.Warning{{Path: p.Home, Reason: fmt.Sprintf(
		"cannot be entered with its owner's rights (uid %d: %v); read as root instead, refusing symbolic links",
		rights.UID, innermost(he.err))}}, p.Warnings...)
	return err
}

func innermost(err error) error {
	for errors.Unwrap(err) != nil {
		err = errors.Unwrap(err)
	}
	return err
}

// homeError is a home that could not be opened or listed.
type homeError struct{ err error }

func (e *homeError) Error() string { return e.err.Error() }
func (e *homeError) Unwrap() error { return e.err }

// start resolves the home and the rights to read it with. A dashboard
// container reconciles nothing, so its home need not exist.
func start(in Inputs) (Plan, homefs.Rights, error) {
	home, err := absHome(in.Home)
	if err != nil {
		return Plan{}, homefs.Rights{}, err
	}
	p := Plan{Home: home, Now: in.Now}
	if isDashboard(in.MainCommand) {
		p.SkippedReason = DashboardSkipReason
	}
	rights, err := homefs.Of(home)
	if err != nil && p.SkippedReason != "" {
		return p, homefs.Rights{}, nil
	}
	if err != nil {
		return Plan{}, rights, fmt.Errorf("plan: open home %s: %w", home, unwrap(err))
	}
	p.Rights = rights
	return p, rights, nil
}

// make applies the rules in upstream's order: the multiplex setting, the
// root slot (seed, migration, intent, sweep, prior exit), then each named
// profile the same way. Each step sees what the earlier ones will change
// (homefs.Pending), as it would if the pass changed the home as it went.
func (p *Plan) make(in Inputs) error {
	if p.SkippedReason != "" {
		p.makeSkipped(in)
		return nil
	}
	d, err := openHome(p.Rights, p.Home)
	if err != nil {
		return &homeError{err}
	}
	defer d.Close()
	pend := homefs.NewPending()
	d = d.WithPending(pend)
	p.planMultiplex(d, in)
	p.planRoot(d, in, pend)
	p.planProfiles(d, pend)
	p.BootLog = bootLogLines(p.Slots, in.Now)
	return nil
}

// makeSkipped plans a dashboard container: nothing of the reconciler's, but
// the first-boot seed, which the image's stage2 hook makes in every
// container, before and apart from the reconciler's role check.
func (p *Plan) makeSkipped(in Inputs) {
	d, err := openHome(p.Rights, p.Home)
	if err != nil {
		return // no home to seed
	}
	defer d.Close()
	if _, err := d.Stat(gateway.StateFile); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	var s Slot
	p.planSeed(d, &s, in, nil)
	p.Warnings = append(p.Warnings, s.Warnings...)
}

func (p *Plan) planMultiplex(d *homefs.Dir, in Inputs) {
	if in.Multiplex != nil {
		p.Multiplex = Multiplex{On: *in.Multiplex, Source: "hermes-init's gateway.multiplex"}
		return
	}
	m := gwconfig.ReadMultiplex(d, in.Getenv)
	p.Multiplex = Multiplex{On: m.On, Source: m.Source}
	p.Warnings = append(p.Warnings, m.Warnings...)
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
func openHome(rights homefs.Rights, home string) (*homefs.Dir, error) {
	d, err := rights.Open(home)
	if err != nil {
		return nil, fmt.Errorf("plan: open home %s: %w", home, unwrap(err))
	}
	if _, err := d.Names(); err != nil && !errors.Is(err, io.EOF) {
		d.Close()
		return nil, fmt.Errorf("plan: read home %s: %w", home, unwrap(err))
	}
	return d, nil
}

// unwrap drops a PathError's path when the message already names the file.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

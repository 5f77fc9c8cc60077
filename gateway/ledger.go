package gateway

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// PriorExit says how the previous gateway life in a home ended, from the
// lifecycle ledger state/gateway.lifecycle.json.
type PriorExit string

// The three PriorExit labels of Hermes's read_prior_exit_label.
const (
	PriorExitClean   PriorExit = "clean"   // phase "exited": an exit path ran
	PriorExitUnclean PriorExit = "unclean" // phase "running": SIGKILL, OOM or VM death
	PriorExitUnknown PriorExit = "unknown" // anything else, missing or unreadable
)

// ReadPriorExit reads the lifecycle ledger of home. phase "running" means
// unclean because at container boot the old PID namespace is gone, so no
// owner can still be alive. It never fails; an unusable ledger is unknown, with
// a warning unless the ledger is simply missing.
func ReadPriorExit(home string) (PriorExit, []Warning) {
	d, err := homefs.Open(home, false)
	if err != nil {
		return PriorExitUnknown, nil
	}
	defer d.Close()
	return ReadPriorExitAt(d)
}

// ReadPriorExitIn is ReadPriorExit for a home already opened as r (strict
// mode).
func ReadPriorExitIn(r *os.Root) (PriorExit, []Warning) {
	return ReadPriorExitAt(homefs.FromRoot(r))
}

// ReadPriorExitAt is ReadPriorExit for a home opened as d, in d's mode.
func ReadPriorExitAt(d *homefs.Dir) (PriorExit, []Warning) {
	const consequence = "prior_exit is unknown"
	dir, err := d.Sub(StateDir)
	if errors.Is(err, fs.ErrNotExist) {
		return PriorExitUnknown, nil
	}
	if err != nil {
		path := filepath.Join(d.Join(StateDir), LifecycleFile)
		return PriorExitUnknown, []Warning{{Path: path, Reason: Reason(path, err) + "; " + consequence}}
	}
	defer dir.Close()
	obj, warns := readObject(dir, LifecycleFile, consequence)
	phase, _ := State{obj: obj}.String("phase")
	switch phase {
	case "exited":
		return PriorExitClean, warns
	case "running":
		return PriorExitUnclean, warns
	}
	return PriorExitUnknown, warns
}

package gateway

import (
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// Keys of gateway_state.json that hermes-init reads or writes. Every other key
// belongs to the gateway and is carried through rewrites untouched.
const (
	KeyGatewayState = "gateway_state" // runtime state, written by the gateway
	KeyDesiredState = "desired_state" // operator intent, written on start/stop/restart
	KeyUpdatedAt    = "updated_at"    // ISO string (gateway) or int epoch (intent writers)
	KeyTimestamp    = "timestamp"     // int epoch, legacy migration only
	KeyMigratedFrom = "migrated_from" // "legacy-container-cmd", legacy migration only
)

// Values of gateway_state and desired_state (hermes-agent's gateway/status.py
// and hermes_cli/service_manager.py).
const (
	StateStarting      = "starting"
	StateRunning       = "running"
	StateDegraded      = "degraded"
	StateDraining      = "draining"
	StateStopped       = "stopped"
	StateStartupFailed = "startup_failed"
)

// MaxStateBytes bounds every JSON file hermes-init reads from a profile home.
// The gateway's records are a few KiB; a bigger file is damage or abuse and
// must not cost the boot its memory.
const MaxStateBytes = 1 << 20

// State is the content of one gateway_state.json. The zero State (Exists
// false) means "no state": the file is missing or could not be used.
type State struct {
	Path string // the file it was read from
	obj  object
}

// Exists reports whether a readable JSON object was found.
func (s State) Exists() bool {
	return s.obj.vals != nil
}

// Keys returns the top-level keys in file order.
func (s State) Keys() []string {
	return slices.Clone(s.obj.keys)
}

// Raw returns the compact JSON value stored under key.
func (s State) Raw(key string) (json.RawMessage, bool) {
	v, ok := s.obj.vals[key]
	return v, ok
}

// String returns the value under key when it is a JSON string.
func (s State) String(key string) (string, bool) {
	v, ok := s.obj.vals[key]
	if !ok || len(v) == 0 || v[0] != '"' {
		return "", false
	}
	var str string
	if json.Unmarshal(v, &str) != nil {
		return "", false
	}
	return str, true
}

// ReadState reads <home>/gateway_state.json as root, refusing symbolic links
// below home (home itself is taken as given). It never fails: a missing file
// is no state; an unusable one (unreadable, not UTF-8, invalid JSON, not an
// object, over 1 MiB, a refused symlink, not a regular file) is no state plus
// a warning that names the file and the reason, because a corrupt file must
// never abort the boot (upstream reads it the same way).
func ReadState(home string) (State, []Warning) {
	d, err := homefs.Open(home, false)
	if err != nil {
		return noHome(filepath.Join(home, StateFile), err)
	}
	defer d.Close()
	return ReadStateAt(d)
}

// ReadStateAt is ReadState for a home opened as d, in d's mode: in follow
// mode a symlinked state file is read where it leads, and a dangling link is
// a missing file, as upstream's reconciler reads them.
func ReadStateAt(d *homefs.Dir) (State, []Warning) {
	obj, warns := readObject(d, StateFile, "treating as no prior state")
	return State{Path: d.Join(StateFile), obj: obj}, warns
}

func noHome(path string, err error) (State, []Warning) {
	if errors.Is(err, fs.ErrNotExist) {
		return State{Path: path}, nil
	}
	return State{Path: path}, []Warning{{Path: path, Reason: Reason(path, err) + "; treating as no prior state"}}
}

// readObject reads name inside d as a JSON object. consequence ends every
// warning, so that the reader of a log knows what was done instead.
func readObject(d *homefs.Dir, name, consequence string) (object, []Warning) {
	path := d.Join(name)
	data, err := d.ReadFile(name, MaxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return object{}, nil
	}
	if err != nil {
		return object{}, []Warning{{Path: path, Reason: Reason(path, err) + "; " + consequence}}
	}
	obj, err := decodeObject(data)
	if err != nil {
		return object{}, []Warning{{Path: path, Reason: err.Error() + "; " + consequence}}
	}
	return obj, nil
}

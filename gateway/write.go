package gateway

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// stateMode is the mode of a gateway_state.json hermes-init creates; an
// existing file keeps its own. Hermes's stage2 seed uses 644 too.
const stateMode = 0o644

// writeMu serialises read-merge-write cycles inside this process, so that two
// control requests cannot lose each other's update. The gateway's own writes
// race with ours exactly as they race with Hermes's CLI; both sides only ever
// rename whole files into place.
var writeMu sync.Mutex

// Field is one key and value, for writers that care about key order.
type Field struct {
	Key   string
	Value any
}

// MergeWrite sets the given top-level keys in <home>/gateway_state.json and
// keeps every other key, with its value and position, as the gateway wrote
// it. New keys are appended in sorted order. The write is atomic (temporary
// file in the same directory, fsync, rename, fsync of the directory).
//
// A missing, invalid-JSON or non-object file starts from an empty object, as
// Hermes's desired-state writer does: there is nothing in it to keep. A file
// that exists but cannot be read (a symlink, not a regular file, over 1 MiB,
// permission denied) is an error: overwriting it could destroy keys.
func MergeWrite(home string, updates map[string]any) error {
	d, err := homefs.Open(home, false)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", filepath.Join(home, StateFile), err)
	}
	defer d.Close()
	return MergeWriteAt(d, updates)
}

// MergeWriteIn is MergeWrite for a home already opened as r (strict mode).
func MergeWriteIn(r *os.Root, updates map[string]any) error {
	return MergeWriteAt(homefs.FromRoot(r), updates)
}

// MergeWriteAt is MergeWrite for a home opened as d, in d's mode: in follow
// mode the merge reads a symlinked state file where it leads and the write
// puts a regular file in the link's place, as Hermes's own writer does.
func MergeWriteAt(d *homefs.Dir, updates map[string]any) error {
	writeMu.Lock()
	defer writeMu.Unlock()
	obj, err := readForMerge(d)
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(updates)) {
		if err := obj.set(k, updates[k]); err != nil {
			return fmt.Errorf("merge into %s: %w", d.Join(StateFile), err)
		}
	}
	if err := d.WriteFile(StateFile, obj.encode(), stateMode); err != nil {
		return fmt.Errorf("merge into %s: %w", d.Join(StateFile), err)
	}
	return nil
}

// RecordDesiredState persists the operator's intent ("running" on start and
// restart, "stopped" on stop) with an integer epoch updated_at, the two keys
// Hermes's S6ServiceManager writes (_write_gateway_desired_state). Readers of
// updated_at accept both this integer and the gateway's ISO string.
func RecordDesiredState(home, desired string, now time.Time) error {
	return MergeWrite(home, desiredState(desired, now))
}

// RecordDesiredStateAt is RecordDesiredState for a home opened as d.
func RecordDesiredStateAt(d *homefs.Dir, desired string, now time.Time) error {
	return MergeWriteAt(d, desiredState(desired, now))
}

func desiredState(desired string, now time.Time) map[string]any {
	return map[string]any{KeyDesiredState: desired, KeyUpdatedAt: now.Unix()}
}

// CreateStateAt writes gateway_state.json in d with the given fields, in
// order, only when nothing exists under that name (in follow mode: through a
// dangling symbolic link, to where it leads). It reports whether it wrote.
// It is how boot seeds state (first-boot seed, legacy migration): a file that
// appeared in the meantime is never replaced.
func CreateStateAt(d *homefs.Dir, fields []Field) (bool, error) {
	writeMu.Lock()
	defer writeMu.Unlock()
	data, err := EncodeFields(fields)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", d.Join(StateFile), err)
	}
	created, err := d.CreateFile(StateFile, data, stateMode)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", d.Join(StateFile), err)
	}
	return created, nil
}

func readForMerge(d *homefs.Dir) (object, error) {
	data, err := d.ReadFile(StateFile, MaxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return newObject(), nil
	}
	if err != nil {
		return object{}, fmt.Errorf("read %s for merge: %w", d.Join(StateFile), err)
	}
	obj, err := decodeObject(data)
	if err != nil {
		return newObject(), nil
	}
	return obj, nil
}

// EncodeFields renders fields as one compact JSON object line, the way the
// state writers write it.
func EncodeFields(fields []Field) ([]byte, error) {
	obj := newObject()
	for _, f := range fields {
		if err := obj.set(f.Key, f.Value); err != nil {
			return nil, err
		}
	}
	return obj.encode(), nil
}

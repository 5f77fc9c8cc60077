package gateway

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
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
	r, err := os.OpenRoot(home)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", StateFile, err)
	}
	defer r.Close()
	return MergeWriteIn(r, updates)
}

// MergeWriteIn is MergeWrite for a home already opened as r.
func MergeWriteIn(r *os.Root, updates map[string]any) error {
	writeMu.Lock()
	defer writeMu.Unlock()
	obj, err := readForMerge(r)
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(updates)) {
		if err := obj.set(k, updates[k]); err != nil {
			return fmt.Errorf("merge into %s: %w", nofollow.Join(r, StateFile), err)
		}
	}
	if err := nofollow.WriteFile(r, StateFile, obj.encode(), stateMode); err != nil {
		return fmt.Errorf("merge into %s: %w", nofollow.Join(r, StateFile), err)
	}
	return nil
}

// RecordDesiredState persists the operator's intent ("running" on start and
// restart, "stopped" on stop) with an integer epoch updated_at, the two keys
// Hermes's S6ServiceManager writes (_write_gateway_desired_state). Readers of
// updated_at accept both this integer and the gateway's ISO string.
func RecordDesiredState(home, desired string, now time.Time) error {
	return MergeWrite(home, map[string]any{KeyDesiredState: desired, KeyUpdatedAt: now.Unix()})
}

// CreateStateIn writes gateway_state.json in r with the given fields, in
// order, only when nothing exists under that name. It reports whether it
// wrote. It is how boot seeds state (first-boot seed, legacy migration): a
// file that appeared in the meantime is never replaced.
func CreateStateIn(r *os.Root, fields []Field) (bool, error) {
	writeMu.Lock()
	defer writeMu.Unlock()
	data, err := encodeFields(fields)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", nofollow.Join(r, StateFile), err)
	}
	created, err := nofollow.CreateFile(r, StateFile, data, stateMode)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", nofollow.Join(r, StateFile), err)
	}
	return created, nil
}

func readForMerge(r *os.Root) (object, error) {
	data, err := nofollow.ReadFile(r, StateFile, MaxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return newObject(), nil
	}
	if err != nil {
		return object{}, fmt.Errorf("read %s for merge: %w", nofollow.Join(r, StateFile), err)
	}
	obj, err := decodeObject(data)
	if err != nil {
		return newObject(), nil
	}
	return obj, nil
}

// encodeFields renders fields as one compact JSON object line.
func encodeFields(fields []Field) ([]byte, error) {
	obj := newObject()
	for _, f := range fields {
		if err := obj.set(f.Key, f.Value); err != nil {
			return nil, err
		}
	}
	return obj.encode(), nil
}

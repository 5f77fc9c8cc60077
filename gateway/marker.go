package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// Field names of the planned-stop marker, exactly as Hermes's
// write_planned_stop_marker writes them (gateway/status.py).
const (
	MarkerTargetPID       = "target_pid"
	MarkerTargetStartTime = "target_start_time"
	MarkerStopperPID      = "stopper_pid"
	MarkerWrittenAt       = "written_at"
)

// WritePlannedStopMarker tells the gateway with PID targetPid, living in home,
// that the SIGTERM about to reach it is an operator stop: it then persists
// gateway_state=stopped and exits 0 instead of treating the signal as
// unexpected (persist running, exit 1, revive; #42675). Only an operator stop
// writes it, for the exact live PID; a container stop never does.
//
// The marker carries the target's start time (field 22 of /proc/PID/stat, an
// integer, as Hermes compares it) so that a reused PID does not match (#34597:
// a stale marker killed a fresh gateway). When the start time cannot be read
// it is null and Hermes falls back to the PID alone, within the marker's 60 s
// TTL. written_at is ISO-8601 UTC as Python's datetime.isoformat writes it.
func WritePlannedStopMarker(home string, targetPid, stopperPid int) error {
	d, err := homefs.Open(home, false)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(home, PlannedStopMarkerFile), err)
	}
	defer d.Close()
	return WritePlannedStopMarkerAt(d, targetPid, stopperPid)
}

// WritePlannedStopMarkerAt is WritePlannedStopMarker for a home opened as d.
func WritePlannedStopMarkerAt(d *homefs.Dir, targetPid, stopperPid int) error {
	return writePlannedStopMarker(d, targetPid, stopperPid, time.Now(), "/proc")
}

func writePlannedStopMarker(d *homefs.Dir, target, stopper int, now time.Time, proc string) error {
	path := d.Join(PlannedStopMarkerFile)
	if target <= 0 {
		return fmt.Errorf("write %s: invalid target pid %d", path, target)
	}
	var start any // JSON null unless known
	if t, err := procStartTime(proc, target); err == nil {
		start = t
	}
	data, err := EncodeFields([]Field{
		{MarkerTargetPID, target},
		{MarkerTargetStartTime, start},
		{MarkerStopperPID, stopper},
		{MarkerWrittenAt, isoUTC(now)},
	})
	if err == nil {
		err = d.WriteFile(PlannedStopMarkerFile, data, stateMode)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// isoUTC formats t like Python's datetime.now(timezone.utc).isoformat().
func isoUTC(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// ProcStartTime returns field 22 of /proc/<pid>/stat: the process start time
// in clock ticks since boot. With the PID it identifies one process for life.
func ProcStartTime(pid int) (uint64, error) {
	return procStartTime("/proc", pid)
}

func procStartTime(proc string, pid int) (uint64, error) {
	path := filepath.Join(proc, strconv.Itoa(pid), "stat")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read start time of pid %d: %w", pid, err)
	}
	t, err := parseStatStartTime(b)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return t, nil
}

// parseStatStartTime extracts field 22 from a /proc/PID/stat line. Field 2,
// the command name in parentheses, may itself contain spaces and ')', so the
// fields are counted from the last ')' (field 3 is the first after it).
func parseStatStartTime(b []byte) (uint64, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, errors.New("no command name")
	}
	fields := bytes.Fields(b[end+1:])
	const startTime = 22 - 3 // index of field 22 when field 3 is index 0
	if len(fields) <= startTime {
		return 0, fmt.Errorf("only %d fields after the command name", len(fields))
	}
	return strconv.ParseUint(string(fields[startTime]), 10, 64)
}

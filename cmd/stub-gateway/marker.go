package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// Marker rules (hermes-agent's gateway/status.py): honoured for 60 s, and only when it
// names this process (#34597).
const (
	markerTTL      = 60 * time.Second
	markerSkew     = 5 * time.Second // a written_at this far in the future is still accepted
	maxMarkerBytes = 64 << 10
)

// Fields the takeover marker has beyond the planned-stop marker's. The
// upstream layout of .gateway-takeover.json is not in the contract; these
// are the stub's own, read only by the stub.
const (
	markerReplacerPID = "replacer_pid"
	markerHermesHome  = "hermes_home"
)

// markedFor reads the marker file name and reports whether it names this
// process; such a marker is consumed. An expired, malformed or stale one is
// deleted; one naming another live process is left for it.
func (s *stub) markedFor(name string) bool {
	ours, keep, err := s.checkMarker(name, time.Now())
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		s.say("marker file=%s ignored reason=%q", name, err.Error())
	}
	if !keep {
		if _, rerr := nofollow.RemoveFile(s.root, name); rerr != nil {
			s.warn("unable to remove %s: %v", name, rerr)
		}
	}
	return ours
}

// checkMarker judges the marker file name at time now: whether it names us,
// and otherwise whether it must be kept (it names another process) and why
// it was not taken. fs.ErrNotExist means there is none.
func (s *stub) checkMarker(name string, now time.Time) (ours, keep bool, err error) {
	data, err := nofollow.ReadFile(s.root, name, maxMarkerBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return false, true, fs.ErrNotExist
	}
	if err != nil {
		return false, false, err
	}
	m, err := parseMarker(data)
	if err != nil {
		return false, false, err
	}
	if age := now.Sub(m.writtenAt); age > markerTTL || age < -markerSkew {
		return false, false, fmt.Errorf("written %s ago, outside its %s lifetime", age.Round(time.Millisecond), markerTTL)
	}
	if m.pid != s.pid {
		return false, true, fmt.Errorf("names pid %d", m.pid)
	}
	if m.start != nil && s.startTime != nil && *m.start != *s.startTime {
		return false, false, fmt.Errorf("names an earlier process with this pid (start time %d, ours %d)", *m.start, *s.startTime)
	}
	if m.home != "" && m.home != s.home {
		return false, true, fmt.Errorf("names home %s", m.home)
	}
	return true, false, nil
}

// marker is the part of a planned-stop or takeover marker the stub reads.
type marker struct {
	pid       int
	start     *uint64 // nil: unknown, the pid alone decides
	writtenAt time.Time
	home      string // takeover only; "" when absent
}

// parseMarker reads the fields by the names the gateway package writes, so
// that hermes-init's marker and the stub agree by construction.
func parseMarker(data []byte) (marker, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return marker{}, fmt.Errorf("not a JSON object (%v)", err)
	}
	var m marker
	if json.Unmarshal(raw[gateway.MarkerTargetPID], &m.pid) != nil || m.pid <= 0 {
		return m, fmt.Errorf("%s is not a positive integer", gateway.MarkerTargetPID)
	}
	if v, ok := raw[gateway.MarkerTargetStartTime]; ok && string(v) != "null" {
		var t uint64
		if json.Unmarshal(v, &t) != nil {
			return m, fmt.Errorf("%s is not an integer or null", gateway.MarkerTargetStartTime)
		}
		m.start = &t
	}
	var at string
	if json.Unmarshal(raw[gateway.MarkerWrittenAt], &at) != nil {
		return m, fmt.Errorf("%s is not a string", gateway.MarkerWrittenAt)
	}
	t, err := parseISO(at)
	if err != nil {
		return m, fmt.Errorf("%s %q is not an ISO-8601 time", gateway.MarkerWrittenAt, at)
	}
	m.writtenAt = t
	if v, ok := raw[markerHermesHome]; ok {
		_ = json.Unmarshal(v, &m.home) // a non-string home reads as absent
	}
	return m, nil
}

// parseISO reads Python's isoformat: with an offset or "Z" (RFC 3339, any
// fraction), or naive, which Hermes's writers mean as UTC.
func parseISO(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05", s)
}

// writeTakeoverMarker names the holder --replace is about to stop, so that
// it exits 0 as a planned takeover instead of 1 as an unexpected signal.
func (s *stub) writeTakeoverMarker(h holder) {
	start := h.start
	if start == nil {
		if t, err := gateway.ProcStartTime(h.pid); err == nil {
			start = &t
		}
	}
	data := jsonLine(map[string]any{
		gateway.MarkerTargetPID:       h.pid,
		gateway.MarkerTargetStartTime: start,
		markerReplacerPID:             s.pid,
		markerHermesHome:              s.home,
		gateway.MarkerWrittenAt:       isoUTC(time.Now()),
	})
	if err := nofollow.WriteFile(s.root, gateway.TakeoverMarkerFile, data, fileMode); err != nil {
		s.warn("unable to write %s: %v", gateway.TakeoverMarkerFile, err)
	}
}

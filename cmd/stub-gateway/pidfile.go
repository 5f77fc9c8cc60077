package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// Bounds of the PID-file claim.
const (
	claimAttempts   = 3               // create, clear a stale or replaced holder, create again
	replaceTermWait = 5 * time.Second // --replace: SIGTERM, then this long before SIGKILL
	replaceKillWait = time.Second
	maxPIDFileBytes = 64 << 10
)

// pidRecord is gateway.pid (hermes-agent's gateway/status.py).
type pidRecord struct {
	PID        int      `json:"pid"`
	Kind       string   `json:"kind"`
	Argv       []string `json:"argv"`
	StartTime  *uint64  `json:"start_time"`
	HermesHome string   `json:"hermes_home"`
}

// holder is the process an existing gateway.pid names.
type holder struct {
	pid   int
	start *uint64 // nil: unknown (legacy bare integer, or null)
	raw   []byte  // the file as read; nil when unreadable
}

// live reports whether the holder is a live process other than us.
func (h holder) live(self int) bool {
	return h.pid != self && alive(h.pid, h.start)
}

// claimPIDFile creates gateway.pid exclusively. A stale file (dead pid,
// reused pid, unreadable) is replaced; a live holder is taken over with
// --replace and otherwise makes the start fail, as the real gateway refuses
// with "Another gateway instance is already running".
func (s *stub) claimPIDFile(replace bool) bool {
	data := jsonLine(pidRecord{s.pid, gatewayKind, s.argv, s.startTime, s.home})
	for range claimAttempts {
		created, err := nofollow.CreateFile(s.root, gateway.PIDFile, data, fileMode)
		if err != nil {
			s.errOut.printf("profile=%s pid=%d unable to create %s: %v", s.profile, s.pid, gateway.PIDFile, err)
			return false
		}
		if created {
			return true
		}
		h := s.readHolder()
		if h.live(s.pid) && !replace {
			s.errOut.printf("profile=%s pid=%d another gateway instance is already running (pid %d); use --replace", s.profile, s.pid, h.pid)
			return false
		}
		if h.live(s.pid) {
			s.takeOver(h)
		}
		if err := s.removeHolder(h); err != nil {
			s.errOut.printf("profile=%s pid=%d unable to remove stale %s: %v", s.profile, s.pid, gateway.PIDFile, err)
			return false
		}
	}
	s.errOut.printf("profile=%s pid=%d PID file race lost: %s keeps reappearing", s.profile, s.pid, gateway.PIDFile)
	return false
}

// readHolder reads gateway.pid: the JSON record, or a legacy bare integer.
func (s *stub) readHolder() holder {
	data, err := nofollow.ReadFile(s.root, gateway.PIDFile, maxPIDFileBytes)
	if err != nil {
		return holder{}
	}
	h := holder{raw: data}
	if n, err := strconv.Atoi(string(bytes.TrimSpace(data))); err == nil {
		h.pid = n
		return h
	}
	var rec struct {
		PID       int          `json:"pid"`
		StartTime *json.Number `json:"start_time"`
	}
	if json.Unmarshal(data, &rec) != nil {
		return h
	}
	h.pid = rec.PID
	if rec.StartTime != nil {
		if t, err := strconv.ParseUint(rec.StartTime.String(), 10, 64); err == nil {
			h.start = &t
		}
	}
	return h
}

// removeHolder removes gateway.pid if it still is the file read as h, so
// that a newer claimant's file survives. An unreadable one is removed as is:
// nofollow unlinks a symlink itself, never its target.
func (s *stub) removeHolder(h holder) error {
	if h.raw != nil {
		now, err := nofollow.ReadFile(s.root, gateway.PIDFile, maxPIDFileBytes)
		if err != nil || !bytes.Equal(now, h.raw) {
			return nil // gone or replaced meanwhile: the next attempt looks again
		}
	}
	_, err := nofollow.RemoveFile(s.root, gateway.PIDFile)
	return err
}

// releasePIDFile removes gateway.pid on a clean exit, only if it names us.
func (s *stub) releasePIDFile() {
	if h := s.readHolder(); h.pid == s.pid {
		if err := s.removeHolder(h); err != nil {
			s.warn("unable to remove %s: %v", gateway.PIDFile, err)
		}
	}
}

// takeOver ends a live holder for --replace: a takeover marker naming it, so
// that it exits 0 as a planned takeover, then SIGTERM, then SIGKILL after
// re-checking its identity (hermes-agent's gateway/run.py, PR #47555).
func (s *stub) takeOver(h holder) {
	s.writeTakeoverMarker(h)
	gone := func() bool { return !alive(h.pid, h.start) }
	_ = unix.Kill(h.pid, syscall.SIGTERM)
	result := "exited"
	if !waitGone(replaceTermWait, gone) {
		result = "killed"
		if alive(h.pid, h.start) {
			_ = unix.Kill(h.pid, syscall.SIGKILL)
		}
		if !waitGone(replaceKillWait, gone) {
			result = "stuck"
		}
	}
	s.say("replace old_pid=%d result=%s", h.pid, result)
}

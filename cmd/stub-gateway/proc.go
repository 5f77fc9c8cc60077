package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// pollInterval is how often waits for another process look again.
const pollInterval = 10 * time.Millisecond

// alive reports whether pid is a live process with the given start time
// (any, when start is nil). A zombie counts as dead: it will never run again,
// and treating it as alive made --replace wait forever (#42126).
func alive(pid int, start *uint64) bool {
	if pid <= 0 {
		return false
	}
	t, err := gateway.ProcStartTime(pid)
	if err != nil || (start != nil && t != *start) {
		return false
	}
	return !zombie(pid)
}

// zombie reports whether /proc/PID/stat shows state Z or X (or is gone).
func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	end := bytes.LastIndexByte(b, ')')
	if end < 0 || end+2 >= len(b) {
		return true
	}
	state := b[end+2] // the field after the command name
	return state == 'Z' || state == 'X' || state == 'x'
}

// waitGone polls until gone reports true or d has passed; it reports the
// last answer.
func waitGone(d time.Duration, gone func() bool) bool {
	deadline := time.Now().Add(d)
	for !gone() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
	return true
}

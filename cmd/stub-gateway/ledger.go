package main

import (
	"encoding/json"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// ledgerRunning is the lifecycle sentinel a life claims at startup
// (hermes-agent's gateway/lifecycle_ledger.py, record_startup).
type ledgerRunning struct {
	Phase            string  `json:"phase"`
	PID              int     `json:"pid"`
	StartTime        float64 `json:"start_time"` // epoch seconds
	StartedAt        string  `json:"started_at"`
	PriorUncleanExit bool    `json:"prior_unclean_exit,omitempty"`
}

// ledgerExited is the sentinel an exit path leaves (mark_exited).
type ledgerExited struct {
	Phase      string  `json:"phase"`
	PID        int     `json:"pid"`
	ExitCode   int     `json:"exit_code"`
	ExitReason string  `json:"exit_reason"`
	ExitedAt   string  `json:"exited_at"`
	StartTime  float64 `json:"start_time"`
}

// Values of the ledger's phase.
const (
	phaseRunning = "running"
	phaseExited  = "exited"
)

// recordStartup reads how the previous life ended, prints it, and claims the
// ledger for this life.
func (s *stub) recordStartup() {
	prior, warns := gateway.ReadPriorExitIn(s.root)
	for _, w := range warns {
		s.warn("%s", w)
	}
	s.say("start home=%s prior_exit=%s", s.home, prior)
	s.writeLedger(jsonLine(ledgerRunning{
		Phase:            phaseRunning,
		PID:              s.pid,
		StartTime:        s.epochStart(),
		StartedAt:        isoUTC(s.started),
		PriorUncleanExit: prior == gateway.PriorExitUnclean,
	}))
}

// markExited records a clean exit, only while the sentinel is still ours: a
// newer life (a --replace takeover) may have claimed it already.
func (s *stub) markExited(r stopReason) {
	if !s.ownsLedger() {
		return
	}
	s.writeLedger(jsonLine(ledgerExited{
		Phase:      phaseExited,
		PID:        s.pid,
		ExitCode:   r.code,
		ExitReason: r.reason,
		ExitedAt:   isoUTC(time.Now()),
		StartTime:  s.epochStart(),
	}))
}

// ownsLedger reports whether the ledger names this life.
func (s *stub) ownsLedger() bool {
	dir, err := nofollow.OpenDir(s.root, gateway.StateDir)
	if err != nil {
		return false
	}
	defer dir.Close()
	data, err := nofollow.ReadFile(dir, gateway.LifecycleFile, gateway.MaxStateBytes)
	if err != nil {
		return false
	}
	var l ledgerRunning
	return json.Unmarshal(data, &l) == nil && l.PID == s.pid && l.StartTime == s.epochStart()
}

func (s *stub) writeLedger(data []byte) {
	dir, err := nofollow.MkdirOpen(s.root, gateway.StateDir, 0o755)
	if err == nil {
		err = nofollow.WriteFile(dir, gateway.LifecycleFile, data, fileMode)
		dir.Close()
	}
	if err != nil {
		s.warn("unable to write %s/%s: %v", gateway.StateDir, gateway.LifecycleFile, err)
	}
}

// epochStart is the life's start as epoch seconds, the ledger's start_time.
func (s *stub) epochStart() float64 {
	return float64(s.started.UnixMicro()) / 1e6
}

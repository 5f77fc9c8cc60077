package main

import (
	"encoding/json"
	"maps"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// Keys of gateway_state.json that only the gateway writes
// (hermes-agent's gateway/status.py); the gateway package names the ones hermes-init reads.
const (
	keyKind             = "kind"
	keyPID              = "pid"
	keyArgv             = "argv"
	keyStartTime        = "start_time"
	keyHermesHome       = "hermes_home"
	keyExitReason       = "exit_reason"
	keyRestartRequested = "restart_requested"
	keyActiveAgents     = "active_agents"
)

// gatewayKind is the "kind" of every record the gateway writes.
const gatewayKind = "hermes-gateway"

// fileMode is the mode of every file the stub creates, as Hermes's writers
// and the image's stage2 seed create them.
const fileMode = 0o644

// persist merge-writes gateway_state.json the way the real gateway does:
// its identity re-stamped, the state, updated_at, and extra; every other key
// (desired_state, unknown ones) kept where it was. A failure is reported and
// the life goes on, as the real gateway logs and goes on.
func (s *stub) persist(state string, extra map[string]any) {
	u := map[string]any{
		gateway.KeyGatewayState: state,
		gateway.KeyUpdatedAt:    isoUTC(time.Now()),
		keyKind:                 gatewayKind,
		keyPID:                  s.pid,
		keyArgv:                 s.argv,
		keyStartTime:            s.startTime,
		keyHermesHome:           s.home,
		keyExitReason:           nil,
		keyRestartRequested:     false,
		keyActiveAgents:         0,
	}
	maps.Copy(u, extra)
	if err := gateway.MergeWriteIn(s.root, u); err != nil {
		s.warn("unable to persist %s=%s: %v", gateway.KeyGatewayState, state, err)
	}
	s.say("state=%s", state)
}

// writeRestartPending writes .restart_pending.json, the marker that makes
// the next life announce "Gateway online" (hermes-agent's gateway/restart.py).
func (s *stub) writeRestartPending() {
	data := jsonLine(struct {
		RequestedAt string `json:"requested_at"`
		ViaService  bool   `json:"via_service"`
		Detached    bool   `json:"detached"`
	}{isoUTC(time.Now()), true, false})
	if err := nofollow.WriteFile(s.root, gateway.RestartPendingFile, data, fileMode); err != nil {
		s.warn("unable to write %s: %v", gateway.RestartPendingFile, err)
	}
}

// touchCleanShutdown writes .clean_shutdown after a drain that did not time
// out (the stub's always completes): the next life skips crash recovery.
func (s *stub) touchCleanShutdown() {
	if err := nofollow.WriteFile(s.root, gateway.CleanShutdownFile, nil, fileMode); err != nil {
		s.warn("unable to write %s: %v", gateway.CleanShutdownFile, err)
	}
}

// isoUTC formats t like Python's datetime.now(timezone.utc).isoformat(), the
// format of every timestamp the gateway writes.
func isoUTC(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// jsonLine encodes v as one compact JSON line. v is always one of the stub's
// own records, which always encode.
func jsonLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("{}\n")
	}
	return append(b, '\n')
}

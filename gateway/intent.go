package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// RunIntent is what a state file says about running the gateway at boot.
type RunIntent struct {
	// Value is the prior state: desired_state verbatim, else gateway_state
	// with draining and degraded read as running. A value that is not a JSON
	// string is kept as its compact JSON text. Empty when Set is false.
	Value string
	// Text is Value as upstream's boot log prints it (Python's str of the
	// decoded value: True, 1.0, nan, ['a']); a string is itself.
	Text string
	// Set is false when the file gave no intent (printed None, JSON null).
	Set bool
	// Source is the key Value came from, or "" when Set is false.
	Source string
	// Original is the gateway_state before the draining/degraded mapping,
	// "" when no mapping happened.
	Original string
}

// Autostart reports whether the intent starts the gateway: only the exact
// string "running" does (upstream _AUTOSTART_STATES). starting and
// startup_failed stay down on purpose: a death mid-boot must not become a
// crash loop across container restarts.
func (i RunIntent) Autostart() bool {
	return i.Set && i.Value == StateRunning
}

// Label renders the intent as Hermes's boot log does: None, or the value
// as Python prints it.
func (i RunIntent) Label() string {
	if !i.Set {
		return "None"
	}
	if i.Text == "" {
		return i.Value // an intent made here, not read: always a string
	}
	return i.Text
}

// transientRunning are sub-states of a running gateway. A gateway killed in
// one of them (a recreate SIGTERMs it before its terminal write) meant to run,
// so without a desired_state they read as running (PR #54658, PR #55397).
var transientRunning = map[string]bool{StateDraining: true, StateDegraded: true}

// Intent derives the run intent from a state: a non-null desired_state wins
// verbatim, so an operator stop survives any transient runtime value (#42675);
// otherwise gateway_state, with draining and degraded read as running. A
// value that is not a string gives a warning and never autostarts.
func Intent(s State) (RunIntent, []Warning) {
	if raw, ok := s.Raw(KeyDesiredState); ok && !isNull(raw) {
		v, warns := verbatim(s, KeyDesiredState, raw)
		return RunIntent{Value: v, Text: pyText(raw), Set: true, Source: KeyDesiredState}, warns
	}
	raw, ok := s.Raw(KeyGatewayState)
	if !ok || isNull(raw) {
		return RunIntent{}, nil
	}
	v, warns := verbatim(s, KeyGatewayState, raw)
	in := RunIntent{Value: v, Text: pyText(raw), Set: true, Source: KeyGatewayState}
	if len(warns) == 0 && transientRunning[v] {
		in.Original, in.Value, in.Text = v, StateRunning, StateRunning
	}
	return in, warns
}

func verbatim(s State, key string, raw json.RawMessage) (string, []Warning) {
	if str, ok := s.String(key); ok {
		return str, nil
	}
	w := Warning{Path: s.Path, Reason: fmt.Sprintf("%s is not a string (%s); the gateway will not autostart", key, raw)}
	return string(raw), []Warning{w}
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(raw, []byte("null"))
}

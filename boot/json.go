package boot

import (
	"encoding/json"
	"fmt"

	"github.com/hermes-init/hermes-init/gateway"
)

// planJSON is the stable document `hermes-init plan --json` prints
// (docs/plan.md, "JSON output"). Lists are never null; absent strings are null.
type planJSON struct {
	Home          string         `json:"home"`
	SkippedReason *string        `json:"skipped_reason"`
	Slots         []slotJSON     `json:"slots"`
	Sweep         []string       `json:"sweep"`
	Seed          *string        `json:"seed"`
	Migration     *string        `json:"migration"`
	Warnings      []string       `json:"warnings"`
	Multiplex     *multiplexJSON `json:"multiplex"`
	ReadAs        *string        `json:"read_as"`
	BootLog       []string       `json:"boot_log"`
}

type multiplexJSON struct {
	Enabled bool   `json:"enabled"`
	Source  string `json:"source"`
}

type slotJSON struct {
	Profile    string   `json:"profile"`
	Dir        string   `json:"dir"`
	PriorState *string  `json:"prior_state"`
	Autostart  bool     `json:"autostart"`
	Action     string   `json:"action"`
	PriorExit  string   `json:"prior_exit"`
	Warnings   []string `json:"warnings"`
}

// MarshalJSON renders the plan as the documented, stable JSON document.
func (p Plan) MarshalJSON() ([]byte, error) {
	doc := planJSON{
		Home:          p.Home,
		SkippedReason: optional(p.SkippedReason),
		Slots:         make([]slotJSON, 0, len(p.Slots)),
		Sweep:         nonNil(p.Sweep),
		Seed:          optional(p.Seed),
		Migration:     optional(p.Migration),
		Warnings:      warningStrings(p.Warnings),
		BootLog:       nonNil(p.BootLog),
	}
	if p.SkippedReason == "" {
		doc.Multiplex = &multiplexJSON{Enabled: p.Multiplex.On, Source: p.Multiplex.Source}
		doc.ReadAs = optional(p.Rights.String())
	}
	for _, s := range p.Slots {
		doc.Slots = append(doc.Slots, slotJSON{
			Profile:    s.Profile,
			Dir:        s.Dir,
			PriorState: priorState(s.Prior),
			Autostart:  s.Autostart,
			Action:     s.Action(),
			PriorExit:  string(s.PriorExit),
			Warnings:   warningStrings(s.Warnings),
		})
	}
	return json.Marshal(doc)
}

// Summary returns the lines Hermes's reconciler prints on stdout (rule 13),
// one per slot, or the dashboard skip line; prior states as upstream prints
// them.
func (p Plan) Summary() []string {
	if p.SkippedReason != "" {
		return []string{"reconcile: skipping (" + p.SkippedReason + ")"}
	}
	lines := make([]string, 0, len(p.Slots))
	for _, s := range p.Slots {
		lines = append(lines, fmt.Sprintf("reconcile: profile=%s prior_state=%s action=%s",
			s.Profile, s.Prior.Label(), s.Action()))
	}
	return lines
}

func priorState(in gateway.RunIntent) *string {
	if !in.Set {
		return nil
	}
	return &in.Value
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func warningStrings(ws []gateway.Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

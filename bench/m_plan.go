package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// measurePlan is item 6: `hermes-init plan --home DIR --json` on homes with
// 100 and 10,000 profiles. No peer decides anything at boot, so the numbers
// are absolute.
func measurePlan(ctx context.Context, b *bench) section {
	rounds := b.o.roundsFor(5, 2)
	s := section{title: "Boot decision (`hermes-init plan`)",
		text: []string{
			"Each home has the root profile and N named profiles under `profiles/`, each with `SOUL.md`, a gateway-sized `gateway_state.json` saying " +
				"`running`, `state/gateway.lifecycle.json` and, for one in three, a stale `gateway.pid` (the layout of `boot/bench_test.go`). " +
				"The home is on /dev/shm (tmpfs) when there is one, so the time is hermes-init's, not the disk's. " +
				"The time is the whole command, from fork to exit, with the JSON plan written to /dev/null. No peer has a boot decision; the numbers are absolute.",
		}}
	var rows []*row
	for _, n := range b.o.profiles {
		home, err := b.memDir("hermes-plan-")
		if err == nil {
			err = makeHome(home, n)
		}
		argv := []string{b.hermes, "plan", "--home", home, "--json"}
		count := commas(fmt.Sprint(n))
		r := &row{name: count + " profiles",
			cmd: strings.ReplaceAll(b.display(argv), home, "$H") + " > /dev/null   # $H: a home with " + count + " profiles"}
		if err != nil {
			r.na = "make the home: " + b.scrub(err.Error())
		}
		per := float64(n + 1)
		r.run = func(ctx context.Context) (sample, error) {
			d, err := b.runOnce(ctx, argv, false, 120*time.Second)
			if err != nil {
				return nil, err
			}
			ms := float64(d) / 1e6
			return sample{"ms": ms, "per": ms * 1000 / per}, nil
		}
		rows = append(rows, r)
	}
	interleave(ctx, b, "plan", rounds, true, rows)
	for _, r := range rows {
		s.commands = append(s.commands, r.cmd)
	}
	cols := metricCols("ms", "ms", rows)
	s.tables = append(s.tables, buildTable("Time to plan the boot", rows, []column{cols[0], cols[1],
		{"per slot (µs, median)", func(r *row) string { return r.dist("per").medCell() }}, cols[3]}))
	s.tables[0].heads[0] = "home"
	s.notes = failNotes(rows)
	var parts []string
	for _, r := range rows {
		if len(r.samples) > 0 {
			parts = append(parts, fmt.Sprintf("%s in %s ms (%s µs per slot)", r.name, num(r.dist("ms").med), num(r.dist("per").med)))
		}
	}
	if len(parts) > 0 {
		b.reading = append(b.reading, "**Boot decision:** `hermes-init plan` decides "+joinAnd(parts)+"; the slot count includes the root profile.")
	}
	return s
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return fmt.Sprintf("%s and %s", joinComma(parts[:len(parts)-1]), parts[len(parts)-1])
}

func joinComma(parts []string) string {
	s := parts[0]
	for _, p := range parts[1:] {
		s += ", " + p
	}
	return s
}

// planState is a gateway_state.json of the size a real gateway writes.
var planState = []byte(`{"kind":"hermes-gateway","pid":4242,"argv":["hermes","gateway","run","--replace"],` +
	`"start_time":987654,"gateway_state":"running","exit_reason":null,"restart_requested":false,` +
	`"active_agents":0,"platforms":{"telegram":{"state":"connected","error_code":null,` +
	`"updated_at":"2026-06-30T12:00:00+00:00"}},"updated_at":"2026-06-30T12:00:01+00:00"}`)

// makeHome lays out a Hermes home with n named profiles.
func makeHome(home string, n int) error {
	for i := range n {
		dir := filepath.Join(home, "profiles", fmt.Sprintf("p%05d", i))
		files := map[string][]byte{
			"SOUL.md":                      []byte("soul"),
			"gateway_state.json":           planState,
			"state/gateway.lifecycle.json": []byte(`{"phase":"exited","pid":4242}`),
		}
		if i%3 == 0 {
			files["gateway.pid"] = []byte(`{"pid":4242}`)
		}
		for name, data := range files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// A sample is one run's metrics by name.
type sample map[string]float64

// A row is one init (or a bare command) in one measurement. Its run makes one
// sample; rows of a measurement run interleaved, round after round.
type row struct {
	name string // label in the tables
	cmd  string // the exact command, for the report
	ref  bool   // hermes-init: the denominator of the ratios
	aux  bool   // a baseline or a hermes-init variant, not a peer
	na   string // why the row does not run (missing binary, failure)
	run  func(ctx context.Context) (sample, error)

	samples []sample
	fails   int
	errs    []string
	notes   map[string]map[string]int // note key → value → count of runs
}

// note records a qualitative result of a run (e.g. whether the strays got
// SIGTERM); the report prints each value with its count.
func (r *row) note(key, value string) {
	if r.notes == nil {
		r.notes = map[string]map[string]int{}
	}
	if r.notes[key] == nil {
		r.notes[key] = map[string]int{}
	}
	r.notes[key][value]++
}

// noteCell prints a note's values, the most frequent first ("yes ×5").
func (r *row) noteCell(key string) string {
	vals := r.notes[key]
	if len(vals) == 0 {
		return "–"
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if vals[keys[i]] != vals[keys[j]] {
			return vals[keys[i]] > vals[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, vals[k]))
	}
	return strings.Join(parts, ", ")
}

func (r *row) values(metric string) []float64 {
	var xs []float64
	for _, s := range r.samples {
		if v, ok := s[metric]; ok {
			xs = append(xs, v)
		}
	}
	return xs
}

func (r *row) dist(metric string) dist { return summarize(r.values(metric)) }

// interleave runs every row once per round, in the same order each round
// (A B C, A B C, ...), after one warm-up round whose samples are dropped when
// warmup is set. A row that fails twice before giving any sample is marked
// n/a and skipped.
func interleave(ctx context.Context, b *bench, what string, rounds int, warmup bool, rows []*row) {
	first := 0
	if warmup {
		first = -1
	}
	for round := first; round < rounds; round++ {
		for _, r := range rows {
			if ctx.Err() != nil {
				return
			}
			if r.na != "" {
				continue
			}
			s, err := safeRun(ctx, r)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.fails++
				r.errs = append(r.errs, err.Error())
				if r.fails >= 2 && len(r.samples) == 0 {
					r.na = "failed: " + err.Error()
				}
				continue
			}
			if round >= 0 {
				r.samples = append(r.samples, s)
			}
		}
		if round >= 0 {
			b.progress("%s: round %d/%d", what, round+1, rounds)
		}
	}
}

func safeRun(ctx context.Context, r *row) (s sample, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return r.run(ctx)
}

// reference returns the row the ratios divide by.
func reference(rows []*row) *row {
	for _, r := range rows {
		if r.ref {
			return r
		}
	}
	return nil
}

// failNote says how many runs of a row failed and why, when some did.
func failNote(r *row) string {
	if r.fails == 0 || r.na != "" {
		return ""
	}
	return fmt.Sprintf("%s: %d run(s) failed, first: %s", r.name, r.fails, r.errs[0])
}

package main

import (
	"fmt"
	"math"
	"sort"
)

// dist summarises the samples of one metric for one row.
type dist struct {
	n                  int
	med, lo, hi        float64
	min, max, p10, p90 float64
}

func summarize(xs []float64) dist {
	if len(xs) == 0 {
		return dist{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	d := dist{n: len(s), med: quantile(s, 0.5), min: s[0], max: s[len(s)-1],
		p10: quantile(s, 0.1), p90: quantile(s, 0.9)}
	d.lo, d.hi = d.min, d.max
	if d.n >= 10 {
		d.lo, d.hi = d.p10, d.p90
	}
	return d
}

// quantile interpolates linearly between the closest ranks of sorted s.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// spreadName says which spread summarize reports for n samples.
func spreadName(n int) string {
	if n >= 10 {
		return "p10–p90"
	}
	return "min–max"
}

// num formats a value with three significant digits at most, no exponent.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return commas(fmt.Sprintf("%.0f", v))
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	}
	return fmt.Sprintf("%.3f", v)
}

// commas groups the digits of an integer string by thousands.
func commas(s string) string {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func (d dist) medCell() string    { return num(d.med) }
func (d dist) spreadCell() string { return num(d.lo) + "–" + num(d.hi) }

// ratio formats peer/ref: above 1 means the reference (hermes-init) takes
// less time or memory.
func ratio(peer, ref float64) string {
	if ref <= 0 || peer <= 0 {
		return "–"
	}
	return num(peer / ref)
}

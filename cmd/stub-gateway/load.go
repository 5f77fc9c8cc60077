package main

import (
	"os"
	"strings"
	"sync/atomic"
)

// Allocation sizes.
const (
	allocChunk  = 1 << 20  // bytes per allocation, so that growth is gradual
	allocStepMB = 64 << 20 // STUB_ALLOCATE_FOREVER without STUB_ALLOCATE: this much per report
)

// floodLineBytes is the length of a flood line before its newline, unless
// its header alone is longer.
const floodLineBytes = 100

// floodPadding is the filler that pads a flood line to floodLineBytes.
var floodPadding = strings.Repeat("x", floodLineBytes)

// ballast holds the allocated memory for the life of the process. Only the
// allocating goroutine touches it.
var ballast [][]byte

// startLoad starts the optional load: the output flood and the memory
// allocation, each in its own goroutine so that signals are still handled.
func (s *stub) startLoad() {
	if s.opts.flood != 0 {
		go s.flood()
	}
	if s.opts.allocate > 0 || s.opts.allocateForever {
		go s.allocate()
	}
}

// flood prints STUB_FLOOD lines (or lines until a stop) as fast as the
// reader takes them, each at least floodLineBytes long before its newline:
// "stub-gateway: profile=P pid=N flood line=I xxxx...".
func (s *stub) flood() {
	var i int64
	for ; s.opts.flood < 0 || i < s.opts.flood; i++ {
		if s.stopping.Load() {
			break
		}
		head := len("stub-gateway: profile= pid= flood line= ") + len(s.profile) + digits(int64(s.pid)) + digits(i+1)
		pad := floodPadding[:max(0, floodLineBytes-head)]
		s.say("flood line=%d %s", i+1, pad)
	}
	s.say("flood done lines=%d", i)
}

// digits counts the decimal digits of n ≥ 0.
func digits(n int64) int {
	d := 1
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}

// allocate allocates STUB_ALLOCATE bytes and writes to every page so that
// they count in RSS and in the cgroup's memory.current, then reports. With
// STUB_ALLOCATE_FOREVER it goes on until a stop or the OOM killer.
func (s *stub) allocate() {
	step := s.opts.allocate
	if step <= 0 {
		step = allocStepMB
	}
	var total int64
	for !s.stopping.Load() {
		total += touchAlloc(step, &s.stopping)
		s.say("allocated bytes=%d", total)
		if !s.opts.allocateForever {
			return
		}
	}
}

// touchAlloc allocates n bytes in chunks, touching every page, unless stop
// is set meanwhile; it returns how much it allocated.
func touchAlloc(n int64, stop *atomic.Bool) int64 {
	page := os.Getpagesize()
	var done int64
	for done < n && !stop.Load() {
		b := make([]byte, min(allocChunk, n-done))
		for i := 0; i < len(b); i += page {
			b[i] = 1
		}
		ballast = append(ballast, b)
		done += int64(len(b))
	}
	return done
}

package main

import (
	"os"
	"strings"
)

// allocChunk is the size of one allocation, so that growth is gradual.
const allocChunk = 1 << 20

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
	if s.opts.allocate > 0 {
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

// allocate allocates STUB_ALLOCATE bytes in chunks and writes to every page
// so that they count in RSS and in the cgroup's memory.current, then
// reports. A stop meanwhile ends it early.
func (s *stub) allocate() {
	if s.stopping.Load() {
		return
	}
	page := os.Getpagesize()
	var done int64
	for done < s.opts.allocate && !s.stopping.Load() {
		b := make([]byte, min(allocChunk, s.opts.allocate-done))
		for i := 0; i < len(b); i += page {
			b[i] = 1
		}
		ballast = append(ballast, b)
		done += int64(len(b))
	}
	s.say("allocated bytes=%d", done)
}

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

func TestFlood(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_FLOOD=5000")
	s.waitLine("flood done lines=5000")
	n := 0
	for _, l := range s.lines() {
		if strings.Contains(l, " flood line=") {
			n++
			is.Equal(len(l), floodLineBytes) // every line has the same length
			is.True(strings.HasSuffix(l, "xxx"))
		}
	}
	is.Equal(n, 5000)
	s.signal(syscall.SIGINT)
	is.Equal(s.wait(), exit{code: 0})
}

// TestFloodForeverStopsOnSignal: an endless flood still leaves room for the
// signal handling, and ends with the stop.
func TestFloodForeverStopsOnSignal(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_FLOOD=forever")
	s.waitLine("flood line=1000 ")
	s.signal(syscall.SIGTERM)
	is.Equal(s.wait(), exit{code: 1})
	s.waitLine("flood done lines=")
	s.waitLine("exit code=1")
}

// TestAllocate: the memory is really resident, not only reserved.
func TestAllocate(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_ALLOCATE=64M")
	s.waitLine(fmt.Sprintf("allocated bytes=%d", 64<<20))
	is.True(rssBytes(t, s.pid()) >= 64<<20) // VmRSS
	s.signal(syscall.SIGINT)
	is.Equal(s.wait(), exit{code: 0})
}

func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

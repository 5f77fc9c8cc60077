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

// TestToolsOfEveryKind: every kind is a real process shaped as its name
// says, and a stop kills them all, SIGTERM-ignoring ones included.
func TestToolsOfEveryKind(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_TOOLS=plain,setsid,doublefork,ignoreterm,setsid+ignoreterm,doublefork-setsid")
	s.waitRunning()
	s.waitLine("tool kind=setsid-doublefork ")
	tools := map[string]int{}
	for _, tl := range s.tools() {
		tools[tl.kind] = tl.pid
	}
	is.Equal(len(tools), 6) // one line per kind
	stub := mustStat(t, s.pid())
	for kind, pid := range tools {
		f := mustStat(t, pid)
		ppid, pgid, sid := f[1], f[2], f[3]
		setsid, doubleFork := strings.Contains(kind, "setsid"), strings.Contains(kind, "doublefork")
		// A double fork's setsid happens in the middle process, which leads
		// the session; the tool is then a member, as in a classic daemon.
		is.Equal(sid == strconv.Itoa(pid), setsid && !doubleFork)           // session leader
		is.Equal(sid != stub[3], setsid)                                    // out of the stub's session only for setsid
		is.Equal(pgid == strconv.Itoa(s.pid()), !setsid)                    // in the stub's group unless setsid
		is.Equal(ppid != strconv.Itoa(s.pid()), doubleFork)                 // orphaned only for doublefork
		is.Equal(ignoresTerm(t, pid), strings.Contains(kind, "ignoreterm")) // SigIgn has SIGTERM only for ignoreterm
	}
	s.signal(syscall.SIGTERM)
	is.Equal(s.wait(), exit{code: 1})
	s.waitLine("tools stopped=6 killed=2") // the two ignoreterm ones needed SIGKILL
	for _, pid := range tools {
		is.True(!running(pid)) // every tool is gone
	}
}

// TestLeaveTools: STUB_LEAVE_TOOLS leaves the tools to whoever cleans up
// after the gateway (hermes-init).
func TestLeaveTools(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_TOOLS=plain,setsid-ignoreterm,doublefork", "STUB_LEAVE_TOOLS=1")
	s.waitRunning()
	s.waitLine("tool kind=doublefork ")
	s.signal(syscall.SIGINT)
	is.Equal(s.wait(), exit{code: 0})
	s.waitLine("tools left=3")
	for _, pid := range s.toolPids() {
		is.True(running(pid)) // the tool outlived the stub
	}
}

// TestManyTools: fifty of each kind start, are reported and are stopped.
func TestManyTools(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_TOOLS=plain,setsid,doublefork,ignoreterm", "STUB_TOOL_COUNT=50")
	s.waitRunning()
	poll(t, "200 tool lines", func() bool { return len(s.tools()) == 200 })
	seen := map[int]bool{}
	for _, pid := range s.toolPids() {
		is.True(!seen[pid]) // distinct pids
		seen[pid] = true
		is.True(running(pid))
	}
	s.signal(syscall.SIGTERM)
	is.Equal(s.wait(), exit{code: 1})
	s.waitLine("tools stopped=200 killed=50")
	for pid := range seen {
		is.True(!running(pid))
	}
}

func mustStat(t *testing.T, pid int) []string {
	t.Helper()
	f, ok := procStat(pid)
	if !ok {
		t.Fatalf("pid %d is gone", pid)
	}
	return f
}

// ignoresTerm reads SigIgn from /proc/PID/status.
func ignoresTerm(t *testing.T, pid int) bool {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return mask&(1<<(syscall.SIGTERM-1)) != 0
		}
	}
	t.Fatalf("no SigIgn in /proc/%d/status", pid)
	return false
}

// TestToolOutput: tools write to /dev/null, not to the stub's log pipe,
// which they would otherwise hold open after the stub's death.
func TestToolOutput(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t, "STUB_TOOLS=plain,doublefork")
	s.waitLine("tool kind=doublefork ")
	for _, pid := range s.toolPids() {
		for _, fd := range []int{1, 2} {
			out, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
			is.NoErr(err)
			is.Equal(out, "/dev/null") // the tool's stdout and stderr
		}
	}
	s.signal(syscall.SIGINT)
	is.Equal(s.wait(), exit{code: 0})
}

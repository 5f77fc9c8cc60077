package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// The orphan storm is a hidden mode for the image's end-to-end test, which
// has no shell in the container to make one with: "docker exec C hermes
// __storm 200" leaves 200 orphans that all exit at the same moment, so that
// PID 1 must reap a burst of children it never started from coalesced
// SIGCHLDs (tini's and every init's classic bug is to reap one per signal).
const (
	stormCommand  = "__storm"        // hermes __storm COUNT [DELAY]
	stormParent   = "__storm-parent" // the middle process: starts the orphans, exits
	stormOrphan   = "__storm-orphan" // one orphan: waits for its parent's death, exits
	stormMaxCount = 10000
)

// stormReleaseFd is the orphan's end of the release pipe: EOF once the
// middle process (the only holder of the write end) has died.
const stormReleaseFd = 3

// runStorm is "__storm COUNT [DELAY]": it starts the middle process, which
// starts COUNT orphans and exits; each orphan waits until its parent is gone,
// then DELAY more (default 100ms, so that it is reparented before it exits),
// and exits 0. runStorm waits for the middle process only (its own child),
// prints one line and exits 0; the orphans are left to PID 1.
func runStorm(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintf(stderr, "stub-gateway: usage: hermes %s COUNT [DELAY]\n", stormCommand)
		return exitUsage
	}
	count, err := strconv.Atoi(args[0])
	if err != nil || count < 1 || count > stormMaxCount {
		fmt.Fprintf(stderr, "stub-gateway: %s: COUNT %q: want 1 to %d\n", stormCommand, args[0], stormMaxCount)
		return exitUsage
	}
	delay := "100ms"
	if len(args) == 2 {
		delay = args[1]
	}
	if _, err := parseDuration(delay); err != nil {
		fmt.Fprintf(stderr, "stub-gateway: %s: DELAY %q: %v\n", stormCommand, delay, err)
		return exitUsage
	}
	mid := exec.Command(selfExe, stormParent, strconv.Itoa(count), delay)
	mid.Args[0] = os.Args[0]
	mid.Stderr = stderr
	if err := mid.Run(); err != nil {
		fmt.Fprintf(stderr, "stub-gateway: %s: the middle process: %v\n", stormCommand, err)
		return 1
	}
	fmt.Fprintf(stdout, "stub-gateway: storm pid=%d orphans=%d delay=%s\n", os.Getpid(), count, delay)
	return 0
}

// runStormParent starts the orphans with the read end of a pipe whose write
// end only it holds (Go opens every descriptor close-on-exec), then exits:
// its death both orphans them and releases them.
func runStormParent(args []string, stderr io.Writer) int {
	if len(args) != 2 {
		return exitUsage
	}
	count, err := strconv.Atoi(args[0])
	if err != nil {
		return exitUsage
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "stub-gateway: %s: pipe: %v\n", stormParent, err)
		return 1
	}
	defer w.Close()
	for i := 0; i < count; i++ {
		orphan := &exec.Cmd{
			Path:       selfExe,
			Args:       []string{os.Args[0], stormOrphan, args[1]},
			ExtraFiles: []*os.File{r},
		}
		if err := orphan.Start(); err != nil {
			fmt.Fprintf(stderr, "stub-gateway: %s: orphan %d of %d: %v\n", stormParent, i+1, count, err)
			return 1
		}
	}
	return 0
}

// runStormOrphan waits for EOF on the release pipe, then the delay, and exits.
func runStormOrphan(args []string) int {
	if len(args) != 1 {
		return exitUsage
	}
	delay, err := parseDuration(args[0])
	if err != nil {
		return exitUsage
	}
	release := os.NewFile(stormReleaseFd, "release")
	_, _ = io.Copy(io.Discard, release)
	time.Sleep(delay)
	return 0
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestStorm: "__storm COUNT DELAY" returns once COUNT orphans exist, none
// of them its child, and they all end by themselves after DELAY.
func TestStorm(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	const count = 20
	delay := "1999ms" // also tells this test's orphans from a parallel run's
	cmd := exec.Command(stubBin, stormCommand, strconv.Itoa(count), delay)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	is.NoErr(err) // the storm exits 0
	stormPid := cmd.Process.Pid
	is.Equal(stdout.String(), fmt.Sprintf("stub-gateway: storm pid=%d orphans=%d delay=%s\n", stormPid, count, delay))
	is.Equal(stderr.String(), "")

	orphans := stormOrphans(t, delay)
	t.Cleanup(func() {
		for _, pid := range orphans {
			killTool(pid)
		}
	})
	is.Equal(len(orphans), count) // every orphan was started before the storm returned
	for _, pid := range orphans {
		f, ok := procStat(pid)
		is.True(ok)                             // the orphan is still waiting out its delay
		is.True(f[1] != strconv.Itoa(stormPid)) // not the storm's child: an orphan, adopted by a reaper
	}
	poll(t, "the orphans to exit", func() bool {
		for _, pid := range orphans {
			if running(pid) {
				return false
			}
		}
		return true
	})
}

// TestStormUsage: a bad COUNT or DELAY is a usage error, exit 2.
func TestStormUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{}, {"0"}, {"x"}, {"10001"}, {"3", "soon"}, {"3", "1s", "extra"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			is := is.New(t)
			cmd := exec.Command(stubBin, append([]string{stormCommand}, args...)...)
			out, err := cmd.CombinedOutput()
			is.True(err != nil) // refused
			is.Equal(cmd.ProcessState.ExitCode(), exitUsage)
			is.True(strings.HasPrefix(string(out), "stub-gateway: ")) // a message names the problem
		})
	}
}

// stormOrphans lists the live processes that are orphans of a storm with
// this delay.
func stormOrphans(t *testing.T, delay string) []int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(argv) == 3 && argv[1] == stormOrphan && argv[2] == delay {
			pid, _ := strconv.Atoi(filepath.Base(d))
			pids = append(pids, pid)
		}
	}
	return pids
}

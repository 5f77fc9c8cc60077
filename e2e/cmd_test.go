package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int   // exit status; -1 when it did not exit normally
	err            error // nil for status 0
	took           time.Duration
}

// cmd runs a command to completion, bounded by limit (a hung docker must
// fail the test, not the whole run's -timeout).
func cmd(ctx context.Context, limit time.Duration, name string, args ...string) result {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	err := c.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), err: err, took: time.Since(start), code: -1}
	if c.ProcessState != nil {
		r.code = c.ProcessState.ExitCode()
	}
	if ctx.Err() != nil {
		r.err = fmt.Errorf("%s %s: timed out after %s", name, strings.Join(args, " "), limit)
	}
	return r
}

// cmdLimit bounds one docker or compose command in the tests.
const cmdLimit = 2 * time.Minute

// must runs a command that has to succeed, and returns its stdout.
func must(t *testing.T, name string, args ...string) string {
	t.Helper()
	r := cmd(context.Background(), cmdLimit, name, args...)
	if r.err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// docker runs the docker CLI.
func docker(args ...string) result {
	return cmd(context.Background(), cmdLimit, "docker", args...)
}

// poll calls check until it says done or limit passes; check's text is the
// state it saw, which the failure message shows.
func poll(t *testing.T, limit time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		done, saw := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", limit, what, saw)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// requireOrSkip skips a test that needs what this machine lacks, unless the
// run declares that it must have it (HERMES_TEST_REQUIRE, a comma-separated
// list that .ci/run sets): then the test fails instead.
func requireOrSkip(t *testing.T, need, why string) {
	t.Helper()
	if slices.Contains(strings.Split(os.Getenv("HERMES_TEST_REQUIRE"), ","), need) {
		t.Fatalf("%s, and HERMES_TEST_REQUIRE declares %q", why, need)
	}
	t.Skip(why)
}

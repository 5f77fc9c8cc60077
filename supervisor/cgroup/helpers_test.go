package cgroup

import (
	"os"
	"slices"
	"strings"
	"testing"
)

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

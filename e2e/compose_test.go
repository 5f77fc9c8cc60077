package e2e

import (
	"path/filepath"
	"testing"
)

// TestComposeFiles: every documented combination of compose files parses.
func TestComposeFiles(t *testing.T) {
	if compose == nil {
		t.Skip("no docker-compose or docker compose")
	}
	for _, files := range [][]string{
		{"compose.yaml"},
		{"compose.yaml", "compose.readonly-cgroup.yaml"},
	} {
		args := []string{"-p", "e2e" + runID + "config"}
		for _, f := range files {
			args = append(args, "-f", filepath.Join(repoRoot, f))
		}
		argv := append(append(append([]string{}, compose...), args...), "config", "-q")
		if r := cmdRun(argv); r.err != nil {
			t.Errorf("%v: %v: %s", argv, r.err, r.stderr)
		}
	}
}

package s6compat

import (
	"fmt"
	"os"
)

// CommName is what /proc/1/comm must read for Hermes to see s6 as PID 1
// (hermes_cli/service_manager.py _s6_running).
const CommName = "s6-svscan"

// Pose makes this process look like s6-overlay's PID 1 to Hermes: basedir
// exists (0755), and, as PID 1, /proc/1/comm reads s6-svscan. Writing
// /proc/self/comm from any thread renames the thread-group leader, the task
// /proc/1/comm shows. hermes-init's messages keep their "hermes-init:" prefix.
func Pose(basedir string) error {
	if err := os.MkdirAll(basedir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", basedir, err)
	}
	if os.Getpid() != 1 {
		return nil
	}
	if err := os.WriteFile("/proc/self/comm", []byte(CommName), 0); err != nil {
		return fmt.Errorf("set /proc/1/comm to %s: %w", CommName, err)
	}
	return nil
}

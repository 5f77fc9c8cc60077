package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// Under s6 the real CLI does not run `gateway run` given as the container's
// command in the foreground (upstream PR #33583): it hands the gateway over
// to the profile's s6 slot (s6-svc -u, desired_state=running), says so on
// stdout with the way to opt out, and the container's main process sleeps,
// so that the container outlives gateway restarts. The opt-outs are
// --no-supervise and HERMES_GATEWAY_NO_SUPERVISE; the supervised child
// itself (HERMES_S6_SUPERVISED_CHILD=1) never hands over. The stub does the
// same, so that tests see what an image's main command really does.

const (
	envNoSupervise     = "HERMES_GATEWAY_NO_SUPERVISE"
	envSupervisedChild = "HERMES_S6_SUPERVISED_CHILD"
	s6ScanDir          = "/run/service"
	s6BaseDir          = "/run/s6/basedir"
)

// handsOver reports whether `gateway run` must hand over to s6.
func handsOver(inv invocation, getenv func(string) string) bool {
	if inv.command != cmdGateway || inv.noSupervise || getenv(envSupervisedChild) != "" {
		return false
	}
	switch strings.ToLower(getenv(envNoSupervise)) {
	case "1", "true", "yes":
		return false
	}
	return underS6()
}

// underS6 is the CLI's test: PID 1 is s6-svscan and the basedir exists.
func underS6() bool {
	comm, err := os.ReadFile("/proc/1/comm")
	if err != nil || strings.TrimSpace(string(comm)) != "s6-svscan" {
		return false
	}
	fi, err := os.Stat(s6BaseDir)
	return err == nil && fi.IsDir()
}

// runHandOver starts the slot, records the intent, says so, and sleeps.
func runHandOver(inv invocation, getenv func(string) string, stdout, stderr io.Writer) int {
	out, errOut := &lines{w: stdout}, &lines{w: stderr}
	slot := filepath.Join(s6ScanDir, gateway.SlotName(inv.profile))
	cmd := exec.Command("/command/s6-svc", "-u", slot)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		errOut.printf("profile=%s s6-svc -u %s: %v", inv.profile, slot, err)
		return gateway.ExitFailure
	}
	home := orDefault(getenv(gateway.EnvHome), gateway.DefaultHome)
	if inv.profile != gateway.DefaultProfile {
		home = filepath.Join(home, "profiles", inv.profile)
	}
	if err := gateway.RecordDesiredState(home, gateway.StateRunning, time.Now()); err != nil {
		errOut.printf("profile=%s desired_state: %v", inv.profile, err)
	}
	out.printf("profile=%s pid=%d handed over to %s: gateway is now running under s6 supervision (run it in the foreground with --no-supervise or %s=1)", inv.profile, os.Getpid(), gateway.SlotName(inv.profile), envNoSupervise)
	if sleep, err := exec.LookPath("sleep"); err == nil {
		err = syscall.Exec(sleep, []string{"sleep", "infinity"}, os.Environ())
		errOut.printf("exec %s: %v", sleep, err)
	}
	select {} // no sleep(1) in the image: sleep here
}

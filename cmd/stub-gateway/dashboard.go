package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Dashboard variables, as the image's static dashboard service reads them
// (hermes-agent's docker/s6-rc.d/dashboard/run).
const (
	envDashboard     = "HERMES_DASHBOARD"
	envDashboardHost = "HERMES_DASHBOARD_HOST"
	envDashboardPort = "HERMES_DASHBOARD_PORT"
)

// runDashboard is "dashboard [...]": like the image's dashboard run script it
// exits 0 at once unless HERMES_DASHBOARD is truthy; otherwise it serves
// nothing and exits 0 on SIGTERM or SIGINT.
func runDashboard(getenv func(string) string, stdout io.Writer) int {
	out := &lines{w: stdout}
	pid := os.Getpid()
	if on, err := parseBool(getenv(envDashboard)); err != nil || !on {
		out.printf("dashboard pid=%d disabled", pid)
		return 0
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	out.printf("dashboard pid=%d host=%s port=%s waiting", pid, orDefault(getenv(envDashboardHost), "127.0.0.1"), orDefault(getenv(envDashboardPort), "9119"))
	sig := <-sigs
	out.printf("dashboard pid=%d signal=%s exit code=0", pid, unix.SignalName(sig.(syscall.Signal)))
	return 0
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

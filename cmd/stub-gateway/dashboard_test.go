package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

func TestDashboardDisabledExitsAtOnce(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"", "HERMES_DASHBOARD=0", "HERMES_DASHBOARD=junk"} {
		is := is.New(t)
		home := t.TempDir()
		s := startStub(t, home, home, []string{"dashboard", "--port", "9119"}, env)
		is.Equal(s.wait(), exit{code: 0})
		s.waitLine("dashboard pid=")
	}
}

func TestDashboardEnabledWaitsForSIGTERM(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	home := t.TempDir()
	s := startStub(t, home, home, []string{"dashboard"}, "HERMES_DASHBOARD=true", "HERMES_DASHBOARD_PORT=9200")
	s.waitLine("host=127.0.0.1 port=9200 waiting")
	is.True(!s.exited())
	s.signal(syscall.SIGTERM)
	is.Equal(s.wait(), exit{code: 0})
	s.waitLine("signal=SIGTERM exit code=0")
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	home := t.TempDir()
	s := startStub(t, home, home, []string{"version"})
	is.Equal(s.wait(), exit{code: 0})
	is.True(strings.HasPrefix(s.stdout.String(), "hermes stub-gateway "))
	s = startStub(t, home, home, []string{"--help"})
	is.Equal(s.wait(), exit{code: 0})
	is.Equal(s.stdout.String(), usageText)
}

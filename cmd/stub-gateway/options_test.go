package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// allOptions lists every variable the stub reads; the help and the package
// doc must name each.
var allOptions = []string{
	envExitAtStart, envCrashAfter, envTools, envToolCount, envLeaveTools,
	envFlood, envIgnoreTerm, envStopDelay, envAllocate,
}

func TestHelpAndDocNameEveryOption(t *testing.T) {
	is := is.New(t)
	doc, err := os.ReadFile("doc.go")
	is.NoErr(err)
	for _, name := range allOptions {
		is.True(strings.Contains(usageText, name+"="))   // --help names it
		is.True(strings.Contains(string(doc), name+"=")) // doc.go names it
	}
}

// TestBadOptionValues: a bad value exits 2 before anything is written, with
// a message that names the variable.
func TestBadOptionValues(t *testing.T) {
	t.Parallel()
	for _, kv := range []string{
		"STUB_EXIT_AT_START=256", "STUB_EXIT_AT_START=x", "STUB_CRASH_AFTER=soon",
		"STUB_CRASH_AFTER=-1s", "STUB_TOOLS=plain,sleepy", "STUB_TOOLS=plain,,setsid",
		"STUB_TOOLS=setsid-setsid", "STUB_TOOLS=plain-setsid", "STUB_TOOL_COUNT=10001",
		"STUB_LEAVE_TOOLS=maybe", "STUB_FLOOD=lots", "STUB_IGNORE_TERM=2",
		"STUB_STOP_DELAY=NaN", "STUB_ALLOCATE=12Q", "STUB_ALLOCATE=-5M",
	} {
		t.Run(kv, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			s := startGateway(t, kv)
			is.Equal(s.wait(), exit{code: exitUsage})
			name, _, _ := strings.Cut(kv, "=")
			is.True(strings.HasPrefix(s.stderr.String(), "stub-gateway: "+name+"=")) // names the variable
			is.True(!exists(s.home + "/gateway.pid"))                                // nothing written
		})
	}
}

func TestBadCommandLines(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{}, {"gateway"}, {"gateway", "start"}, {"gateway", "run", "--force"},
		{"-p"}, {"-p", "Bad"}, {"-p", "../x", "gateway", "run"}, {"--profile="}, {"chat"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			home := t.TempDir()
			s := startStub(t, home, home, args)
			is.Equal(s.wait(), exit{code: exitUsage})
			is.True(strings.HasPrefix(s.stderr.String(), "stub-gateway: "))
		})
	}
}

func TestParseArgs(t *testing.T) {
	is := is.New(t)
	for _, c := range []struct {
		args []string
		want invocation
	}{
		{[]string{"gateway", "run"}, invocation{command: cmdGateway, profile: "default", replace: false}},
		{[]string{"gateway", "run", "--replace"}, invocation{command: cmdGateway, profile: "default", replace: true}},
		{[]string{"-p", "work", "gateway", "run", "--replace"}, invocation{command: cmdGateway, profile: "work", replace: true}},
		{[]string{"--profile", "a_b-1", "gateway", "run"}, invocation{command: cmdGateway, profile: "a_b-1", replace: false}},
		{[]string{"-p", "default", "gateway", "run"}, invocation{command: cmdGateway, profile: "default", replace: false}},
		{[]string{"dashboard", "--host", "0.0.0.0"}, invocation{command: cmdDashboard, profile: "default", replace: false}},
		{[]string{"version"}, invocation{command: cmdVersion, profile: "default", replace: false}},
		{[]string{"--help"}, invocation{command: cmdHelp, profile: "default", replace: false}},
		{[]string{"gateway", "run", "-h"}, invocation{command: cmdHelp, profile: "default", replace: false}},
		{[]string{"gateway", "run", "--no-supervise"}, invocation{command: cmdGateway, profile: "default", noSupervise: true}},
	} {
		got, err := parseArgs(c.args)
		is.NoErr(err)
		is.Equal(got, c.want) // parsed invocation
	}
}

func TestParsers(t *testing.T) {
	is := is.New(t)
	for in, want := range map[string]int64{"4096": 4096, "512K": 512 << 10, "200M": 200 << 20, "200MiB": 200 << 20, "1g": 1 << 30, "3MB": 3 << 20} {
		got, err := parseSize(in)
		is.NoErr(err)
		is.Equal(got, want) // size
	}
	for _, bad := range []string{"", "M", "1.5G", "12Q", "-1", "99999999999T"} {
		_, err := parseSize(bad)
		is.True(err != nil) // bad size
	}
	for in, want := range map[string]time.Duration{"2": 2 * time.Second, "0.5": 500 * time.Millisecond, "250ms": 250 * time.Millisecond, "1m30s": 90 * time.Second} {
		got, err := parseDuration(in)
		is.NoErr(err)
		is.Equal(got, want) // duration
	}
	kinds, err := parseKinds(" plain, setsid ,doublefork,ignoreterm,ignoreterm+setsid,doublefork-ignoreterm-setsid")
	is.NoErr(err)
	var names []string
	for _, k := range kinds {
		names = append(names, k.String())
	}
	is.Equal(names, []string{"plain", "setsid", "doublefork", "ignoreterm", "setsid-ignoreterm", "setsid-doublefork-ignoreterm"})
	n, err := parseFlood("Forever")
	is.NoErr(err)
	is.Equal(n, int64(-1))
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
)

// initFlags are hermes-init's own flags; each has an environment variable,
// which the flag overrides.
type initFlags struct {
	grace         time.Duration
	leftoverGrace time.Duration
	cgroupMode    string
	cgroupRoot    string
	verbose       int
	logLevel      string
	help          bool
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: hermes-init [flags] -- COMMAND [ARGS...]
       hermes-init plan [--home DIR] [--json]
       hermes-init version

Runs COMMAND as the main program of a container: reaps every zombie, forwards
signals to COMMAND's process group, stops it on SIGTERM/SIGINT/SIGRTMIN+3
within a grace period and exits with COMMAND's status (128+N if signal N
killed it; 126/127 if it cannot run; 2 for bad usage).

flags (environment variable in brackets):
  --grace DURATION           stop signal to SIGKILL [HERMES_INIT_GRACE] (default 8s)
  --leftover-grace DURATION  SIGTERM to SIGKILL for what COMMAND leaves behind
                             [HERMES_INIT_LEFTOVER_GRACE] (default 2s)
  --cgroup MODE              auto, v2, v1 or none [HERMES_INIT_CGROUP] (default auto)
  --cgroup-root PATH         cgroup path to create services under [HERMES_INIT_CGROUP_ROOT]
  -v, -vv                    log at info, debug level [HERMES_INIT_LOG_LEVEL=error|warn|info|debug]
  -h, --help                 this text
`)
}

func parseInitFlags(args []string, getenv func(string) string, stderr io.Writer) (*initFlags, []string, error) {
	f := &initFlags{grace: supervisor.DefaultGrace, leftoverGrace: supervisor.DefaultLeftoverGrace, cgroupMode: "auto"}
	var errs []error
	envDuration := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := parseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			*dst = d
		}
	}
	envDuration("HERMES_INIT_GRACE", &f.grace)
	envDuration("HERMES_INIT_LEFTOVER_GRACE", &f.leftoverGrace)
	if v := getenv("HERMES_INIT_CGROUP"); v != "" {
		f.cgroupMode = v
	}
	f.cgroupRoot = getenv("HERMES_INIT_CGROUP_ROOT")
	f.logLevel = getenv("HERMES_INIT_LOG_LEVEL")
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}

	fs := flag.NewFlagSet("hermes-init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Func("grace", "", durationFlag(&f.grace))
	fs.Func("leftover-grace", "", durationFlag(&f.leftoverGrace))
	fs.StringVar(&f.cgroupMode, "cgroup", f.cgroupMode, "")
	fs.StringVar(&f.cgroupRoot, "cgroup-root", f.cgroupRoot, "")
	fs.BoolFunc("v", "", func(string) error { f.verbose++; return nil })
	fs.BoolVar(&f.help, "h", false, "")
	fs.BoolVar(&f.help, "help", false, "")
	if err := fs.Parse(expandVerbose(args)); err != nil {
		return nil, nil, err
	}
	if _, _, err := cgroup.ParseMode(f.cgroupMode); err != nil {
		return nil, nil, err
	}
	return f, fs.Args(), nil
}

// expandVerbose turns -vv into -v -v for the flag package.
func expandVerbose(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] == 'v' && strings.Trim(a[1:], "v") == "" {
			for range a[1:] {
				out = append(out, "-v")
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func durationFlag(dst *time.Duration) func(string) error {
	return func(s string) error {
		d, err := parseDuration(s)
		if err == nil {
			*dst = d
		}
		return err
	}
}

// parseDuration accepts Go durations ("8s", "1m30s") and plain seconds ("8").
func parseDuration(s string) (time.Duration, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 {
		return time.Duration(v * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 8s or 500ms)", s)
	}
	return d, nil
}

func (f *initFlags) level() (supervisor.Level, error) {
	lv := supervisor.LevelWarn
	if f.logLevel != "" {
		var err error
		if lv, err = supervisor.ParseLevel(f.logLevel); err != nil {
			return lv, fmt.Errorf("HERMES_INIT_LOG_LEVEL: %w", err)
		}
	}
	if f.verbose > 0 {
		lv = min(supervisor.LevelWarn+supervisor.Level(f.verbose), supervisor.LevelDebug)
	}
	return lv, nil
}

// runInit is hermes-init as an init: parse, prepare, run the main command.
func runInit(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	f, rest, err := parseInitFlags(args, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: %v\n", err)
		fmt.Fprintln(stderr, "usage: hermes-init [flags] -- COMMAND [ARGS...] (hermes-init --help)")
		return supervisor.ExitUsage
	}
	if f.help {
		usage(stdout)
		return 0
	}
	lv, err := f.level()
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: %v\n", err)
		return supervisor.ExitUsage
	}
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "hermes-init: no command given: hermes-init [flags] -- COMMAND [ARGS...]")
		return supervisor.ExitUsage
	}
	mode, auto, _ := cgroup.ParseMode(f.cgroupMode)
	cwd, _ := os.Getwd() // before Prepare moves us to "/"
	in := supervisor.Prepare(supervisor.Options{
		Argv:          rest,
		Env:           os.Environ(),
		Dir:           cwd,
		Grace:         f.grace,
		LeftoverGrace: f.leftoverGrace,
		Cgroup: cgroup.Options{
			Mode: mode, Auto: auto, Root: f.cgroupRoot,
			Controllers: []string{"memory", "pids", "cpu"},
		},
		Log:    supervisor.NewLogger(os.Stderr, lv),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	})
	defer in.Close()
	return in.RunMain()
}

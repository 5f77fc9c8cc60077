package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
)

// initFlags are hermes-init's own flags. Each overrides the configuration
// key of the same meaning, which a HERMES_INIT_* variable may already have
// set (package config).
type initFlags struct {
	config        string
	grace         *time.Duration
	leftoverGrace *time.Duration
	cgroupMode    string
	cgroupRoot    string
	verbose       int
	help          bool
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: hermes-init [flags] [-- COMMAND [ARGS...]]
       hermes-init ctl [--socket PATH] status|start|stop|restart|wait|health ...
       hermes-init plan [--home DIR] [--json] [-- COMMAND [ARGS...]]
       hermes-init version

As an init, hermes-init reaps every zombie, forwards signals and exits with the
right status. With "-- COMMAND" it runs COMMAND as the main program: COMMAND's
exit ends the container with COMMAND's status (128+N if signal N killed it;
126/127 if it cannot run). With a configuration file or HERMES_HOME set it also
supervises one Hermes gateway per profile and the configured services; without
COMMAND it runs them until stopped. 2 means bad usage or configuration.

flags (a flag overrides the configuration key and its HERMES_INIT_* variable):
  --config PATH              configuration file [HERMES_INIT_CONFIG] (default /etc/hermes-init/hermes-init.toml)
  --grace DURATION           stop signal to SIGKILL [grace, HERMES_INIT_GRACE] (default 8s)
  --leftover-grace DURATION  SIGTERM to SIGKILL for what COMMAND leaves behind
                             [leftover_grace, HERMES_INIT_LEFTOVER_GRACE] (default 2s)
  --cgroup MODE              auto, v2, v1 or none [cgroup, HERMES_INIT_CGROUP] (default auto)
  --cgroup-root PATH         cgroup path to create services under [cgroup_root, HERMES_INIT_CGROUP_ROOT]
  -v, -vv                    log at info, debug level [log_level, HERMES_INIT_LOG_LEVEL]
  -h, --help                 this text
`)
}

func parseInitFlags(args []string) (*initFlags, []string, error) {
	f := &initFlags{}
	fs := flag.NewFlagSet("hermes-init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.config, "config", "", "")
	fs.Func("grace", "", durationFlag(&f.grace))
	fs.Func("leftover-grace", "", durationFlag(&f.leftoverGrace))
	fs.StringVar(&f.cgroupMode, "cgroup", "", "")
	fs.StringVar(&f.cgroupRoot, "cgroup-root", "", "")
	fs.BoolFunc("v", "", func(string) error { f.verbose++; return nil })
	fs.BoolVar(&f.help, "h", false, "")
	fs.BoolVar(&f.help, "help", false, "")
	if err := fs.Parse(expandVerbose(args)); err != nil {
		return nil, nil, err
	}
	if f.cgroupMode != "" {
		if _, _, err := cgroup.ParseMode(f.cgroupMode); err != nil {
			return nil, nil, err
		}
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

func durationFlag(dst **time.Duration) func(string) error {
	return func(s string) error {
		d, err := parseDuration(s)
		if err == nil {
			*dst = &d
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

// apply puts the flags over the configuration.
func (f *initFlags) apply(cfg *config.Config) {
	if f.grace != nil {
		cfg.Grace = *f.grace
	}
	if f.leftoverGrace != nil {
		cfg.LeftoverGrace = *f.leftoverGrace
	}
	if f.cgroupMode != "" {
		cfg.Cgroup = f.cgroupMode
	}
	if f.cgroupRoot != "" {
		cfg.CgroupRoot = f.cgroupRoot
	}
}

func (f *initFlags) level(cfg *config.Config) supervisor.Level {
	lv, err := supervisor.ParseLevel(cfg.LogLevel)
	if err != nil {
		lv = supervisor.LevelWarn // config validated it already
	}
	if f.verbose > 0 {
		lv = min(supervisor.LevelWarn+supervisor.Level(f.verbose), supervisor.LevelDebug)
	}
	return lv
}

// runInit is hermes-init as an init: flags and configuration, then the main
// command alone (tini mode) or the services with an optional main command.
func runInit(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	f, rest, err := parseInitFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: %s\n", supervisor.Escape(err.Error()))
		fmt.Fprintln(stderr, "usage: hermes-init [flags] [-- COMMAND [ARGS...]] (hermes-init --help)")
		return supervisor.ExitUsage
	}
	if f.help {
		usage(stdout)
		return 0
	}
	environ := os.Environ()
	path, explicit := config.Path(f.config, environ)
	cfg, err := config.Load(path, explicit, environ)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "hermes-init: %s\n", supervisor.Escape(line))
		}
		return supervisor.ExitUsage
	}
	f.apply(cfg)
	if len(rest) == 0 && !wantsServices(cfg, getenv) {
		fmt.Fprintln(stderr, "hermes-init: nothing to run: no command after \"--\", and no configuration file or HERMES_HOME for services")
		return supervisor.ExitUsage
	}
	log := supervisor.NewLogger(os.Stderr, f.level(cfg))
	for _, w := range cfg.Warnings {
		log.Warnf("%s", w)
	}
	o := baseOptions(cfg, log)
	if len(rest) > 0 {
		o.Main = &supervisor.MainProgram{Argv: rest, Env: environ}
	}
	if !wantsServices(cfg, getenv) {
		return supervisor.Run(o)
	}
	return runServices(o, cfg, getenv)
}

// baseOptions are the supervisor's options every mode shares: the numbers,
// the cgroups, the log and the standard files.
func baseOptions(cfg *config.Config, log *supervisor.Logger) supervisor.Options {
	mode, auto, _ := cgroup.ParseMode(cfg.Cgroup)
	return supervisor.Options{
		Grace:         cfg.Grace,
		LeftoverGrace: cfg.LeftoverGrace,
		Restart: supervisor.RestartPolicy{
			BackoffMin: cfg.Restart.BackoffMin, BackoffMax: cfg.Restart.BackoffMax,
			StableAfter: cfg.Restart.StableAfter, CrashLoopMax: cfg.Restart.CrashLoopMax,
		},
		ControlGID:  -1,
		DefaultSlot: gateway.SlotName(gateway.DefaultProfile),
		Cgroup: cgroup.Options{
			Mode: mode, Auto: auto, Root: cfg.CgroupRoot, Mount: cfg.CgroupMount,
			Controllers: []string{"memory", "pids", "cpu"},
		},
		Log:    log,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}
}

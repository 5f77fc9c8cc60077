package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/hermes"
	"github.com/hermes-init/hermes-init/supervisor"
)

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

// parseInitFlags reads hermes-init's own flags: --config, and the flags
// that set a configuration key, which package config reads and checks as it
// reads the key's HERMES_INIT_* variable, and which override both.
func parseInitFlags(args []string) (cfgPath string, flags []config.Flag, rest []string, help bool, err error) {
	fs := flag.NewFlagSet("hermes-init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfgPath, "config", "", "")
	for name, key := range map[string]string{
		"grace": "grace", "leftover-grace": "leftover_grace", "cgroup": "cgroup", "cgroup-root": "cgroup_root",
	} {
		fs.Func(name, "", func(v string) error {
			flags = append(flags, config.Flag{Name: "--" + name, Key: key, Value: v})
			return nil
		})
	}
	verbose := 0
	fs.BoolFunc("v", "", func(string) error { verbose++; return nil })
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&help, "help", false, "")
	if err := fs.Parse(expandVerbose(args)); err != nil {
		return "", nil, nil, false, err
	}
	if verbose > 0 {
		level := []string{"info", "debug"}[min(verbose, 2)-1]
		flags = append(flags, config.Flag{Name: "-" + strings.Repeat("v", verbose), Key: "log_level", Value: level})
	}
	return cfgPath, flags, fs.Args(), help, nil
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

// runInit is hermes-init as an init: flags and configuration, then package
// hermes runs the main command alone (tini mode) or the services with an
// optional main command.
func runInit(args, environ []string, stdin, stdout, stderr *os.File) int {
	cfgPath, flags, rest, help, err := parseInitFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: %s\n", supervisor.Escape(err.Error()))
		fmt.Fprintln(stderr, "usage: hermes-init [flags] [-- COMMAND [ARGS...]] (hermes-init --help)")
		return supervisor.ExitUsage
	}
	if help {
		usage(stdout)
		return 0
	}
	path, explicit := config.Path(cfgPath, environ)
	cfg, err := config.Load(path, explicit, environ, flags...)
	if err != nil {
		hermes.Fail(stderr, err)
		return supervisor.ExitUsage
	}
	if len(rest) == 0 && !hermes.WantsServices(cfg, environ) {
		fmt.Fprintln(stderr, "hermes-init: nothing to run: no command after \"--\", and no configuration file or HERMES_HOME for services")
		return supervisor.ExitUsage
	}
	lv, _ := supervisor.ParseLevel(cfg.LogLevel) // config checked it
	log := supervisor.NewLogger(stderr, lv)
	for _, w := range cfg.Warnings {
		log.Warnf("%s", w)
	}
	return hermes.Init{Config: cfg, Command: rest, Environ: environ, Log: log, Stdin: stdin, Stdout: stdout, Stderr: stderr}.Run()
}

// Command hermes-init is a PID 1 and service supervisor for containers: it
// reaps every zombie, forwards signals, stops its services within a grace
// period and exits with the right status. See README.md.
//
// This package is wiring only: it reads the process's arguments and
// environment once and hands them to package hermes (the init, /init, the
// plan), package control (ctl) or package s6compat (the s6 programs).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hermes-init/hermes-init/hermes"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/control"
	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// version is set by scripts/build (-X main.version=...).
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Environ(), os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches on the program's name (/init, an s6 program), then on the
// first argument: a subcommand, or the init itself.
func run(args, environ []string, stdin, stdout, stderr *os.File) int {
	name := ""
	if len(args) > 0 {
		name = filepath.Base(args[0])
	}
	switch {
	case name == earlysignal.AsInitName:
		return hermes.AsInit{Command: args[1:], Environ: environ, Stdin: stdin, Stdout: stdout, Stderr: stderr}.Run()
	case s6compat.IsTool(name):
		return s6compat.RunTool(name, args[1:], s6compat.IO{Environ: environ, Stdin: stdin, Stdout: stdout, Stderr: stderr})
	}
	if len(args) > 1 {
		switch args[1] {
		case earlysignal.HelperCommand:
			return supervisor.RunSpawnHelper(args[2:], stderr)
		case "ctl":
			return control.RunCLI(args[2:], hermes.Getenv(environ), stdout, stderr)
		case "plan":
			return hermes.Plan(args[2:], environ, stdout, stderr)
		case "version":
			fmt.Fprintf(stdout, "hermes-init %s\n", version)
			return 0
		case "help":
			usage(stdout)
			return 0
		}
		if !earlysignal.Active() {
			fmt.Fprintf(stderr, "hermes-init: unknown command %q; to run a program, put it after \"--\": hermes-init -- %s\n", args[1], args[1])
			return supervisor.ExitUsage
		}
	}
	return runInit(args[1:], environ, stdin, stdout, stderr)
}

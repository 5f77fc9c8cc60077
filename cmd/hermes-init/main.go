// Command hermes-init is a PID 1 and service supervisor for containers: it
// reaps every zombie, forwards signals, stops its services within a grace
// period and exits with the right status. See README.md.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// version is set by scripts/build (-X main.version=...).
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Getenv, os.Stdout, os.Stderr))
}

// run dispatches on the program's name (an s6 program, package s6compat),
// then on the first argument: a subcommand, or the init itself.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && filepath.Base(args[0]) == earlysignal.AsInitName {
		return runAsInit(args[1:], stderr)
	}
	if len(args) > 0 && s6compat.IsTool(filepath.Base(args[0])) {
		return s6compat.RunTool(filepath.Base(args[0]), args[1:], s6compat.IO{
			Environ: os.Environ(), Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
		})
	}
	if len(args) > 1 {
		switch args[1] {
		case earlysignal.HelperCommand:
			return supervisor.RunSpawnHelper(args[2:], stderr)
		case "ctl":
			return runCtl(args[2:], getenv, stdout, stderr)
		case "plan":
			return runPlan(args[2:], getenv, stdout, stderr)
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
	return runInit(args[1:], getenv, stdout, stderr)
}

package main

import (
	"fmt"
	"io"
	"os"
)

// version is set by the build when it wants to (-X main.version=...).
var version = "dev"

// exitUsage is the status of a bad command line or option value, as in
// hermes-init: the caller made a mistake that retrying cannot fix.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args, os.Getenv, os.Stdout, os.Stderr))
}

// run dispatches on the command line: the hidden tool and storm modes, help, version,
// the dashboard or the gateway.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 { // execve allows an empty argv
		args = []string{"hermes"}
	}
	if len(args) > 1 {
		switch args[1] {
		case toolCommand:
			return runTool(args[2:], stderr)
		case stormCommand:
			return runStorm(args[2:], stdout, stderr)
		case stormParent:
			return runStormParent(args[2:], stderr)
		case stormOrphan:
			return runStormOrphan(args[2:])
		}
	}
	inv, err := parseArgs(args[1:])
	if err != nil {
		fmt.Fprintf(stderr, "stub-gateway: %v (see --help)\n", err)
		return exitUsage
	}
	switch inv.command {
	case cmdHelp:
		usage(stdout)
		return 0
	case cmdVersion:
		fmt.Fprintf(stdout, "hermes stub-gateway %s\n", version)
		return 0
	case cmdDashboard:
		return runDashboard(getenv, stdout)
	}
	if handsOver(inv, getenv) {
		return runHandOver(inv, getenv, stdout, stderr)
	}
	return runGateway(inv, args, getenv, stdout, stderr)
}

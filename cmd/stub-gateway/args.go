package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hermes-init/hermes-init/gateway"
)

// command is what a command line asks for.
type command int

const (
	cmdGateway   command = iota // gateway run
	cmdDashboard                // dashboard [...]
	cmdVersion                  // version
	cmdHelp                     // --help
)

// invocation is a parsed command line.
type invocation struct {
	command command
	profile string // gateway.DefaultProfile for the root profile
	replace bool   // gateway run --replace
	// noSupervise: gateway run --no-supervise, the opt-out of the hand-over
	// to s6 (see redirect.go).
	noSupervise bool
}

// parseArgs reads a command line shaped like the real CLI's:
// [-p NAME | --profile NAME] gateway run [--replace] [--no-supervise],
// dashboard [...] and version. It does not read the environment.
func parseArgs(args []string) (invocation, error) {
	inv := invocation{command: cmdGateway, profile: gateway.DefaultProfile}
	rest, err := parseGlobal(&inv, args)
	if err != nil || inv.command == cmdHelp {
		return inv, err
	}
	if len(rest) == 0 {
		return inv, errors.New("missing command: expected \"gateway run\", \"dashboard\" or \"version\"")
	}
	switch rest[0] {
	case "gateway":
		return parseGatewayRun(inv, rest[1:])
	case "dashboard":
		inv.command = cmdDashboard // its options are the real dashboard's; none matter here
		return inv, nil
	case "version", "--version":
		inv.command = cmdVersion
		return inv, nil
	case "help":
		inv.command = cmdHelp
		return inv, nil
	}
	return inv, fmt.Errorf("unknown command %q", rest[0])
}

// parseGlobal consumes the options that precede the command and returns the rest.
func parseGlobal(inv *invocation, args []string) ([]string, error) {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "-h" || a == "--help":
			inv.command = cmdHelp
			return nil, nil
		case a == "-p" || a == "--profile":
			if len(args) < 2 {
				return nil, fmt.Errorf("%s needs a profile name", a)
			}
			inv.profile, args = args[1], args[2:]
		case strings.HasPrefix(a, "--profile="):
			inv.profile, args = strings.TrimPrefix(a, "--profile="), args[1:]
		default:
			return args, checkProfile(inv.profile)
		}
	}
	return args, checkProfile(inv.profile)
}

// checkProfile refuses a name Hermes's validate_profile_name refuses, before
// it can become a path.
func checkProfile(name string) error {
	if name != gateway.DefaultProfile && !gateway.ValidProfileName(name) {
		return fmt.Errorf("invalid profile name %q: want ^[a-z0-9][a-z0-9_-]*$, at most %d bytes", name, gateway.MaxProfileNameLen)
	}
	return nil
}

// parseGatewayRun reads "run [--replace] [--no-supervise]" after "gateway".
func parseGatewayRun(inv invocation, args []string) (invocation, error) {
	if len(args) == 0 || args[0] != "run" {
		return inv, errors.New("only \"gateway run\" is supported by the stub")
	}
	for _, a := range args[1:] {
		switch a {
		case "--replace":
			inv.replace = true
		case "--no-supervise":
			inv.noSupervise = true
		case "-h", "--help":
			inv.command = cmdHelp
		default:
			return inv, fmt.Errorf("unknown option %q for \"gateway run\"", a)
		}
	}
	return inv, nil
}

package hermes

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/supervisor"
)

// Plan is `hermes-init plan [--home DIR] [--json] [-- CMD...]`:
// it prints the boot plan for a home and changes nothing (no sweep, no seed,
// no log). CMD stands for the container's main command, which decides the
// dashboard skip and the legacy `gateway run` migration.
func Plan(args, environ []string, stdout, stderr io.Writer) int {
	opts, code, ok := parsePlanArgs(args, Getenv(environ), stderr)
	if !ok {
		return code
	}
	// The configuration decides what the boot decides: its multiplex key,
	// and its gateway.home when --home is not given.
	path, explicit := config.Path("", environ)
	cfg, err := config.Load(path, explicit, environ)
	if err != nil {
		Fail(stderr, err)
		return supervisor.ExitUsage
	}
	if !opts.homeGiven {
		opts.home = cfg.Gateway.Home
	}
	// MakePlan reads the home with its owner's rights, as the boot does.
	in := inputs(cfg, opts.mainCommand, environ)
	in.Home = opts.home
	plan, err := boot.MakePlan(in)
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: %s\n", supervisor.Escape(err.Error()))
		return 1
	}
	if opts.json {
		return printPlanJSON(plan, stdout, stderr)
	}
	if err := plan.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "hermes-init: plan: %s\n", supervisor.Escape(err.Error()))
		return 1
	}
	return 0
}

type planOptions struct {
	home        string
	homeGiven   bool
	json        bool
	mainCommand []string
}

// parsePlanArgs reads the flags. It returns ok false with the exit code when
// the command is done: 0 after --help, 2 after a usage error.
func parsePlanArgs(args []string, getenv func(string) string, stderr io.Writer) (planOptions, int, bool) {
	var o planOptions
	fs := flag.NewFlagSet("hermes-init plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.home, "home", "", "the HERMES_HOME to plan for (default $HERMES_HOME, else "+gateway.DefaultHome+")")
	fs.BoolVar(&o.json, "json", false, "print the plan as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hermes-init plan [--home DIR] [--json] [-- CMD [ARG...]]")
		fmt.Fprintln(stderr, "Prints the gateway boot plan without changing anything. CMD is the container's main command.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, 0, false
		}
		return o, 2, false
	}
	rest := fs.Args()
	if i := len(args) - len(rest); len(rest) > 0 && (i == 0 || args[i-1] != "--") {
		fmt.Fprintf(stderr, "hermes-init: plan: unexpected argument %q; put the container command after \"--\"\n", rest[0])
		return o, 2, false
	}
	if len(rest) > 0 {
		o.mainCommand = rest
	}
	o.homeGiven = o.home != ""
	if o.home == "" {
		o.home = getenv(gateway.EnvHome)
	}
	if o.home == "" {
		o.home = gateway.DefaultHome
	}
	return o, 0, true
}

func printPlanJSON(plan boot.Plan, stdout, stderr io.Writer) int {
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: plan: encode JSON: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/gateway"
)

// runPlan implements `hermes-init plan [--home DIR] [--json] [-- CMD...]`:
// it prints the boot plan for a home and changes nothing (no sweep, no seed,
// no log). CMD stands for the container's main command, which decides the
// dashboard skip and the legacy `gateway run` migration.
func runPlan(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, code, ok := parsePlanArgs(args, getenv, stderr)
	if !ok {
		return code
	}
	plan, err := boot.MakePlan(boot.Inputs{
		Home:        opts.home,
		MainCommand: opts.mainCommand,
		Getenv:      getenv,
		Now:         time.Now(),
	})
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: %v\n", err)
		return 1
	}
	if opts.json {
		return printPlanJSON(plan, stdout, stderr)
	}
	printPlanTable(plan, stdout)
	return 0
}

type planOptions struct {
	home        string
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

func printPlanTable(plan boot.Plan, w io.Writer) {
	fmt.Fprintf(w, "home: %s\n", printable(plan.Home))
	if plan.SkippedReason != "" {
		fmt.Fprintf(w, "skipped: %s\n", plan.SkippedReason)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tAUTOSTART\tACTION\tPRIOR_STATE\tPRIOR_EXIT\tDIR")
	for _, s := range plan.Slots {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Profile, yesNo(s.Autostart), s.Action(),
			printable(s.Prior.Label()), s.PriorExit, printable(s.Dir))
	}
	tw.Flush()
	fmt.Fprintf(w, "sweep: %s\n", orNone(plan.Sweep))
	fmt.Fprintf(w, "seed: %s\n", orNone(nonEmpty(plan.Seed)))
	fmt.Fprintf(w, "migration: %s\n", orNone(nonEmpty(plan.Migration)))
	printWarnings(plan, w)
}

func printWarnings(plan boot.Plan, w io.Writer) {
	var lines []string
	for _, s := range plan.Slots {
		for _, warn := range s.Warnings {
			lines = append(lines, "["+s.Profile+"] "+printable(warn.String()))
		}
	}
	for _, warn := range plan.Warnings {
		lines = append(lines, printable(warn.String()))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "warnings:")
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// printable quotes text that would break the table or the terminal: a
// directory name may hold any byte but a slash.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func orNone(paths []string) string {
	if len(paths) == 0 {
		return "none"
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = printable(p)
	}
	return strings.Join(quoted, " ")
}

package boot

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// WriteTable renders the plan for people: a table of slots, then the sweep,
// seed and migration, then every warning (a slot's prefixed with its profile).
func (p Plan) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "home: %s\n", printable(p.Home))
	if p.SkippedReason != "" {
		fmt.Fprintf(&b, "skipped: %s\n", p.SkippedReason)
		if p.Seed != "" {
			fmt.Fprintf(&b, "seed: %s\n", printable(p.Seed))
		}
		writeWarnings(&b, p)
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tAUTOSTART\tACTION\tPRIOR_STATE\tPRIOR_EXIT\tDIR")
	for _, s := range p.Slots {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Profile, yesNo(s.Autostart), s.Action(),
			printable(s.Prior.Label()), s.PriorExit, printable(s.Dir))
	}
	tw.Flush()
	fmt.Fprintf(&b, "multiplex: %s (%s)\n", onOff(p.Multiplex.On), printable(p.Multiplex.Source))
	fmt.Fprintf(&b, "read as: %s\n", p.Rights)
	fmt.Fprintf(&b, "sweep: %s\n", orNone(p.Sweep...))
	fmt.Fprintf(&b, "seed: %s\n", orNone(p.Seed))
	fmt.Fprintf(&b, "migration: %s\n", orNone(p.Migration))
	writeWarnings(&b, p)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeWarnings(b *strings.Builder, p Plan) {
	var lines []string
	for _, s := range p.Slots {
		for _, w := range s.Warnings {
			lines = append(lines, "["+s.Profile+"] "+printable(w.String()))
		}
	}
	for _, w := range p.Warnings {
		lines = append(lines, printable(w.String()))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("warnings:\n")
	for _, l := range lines {
		fmt.Fprintf(b, "  %s\n", l)
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

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(paths ...string) string {
	var out []string
	for _, p := range paths {
		if p != "" {
			out = append(out, printable(p))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

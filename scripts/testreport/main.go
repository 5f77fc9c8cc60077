// Command testreport reads `go test -json` on its standard input and writes
// what `go test` alone would print, quiet or verbose (-v), and the list of
// skipped tests with the reason each gave, one line each:
//
//	SKIPPED: <package> <test>: <reason>
//
// appended to the file -skips names, or printed at the end without one.
// scripts/test and scripts/e2e pipe their go test runs through it; its exit
// status says only whether it could read its input (the pipeline's status
// is go test's).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// modulePrefix is left out of package names in the skip list.
const modulePrefix = "github.com/hermes-init/hermes-init/"

func main() {
	verbose := flag.Bool("v", false, "print every test's output, as go test -v does")
	skipsFile := flag.String("skips", "", "append the SKIPPED lines to this file instead of printing them at the end")
	tag := flag.String("tag", "", "name the run in each SKIPPED line (arm64 for the arm64 run of the same packages)")
	flag.Parse()
	skips, err := report(os.Stdin, os.Stdout, *verbose)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testreport: read go test -json: %v\n", err)
		os.Exit(1)
	}
	out := io.Writer(os.Stdout)
	if *skipsFile != "" {
		f, err := os.OpenFile(*skipsFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "testreport: open %s: %v\n", *skipsFile, err)
			os.Exit(1)
		}
		defer f.Close()
		out = f
	}
	for _, s := range skips {
		fmt.Fprintln(out, s.line(*tag))
	}
}

// skip is a skipped test and the reason it gave.
type skip struct{ pkg, test, reason string }

// line is the skip's line of the summary; tag names the run, if not "".
func (s skip) line(tag string) string {
	test := s.test
	if tag != "" {
		test += " (" + tag + ")"
	}
	return fmt.Sprintf("SKIPPED: %s %s: %s", strings.TrimPrefix(s.pkg, modulePrefix), test, s.reason)
}

// report copies the run to w as go test would print it and returns the
// skipped tests. Quiet, a passing package prints its "ok" line only, a
// failing test its output when it fails, and a failing package everything
// it printed outside tests (TestMain, a panic, the FAIL line). Lines that
// are not JSON (a go command message) are copied as they are.
func report(r io.Reader, w io.Writer, verbose bool) ([]skip, error) {
	type key struct{ pkg, test string }
	outputs := map[key][]string{}
	var skips []skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
		case "output":
			outputs[k] = append(outputs[k], e.Output)
			if verbose {
				fmt.Fprint(w, e.Output)
			}
		case "skip", "pass", "fail":
			if !verbose {
				fmt.Fprint(w, quiet(e, outputs[k]))
			}
			if e.Action == "skip" && e.Test != "" {
				skips = append(skips, skip{e.Package, e.Test, skipReason(outputs[k])})
			}
			delete(outputs, k)
		}
	}
	return skips, sc.Err()
}

// quiet is what go test without -v prints when a test or package ends with
// event e, having printed output.
func quiet(e event, output []string) string {
	switch {
	case e.Test != "" && e.Action == "fail":
		// The "--- FAIL" line first, then what the test logged, as go test
		// prints it (its -v stream has them the other way round).
		var head, body strings.Builder
		for _, o := range output {
			switch {
			case strings.HasPrefix(o, "=== "):
			case strings.HasPrefix(strings.TrimSpace(o), "--- FAIL: "):
				head.WriteString(o)
			default:
				body.WriteString(o)
			}
		}
		return head.String() + body.String()
	case e.Test != "":
		return ""
	case e.Action == "fail":
		return strings.Join(output, "")
	case len(output) > 0:
		return output[len(output)-1] // "ok  \tpkg\t1.2s", "?   \tpkg\t[no test files]"
	}
	return ""
}

// skipReason is the last message a skipped test logged (t.Skip's own),
// without its file:line, its continuation lines joined with " / ": the skip
// event carries no message, the test's output does.
func skipReason(output []string) string {
	var msg []string
	for _, o := range output {
		o = strings.TrimRight(o, "\n")
		switch {
		case strings.HasPrefix(o, "=== "), strings.HasPrefix(strings.TrimSpace(o), "--- SKIP: "):
		case strings.HasPrefix(o, "        "):
			msg = append(msg, strings.TrimSpace(o))
		case strings.HasPrefix(o, "    "):
			s := strings.TrimSpace(o)
			if i := strings.Index(s, ": "); i > 0 && strings.Contains(s[:i], ".go:") {
				s = s[i+2:]
			}
			msg = []string{s}
		}
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " / ")
}

package main

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

// run is a `go test -json` stream of one package: a skipped test with a log
// line before its reason, a subtest skipped with a two-line reason, a
// passing test, a failing one, and the package's end.
const run = `{"Action":"start","Package":"github.com/hermes-init/hermes-init/boot"}
{"Action":"run","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestRoot"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestRoot","Output":"=== RUN   TestRoot\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestRoot","Output":"    root_test.go:9: looking\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestRoot","Output":"    helpers_test.go:15: needs root: namespaces\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestRoot","Output":"--- SKIP: TestRoot (0.00s)\n"}
{"Action":"skip","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestRoot","Elapsed":0}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestSub/a","Output":"=== RUN   TestSub/a\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestSub/a","Output":"    a_test.go:7: first\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestSub/a","Output":"        second\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestSub/a","Output":"    --- SKIP: TestSub/a (0.00s)\n"}
{"Action":"skip","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestSub/a","Elapsed":0}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestOK","Elapsed":0}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestBad","Output":"    bad_test.go:3: boom\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"github.com/hermes-init/hermes-init/boot","Test":"TestBad","Elapsed":0}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Output":"FAIL\n"}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/boot","Output":"FAIL\tgithub.com/hermes-init/hermes-init/boot\t0.01s\n"}
{"Action":"fail","Package":"github.com/hermes-init/hermes-init/boot","Elapsed":0.01}
go: a message that is not JSON
{"Action":"output","Package":"github.com/hermes-init/hermes-init/gateway","Output":"ok  \tgithub.com/hermes-init/hermes-init/gateway\t0.2s\n"}
{"Action":"pass","Package":"github.com/hermes-init/hermes-init/gateway","Elapsed":0.2}
{"Action":"output","Package":"github.com/hermes-init/hermes-init/fsid","Output":"?   \tgithub.com/hermes-init/hermes-init/fsid\t[no test files]\n"}
{"Action":"skip","Package":"github.com/hermes-init/hermes-init/fsid","Elapsed":0}
`

func TestReport(t *testing.T) {
	wantSkips := []string{
		"SKIPPED: boot TestRoot: needs root: namespaces",
		"SKIPPED: boot TestSub/a: first / second",
	}
	cases := []struct {
		name    string
		verbose bool
		out     string
	}{
		{"quiet: failures, package ends and what is not JSON", false, "--- FAIL: TestBad (0.00s)\n    bad_test.go:3: boom\n" +
			"FAIL\nFAIL\tgithub.com/hermes-init/hermes-init/boot\t0.01s\n" +
			"go: a message that is not JSON\n" +
			"ok  \tgithub.com/hermes-init/hermes-init/gateway\t0.2s\n" +
			"?   \tgithub.com/hermes-init/hermes-init/fsid\t[no test files]\n"},
		{"verbose: everything, in order", true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			var out strings.Builder
			skips, err := report(strings.NewReader(run), &out, c.verbose)
			is.NoErr(err)
			var lines []string
			for _, s := range skips {
				lines = append(lines, s.line(""))
			}
			is.Equal(lines, wantSkips) // every skipped test, with its own reason
			is.Equal(skips[0].line("arm64"), "SKIPPED: boot TestRoot (arm64): needs root: namespaces")
			if !c.verbose {
				is.Equal(out.String(), c.out) // what go test alone prints
				return
			}
			for _, l := range []string{"=== RUN   TestOK\n--- PASS: TestOK (0.00s)\n", "    root_test.go:9: looking\n", "go: a message that is not JSON\n"} {
				is.True(strings.Contains(out.String(), l)) // the -v stream
			}
		})
	}
}

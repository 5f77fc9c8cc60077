// Command bench measures hermes-init against the inits people would pick
// instead (tini, dumb-init, catatonit, s6, runit) on this machine, and writes
// the tables to BENCHMARKS.md. It is a program, not a timed test: every
// measurement forks the real binaries, as PID 1 of fresh PID namespaces where
// that matters, and runs the inits interleaved round after round so that the
// machine's noise hits all of them alike. scripts/bench installs the peers,
// builds hermes-init and runs it.
//
//	bench -bin DIR [-out FILE] [-only start,reap,stop,mem,restart,plan,size] [-rounds N] [-quick]
//
// The same binary is the workload: re-executed with a first argument such as
// __orphans or __strays it becomes the child the inits run (helpers.go).
// Everything it starts dies with it (Pdeathsig, unshare --kill-child) and is
// killed on SIGINT/SIGTERM; its temporary directory is removed either way.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && isHelper(os.Args[1]) {
		os.Exit(runHelper(os.Args[1], os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// measurement is one numbered item of issue 6; the report keeps its number.
type measurement struct {
	number int
	key    string
	run    func(ctx context.Context, b *bench) section
}

// measurements in the order they run. Reaping goes last: its 10,000
// processes, runnable at once, push the load average into the hundreds for
// a minute, which would make the load shown for the others meaningless.
var measurements = []measurement{
	{1, "start", measureStart},
	{3, "stop", measureStop},
	{4, "mem", measureMemory},
	{5, "restart", measureRestart},
	{6, "plan", measurePlan},
	{7, "size", measureSize},
	{2, "reap", measureReap},
}

// run parses the flags, runs the chosen measurements and writes the report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return 2
	}
	b, err := newBench(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	defer b.close()
	started := time.Now()
	r := &report{invocation: invocation(args), machine: b.machine(), versions: b.versions()}
	var loads []string
	for _, m := range measurements {
		if !o.wants(m.key) {
			continue
		}
		loads = append(loads, fmt.Sprintf("%d. %s: %s", m.number, m.key, loadavg()))
		b.progress("%s: starting", m.key)
		b.reading = nil
		sec := m.run(ctx, b)
		sec.number, sec.reading = m.number, b.reading
		r.sections = append(r.sections, sec)
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "bench: interrupted; nothing written")
			return 130
		}
	}
	slices.SortFunc(r.sections, func(a, b section) int { return a.number - b.number })
	r.machine = append(r.machine,
		[2]string{"load average (1, 5, 15 min) as each measurement started, in the order they ran", strings.Join(loads, "; ")},
		[2]string{"load average at the end", loadavg()},
		[2]string{"duration of the run", time.Since(started).Round(time.Second).String()})
	out := r.markdown()
	stdout.Write(out)
	if o.out != "" {
		if err := writeAtomic(o.out, out); err != nil {
			fmt.Fprintf(stderr, "bench: write %s: %v\n", o.out, err)
			return 1
		}
		b.progress("wrote %s", o.out)
	}
	return 0
}

// invocation is the command line as scripts/bench runs it.
func invocation(args []string) string {
	var kept []string
	for i := 0; i < len(args); i++ {
		if args[i] == "-bin" || args[i] == "--bin" {
			i++ // a temporary directory: not part of the recipe
			continue
		}
		if strings.HasPrefix(args[i], "-bin=") || strings.HasPrefix(args[i], "--bin=") {
			continue
		}
		if args[i] == "-out" || args[i] == "--out" {
			i++
			continue
		}
		kept = append(kept, args[i])
	}
	return strings.TrimSpace("scripts/bench " + strings.Join(kept, " "))
}

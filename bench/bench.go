package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type options struct {
	bin      string
	out      string
	only     map[string]bool
	rounds   int
	quick    bool
	orphans  int
	strays   int
	grace    time.Duration
	profiles []int
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	var only, profiles string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "bin", "directory with the built hermes-init (scripts/build DIR)")
	fs.StringVar(&o.out, "out", "", "write the report to this file too (BENCHMARKS.md)")
	fs.StringVar(&only, "only", "", "comma-separated measurements to run: start,reap,stop,mem,restart,plan,size (default all)")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds for every measurement (default: each measurement's own)")
	fs.BoolVar(&o.quick, "quick", false, "few rounds: a check that everything runs, not a result")
	fs.IntVar(&o.orphans, "orphans", 10000, "orphans in the reaping measurement")
	fs.IntVar(&o.strays, "strays", 1000, "TERM-ignoring strays in the stop measurement")
	fs.DurationVar(&o.grace, "grace", 2*time.Second, "stop grace given to hermes-init, s6 and runit")
	fs.StringVar(&profiles, "profiles", "100,10000", "profile counts for the boot decision")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if only != "" {
		o.only = map[string]bool{}
		for _, k := range strings.Split(only, ",") {
			o.only[strings.TrimSpace(k)] = true
		}
	}
	for _, p := range strings.Split(profiles, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			fmt.Fprintf(stderr, "bench: -profiles: bad count %q\n", p)
			return o, errors.New("bad -profiles")
		}
		o.profiles = append(o.profiles, n)
	}
	return o, nil
}

func (o options) wants(key string) bool { return o.only == nil || o.only[key] }

// roundsFor is the number of rounds of a measurement: -rounds, else its
// default, else (with -quick) a couple.
func (o options) roundsFor(def, quick int) int {
	switch {
	case o.rounds > 0:
		return o.rounds
	case o.quick:
		return quick
	}
	return def
}

// bench is the state shared by the measurements.
type bench struct {
	o       options
	self    string // this binary: the helpers
	bindir  string // hermes-init's directory (absolute)
	hermes  string
	unshare string
	tmp     string
	log     io.Writer
	seq     int
	extra   []string // more temporary directories (on /dev/shm)
	notes   []string // about the setup, for the machine table
	reading []string // conclusions, one per measurement, for the report
	// initTrace is hermes-init's start before main, once measured.
	initTrace *initTrace
}

func newBench(o options, log io.Writer) (*bench, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	bindir, err := filepath.Abs(o.bin)
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, self: self, bindir: bindir, hermes: filepath.Join(bindir, "hermes-init"), log: log}
	if _, err := os.Stat(b.hermes); err != nil {
		return nil, fmt.Errorf("no hermes-init in -bin %s (build it with scripts/build DIR): %w", o.bin, err)
	}
	if p, err := exec.LookPath("unshare"); err == nil && os.Geteuid() == 0 {
		b.unshare = p
	}
	if b.tmp, err = os.MkdirTemp("", "hermes-bench-"); err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	if err := b.neutralConfig(); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// defaultConfig is the file hermes-init reads when given none.
const defaultConfig = "/etc/hermes-init/hermes-init.toml"

// neutralConfig keeps a configuration file installed on this machine from
// turning the plain `hermes-init -- CMD` runs into services mode: when the
// default file exists, they get one that only turns the gateway slots off.
// (Runs with --config are not affected: the flag wins.)
func (b *bench) neutralConfig() error {
	if _, err := os.Stat(defaultConfig); err != nil {
		return nil
	}
	path := filepath.Join(b.tmp, "plain.toml")
	if err := os.WriteFile(path, []byte("[gateway]\nenabled = false\n"), 0o644); err != nil {
		return err
	}
	childEnv = append(childEnv, "HERMES_INIT_CONFIG="+path)
	b.notes = append(b.notes, defaultConfig+" exists here: the `hermes-init -- CMD` runs get HERMES_INIT_CONFIG=$T/plain.toml (`[gateway] enabled = false`) so that they stay plain inits")
	return nil
}

// close kills whatever is still running and removes the temporary directory.
func (b *bench) close() {
	live.stopAll()
	for _, d := range append(b.extra, b.tmp) {
		if err := os.RemoveAll(d); err != nil {
			fmt.Fprintf(b.log, "bench: remove %s: %v\n", d, err)
		}
	}
}

// memDir makes a temporary directory on /dev/shm when there is one, so that
// file-heavy measurements time hermes-init rather than the disk.
func (b *bench) memDir(prefix string) (string, error) {
	d, err := os.MkdirTemp("/dev/shm", prefix)
	if err != nil {
		return b.dir(prefix)
	}
	b.extra = append(b.extra, d)
	return d, nil
}

func (b *bench) progress(format string, a ...any) {
	fmt.Fprintf(b.log, "bench: %s [load %s]\n", fmt.Sprintf(format, a...), loadavg())
}

// dir makes a fresh directory under the temporary one.
func (b *bench) dir(prefix string) (string, error) {
	b.seq++
	d := filepath.Join(b.tmp, fmt.Sprintf("%s%d", prefix, b.seq))
	return d, os.MkdirAll(d, 0o755)
}

// displayDir is where the commands shown in the report write their files
// (service directories, configurations): they are built only to be shown.
func (b *bench) displayDir() string {
	d := filepath.Join(b.tmp, "run")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return b.tmp
	}
	return d
}

// nsArgv runs argv as PID 1 of a new PID and mount namespace with its own
// /proc; --kill-child takes the namespace down if unshare dies.
func (b *bench) nsArgv(argv ...string) []string {
	return append([]string{b.unshare, "--pid", "--fork", "--mount-proc", "--kill-child"}, argv...)
}

// noNS is the n/a reason of PID-1 rows, or "".
func (b *bench) noNS() string {
	if b.unshare == "" {
		return "needs root and unshare(1) for a PID namespace"
	}
	return ""
}

// display writes argv as the report shows it: the temporary directory as $T,
// hermes-init's directory as $B, this binary as $X.
func (b *bench) display(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		a = strings.ReplaceAll(a, b.self, "$X")
		a = strings.ReplaceAll(a, b.tmp, "$T")
		a = strings.ReplaceAll(a, b.bindir, "$B")
		if strings.ContainsAny(a, " \"'") {
			a = "'" + a + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// scrub replaces the temporary paths in a message.
func (b *bench) scrub(s string) string {
	s = strings.ReplaceAll(s, b.self, "$X")
	s = strings.ReplaceAll(s, b.tmp, "$T")
	return strings.ReplaceAll(s, b.bindir, "$B")
}

// missing is the n/a reason for a binary that is not there, or "".
func missing(path, pkg string) string {
	if _, err := os.Stat(path); err != nil {
		return fmt.Sprintf("%s not installed (Debian package %s)", path, pkg)
	}
	return ""
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

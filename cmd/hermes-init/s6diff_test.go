package main

// Differential tests of the s6 surface: the same service directories, the
// same scripted sequences of s6 programs, once under the real s6-svscan and
// its s6-svc, s6-svstat, s6-svwait and s6-svscanctl (Debian's s6 package),
// once under hermes-init (PID 1 of fresh namespaces, s6.compat on) and
// hermes-init answering as those programs. Each step runs on both at the
// same time; its exit status and its normalised output must be equal. Pids
// are compared as labels (P1, P2... in order of appearance per supervisor),
// so "the pid changed" and "the pid is the same" are compared, not numbers;
// times and seconds are checked to be recent, then compared as placeholders.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// s6Bin is where Debian's s6 package puts the real programs.
const s6Bin = "/usr/bin"

func needS6(t *testing.T) {
	t.Helper()
	needRoot(t)
	for _, p := range []string{"s6-svscan", "s6-supervise", "s6-svc", "s6-svstat", "s6-svwait", "s6-svscanctl"} {
		if _, err := os.Stat(filepath.Join(s6Bin, p)); err != nil {
			requireOrSkip(t, "s6", fmt.Sprintf("needs the real s6 (%s): apt-get install s6", filepath.Join(s6Bin, p)))
		}
	}
}

// svFiles is a service directory: file name → content; names ending in
// "run" or "finish" are executable; "data/" makes the data subdirectory.
type svFiles map[string]string

// hermesFinish is the Hermes slot's finish: 0 and 78 are not restarted.
const hermesFinish = "#!/bin/sh\nif [ \"$1\" = 78 ]; then exit 125; fi\nif [ \"$1\" = 0 ]; then exit 125; fi\nexit 0\n"

// gatewayRun behaves as the gateway does on SIGTERM: exit 0 when a
// planned-stop marker (here data/marker) names it, else exit 1.
const gatewayRun = `#!/bin/sh
sleep 1000 &
child=$!
trap 'kill $child 2>/dev/null; if [ -e data/marker ]; then rm -f data/marker; exit 0; fi; exit 1' TERM
wait $child
exit 2
`

func writeService(t *testing.T, dir string, files svFiles) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "run") || strings.HasSuffix(name, "finish") {
			mode = 0o755
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// supervisorUnderTest is one side of the comparison.
type supervisorUnderTest struct {
	name string
	scan string // the scan directory
	tpl  string // service templates, for registrations at runtime
	bin  string // the directory of the s6 programs
	pids map[int]string
	mu   sync.Mutex
	done func(time.Duration) (int, bool) // waits for the supervisor to exit
}

func startRealS6(t *testing.T, base string) *supervisorUnderTest {
	t.Helper()
	s := &supervisorUnderTest{name: "s6", scan: filepath.Join(base, "scan"), tpl: filepath.Join(base, "tpl"), bin: s6Bin, pids: map[int]string{}}
	cg := s6Cgroup(t)
	fd, err := unix.Open(cg, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	cmd := exec.Command(filepath.Join(s6Bin, "s6-svscan"), s.scan)
	if err := os.MkdirAll(s.scan, 0o755); err != nil {
		t.Fatal(err)
	}
	// No Pdeathsig: it follows the thread that forked, which the Go runtime
	// may retire; the cgroup's kill at the end cleans up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, UseCgroupFD: true, CgroupFD: fd}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start s6-svscan: %v", err)
	}
	exited := make(chan int, 1)
	go func() {
		_ = cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
	}()
	s.done = func(d time.Duration) (int, bool) {
		select {
		case code := <-exited:
			exited <- code
			return code, true
		case <-time.After(d):
			return 0, false
		}
	}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(cg, "cgroup.kill"), []byte("1"), 0)
		s.done(5 * time.Second)
	})
	return s
}

// s6Cgroup is a throwaway cgroup for the real s6-svscan's tree, apart from
// hermes-init's (which takes every process of its own as a container's PID 1
// would); its cleanup kills what is left.
func s6Cgroup(t *testing.T) string {
	t.Helper()
	mnt := v2Mount()
	if mnt == "" {
		requireOrSkip(t, "cgroup2", "needs a cgroup2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified)")
	}
	dir := filepath.Join(mnt, "hermes-test", fmt.Sprintf("%s-s6-%d", strings.ReplaceAll(t.Name(), "/", "-"), os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		requireOrSkip(t, "cgroup2", fmt.Sprintf("cannot create a cgroup in %s: %v", mnt, err))
	}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
		for i := 0; i < 100 && len(cgroupPids(dir)) > 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		removeCgroupTree(t, dir)
	})
	return dir
}

func startHermesS6(t *testing.T, base string) (*supervisorUnderTest, *proc) {
	t.Helper()
	s := &supervisorUnderTest{name: "hermes-init", scan: filepath.Join(base, "scan"), tpl: filepath.Join(base, "tpl"), bin: filepath.Join(base, "command"), pids: map[int]string{}}
	if err := os.MkdirAll(s.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"s6-svc", "s6-svstat", "s6-svwait", "s6-svscanctl"} {
		if err := os.Symlink(initBin, filepath.Join(s.bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(base, "hermes-init.toml")
	// Restarts as s6-supervise paces them: 1 s apart, never giving up.
	text := fmt.Sprintf(`grace = "5s"
control_socket = %q
[gateway]
enabled = false
[restart]
backoff_min = "1s"
backoff_max = "1s"
crash_loop_max = 0
[s6]
compat = true
scandir = %q
basedir = %q
envdir = %q
`, filepath.Join(base, "ctl.sock"), s.scan, filepath.Join(base, "s6", "basedir"), filepath.Join(base, "s6", "env"))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, nsOpts{pid1: true, cgroupNS: true}, "--config", conf)
	s.done = func(d time.Duration) (int, bool) {
		select {
		case <-p.done:
			return p.status, true
		case <-time.After(d):
			return 0, false
		}
	}
	return s, p
}

// s6Step is one call, run on both supervisors at once. In args, {dir} is the
// step's service directory and {scan} the scan directory; prog "sh" runs a
// shell script with $SCAN, $DIR and $TPL set.
type s6Step struct {
	prog  string
	args  []string
	svc   string        // the service {dir} names
	sleep time.Duration // instead of a call: let both run that long
	code  int           // the exit status both must give
	want  string        // when not "", the normalised output both must give
}

func (s *supervisorUnderTest) run(t *testing.T, st s6Step) (int, string, string) {
	dir := filepath.Join(s.scan, st.svc)
	args := make([]string, len(st.args))
	for i, a := range st.args {
		args[i] = strings.NewReplacer("{dir}", dir, "{scan}", s.scan).Replace(a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	if st.prog == "sh" {
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-ec"}, args...)...)
		cmd.Env = append(os.Environ(), "SCAN="+s.scan, "DIR="+dir, "TPL="+s.tpl)
	} else {
		cmd = exec.CommandContext(ctx, filepath.Join(s.bin, st.prog), args...)
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: run %s: %v", s.name, st.prog, err)
	}
	return code, s.normalise(t, st, out.String()), errb.String()
}

// pidFields returns the positions of pid fields in s6-svstat's -o output
// for the step's options.
func pidFields(st s6Step) map[int]bool {
	if st.prog != "s6-svstat" {
		return nil
	}
	letters := map[rune]string{'u': "up", 'w': "wantedup", 'N': "normallyup", 'r': "ready", 'p': "pid", 'e': "exitcode", 's': "signal", 't': "updownfor"}
	var fields []string
	for i := 0; i < len(st.args); i++ {
		a := st.args[i]
		switch {
		case a == "-o" && i+1 < len(st.args):
			i++
			fields = append(fields, strings.Split(st.args[i], ",")...)
		case strings.HasPrefix(a, "-"):
			for _, c := range a[1:] {
				if f, ok := letters[c]; ok {
					fields = append(fields, f)
				}
			}
		}
	}
	pos := map[int]bool{}
	for i, f := range fields {
		if f == "pid" || f == "pgid" {
			pos[i] = true
		}
	}
	return pos
}

var (
	reTAI     = regexp.MustCompile(`@4000[0-9a-f]{20}`)
	reHumanP  = regexp.MustCompile(`\(pid (\d+)\)`)
	reSeconds = regexp.MustCompile(`(\d+) seconds`)
)

// normalise replaces pids by labels and times by placeholders, failing when
// a time is not recent.
func (s *supervisorUnderTest) normalise(t *testing.T, st s6Step, out string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	label := func(pid int) string {
		if l, ok := s.pids[pid]; ok {
			return l
		}
		s.pids[pid] = "P" + strconv.Itoa(len(s.pids)+1)
		return s.pids[pid]
	}
	out = reTAI.ReplaceAllStringFunc(out, func(l string) string {
		secs, _ := strconv.ParseUint(l[1:17], 16, 64)
		at := time.Unix(int64(secs-1<<62-37), 0)
		if d := time.Since(at); d < -2*time.Second || d > 2*time.Minute {
			t.Errorf("%s: TAI64N label %s is %s away from now", s.name, l, d)
		}
		return "@TAI"
	})
	out = reHumanP.ReplaceAllStringFunc(out, func(m string) string {
		n, _ := strconv.Atoi(reHumanP.FindStringSubmatch(m)[1])
		return "(pid " + label(n) + ")"
	})
	out = reSeconds.ReplaceAllStringFunc(out, func(m string) string {
		if n, _ := strconv.Atoi(reSeconds.FindStringSubmatch(m)[1]); n > 120 {
			t.Errorf("%s: %q is not recent", s.name, m)
		}
		return "N seconds"
	})
	if pos := pidFields(st); len(pos) > 0 {
		fields := strings.Fields(out)
		for i, f := range fields {
			if n, err := strconv.Atoi(f); err == nil && n > 0 && pos[i] {
				fields[i] = label(n)
			}
		}
		out = strings.Join(fields, " ")
	}
	return strings.TrimSpace(out)
}

// runSequence runs steps on both supervisors and compares each answer.
func runSequence(t *testing.T, a, b *supervisorUnderTest, steps []s6Step) {
	t.Helper()
	for i, st := range steps {
		if st.sleep > 0 {
			time.Sleep(st.sleep)
			continue
		}
		type result struct {
			code     int
			out, err string
		}
		var ra, rb result
		var wg sync.WaitGroup
		wg.Go(func() { ra.code, ra.out, ra.err = a.run(t, st) })
		wg.Go(func() { rb.code, rb.out, rb.err = b.run(t, st) })
		wg.Wait()
		what := fmt.Sprintf("step %d: %s %s", i+1, st.prog, strings.Join(st.args, " "))
		t.Logf("%s -> %d %q", what, ra.code, ra.out)
		if ra.code != rb.code || ra.out != rb.out {
			t.Fatalf("%s:\n  %s: status %d, output %q, stderr %q\n  %s: status %d, output %q, stderr %q",
				what, a.name, ra.code, ra.out, ra.err, b.name, rb.code, rb.out, rb.err)
		}
		// Both agree; they must also agree with what the step expects, so
		// that two supervisors failing alike cannot pass.
		if ra.code != st.code || st.want != "" && ra.out != st.want {
			t.Fatalf("%s: both give status %d, output %q; want status %d, output %q (stderr %q)", what, ra.code, ra.out, st.code, st.want, ra.err)
		}
	}
}

// diffPair starts both supervisors on scan directories holding services.
func diffPair(t *testing.T, services map[string]svFiles, templates map[string]svFiles) (*supervisorUnderTest, *supervisorUnderTest, *proc) {
	t.Helper()
	needS6(t)
	var sides []*supervisorUnderTest
	var p *proc
	for _, name := range []string{"s6", "hermes-init"} {
		base, err := os.MkdirTemp("", "s6diff-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(base) })
		for svc, files := range services {
			writeService(t, filepath.Join(base, "scan", svc), files)
		}
		for svc, files := range templates {
			writeService(t, filepath.Join(base, "tpl", svc), files)
		}
		if name == "s6" {
			sides = append(sides, startRealS6(t, base))
		} else {
			var s *supervisorUnderTest
			s, p = startHermesS6(t, base)
			sides = append(sides, s)
		}
	}
	// Both listen once their scan directory has its control entry (s6's
	// FIFO, hermes-init's socket link), and have picked their services up once
	// every one answers s6-svstat.
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range sides {
		for _, e := range []string{"control", s6compat.SocketLink} {
			for {
				if _, err := os.Stat(filepath.Join(s.scan, s6compat.ControlDir, e)); err == nil || s.name == "s6" && e != "control" || s.name != "s6" && e == "control" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: %s not listening within 10s", s.name, s.scan)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		for svc := range services {
			for {
				code, _, _ := s.run(t, s6Step{prog: "s6-svstat", args: []string{"{dir}"}, svc: svc})
				if code == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: %s not supervised within 10s", s.name, svc)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	for _, s := range sides {
		s.pids = map[int]string{} // the labels start with the sequence
	}
	return sides[0], sides[1], p
}

func step(prog, svc string, args ...string) s6Step { return s6Step{prog: prog, svc: svc, args: args} }

// is sets what both must answer: the exit status and, unless "", the
// normalised output.
func (s s6Step) is(code int, want string) s6Step {
	s.code, s.want = code, want
	return s
}
func pause(d time.Duration) s6Step { return s6Step{sleep: d} }

// TestS6DiffHermesCLI: the s6 calls of hermes-agent's hermes_cli/service_manager.py,
// in the order the Hermes CLI makes them: profile create (registered down),
// gateway start, status, restart, stop with its planned-stop marker, a
// restart while wanted down, and profile delete.
func TestS6DiffHermesCLI(t *testing.T) {
	gw := svFiles{"type": "longrun\n", "run": gatewayRun, "finish": hermesFinish, "log/run": "#!/bin/sh\nexec cat\n", "down": ""}
	a, b, _ := diffPair(t, nil, map[string]svFiles{"gateway-work": gw})
	const svc = "gateway-work"
	register := `mkdir "$SCAN/.gateway-work.tmp"; cp -R "$TPL/gateway-work/." "$SCAN/.gateway-work.tmp/"
mkdir -p "$SCAN/.gateway-work.tmp/supervise/event" "$SCAN/.gateway-work.tmp/event"; mkfifo -m 0660 "$SCAN/.gateway-work.tmp/supervise/control"
mv "$SCAN/.gateway-work.tmp" "$SCAN/gateway-work"`
	status := "up,wantedup,normallyup,pid,exitcode,signal,ready"
	runSequence(t, a, b, []s6Step{
		// profile create: staged, renamed, s6-svscanctl -a
		step("sh", svc, register),
		step("s6-svscanctl", svc, "-a", "{scan}"),
		pause(300 * time.Millisecond),
		step("s6-svstat", svc, "-o", status, "{dir}"),
		step("s6-svstat", svc, "{dir}"),
		// gateway start: s6-svc -u
		step("s6-svc", svc, "-u", "{dir}"),
		step("s6-svwait", svc, "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", svc, "-o", "up", "{dir}"), // is_running
		step("s6-svstat", svc, "-o", "pid", "{dir}"),
		// gateway restart: s6-svc -t, no marker: exit 1, finish 0, restarted
		step("s6-svc", svc, "-t", "{dir}"),
		step("s6-svwait", svc, "-d", "-t", "5000", "{dir}"),
		pause(100 * time.Millisecond),
		step("s6-svstat", svc, "-o", "up,wantedup,exitcode,signal", "{dir}").is(0, "false true 1 NA"),
		step("s6-svwait", svc, "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", svc, "-o", status, "{dir}"),
		// gateway stop: pid, marker, s6-svc -d; the gateway exits 0
		step("s6-svstat", svc, "-o", "pid", "{dir}"),
		step("sh", svc, `touch "$DIR/data/marker"`),
		step("s6-svc", svc, "-d", "{dir}"),
		step("s6-svwait", svc, "-D", "-t", "10000", "{dir}"),
		step("s6-svstat", svc, "-o", status, "{dir}").is(0, "false false false -1 0 NA false"),
		step("s6-svstat", svc, "{dir}"),
		// gateway restart while wanted down: -t does not bring it up
		step("s6-svc", svc, "-t", "{dir}"),
		pause(300 * time.Millisecond),
		step("s6-svstat", svc, "-o", "up,wantedup", "{dir}"),
		// gateway start again
		step("s6-svc", svc, "-u", "{dir}"),
		step("s6-svwait", svc, "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", svc, "-o", "up,wantedup,pid", "{dir}"),
		// profile delete: -d, s6-svwait -D, s6-svscanctl -an, rm
		step("s6-svc", svc, "-d", "{dir}"),
		step("s6-svwait", svc, "-D", "-t", "10000", "{dir}"),
		step("s6-svstat", svc, "-o", "up,wantedup,exitcode,signal", "{dir}"),
		step("s6-svscanctl", svc, "-an", "{scan}"),
		pause(200 * time.Millisecond),
		step("sh", svc, `rm -rf "$DIR"`),
		step("s6-svstat", svc, "-o", "up", "{dir}").is(1, ""), // gone: not supervised
		step("s6-svc", svc, "-u", "{dir}").is(111, ""),        // no such directory
	})
}

// TestS6DiffFinish125: a ./finish that exits 125 keeps the service down, as
// s6-svc -O; the gateway's 78 goes the same way through Hermes's finish.
func TestS6DiffFinish125(t *testing.T) {
	a, b, _ := diffPair(t, map[string]svFiles{
		"perma":    {"run": "#!/bin/sh\nexec sleep 1000\n", "finish": "#!/bin/sh\nexit 125\n"},
		"fatalcfg": {"run": "#!/bin/sh\nsleep 0.2\nexit 78\n", "finish": hermesFinish},
	}, nil)
	runSequence(t, a, b, []s6Step{
		step("s6-svwait", "perma", "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", "perma", "-o", "up,wantedup,pid", "{dir}"),
		step("s6-svc", "perma", "-t", "{dir}"),
		step("s6-svwait", "perma", "-D", "-t", "5000", "{dir}"),
		step("s6-svstat", "perma", "-o", "up,wantedup,exitcode,signal,signum,ready,normallyup", "{dir}").is(0, "false false -1 SIGTERM 15 false true"),
		step("s6-svstat", "perma", "{dir}"),
		pause(1500 * time.Millisecond), // longer than s6's 1 s between spawns
		step("s6-svstat", "perma", "-o", "up,wantedup,pid", "{dir}"),
		step("s6-svwait", "fatalcfg", "-D", "-t", "5000", "{dir}"),
		pause(1200 * time.Millisecond),
		step("s6-svstat", "fatalcfg", "-o", "up,wantedup,exitcode,signal", "{dir}").is(0, "false false 78 NA"),
		step("s6-svstat", "fatalcfg", "{dir}"),
		// an explicit start brings it back, once more to 125
		step("s6-svc", "perma", "-u", "{dir}"),
		step("s6-svwait", "perma", "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", "perma", "-o", "up,wantedup", "{dir}"),
	})
}

// TestS6DiffTimeoutKill: a service that ignores SIGTERM is SIGKILLed
// timeout-kill after s6-svc -d; without timeout-kill it is never killed.
func TestS6DiffTimeoutKill(t *testing.T) {
	stubborn := "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n"
	a, b, _ := diffPair(t, map[string]svFiles{
		"stubborn": {"run": stubborn, "timeout-kill": "1500\n"},
		"forever":  {"run": stubborn},
	}, nil)
	runSequence(t, a, b, []s6Step{
		step("s6-svwait", "stubborn", "-u", "-t", "5000", "{dir}"),
		step("s6-svwait", "forever", "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", "stubborn", "-o", "pid", "{dir}"),
		step("s6-svc", "stubborn", "-d", "{dir}"),
		step("s6-svc", "forever", "-d", "{dir}"),
		pause(500 * time.Millisecond),
		step("s6-svstat", "stubborn", "-o", "up,wantedup,pid", "{dir}").is(0, "true false P1"), // still the same process
		step("s6-svc", "stubborn", "-wd", "-T", "5000", "-d", "{dir}"),
		step("s6-svstat", "stubborn", "-o", "up,wantedup,exitcode,signal", "{dir}").is(0, "false false -1 SIGKILL"),
		step("s6-svstat", "forever", "-o", "up,wantedup", "{dir}"),
		step("s6-svwait", "forever", "-d", "-t", "1500", "{dir}").is(99, ""), // never killed: times out
		step("s6-svc", "forever", "-wd", "-T", "300", "-d", "{dir}").is(99, ""),
		step("s6-svc", "forever", "-k", "{dir}"),
		step("s6-svwait", "forever", "-D", "-t", "5000", "{dir}"),
		step("s6-svstat", "forever", "-o", "up,wantedup,exitcode,signal", "{dir}"),
		step("s6-svstat", "forever", "{dir}"),
	})
}

// TestS6DiffOnceAndSignals: -o, -k, -r, -u, -d on a service that starts
// down, and a service without ./finish that exits 0 (s6 restarts it).
func TestS6DiffOnceAndSignals(t *testing.T) {
	a, b, _ := diffPair(t, map[string]svFiles{
		"svc":     {"run": "#!/bin/sh\nexec sleep 1000\n", "down": ""},
		"quitter": {"run": "#!/bin/sh\nsleep 0.3\nexit 0\n"},
	}, nil)
	all := "up,wantedup,normallyup,pid,exitcode,signal"
	runSequence(t, a, b, []s6Step{
		step("s6-svstat", "svc", "-o", all, "{dir}"),
		step("s6-svc", "svc", "-o", "{dir}"),
		step("s6-svwait", "svc", "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", "svc", "-o", all, "{dir}"),
		step("s6-svstat", "svc", "{dir}"),
		step("s6-svc", "svc", "-k", "{dir}"),
		step("s6-svwait", "svc", "-D", "-t", "5000", "{dir}"),
		pause(1200 * time.Millisecond), // once: not restarted
		step("s6-svstat", "svc", "-o", all, "{dir}"),
		step("s6-svc", "svc", "-r", "{dir}"), // down: nothing to restart
		step("s6-svc", "svc", "-wu", "-T", "5000", "-u", "{dir}"),
		step("s6-svstat", "svc", "-o", all, "{dir}"),
		step("s6-svc", "svc", "-r", "{dir}"), // up: killed and started again
		step("s6-svwait", "svc", "-d", "-t", "5000", "{dir}"),
		step("s6-svwait", "svc", "-u", "-t", "5000", "{dir}"),
		step("s6-svstat", "svc", "-o", "up,wantedup,pid,exitcode,signal", "{dir}"),
		step("s6-svc", "svc", "-1", "{dir}"), // SIGUSR1 kills sleep: restarted
		step("s6-svwait", "svc", "-D", "-t", "5000", "{dir}"),
		step("s6-svstat", "svc", "-o", "up,wantedup,signal,signum", "{dir}"),
		step("s6-svwait", "svc", "-u", "-t", "5000", "{dir}"),
		step("s6-svc", "svc", "-wD", "-T", "5000", "-d", "{dir}"),
		step("s6-svstat", "svc", "-o", all, "{dir}"),
		// no ./finish: exit 0 is restarted
		step("s6-svwait", "quitter", "-u", "-t", "5000", "{dir}"),
		step("s6-svwait", "quitter", "-d", "-t", "5000", "{dir}"),
		step("s6-svstat", "quitter", "-o", "up,wantedup,exitcode", "{dir}"),
		step("s6-svwait", "quitter", "-u", "-t", "5000", "{dir}"),
		step("s6-svc", "quitter", "-d", "{dir}"),
		step("s6-svwait", "quitter", "-D", "-t", "5000", "{dir}"),
		step("s6-svstat", "quitter", "-o", "up,wantedup", "{dir}"),
	})
}

// TestS6DiffStatusesAndScan: the exit statuses of usage errors, timeouts,
// unsupervised directories, several directories at once, and a directory
// that s6-svscanctl -an drops.
func TestS6DiffStatusesAndScan(t *testing.T) {
	sleeper := svFiles{"run": "#!/bin/sh\nexec sleep 1000\n"}
	a, b, _ := diffPair(t, map[string]svFiles{"one": sleeper, "two": sleeper, "off": {"run": sleeper["run"], "down": ""}}, nil)
	runSequence(t, a, b, []s6Step{
		step("s6-svwait", "one", "-u", "-t", "5000", "{scan}/one", "{scan}/two"),
		step("s6-svwait", "one", "-d", "-t", "300", "{scan}/one", "{scan}/two").is(99, ""),
		step("s6-svwait", "one", "-o", "-d", "-t", "5000", "{scan}/one", "{scan}/off"), // succeeds at once; the bound is for a loaded machine
		step("s6-svwait", "off", "-u", "-t", "300", "{dir}").is(99, ""),
		step("s6-svc", "off", "-wu", "-T", "300", "{dir}").is(99, ""),
		step("s6-svc", "one", "-Z", "{dir}").is(100, ""),
		step("s6-svc", "one").is(100, ""),
		step("s6-svstat", "one", "-o", "bogus", "{dir}").is(100, ""),
		step("s6-svstat", "one", "-upN", "{dir}").is(0, "true P1 true"),
		step("s6-svc", "nosuch", "-u", "{dir}").is(111, ""),
		step("s6-svstat", "nosuch", "{dir}").is(1, ""),
		step("s6-svwait", "nosuch", "-u", "-t", "100", "{dir}").is(111, ""),
		step("sh", "unscanned", `mkdir "$DIR"`),
		step("s6-svc", "unscanned", "-u", "{dir}").is(100, ""),
		step("s6-svstat", "unscanned", "{dir}").is(1, ""),
		step("s6-svscanctl", "one", "-a", "{dir}").is(100, ""), // not a scan directory
		step("sh", "", `mkdir "$SCAN/.hidden" && printf '#!/bin/sh\nexec sleep 1000\n' > "$SCAN/.hidden/run" && chmod +x "$SCAN/.hidden/run"`),
		step("s6-svscanctl", "", "-a", "{scan}"),
		pause(300 * time.Millisecond),
		step("s6-svstat", ".hidden", "{dir}").is(1, ""), // dot entries are never picked up
		// a directory removed while up: -an stops it and drops it
		step("sh", "two", `mv "$DIR" "$SCAN/.gone"`),
		step("s6-svscanctl", "", "-an", "{scan}"),
		pause(500 * time.Millisecond),
		step("sh", "two", `mv "$SCAN/.gone" "$DIR"`),
		step("s6-svstat", "two", "{dir}").is(1, ""),
		step("s6-svstat", "one", "-o", "up,wantedup", "{dir}").is(0, "true true"),
	})
}

// TestS6DiffTerminate: s6-svscanctl -t brings every service down and ends
// the supervisor.
func TestS6DiffTerminate(t *testing.T) {
	a, b, p := diffPair(t, map[string]svFiles{"one": {"run": "#!/bin/sh\nexec sleep 1000\n"}}, nil)
	runSequence(t, a, b, []s6Step{
		step("s6-svwait", "one", "-u", "-t", "5000", "{dir}"),
		step("s6-svscanctl", "", "-t", "{scan}"),
	})
	for _, s := range []*supervisorUnderTest{a, b} {
		code, ok := s.done(10 * time.Second)
		if !ok {
			t.Fatalf("%s still runs 10s after s6-svscanctl -t", s.name)
		}
		if code != 0 {
			t.Errorf("%s exited %d after s6-svscanctl -t, want 0", s.name, code)
		}
	}
	_ = p
}

// TestS6PoseAndGatewaySlots: with s6.compat, hermes-init as PID 1 reads
// s6-svscan in /proc/<pid>/comm, makes the basedir and the envdir, lays the
// slots out in the scan directory (down when they start down), and a
// gateway-<profile> directory registered at runtime for an existing profile
// becomes that profile's slot, which s6-svc and s6-svstat drive.
func TestS6PoseAndGatewaySlots(t *testing.T) {
	needRoot(t)
	h := newHome(t)
	base := filepath.Dir(h.dir)
	scan, basedir, envdir := filepath.Join(base, "service"), filepath.Join(base, "s6", "basedir"), filepath.Join(base, "s6", "env")
	h.extra = fmt.Sprintf("[s6]\ncompat = true\nscandir = %q\nbasedir = %q\nenvdir = %q\n", scan, basedir, envdir)
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	h.addProfile("idle") // no state: registered down
	p := h.start()
	h.waitSlot("gateway-default", "up", 10*time.Second)

	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p.pid()))
	if err != nil || strings.TrimSpace(string(comm)) != "s6-svscan" {
		t.Fatalf("comm of hermes-init as PID 1: %q, %v; want s6-svscan", comm, err)
	}
	if fi, err := os.Stat(basedir); err != nil || !fi.IsDir() {
		t.Fatalf("basedir %s: %v", basedir, err)
	}
	if b, err := os.ReadFile(filepath.Join(envdir, "HERMES_INIT_CONFIG")); err != nil && !os.IsNotExist(err) {
		t.Fatalf("envdir: %v", err)
	} else if b, err = os.ReadFile(filepath.Join(envdir, "PATH")); err != nil || len(b) == 0 {
		t.Fatalf("envdir %s has no PATH: %q, %v", envdir, b, err)
	}
	for _, f := range []string{"type", "run", "finish", "log/run", "supervise/control"} {
		if _, err := os.Stat(filepath.Join(scan, "gateway-default", f)); err != nil {
			t.Errorf("gateway-default/%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(scan, "gateway-default", "down")); err == nil {
		t.Errorf("gateway-default starts up but has a down file")
	}
	if _, err := os.Stat(filepath.Join(scan, "gateway-idle", "down")); err != nil {
		t.Errorf("gateway-idle starts down but has no down file: %v", err)
	}

	bin := filepath.Join(base, "command")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"s6-svc", "s6-svstat", "s6-svscanctl"} {
		if err := os.Symlink(initBin, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	tool := func(name string, args ...string) (string, int) {
		out, err := exec.Command(filepath.Join(bin, name), args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return strings.TrimSpace(string(out)), 0
	}
	// hermes gateway status / start for a slot of the plan
	if out, code := tool("s6-svstat", "-o", "up,pid", filepath.Join(scan, "gateway-default")); code != 0 || out != fmt.Sprintf("true %d", h.status()["gateway-default"].Pid) {
		t.Fatalf("s6-svstat gateway-default: %q (%d); ctl says pid %d", out, code, h.status()["gateway-default"].Pid)
	}
	// profile create at runtime: staged, renamed, s6-svscanctl -a
	h.addProfile("work")
	stage := filepath.Join(scan, ".gateway-work.tmp")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stage, "run"), []byte("#!/bin/sh\nexit 99\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(stage, filepath.Join(scan, "gateway-work")); err != nil {
		t.Fatal(err)
	}
	if out, code := tool("s6-svscanctl", "-a", scan); code != 0 {
		t.Fatalf("s6-svscanctl -a: %q (%d)", out, code)
	}
	st := h.waitSlot("gateway-work", "up", 10*time.Second) // no down file: started, as the stub gateway
	p.waitLine("[gateway-work] stub-gateway: profile=work", 10*time.Second)
	if out, _ := tool("s6-svstat", "-o", "up,pid", filepath.Join(scan, "gateway-work")); out != fmt.Sprintf("true %d", st.Pid) {
		t.Fatalf("s6-svstat gateway-work: %q, want true %d", out, st.Pid)
	}
	// a second scan does not supervise the slots a second time
	if _, code := tool("s6-svscanctl", "-a", scan); code != 0 || len(h.status()) != 3 {
		t.Fatalf("after a second scan: %d services (%v)", len(h.status()), h.status())
	}
	// hermes gateway stop: s6-svc -d; the slot stays down
	if out, code := tool("s6-svc", "-wD", "-T", "10000", "-d", filepath.Join(scan, "gateway-work")); code != 0 {
		t.Fatalf("s6-svc -d: %q (%d)", out, code)
	}
	if out, _ := tool("s6-svstat", "-o", "up,wantedup", filepath.Join(scan, "gateway-work")); out != "false false" {
		t.Fatalf("after s6-svc -d: %q", out)
	}
	// profile delete (rm, s6-svscanctl -an), then create again under the same
	// name: the new directory is a new service, started.
	if err := os.RemoveAll(filepath.Join(scan, "gateway-work")); err != nil {
		t.Fatal(err)
	}
	if out, code := tool("s6-svscanctl", "-an", scan); code != 0 {
		t.Fatalf("s6-svscanctl -an: %q (%d)", out, code)
	}
	if _, ok := h.status()["gateway-work"]; ok {
		t.Fatal("gateway-work still supervised after its directory was removed and -an")
	}
	if err := os.MkdirAll(filepath.Join(scan, "gateway-work"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scan, "gateway-work", "run"), []byte("#!/bin/sh\nexit 99\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, code := tool("s6-svscanctl", "-a", scan); code != 0 {
		t.Fatalf("s6-svscanctl -a after re-creating gateway-work: %q (%d)", out, code)
	}
	again := h.waitSlot("gateway-work", "up", 10*time.Second)
	if again.Pid == st.Pid {
		t.Fatalf("re-created gateway-work still runs the old pid %d", st.Pid)
	}
}

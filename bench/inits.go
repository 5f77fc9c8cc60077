package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// initSpec is a single-command init: INIT [flags] -- CMD.
type initSpec struct {
	name    string
	path    string
	pkg     string
	notPID1 []string // flags it needs when it is not PID 1 (tini's -s)
	flags   []string
	ref     bool
}

func (b *bench) singleInits(withStatic bool) []initSpec {
	specs := []initSpec{
		{name: "hermes-init", path: b.hermes, ref: true},
		{name: "tini", path: "/usr/bin/tini", pkg: "tini", notPID1: []string{"-s"}},
		{name: "tini-static", path: "/usr/bin/tini-static", pkg: "tini", notPID1: []string{"-s"}},
		{name: "dumb-init", path: "/usr/bin/dumb-init", pkg: "dumb-init"},
		{name: "catatonit", path: "/usr/bin/catatonit", pkg: "catatonit"},
	}
	if !withStatic {
		specs = append(specs[:2], specs[3:]...)
	}
	return specs
}

func (s initSpec) argv(pid1 bool, cmd ...string) []string {
	argv := []string{s.path}
	argv = append(argv, s.flags...)
	if !pid1 {
		argv = append(argv, s.notPID1...)
	}
	argv = append(argv, "--")
	return append(argv, cmd...)
}

func (s initSpec) missing() string { return missing(s.path, s.pkg) }

// Paths of the supervisors' binaries (Debian's s6 and runit packages).
const (
	s6Svscan   = "/usr/bin/s6-svscan"
	s6Supervis = "/usr/bin/s6-supervise"
	runsvdir   = "/usr/bin/runsvdir"
	runsv      = "/usr/bin/runsv"
	svBin      = "/usr/bin/sv"
)

// svc is a supervised service: a name and the command it runs.
type svc struct {
	name string
	argv []string
}

func services(n int, argv ...string) []svc {
	var list []svc
	for i := range n {
		list = append(list, svc{name: fmt.Sprintf("svc%d", i), argv: argv})
	}
	return list
}

// shQuote quotes a word for sh.
func shQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-=,:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shQuote(a)
	}
	return strings.Join(q, " ")
}

func writeScript(path, body string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755)
}

// s6Opts are the s6 settings that stand in for a grace period.
type s6Opts struct {
	timeoutKill time.Duration // per service: SIGKILL this long after the down signal (0: never)
	finish      []string      // .s6-svscan/finish: what PID 1 execs when s6-svscan exits
}

// s6Scan makes a scan directory for s6-svscan: one service directory with a
// run script per service.
func s6Scan(dir string, list []svc, o s6Opts) (string, error) {
	scan := filepath.Join(dir, "scan")
	for _, s := range list {
		if err := writeScript(filepath.Join(scan, s.name, "run"), "exec "+shLine(s.argv)+"\n"); err != nil {
			return "", err
		}
		if o.timeoutKill > 0 {
			ms := strconv.FormatInt(o.timeoutKill.Milliseconds(), 10)
			if err := os.WriteFile(filepath.Join(scan, s.name, "timeout-kill"), []byte(ms+"\n"), 0o644); err != nil {
				return "", err
			}
		}
	}
	if o.finish != nil {
		if err := writeScript(filepath.Join(scan, ".s6-svscan", "finish"), "exec "+shLine(o.finish)+"\n"); err != nil {
			return "", err
		}
	}
	return scan, nil
}

// runitDir makes a service directory for runsvdir.
func runitDir(dir string, list []svc) (string, error) {
	sv := filepath.Join(dir, "service")
	for _, s := range list {
		if err := writeScript(filepath.Join(sv, s.name, "run"), "exec "+shLine(s.argv)+"\n"); err != nil {
			return "", err
		}
	}
	return sv, os.MkdirAll(sv, 0o755)
}

// runitStage3 writes a PID 1 script that does what runit's stage 3 does in a
// container: runsvdir runs the services; on SIGTERM every service gets
// `sv -w GRACE force-shutdown` (TERM, then KILL after GRACE, then runsv
// exits), runsvdir is told to exit (HUP), and the script exits.
func runitStage3(dir, svdir string, grace time.Duration) (string, error) {
	path := filepath.Join(dir, "runit-stage3")
	secs := strconv.FormatFloat(grace.Seconds(), 'f', -1, 64)
	body := fmt.Sprintf(`%s %s &
r=$!
trap '%s -w %s force-shutdown %s/*; kill -HUP $r; wait $r; exit 0' TERM
wait $r
`, runsvdir, shQuote(svdir), svBin, secs, shQuote(svdir))
	return path, writeScript(path, body)
}

// restartCfg is hermes-init's [restart] table.
type restartCfg struct {
	backoffMin, backoffMax, stableAfter time.Duration
}

// hermesConfig writes a services-mode configuration: no gateway slots, the
// given static services as hermes-init's own user, a control socket in dir.
func hermesConfig(dir string, list []svc, grace time.Duration, rc restartCfg) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "control_socket = %q\ngrace = %q\n\n[gateway]\nenabled = false\n\n", filepath.Join(dir, "ctl.sock"), grace.String())
	if rc.backoffMin > 0 {
		fmt.Fprintf(&b, "[restart]\nbackoff_min = %q\nbackoff_max = %q\nstable_after = %q\ncrash_loop_max = 0\n\n",
			rc.backoffMin.String(), rc.backoffMax.String(), rc.stableAfter.String())
	}
	b.WriteString("[logs]\nstdout = false\n\n")
	for _, s := range list {
		quoted := make([]string, len(s.argv))
		for i, a := range s.argv {
			quoted[i] = strconv.Quote(a)
		}
		fmt.Fprintf(&b, "[[service]]\nname = %q\ncommand = [%s]\nuser = \"\"\ngroup = \"\"\nworkdir = \"/\"\n\n", s.name, strings.Join(quoted, ", "))
	}
	path := filepath.Join(dir, "hermes-init.toml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// launch starts argv, as PID 1 of a new namespace when ns, and waits for it
// in the background. The proc is killed when ctx ends; the caller calls
// finish when done with it.
func (b *bench) launch(ctx context.Context, argv []string, ns bool) (*proc, error) {
	p, err := startProc(argv, ns, b.tmp)
	if err != nil {
		return nil, err
	}
	p.waitAsync()
	p.cancel = context.AfterFunc(ctx, p.abort)
	if ns {
		if _, err := p.findInit(10 * time.Second); err != nil {
			p.finish()
			return nil, err
		}
	}
	return p, nil
}

// finish kills what is left of the proc (with SIGTERM first and grace to
// exit, so that hermes-init removes its cgroups) and removes its files.
func (p *proc) finish() {
	p.cancel()
	select {
	case <-p.done:
	default:
		p.noteCgroups()
		p.stop(5 * time.Second)
	}
	p.close()
}

// runOnce runs argv to its end and returns how long it took, from just
// before the fork to just after wait returned.
func (b *bench) runOnce(ctx context.Context, argv []string, ns bool, timeout time.Duration) (time.Duration, error) {
	p, err := startProc(argv, ns, b.tmp)
	if err != nil {
		return 0, err
	}
	defer p.close()
	stop := context.AfterFunc(ctx, p.abort)
	defer stop()
	timer := time.AfterFunc(timeout, p.abort)
	defer timer.Stop()
	p.wait()
	if err := p.failure(); err != nil {
		return 0, err
	}
	return time.Duration(p.end - p.start), nil
}

// waitFor polls cond every millisecond until it holds, the proc ends or the
// timeout passes.
func waitFor(p *proc, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-p.done:
			return fmt.Errorf("ended before %s: %v", what, p.failure())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s after %v", what, timeout)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// countComm counts the processes below pid whose comm is name.
func countComm(pid int, name string) int {
	n := 0
	for _, d := range descendants(pid) {
		if comm(d) == name {
			n++
		}
	}
	return n
}

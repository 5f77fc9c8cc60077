package main

// The waits of a service (a stop's leftovers draining, ./finish running) are
// states of their own: hermes-init answers `ctl status` during them with the
// true state and no pid, and takes commands meanwhile. Both tests failed
// when the service's goroutine waited inside its actions: the status showed
// stopping with the dead pid during the drain, up with no pid during
// ./finish.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// waitHome runs hermes-init as PID 1 with grace, no gateway, the services
// of extra, and the control socket for ctl.
func waitHome(t *testing.T, grace, extra string) *svcHome {
	t.Helper()
	needRoot(t)
	h := newHome(t)
	conf := fmt.Sprintf(`grace = %q
control_socket = %q
[gateway]
enabled = false
%s`, grace, h.sock, extra)
	if err := os.WriteFile(h.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	h.p = start(t, nsOpts{pid1: true, cgroupNS: true}, "--config", h.conf, "-v")
	return h
}

// waitSlotStatus is what these tests read of a slot.
type waitSlotStatus struct {
	State string `json:"state"`
	Want  string `json:"want"`
	Pid   int    `json:"pid"`
}

// timedStatus is `ctl status --json` of the slot name, and how long it took
// to answer.
// A ctl starved for a second under load is refused by the server ("no
// complete request within 1s"): failures are retried for a while.
func (h *svcHome) timedStatus(name string) (waitSlotStatus, time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, took, err := h.tryStatus(name)
		if err == nil {
			return st, took
		}
		if time.Now().After(deadline) {
			h.t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tryStatus is timedStatus, with an error when ctl status fails.
func (h *svcHome) tryStatus(name string) (waitSlotStatus, time.Duration, error) {
	h.t.Helper()
	t0 := time.Now()
	out, code := h.ctl("status", "--json")
	took := time.Since(t0)
	if code != 0 {
		return waitSlotStatus{}, took, fmt.Errorf("ctl status: %d %s", code, out)
	}
	var st struct {
		Slots []struct {
			Name string `json:"name"`
			waitSlotStatus
		} `json:"slots"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return waitSlotStatus{}, took, fmt.Errorf("status json %q: %v", out, err)
	}
	for _, s := range st.Slots {
		if s.Name == name {
			return s.waitSlotStatus, took, nil
		}
	}
	return waitSlotStatus{}, took, fmt.Errorf("no slot %s in %s", name, out)
}

// waitState polls ctl status until the slot is in state, and returns it with
// the slowest answer seen (before the socket is up, failures are retried).
func (h *svcHome) waitState(name, state string, timeout time.Duration) (waitSlotStatus, time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	var last waitSlotStatus
	var lastErr error
	var slowest time.Duration
	for time.Now().Before(deadline) {
		s, took, err := h.tryStatus(name)
		if err == nil {
			last, slowest = s, max(slowest, took)
			if s.State == state {
				return s, slowest
			}
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("%s not %s within %s (last: %+v, %v)", name, state, timeout, last, lastErr)
	return last, slowest
}

// ctlAsync runs `hermes-init ctl` in the background; the channel gets its
// output and exit status.
type ctlResult struct {
	out  string
	code int
	took time.Duration
}

func (h *svcHome) ctlAsync(args ...string) <-chan ctlResult {
	c := make(chan ctlResult, 1)
	cmd := exec.Command(initBin, append([]string{"ctl", "--socket", h.sock}, args...)...)
	t0 := time.Now()
	go func() {
		out, err := cmd.CombinedOutput()
		r := ctlResult{out: string(out), took: time.Since(t0)}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			r.code, r.out = -1, err.Error()
		}
		c <- r
	}()
	return c
}

// serviceCgroupPids lists the processes of service name's cgroup, as the
// host sees them, under the test's cgroup.
func serviceCgroupPids(t *testing.T, p *proc, name string) []int {
	t.Helper()
	var pids []int
	_ = filepath.WalkDir(p.cg, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == name {
			pids = append(pids, cgroupPids(path)...)
		}
		return nil
	})
	return pids
}

// TestStatusWhileDraining: a service whose process exits at SIGTERM but
// leaves a setsid'd child that ignores it. During `ctl stop`, the child has
// the rest of the grace (60 s: ample under load); meanwhile ctl status answers at once with the
// state draining, no pid, want down. A ctl start during the drain is taken
// at once (want up, still draining; the pending stop returns, its process
// gone) and carried out after it: once the child goes, the service is up
// again, long before the grace ends.
func TestStatusWhileDraining(t *testing.T) {
	is := is.New(t)
	marker := filepath.Join(t.TempDir(), "left-once")
	h := waitHome(t, "60s", fmt.Sprintf(`
[[service]]
name = "lingerer"
command = ["/bin/sh", "-c", "[ -e %[1]s ] || { touch %[1]s; setsid sh -c 'trap \"\" TERM; echo leftover ready; exec sleep 1000' & }; exec sleep 1000"]
user = ""
group = ""
workdir = "/"
`, marker))
	p := h.p
	p.waitLine("[lingerer] leftover ready", 30*time.Second)
	up, _ := h.waitState("lingerer", "up", 30*time.Second)
	is.True(up.Pid > 0)

	t0 := time.Now()
	stop := h.ctlAsync("stop", "lingerer")
	st, slowest := h.waitState("lingerer", "draining", 20*time.Second)
	is.Equal(st.Pid, 0)       // the process is gone; only its leftover is
	is.Equal(st.Want, "down") // the stop is what is wanted
	for range 3 {
		s, took := h.timedStatus("lingerer")
		is.Equal(s.State, "draining") // still, while the leftover has its grace
		slowest = max(slowest, took)
	}
	t.Logf("ctl status while draining: slowest answer %s, %s after ctl stop", slowest, time.Since(t0).Round(time.Millisecond))
	is.True(slowest < 10*time.Second) // answered at once, not at the end of the grace
	select {
	case r := <-stop:
		t.Fatalf("ctl stop returned while the leftover still has its grace: %d %s", r.code, r.out)
	case <-time.After(300 * time.Millisecond):
	}

	start := h.ctlAsync("start", "lingerer")
	deadline := time.Now().Add(10 * time.Second)
	for st.Want != "up" {
		if time.Now().After(deadline) {
			t.Fatalf("ctl start during the drain not taken within 10s (last: %+v)", st)
		}
		time.Sleep(20 * time.Millisecond)
		st, _ = h.timedStatus("lingerer")
		is.Equal(st.State, "draining") // the start waits for the drain
	}
	select {
	case r := <-stop:
		is.Equal(r.code, 0) // the stop is over: its process is gone and a start took over
		is.True(strings.Contains(r.out, "draining"))
	case <-time.After(10 * time.Second):
		t.Fatal("ctl stop did not return within 10s of a start taking over")
	}
	select {
	case r := <-start:
		t.Fatalf("ctl start returned while the leftover still has its grace: %d %s", r.code, r.out)
	case <-time.After(300 * time.Millisecond):
	}

	pids := serviceCgroupPids(t, p, "lingerer")
	is.True(len(pids) > 0) // the leftover
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case r := <-start:
		is.Equal(r.code, 0) // ctl start
		is.True(strings.Contains(r.out, "up"))
		is.True(!strings.Contains(p.errors(), "leftover processes")) // the leftover's end ended the drain, not a SIGKILL at the grace's
	case <-time.After(20 * time.Second):
		t.Fatal("ctl start did not return within 20s of the leftover's end")
	}
	st, _ = h.timedStatus("lingerer")
	is.Equal(st.State, "up")
	is.True(st.Pid > 0 && st.Pid != up.Pid) // a new process
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(20*time.Second), 0)
}

// TestStatusWhileFinishing: an s6 service whose process exits by itself and
// whose ./finish runs long (it waits for a file here, bounded by a 120 s
// timeout-finish). While ./finish runs, ctl status answers at once with the
// state finishing and no pid; a ctl stop is taken and returns once ./finish
// is over and the service is down, without a restart.
func TestStatusWhileFinishing(t *testing.T) {
	is := is.New(t)
	base := t.TempDir()
	scan := filepath.Join(base, "scan")
	trigger, finishGo := filepath.Join(base, "exit-now"), filepath.Join(base, "finish-now")
	runs, finishArgs, finishDone := filepath.Join(base, "runs"), filepath.Join(base, "finish-args"), filepath.Join(base, "finish-done")
	writeService(t, filepath.Join(scan, "finisher"), svFiles{
		"run": fmt.Sprintf("#!/bin/sh\necho run >> %q\nwhile [ ! -e %q ]; do sleep 0.02; done\nexit 3\n", runs, trigger),
		"finish": fmt.Sprintf("#!/bin/sh\necho \"$@\" > %q\nwhile [ ! -e %q ]; do sleep 0.02; done\ntouch %q\nexit 0\n",
			finishArgs, finishGo, finishDone),
		"timeout-finish": "120000\n",
	})
	h := waitHome(t, "30s", fmt.Sprintf("[s6]\ncompat = true\nscandir = %q\nbasedir = %q\nenvdir = %q\n",
		scan, filepath.Join(base, "s6", "basedir"), filepath.Join(base, "s6", "env")))
	p := h.p
	h.waitState("finisher", "up", 30*time.Second)
	waitFile(t, runs, 30*time.Second)

	is.NoErr(os.WriteFile(trigger, nil, 0o644)) // the process exits 3
	waitFile(t, finishArgs, 20*time.Second)
	st, slowest := h.waitState("finisher", "finishing", 20*time.Second)
	is.Equal(st.Pid, 0)     // the process is gone while ./finish runs
	is.Equal(st.Want, "up") // an exit of its own: up again unless ./finish says otherwise
	t0 := time.Now()
	stop := h.ctlAsync("stop", "finisher")
	for range 5 {
		s, took := h.timedStatus("finisher")
		is.Equal(s.State, "finishing") // ./finish is not cut short
		is.Equal(s.Pid, 0)
		slowest = max(slowest, took)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st.Want != "down" { // the stop is taken during ./finish
		if time.Now().After(deadline) {
			t.Fatalf("ctl stop during ./finish not taken within 10s (last: %+v)", st)
		}
		time.Sleep(20 * time.Millisecond)
		st, _ = h.timedStatus("finisher")
		is.Equal(st.State, "finishing")
	}
	t.Logf("ctl status while finishing: slowest answer %s", slowest)
	is.True(slowest < 10*time.Second) // answered at once, not when ./finish ends
	select {
	case r := <-stop:
		t.Fatalf("ctl stop returned while ./finish runs: %d %s", r.code, r.out)
	case <-time.After(300 * time.Millisecond):
	}

	is.NoErr(os.WriteFile(finishGo, nil, 0o644)) // ./finish exits 0: it would restart
	select {
	case r := <-stop:
		is.Equal(r.code, 0) // ctl stop
		is.True(strings.Contains(r.out, "down"))
		t.Logf("ctl stop returned %s after it was sent, once ./finish ended", r.took.Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatalf("ctl stop did not return within 20s of ./finish's end (sent %s ago)", time.Since(t0))
	}
	waitFile(t, finishDone, 5*time.Second)
	b, err := os.ReadFile(finishArgs)
	is.NoErr(err)
	is.Equal(string(b), "3 0\n")        // ./finish had the exit code and no signal
	time.Sleep(1500 * time.Millisecond) // longer than the 1 s backoff of a restart
	st, _ = h.timedStatus("finisher")
	is.Equal(st.State, "down") // the stop won over ./finish's restart
	b, err = os.ReadFile(runs)
	is.NoErr(err)
	is.Equal(string(b), "run\n") // started once, never again
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(20*time.Second), 0)
}

// waitFile polls until file exists.
func waitFile(t *testing.T, file string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(file); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", file, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFinishTimeoutKillsFinish: ./finish that outlives timeout-finish is
// SIGKILLed by the finishing state's deadline, and its kill counts as a
// verdict to restart: the service runs again.
func TestFinishTimeoutKillsFinish(t *testing.T) {
	is := is.New(t)
	base := t.TempDir()
	scan := filepath.Join(base, "scan")
	runs := filepath.Join(base, "runs")
	writeService(t, filepath.Join(scan, "slowfinish"), svFiles{
		"run":            fmt.Sprintf("#!/bin/sh\necho run >> %q\nn=$(wc -l < %q)\n[ \"$n\" -ge 2 ] && exec sleep 1000\nexit 3\n", runs, runs),
		"finish":         "#!/bin/sh\nexec sleep 1000\n",
		"timeout-finish": "300\n",
	})
	h := waitHome(t, "30s", fmt.Sprintf("[s6]\ncompat = true\nscandir = %q\nbasedir = %q\nenvdir = %q\n",
		scan, filepath.Join(base, "s6", "basedir"), filepath.Join(base, "s6", "env")))
	p := h.p
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(runs)
		if strings.Count(string(b), "run") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not run again within 30s after ./finish's timeout (runs: %q)\n%s", b, p.errors())
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, _ := h.waitState("slowfinish", "up", 30*time.Second)
	is.True(st.Pid > 0)
	is.True(strings.Contains(p.errors(), "slowfinish: finish still running after 300ms: killing it"))
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(20*time.Second), 0)
}

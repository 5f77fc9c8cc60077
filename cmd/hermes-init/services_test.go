package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// svcHome is a Hermes home and a configuration for one services-mode test.
type svcHome struct {
	t     *testing.T
	dir   string // HERMES_HOME
	conf  string // configuration file
	sock  string // control socket
	extra string // more TOML appended to the configuration
	genv  map[string]string
	p     *proc // the hermes-init started last
}

func newHome(t *testing.T) *svcHome {
	t.Helper()
	base := t.TempDir()
	h := &svcHome{t: t, dir: filepath.Join(base, "data"), conf: filepath.Join(base, "hermes-init.toml"),
		sock: filepath.Join(base, "run", "control.sock"), genv: map[string]string{}}
	if err := os.MkdirAll(h.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return h
}

// writeConfig writes the configuration: the stub gateway as the gateway
// command, run as root in the test home, with short restart numbers.
func (h *svcHome) writeConfig() {
	var env []string
	for k, v := range h.genv {
		env = append(env, fmt.Sprintf("%s = %q", k, v))
	}
	conf := fmt.Sprintf(`grace = "3s"
control_socket = %q

[gateway]
home = %q
command = [%q, "gateway", "run", "--replace"]
user = ""
group = ""
workdir = %q
env = { %s }

[restart]
backoff_min = "100ms"
backoff_max = "400ms"
stable_after = "1s"
crash_loop_max = 3

[logs]
max_bytes = 4096
keep = 2
%s`, h.sock, h.dir, filepath.Join(binDir, "stub-gateway"), h.dir, strings.Join(env, ", "), h.extra)
	if err := os.WriteFile(h.conf, []byte(conf), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// start runs hermes-init in services mode as PID 1 of a container-like set of
// namespaces.
func (h *svcHome) start(args ...string) *proc {
	h.t.Helper()
	h.writeConfig()
	h.p = start(h.t, nsOpts{pid1: true, cgroupNS: true}, append([]string{"--config", h.conf, "-v"}, args...)...)
	return h.p
}

func (h *svcHome) writeState(dir string, v map[string]any) {
	b, _ := json.Marshal(v)
	if err := os.WriteFile(filepath.Join(dir, "gateway_state.json"), b, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *svcHome) state(dir string) map[string]any {
	b, err := os.ReadFile(filepath.Join(dir, "gateway_state.json"))
	if err != nil {
		h.t.Fatalf("read state: %v", err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		h.t.Fatalf("state %s: %v", b, err)
	}
	return v
}

func (h *svcHome) addProfile(name string) string {
	dir := filepath.Join(h.dir, "profiles", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SOUL.md"), []byte("soul\n"), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return dir
}

// ctl runs `hermes-init ctl` against the test's socket.
func (h *svcHome) ctl(args ...string) (string, int) {
	h.t.Helper()
	cmd := exec.Command(initBin, append([]string{"ctl", "--socket", h.sock}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		h.t.Fatalf("ctl: %v", err)
	}
	return string(out), 0
}

type slotStatus struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	Pid      int    `json:"pid"`
	Restarts int    `json:"restarts"`
	Reason   string `json:"reason"`
	LastExit *struct {
		Code   *int   `json:"code"`
		Signal string `json:"signal"`
	} `json:"last_exit"`
}

func (h *svcHome) status() map[string]slotStatus {
	h.t.Helper()
	out, code := h.ctl("status", "--json")
	if code != 0 {
		return nil
	}
	var st struct {
		Slots []slotStatus `json:"slots"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		h.t.Fatalf("status json %q: %v", out, err)
	}
	m := map[string]slotStatus{}
	for _, s := range st.Slots {
		m[s.Name] = s
	}
	return m
}

// waitSlot polls ctl status until the slot is in state, and returns it.
func (h *svcHome) waitSlot(name, state string, timeout time.Duration) slotStatus {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	var last slotStatus
	for time.Now().Before(deadline) {
		if s, ok := h.status()[name]; ok {
			last = s
			if s.State == state && (state != "up" || h.stubRuns(name, s.Pid)) {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("%s not %s within %s (last: %+v)", name, state, timeout, last)
	return last
}

// stubRuns reports whether the stub gateway of a slot has said it runs:
// "up" only means started, and a signal sent before the stub has set up its
// handlers would end it as the default action does, not as the gateway's
// stop does. Other services count as running once up.
func (h *svcHome) stubRuns(name string, pid int) bool {
	if !strings.HasPrefix(name, "gateway-") || h.p == nil {
		return true
	}
	return count(h.p, fmt.Sprintf("pid=%d state=running", pid)) > 0
}

// count returns how many stdout lines contain sub.
func count(p *proc, sub string) int {
	n := 0
	for _, l := range p.output() {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

func TestServicesAutostartFromPersistedState(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.writeState(h.dir, map[string]any{"gateway_state": "running", "kept": "yes"})
	work := h.addProfile("work")
	h.writeState(work, map[string]any{"gateway_state": "stopped"})
	p := h.start()
	p.waitLine("[gateway-default] stub-gateway: profile=default", 10*time.Second)
	h.waitSlot("gateway-default", "up", 10*time.Second)
	is.Equal(h.status()["gateway-work"].State, "down") // intent stopped: registered down
	deadline := time.Now().Add(5 * time.Second)
	for h.state(h.dir)["gateway_state"] != "running" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	is.Equal(h.state(h.dir)["kept"], "yes") // unknown keys survive the gateway's writes
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0) // an orderly container stop
}

func TestContainerStopKeepsAutostart(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	h.waitSlot("gateway-default", "up", 10*time.Second)
	p.waitLine("[gateway-default] stub-gateway: profile=default pid=", 5*time.Second)
	p.signal(syscall.SIGTERM) // docker stop
	is.Equal(p.wait(10*time.Second), 0)
	st := h.state(h.dir)
	is.Equal(st["gateway_state"], "running") // the gateway saw an unexpected SIGTERM: no marker
	is.Equal(st["desired_state"], nil)       // and hermes-init did not touch the intent
	_, err := os.Stat(filepath.Join(h.dir, ".gateway-planned-stop.json"))
	is.True(os.IsNotExist(err)) // no planned-stop marker was written

	p2 := h.start() // the recreated container, same volume
	h.waitSlot("gateway-default", "up", 10*time.Second)
	p2.signal(syscall.SIGTERM)
	is.Equal(p2.wait(10*time.Second), 0)
}

func TestCtlStopKeepsDownAcrossRestartAndStartBringsBack(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	h.waitSlot("gateway-default", "up", 10*time.Second)
	out, code := h.ctl("stop", "default")
	is.Equal(code, 0) // ctl stop
	is.True(strings.Contains(out, "down"))
	p.waitLine("[gateway-default] stub-gateway: profile=default", time.Second)
	is.Equal(count(p, "stop=planned"), 1) // the gateway recognised the marker
	st := h.state(h.dir)
	is.Equal(st["desired_state"], "stopped")
	is.Equal(st["gateway_state"], "stopped")
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)

	p2 := h.start()
	h.waitSlot("gateway-default", "down", 10*time.Second) // stays down across the restart
	time.Sleep(300 * time.Millisecond)
	is.Equal(count(p2, "state=starting"), 0) // never started
	_, code = h.ctl("start", "default")
	is.Equal(code, 0)
	h.waitSlot("gateway-default", "up", 5*time.Second)
	is.Equal(h.state(h.dir)["desired_state"], "running")
	p2.signal(syscall.SIGTERM)
	is.Equal(p2.wait(10*time.Second), 0)

	p3 := h.start()
	h.waitSlot("gateway-default", "up", 10*time.Second) // and back after the next restart
	p3.signal(syscall.SIGTERM)
	is.Equal(p3.wait(10*time.Second), 0)
}

func TestExit78FailsWithoutRestart(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.genv["STUB_EXIT_AT_START"] = "78"
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	s := h.waitSlot("gateway-default", "failed", 10*time.Second)
	is.Equal(*s.LastExit.Code, 78)
	time.Sleep(500 * time.Millisecond)      // longer than every backoff step
	is.Equal(count(p, "state=starting"), 1) // started once, never again
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func TestExit75RestartsAtOnce(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	first := h.waitSlot("gateway-default", "up", 10*time.Second)
	time.Sleep(1100 * time.Millisecond) // past stable_after: a 75 now is not a storm
	p.signal(syscall.SIGUSR1)           // forwarded to the default slot: in-band restart
	deadline := time.Now().Add(5 * time.Second)
	var s slotStatus
	for time.Now().Before(deadline) {
		s = h.status()["gateway-default"]
		if s.State == "up" && s.Pid != first.Pid {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	is.True(s.Pid != first.Pid) // a new gateway
	is.Equal(*s.LastExit.Code, 75)
	is.Equal(s.Restarts, 1)
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func TestCrashLoopBacksOffThenFails(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.genv["STUB_CRASH_AFTER"] = "20ms"
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	s := h.waitSlot("gateway-default", "failed", 15*time.Second)
	is.True(strings.Contains(s.Reason, "crash loop"))                      // says why
	is.Equal(count(p, "state=starting"), 3)                                // crash_loop_max starts
	is.True(strings.Contains(p.errors(), "not restarting (state failed)")) // and logs it
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func TestStrayToolsKilledAndDoNotDelayRestart(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.genv["STUB_TOOLS"] = "setsid-ignoreterm,doublefork,ignoreterm"
	h.genv["STUB_TOOL_COUNT"] = "30"
	h.genv["STUB_LEAVE_TOOLS"] = "1"
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	first := h.waitSlot("gateway-default", "up", 10*time.Second)
	waitCount(t, p, "stub-gateway: tool kind=", 90)
	before := len(cgroupPids(p.cg))
	is.True(before >= 91) // the gateway and its 90 tools
	t0 := time.Now()
	_, code := h.ctl("restart", "default")
	is.Equal(code, 0)
	took := time.Since(t0)
	s := h.status()["gateway-default"]
	is.Equal(s.State, "up")
	is.True(s.Pid != first.Pid)
	is.True(took < 3*time.Second) // the TERM-ignoring strays did not hold the restart for the grace (3s)
	waitCount(t, p, "stub-gateway: tool kind=", 180)
	after := cgroupPids(p.cg)
	is.True(len(after) < before+20) // the old tools are gone: only init, the new gateway and its tools
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func waitCount(t *testing.T, p *proc, sub string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for count(p, sub) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d lines with %q, want %d", count(p, sub), sub, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTwoSlotsStopAtOnce(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.genv["STUB_STOP_DELAY"] = "1s"
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	work := h.addProfile("work")
	h.writeState(work, map[string]any{"gateway_state": "running"})
	p := h.start()
	h.waitSlot("gateway-default", "up", 10*time.Second)
	h.waitSlot("gateway-work", "up", 10*time.Second)
	t0 := time.Now()
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
	took := time.Since(t0)
	is.True(took < 1900*time.Millisecond) // both drained at the same time, not one after the other
	is.Equal(h.state(h.dir)["gateway_state"], "running")
	is.Equal(h.state(work)["gateway_state"], "running")
	is.Equal(count(p, "[gateway-work] stub-gateway: profile=work"), count(p, "[gateway-work] ")) // prefixed per slot
}

func TestTERMIgnoringGatewayKilledAfterGrace(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.genv["STUB_IGNORE_TERM"] = "1"
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	h.waitSlot("gateway-default", "up", 10*time.Second) // and the stub ignores SIGTERM
	t0 := time.Now()
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 137) // a service had to be killed
	is.True(time.Since(t0) >= 3*time.Second)
	is.True(strings.Contains(p.errors(), "still running 3s after SIGTERM"))
}

func TestLogPrefixAndRotation(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.genv["STUB_FLOOD"] = "300"
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	p.waitLine("[gateway-default] stub-gateway: profile=default pid=", 10*time.Second)
	waitCount(t, p, "flood done", 1)
	for _, l := range p.output() {
		if strings.Contains(l, "stub-gateway:") {
			is.True(strings.HasPrefix(l, "[gateway-default] stub-gateway: ")) // whole, prefixed lines
		}
	}
	dir := filepath.Join(h.dir, "logs", "gateways", "default")
	// The log writer may still be behind the stub, mid-rotation (current
	// renamed, its successor not yet made): wait for both.
	deadline := time.Now().Add(10 * time.Second)
	var archives []string
	var fi os.FileInfo
	var err error
	for time.Now().Before(deadline) {
		archives, _ = filepath.Glob(filepath.Join(dir, "@*.s"))
		fi, err = os.Stat(filepath.Join(dir, "current"))
		if len(archives) == 2 && err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	is.Equal(len(archives), 2) // rotated at max_bytes, keeping 2 archives
	is.NoErr(err)
	is.True(fi.Size() <= 4096)
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func TestFloodingSlotDoesNotStallOthers(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.extra = `
[[service]]
name = "flood"
command = [` + strconv.Quote(filepath.Join(binDir, "stub-gateway")) + `, "gateway", "run"]
user = ""
group = ""
workdir = "/"
env = { STUB_FLOOD = "forever", HERMES_HOME = ` + strconv.Quote(filepath.Join(os.TempDir(), "hermes-flood-"+strconv.Itoa(os.Getpid()))) + ` }
`
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start()
	h.waitSlot("flood", "up", 10*time.Second)
	h.waitSlot("gateway-default", "up", 10*time.Second)
	waitCount(t, p, "[gateway-default] stub-gateway: profile=default", 2)
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		out, code := h.ctl("status")
		cancel()
		_ = ctx
		is.Equal(code, 0) // the control socket answers while a slot floods
		is.True(strings.Contains(out, "flood"))
	}
	_, code := h.ctl("restart", "default")
	is.Equal(code, 0) // and the other slot restarts normally
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(15*time.Second), 0)
	_ = os.RemoveAll(filepath.Join(os.TempDir(), "hermes-flood-"+strconv.Itoa(os.Getpid())))
}

func TestCtlRefusesOtherUsers(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	p := h.start()
	h.waitSlot("gateway-default", "down", 10*time.Second)
	for d := filepath.Dir(h.sock); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil { // t.TempDir is 0700
			t.Fatal(err)
		}
	}
	run := func(uid uint32, groups []uint32) (string, int) {
		cmd := exec.Command(initBin, "ctl", "--socket", h.sock, "status")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: groups}}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("run ctl as uid %d: %v", uid, err)
		}
		return string(out), 0
	}
	// In the gateway group (socket 0660): it may connect, SO_PEERCRED refuses it.
	fi, _ := os.Stat(h.sock)
	gid := fi.Sys().(*syscall.Stat_t).Gid
	if err := os.Chmod(h.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	out, code := run(12345, []uint32{gid})
	t.Logf("ctl as uid 12345: %d %q", code, out)
	is.Equal(code, 1) // refused
	is.True(strings.Contains(out, "may not control"))
	_, code = h.ctl("status")
	is.Equal(code, 0) // and the init goes on serving root
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func TestMalformedControlInput(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	p := h.start()
	h.waitSlot("gateway-default", "down", 10*time.Second)
	for _, req := range []string{"not json\n", "{\"op\":\"explode\"}\n", "{\"op\":\"start\"}\n", strings.Repeat("x", 1<<20), "\n"} {
		c, err := net.DialTimeout("unix", h.sock, time.Second)
		is.NoErr(err)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte(req))
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		c.Close()
		is.True(strings.Contains(string(buf[:n]), `"ok":false`)) // an error reply
	}
	_, code := h.ctl("status")
	is.Equal(code, 0) // the init is undisturbed
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func TestSIGHUPRescansProfiles(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	old := h.addProfile("old")
	p := h.start()
	h.waitSlot("gateway-old", "down", 10*time.Second)
	fresh := h.addProfile("fresh")
	h.writeState(fresh, map[string]any{"gateway_state": "running"})
	h.addProfile("quiet")
	is.NoErr(os.RemoveAll(old))
	p.signal(syscall.SIGHUP)
	h.waitSlot("gateway-fresh", "up", 10*time.Second)   // intent running: started
	h.waitSlot("gateway-quiet", "down", 10*time.Second) // no intent: registered down
	deadline := time.Now().Add(5 * time.Second)
	for h.status()["gateway-old"].Name != "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_, gone := h.status()["gateway-old"]
	is.True(!gone) // the removed profile's slot was dropped
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
}

func TestMainCommandBesideSlots(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	p := h.start("--", "/bin/sh", "-c", "sleep 1; exit 9")
	h.waitSlot("gateway-default", "up", 10*time.Second)
	is.Equal(p.wait(10*time.Second), 9)                  // the main command's exit ends the container with its status
	is.Equal(h.state(h.dir)["gateway_state"], "running") // the slot was stopped like a container stop
}

// TestStopGivesLeftoversSIGTERM: at a container stop, what a service leaves
// behind (here a setsid'd shell, outside its process group) gets SIGTERM and
// the rest of the grace, not an immediate SIGKILL, so it can save its work.
func TestStopGivesLeftoversSIGTERM(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.extra = `
[[service]]
name = "tooly"
command = ["/bin/sh", "-c", "setsid sh -c 'trap \"echo leftover got TERM; exit 0\" TERM; echo leftover ready; while :; do sleep 0.05; done' & exec sleep 1000"]
user = ""
group = ""
workdir = "/"
`
	p := h.start()
	p.waitLine("[tooly] leftover ready", 10*time.Second)
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(10*time.Second), 0)
	is.Equal(count(p, "[tooly] leftover got TERM"), 1) // it had its SIGTERM before any SIGKILL
}

// TestPlanReadsConfiguration: `hermes-init plan` decides as the boot will,
// with the configuration's gateway.home and multiplex key.
func TestPlanReadsConfiguration(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	work := h.addProfile("work")
	h.writeState(work, map[string]any{"gateway_state": "running"})
	conf := filepath.Join(t.TempDir(), "c.toml")
	is.NoErr(os.WriteFile(conf, []byte(fmt.Sprintf("[gateway]\nhome = %q\nmultiplex = true\n", h.dir)), 0o644))
	cmd := exec.Command(initBin, "plan", "--json")
	cmd.Env = append(os.Environ(), "HERMES_INIT_CONFIG="+conf)
	out, err := cmd.Output()
	is.NoErr(err)
	var plan struct {
		Home  string `json:"home"`
		Slots []struct {
			Profile   string `json:"profile"`
			Autostart bool   `json:"autostart"`
		} `json:"slots"`
	}
	is.NoErr(json.Unmarshal(out, &plan))
	is.Equal(plan.Home, h.dir) // gateway.home
	is.Equal(len(plan.Slots), 2)
	is.True(plan.Slots[0].Autostart)  // the root slot is not affected by multiplex
	is.True(!plan.Slots[1].Autostart) // multiplex: named slots registered, not started
}

// TestHostileNamesCannotForgeLogLines: a profile directory whose name holds
// a newline, an ESC sequence and a bidi override (anyone with the gateway's
// uid can make one) is named in the boot's warning, escaped: every line on
// stderr is hermes-init's own, none starts with what the name wanted.
func TestHostileNamesCannotForgeLogLines(t *testing.T) {
	is := is.New(t)
	h := newHome(t)
	h.writeState(h.dir, map[string]any{"gateway_state": "running"})
	for _, name := range []string{
		"x\nprofile=default prior_state=running action=started",
		"y\x1b[2J\x1b[1;31mred",
		"z\u202egnp",
	} {
		dir := filepath.Join(h.dir, "profiles", name)
		is.NoErr(os.MkdirAll(dir, 0o755))
		is.NoErr(os.WriteFile(filepath.Join(dir, "SOUL.md"), []byte("x"), 0o644))
	}
	p := h.start()
	h.waitSlot("gateway-default", "up", 10*time.Second)
	p.signal(syscall.SIGTERM)
	p.wait(10 * time.Second)
	errs := p.errors()
	is.True(strings.Contains(errs, `x\nprofile=default prior_state=running action=started`)) // named, escaped
	is.True(strings.Contains(errs, `y\x1b[2J\x1b[1;31mred`))
	is.True(strings.Contains(errs, `z\u202egnp`))
	for _, l := range strings.Split(strings.TrimSuffix(errs, "\n"), "\n") {
		is.True(strings.HasPrefix(l, "hermes-init: ")) // every line is hermes-init's own
		is.True(!strings.ContainsAny(l, "\x1b\u202e"))
	}
}

package e2e

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/gateway"
)

const defaultSlot = "gateway-default"

// coreCheck is one check of TestCore, run on a deployment of its own.
type coreCheck struct {
	name string
	env  []string // extra environment for the service
	bare bool     // also run in the bare mode
	run  func(t *testing.T, d *deployment)
}

var coreChecks = []coreCheck{
	{name: "up", bare: true, run: checkUp},
	{name: "recreate", bare: true, run: checkRecreate},
	{name: "stop-start", run: checkStopStart},
	{name: "docker-stop-tools", bare: true, run: checkDockerStopTools,
		env: []string{"STUB_TOOLS=setsid-ignoreterm", "STUB_TOOL_COUNT=3", "STUB_LEAVE_TOOLS=1"}},
	{name: "docker-stop-kill", run: checkDockerStopKill,
		env: []string{"STUB_IGNORE_TERM=1", "STUB_TOOLS=setsid-ignoreterm", "STUB_TOOL_COUNT=3", "STUB_LEAVE_TOOLS=1"}},
	{name: "orphan-storm", bare: true, run: checkOrphanStorm},
	{name: "restart-tools", bare: true, run: checkRestartTools,
		env: []string{"STUB_TOOLS=setsid", "STUB_LEAVE_TOOLS=1"}},
	{name: "profile", run: checkProfile},
}

// TestCore runs every core check with the writable cgroup, with Docker's
// read-only cgroup mount, and the main ones with a bare docker run.
func TestCore(t *testing.T) {
	for _, m := range []mode{readonly, writableMode(), bare} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range coreChecks {
				if m.name == bare.name && !c.bare {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, newDeployment(t, m, c.env...))
				})
			}
		})
	}
}

// checkUp: compose up starts the default slot; gateway_state.json says
// running, ctl status agrees (same pid), and the container is healthy.
func checkUp(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	st, slot := d.waitSlot(defaultSlot, "up")
	wantCgroups(t, d.mode, st.CgroupMode)
	is.Equal(slot.Want, "up")
	state := d.jsonFile(gateway.StateFile)
	is.Equal(state["gateway_state"], "running") // the gateway's own record
	is.Equal(jsonInt(state["pid"]), slot.Pid)   // ctl status names the gateway that wrote it
	text := d.exec("hermes-init", "ctl", "status")
	is.NoErr(text.err)
	is.True(strings.Contains(text.stdout, "cgroup mode: "+st.CgroupMode)) // the table says the same
	row := fieldsOf(text.stdout, defaultSlot)
	is.True(len(row) > 2)
	is.Equal(row[1], "up")
	is.Equal(row[2], itoa(slot.Pid))
	is.Equal(d.exec("hermes-init", "ctl", "health").code, 0) // ctl health: healthy
	checkSettings(t, d)
	checkUsers(t, d)
	poll(t, 60*time.Second, "Docker's HEALTHCHECK to say healthy", func() (bool, string) {
		c := d.inspect()
		if c.State.Health == nil {
			return false, "no health state"
		}
		return c.State.Health.Status == "healthy", c.State.Health.Status
	})
}

// checkSettings: the service's settings reached the engine as compose.yaml
// says (and the docker run mirror of the writable mode has the same ones).
func checkSettings(t *testing.T, d *deployment) {
	is := is.New(t)
	c := d.inspect()
	is.True(c.volume() != "") // a named volume on /opt/data
	is.Equal(c.Config.Healthcheck != nil && len(c.Config.Healthcheck.Test) > 0, true)
	is.Equal(strings.Join(c.Config.Healthcheck.Test, " "), "CMD hermes-init ctl health") // the image's HEALTHCHECK
	v, _ := c.env("HERMES_GATEWAY_BOOTSTRAP_STATE")
	is.Equal(v, "running")
	if d.mode.name == bare.name {
		return
	}
	is.True(c.HostConfig.ReadonlyRootfs) // read_only: true
	_, run := c.HostConfig.Tmpfs["/run"]
	_, tmp := c.HostConfig.Tmpfs["/tmp"]
	is.True(run && tmp) // tmpfs on /run and /tmp
	is.True(c.Config.StopTimeout != nil && *c.Config.StopTimeout == int(stopGracePeriod.Seconds()))
	is.Equal(c.HostConfig.RestartPolicy.Name, "unless-stopped")
	var caps []string
	for _, cp := range c.HostConfig.CapAdd {
		caps = append(caps, strings.TrimPrefix(cp, "CAP_"))
	}
	sort.Strings(caps)
	is.Equal(caps, []string{"SYS_ADMIN"}) // cap_add
	mount, _ := c.env("HERMES_INIT_CGROUP_MOUNT")
	if d.mode.name == readonly.name {
		is.Equal(mount, "0") // compose.readonly-cgroup.yaml
	} else {
		is.Equal(mount, "1")
	}
	if d.mode.name == "writable" && !d.mode.compose {
		is.Equal(c.HostConfig.CgroupnsMode, "private")
	}
}

// checkRecreate: up -d --force-recreate makes a new container on the same
// volume; the old one got SIGTERM only and ended by itself with status 0;
// its gateway saw an unexpected SIGTERM (no planned-stop marker) and left
// gateway_state.json "running", so the new container starts it again.
func checkRecreate(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	d.waitSlot(defaultSlot, "up")
	old, volume := d.id, d.volume
	w := watchEvents(t, old)
	took := d.recreate()
	is.True(d.id != old)       // a new container
	is.Equal(d.volume, volume) // on the same volume
	rep, err := summarize(w.untilDie(t))
	is.NoErr(err)
	is.Equal(rep.signals, []string{"15"}) // Docker sent SIGTERM only, never SIGKILL
	is.Equal(rep.exitCode, "0")           // hermes-init's status after an orderly stop
	is.True(rep.took < grace)             // the old container ended by itself, well within the grace
	_, slot := d.waitSlot(defaultSlot, "up")
	state := d.jsonFile(gateway.StateFile)
	is.Equal(state["gateway_state"], "running")
	is.Equal(jsonInt(state["pid"]), slot.Pid)

	lines := logLines(d.mustRead(gateway.SlotLogsDir + "/default/current"))
	last := lastIndex(lines, " start home=")
	is.True(last > 0)
	oldLife := strings.Join(lines[:last], "\n")
	is.True(strings.Contains(oldLife, "signal=SIGTERM stop=unexpected"))         // no marker: an unexpected stop
	is.True(strings.Contains(oldLife, `exit code=1 reason="unexpected signal"`)) // which persists running
	is.True(strings.Contains(lines[last], "prior_exit=clean"))                   // and ended its life cleanly
	boot := logLines(d.mustRead(gateway.LogsDir + "/" + gateway.BootLogFile))
	is.True(strings.HasSuffix(boot[len(boot)-1], "profile=default prior_state=running action=started prior_exit=clean"))
	_, marker := d.readFile(gateway.PlannedStopMarkerFile)
	is.True(!marker) // nobody wrote a planned-stop marker
	t.Logf("recreate cycle (%s): %s; the old container's stop, SIGTERM to exit: %s",
		d.mode.name, took.Round(time.Millisecond), rep.took.Round(time.Millisecond))
}

// checkStopStart: ctl stop (through compose exec) keeps the slot down
// across a recreate; ctl start brings it back, also across a recreate.
func checkStopStart(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	d.waitSlot(defaultSlot, "up")
	r := d.composeExec("hermes-init", "ctl", "stop", "default")
	is.NoErr(r.err)
	is.Equal(strings.TrimSpace(r.stdout), defaultSlot+": down")
	state := d.jsonFile(gateway.StateFile)
	is.Equal(state["desired_state"], "stopped") // the operator's intent
	is.Equal(state["gateway_state"], "stopped") // the gateway took it as a planned stop
	_, marker := d.readFile(gateway.PlannedStopMarkerFile)
	is.True(!marker) // the gateway consumed the marker

	d.recreate()
	_, slot := d.waitSlot(defaultSlot, "down")
	is.Equal(slot.Want, "down") // registered, not started
	boot := logLines(d.mustRead(gateway.LogsDir + "/" + gateway.BootLogFile))
	is.True(strings.Contains(boot[len(boot)-1], "profile=default prior_state=stopped action=registered"))
	is.Equal(d.exec("hermes-init", "ctl", "health").code, 0) // down by intent is healthy

	r = d.composeExec("hermes-init", "ctl", "start", "default")
	is.NoErr(r.err)
	is.True(strings.HasPrefix(r.stdout, defaultSlot+": up")) // "gateway-default: up (pid N)"
	state = d.jsonFile(gateway.StateFile)
	is.Equal(state["desired_state"], "running")
	d.recreate()
	d.waitSlot(defaultSlot, "up")
	boot = logLines(d.mustRead(gateway.LogsDir + "/" + gateway.BootLogFile))
	is.True(strings.Contains(boot[len(boot)-1], "profile=default prior_state=running action=started"))
}

// checkDockerStopTools: docker stop while the gateway has TERM-ignoring
// setsid tools that it leaves behind: hermes-init kills them as soon as the
// gateway is gone, and the container exits 0 long before the grace.
func checkDockerStopTools(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	d.waitSlot(defaultSlot, "up")
	d.waitTools("__tool setsid-ignoreterm", 3)
	took, rep := d.dockerStop()
	is.Equal(rep.signals, []string{"15"}) // no SIGKILL from Docker
	is.Equal(rep.exitCode, "0")           // an orderly stop: the gateway exited by itself
	c := d.inspect()
	is.Equal(c.State.ExitCode, 0)
	is.True(took < grace+stopMargin) // within the grace plus a margin
	log := d.mustRead(gateway.SlotLogsDir + "/default/current")
	is.True(strings.Contains(log, "tools left=3")) // the gateway did leave them to hermes-init
	t.Logf("docker stop (%s) with 3 TERM-ignoring setsid tools: %s, status %d", d.mode.name, took.Round(time.Millisecond), c.State.ExitCode)
}

// checkDockerStopKill: docker stop while the gateway itself ignores
// SIGTERM: hermes-init kills everything after its grace and exits 137,
// before Docker's own deadline.
func checkDockerStopKill(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	d.waitSlot(defaultSlot, "up")
	d.waitTools("__tool setsid-ignoreterm", 3)
	took, rep := d.dockerStop()
	is.Equal(rep.signals, []string{"15"}) // no SIGKILL from Docker
	is.Equal(rep.exitCode, "137")         // hermes-init had to SIGKILL after the grace
	is.True(took >= grace-time.Second)    // it waited the grace
	is.True(took < grace+stopMargin)      // and not much more
	logs := docker("logs", d.id)
	is.True(strings.Contains(logs.stderr, "still running 8s after SIGTERM"))
	t.Logf("docker stop (%s) of a TERM-ignoring gateway: %s, status %s", d.mode.name, took.Round(time.Millisecond), rep.exitCode)
}

// checkOrphanStorm: 300 orphans that die at once inside the container are
// all reaped: no zombie is left, and the gateway is undisturbed.
func checkOrphanStorm(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	_, before := d.waitSlot(defaultSlot, "up")
	r := d.exec("hermes", "__storm", "300")
	is.NoErr(r.err)
	is.True(strings.Contains(r.stdout, "orphans=300"))
	most := 0
	poll(t, 30*time.Second, "no storm process and no zombie left", func() (bool, string) {
		ps, err := d.top()
		if err != nil {
			return false, err.Error()
		}
		storm, zombies := 0, 0
		for _, p := range ps {
			if strings.Contains(p.args, "__storm") {
				storm++
			}
			if strings.HasPrefix(p.stat, "Z") {
				zombies++
			}
		}
		most = max(most, zombies)
		return storm == 0 && zombies == 0, itoa(storm) + " storm processes, " + itoa(zombies) + " zombies"
	})
	ps, err := d.top()
	is.NoErr(err)
	for _, p := range ps {
		is.True(!strings.HasPrefix(p.stat, "Z")) // still no zombie
	}
	_, after := d.waitSlot(defaultSlot, "up")
	is.Equal(after.Pid, before.Pid) // the same gateway
	t.Logf("orphan storm (%s): at most %d zombies seen at once, none left", d.mode.name, most)
}

// checkRestartTools: a gateway restart (ctl restart) kills the setsid tool
// the old gateway left behind before the new one starts (#37454), so that
// only the new gateway's tool runs afterwards.
func checkRestartTools(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	_, before := d.waitSlot(defaultSlot, "up")
	d.waitTools("__tool setsid", 1)
	r := d.exec("hermes-init", "ctl", "restart", "default")
	is.NoErr(r.err)
	_, after := d.waitSlot(defaultSlot, "up")
	is.True(after.Pid != before.Pid) // a new gateway
	poll(t, upLimit, "the new gateway's tool", func() (bool, string) {
		log, _ := d.readFile(gateway.SlotLogsDir + "/default/current")
		return strings.Count(string(log), "tool kind=setsid ") == 2, string(log)
	})
	ps, err := d.top()
	is.NoErr(err)
	tools := 0
	for _, p := range ps {
		if strings.Contains(p.args, "__tool setsid") {
			tools++
		}
	}
	is.Equal(tools, 1) // only the new gateway's tool runs: the old one was killed
}

// checkProfile: a profile directory created on the volume becomes a slot
// after a restart: started when its state says running, registered down
// otherwise.
func checkProfile(t *testing.T, d *deployment) {
	is := is.New(t)
	d.up()
	d.waitSlot(defaultSlot, "up")
	d.writeFiles(map[string]string{
		"profiles/work/" + gateway.SoulFile: "# work\n",
		"profiles/ops/" + gateway.SoulFile:  "# ops\n",
		"profiles/ops/" + gateway.StateFile: `{"gateway_state": "running"}`,
	})
	st, _, _ := d.status()
	_, early := st.slot("gateway-work")
	is.True(!early) // no slot before the restart
	d.restart()
	st, ops := d.waitSlot("gateway-ops", "up")
	work, ok := st.slot("gateway-work")
	is.True(ok) // the new profile is a slot
	is.Equal(work.State, "down")
	is.Equal(work.Want, "down") // without a running state it is only registered
	d.waitSlot(defaultSlot, "up")
	state := d.jsonFile("profiles/ops/" + gateway.StateFile)
	is.Equal(state["gateway_state"], "running") // the ops gateway runs in its own home
	is.Equal(jsonInt(state["pid"]), ops.Pid)
	boot := d.mustRead(gateway.LogsDir + "/" + gateway.BootLogFile)
	is.True(strings.Contains(boot, "profile=ops prior_state=running action=started"))
	is.True(strings.Contains(boot, "profile=work prior_state=None action=registered"))
}

// waitTools waits until n processes whose command line contains args run
// in the container.
func (d *deployment) waitTools(args string, n int) {
	d.t.Helper()
	poll(d.t, upLimit, itoa(n)+" "+args, func() (bool, string) {
		ps, err := d.top()
		if err != nil {
			return false, err.Error()
		}
		count := 0
		for _, p := range ps {
			if strings.Contains(p.args, args) {
				count++
			}
		}
		return count == n, itoa(count)
	})
}

// dockerStop runs docker stop (the container's own stop timeout) and returns
// how long it took and what the events say.
func (d *deployment) dockerStop() (time.Duration, stopReport) {
	d.t.Helper()
	w := watchEvents(d.t, d.id)
	r := docker("stop", d.id)
	if r.err != nil {
		d.t.Fatalf("docker stop: %v: %s", r.err, r.stderr)
	}
	rep, err := summarize(w.untilDie(d.t))
	if err != nil {
		d.t.Fatal(err)
	}
	return r.took, rep
}

func wantCgroups(t *testing.T, m mode, got string) {
	t.Helper()
	if m.cgroups != "" && got != m.cgroups || m.cgroups == "" && (got == "none" || got == "") {
		want := m.cgroups
		if want == "" {
			want = "a writable one"
		}
		t.Fatalf("cgroup mode %q, want %s", got, want)
	}
}

package e2e

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestOOM: with a writable cgroup, a slot whose gateway allocates past its
// memory.max is killed by the OOM killer and restarted, ctl status says it
// was the OOM killer, and the container lives on.
func TestOOM(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	d := newDeployment(t, writableMode(), "HERMES_INIT_GATEWAY_MEMORY_MAX=64M", "STUB_ALLOCATE=256M")
	d.up()
	var slot slotStatus
	poll(t, upLimit, "an OOM kill and a restart of "+defaultSlot, func() (bool, string) {
		st, ok, saw := d.status()
		if !ok {
			return false, saw
		}
		wantCgroups(t, d.mode, st.CgroupMode)
		slot, _ = st.slot(defaultSlot)
		return slot.Restarts >= 1 && slot.LastExit != nil && slot.LastExit.OOM, saw
	})
	is.Equal(slot.LastExit.Signal, "KILL") // the OOM killer's SIGKILL
	text := d.exec("hermes-init", "ctl", "status")
	is.NoErr(text.err)
	row := fieldsOf(text.stdout, defaultSlot)
	is.True(strings.Contains(strings.Join(row, " "), "(OOM)")) // the table says OOM too
	logs := docker("logs", d.id)
	is.True(strings.Contains(logs.stderr, "was killed by the OOM killer"))
	c := d.inspect()
	is.True(c.State.Running)    // the container is still up
	is.Equal(c.RestartCount, 0) // and was never restarted
	is.True(!c.State.OOMKilled) // the kill stayed inside the slot's cgroup
	t.Logf("OOM (%s): %s OOM-killed and restarted %d times, last exit signal %s oom %v", d.mode.name, defaultSlot, slot.Restarts, slot.LastExit.Signal, slot.LastExit.OOM)
}

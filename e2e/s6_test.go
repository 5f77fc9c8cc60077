package e2e

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestS6Surface: the image answers the Hermes CLI as s6-overlay did
// ([s6] compat in image.toml): PID 1's comm is s6-svscan, and the gateway
// user drives the default slot with /command/s6-svc and s6-svstat on
// /run/service/gateway-default.
func TestS6Surface(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	d := newDeployment(t, bare)
	d.up()
	d.waitSlot(defaultSlot, "up")
	r := docker("top", d.id, "-eo", "pid,comm,args")
	is.NoErr(r.err)
	comm := ""
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[2] == "hermes-init" && f[3] == "--" {
			comm = f[1]
		}
	}
	is.Equal(comm, "s6-svscan") // PID 1's comm, what Hermes reads in /proc/1/comm

	const dir = "/run/service/" + defaultSlot
	svstat := func() string {
		r := docker("exec", "-u", "10000", d.id, "/command/s6-svstat", dir)
		is.NoErr(r.err)
		return r.stdout
	}
	is.True(strings.HasPrefix(svstat(), "up (pid ")) // as s6-svstat says it
	r = docker("exec", "-u", "10000", d.id, "/command/s6-svc", "-d", dir)
	is.NoErr(r.err) // the gateway user may stop the slot
	d.waitSlot(defaultSlot, "down")
	is.True(strings.HasPrefix(svstat(), "down "))
	r = docker("exec", "-u", "10000", d.id, "/command/s6-svc", "-u", dir)
	is.NoErr(r.err) // and start it again
	d.waitSlot(defaultSlot, "up")
}

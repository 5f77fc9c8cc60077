package e2e

import (
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/gateway"
)

// TestUpstreamGatewayRun: the Hermes repository's compose command,
// `gateway run`, on a fresh volume without the bootstrap variable: hermes-init
// takes it as the legacy form, migrates the volume to "running" and runs the
// gateway in the default slot, not as a second, competing gateway.
func TestUpstreamGatewayRun(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	d := newDeployment(t, bare)
	d.run = dropEnv(d.run, "HERMES_GATEWAY_BOOTSTRAP_STATE")
	d.command = []string{"gateway", "run"}
	d.up()
	_, slot := d.waitSlot(defaultSlot, "up")
	state := d.jsonFile(gateway.StateFile)
	is.Equal(state["gateway_state"], "running")
	is.Equal(jsonInt(state["pid"]), slot.Pid)
	ps, err := d.top()
	is.NoErr(err)
	gateways := 0
	for _, p := range ps {
		if strings.HasPrefix(p.args, "hermes gateway run") { // not PID 1, "hermes-init -- gateway run"
			gateways++
		}
	}
	is.Equal(gateways, 1) // only the slot's gateway runs
}

// TestUpstreamDashboard: a dashboard container (`hermes dashboard`, as
// upstream's compose runs it beside the gateway) reconciles no gateways (it
// only gets the first-boot seed, as from upstream's stage2); the dashboard
// is the main command and its status ends the container.
func TestUpstreamDashboard(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	d := newDeployment(t, bare, "HERMES_DASHBOARD=1")
	d.command = []string{"hermes", "dashboard"}
	d.up()
	poll(t, upLimit, "the dashboard", func() (bool, string) {
		r := docker("logs", d.id)
		return strings.Contains(r.stdout, "dashboard pid="), r.stdout + r.stderr
	})
	st, ok, saw := d.status()
	is.True(ok)                // hermes-init answers
	is.Equal(len(st.Slots), 0) // and supervises no gateway
	_ = saw
	// Only the first-boot seed, which upstream's stage2 writes whatever the
	// command; no reconciliation: no boot log line, no slot.
	state, seeded := d.readFile(gateway.StateFile)
	is.True(seeded)
	is.Equal(strings.TrimSpace(string(state)), `{"gateway_state":"running"}`)
	_, logged := d.readFile("logs/container-boot.log")
	is.True(!logged) // the dashboard container reconciled nothing
	_, rep := d.dockerStop()
	is.Equal(rep.exitCode, "0") // the dashboard's own status
}

// dropEnv removes "-e NAME=..." from docker run arguments.
func dropEnv(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "-e" && i+1 < len(args) && strings.HasPrefix(args[i+1], name+"=") {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

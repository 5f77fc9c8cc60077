package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestImage: the image's configuration is what the Dockerfile promises.
func TestImage(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var imgs []struct {
		Config struct {
			Entrypoint  []string
			Cmd         []string
			Env         []string
			User        string
			StopSignal  string
			Volumes     map[string]struct{}
			Healthcheck struct {
				Test []string
			}
		}
	}
	is.NoErr(json.Unmarshal([]byte(must(t, "docker", "image", "inspect", image)), &imgs))
	is.Equal(len(imgs), 1)
	c := imgs[0].Config
	is.Equal(c.Entrypoint, []string{"hermes-init", "--"}) // hermes-init is PID 1; the command is its main command
	is.Equal(len(c.Cmd), 0)                               // none: services-only mode
	is.Equal(c.User, "")                                  // root: hermes-init drops to 10000 for the gateways
	is.Equal(c.StopSignal, "SIGTERM")
	_, vol := c.Volumes["/opt/data"]
	is.True(vol) // VOLUME /opt/data
	is.Equal(c.Healthcheck.Test, []string{"CMD", "hermes-init", "ctl", "health"})
	env := strings.Join(c.Env, "\n")
	is.True(strings.Contains(env, "HERMES_HOME=/opt/data"))
	is.True(strings.Contains(env, "HERMES_INIT_CONFIG=/etc/hermes-init/image.toml"))
}

// checkUsers: hermes-init runs as root, the gateway as hermes (10000:10000).
func checkUsers(t *testing.T, d *deployment) {
	is := is.New(t)
	r := docker("top", d.id, "-eo", "pid,uid,gid,args") // docker top needs the pid column
	is.NoErr(r.err)
	seen := 0
	for _, line := range strings.Split(r.stdout, "\n")[1:] {
		f := strings.Fields(line)
		switch {
		case len(f) < 4:
		case strings.Join(f[3:], " ") == "hermes-init --": // PID 1, not a ctl health of the HEALTHCHECK
			is.Equal(f[1]+":"+f[2], "0:0") // PID 1 is root
			seen++
		case strings.HasPrefix(strings.Join(f[3:], " "), "hermes gateway run"):
			is.Equal(f[1]+":"+f[2], "10000:10000") // the gateway is hermes
			seen++
		}
	}
	is.Equal(seen, 2) // hermes-init and one gateway
}

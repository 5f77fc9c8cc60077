package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The image's numbers the tests check against: rootfs/etc/hermes-init/image.toml
// (grace) and compose.yaml (stop_grace_period).
const (
	grace           = 8 * time.Second
	stopGracePeriod = 25 * time.Second
	// stopMargin is what a stop may take beyond hermes-init's own time: the
	// docker client, the daemon, containerd, on a loaded 2-core machine.
	stopMargin = 3 * time.Second
	// upLimit bounds the wait for a container's gateway to come up.
	upLimit = 60 * time.Second
)

// mode is a way to run the gateway service.
type mode struct {
	name string
	// cgroups: the cgroup mode hermes-init must report; "" accepts any
	// writable one (hybrid on a cgroup v1 host, v2 on a v2 host).
	cgroups string
	// compose, when true, runs the service with the compose files; else
	// with docker run and the flags of runFlags.
	compose bool
	files   []string // compose files after compose.yaml
}

// The modes. writable and bare are decided by pickModes.
var (
	// readonly: compose.yaml + compose.readonly-cgroup.yaml, Docker's
	// read-only cgroup mount.
	readonly = mode{name: "readonly", cgroups: "none", compose: true, files: []string{"compose.readonly-cgroup.yaml"}}
	// bare: `docker run IMAGE` with nothing but the first-boot seed and a
	// named volume: default capabilities and seccomp (clone3 refused, so
	// hermes-init starts the gateways through its spawn helper), a writable
	// root filesystem, Docker's stop timeout (10 s).
	bare = mode{name: "bare", cgroups: "none"}
)

// writableMode is compose.yaml as it stands where the engine gives a
// container a private cgroup namespace by default (cgroup v2 hosts); on a
// cgroup v1 host Compose v1 cannot ask for one, so the same settings go
// through docker run --cgroupns=private (writableRunFlags).
func writableMode() mode {
	if engine.CgroupVersion == "2" && compose != nil {
		return mode{name: "writable", compose: true}
	}
	return mode{name: "writable"}
}

// writableRunFlags mirror compose.yaml's service, plus the private cgroup
// namespace that Compose v1 cannot express. TestSettings checks that both
// reach the engine alike.
var writableRunFlags = []string{
	"--read-only", "--tmpfs", "/run", "--tmpfs", "/tmp",
	"--stop-timeout", fmt.Sprint(int(stopGracePeriod.Seconds())),
	"--restart", "unless-stopped",
	"--cap-add", "SYS_ADMIN", "--cgroupns", "private",
	"-e", "HERMES_GATEWAY_BOOTSTRAP_STATE=running",
	"-e", "HERMES_INIT_CGROUP_MOUNT=1",
}

// bareRunFlags: only the first-boot seed, everything else Docker's default.
var bareRunFlags = []string{"-e", "HERMES_GATEWAY_BOOTSTRAP_STATE=running"}

// deployment is one running service: a compose project, or a container made
// by docker run, with a named volume of its own on /opt/data.
type deployment struct {
	t           *testing.T
	mode        mode
	name        string   // compose project, or container name
	composeArgv []string // compose command with -p and every -f (compose modes)
	run         []string // docker run arguments before the image (docker run modes)
	volume      string   // the named volume on /opt/data
	helper      string   // a created, never started container on the volume, for docker cp
	id          string   // the current container
	// command is the container's command (docker run deployments): what
	// follows the image's ENTRYPOINT ["hermes-init", "--"].
	command []string
}

var deployments atomic.Int64

// newDeployment prepares a deployment in mode m with extra environment
// (NAME=VALUE) for hermes-init and the gateway, and registers its removal.
// Nothing runs until up.
func newDeployment(t *testing.T, m mode, env ...string) *deployment {
	t.Helper()
	if m.compose && compose == nil {
		t.Skip("no docker-compose or docker compose: the compose modes are not run")
	}
	d := &deployment{t: t, mode: m, name: fmt.Sprintf("e2e%s%d", runID, deployments.Add(1))}
	if m.compose {
		files := []string{filepath.Join(repoRoot, "compose.yaml")}
		for _, f := range m.files {
			files = append(files, filepath.Join(repoRoot, f))
		}
		files = append(files, d.writeOverride(env))
		d.composeArgv = append(append([]string{}, compose...), "-p", d.name)
		for _, f := range files {
			d.composeArgv = append(d.composeArgv, "-f", f)
		}
	} else {
		d.volume = d.name + "-data"
		flags := bareRunFlags
		if m.name == "writable" {
			flags = writableRunFlags
		}
		d.run = append([]string{"--name", d.name, "--label", label + "=" + runID}, flags...)
		for _, e := range env {
			d.run = append(d.run, "-e", e)
		}
		d.run = append(d.run, "-v", d.volume+":/opt/data")
	}
	t.Cleanup(d.destroy)
	return d
}

// writeOverride writes the test's compose override: this run's image, its
// label on everything compose creates, and env.
func (d *deployment) writeOverride(env []string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a JSON string is a YAML scalar
	lbl := fmt.Sprintf("    labels:\n      %s: %s\n", label, q(runID))
	var b strings.Builder
	fmt.Fprintf(&b, "services:\n  gateway:\n    image: %s\n", q(image))
	b.WriteString(lbl)
	if len(env) > 0 {
		b.WriteString("    environment:\n")
		sort.Strings(env)
		for _, e := range env {
			k, v, _ := strings.Cut(e, "=")
			fmt.Fprintf(&b, "      %s: %s\n", k, q(v))
		}
	}
	fmt.Fprintf(&b, "volumes:\n  hermes-data:\n%s", lbl)
	fmt.Fprintf(&b, "networks:\n  default:\n%s", lbl)
	path := filepath.Join(d.t.TempDir(), "compose.e2e.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		d.t.Fatal(err)
	}
	return path
}

// composeCmd runs the deployment's compose command.
func (d *deployment) composeCmd(args ...string) result {
	return cmdRun(append(d.composeArgv, args...))
}

func cmdRun(argv []string) result {
	return cmd(context.Background(), cmdLimit, argv[0], argv[1:]...)
}

// up creates and starts the service (compose up -d, or docker run -d).
func (d *deployment) up() {
	d.t.Helper()
	if d.composeArgv != nil {
		d.mustCompose("up", "-d")
	} else {
		if d.helper == "" {
			must(d.t, "docker", "volume", "create", "--label", label+"="+runID, d.volume)
		}
		d.dockerRun()
	}
	d.refresh()
}

// recreate replaces the container by a new one on the same volume and
// returns how long it took: compose up -d --force-recreate, or what it does
// (docker stop with the container's stop timeout, rm, run).
func (d *deployment) recreate() time.Duration {
	d.t.Helper()
	start := time.Now()
	if d.composeArgv != nil {
		d.mustCompose("up", "-d", "--force-recreate")
	} else {
		must(d.t, "docker", "stop", d.name)
		must(d.t, "docker", "rm", d.name)
		d.dockerRun()
	}
	took := time.Since(start)
	d.refresh()
	return took
}

// dockerRun starts the container of a docker run deployment.
func (d *deployment) dockerRun() {
	d.t.Helper()
	args := append(append(append([]string{"run", "-d"}, d.run...), image), d.command...)
	must(d.t, "docker", args...)
}

// restart restarts the same container (compose restart, docker restart).
func (d *deployment) restart() {
	d.t.Helper()
	if d.composeArgv != nil {
		d.mustCompose("restart")
	} else {
		must(d.t, "docker", "restart", d.name)
	}
}

func (d *deployment) mustCompose(args ...string) string {
	d.t.Helper()
	r := d.composeCmd(args...)
	if r.err != nil {
		d.t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", strings.Join(append(d.composeArgv, args...), " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// refresh learns the current container and its volume, and makes the helper
// container that reads and writes the volume's files with docker cp.
func (d *deployment) refresh() {
	d.t.Helper()
	if d.composeArgv != nil {
		d.id = strings.TrimSpace(d.mustCompose("ps", "-q", "gateway"))
	} else {
		d.id = strings.TrimSpace(must(d.t, "docker", "inspect", "-f", "{{.Id}}", d.name))
	}
	if d.id == "" || strings.Contains(d.id, "\n") {
		d.t.Fatalf("%s: want one container, have %q", d.name, d.id)
	}
	vol := d.inspect().volume()
	if d.volume != "" && vol != d.volume {
		d.t.Fatalf("%s: the container has volume %q on /opt/data, want %q", d.name, vol, d.volume)
	}
	d.volume = vol
	if d.helper == "" {
		d.helper = d.name + "-files"
		must(d.t, "docker", "create", "--name", d.helper, "--label", label+"="+runID,
			"-v", d.volume+":/opt/data", "--entrypoint", "hermes", image, "version")
	}
}

// exec runs a command in the current container (docker exec).
func (d *deployment) exec(args ...string) result {
	return docker(append([]string{"exec", d.id}, args...)...)
}

// composeExec runs a command in the service the way a compose user does
// (compose exec -T gateway ...); docker exec for docker run deployments.
func (d *deployment) composeExec(args ...string) result {
	if d.composeArgv != nil {
		return d.composeCmd(append([]string{"exec", "-T", "gateway"}, args...)...)
	}
	return d.exec(args...)
}

// destroy removes the deployment: containers, volume, network. On failure it
// first prints what the container said.
func (d *deployment) destroy() {
	if d.t.Failed() {
		d.diagnose()
	}
	if d.helper != "" {
		docker("rm", "-f", d.helper)
	}
	if d.composeArgv != nil {
		if r := d.composeCmd("down", "-v", "--remove-orphans", "-t", "2"); r.err != nil {
			d.t.Logf("cleanup: compose down: %v: %s", r.err, r.stderr)
		}
		return
	}
	docker("rm", "-f", "-v", d.name)
	if d.volume != "" {
		if r := docker("volume", "rm", "-f", d.volume); r.err != nil {
			d.t.Logf("cleanup: docker volume rm %s: %v: %s", d.volume, r.err, r.stderr)
		}
	}
}

// diagnose logs the container's output, the ctl status and the gateway log.
func (d *deployment) diagnose() {
	if d.id == "" {
		return
	}
	r := docker("logs", "--tail", "200", d.id)
	d.t.Logf("docker logs %.12s (last 200 lines):\n%s%s", d.id, r.stdout, r.stderr)
	if r := d.exec("hermes-init", "ctl", "status"); r.err == nil {
		d.t.Logf("hermes-init ctl status:\n%s", r.stdout)
	}
	if b, ok := d.readFile("logs/gateways/default/current"); ok {
		d.t.Logf("logs/gateways/default/current:\n%s", b)
	}
	d.t.Logf("docker ps -a (this run):\n%s", docker("ps", "-a", "--filter", "label="+label+"="+runID).stdout)
}

package cgroup

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/matryer/is"
	"golang.org/x/sys/unix"
)

// ladderCase is one machine of testdata/ladder (see its README.md) and how
// hermes-init starts on it, with what Setup must decide there. Paths are as
// hermes-init sees them (the fixture tree stands for /); <pid> is the test
// process, which plays hermes-init.
type ladderCase struct {
	name      string
	fixture   string
	cgroup    string  // file of the fixture for /proc/self/cgroup (default "cgroup")
	mountinfo string  // and for /proc/self/mountinfo (default "mountinfo")
	opts      Options // Mode, Auto, Root, PID1, Mount
	kernel    error   // mount(2)'s answer to cgroup_mount: nil is success

	mode   Mode
	reason []string          // parts of Reason, in any order
	v2     string            // parent of the service cgroups in the v2 tree
	v1     map[string]string // v1 hierarchy -> parent of the service cgroups
	lazy   map[string]string // ModeHybrid: v1 parents made when a limit needs them
	dirs   []string          // directories Setup makes
	writes map[string]string // file -> what Setup writes to it
	mounts []string          // mount(2) calls
	warns  []string          // parts of the warnings, one per warning
	procs  []string          // the cgroup.procs files a service "gateway" joins
	left   []string          // directories Close leaves (they hold the container)
}

const (
	dockerID = "b3794f63dcafce6969d44deae909ceb4bab4a5334212671db345a4a272478d38"
	bindID   = "8efe9328250a276ceb2f27f744473519ccf967be7bd2717f0e6c23cb216026f9"
	apiMem   = "/sys/fs/cgroup/memory/process_api/b1ade9f136232a69009baf32e64e10fd"
	auto     = true
)

var (
	v1Remounts = []string{"remount /sys/fs/cgroup/cpu", "remount /sys/fs/cgroup/cpuacct", "remount /sys/fs/cgroup/cpuset",
		"remount /sys/fs/cgroup/memory", "remount /sys/fs/cgroup/devices", "remount /sys/fs/cgroup/freezer",
		"remount /sys/fs/cgroup/blkio", "remount /sys/fs/cgroup/pids", "remount /sys/fs/cgroup/systemd"}
	evacuated = map[string]string{
		"/sys/fs/cgroup/init/cgroup.procs":      "<pid>\n27\n", // hermes-init and the docker exec shell
		"/sys/fs/cgroup/cgroup.subtree_control": "+memory\n+pids\n+cpu\n",
	}
	noV1 = "no writable cgroup v1 pids or freezer hierarchy"
)

var ladderCases = []ladderCase{
	// cgroup v2, a container's private namespace.
	{name: "v2 container writable, PID 1: the root is evacuated into /init", fixture: "v2-container",
		opts: Options{Auto: auto, PID1: true}, mode: ModeV2,
		reason: []string{"cgroup v2 writable at /sys/fs/cgroup", "services at the root of its cgroup namespace", "controllers memory,pids,cpu"},
		v2:     "/sys/fs/cgroup", dirs: []string{"/sys/fs/cgroup/init"}, writes: evacuated,
		procs: []string{"/sys/fs/cgroup/gateway/cgroup.procs"}, left: []string{"/sys/fs/cgroup/init"}},
	{name: "v2 container writable, not PID 1 (docker run --init): a subtree of its own", fixture: "v2-container",
		opts: Options{Auto: auto}, mode: ModeV2,
		reason: []string{"cgroup v2 writable at /sys/fs/cgroup", "services in its own cgroup /", "no controllers"},
		v2:     "/sys/fs/cgroup/hermes-init.<pid>", dirs: []string{"/sys/fs/cgroup/hermes-init.<pid>"},
		procs: []string{"/sys/fs/cgroup/hermes-init.<pid>/gateway/cgroup.procs"}},
	{name: "v2 container read-only (Docker's default): no rung", fixture: "v2-container", mountinfo: "mountinfo-ro",
		opts: Options{Auto: auto, PID1: true}, mode: ModeNone,
		reason: []string{"cgroup2 mount at /sys/fs/cgroup is read-only", noV1}},
	{name: "v2 container read-only, cgroup_mount without CAP_SYS_ADMIN: said, no rung", fixture: "v2-container", mountinfo: "mountinfo-ro",
		opts: Options{Auto: auto, PID1: true, Mount: true}, kernel: unix.EPERM, mode: ModeNone,
		reason: []string{"cgroup2 mount at /sys/fs/cgroup is read-only"}, mounts: []string{"remount /sys/fs/cgroup"},
		warns: []string{"cgroup_mount: remount /sys/fs/cgroup read-write: operation not permitted (needs CAP_SYS_ADMIN"}},
	{name: "v2 container read-only, cgroup_mount with CAP_SYS_ADMIN: remounted, then evacuated", fixture: "v2-container", mountinfo: "mountinfo-ro",
		opts: Options{Auto: auto, PID1: true, Mount: true}, mode: ModeV2,
		reason: []string{"services at the root of its cgroup namespace", "(remounted /sys/fs/cgroup read-write)"},
		v2:     "/sys/fs/cgroup", dirs: []string{"/sys/fs/cgroup/init"}, writes: evacuated, mounts: []string{"remount /sys/fs/cgroup"},
		procs: []string{"/sys/fs/cgroup/gateway/cgroup.procs"}, left: []string{"/sys/fs/cgroup/init"}},

	// cgroup v2 on a host.
	{name: "v2 host, a systemd service: a subtree of its own cgroup", fixture: "v2-host",
		opts: Options{Auto: auto}, mode: ModeV2,
		reason: []string{"cgroup v2 writable at /sys/fs/cgroup", "services in its own cgroup /system.slice/hermes.service"},
		v2:     "/sys/fs/cgroup/system.slice/hermes.service/hermes-init.<pid>",
		dirs:   []string{"/sys/fs/cgroup/system.slice/hermes.service/hermes-init.<pid>"},
		procs:  []string{"/sys/fs/cgroup/system.slice/hermes.service/hermes-init.<pid>/gateway/cgroup.procs"}},
	{name: "v2 host, nested --cgroup-root: only the missing levels are made, and removed", fixture: "v2-host",
		opts: Options{Auto: auto, Root: "/hermes/ci/job-7"}, mode: ModeV2,
		reason: []string{"services under --cgroup-root /hermes/ci/job-7"},
		v2:     "/sys/fs/cgroup/hermes/ci/job-7", dirs: []string{"/sys/fs/cgroup/hermes/ci", "/sys/fs/cgroup/hermes/ci/job-7"},
		procs: []string{"/sys/fs/cgroup/hermes/ci/job-7/gateway/cgroup.procs"}},
	{name: "v2 host, --cgroup-root climbing out with ..: refused", fixture: "v2-host",
		opts: Options{Auto: auto, Root: "/../../etc"}, mode: ModeNone,
		reason: []string{`--cgroup-root "/../../etc": want a cgroup path such as /hermes, without ".."`, noV1}},
	{name: "v2 host, our cgroup does not list us: refused as foreign", fixture: "v2-host", cgroup: "cgroup-other",
		opts: Options{Auto: auto}, mode: ModeNone,
		reason: []string{"cgroup2 mount at /sys/fs/cgroup: our pid is not in", "other.service (foreign hierarchy)"}},
	{name: "v2 host root, PID 1 of unshare -p: the host's processes stay where they are", fixture: "v2-hostroot",
		opts: Options{Auto: auto, PID1: true}, mode: ModeV2,
		reason: []string{"cgroup v2 writable at /sys/fs/cgroup", "services in its own cgroup /"},
		v2:     "/sys/fs/cgroup/hermes-init.<pid>", dirs: []string{"/sys/fs/cgroup/hermes-init.<pid>"},
		procs: []string{"/sys/fs/cgroup/hermes-init.<pid>/gateway/cgroup.procs"}},
	{name: "v2 host, --cgroup v1: no v1 hierarchy", fixture: "v2-host",
		opts: Options{Mode: ModeV1}, mode: ModeNone, reason: []string{noV1}},
	{name: "--cgroup none", fixture: "v2-host",
		opts: Options{Mode: ModeNone}, mode: ModeNone, reason: []string{"cgroups disabled by configuration"}},

	// Hybrid: this machine.
	{name: "hybrid host: the v2 tree for membership, v1 for limits on first need", fixture: "hybrid-host",
		opts: Options{Auto: auto}, mode: ModeHybrid,
		reason: []string{"cgroup hybrid writable at /sys/fs/cgroup/unified", "services in its own cgroup /"},
		v2:     "/sys/fs/cgroup/unified/hermes-init.<pid>", dirs: []string{"/sys/fs/cgroup/unified/hermes-init.<pid>"},
		lazy:  map[string]string{"memory": apiMem + "/hermes-init.<pid>", "pids": "/sys/fs/cgroup/pids/hermes-init.<pid>"},
		procs: []string{"/sys/fs/cgroup/unified/hermes-init.<pid>/gateway/cgroup.procs"}},
	{name: "hybrid host root, PID 1 of unshare -p: neither root is taken as a namespace's", fixture: "hybrid-host",
		opts: Options{Auto: auto, PID1: true}, mode: ModeHybrid,
		reason: []string{"cgroup hybrid writable at /sys/fs/cgroup/unified", "services in its own cgroup /"},
		v2:     "/sys/fs/cgroup/unified/hermes-init.<pid>", dirs: []string{"/sys/fs/cgroup/unified/hermes-init.<pid>"},
		lazy:  map[string]string{"memory": apiMem + "/hermes-init.<pid>", "pids": "/sys/fs/cgroup/pids/hermes-init.<pid>"},
		procs: []string{"/sys/fs/cgroup/unified/hermes-init.<pid>/gateway/cgroup.procs"}},
	{name: "hybrid host, --cgroup v1: pids, freezer and memory subtrees", fixture: "hybrid-host",
		opts: Options{Mode: ModeV1}, mode: ModeV1,
		reason: []string{"cgroup v1: pids=", "/sys/fs/cgroup/pids/hermes-init.<pid> freezer=", "/sys/fs/cgroup/freezer/hermes-init.<pid> memory=", apiMem + "/hermes-init.<pid>"},
		v1: map[string]string{"pids": "/sys/fs/cgroup/pids/hermes-init.<pid>", "freezer": "/sys/fs/cgroup/freezer/hermes-init.<pid>",
			"memory": apiMem + "/hermes-init.<pid>"},
		dirs: []string{"/sys/fs/cgroup/freezer/hermes-init.<pid>", apiMem + "/hermes-init.<pid>", "/sys/fs/cgroup/pids/hermes-init.<pid>"},
		procs: []string{"/sys/fs/cgroup/pids/hermes-init.<pid>/gateway/cgroup.procs", "/sys/fs/cgroup/freezer/hermes-init.<pid>/gateway/cgroup.procs",
			apiMem + "/hermes-init.<pid>/gateway/cgroup.procs"}},

	// Docker 20.10 on this machine: cgroup v1 inside the container.
	{name: "docker v1 defaults: read-only binds, no cgroup2: no rung", fixture: "v1-docker",
		opts: Options{Auto: auto, PID1: true}, mode: ModeNone, reason: []string{"no cgroup2 mount", noV1}},
	{name: "docker v1 defaults, cgroup_mount: refused in the host's cgroup namespace", fixture: "v1-docker",
		opts: Options{Auto: auto, PID1: true, Mount: true}, mode: ModeNone, reason: []string{"no cgroup2 mount", noV1},
		warns: []string{"cgroup_mount: not in a private cgroup namespace (docker run --cgroupns=private"}},
	{name: "docker v1 --cgroupns=private: no rung", fixture: "v1-docker-private",
		opts: Options{Auto: auto, PID1: true}, mode: ModeNone, reason: []string{"no cgroup2 mount", noV1}},
	{name: "docker v1 --cgroupns=private, cgroup_mount not as PID 1: refused", fixture: "v1-docker-private",
		opts: Options{Auto: auto, Mount: true}, mode: ModeNone, reason: []string{"no cgroup2 mount", noV1},
		warns: []string{"cgroup_mount: not PID 1"}},
	{name: "docker v1 --cgroupns=private, cgroup_mount without CAP_SYS_ADMIN: said, no rung", fixture: "v1-docker-private",
		opts: Options{Auto: auto, PID1: true, Mount: true}, kernel: unix.EPERM, mode: ModeNone,
		reason: []string{"no cgroup2 mount", noV1}, mounts: []string{"remount /sys/fs/cgroup/cpu"},
		warns: []string{"cgroup_mount: remount /sys/fs/cgroup/cpu read-write: operation not permitted (needs CAP_SYS_ADMIN"}},
	{name: "docker v1 --cgroupns=private, cgroup_mount with CAP_SYS_ADMIN: hybrid at the namespace roots", fixture: "v1-docker-private",
		opts: Options{Auto: auto, PID1: true, Mount: true}, mode: ModeHybrid,
		reason: []string{"cgroup hybrid writable at /sys/fs/cgroup/unified, services at the root of its cgroup namespace", "no controllers",
			"(remounted /sys/fs/cgroup/cpu read-write; ", "remounted /sys/fs/cgroup/pids read-write; remounted /sys/fs/cgroup/systemd read-write; mounted cgroup2 at /sys/fs/cgroup/unified)"},
		v2: "/sys/fs/cgroup/unified", lazy: map[string]string{"memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids"},
		dirs: []string{"/sys/fs/cgroup/unified"}, mounts: append(append([]string{}, v1Remounts...), "mount cgroup2 /sys/fs/cgroup/unified"),
		procs: []string{"/sys/fs/cgroup/unified/gateway/cgroup.procs"}, left: []string{"/sys/fs/cgroup/unified"}},
	{name: "docker v1 --cgroupns=private, remounted writable, PID 1: v1 at the namespace roots", fixture: "v1-docker-private", mountinfo: "mountinfo-sysadmin",
		opts: Options{Auto: auto, PID1: true}, mode: ModeV1,
		reason: []string{"cgroup v1: pids=", "/sys/fs/cgroup/pids freezer=", "/sys/fs/cgroup/freezer memory=", "/sys/fs/cgroup/memory (no cgroup2 mount)"},
		v1:     map[string]string{"pids": "/sys/fs/cgroup/pids", "freezer": "/sys/fs/cgroup/freezer", "memory": "/sys/fs/cgroup/memory"},
		procs: []string{"/sys/fs/cgroup/pids/gateway/cgroup.procs", "/sys/fs/cgroup/freezer/gateway/cgroup.procs",
			"/sys/fs/cgroup/memory/gateway/cgroup.procs"}},
	{name: "docker v1 --cgroupns=private, remounted writable, not PID 1: subtrees of its own", fixture: "v1-docker-private", mountinfo: "mountinfo-sysadmin",
		opts: Options{Auto: auto}, mode: ModeV1,
		reason: []string{"cgroup v1: pids=", "/sys/fs/cgroup/pids/hermes-init.<pid> freezer="},
		v1: map[string]string{"pids": "/sys/fs/cgroup/pids/hermes-init.<pid>", "freezer": "/sys/fs/cgroup/freezer/hermes-init.<pid>",
			"memory": "/sys/fs/cgroup/memory/hermes-init.<pid>"},
		dirs: []string{"/sys/fs/cgroup/freezer/hermes-init.<pid>", "/sys/fs/cgroup/memory/hermes-init.<pid>", "/sys/fs/cgroup/pids/hermes-init.<pid>"},
		procs: []string{"/sys/fs/cgroup/pids/hermes-init.<pid>/gateway/cgroup.procs", "/sys/fs/cgroup/freezer/hermes-init.<pid>/gateway/cgroup.procs",
			"/sys/fs/cgroup/memory/hermes-init.<pid>/gateway/cgroup.procs"}},

	// The host's v2 tree bind-mounted into a container.
	{name: "host v2 tree bound into a private namespace: refused, its root is not ours", fixture: "hostbind-private",
		opts: Options{Auto: auto, PID1: true}, mode: ModeNone,
		reason: []string{"cgroup2 mount at /sys/fs/cgroup/unified does not show our cgroup / (mount root /../..;", noV1}},
	{name: "host v2 tree bound in the host's namespace: our cgroup is under it", fixture: "hostbind-hostns",
		opts: Options{Auto: auto, PID1: true}, mode: ModeHybrid,
		reason: []string{"cgroup hybrid writable at /sys/fs/cgroup/unified", "services in its own cgroup /docker/" + bindID},
		v2:     "/sys/fs/cgroup/unified/docker/" + bindID + "/hermes-init.<pid>",
		dirs:   []string{"/sys/fs/cgroup/unified/docker/" + bindID + "/hermes-init.<pid>"},
		procs:  []string{"/sys/fs/cgroup/unified/docker/" + bindID + "/hermes-init.<pid>/gateway/cgroup.procs"}},
}

// TestLadderFixtures runs Setup on each machine of testdata/ladder and checks
// the rung, the reason, where services go, every directory and write it
// makes, and its refusals. It needs no root: everything happens in a copy
// of the fixture (Options.FSRoot), never in a real cgroup.
func TestLadderFixtures(t *testing.T) {
	for _, c := range ladderCases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			fx := newFixture(t, c.fixture)
			o := c.opts
			o.CgroupFile = filepath.Join(fx.dir, or(c.cgroup, "cgroup"))
			o.MountInfo = filepath.Join(fx.dir, or(c.mountinfo, "mountinfo"))
			o.FSRoot = fx.fs
			o.Controllers = []string{"memory", "pids", "cpu"} // as cmd/hermes-init asks
			var warns, mounts []string
			o.Warnf = func(f string, a ...any) { warns = append(warns, fmt.Sprintf(f, a...)) }
			o.mount = fx.kernel(o.MountInfo, c.kernel, &mounts)

			before := fx.snapshot()
			tr := Setup(o)
			dirs, writes := fx.changes(before, fx.snapshot())
			reason := strings.ReplaceAll(tr.Reason(), fx.fs, "")
			t.Logf("reason: %s", reason)
			t.Logf("warnings: %q", warns)

			is.Equal(tr.Mode(), c.mode) // the rung
			for _, part := range c.reason {
				if !strings.Contains(reason, fx.expand(part)) {
					t.Errorf("the reason does not say %q", fx.expand(part))
				}
			}
			is.Equal(fx.rel(tr.v2), fx.expand(c.v2))            // the v2 parent of the services
			is.Equal(fx.relMap(tr.v1), fx.expandMap(c.v1))      // the v1 parents
			is.Equal(sortedKeys(tr.lazyV1), sortedKeys(c.lazy)) // v1 parents left for first need
			is.Equal(dirs, fx.expandList(c.dirs))               // the directories it makes
			is.Equal(writes, fx.expandMap(c.writes))            // and what it writes
			is.Equal(mounts, c.mounts)                          // mount(2) calls
			is.Equal(len(warns), len(c.warns))                  // one warning each
			for i := range c.warns {
				is.True(strings.Contains(warns[i], c.warns[i])) // the warning says why
			}
			for h, want := range c.lazy {
				is.Equal(fx.rel(tr.v1Parent(h)), fx.expand(want)) // made on first need
			}

			g, err := tr.NewGroup("gateway", Limits{})
			is.NoErr(err)
			var procs []string
			for _, p := range g.ProcsFiles() {
				procs = append(procs, fx.rel(p))
			}
			is.Equal(procs, fx.expandList(c.procs)) // where a service's processes go
			is.NoErr(g.Remove())
			is.NoErr(tr.Close())
			left, _ := fx.changes(before, fx.snapshot())
			is.Equal(left, fx.expandList(c.left)) // Close removes what Setup made, and nothing else
		})
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (fx *fixture) expandList(l []string) []string {
	var out []string
	for _, s := range l {
		out = append(out, fx.expand(s))
	}
	return out
}

func (fx *fixture) expandMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[fx.expand(k)] = fx.expand(v)
	}
	return out
}

func (fx *fixture) relMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = fx.rel(v)
	}
	return out
}

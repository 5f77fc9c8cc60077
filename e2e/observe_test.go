package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path"
	"sort"
	"strings"
	"testing"
	"time"
)

// container is the part of `docker inspect` the tests read.
type container struct {
	ID    string
	State struct {
		Status    string
		Running   bool
		ExitCode  int
		OOMKilled bool
		Health    *struct{ Status string }
	}
	RestartCount int
	Config       struct {
		Env         []string
		StopTimeout *int
		Healthcheck *struct{ Test []string }
	}
	HostConfig struct {
		ReadonlyRootfs bool
		Tmpfs          map[string]string
		CapAdd         []string
		CgroupnsMode   string
		RestartPolicy  struct{ Name string }
	}
	Mounts []struct {
		Type, Name, Destination string
	}
}

// volume is the named volume on /opt/data.
func (c container) volume() string {
	for _, m := range c.Mounts {
		if m.Destination == "/opt/data" && m.Type == "volume" {
			return m.Name
		}
	}
	return ""
}

func (c container) env(name string) (string, bool) {
	for _, e := range c.Config.Env {
		if k, v, _ := strings.Cut(e, "="); k == name {
			return v, true
		}
	}
	return "", false
}

// inspect reads the current container's docker inspect.
func (d *deployment) inspect() container {
	d.t.Helper()
	return inspectContainer(d.t, d.id)
}

func inspectContainer(t *testing.T, id string) container {
	t.Helper()
	var cs []container
	if err := json.Unmarshal([]byte(must(t, "docker", "inspect", id)), &cs); err != nil || len(cs) != 1 {
		t.Fatalf("docker inspect %s: %v (%d objects)", id, err, len(cs))
	}
	return cs[0]
}

// readFile reads a file of the volume (a path below /opt/data) with docker
// cp from the helper container; false when it does not exist, or could not
// be read (see volumeFile).
func (d *deployment) readFile(rel string) ([]byte, bool) {
	b, ok, err := d.volumeFile(rel)
	return b, ok && err == nil
}

// volumeFile reads a file of the volume. docker cp stats a file before it
// copies it, so a file replaced in between (the gateway rewrites its state
// file by rename) can come out as a broken archive: such reads are retried.
func (d *deployment) volumeFile(rel string) ([]byte, bool, error) {
	if d.helper == "" {
		return nil, false, nil
	}
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if attempt > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		r := docker("cp", d.helper+":"+path.Join("/opt/data", rel), "-")
		if r.err != nil {
			if strings.Contains(r.stderr, "Could not find the file") {
				return nil, false, nil
			}
			err = fmt.Errorf("docker cp %s: %v: %s", rel, r.err, strings.TrimSpace(r.stderr))
			continue
		}
		var b []byte
		if b, err = untarFile(r.stdout); err == nil {
			return b, true, nil
		}
		err = fmt.Errorf("docker cp %s: %w", rel, err)
	}
	return nil, false, err
}

// untarFile returns the content of the one regular file of a tar archive.
func untarFile(archive string) ([]byte, error) {
	tr := tar.NewReader(strings.NewReader(archive))
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("no regular file in the archive: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}

// mustRead reads a file of the volume that must exist.
func (d *deployment) mustRead(rel string) string {
	d.t.Helper()
	b, ok, err := d.volumeFile(rel)
	if err != nil {
		d.t.Fatal(err)
	}
	if !ok {
		d.t.Fatalf("/opt/data/%s: not found on the volume", rel)
	}
	return string(b)
}

// jsonFile reads a JSON object file of the volume; nil when missing.
func (d *deployment) jsonFile(rel string) map[string]any {
	d.t.Helper()
	b, ok, err := d.volumeFile(rel)
	if err != nil {
		d.t.Fatal(err)
	}
	if !ok {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		d.t.Fatalf("/opt/data/%s: %v: %s", rel, err, b)
	}
	return m
}

// writeFiles puts files (path below /opt/data -> content) on the volume,
// owned by the gateway user with their directories, as a user who prepares
// a profile does.
func (d *deployment) writeFiles(files map[string]string) {
	d.t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for name := range files {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	mtime := time.Now()
	for _, dir := range sortedKeys(dirs) { // parents sort before children
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, Uid: 10000, Gid: 10000, ModTime: mtime})
	}
	for _, name := range sortedKeys(files) {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(files[name])), Uid: 10000, Gid: 10000, ModTime: mtime})
		_, _ = tw.Write([]byte(files[name]))
	}
	if err := tw.Close(); err != nil {
		d.t.Fatal(err)
	}
	c := exec.Command("docker", "cp", "-a", "-", d.helper+":/opt/data")
	c.Stdin = &buf
	if out, err := c.CombinedOutput(); err != nil {
		d.t.Fatalf("docker cp - %s:/opt/data: %v: %s", d.helper, err, out)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ctlStatus is `hermes-init ctl status --json` (docs/control.md).
type ctlStatus struct {
	CgroupMode string       `json:"cgroup_mode"`
	Slots      []slotStatus `json:"slots"`
}

type slotStatus struct {
	Name     string `json:"name"`
	Profile  string `json:"profile"`
	State    string `json:"state"`
	Want     string `json:"want"`
	Pid      int    `json:"pid"`
	Restarts int    `json:"restarts"`
	LastExit *struct {
		Code   *int   `json:"code"`
		Signal string `json:"signal"`
		OOM    bool   `json:"oom"`
	} `json:"last_exit"`
	MemoryBytes int64  `json:"memory_bytes"`
	Reason      string `json:"reason"`
}

// status asks hermes-init in the container for its status; ok is false while
// it does not answer (starting, or the container is down).
func (d *deployment) status() (ctlStatus, bool, string) {
	r := d.exec("hermes-init", "ctl", "status", "--json")
	if r.err != nil {
		return ctlStatus{}, false, fmt.Sprintf("ctl status: %v: %s", r.err, strings.TrimSpace(r.stderr))
	}
	var st ctlStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		return ctlStatus{}, false, fmt.Sprintf("ctl status: %v: %s", err, r.stdout)
	}
	return st, true, r.stdout
}

func (st ctlStatus) slot(name string) (slotStatus, bool) {
	for _, s := range st.Slots {
		if s.Name == name {
			return s, true
		}
	}
	return slotStatus{}, false
}

// waitSlot polls the status until slot name is in state, and returns it.
func (d *deployment) waitSlot(name, state string) (ctlStatus, slotStatus) {
	d.t.Helper()
	var st ctlStatus
	var slot slotStatus
	poll(d.t, upLimit, name+" "+state, func() (bool, string) {
		var ok bool
		var saw string
		st, ok, saw = d.status()
		if !ok {
			return false, saw
		}
		slot, ok = st.slot(name)
		return ok && slot.State == state, saw
	})
	return st, slot
}

// process is one line of docker top.
type process struct {
	pid  string
	stat string
	args string
}

// top lists the container's processes from the host (the image has no ps).
func (d *deployment) top() ([]process, error) {
	r := docker("top", d.id, "-eo", "pid,stat,args")
	if r.err != nil {
		return nil, fmt.Errorf("docker top: %v: %s", r.err, r.stderr)
	}
	var ps []process
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		ps = append(ps, process{pid: f[0], stat: f[1], args: strings.Join(f[2:], " ")})
	}
	return ps, nil
}

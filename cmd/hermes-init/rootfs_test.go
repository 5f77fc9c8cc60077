package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// rootfs is a container root for hermes-init as s6-overlay's /init: the
// test writes /etc (users, the s6-overlay trees), /opt and /command into a
// directory; the namespace wrapper adds the host's /usr (this needs a
// merged-/usr host, where /bin, /lib, /lib64 and /sbin are links into it,
// as Debian's), /dev, /sys, a fresh /proc and tmpfs on /run and /tmp, then
// chroots into it and execs /init, a copy of the built hermes-init.
type rootfs struct {
	t   *testing.T
	dir string
}

// The rootfs' fixed places.
const (
	rootLog  = "/opt/log"                                   // where the tests' scripts append one line per step
	rootBin  = "/opt/bin"                                   // the stub gateway as hermes, the tests' programs
	rootHome = "/opt/data"                                  // HERMES_HOME, the gateway user's
	rootWork = "/work"                                      // the container's working directory
	gwUID    = "10000"                                      // the gateway user, hermes
	rootPath = "PATH=/opt/bin:/usr/local/bin:/usr/bin:/bin" // the image's PATH
)

func newRootfs(t *testing.T) *rootfs {
	t.Helper()
	needRoot(t)
	for _, d := range []string{"bin", "lib", "sbin"} {
		if target, err := os.Readlink("/" + d); err != nil || !strings.HasPrefix(target, "usr/") {
			requireOrSkip(t, "root", "needs a merged-/usr host (/"+d+" a link into /usr), as Debian's: the test root borrows the host's /usr")
		}
	}
	r := &rootfs{t: t, dir: t.TempDir()}
	if err := os.Chmod(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"etc", "usr", "dev", "sys", "proc", "tmp", "run", "var", "command", "opt/bin", "work"} {
		r.mkdir(d, 0o755)
	}
	r.mkdir(rootHome, 0o755)
	r.chown(rootHome, 10000, 10000)
	for _, d := range []string{"bin", "lib", "lib64", "sbin"} {
		if target, err := os.Readlink("/" + d); err == nil {
			if err := os.Symlink(target, filepath.Join(r.dir, d)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.copy(initBin, "/init", 0o755)
	r.copy(filepath.Join(binDir, "stub-gateway"), rootBin+"/hermes", 0o755)
	for _, tool := range s6compat.Tools {
		if tool != "halt" {
			r.link("/init", "/command/"+tool)
		}
	}
	r.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nhermes:x:10000:10000::/opt/data:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n", 0o644)
	r.write("/etc/group", "root:x:0:\nhermes:x:10000:\nnogroup:x:65534:\n", 0o644)
	r.write(rootLog, "", 0o666)
	return r
}

func (r *rootfs) path(p string) string { return filepath.Join(r.dir, p) }

func (r *rootfs) mkdir(p string, mode os.FileMode) {
	if err := os.MkdirAll(r.path(p), mode); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rootfs) chown(p string, uid, gid int) {
	if err := os.Chown(r.path(p), uid, gid); err != nil {
		r.t.Fatal(err)
	}
}

// write writes a file of the root, making its directories.
func (r *rootfs) write(p, content string, mode os.FileMode) {
	r.t.Helper()
	r.mkdir(filepath.Dir(p), 0o755)
	if err := os.WriteFile(r.path(p), []byte(content), mode); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Chmod(r.path(p), mode); err != nil {
		r.t.Fatal(err)
	}
}

// script writes an executable shell script.
func (r *rootfs) script(p, shebang, body string) {
	r.write(p, "#!"+shebang+"\n"+body+"\n", 0o755)
}

// touch makes empty files (dependencies.d and contents.d entries).
func (r *rootfs) touch(paths ...string) {
	for _, p := range paths {
		r.write(p, "", 0o644)
	}
}

func (r *rootfs) link(target, p string) {
	r.mkdir(filepath.Dir(p), 0o755)
	if err := os.Symlink(target, r.path(p)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rootfs) copy(from, to string, mode os.FileMode) {
	b, err := os.ReadFile(from)
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(to, string(b), mode)
}

// read reads a file of the root (outside /run and /tmp, which are the
// container's own).
func (r *rootfs) read(p string) string {
	b, err := os.ReadFile(r.path(p))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// logLines are the lines the scripts appended to rootLog.
func (r *rootfs) logLines() []string {
	var out []string
	for _, l := range strings.Split(r.read(rootLog), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// waitLog waits until a line of rootLog starts with prefix.
func (r *rootfs) waitLog(prefix string, timeout time.Duration) string {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, l := range r.logLines() {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no line %q in %s within %s; it holds:\n%s", prefix, rootLog, timeout, strings.Join(r.logLines(), "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logged is a shell command that appends its words and the process's
// identity to rootLog.
func logged(words string) string {
	return `echo "` + words + `" >> ` + rootLog
}

// daemon is the run script of the tests' longruns: it logs "NAME up" with
// its environment, says it is ready on fd 3 (so that what depends on it
// starts after that line), runs until SIGTERM and then logs "NAME down".
func daemon(name string) string {
	return logged(name+` up uid=$(id -u) FOO=${FOO-unset} PATH=$PATH cwd=$(pwd) argv=$0 $*`) + `
echo >&3
exec 3>&-
trap '` + logged(name+" down") + `; exit 0' TERM
while :; do sleep 0.05; done`
}

// longrun writes an s6-rc longrun running daemon(name), with readiness
// notification on fd 3.
func (r *rootfs) longrun(name string, deps ...string) {
	dir := "/etc/s6-overlay/s6-rc.d/" + name
	r.write(dir+"/type", "longrun\n", 0o644)
	r.write(dir+"/notification-fd", "3\n", 0o644)
	r.script(dir+"/run", "/bin/sh", daemon(name))
	for _, d := range deps {
		r.touch(dir + "/dependencies.d/" + d)
	}
}

// oneshot writes an s6-rc oneshot whose up and down log "NAME up|down".
func (r *rootfs) oneshot(name string, deps ...string) {
	dir := "/etc/s6-overlay/s6-rc.d/" + name
	r.write(dir+"/type", "oneshot\n", 0o644)
	r.write(dir+"/up", `/bin/sh -c "`+strings.ReplaceAll(logged(name+" up uid=$(id -u)"), `"`, `\"`)+`"`+"\n", 0o644)
	r.write(dir+"/down", `/bin/sh -c "`+strings.ReplaceAll(logged(name+" down"), `"`, `\"`)+`"`+"\n", 0o644)
	for _, d := range deps {
		r.touch(dir + "/dependencies.d/" + d)
	}
}

// inBundle adds services to the user (or user2) bundle.
func (r *rootfs) inBundle(bundle string, names ...string) {
	for _, n := range names {
		r.touch("/etc/s6-overlay/user-bundles.d/" + bundle + "/contents.d/" + n)
	}
}

// start runs /init with args as PID 1 of a container on this root.
func (r *rootfs) start(env []string, args ...string) *proc {
	r.t.Helper()
	return start(r.t, nsOpts{pid1: true, cgroupNS: true, rootfs: r.dir, cwd: rootWork, env: env}, args...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// childComms lists the command names (comm) of ppid's children, as the host
// sees them.
func childComms(ppid int) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			out = append(out, s[open+1:end])
		}
	}
	return out
}

// exec runs a command inside the container of p (its mount and PID
// namespaces, its root), as `docker exec` would, with the image's PATH, and
// returns its combined output and status.
func (r *rootfs) exec(p *proc, uid int, args ...string) (string, int) {
	r.t.Helper()
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		requireOrSkip(r.t, "root", "needs nsenter (util-linux)")
	}
	argv := []string{"-t", strconv.Itoa(p.pid()), "-m", "-p", "-r", "-w"}
	if uid != 0 {
		argv = append(argv, "-S", strconv.Itoa(uid), "-G", strconv.Itoa(uid))
	}
	cmd := exec.Command(nsenter, append(append(argv, "--"), args...)...)
	cmd.Env = []string{rootPath}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("nsenter %v: %v", args, err)
	}
	return string(out), code
}

// inside is the path of p in the running container (its /run and /tmp
// included), as the host reaches it.
func (r *rootfs) inside(p *proc, path string) string {
	return filepath.Join("/proc", strconv.Itoa(p.pid()), "root", path)
}

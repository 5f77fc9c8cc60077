package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestAsInitReadiness: a longrun with notification-fd is ready once it says
// so; what depends on it starts after that (s6-rc -u), s6-svstat shows it,
// and the Hermes user may read it.
func TestAsInitReadiness(t *testing.T) {
	is := is.New(t)
	r := newRootfs(t)
	dir := "/etc/s6-overlay/s6-rc.d/slow"
	r.write(dir+"/type", "longrun\n", 0o644)
	r.write(dir+"/notification-fd", "3\n", 0o644)
	r.script(dir+"/run", "/bin/sh", logged("slow starting")+`
sleep 0.3
`+logged("slow ready")+`
echo >&3
exec sleep 1000`)
	r.touch(dir + "/dependencies.d/base")
	r.oneshot("after", "slow")
	r.inBundle("user", "after")
	p := r.start([]string{rootPath}, "sleep", "1000")
	r.waitLog("after up", 30*time.Second)
	before(t, r.logLines(), "slow ready", "after up")
	out, code := r.exec(p, 10000, "/command/s6-svstat", "/run/service/slow")
	is.Equal(code, 0)
	is.True(strings.HasPrefix(out, "up (pid ")) // s6-svstat's human line
	is.True(strings.Contains(out, ", ready "))  // ... says it is ready
	out, code = r.exec(p, 0, "/command/s6-svstat", "-o", "up,ready", "/run/service/slow")
	is.Equal(code, 0)
	is.Equal(strings.TrimSpace(out), "true true")
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(30*time.Second), 0)
}

// TestAsInitHalt: a finish script writes the container's exit code and runs
// /run/s6/basedir/bin/halt, as s6-overlay's README shows: the container
// stops with that code.
func TestAsInitHalt(t *testing.T) {
	is := is.New(t)
	r := newRootfs(t)
	r.script("/etc/services.d/job/run", "/bin/sh", logged("job ran")+"; exit 3")
	r.script("/etc/services.d/job/finish", "/bin/sh", `
if [ "$1" -eq 256 ]; then e=$((128 + $2)); else e=$1; fi
echo "$((e + 40))" > /run/s6-linux-init-container-results/exitcode
exec /run/s6/basedir/bin/halt`)
	p := r.start([]string{rootPath}) // no main program: until halted
	is.Equal(p.wait(30*time.Second), 43)
	is.Equal(r.logLines()[0], "job ran")
}

// TestAsInitPipeline: a producer's stdout is its consumer's stdin (s6-rc
// pipelines; the README's logging example), and the pipeline's name is a
// bundle.
func TestAsInitPipeline(t *testing.T) {
	is := is.New(t)
	r := newRootfs(t)
	d := "/etc/s6-overlay/s6-rc.d/"
	r.write(d+"app/type", "longrun\n", 0o644)
	r.script(d+"app/run", "/bin/sh", "echo hello from app; echo line two; exec sleep 1000")
	r.write(d+"app/producer-for", "app-log\n", 0o644)
	r.touch(d + "app/dependencies.d/base")
	r.write(d+"app-log/type", "longrun\n", 0o644)
	r.script(d+"app-log/run", "/bin/sh", `while read -r l; do `+logged("log: $l")+`; done`)
	r.write(d+"app-log/consumer-for", "app\n", 0o644)
	r.write(d+"app-log/pipeline-name", "app-pipeline\n", 0o644)
	r.touch(d + "app-log/dependencies.d/base")
	r.inBundle("user", "app-pipeline")
	p := r.start([]string{rootPath}, "sleep", "1000")
	r.waitLog("log: line two", 30*time.Second)
	is.Equal(r.logLines(), []string{"log: hello from app", "log: line two"})
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(30*time.Second), 0)
}

// TestAsInitStopIsBounded: a cont-finish script that hangs is killed after
// S6_KILL_FINISH_MAXTIME, a services.d service that ignores SIGTERM is left
// after S6_SERVICES_GRACETIME, and what is still running at the end (that
// service, a stray a cont-init script started) gets SIGTERM, then SIGKILL
// after S6_KILL_GRACETIME: the stop ends, with status 0.
func TestAsInitStopIsBounded(t *testing.T) {
	is := is.New(t)
	r := newRootfs(t)
	r.script("/etc/cont-init.d/01-stray", "/bin/sh", `setsid sh -c 'trap "" TERM; exec sleep 1000' </dev/null >/dev/null 2>&1 &
`+logged("stray started"))
	r.script("/etc/services.d/stubborn/run", "/bin/sh", `trap '`+logged("stubborn got TERM")+`' TERM
`+logged("stubborn up")+`
while :; do sleep 0.05; done`)
	r.script("/etc/cont-finish.d/01-hang", "/bin/sh", logged("finish hangs")+"; exec sleep 1000")
	r.script("/etc/cont-finish.d/02-after", "/bin/sh", logged("finish after"))
	p := r.start([]string{rootPath, "S6_KILL_FINISH_MAXTIME=300", "S6_SERVICES_GRACETIME=300", "S6_KILL_GRACETIME=300"}, "sleep", "1000")
	r.waitLog("stubborn up", 30*time.Second)
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(30*time.Second), 0)
	lines := r.logLines()
	is.True(slices.Index(lines, "stubborn got TERM") < slices.Index(lines, "finish hangs")) // services.d down first
	before(t, lines, "finish hangs", "finish after")                                        // the hanging one was killed
	is.True(strings.Contains(p.errors(), "stubborn still running after 300ms"))
}

// TestAsInitSignals: as s6-overlay's PID 1, SIGUSR1 (poweroff) stops the
// container like SIGTERM, the main program getting SIGTERM; SIGHUP picks up
// a service directory created in /run/service; with S6_CMD_RECEIVE_SIGNALS
// a docker stop's SIGTERM goes to the main program, whose status is then the
// container's.
func TestAsInitSignals(t *testing.T) {
	t.Run("USR1 stops", func(t *testing.T) {
		is := is.New(t)
		r := newRootfs(t)
		p := r.start([]string{rootPath}, "/bin/sh", "-c", "trap '"+logged("main got TERM")+"; exit 0' TERM; "+logged("main")+"; while :; do sleep 0.05; done")
		r.waitLog("main", 30*time.Second)
		p.signal(syscall.SIGUSR1)
		is.Equal(p.wait(30*time.Second), 0)
		is.Equal(r.logLines(), []string{"main", "main got TERM"})
	})
	t.Run("HUP scans", func(t *testing.T) {
		is := is.New(t)
		r := newRootfs(t)
		p := r.start([]string{rootPath}, "sleep", "1000")
		// Once stage 2 is over, /proc/PID/root is the container's root
		// (before the chroot it is the host's).
		waitFor(t, 30*time.Second, "the end of stage 2", func() bool {
			return strings.Contains(p.errors(), "service legacy-services successfully started")
		})
		staging := r.inside(p, "/run/service/.later.tmp")
		is.NoErr(os.MkdirAll(staging, 0o755))
		is.NoErr(os.WriteFile(filepath.Join(staging, "run"), []byte("#!/bin/sh\n"+logged("later up")+"\nexec sleep 1000\n"), 0o755))
		is.NoErr(os.Rename(staging, r.inside(p, "/run/service/later"))) // published whole, as Hermes does
		p.signal(syscall.SIGHUP)
		r.waitLog("later up", 30*time.Second)
		p.signal(syscall.SIGTERM)
		is.Equal(p.wait(30*time.Second), 0)
	})
	t.Run("CMD receives signals", func(t *testing.T) {
		is := is.New(t)
		r := newRootfs(t)
		r.longrun("svc", "base")
		r.inBundle("user", "svc")
		p := r.start([]string{rootPath, "S6_CMD_RECEIVE_SIGNALS=1"}, "/bin/sh", "-c", "trap '"+logged("main got TERM")+"; exit 5' TERM; "+logged("main")+"; while :; do sleep 0.05; done")
		r.waitLog("main", 30*time.Second)
		p.signal(syscall.SIGTERM)
		is.Equal(p.wait(30*time.Second), 5) // the main program's status
		lines := r.logLines()
		before(t, lines, "main got TERM", "svc down")
		is.True(slices.Contains(lines, "svc down"))
	})
}

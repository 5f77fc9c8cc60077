package main

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// The tests of hermes-init as s6-overlay v3's /init run an s6-overlay
// service tree of our own, unchanged, in a container root (rootfs_test.go):
// what s6-overlay's README and scripts say it does is what they check.

// fullTree lays out every kind of s6-overlay v3 input: the stage-2 hook,
// cont-init scripts (named so that byte order differs from numeric order),
// s6-rc oneshots and longruns with dependencies in the user bundle, a legacy
// /etc/services.d service, a user2 service after it, and a cont-finish
// script. Every step appends a line to rootLog.
func fullTree(r *rootfs) {
	r.script("/opt/hook", "/bin/sh", logged(`hook uid=$(id -u) FOO=${FOO-unset} PATH=$PATH`))
	r.script("/etc/cont-init.d/01-plain", "/bin/sh", logged(`cont-init 01-plain uid=$(id -u) FOO=${FOO-unset} PATH=$PATH`))
	r.script("/etc/cont-init.d/10-contenv", "/command/with-contenv sh", logged(`cont-init 10-contenv FOO=${FOO-unset}`))
	r.script("/etc/cont-init.d/2-last", "/bin/sh", logged(`cont-init 2-last`))
	r.oneshot("prep", "base")
	r.longrun("db", "base")
	r.longrun("app", "db", "prep")
	r.inBundle("user", "app")
	r.script("/etc/services.d/legacy/run", "/bin/sh", daemon("legacy"))
	r.write("/etc/services.d/legacy/notification-fd", "3\n", 0o644)
	r.longrun("late", "legacy-services")
	r.inBundle("user2", "late")
	r.script("/etc/cont-finish.d/01-bye", "/bin/sh", logged(`cont-finish 01-bye`))
}

// before fails the test unless every line starting with a comes before
// every line starting with b.
func before(t *testing.T, lines []string, a, b string) {
	t.Helper()
	ia, ib := -1, -1
	for i, l := range lines {
		if strings.HasPrefix(l, a) {
			ia = max(ia, i)
		}
		if strings.HasPrefix(l, b) && ib < 0 {
			ib = i
		}
	}
	if ia < 0 || ib < 0 || ia > ib {
		t.Errorf("want %q before %q; the log:\n%s", a, b, strings.Join(lines, "\n"))
	}
}

func line(t *testing.T, lines []string, prefix string) string {
	t.Helper()
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line %q; the log:\n%s", prefix, strings.Join(lines, "\n"))
	return ""
}

// TestAsInitOrderEnvironmentAndExitCode: stage 2 in s6-overlay's order, the
// main program last, with s6-overlay's environment (PATH alone, /command
// first; the container's with with-contenv), root everywhere, the
// container's working directory for the main program; when it exits the
// services stop in reverse dependency order, cont-finish runs, and its
// status is the container's.
func TestAsInitOrderEnvironmentAndExitCode(t *testing.T) {
	is := is.New(t)
	r := newRootfs(t)
	fullTree(r)
	// S6_CMD_WAIT_FOR_SERVICES: the user2 service waits for the legacy
	// one to be ready, so that the order of their lines is fixed.
	p := r.start([]string{rootPath, "FOO=bar", "S6_STAGE2_HOOK=/opt/hook", "S6_CMD_WAIT_FOR_SERVICES=1"},
		"/bin/sh", "-c", logged(`main uid=$(id -u) FOO=${FOO-unset} PATH=$PATH cwd=$(pwd)`)+"; exit 7")
	is.Equal(p.wait(60*time.Second), 7) // the main program's status
	lines := r.logLines()
	for _, pair := range [][2]string{
		{"hook", "cont-init 01-plain"}, {"cont-init 01-plain", "cont-init 10-contenv"}, {"cont-init 10-contenv", "cont-init 2-last"},
		{"cont-init 2-last", "prep up"}, {"cont-init 2-last", "db up"},
		{"prep up", "app up"}, {"db up", "app up"}, {"app up", "legacy up"}, {"legacy up", "late up"}, {"late up", "main"},
		// the stop: reverse order
		{"main", "late down"}, {"late down", "legacy down"}, {"legacy down", "app down"},
		{"app down", "db down"}, {"app down", "prep down"}, {"db down", "cont-finish 01-bye"}, {"prep down", "cont-finish 01-bye"},
	} {
		before(t, lines, pair[0], pair[1])
	}
	const path = "PATH=/command:/opt/bin:/usr/local/bin:/usr/bin:/bin"
	is.Equal(line(t, lines, "hook"), "hook uid=0 FOO=unset "+path)
	is.Equal(line(t, lines, "cont-init 01-plain"), "cont-init 01-plain uid=0 FOO=unset "+path)
	is.Equal(line(t, lines, "cont-init 10-contenv"), "cont-init 10-contenv FOO=bar") // with-contenv
	is.Equal(line(t, lines, "db up"), "db up uid=0 FOO=unset "+path+" cwd=/run/s6-rc/servicedirs/db argv=/run/s6-rc/servicedirs/db/run db")
	is.Equal(line(t, lines, "prep up"), "prep up uid=0")
	is.Equal(line(t, lines, "legacy up"), "legacy up uid=0 FOO=unset "+path+" cwd=/run/s6/legacy-services/legacy argv=/run/s6/legacy-services/legacy/run legacy")
	is.Equal(line(t, lines, "main"), "main uid=0 FOO=unset "+path+" cwd="+rootWork)
}

// TestAsInitDockerStop: a stop signal brings the services down in reverse
// order and runs cont-finish; the container's status is 0 (s6-overlay's
// exit code file says 0 unless a script wrote another), also when the main
// program dies of the signal.
func TestAsInitDockerStop(t *testing.T) {
	is := is.New(t)
	r := newRootfs(t)
	fullTree(r)
	p := r.start([]string{rootPath, "S6_CMD_WAIT_FOR_SERVICES=1"}, "/bin/sh", "-c", logged("main")+"; exec sleep 1000")
	r.waitLog("main", 30*time.Second)
	p.signal(syscall.SIGTERM)
	is.Equal(p.wait(30*time.Second), 0)
	lines := r.logLines()
	for _, pair := range [][2]string{{"late down", "legacy down"}, {"legacy down", "app down"}, {"app down", "db down"}, {"db down", "cont-finish"}} {
		before(t, lines, pair[0], pair[1])
	}
}

// TestAsInitStage2Fails: S6_BEHAVIOUR_IF_STAGE2_FAILS decides what a failed
// cont-init script does: 0 goes on, 2 stops the container with s6-rc's
// status 1 before the services that depend on base and the main program.
func TestAsInitStage2Fails(t *testing.T) {
	for _, c := range []struct {
		behaviour string
		status    int
		ran       bool
	}{{"0", 5, true}, {"1", 5, true}, {"2", 1, false}} {
		t.Run("behaviour="+c.behaviour, func(t *testing.T) {
			is := is.New(t)
			r := newRootfs(t)
			r.script("/etc/cont-init.d/01-fails", "/bin/sh", logged("cont-init fails")+"; exit 3")
			r.longrun("app", "base")
			r.inBundle("user", "app")
			p := r.start([]string{rootPath, "S6_BEHAVIOUR_IF_STAGE2_FAILS=" + c.behaviour},
				"/bin/sh", "-c", logged("main")+"; exit 5")
			is.Equal(p.wait(30*time.Second), c.status) // the container's status
			lines := r.logLines()
			is.Equal(slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "main") }), c.ran)   // main program run
			is.Equal(slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "app up") }), c.ran) // app (depends on base) started
			if c.behaviour == "1" {
				is.True(strings.Contains(p.errors(), "cont-init: warning: some scripts exited nonzero"))
			}
		})
	}
}

// TestAsInitHookFails: with S6_BEHAVIOUR_IF_STAGE2_FAILS=2 a failing stage-2
// hook stops the container at once with the hook's status.
func TestAsInitHookFails(t *testing.T) {
	is := is.New(t)
	r := newRootfs(t)
	r.script("/opt/hook", "/bin/sh", "exit 9")
	r.script("/etc/cont-init.d/01", "/bin/sh", logged("cont-init"))
	p := r.start([]string{rootPath, "S6_STAGE2_HOOK=/opt/hook", "S6_BEHAVIOUR_IF_STAGE2_FAILS=2"}, "/bin/true")
	is.Equal(p.wait(30*time.Second), 9)
	is.Equal(len(r.logLines()), 0) // nothing ran after the hook
	is.True(strings.Contains(p.errors(), "hook /opt/hook exited 9"))
}

// TestAsInitMainProgram: S6_CMD_ARG0 goes in front of the command;
// S6_KEEP_ENV gives the main program the container's environment; a command
// that is not found ends the container with 127, as rc.init's shell would.
func TestAsInitMainProgram(t *testing.T) {
	t.Run("arg0", func(t *testing.T) {
		is := is.New(t)
		r := newRootfs(t)
		r.script("/opt/bin/wrap", "/bin/sh", logged("wrap $*")+`; shift; exec "$@"`)
		p := r.start([]string{rootPath, "S6_CMD_ARG0=/opt/bin/wrap --flag"}, "/bin/sh", "-c", "exit 4")
		is.Equal(p.wait(30*time.Second), 4)
		is.Equal(r.logLines(), []string{"wrap --flag /bin/sh -c exit 4"})
	})
	t.Run("keep env", func(t *testing.T) {
		is := is.New(t)
		r := newRootfs(t)
		p := r.start([]string{rootPath, "FOO=bar", "S6_KEEP_ENV=1"}, "/bin/sh", "-c", logged("main FOO=${FOO-unset}"))
		is.Equal(p.wait(30*time.Second), 0)
		is.Equal(r.logLines(), []string{"main FOO=bar"})
	})
	t.Run("not found", func(t *testing.T) {
		is := is.New(t)
		r := newRootfs(t)
		p := r.start([]string{rootPath}, "no-such-program")
		is.Equal(p.wait(30*time.Second), 127)
		is.True(strings.Contains(p.errors(), `"no-such-program"`)) // the message names it
	})
}

// hermesImage makes the root an image of the Hermes kind, of our own: the
// stub gateway as hermes, a main wrapper that runs the container's command
// as the gateway user (s6-setuidgid by name, as s6-overlay images do) and
// hands a first word that is not a program to hermes, HERMES_HOME. swap:
// the image's own cont-init script registers the default slot in
// /run/service, as Hermes's reconciler does under s6-overlay; native:
// hermes-init's configuration makes the boot plan do it.
func hermesImage(r *rootfs, native bool) []string {
	r.script("/opt/wrapper.sh", "/command/with-contenv sh", `set -e
as_user() { if [ "$(id -u)" = 0 ]; then exec s6-setuidgid hermes "$@"; fi; exec "$@"; }
[ "$#" -gt 0 ] || as_user hermes
if command -v "$1" >/dev/null 2>&1; then as_user "$@"; fi
as_user hermes "$@"`)
	if native {
		r.write("/etc/hermes-init/hermes-init.toml", "grace = \"5s\"\n[restart]\nbackoff_min = \"100ms\"\n", 0o644)
	} else {
		r.script("/etc/cont-init.d/02-register", "/bin/sh", `set -e
chown hermes:hermes /run/service
mkdir /run/service/.gateway-default.tmp
printf '#!/bin/sh\nexec hermes gateway run --replace\n' > /run/service/.gateway-default.tmp/run
chmod 755 /run/service/.gateway-default.tmp/run
touch /run/service/.gateway-default.tmp/down
chown -R hermes:hermes /run/service/.gateway-default.tmp
mv /run/service/.gateway-default.tmp /run/service/gateway-default`)
	}
	return []string{rootPath, "HERMES_HOME=" + rootHome}
}

// TestAsInitHermesCommands: the container commands of the Hermes image work
// through its main wrapper under /init (issue: the way in was broken):
// a program (`sleep 1`) runs as the gateway user and its status is the
// container's; a hermes subcommand (`dashboard ...`, `version`) reaches
// hermes; `gateway run` is handed over to the default slot by the gateway
// itself, which says so; `gateway run --no-supervise` and
// HERMES_GATEWAY_NO_SUPERVISE=1 run the gateway as the main program, with
// the slot left down.
func TestAsInitHermesCommands(t *testing.T) {
	for _, native := range []bool{false, true} {
		mode := map[bool]string{false: "swap", true: "native"}[native]
		t.Run(mode+"/programs", func(t *testing.T) {
			is := is.New(t)
			r := newRootfs(t)
			env := hermesImage(r, native)
			p := r.start(env, "/opt/wrapper.sh", "sh", "-c", "sleep 1; echo \"uid=$(id -u)\"; exit 3")
			is.Equal(p.wait(30*time.Second), 3) // sleep ran, through s6-setuidgid
			is.True(slices.Contains(p.output(), "uid="+gwUID))
			p = r.start(env, "/opt/wrapper.sh", "dashboard", "--host", "127.0.0.1", "--no-open")
			is.Equal(p.wait(30*time.Second), 0)
			is.True(strings.HasPrefix(p.waitLine("stub-gateway: dashboard pid=", time.Second), "stub-gateway: dashboard pid=")) // hermes dashboard ran
			p = r.start(env, "/opt/wrapper.sh", "version")
			is.Equal(p.wait(30*time.Second), 0)
			p.waitLine("hermes stub-gateway", time.Second)
		})
		t.Run(mode+"/gateway run", func(t *testing.T) {
			is := is.New(t)
			r := newRootfs(t)
			p := r.start(hermesImage(r, native), "/opt/wrapper.sh", "gateway", "run")
			l := p.waitLine("stub-gateway: profile=default pid=", 30*time.Second)
			is.True(strings.Contains(l, "gateway is now running under s6 supervision")) // the hand-over's breadcrumb
			p.waitLine("[gateway-default] stub-gateway: profile=default pid=", 30*time.Second)
			waitFor(t, 30*time.Second, "the main program to be sleep infinity, a child of PID 1", func() bool {
				return slices.Contains(childComms(p.pid()), "sleep")
			})
			p.signal(syscall.SIGTERM)
			is.Equal(p.wait(30*time.Second), 0)
		})
		for _, optOut := range []struct {
			name string
			env  []string
			args []string
		}{
			{"--no-supervise", nil, []string{"gateway", "run", "--no-supervise"}},
			{"HERMES_GATEWAY_NO_SUPERVISE", []string{"HERMES_GATEWAY_NO_SUPERVISE=1"}, []string{"gateway", "run"}},
		} {
			t.Run(mode+"/"+optOut.name, func(t *testing.T) {
				is := is.New(t)
				r := newRootfs(t)
				env := append(hermesImage(r, native), optOut.env...)
				p := r.start(env, append([]string{"/opt/wrapper.sh"}, optOut.args...)...)
				l := p.waitLine("stub-gateway: profile=default pid=", 30*time.Second)
				is.True(!strings.Contains(l, "s6 supervision")) // no hand-over
				p.waitLine("stub-gateway: profile=default pid=", time.Second)
				waitFor(t, 30*time.Second, "the gateway to run as the main program", func() bool {
					return slices.ContainsFunc(p.output(), func(l string) bool {
						return strings.HasPrefix(l, "stub-gateway: profile=default") && strings.HasSuffix(l, "state=running")
					})
				})
				p.signal(syscall.SIGTERM)
				is.Equal(p.wait(30*time.Second), 0)
				for _, l := range p.output() {
					is.True(!strings.HasPrefix(l, "[gateway-default]")) // the slot never ran
				}
			})
		}
	}
}

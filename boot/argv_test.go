package boot

import (
	"testing"

	"github.com/matryer/is"
)

func TestHermesArgs(t *testing.T) {
	cases := []struct {
		argv, want []string
	}{
		{nil, nil},
		{[]string{"/init", "/opt/hermes/docker/main-wrapper.sh", "gateway", "run"}, []string{"gateway", "run"}},
		{[]string{"s6-svscan", "x", "/opt/hermes/docker/main-wrapper.sh", "hermes", "chat"}, []string{"chat"}},
		{[]string{"/init", "gateway", "run"}, []string{"gateway", "run"}},
		{[]string{"/package/x/init", "hermes", "dashboard"}, []string{"dashboard"}},
		{[]string{"/opt/hermes/docker/entrypoint-dispatch.sh", "dashboard"}, []string{"dashboard"}},
		{[]string{"/opt/hermes/docker/entrypoint-dispatch.sh", "/opt/hermes/bin/hermes", "gateway", "run"}, []string{"gateway", "run"}},
		{[]string{"hermes", "gateway"}, []string{"gateway"}},
		{[]string{"main-wrapper.sh"}, []string{}},
		{[]string{"a", "main-wrapper.sh", "b", "main-wrapper.sh", "c"}, []string{"b", "main-wrapper.sh", "c"}}, // the first token
		{[]string{"initx", "gateway"}, []string{"initx", "gateway"}},
		{[]string{"hermes", "hermes", "x"}, []string{"hermes", "x"}}, // one hermes only
		{[]string{"sh", "-c", "hermes dashboard"}, []string{"sh", "-c", "hermes dashboard"}},
		// As upstream reads /proc/PID/cmdline: empty arguments vanish.
		{[]string{"", "dashboard"}, []string{"dashboard"}},
		{[]string{"/opt/hermes/docker/main-wrapper.sh", "", "hermes", "", "gateway", "run"}, []string{"gateway", "run"}},
		// As pathlib names a path: "." components and trailing slashes do not count.
		{[]string{"/usr/bin/hermes/.", "dashboard"}, []string{"dashboard"}},
		{[]string{"/sbin/init/", "hermes/./", "gateway"}, []string{"gateway"}},
		{[]string{"/sbin/init/..", "gateway"}, []string{"/sbin/init/..", "gateway"}},
		{[]string{"/", "gateway"}, []string{"/", "gateway"}},
	}
	for _, c := range cases {
		is := is.New(t)
		got := hermesArgs(c.argv)
		if len(c.want) == 0 {
			is.Equal(len(got), 0)
			continue
		}
		is.Equal(got, c.want)
	}
}

func TestLegacyGatewayRun(t *testing.T) {
	cases := []struct {
		argv []string
		want bool
	}{
		{[]string{"gateway", "run"}, true},
		{[]string{"hermes", "gateway", "run", "--replace"}, true},
		{[]string{"/init", "/opt/hermes/docker/main-wrapper.sh", "gateway", "run", "-v"}, true},
		{[]string{"gateway", "run", "--no-supervise"}, false},
		{[]string{"--no-supervise", "gateway", "run"}, false},
		{[]string{"gateway"}, false},
		{[]string{"gateway", "start"}, false},
		{[]string{"-p", "work", "gateway", "run"}, false}, // as upstream: args[0] must be gateway
		{[]string{"run", "gateway"}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := isLegacyGatewayRun(c.argv); got != c.want {
			t.Errorf("isLegacyGatewayRun(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
}

func TestNoSupervise(t *testing.T) {
	is := is.New(t)
	for _, v := range []string{"1", "true", "True", "YES"} {
		is.True(noSupervise(v)) // no-supervise set
	}
	for _, v := range []string{"", "on", " 1", "true ", "0", "no"} {
		is.True(!noSupervise(v)) // exactly upstream: no trim, no "on"
	}
}

package config

import (
	"testing"

	"github.com/matryer/is"
)

func TestGatewayArgv(t *testing.T) {
	for _, tc := range []struct {
		name        string
		command     []string
		profileArgs []string
		profile     string
		want        []string
	}{
		{"root profile", nil, nil, "default", []string{"hermes", "gateway", "run", "--replace"}},
		{"empty profile is root", nil, nil, "", []string{"hermes", "gateway", "run", "--replace"}},
		{"named profile", nil, nil, "work", []string{"hermes", "-p", "work", "gateway", "run", "--replace"}},
		{"placeholder inside an argument", []string{"/bin/gw"}, []string{"--profile={profile}", "--log=/var/log/{profile}.log"}, "x",
			[]string{"/bin/gw", "--profile=x", "--log=/var/log/x.log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			c := Default()
			if tc.command != nil {
				c.Gateway.Command = tc.command
			}
			if tc.profileArgs != nil {
				c.Gateway.ProfileArgs = tc.profileArgs
			}
			argv := c.GatewayArgv(tc.profile)
			is.Equal(argv, tc.want)
			argv[0] = "changed"
			is.True(c.Gateway.Command[0] != "changed") // a new slice every time
		})
	}
}

func TestGatewayEnv(t *testing.T) {
	is := is.New(t)
	c := Default()
	base := []string{"PATH=/usr/bin", "HOME=/root", "HERMES_HOME=/elsewhere", "TERM=xterm", "PATH=/dup"}
	is.Equal(c.GatewayEnv(base, "/opt/data"), []string{
		"PATH=/dup",
		"HOME=/opt/data",
		"HERMES_HOME=/opt/data",
		"TERM=xterm",
		"HERMES_S6_SUPERVISED_CHILD=1",
		"HERMES_SUPERVISED_CHILD=1",
	})

	c.Gateway.Env = map[string]string{"TERM": "dumb", "HOME": "/home/h", "A": "1", "HERMES_SUPERVISED_CHILD": "0"}
	is.Equal(c.GatewayEnv(base, "/data"), []string{
		"PATH=/dup",
		"HOME=/home/h", // the configured env wins
		"HERMES_HOME=/data",
		"TERM=dumb",
		"HERMES_S6_SUPERVISED_CHILD=1",
		"HERMES_SUPERVISED_CHILD=0",
		"A=1",
	})
	is.Equal(base[1], "HOME=/root") // base is not modified
	is.Equal(c.GatewayEnv(nil, "/d"), []string{"HERMES_HOME=/d", "HOME=/home/h", "HERMES_S6_SUPERVISED_CHILD=1", "HERMES_SUPERVISED_CHILD=0", "A=1", "TERM=dumb"})
}

func TestServiceEnviron(t *testing.T) {
	is := is.New(t)
	s := newService("dash")
	s.Env = map[string]string{"B": "2", "A": "1"}
	is.Equal(s.Environ([]string{"B=0", "C=3"}), []string{"B=2", "C=3", "A=1"})
}

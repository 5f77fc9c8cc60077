package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestDefaultsWithoutFile(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	c, err := load(filepath.Join(f.dir, "absent.toml"), false, nil, nil, f.passwd, f.group)
	is.NoErr(err)             // an implicit missing file is the defaults
	is.Equal(c, Default())    // no file, no variables, no passwd: Default
	is.Equal(c.File, "")      // no file was read
	is.Equal(c.Warnings, nil) // nothing to say
}

func TestExplicitMissingFile(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	path := filepath.Join(f.dir, "absent.toml")
	_, err := load(path, true, nil, nil, f.passwd, f.group)
	is.True(err != nil) // a file the user named must exist
	is.Equal(err.Error(), path+": unable to read: no such file or directory")
}

func TestUnreadableFile(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	_, err := load(f.dir, false, nil, nil, f.passwd, f.group) // a directory
	is.Equal(err.Error(), f.dir+": unable to read: not a regular file")

	big := filepath.Join(f.dir, "big.toml")
	f.write(t, big, "# "+strings.Repeat("x", maxFileBytes)+"\n")
	_, err = load(big, true, nil, nil, f.passwd, f.group)
	is.Equal(err.Error(), big+": file too large (more than 1048576 bytes)")
}

func TestEmptyFileIsDefaults(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	f.write(t, f.file, "# nothing\n")
	c, err := load(f.file, true, nil, nil, f.passwd, f.group)
	is.NoErr(err)
	want := Default()
	want.File = f.file
	is.Equal(c, want)
}

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		name     string
		flag     string
		environ  []string
		want     string
		explicit bool
	}{
		{"default", "", nil, DefaultPath, false},
		{"variable", "", []string{"HERMES_INIT_CONFIG=/x.toml"}, "/x.toml", true},
		{"empty variable", "", []string{"HERMES_INIT_CONFIG="}, DefaultPath, false},
		{"flag wins", "/flag.toml", []string{"HERMES_INIT_CONFIG=/x.toml"}, "/flag.toml", true},
		{"first duplicate wins", "", []string{"HERMES_INIT_CONFIG=/a", "HERMES_INIT_CONFIG=/b"}, "/a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			path, explicit := Path(tc.flag, tc.environ)
			is.Equal(path, tc.want)
			is.Equal(explicit, tc.explicit)
		})
	}
}

// fullFile sets every key to something other than its default.
const fullFile = `
grace = "10s"
leftover_grace = 3            # plain seconds
log_level = "DEBUG"           # case does not matter
cgroup = "v2"
cgroup_root = "/hermes"
control_socket = "/run/h/ctl.sock"

[gateway]
enabled = false
home = "/data"
command = ["/usr/bin/hermes", "gateway", "run"]
profile_args = ["--profile={profile}"]
user = 1234
group = "4321"
fallback_uid = 1
fallback_gid = 2
workdir = "/work"
env = { A = "1", "B.C" = "x y" }
multiplex = true
memory_max = "512M"
pids_max = 100

[restart]
backoff_min = "500ms"
backoff_max = "2m"
stable_after = "1m30s"
crash_loop_max = 0

[logs]
max_bytes = 4096
keep = 0
stdout = false

[[service]]
name = "dashboard"
command = ["hermes", "dashboard", "--port", "9119"]
user = ""
group = ""
workdir = "/srv"
memory_max = 1048576
pids_max = "max"
autostart = false
[service.env]
HERMES_DASHBOARD = "1"

[[service]]
name = "side_car-2"
command = ["sleep", "infinity"]
`

func TestFullFile(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	c, err := f.load(t, fullFile)
	is.NoErr(err)
	want := withDefaults(func(c *Config) {
		c.File = f.file
		c.Grace = 10 * time.Second
		c.LeftoverGrace = 3 * time.Second
		c.LogLevel = "debug"
		c.Cgroup = "v2"
		c.CgroupRoot = "/hermes"
		c.ControlSocket = "/run/h/ctl.sock"
		c.Gateway = Gateway{
			Enabled:     false,
			Home:        "/data",
			Command:     []string{"/usr/bin/hermes", "gateway", "run"},
			ProfileArgs: []string{"--profile={profile}"},
			FallbackUID: 1,
			FallbackGID: 2,
			Multiplex:   boolPtr(true),
			Exec: Exec{
				User: "1234", Group: "4321", UID: 1234, GID: 4321, Groups: []int{4321},
				Workdir:   "/work",
				Env:       map[string]string{"A": "1", "B.C": "x y"},
				MemoryMax: 512 << 20,
				PidsMax:   100,
			},
		}
		c.Restart = Restart{BackoffMin: 500 * time.Millisecond, BackoffMax: 2 * time.Minute, StableAfter: 90 * time.Second}
		c.Logs = Logs{MaxBytes: 4096}
		dash := newService("dashboard")
		dash.Command = []string{"hermes", "dashboard", "--port", "9119"}
		dash.Autostart = false
		dash.Exec = Exec{User: "", Group: "", UID: Self, GID: Self, Workdir: "/srv",
			Env: map[string]string{"HERMES_DASHBOARD": "1"}, MemoryMax: 1 << 20}
		side := newService("side_car-2")
		side.Command = []string{"sleep", "infinity"}
		// user and group "hermes" fall back to gateway.fallback_uid/gid.
		side.UID, side.GID, side.Groups = 1, 2, []int{2}
		c.Services = []Service{dash, side}
	})
	is.Equal(c, want)
}

func TestHome(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		environ []string
		want    string
	}{
		{"default", "", nil, "/opt/data"},
		{"HERMES_HOME", "", []string{"HERMES_HOME=/srv/h"}, "/srv/h"},
		{"file over HERMES_HOME", "[gateway]\nhome = \"/f\"\n", []string{"HERMES_HOME=/srv/h"}, "/f"},
		{"empty home is HERMES_HOME", "[gateway]\nhome = \"\"\n", []string{"HERMES_HOME=/srv/h"}, "/srv/h"},
		{"variable over file", "[gateway]\nhome = \"/f\"\n", []string{"HERMES_INIT_GATEWAY_HOME=/v"}, "/v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture(t)
			c, err := f.load(t, tc.file, tc.environ...)
			is.NoErr(err)
			is.Equal(c.Gateway.Home, tc.want)
		})
	}
	is := is.New(t)
	_, err := newFixture(t).load(t, "", "HERMES_HOME=relative")
	is.Equal(err.Error(), `HERMES_HOME: want an absolute path, got "relative"`)
}

func TestLoadReadsEtc(t *testing.T) {
	is := is.New(t)
	if _, err := os.Stat(passwdFile); err != nil {
		t.Skip("no /etc/passwd")
	}
	c, err := Load(filepath.Join(t.TempDir(), "absent.toml"), false, []string{"HERMES_INIT_GATEWAY_USER=0", "HERMES_INIT_GATEWAY_GROUP=0"})
	is.NoErr(err)
	is.Equal(c.Gateway.UID, 0)
	is.Equal(c.Gateway.GID, 0)
}

package config

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestEnvOverrides: a variable sets each kind of key, over the file.
func TestEnvOverrides(t *testing.T) {
	file := `
grace = "1s"
[gateway]
command = ["from", "file"]
env = { FILE = "1" }
multiplex = false
[[service]]
name = "dash-board"
command = ["hermes", "dashboard"]
`
	dash := func(c *Config) *Service { return &c.Services[0] }
	for _, tc := range []struct {
		name    string
		environ []string
		edit    func(c *Config)
	}{
		{"duration", []string{"HERMES_INIT_GRACE=3s"}, func(c *Config) { c.Grace = 3 * time.Second }},
		{"duration seconds", []string{"HERMES_INIT_LEFTOVER_GRACE=0.5"}, func(c *Config) { c.LeftoverGrace = 500 * time.Millisecond }},
		{"integer", []string{"HERMES_INIT_RESTART_CRASH_LOOP_MAX=7"}, func(c *Config) { c.Restart.CrashLoopMax = 7 }},
		{"bool", []string{"HERMES_INIT_GATEWAY_ENABLED=false"}, func(c *Config) { c.Gateway.Enabled = false }},
		{"bool words", []string{"HERMES_INIT_LOGS_STDOUT=no"}, func(c *Config) { c.Logs.Stdout = false }},
		{"optional bool", []string{"HERMES_INIT_GATEWAY_MULTIPLEX=TRUE"}, func(c *Config) { c.Gateway.Multiplex = boolPtr(true) }},
		{"optional bool unset", []string{"HERMES_INIT_GATEWAY_MULTIPLEX=auto"}, func(c *Config) { c.Gateway.Multiplex = nil }},
		{"enum", []string{"HERMES_INIT_LOG_LEVEL=Debug"}, func(c *Config) { c.LogLevel = "debug" }},
		{"enum alias", []string{"HERMES_INIT_LOG_LEVEL=warning", "HERMES_INIT_CGROUP=hybrid"}, func(c *Config) { c.LogLevel, c.Cgroup = "warn", "v2" }},
		{"string", []string{"HERMES_INIT_CGROUP_ROOT=/hermes"}, func(c *Config) { c.CgroupRoot = "/hermes" }},
		{"array words", []string{"HERMES_INIT_GATEWAY_COMMAND=  /bin/hermes\tgateway  run\n"}, func(c *Config) {
			c.Gateway.Command = []string{"/bin/hermes", "gateway", "run"}
		}},
		{"array JSON", []string{`HERMES_INIT_GATEWAY_COMMAND=["/opt/my hermes", "gateway", ""]`}, func(c *Config) {
			c.Gateway.Command = []string{"/opt/my hermes", "gateway", ""}
		}},
		{"table lines", []string{"HERMES_INIT_GATEWAY_ENV=A=1\n\nB=x=y; z\r\nC="}, func(c *Config) {
			c.Gateway.Env = map[string]string{"A": "1", "B": "x=y; z", "C": ""}
		}},
		{"table JSON", []string{`HERMES_INIT_GATEWAY_ENV={"A": "1\n2"}`}, func(c *Config) {
			c.Gateway.Env = map[string]string{"A": "1\n2"}
		}},
		{"empty table", []string{`HERMES_INIT_GATEWAY_ENV={}`}, func(c *Config) { c.Gateway.Env = map[string]string{} }},
		{"size", []string{"HERMES_INIT_GATEWAY_MEMORY_MAX=2g", "HERMES_INIT_GATEWAY_PIDS_MAX=max"}, func(c *Config) {
			c.Gateway.MemoryMax = 2 << 30
		}},
		{"ids", []string{"HERMES_INIT_GATEWAY_USER=123", "HERMES_INIT_GATEWAY_GROUP=456"}, func(c *Config) {
			c.Gateway.User, c.Gateway.Group, c.Gateway.UID, c.Gateway.GID, c.Gateway.Groups = "123", "456", 123, 456, []int{456}
		}},
		{"empty is unset", []string{"HERMES_INIT_GRACE=", "HERMES_INIT_SERVICE_DASH_BOARD_COMMAND="}, func(c *Config) {}},
		{"first duplicate wins", []string{"HERMES_INIT_GRACE=4s", "HERMES_INIT_GRACE=5s"}, func(c *Config) { c.Grace = 4 * time.Second }},
		{"service from file", []string{"HERMES_INIT_SERVICE_DASH_BOARD_COMMAND=hermes dashboard --insecure", "HERMES_INIT_SERVICE_DASH_BOARD_AUTOSTART=false"},
			func(c *Config) {
				dash(c).Command = []string{"hermes", "dashboard", "--insecure"}
				dash(c).Autostart = false
			}},
		{"service key with underscore", []string{"HERMES_INIT_SERVICE_DASH_BOARD_MEMORY_MAX=1M", "HERMES_INIT_SERVICE_DASH_BOARD_PIDS_MAX=9"},
			func(c *Config) { dash(c).MemoryMax, dash(c).PidsMax = 1<<20, 9 }},
		{"service name confirms", []string{"HERMES_INIT_SERVICE_DASH_BOARD_NAME=dash-board"}, func(c *Config) {}},
		{"new service", []string{"HERMES_INIT_SERVICE_WORKER_COMMAND=[\"w\"]", "HERMES_INIT_SERVICE_WORKER_ENV=X=1"}, func(c *Config) {
			w := newService("worker")
			w.Command, w.Env = []string{"w"}, map[string]string{"X": "1"}
			c.Services = append(c.Services, w)
		}},
		{"new service with a dash", []string{"HERMES_INIT_SERVICE_MY_WORKER_NAME=my-worker", "HERMES_INIT_SERVICE_MY_WORKER_COMMAND=w"}, func(c *Config) {
			w := newService("my-worker")
			w.Command = []string{"w"}
			c.Services = append(c.Services, w)
		}},
		{"not config", []string{"HERMES_INIT_CONFIG=/x", "HERMES_INIT_SERVICE=dash-board", "HERMES_INIT_BIN_DIR=/tmp"}, func(c *Config) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture(t)
			c, err := f.load(t, file, tc.environ...)
			is.NoErr(err)
			want, err := f.load(t, file)
			is.NoErr(err)
			tc.edit(want)
			is.Equal(c, want)
		})
	}
}

// TestEnvErrors: a bad variable is named in the message.
func TestEnvErrors(t *testing.T) {
	file := "[[service]]\nname = \"dash\"\ncommand = [\"x\"]\n[[service]]\nname = \"a-b\"\ncommand = [\"x\"]\n"
	for _, tc := range []struct {
		name    string
		environ []string
		want    []string
	}{
		{"duration", []string{"HERMES_INIT_GRACE=5x"}, []string{`HERMES_INIT_GRACE: invalid duration "5x" (want e.g. 30s)`}},
		{"integer", []string{"HERMES_INIT_RESTART_CRASH_LOOP_MAX=x"}, []string{`HERMES_INIT_RESTART_CRASH_LOOP_MAX: invalid integer "x"`}},
		{"negative", []string{"HERMES_INIT_LOGS_KEEP=-1"}, []string{`HERMES_INIT_LOGS_KEEP: invalid integer -1 (want 0 or more)`}},
		{"bool", []string{"HERMES_INIT_LOGS_STDOUT=maybe"}, []string{`HERMES_INIT_LOGS_STDOUT: invalid boolean "maybe" (want true or false)`}},
		{"optional bool", []string{"HERMES_INIT_GATEWAY_MULTIPLEX=maybe"}, []string{`HERMES_INIT_GATEWAY_MULTIPLEX: invalid boolean "maybe" (want true, false or auto)`}},
		{"enum", []string{"HERMES_INIT_CGROUP=v3"}, []string{`HERMES_INIT_CGROUP: invalid value "v3" (want auto, v2, v1 or none)`}},
		{"JSON array", []string{`HERMES_INIT_GATEWAY_COMMAND=["a", 1]`}, []string{`HERMES_INIT_GATEWAY_COMMAND: invalid JSON array of strings: found a number where a string belongs`}},
		{"JSON syntax", []string{`HERMES_INIT_GATEWAY_COMMAND=["a"`}, []string{`HERMES_INIT_GATEWAY_COMMAND: invalid JSON array of strings: unexpected end of JSON input`}},
		{"empty array", []string{`HERMES_INIT_GATEWAY_COMMAND=[]`}, []string{`HERMES_INIT_GATEWAY_COMMAND: must not be empty`}},
		{"table line", []string{"HERMES_INIT_GATEWAY_ENV=A=1\nB"}, []string{`HERMES_INIT_GATEWAY_ENV: line 2: "B" is not NAME=VALUE`}},
		{"table name", []string{"HERMES_INIT_GATEWAY_ENV==1"}, []string{`HERMES_INIT_GATEWAY_ENV: empty variable name`}},
		{"JSON table", []string{`HERMES_INIT_GATEWAY_ENV={"A": 1}`}, []string{`HERMES_INIT_GATEWAY_ENV: invalid JSON object of strings: found a number where a string belongs`}},
		{"size", []string{"HERMES_INIT_GATEWAY_MEMORY_MAX=lots"}, []string{`HERMES_INIT_GATEWAY_MEMORY_MAX: invalid size "lots" (want bytes with an optional K, M, G or T suffix, e.g. 512M, or "max")`}},
		{"path", []string{"HERMES_INIT_CONTROL_SOCKET=ctl.sock"}, []string{`HERMES_INIT_CONTROL_SOCKET: want an absolute path, got "ctl.sock"`}},
		{"user", []string{"HERMES_INIT_GATEWAY_USER=nobody"}, []string{`HERMES_INIT_GATEWAY_USER: unknown user "nobody" (not in {dir}/passwd)`}},
		{"cross check", []string{"HERMES_INIT_RESTART_BACKOFF_MIN=5m"}, []string{`HERMES_INIT_RESTART_BACKOFF_MIN: 5m0s is more than restart.backoff_max (1m0s)`}},
		{"unknown section key", []string{"HERMES_INIT_GATEWAY_COLOUR=red"}, []string{`HERMES_INIT_GATEWAY_COLOUR: unknown variable: [gateway] has no such key`}},
		{"unknown service key", []string{"HERMES_INIT_SERVICE_DASH_COLOUR=red"}, []string{`HERMES_INIT_SERVICE_DASH_COLOUR: unknown variable: want HERMES_INIT_SERVICE_<NAME>_<KEY>, KEY one of NAME, COMMAND, USER, GROUP, WORKDIR, ENV, MEMORY_MAX, PIDS_MAX or AUTOSTART`}},
		{"service value", []string{"HERMES_INIT_SERVICE_DASH_PIDS_MAX=-3"}, []string{`HERMES_INIT_SERVICE_DASH_PIDS_MAX: invalid limit "-3" (want an integer or "max")`}},
		{"service dash", []string{"HERMES_INIT_SERVICE_A_B_WORKDIR=rel"}, []string{`HERMES_INIT_SERVICE_A_B_WORKDIR: want an absolute path, got "rel"`}},
		{"new service without command", []string{"HERMES_INIT_SERVICE_WORKER_USER=0"}, []string{`HERMES_INIT_SERVICE_WORKER_USER: required: service "worker" has no command (key command, or HERMES_INIT_SERVICE_WORKER_COMMAND)`}},
		{"new service bad name", []string{"HERMES_INIT_SERVICE_GATEWAY_X_NAME=gateway-x", "HERMES_INIT_SERVICE_GATEWAY_X_COMMAND=x"}, []string{`HERMES_INIT_SERVICE_GATEWAY_X_NAME: invalid name "gateway-x": names starting with "gateway-" belong to gateway slots`}},
		{"lower-case variable", []string{"HERMES_INIT_SERVICE_worker_COMMAND=x"}, []string{`HERMES_INIT_SERVICE_worker_COMMAND: service "worker" would have the variables HERMES_INIT_SERVICE_WORKER_<KEY>, not HERMES_INIT_SERVICE_worker_<KEY>`}},
		{"name mismatch", []string{"HERMES_INIT_SERVICE_W_NAME=v", "HERMES_INIT_SERVICE_W_COMMAND=x"}, []string{`HERMES_INIT_SERVICE_W_NAME: service "v" would have the variables HERMES_INIT_SERVICE_V_<KEY>, not HERMES_INIT_SERVICE_W_<KEY>`}},
		{"rename", []string{"HERMES_INIT_SERVICE_DASH_NAME=Dash"}, []string{`HERMES_INIT_SERVICE_DASH_NAME: cannot rename service "dash" (from the file) to "Dash"`}},
		{"several", []string{"HERMES_INIT_LOGS_KEEP=x", "HERMES_INIT_GRACE=y"}, []string{
			`HERMES_INIT_GRACE: invalid duration "y" (want e.g. 30s)`,
			`HERMES_INIT_LOGS_KEEP: invalid integer "x"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture(t)
			_, err := f.load(t, file, tc.environ...)
			var want []string
			for _, w := range tc.want {
				want = append(want, f.expand(w))
			}
			is.Equal(messages(err), want)
		})
	}
}

func TestEnvWarnings(t *testing.T) {
	is := is.New(t)
	c, err := newFixture(t).load(t, "", "HERMES_INIT_GRACEE=1s", "HERMES_INIT_GRACE=2s", "OTHER=1")
	is.NoErr(err)
	is.Equal(c.Warnings, []string{"HERMES_INIT_GRACEE: sets no configuration key; ignored"})
	is.Equal(c.Grace, 2*time.Second)
}

// TestEnvDoesNotHideFileErrors: a bad file is reported also when a variable
// sets the same key.
func TestEnvDoesNotHideFileErrors(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	_, err := f.load(t, "grace = \"5x\"\n", "HERMES_INIT_GRACE=3s")
	is.Equal(messages(err), []string{f.expand(`{file}:1: grace: invalid duration "5x" (want e.g. 30s)`)})
}

// TestEnvNames pins the naming rule of every key.
func TestEnvNames(t *testing.T) {
	is := is.New(t)
	is.Equal(envName("grace"), "HERMES_INIT_GRACE")
	is.Equal(envName("restart.backoff_max"), "HERMES_INIT_RESTART_BACKOFF_MAX")
	is.Equal(envName("gateway.profile_args"), "HERMES_INIT_GATEWAY_PROFILE_ARGS")
	is.Equal(serviceEnvName("dash-board", "memory_max"), "HERMES_INIT_SERVICE_DASH_BOARD_MEMORY_MAX")
	seen := map[string]string{}
	for _, k := range topKeys {
		n := envName(k.name)
		is.Equal(seen[n], "") // every key has its own variable
		seen[n] = k.name
	}
}

// TestFlagsOverride: a flag overrides the file and the variable, is read as
// the variable would be, and an error names the flag.
func TestFlagsOverride(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	f.write(t, f.file, "grace = \"5s\"\ncgroup = \"v1\"\n")
	c, err := load(f.file, true, []string{"HERMES_INIT_GRACE=3s"}, []Flag{
		{Name: "--grace", Key: "grace", Value: "1.5"},
		{Name: "-v", Key: "log_level", Value: "debug"},
	}, f.passwd, f.group)
	is.NoErr(err)
	is.Equal(c.Grace, 1500*time.Millisecond)
	is.Equal(c.Cgroup, "v1")
	is.Equal(c.LogLevel, "debug")

	_, err = load(f.file, true, nil, []Flag{
		{Name: "--grace", Key: "grace", Value: "soon"},
		{Name: "--cgroup", Key: "cgroup", Value: "v3"},
		{Name: "--cgroup-root", Key: "cgroup_root", Value: "relative"},
	}, f.passwd, f.group)
	is.True(err != nil)
	msg := err.Error()
	is.True(strings.Contains(msg, `--grace: invalid duration "soon"`))   // names the flag
	is.True(strings.Contains(msg, `--cgroup: invalid value "v3"`))       // checked as the key
	is.True(strings.Contains(msg, `--cgroup-root: invalid cgroup path`)) // validated with the rest, naming the flag
}

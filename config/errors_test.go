package config

import (
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestFileErrors: every bad value and unknown key is one message naming the
// file, the line and the key. {file} and {dir} stand for the fixture's paths.
func TestFileErrors(t *testing.T) {
	long := "/" + strings.Repeat("s", 110)
	for _, tc := range []struct {
		name string
		file string
		want []string
	}{
		// top level
		{"duration", `grace = "5x"`, []string{`{file}:1: grace: invalid duration "5x" (want e.g. 30s)`}},
		{"negative duration", `grace = "-1s"`, []string{`{file}:1: grace: invalid duration "-1s" (want e.g. 30s)`}},
		{"negative seconds", `leftover_grace = -2`, []string{`{file}:1: leftover_grace: invalid duration "-2" (want e.g. 30s)`}},
		{"duration type", `grace = true`, []string{`{file}:1: grace: want a duration such as "30s", got a boolean`}},
		{"huge duration", `grace = 1e300`, []string{`{file}:1: grace: invalid duration "1e+300" (want e.g. 30s)`}},
		{"log level", `log_level = "loud"`, []string{`{file}:1: log_level: invalid value "loud" (want error, warn, info or debug)`}},
		{"log level type", `log_level = 3`, []string{`{file}:1: log_level: want one of error, warn, info or debug, got an integer`}},
		{"cgroup", `cgroup = "v3"`, []string{`{file}:1: cgroup: invalid value "v3" (want auto, v2, v1 or none)`}},
		{"cgroup root", `cgroup_root = "/a/../b"`, []string{`{file}:1: cgroup_root: invalid cgroup path "/a/../b" (want an absolute one such as /hermes, without "..")`}},
		{"cgroup root slash", `cgroup_root = "/"`, []string{`{file}:1: cgroup_root: invalid cgroup path "/" (want an absolute one such as /hermes, without "..")`}},
		{"cgroup root relative", `cgroup_root = "hermes"`, []string{`{file}:1: cgroup_root: invalid cgroup path "hermes" (want an absolute one such as /hermes, without "..")`}},
		{"zero grace", `grace = "0"`, []string{`{file}:1: grace: must be more than 0`}},
		{"NUL in a path", `s6.envdir = "/run/s6/env\u0000x"`, []string{`{file}:1: s6.envdir: holds a NUL byte, which no path can`}},
		{"deep nesting", "x = " + strings.Repeat("{a=", 40) + "1" + strings.Repeat("}", 40), []string{`{file}:1: tables and arrays nested more than 32 deep`}},
		{"deep arrays", "[gateway]\nenv = { A = \"[[[\" }\n# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\nx = " + strings.Repeat("[", 33) + strings.Repeat("]", 33), []string{`{file}:4: tables and arrays nested more than 32 deep`}},
		{"socket relative", `control_socket = "run/x.sock"`, []string{`{file}:1: control_socket: want an absolute path, got "run/x.sock"`}},
		{"socket long", `control_socket = "` + long + `"`, []string{`{file}:1: control_socket: path is 111 bytes long; a unix socket path has at most 107`}},
		{"unknown", "\n\ncolour = 1", []string{`{file}:3: colour: unknown key`}},
		{"unknown dotted", "a.b.c = 1", []string{`{file}:1: a: unknown key`}},
		{"unknown table", "[colours]\nred = 1", []string{`{file}:1: colours: unknown key`}},
		{"unknown array of tables", "[[x]]\n[[x]]", []string{`{file}:2: x: unknown key`}},
		{"quoted dotted key", `"gateway.user" = "x"`, []string{`{file}:1: "gateway.user": unknown key`}},
		{"datetime", `grace = 1979-05-27T07:32:00Z`, []string{`{file}:1: grace: want a duration such as "30s", got a date-time`}},

		// [gateway]
		{"gateway unknown", "[gateway]\ncolour = \"red\"", []string{`{file}:2: gateway.colour: unknown key`}},
		{"gateway dotted unknown", "gateway.colour = 1", []string{`{file}:1: gateway.colour: unknown key`}},
		{"gateway inline unknown", `gateway = { user = "hermes", colour = 1 }`, []string{`{file}:1: gateway.colour: unknown key`}},
		{"gateway not a table", "gateway = 1", []string{`{file}:1: gateway: want a table ([gateway]), got an integer`}},
		{"enabled", "[gateway]\nenabled = \"yes\"", []string{`{file}:2: gateway.enabled: want true or false, got a string`}},
		{"home", "[gateway]\nhome = \"data\"", []string{`{file}:2: gateway.home: want an absolute path, got "data"`}},
		{"s6 scandir", "[s6]\ncompat = true\nscandir = \"service\"", []string{`{file}:3: s6.scandir: want an absolute path, got "service"`}},
		{"s6 envdir root", "[s6]\nenvdir = \"/\"", []string{`{file}:2: s6.envdir: want a directory of its own, not /`}},
		{"command empty", "[gateway]\ncommand = []", []string{`{file}:2: gateway.command: must not be empty`}},
		{"command string", "[gateway]\ncommand = \"hermes gateway\"", []string{`{file}:2: gateway.command: want an array of strings, got a string`}},
		{"command program", "[gateway]\ncommand = [\"\", \"x\"]", []string{`{file}:2: gateway.command: the program (element 0) must not be empty`}},
		{"command NUL", "[gateway]\ncommand = [\"a\", \"b\\u0000c\"]", []string{`{file}:2: gateway.command: element 1 contains a NUL byte`}},
		{"command element", "[gateway]\ncommand = [\n  \"a\",\n  1,\n]", []string{`{file}:2: gateway.command: element 1: want a string, got an integer`}},
		{"profile args", "[gateway]\nprofile_args = [\"-p\", \"x\"]", []string{`{file}:2: gateway.profile_args: must contain "{profile}", which is replaced by the profile name`}},
		{"user", "[gateway]\nuser = \"nobody\"", []string{`{file}:2: gateway.user: unknown user "nobody" (not in {dir}/passwd)`}},
		{"user negative", "[gateway]\nuser = -5", []string{`{file}:2: gateway.user: invalid id -5 (want 0 to 4294967294)`}},
		{"user too big", "[gateway]\nuser = \"4294967295\"", []string{`{file}:2: gateway.user: invalid user id "4294967295" (want 0 to 4294967294)`}},
		{"user type", "[gateway]\nuser = true", []string{`{file}:2: gateway.user: want a name or a number, got a boolean`}},
		{"group", "[gateway]\ngroup = \"nogroup\"", []string{`{file}:2: gateway.group: unknown group "nogroup" (not in {dir}/group)`}},
		{"group of unknown uid", "[gateway]\nuser = 1234\ngroup = \"\"", []string{`{file}:3: gateway.group: user 1234 is not in {dir}/passwd, so it has no primary group: set a group`}},
		{"fallback negative", "[gateway]\nfallback_uid = -1", []string{`{file}:2: gateway.fallback_uid: invalid integer -1 (want 0 or more)`}},
		{"fallback too big", "[gateway]\nfallback_gid = 4294967295", []string{`{file}:2: gateway.fallback_gid: invalid id 4294967295 (want 0 to 4294967294)`}},
		{"fallback float", "[gateway]\nfallback_gid = 1.5", []string{`{file}:2: gateway.fallback_gid: want an integer, got a float`}},
		{"workdir", "[gateway]\nworkdir = \"x\"", []string{`{file}:2: gateway.workdir: want an absolute path, got "x"`}},
		{"env not a table", "[gateway]\nenv = \"A=1\"", []string{`{file}:2: gateway.env: want a table of strings, got a string`}},
		{"env value", "[gateway]\nenv = { A = \"1\", B = 2 }", []string{`{file}:2: gateway.env.B: want a string, got an integer`}},
		{"env name", "[gateway]\nenv = { \"A=B\" = \"x\" }", []string{`{file}:2: gateway.env."A=B": invalid variable name "A=B" (contains "=" or a NUL byte)`}},
		{"env subtable lines", "[gateway.env]\nA = \"1\"\n\nB = false", []string{`{file}:4: gateway.env.B: want a string, got a boolean`}},
		{"multiplex", "[gateway]\nmultiplex = \"yes\"", []string{`{file}:2: gateway.multiplex: want true or false, got a string`}},
		{"memory", "[gateway]\nmemory_max = \"5Q\"", []string{`{file}:2: gateway.memory_max: invalid size "5Q" (want bytes with an optional K, M, G or T suffix, e.g. 512M, or "max")`}},
		{"memory negative", "[gateway]\nmemory_max = -1", []string{`{file}:2: gateway.memory_max: invalid integer -1 (want 0 or more)`}},
		{"memory overflow", "[gateway]\nmemory_max = \"9999999999T\"", []string{`{file}:2: gateway.memory_max: invalid size "9999999999T" (want bytes with an optional K, M, G or T suffix, e.g. 512M, or "max")`}},
		{"memory float", "[gateway]\nmemory_max = 1.5", []string{`{file}:2: gateway.memory_max: want a size such as "512M", or "max", got a float`}},
		{"pids", "[gateway]\npids_max = \"lots\"", []string{`{file}:2: gateway.pids_max: invalid limit "lots" (want an integer or "max")`}},

		// [restart]
		{"backoff zero", "[restart]\nbackoff_min = \"0s\"", []string{`{file}:2: restart.backoff_min: must be more than 0`}},
		{"backoff max zero", "[restart]\nbackoff_max = 0", []string{`{file}:2: restart.backoff_max: must be more than 0`}},
		{"stable zero", "[restart]\nstable_after = \"0\"", []string{`{file}:2: restart.stable_after: must be more than 0`}},
		{"backoff order", "[restart]\nbackoff_min = \"2m\"", []string{`{file}:2: restart.backoff_min: 2m0s is more than restart.backoff_max (1m0s)`}},
		{"crash loop", "[restart]\ncrash_loop_max = -1", []string{`{file}:2: restart.crash_loop_max: invalid integer -1 (want 0 or more)`}},
		{"crash loop type", "[restart]\ncrash_loop_max = \"5\"", []string{`{file}:2: restart.crash_loop_max: want an integer, got a string`}},
		{"restart unknown", "[restart]\nbackoff = \"1s\"", []string{`{file}:2: restart.backoff: unknown key`}},

		// [logs]
		{"max bytes", "[logs]\nmax_bytes = 100", []string{`{file}:2: logs.max_bytes: 100 is too small (want at least 4096)`}},
		{"keep", "[logs]\nkeep = -1", []string{`{file}:2: logs.keep: invalid integer -1 (want 0 or more)`}},
		{"stdout", "[logs]\nstdout = 1", []string{`{file}:2: logs.stdout: want true or false, got an integer`}},

		// [[service]]
		{"service not array", "service = 1", []string{`{file}:1: service: want an array of tables ([[service]]), got an integer`}},
		{"service table", "[service]\nname = \"x\"", []string{`{file}:1: service: want an array of tables ([[service]]), got a table`}},
		{"service inline non-table", "service = [1]", []string{`{file}:1: service[0]: want a table, got an integer`}},
		{"service no name", "[[service]]\ncommand = [\"x\"]", []string{`{file}:1: service[0].name: required: every service needs a name`}},
		{"service no command", "[[service]]\nname = \"x\"", []string{`{file}:1: service[0].command: required: service "x" has no command (key command, or HERMES_INIT_SERVICE_X_COMMAND)`}},
		{"service empty command", "[[service]]\nname = \"x\"\ncommand = []", []string{`{file}:3: service[0].command: must not be empty`}},
		{"service name", "[[service]]\nname = \"Dash\"\ncommand = [\"x\"]", []string{`{file}:2: service[0].name: invalid name "Dash" (want ^[a-z0-9][a-z0-9_-]*$)`}},
		{"service gateway name", "[[service]]\nname = \"gateway-x\"\ncommand = [\"x\"]", []string{`{file}:2: service[0].name: invalid name "gateway-x": names starting with "gateway-" belong to gateway slots`}},
		{"service duplicate", "[[service]]\nname = \"a\"\ncommand = [\"x\"]\n[[service]]\nname = \"a\"\ncommand = [\"x\"]",
			[]string{`{file}:5: service[1].name: duplicate name "a" (also service[0])`}},
		{"service variable clash", "[[service]]\nname = \"a-b\"\ncommand = [\"x\"]\n[[service]]\nname = \"a_b\"\ncommand = [\"x\"]",
			[]string{`{file}:5: service[1].name: name "a_b" and service[0]'s "a-b" give the same variables HERMES_INIT_SERVICE_A_B_<KEY>`}},
		{"service workdir", "[[service]]\nname = \"a\"\ncommand = [\"x\"]\nworkdir = \"rel\"", []string{`{file}:4: service[0].workdir: want an absolute path, got "rel"`}},
		{"service autostart", "[[service]]\nname = \"a\"\ncommand = [\"x\"]\nautostart = \"no\"", []string{`{file}:4: service[0].autostart: want true or false, got a string`}},
		{"service user", "[[service]]\nname = \"a\"\ncommand = [\"x\"]\nuser = \"bob\"", []string{`{file}:4: service[0].user: unknown user "bob" (not in {dir}/passwd)`}},
		{"service unknown", "[[service]]\nname = \"a\"\ncommand = [\"x\"]\ncolour = 1", []string{`{file}:4: service[0].colour: unknown key`}},
		{"service unknown subtable", "[[service]]\nname = \"a\"\ncommand = [\"x\"]\n[service.extra]\nx = 1", []string{`{file}:4: service[0].extra: unknown key`}},
		{"service env", "[[service]]\nname = \"a\"\ncommand = [\"x\"]\n[service.env]\nA = \"1\"\nB = 2", []string{`{file}:6: service[0].env.B: want a string, got an integer`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture(t)
			c, err := f.load(t, tc.file+"\n")
			is.True(c == nil) // no configuration with errors
			var want []string
			for _, w := range tc.want {
				want = append(want, f.expand(w))
			}
			is.Equal(messages(err), want)
		})
	}
}

// TestServiceLines: each [[service]] entry's keys have their own lines, also
// when one entry's text looks like a header inside a multi-line string, and
// an inline array's entries have the line where it starts.
func TestServiceLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		want []string
	}{
		{"three entries", `
[[service]]
name = "a"
command = ["x"]
colour = 1

[[service]]
name = "b"
command = ["x"]

  [[service]]
  name = "c"
  colour = 3
  command = ["x"]
`, []string{
			`{file}:5: service[0].colour: unknown key`,
			`{file}:13: service[2].colour: unknown key`,
		}},
		{"header in a string", `
[[service]]
name = "a"
command = ["x"]
[service.env]
NOTE = """
[[service]]
colour = 1
"""
[[service]]
name = "b"
colour = 2
command = ["x"]
`, []string{`{file}:12: service[1].colour: unknown key`}},
		{"tables between entries", `
[[service]]
name = "a"
command = ["x"]
[gateway]
colour = 1
[[service]]
name = "b"
command = ["x"]
user = "nobody"
`, []string{
			`{file}:6: gateway.colour: unknown key`,
			`{file}:10: service[1].user: unknown user "nobody" (not in {dir}/passwd)`,
		}},
		{"inline array", `
service = [
  { name = "a", command = ["x"] },
  { name = "b", colour = 1 },
]
`, []string{
			`{file}:2: service[1].colour: unknown key`,
			`{file}:2: service[1].command: required: service "b" has no command (key command, or HERMES_INIT_SERVICE_B_COMMAND)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture(t)
			_, err := f.load(t, tc.file)
			var want []string
			for _, w := range tc.want {
				want = append(want, f.expand(w))
			}
			is.Equal(messages(err), want)
		})
	}
}

// TestAllErrorsAtOnce: every problem is reported, in line order, and a value
// that could not be read is not reported again by a later check.
func TestAllErrorsAtOnce(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	_, err := f.load(t, `
grace = "5x"
colour = 1
[restart]
backoff_max = "x"
backoff_min = "2m"
[logs]
keep = "ten"
`)
	is.Equal(messages(err), []string{
		f.expand(`{file}:2: grace: invalid duration "5x" (want e.g. 30s)`),
		f.expand(`{file}:3: colour: unknown key`),
		f.expand(`{file}:5: restart.backoff_max: invalid duration "x" (want e.g. 30s)`),
		f.expand(`{file}:8: logs.keep: want an integer, got a string`),
	})
	errs := configErrors(err)
	is.Equal(len(errs), 4)
	is.Equal(*errs[2], Error{File: f.file, Line: 5, Key: "restart.backoff_max", Msg: `invalid duration "x" (want e.g. 30s)`})
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		line int
	}{
		{"unterminated string", "grace = \"8s\nlog_level = \"warn\"\n", 1},
		{"junk after value", "grace = \"8s\"\n\nlog_level = \"warn\" x\n", 3},
		{"duplicate key", "grace = \"8s\"\ngrace = \"9s\"\n", 2},
		{"bad header", "[gateway\n", 1},
		{"NUL byte", "\x00grace", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture(t)
			_, err := f.load(t, tc.file)
			errs := configErrors(err)
			is.Equal(len(errs), 1)          // one syntax error stops the reading
			is.Equal(errs[0].File, f.file)  // names the file
			is.Equal(errs[0].Line, tc.line) // and the line
			is.True(errs[0].Col > 0)        // and the column
			is.True(strings.HasPrefix(err.Error(), f.file+":"+strconv.Itoa(tc.line)+":"+strconv.Itoa(errs[0].Col)+": invalid TOML: "))
		})
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{File: "f.toml", Line: 12, Key: "restart.backoff_max", Msg: "m"}, "f.toml:12: restart.backoff_max: m"},
		{Error{File: "f.toml", Line: 3, Col: 7, Msg: "invalid TOML: x"}, "f.toml:3:7: invalid TOML: x"},
		{Error{File: "f.toml", Key: "service[70].user", Msg: "m"}, "f.toml: service[70].user: m"},
		{Error{Var: "HERMES_INIT_LOGS_KEEP", Key: "logs.keep", Msg: "m"}, "HERMES_INIT_LOGS_KEEP: m"},
		{Error{Key: "gateway.user", Msg: "m"}, "gateway.user: m"},
	} {
		is := is.New(t)
		is.Equal(tc.err.Error(), tc.want)
	}
}

// TestTooManyErrors: a hostile file gets a bounded report (locating each
// problem costs a pass over the file).
func TestTooManyErrors(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	var b strings.Builder
	for i := range 150 {
		b.WriteString("k" + strconv.Itoa(i) + " = 1\n")
	}
	_, err := f.load(t, b.String())
	msgs := messages(err)
	is.Equal(len(msgs), maxErrors+1)
	is.Equal(msgs[0], f.file+":1: k0: unknown key")
	is.Equal(msgs[maxErrors], "more than 100 problems; the rest are not reported")
}

// TestManyServices: past maxLocatedServices entries, a [[service]] problem
// is reported without a line rather than with a wrong one.
func TestManyServices(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	var b strings.Builder
	for i := range maxLocatedServices + 1 {
		b.WriteString("[[service]]\nname = \"s" + strconv.Itoa(i) + "\"\ncommand = [\"x\"]\n")
	}
	b.WriteString("colour = 1\n")
	_, err := f.load(t, b.String())
	is.Equal(messages(err), []string{f.file + ": service[64].colour: unknown key"})
}

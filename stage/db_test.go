package stage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// tree writes files (path → content; a path ending in / is a directory)
// under a temporary directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readTree(t *testing.T, files map[string]string) (*DB, error) {
	dir := tree(t, files)
	return ReadDB(filepath.Join(dir, "s6-rc.d"), filepath.Join(dir, "user-bundles.d"))
}

func TestReadDBOrder(t *testing.T) {
	is := is.New(t)
	db, err := readTree(t, map[string]string{
		"s6-rc.d/db/type":                    "longrun\n",
		"s6-rc.d/db/run":                     "#!/bin/sh\n",
		"s6-rc.d/db/dependencies.d/base":     "",
		"s6-rc.d/db/timeout-up":              "1500\n",
		"s6-rc.d/db/notification-fd":         "3\n",
		"s6-rc.d/db/down-signal":             "SIGHUP\n",
		"s6-rc.d/prep/type":                  "oneshot\n",
		"s6-rc.d/prep/up":                    "if { mkdir -p /x } chmod 0755 /x\n",
		"s6-rc.d/prep/dependencies":          "  base\n# a comment\n",
		"s6-rc.d/app/type":                   "longrun\n",
		"s6-rc.d/app/run":                    "#!/bin/sh\n",
		"s6-rc.d/app/finish":                 "#!/bin/sh\n",
		"s6-rc.d/app/dependencies.d/both":    "",
		"s6-rc.d/both/type":                  "bundle\n",
		"s6-rc.d/both/contents.d/db":         "",
		"s6-rc.d/both/contents.d/prep":       "",
		"s6-rc.d/.hidden/type":               "nonsense\n",
		"s6-rc.d/unused/type":                "oneshot\n",
		"s6-rc.d/unused/up":                  "true\n",
		"user-bundles.d/user/contents.d/app": "",
	})
	is.NoErr(err)
	order, err := db.Order(BundleTop)
	is.NoErr(err)
	is.Equal(order, []string{FixAttrs, LegacyContInit, "db", "prep", "app", LegacyServices})
	is.Equal(db.DirectDeps("app"), []string{"db", "prep"}) // the bundle resolved
	d := db.Defs["db"]
	is.Equal(d.TimeoutUp, 1500*time.Millisecond)
	is.Equal(d.NotificationFD, 3)
	is.Equal(int(d.DownSignal), 1) // SIGHUP
	is.Equal(db.Defs["prep"].Up, []string{"if", " mkdir", " -p", " /x", "", "chmod", "0755", "/x"})
	is.True(db.Defs["app"].HasFinish)
	is.True(db.Defs[".hidden"] == nil) // dot entries are not services
}

func TestReadDBDeprecatedUserBundle(t *testing.T) {
	is := is.New(t)
	// The Hermes image's layout: s6-rc.d/user/contents.d and no type file.
	db, err := readTree(t, map[string]string{
		"s6-rc.d/svc/type":                       "longrun\n",
		"s6-rc.d/svc/run":                        "#!/bin/sh\n",
		"s6-rc.d/user/contents.d/svc":            "",
		"user-bundles.d/user/contents.d/ignored": "",
	})
	is.NoErr(err)
	is.Equal(len(db.Warnings), 1)
	is.True(strings.Contains(db.Warnings[0], "deprecated"))
	order, err := db.Order(BundleTop)
	is.NoErr(err)
	is.Equal(order, []string{FixAttrs, LegacyContInit, "svc", LegacyServices})
}

func TestReadDBPipeline(t *testing.T) {
	is := is.New(t)
	db, err := readTree(t, map[string]string{
		"s6-rc.d/app/type":                    "longrun\n",
		"s6-rc.d/app/run":                     "#!/bin/sh\n",
		"s6-rc.d/app/producer-for":            "log\n",
		"s6-rc.d/log/type":                    "longrun\n",
		"s6-rc.d/log/run":                     "#!/bin/sh\n",
		"s6-rc.d/log/consumer-for":            "app\n",
		"s6-rc.d/log/pipeline-name":           "pipe\n",
		"user-bundles.d/user/contents.d/pipe": "",
	})
	is.NoErr(err)
	is.Equal(db.Defs["pipe"].Contents, []string{"app", "log"})
	order, err := db.Order(BundleUser)
	is.NoErr(err)
	is.Equal(order, []string{"app", "log"})
}

// TestReadDBErrors: what s6-rc-compile refuses is refused, with the file at
// fault named.
func TestReadDBErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no type", map[string]string{"s6-rc.d/a/run": ""}, "s6-rc.d/a/type: missing or empty"},
		{"bad type", map[string]string{"s6-rc.d/a/type": "daemon\n"}, `s6-rc.d/a/type: invalid type "daemon"`},
		{"longrun without run", map[string]string{"s6-rc.d/a/type": "longrun\n"}, "s6-rc.d/a/run: a longrun needs a run file"},
		{"oneshot without up", map[string]string{"s6-rc.d/a/type": "oneshot\n"}, "s6-rc.d/a/up"},
		{"bad up", map[string]string{"s6-rc.d/a/type": "oneshot\n", "s6-rc.d/a/up": "if { true\n"}, "s6-rc.d/a/up: line 2: unterminated block"},
		{"undefined dependency", map[string]string{"s6-rc.d/a/type": "oneshot\n", "s6-rc.d/a/up": "true", "s6-rc.d/a/dependencies.d/nope": ""},
			`s6-rc.d/a/dependencies.d: undefined dependency "nope"`},
		{"undefined member", map[string]string{"user-bundles.d/user/contents.d/nope": ""}, `undefined bundle member "nope"`},
		{"cycle", map[string]string{
			"s6-rc.d/a/type": "oneshot\n", "s6-rc.d/a/up": "true", "s6-rc.d/a/dependencies.d/b": "",
			"s6-rc.d/b/type": "oneshot\n", "s6-rc.d/b/up": "true", "s6-rc.d/b/dependencies.d/a": "",
			"user-bundles.d/user/contents.d/a": "",
		}, "dependency cycle: a -> b -> a"},
		{"bundle cycle", map[string]string{
			"s6-rc.d/x/type": "bundle\n", "s6-rc.d/x/contents.d/y": "",
			"s6-rc.d/y/type": "bundle\n", "s6-rc.d/y/contents.d/x": "",
		}, "bundle cycle: x -> y -> x"},
		{"reserved name", map[string]string{"s6-rc.d/s6rc-x/type": "bundle\n"}, "reserved"},
		{"own name", map[string]string{"s6-rc.d/base/type": "bundle\n"}, `"base" is s6-overlay's own service`},
		{"bad timeout", map[string]string{"s6-rc.d/a/type": "oneshot\n", "s6-rc.d/a/up": "true", "s6-rc.d/a/timeout-up": "soon\n"},
			`s6-rc.d/a/timeout-up: invalid number of milliseconds "soon"`},
		{"bad fd", map[string]string{"s6-rc.d/a/type": "longrun\n", "s6-rc.d/a/run": "", "s6-rc.d/a/notification-fd": "1\n"},
			`s6-rc.d/a/notification-fd: invalid file descriptor "1"`},
		{"one-sided pipeline", map[string]string{
			"s6-rc.d/a/type": "longrun\n", "s6-rc.d/a/run": "", "s6-rc.d/a/producer-for": "b\n",
			"s6-rc.d/b/type": "longrun\n", "s6-rc.d/b/run": "",
		}, `s6-rc.d/a/producer-for: "b" does not declare being the consumer for "a"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readTree(t, c.files)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one with %q", err, c.want)
			}
		})
	}
}

func TestReadSettings(t *testing.T) {
	is := is.New(t)
	s := ReadSettings([]string{
		"S6_KEEP_ENV=1", "S6_BEHAVIOUR_IF_STAGE2_FAILS=2", "S6_CMD_WAIT_FOR_SERVICES_MAXTIME=2500",
		"S6_KILL_GRACETIME=x", "S6_CMD_ARG0=/bin/wrap --flag", "S6_STAGE2_HOOK=/hook a b",
		"S6_LOGGING=1", "S6_NO_SUCH_THING=1", "S6_CATCHALL_USER=nobody", "OTHER=1",
	})
	is.True(s.KeepEnv)
	is.Equal(s.Behaviour, 2)
	is.Equal(s.CmdWait, 2500*time.Millisecond)
	is.Equal(s.KillGrace, DefaultKillGrace) // unreadable: the default
	is.Equal(s.CmdArg0, []string{"/bin/wrap", "--flag"})
	is.Equal(s.Hook, []string{"/hook", "a", "b"})
	is.Equal(s.Verbosity, DefaultVerbosity)
	is.Equal(len(s.Warnings), 2) // S6_KILL_GRACETIME and S6_LOGGING
	is.True(strings.Contains(s.Warnings[0], "S6_KILL_GRACETIME"))
	is.Equal(len(s.Ignored), 2) // S6_NO_SUCH_THING, S6_CATCHALL_USER
}

func TestDefaultPaths(t *testing.T) {
	is := is.New(t)
	p := DefaultPaths(Settings{})
	is.Equal(p.SourceDir, "/etc/s6-overlay/s6-rc.d")
	is.Equal(p.BundleDir, "/etc/s6-overlay/user-bundles.d")
	p = DefaultPaths(Settings{RuntimeProfile: "prod", BundleDir: "/b"})
	is.Equal(p.Etc, "/etc/cont-profile.d/prod")
	is.Equal(p.SourceDir, "/etc/cont-profile.d/prod/s6-overlay/s6-rc.d")
	is.Equal(p.BundleDir, "/b")
}

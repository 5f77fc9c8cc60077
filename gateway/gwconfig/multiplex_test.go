package gwconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-init/hermes-init/gateway/homefs"
	"github.com/matryer/is"
)

// none marks a file or variable that is not there.
const none = "\x00none"

// TestReadMultiplex: each case's expectation follows the rules of the
// package documentation (and agrees with upstream's loader on the same
// files, checked by hand).
func TestReadMultiplex(t *testing.T) {
	cases := []struct {
		name, yaml, json, env string
		on                    bool
	}{
		{"top true", "multiplex_profiles: true\n", none, none, true},
		{"top True", "multiplex_profiles: True\n", none, none, true},
		{"top yes", "multiplex_profiles: yes\n", none, none, true},
		{"top on", "multiplex_profiles: on\n", none, none, true},
		{"top ON", "multiplex_profiles: ON\n", none, none, true},
		{"top 1", "multiplex_profiles: 1\n", none, none, true},
		{"top 0", "multiplex_profiles: 0\n", none, none, false},
		{"top false", "multiplex_profiles: false\n", none, none, false},
		{"top no", "multiplex_profiles: no\n", none, none, false},
		{"top off", "multiplex_profiles: off\n", none, none, false},
		{"top 'yes'", "multiplex_profiles: 'yes'\n", none, none, true},
		{"top ' yes '", "multiplex_profiles: ' yes '\n", none, none, true},
		{"top 'maybe'", "multiplex_profiles: 'maybe'\n", none, none, false},
		{"top maybe", "multiplex_profiles: maybe\n", none, none, false},
		{"top y", "multiplex_profiles: y\n", none, none, false},
		{"top oN", "multiplex_profiles: oN\n", none, none, true},
		{"top ~", "multiplex_profiles: ~\n", none, none, false},
		{"top null", "multiplex_profiles: null\n", none, none, false},
		{"top ", "multiplex_profiles: \n", none, none, false},
		{"top []", "multiplex_profiles: []\n", none, none, false},
		{"top [1]", "multiplex_profiles: [1]\n", none, none, true},
		{"top {}", "multiplex_profiles: {}\n", none, none, false},
		{"top {a: 1}", "multiplex_profiles: {a: 1}\n", none, none, true},
		{"top .nan", "multiplex_profiles: .nan\n", none, none, true},
		{"top 0.0", "multiplex_profiles: 0.0\n", none, none, false},
		{"top 1.0e5", "multiplex_profiles: 1.0e5\n", none, none, false},
		{"top 1.0e+5", "multiplex_profiles: 1.0e+5\n", none, none, true},
		{"top 0o7", "multiplex_profiles: 0o7\n", none, none, false},
		{"top 0x1", "multiplex_profiles: 0x1\n", none, none, true},
		{"top 0x0", "multiplex_profiles: 0x0\n", none, none, false},
		{"top 010", "multiplex_profiles: 010\n", none, none, true},
		{"top 1:30", "multiplex_profiles: 1:30\n", none, none, true},
		{"top 1_000", "multiplex_profiles: 1_000\n", none, none, true},
		{"top 2001-01-01", "multiplex_profiles: 2001-01-01\n", none, none, true},
		{"top 2001-02-30", "multiplex_profiles: 2001-02-30\n", none, none, false},
		{"top !!bool maybe", "multiplex_profiles: !!bool maybe\n", none, none, false},
		{"top !!str false", "multiplex_profiles: !!str false\n", none, none, false},
		{"top !!int '0'", "multiplex_profiles: !!int '0'\n", none, none, false},
		{"top !foo x", "multiplex_profiles: !foo x\n", none, none, false},
		{"top =", "multiplex_profiles: =\n", none, none, false},
		{"top <<", "multiplex_profiles: <<\n", none, none, false},
		{"top !!binary aGk=", "multiplex_profiles: !!binary aGk=\n", none, none, true},
		{"top !!float '0'", "multiplex_profiles: !!float '0'\n", none, none, false},
		{"top \"0\"", "multiplex_profiles: \"0\"\n", none, none, false},
		{"top |\n  yes", "multiplex_profiles: |\n  yes\n", none, none, true},
		{"top 1e400", "multiplex_profiles: 1e400\n", none, none, false},
		{"nested true", "gateway:\n  multiplex_profiles: true\n", none, none, true},
		{"nested yes with other keys", "model: x\ngateway:\n  port: 8080\n  multiplex_profiles: yes\n", none, none, true},
		{"top false beats nested true", "multiplex_profiles: false\ngateway:\n  multiplex_profiles: true\n", none, none, false},
		{"top null then nested true", "multiplex_profiles:\ngateway:\n  multiplex_profiles: true\n", none, none, false},
		{"gateway not a mapping", "gateway: [multiplex_profiles]\n", none, none, false},
		{"json top true", none, "{\"multiplex_profiles\": true}", none, true},
		{"json nested yes", none, "{\"gateway\": {\"multiplex_profiles\": \"yes\"}}", none, true},
		{"json top null nested true", none, "{\"multiplex_profiles\": null, \"gateway\": {\"multiplex_profiles\": true}}", none, true},
		{"json top false nested true", none, "{\"multiplex_profiles\": false, \"gateway\": {\"multiplex_profiles\": true}}", none, false},
		{"json NaN", none, "{\"multiplex_profiles\": NaN}", none, true},
		{"json 0.0", none, "{\"multiplex_profiles\": 0.0}", none, false},
		{"json 1e-400", none, "{\"multiplex_profiles\": 1e-400}", none, false},
		{"json list", none, "{\"multiplex_profiles\": [0]}", none, true},
		{"json string on", none, "{\"multiplex_profiles\": \" On \"}", none, true},
		{"json broken list", none, "[1]", none, false},
		{"json broken string", none, "\"x\"", none, false},
		{"json broken true", none, "true", none, false},
		{"json empty list", none, "[]", none, false},
		{"json zero", none, "0", none, false},
		{"json invalid", none, "{\"multiplex_profiles\": tru", none, false},
		{"json BOM", none, "\ufeff{\"multiplex_profiles\": true}", none, false},
		{"json dup keys", none, "{\"multiplex_profiles\": true, \"multiplex_profiles\": false}", none, false},
		{"yaml over json", "multiplex_profiles: false\n", "{\"multiplex_profiles\": true}", none, false},
		{"yaml nested loses to json top", "gateway:\n  multiplex_profiles: true\n", "{\"multiplex_profiles\": false}", none, false},
		{"yaml nested over json nested", "gateway:\n  multiplex_profiles: true\n", "{\"gateway\": {\"multiplex_profiles\": false}}", none, true},
		{"yaml top null over json top", "multiplex_profiles: null\n", "{\"multiplex_profiles\": true}", none, false},
		{"yaml top null json nested", "multiplex_profiles: null\n", "{\"gateway\": {\"multiplex_profiles\": true}}", none, true},
		{"yaml nested null json nested", "gateway:\n  multiplex_profiles: null\n", "{\"gateway\": {\"multiplex_profiles\": true}}", none, true},
		{"yaml invalid json decides", "multiplex_profiles: [\n", "{\"multiplex_profiles\": true}", none, true},
		{"yaml two docs", "multiplex_profiles: true\n---\nx: 1\n", none, none, false},
		{"yaml explicit end", "multiplex_profiles: true\n...\n", none, none, true},
		{"yaml top list", "[1]\n", "{\"multiplex_profiles\": true}", none, true},
		{"yaml top empty list", "[]\n", "{\"multiplex_profiles\": true}", none, true},
		{"yaml top string", "hello\n", none, none, false},
		{"yaml top zero", "0\n", "{\"multiplex_profiles\": true}", none, true},
		{"yaml empty", "", none, none, false},
		{"yaml comment only", "# nothing\n", none, none, false},
		{"yaml merge", "base: &b {multiplex_profiles: true}\n<<: *b\n", none, none, true},
		{"yaml merge list first wins", "a: &a {multiplex_profiles: true}\nb: &b {multiplex_profiles: false}\n<<: [*a, *b]\n", none, none, true},
		{"yaml own beats merge", "a: &a {multiplex_profiles: true}\n<<: *a\nmultiplex_profiles: false\n", none, none, false},
		{"yaml merge into gateway", "a: &a {multiplex_profiles: on}\ngateway:\n  <<: *a\n", none, none, true},
		{"yaml bad merge", "<<: 1\nmultiplex_profiles: true\n", none, none, false},
		{"yaml dup keys", "multiplex_profiles: true\nmultiplex_profiles: false\n", none, none, false},
		{"yaml unhashable key", "? [1]\n: x\nmultiplex_profiles: true\n", none, none, false},
		{"yaml unknown tag elsewhere", "x: !foo bar\nmultiplex_profiles: true\n", none, none, false},
		{"yaml bad date elsewhere", "x: 2001-13-01\nmultiplex_profiles: true\n", none, none, false},
		{"yaml alias value", "x: &x yes\nmultiplex_profiles: *x\n", none, none, true},
		{"yaml quoted key", "'multiplex_profiles': true\n", none, none, true},
		{"yaml BOM", "\ufeffmultiplex_profiles: true\n", none, none, true},
		{"yaml control char", "x: \"a\u0001\"\nmultiplex_profiles: true\n", none, none, false},
		{"yaml tab indent", "gateway:\n\tmultiplex_profiles: true\n", none, none, false},
		{"yaml deep", "x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\nmultiplex_profiles: true\n", none, none, false},
		{"yaml billion laughs", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nmultiplex_profiles: true\n", none, none, true},
		{"yaml value key", "=: 1\nmultiplex_profiles: true\n", none, none, true},
		{"yaml set", "multiplex_profiles: !!set {a}\n", none, none, true},
		{"yaml omap", "multiplex_profiles: !!omap [a: 1]\n", none, none, true},
		{"yaml directive 1.1", "%YAML 1.1\n---\nmultiplex_profiles: true\n", none, none, true},
		{"env '1' over yaml true", "multiplex_profiles: true\n", none, "1", true},
		{"env 'off' over yaml true", "multiplex_profiles: true\n", none, "off", false},
		{"env '' over yaml true", "multiplex_profiles: true\n", none, "", true},
		{"env '  ' over yaml true", "multiplex_profiles: true\n", none, "  ", true},
		{"env 'maybe' over yaml true", "multiplex_profiles: true\n", none, "maybe", true},
		{"env ' TRUE ' over yaml true", "multiplex_profiles: true\n", none, " TRUE ", true},
		{"env 'No' over yaml true", "multiplex_profiles: true\n", none, "No", false},
		{"env unrecognised json broken", none, "[1]", "maybe", false},
		{"env true json broken", none, "[1]", "true", true},
		{"nothing", none, none, none, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			m := multiplexOf(t, c.yaml, c.json, c.env)
			is.Equal(m.On, c.on) // multiplex decision
			is.True(m.Source != "")
			for _, w := range m.Warnings {
				is.True(strings.HasSuffix(w.Path, ConfigYAML) || strings.HasSuffix(w.Path, GatewayJSON) || w.Path == EnvMultiplex) // warnings name the file or variable
			}
		})
	}
}

func multiplexOf(t *testing.T, yaml, json, env string) Multiplex {
	t.Helper()
	home := t.TempDir()
	for name, content := range map[string]string{ConfigYAML: yaml, GatewayJSON: json} {
		if content == none {
			continue
		}
		if err := os.WriteFile(filepath.Join(home, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := homefs.Open(home, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return ReadMultiplex(d, func(k string) string {
		if k == EnvMultiplex && env != none {
			return env
		}
		return ""
	})
}

// TestMultiplexSources: the plan says which layer decided.
func TestMultiplexSources(t *testing.T) {
	cases := []struct{ yaml, json, env, source string }{
		{"multiplex_profiles: on\n", none, none, "config.yaml multiplex_profiles"},
		{"gateway:\n  multiplex_profiles: on\n", none, none, "config.yaml gateway.multiplex_profiles"},
		{none, `{"multiplex_profiles": 1}`, none, "gateway.json multiplex_profiles"},
		{"multiplex_profiles: null\n", `{"gateway": {"multiplex_profiles": 1}}`, none, "gateway.json gateway.multiplex_profiles"},
		{"multiplex_profiles: on\n", none, " Off", "GATEWAY_MULTIPLEX_PROFILES= Off"},
		{none, none, none, "default (off): no multiplex_profiles in config.yaml or gateway.json"},
		{none, `[1]`, none, "default (off): gateway.json is not an object"},
	}
	for _, c := range cases {
		is.New(t).Equal(multiplexOf(t, c.yaml, c.json, c.env).Source, c.source)
	}
}

// TestMultiplexWarnings: what cannot be used is named, with the reason.
func TestMultiplexWarnings(t *testing.T) {
	big := "multiplex_profiles: true\n#" + strings.Repeat("x", MaxFileBytes) + "\n"
	cases := []struct{ yaml, json, env, path, reason string }{
		{"multiplex_profiles: [\n", none, none, ConfigYAML, "is not valid YAML"},
		{"a: 1\n---\nb: 2\n", none, none, ConfigYAML, "more than one YAML document"},
		{"[1]\n", none, none, ConfigYAML, "is not a YAML mapping"},
		{"x: !foo y\n", none, none, ConfigYAML, "line 1: no constructor for the tag !foo"},
		{big, none, none, ConfigYAML, "is too large"},
		{"x: " + strings.Repeat("[", 500) + strings.Repeat("]", 500) + "\n", none, none, ConfigYAML, "nested deeper than 400"},
		{none, `{"multiplex_profiles": tru`, none, GatewayJSON, "is not valid JSON"},
		{none, `"x"`, none, GatewayJSON, "holds a string, not an object"},
		{none, none, "maybe", EnvMultiplex, `"maybe" is not one of`},
	}
	for _, c := range cases {
		is := is.New(t)
		m := multiplexOf(t, c.yaml, c.json, c.env)
		is.Equal(len(m.Warnings), 1)                           // one warning
		is.True(strings.HasSuffix(m.Warnings[0].Path, c.path)) // naming the file
		is.True(strings.Contains(m.Warnings[0].Reason, c.reason))
		is.True(!m.On)
	}
}

// TestMultiplexFollowsLinksAsOwner: in follow mode a symlinked config.yaml
// is read where it leads, as upstream's loader opens it.
func TestMultiplexFollowsLinks(t *testing.T) {
	is := is.New(t)
	home, elsewhere := t.TempDir(), t.TempDir()
	is.NoErr(os.WriteFile(filepath.Join(elsewhere, "c.yaml"), []byte("multiplex_profiles: yes\n"), 0o644))
	is.NoErr(os.Symlink(filepath.Join(elsewhere, "c.yaml"), filepath.Join(home, ConfigYAML)))
	for _, follow := range []bool{true, false} {
		d, err := homefs.Open(home, follow)
		is.NoErr(err)
		m := ReadMultiplex(d, nil)
		d.Close()
		is.Equal(m.On, follow) // followed, or refused with a warning as root
		is.Equal(len(m.Warnings), map[bool]int{true: 0, false: 1}[follow])
	}
}

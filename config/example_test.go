package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/matryer/is"
)

// examplePath is the commented example laid into the image.
const examplePath = "../rootfs/etc/hermes-init/hermes-init.toml"

// setting is a commented-out setting of the example: "#key = value" or
// "#[[service]]", as opposed to prose ("# text").
var setting = regexp.MustCompile(`(?m)^#([a-z\[])`)

// TestExampleIsDefault: the example as shipped configures exactly the
// defaults, and with every setting uncommented still does (plus its example
// service), so the values it shows cannot drift from Default.
func TestExampleIsDefault(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	data, err := os.ReadFile(examplePath)
	is.NoErr(err)

	c, err := load(examplePath, true, nil, nil, f.passwd, f.group)
	is.NoErr(err)
	want := Default()
	want.File = examplePath
	is.Equal(c, want) // the example as shipped is the defaults

	uncommented := setting.ReplaceAllString(string(data), "$1")
	c, err = f.load(t, uncommented)
	is.NoErr(err)
	want = Default()
	want.File = f.file
	dash := newService("dashboard")
	dash.Command = []string{"hermes", "dashboard"}
	want.Services = []Service{dash}
	is.Equal(c, want) // every value shown is the default
}

// TestExampleShowsEveryKey: each key of the schema is a setting of the
// example, except gateway.multiplex, whose default is to be unset.
func TestExampleShowsEveryKey(t *testing.T) {
	is := is.New(t)
	data, err := os.ReadFile(examplePath)
	is.NoErr(err)
	var v any
	md, err := toml.Decode(setting.ReplaceAllString(string(data), "$1"), &v)
	is.NoErr(err)
	shown := map[string]bool{}
	for _, k := range md.Keys() {
		shown[k.String()] = true
	}
	for _, k := range topKeys {
		if k.name == "gateway.multiplex" {
			is.True(strings.Contains(string(data), "\n# multiplex = true")) // multiplex is shown as prose
			continue
		}
		is.True(shown[k.name]) // the example shows this key
	}
	for _, k := range serviceKeys {
		is.True(shown["service."+k.name]) // the example service shows this key
	}
	for name := range shown {
		_, top := findKey(topKeys, name)
		_, svc := findKey(serviceKeys, strings.TrimPrefix(name, "service."))
		is.True(top || svc || slices.Contains(tables, name) || name == serviceTable) // no key the schema lacks
	}
}

// TestDocsDocumentEveryKey: the key table of docs/configuration.md has a
// row for each key, with its variable.
func TestDocsDocumentEveryKey(t *testing.T) {
	is := is.New(t)
	data, err := os.ReadFile("../docs/configuration.md")
	is.NoErr(err)
	readme := string(data)
	for _, k := range topKeys {
		row := "| `" + k.name + "` | `" + envName(k.name) + "` |"
		is.True(strings.Contains(readme, row)) // docs/configuration.md row for the key
	}
	for _, k := range serviceKeys {
		row := "| `service[]." + k.name + "` | `" + serviceEnvName("<name>", k.name) + "` |"
		is.True(strings.Contains(readme, row)) // docs/configuration.md row for the service key
	}
}

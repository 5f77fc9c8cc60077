package gwconfig

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// Names of the files and the variable (hermes-agent's gateway/config.py, load_gateway_config).
const (
	ConfigYAML   = "config.yaml"
	GatewayJSON  = "gateway.json"
	EnvMultiplex = "GATEWAY_MULTIPLEX_PROFILES"
	// KeyMultiplex is the setting, top-level or in the "gateway" section.
	KeyMultiplex = "multiplex_profiles"
	keyGateway   = "gateway"
)

// MaxFileBytes bounds each configuration file read: a Hermes config.yaml is
// a few KiB, and a bigger one must not cost the boot its memory.
const MaxFileBytes = 1 << 20

// Multiplex is the multiplex setting and what decided it.
type Multiplex struct {
	On       bool
	Source   string            // e.g. "config.yaml multiplex_profiles", for the plan
	Warnings []gateway.Warning // files or values that could not be used
}

// ReadMultiplex decides multiplex_profiles for the home d as upstream's
// gateway loader does (see the package documentation). It never fails:
// what cannot be used is a warning and the next layer decides.
func ReadMultiplex(d *homefs.Dir, getenv func(string) string) Multiplex {
	var m Multiplex
	env := ""
	if getenv != nil {
		env = getenv(EnvMultiplex)
	}
	switch tok := pyLowerStrip(env); {
	case truthWords[tok], falseWords[tok]:
		return Multiplex{On: truthWords[tok], Source: fmt.Sprintf("%s=%s", EnvMultiplex, env)}
	case tok != "":
		m.warn(EnvMultiplex, fmt.Sprintf("%q is not one of 1, true, yes, on, 0, false, no, off; ignored, the configuration decides", env))
	}
	j, broken := m.readJSON(d)
	if broken != "" {
		// Upstream merges config.yaml's settings into gateway.json's value,
		// which fails on a non-object, and then reads that value as empty.
		m.warn(d.Join(GatewayJSON), broken+"; neither it nor "+ConfigYAML+" can set "+KeyMultiplex)
		m.Source = "default (off): " + GatewayJSON + " is not an object"
		return m
	}
	y := m.readYAML(d)
	v, src := layer(j, y)
	m.On = v.coerce()
	m.Source = src
	return m
}

// setting is one file's multiplex_profiles: present at the top level, and
// in its gateway section.
type setting struct {
	top, nested       value
	hasTop, hasNested bool
	ok                bool // the file was used
}

// layer applies rules 2 and 3: config.yaml over gateway.json, key presence
// deciding, then the nested gateway.json value when the result is null.
func layer(j, y setting) (value, string) {
	v, src, present := j.top, GatewayJSON+" "+KeyMultiplex, j.hasTop
	switch {
	case y.hasTop:
		v, src, present = y.top, ConfigYAML+" "+KeyMultiplex, true
	case y.hasNested && !j.hasTop:
		v, src, present = y.nested, ConfigYAML+" "+keyGateway+"."+KeyMultiplex, true
	}
	if (!present || v.null) && j.hasNested {
		// Upstream takes the nested value of the merged settings, whose
		// gateway section is gateway.json's: config.yaml's is not merged in.
		return j.nested, GatewayJSON + " " + keyGateway + "." + KeyMultiplex
	}
	if !present {
		return value{null: true}, "default (off): no " + KeyMultiplex + " in " + ConfigYAML + " or " + GatewayJSON
	}
	return v, src
}

func (m *Multiplex) warn(path, why string) {
	m.Warnings = append(m.Warnings, gateway.Warning{Path: path, Reason: why})
}

// read returns a file's content, or nil when it is missing or unusable
// (with a warning naming it).
func (m *Multiplex) read(d *homefs.Dir, name, instead string) []byte {
	data, err := d.ReadFile(name, MaxFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		m.warn(d.Join(name), gateway.Reason(d.Join(name), err)+"; "+instead)
		return nil
	}
	return data
}

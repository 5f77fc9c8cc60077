package gateway

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestIntent(t *testing.T) {
	cases := []struct {
		name      string
		content   string // "" = no file
		label     string
		autostart bool
		source    string
		original  string
		warn      string
	}{
		{"no file", "", "None", false, "", "", ""},
		{"empty object", `{}`, "None", false, "", "", ""},
		{"gateway_state null", `{"gateway_state":null}`, "None", false, "", "", ""},
		{"running", `{"gateway_state":"running"}`, "running", true, "gateway_state", "", ""},
		{"draining reads as running", `{"gateway_state":"draining"}`, "running", true, "gateway_state", "draining", ""},
		{"degraded reads as running", `{"gateway_state":"degraded"}`, "running", true, "gateway_state", "degraded", ""},
		{"starting stays down", `{"gateway_state":"starting"}`, "starting", false, "gateway_state", "", ""},
		{"stopped stays down", `{"gateway_state":"stopped"}`, "stopped", false, "gateway_state", "", ""},
		{"startup_failed stays down", `{"gateway_state":"startup_failed"}`, "startup_failed", false, "gateway_state", "", ""},
		{"unknown string verbatim", `{"gateway_state":"paused"}`, "paused", false, "gateway_state", "", ""},
		{"case matters", `{"gateway_state":"Running"}`, "Running", false, "gateway_state", "", ""},
		{"whitespace matters", `{"gateway_state":"running "}`, "running ", false, "gateway_state", "", ""},
		{"desired stopped beats running", `{"gateway_state":"running","desired_state":"stopped"}`, "stopped", false, "desired_state", "", ""},
		{"desired running beats stopped", `{"gateway_state":"stopped","desired_state":"running"}`, "running", true, "desired_state", "", ""},
		{"desired beats draining", `{"gateway_state":"draining","desired_state":"stopped"}`, "stopped", false, "desired_state", "", ""},
		{"desired draining is verbatim", `{"gateway_state":"running","desired_state":"draining"}`, "draining", false, "desired_state", "", ""},
		{"desired empty string wins", `{"gateway_state":"running","desired_state":""}`, "", false, "desired_state", "", ""},
		{"desired null falls back", `{"gateway_state":"running","desired_state":null}`, "running", true, "gateway_state", "", ""},
		{"desired number", `{"gateway_state":"running","desired_state":1}`, "1", false, "desired_state", "", "desired_state is not a string (1)"},
		{"desired true", `{"desired_state":true}`, "True", false, "desired_state", "", "desired_state is not a string (true)"},
		{"gateway_state object", `{"gateway_state":{"a":1}}`, `{'a': 1}`, false, "gateway_state", "", `gateway_state is not a string ({"a":1})`},
		{"gateway_state list", `{"gateway_state":["draining"]}`, `['draining']`, false, "gateway_state", "", "not a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			if c.content != "" {
				write(t, home, StateFile, c.content)
			}
			st, warns := ReadState(home)
			is.Equal(len(warns), 0)
			in, warns := Intent(st)
			is.Equal(in.Label(), c.label)
			is.Equal(in.Autostart(), c.autostart)
			is.Equal(in.Source, c.source)
			is.Equal(in.Original, c.original)
			if c.warn == "" {
				is.Equal(len(warns), 0)
				return
			}
			is.Equal(len(warns), 1)
			is.Equal(warns[0].Path, st.Path)
			is.True(strings.Contains(warns[0].Reason, c.warn))
		})
	}
}

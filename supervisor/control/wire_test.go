package control

import (
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("a", maxNameLen)
	cases := []struct {
		r    Request
		code string // "" = valid
		msg  string
	}{
		{Request{Op: OpStatus}, "", ""},
		{Request{Op: OpHealth}, "", ""},
		{Request{Op: OpStart, Profile: "work"}, "", ""},
		{Request{Op: OpStop, Profile: "gateway-work", TimeoutMillis: 1}, "", ""},
		{Request{Op: OpRestart, Profile: long}, "", ""},
		{Request{Op: OpWait, Profile: "dashboard", State: WantDown, TimeoutMillis: MaxTimeout.Milliseconds()}, "", ""},
		{Request{Op: OpUp, Profile: "work"}, "", ""},
		{Request{Op: OpOnce, Profile: "work", TimeoutMillis: 10}, "", ""},
		{Request{Op: OpDown, Profile: "gateway-work"}, "", ""},
		{Request{Op: OpSignal, Profile: "work", Signal: "TERM"}, "", ""},
		{Request{Op: OpSignal, Profile: "work", Signal: "RTMIN+3"}, "", ""},
		{Request{Op: OpScan}, "", ""},
		{Request{Op: OpScan, Prune: true, TimeoutMillis: 100}, "", ""},
		{Request{Op: OpSignal, Profile: "work"}, CodeBadRequest, "signal: missing"},
		{Request{Op: OpSignal, Profile: "work", Signal: "65"}, CodeBadRequest, "signal: 65 is not a signal number"},
		{Request{Op: OpSignal, Profile: "work", Signal: "NOPE"}, CodeBadRequest, `signal: unknown signal "NOPE"`},
		{Request{Op: OpSignal, Signal: "TERM"}, CodeBadRequest, "profile: missing"},
		{Request{Op: OpDown, Profile: "w", Signal: "TERM"}, CodeBadRequest, "signal: not used by down"},
		{Request{Op: OpUp, Profile: "w", Prune: true}, CodeBadRequest, "prune: not used by up"},
		{Request{Op: OpScan, Profile: "w"}, CodeBadRequest, "profile: not used by scan"},
		{Request{Op: OpScan, State: WantUp}, CodeBadRequest, "state: not used by scan"},
		{Request{Op: OpHealth, Prune: true}, CodeBadRequest, "prune: not used by health"},
		{Request{}, CodeBadRequest, "op: missing"},
		{Request{Op: "STATUS"}, CodeUnknownOp, `op: unknown op "STATUS"`},
		{Request{Op: OpHealth, State: WantUp}, CodeBadRequest, "state: not used by health"},
		{Request{Op: OpStatus, TimeoutMillis: 5}, CodeBadRequest, "timeout_ms: not used by status"},
		{Request{Op: OpStart}, CodeBadRequest, "profile: missing"},
		{Request{Op: OpStart, Profile: long + "a"}, CodeBadRequest, "profile: longer than 259 bytes"},
		{Request{Op: OpStart, Profile: "a/b"}, CodeBadRequest, `profile: "a/b" holds the character '/'`},
		{Request{Op: OpStart, Profile: "a\nb"}, CodeBadRequest, `holds the character '\n'`},
		{Request{Op: OpStart, Profile: "a\x00"}, CodeBadRequest, `holds the character '\x00'`},
		{Request{Op: OpStart, Profile: "w", State: WantUp}, CodeBadRequest, "state: not used by start"},
		{Request{Op: OpWait, Profile: "w"}, CodeBadRequest, "state: missing"},
		{Request{Op: OpWait, Profile: "w", State: "UP"}, CodeBadRequest, `state: "UP" is not up or down`},
		{Request{Op: OpStop, Profile: "w", TimeoutMillis: -5}, CodeBadRequest, "timeout_ms: -5 is negative"},
		{Request{Op: OpStop, Profile: "w", TimeoutMillis: MaxTimeout.Milliseconds() + 1}, CodeBadRequest, "timeout_ms: 86400001 is more than 86400000 (24h0m0s)"},
	}
	for _, c := range cases {
		err := c.r.Validate()
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%+v: %v, want valid", c.r, err)
		case c.code == "":
		case err == nil:
			t.Errorf("%+v: valid, want %s %q", c.r, c.code, c.msg)
		case errorCode(err) != c.code || !strings.Contains(err.Error(), c.msg):
			t.Errorf("%+v: %s %q, want %s %q", c.r, errorCode(err), err, c.code, c.msg)
		}
	}
}

func TestParseSignal(t *testing.T) {
	is := is.New(t)
	for in, want := range map[string]syscall.Signal{
		"TERM": syscall.SIGTERM, "SIGTERM": syscall.SIGTERM, "term": syscall.SIGTERM, "15": syscall.SIGTERM,
		"KILL": syscall.SIGKILL, "WINCH": syscall.SIGWINCH, "RTMIN+3": 37, "64": 64,
	} {
		got, err := ParseSignal(in)
		is.NoErr(err)
		is.Equal(got, want) // ParseSignal(in)
	}
	for _, bad := range []string{"", "0", "-1", "65", "SIG", "RTMIN+31", "TERM1"} {
		_, err := ParseSignal(bad)
		is.True(err != nil) // refused
	}
}

func TestSlotName(t *testing.T) {
	is := is.New(t)
	slots := map[string]bool{"gateway-default": true, "gateway-work": true, "dashboard": true, "gateway-dashboard": true}
	exists := func(s string) bool { return slots[s] }
	for in, want := range map[string]string{
		"default":           "gateway-default",
		"work":              "gateway-work",
		"gateway-work":      "gateway-work",
		"dashboard":         "dashboard", // the service wins over the profile of that name
		"gateway-dashboard": "gateway-dashboard",
	} {
		got, ok := SlotName(in, exists)
		is.True(ok)
		is.Equal(got, want) // SlotName(in)
	}
	_, ok := SlotName("nosuch", exists)
	is.True(!ok) // unknown
}

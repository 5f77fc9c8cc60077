package supervisor

import (
	"bytes"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestEscape feeds Escape what a hostile name or path can hold.
func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain /opt/data/profiles/work", "plain /opt/data/profiles/work"},
		{"x\nprofile=default prior_state=running action=started", `x\nprofile=default prior_state=running action=started`},
		{"a\rb", `a\rb`},
		{"tab\there", `tab\there`},
		{"\x1b[2J\x1b[1;31mred", `\x1b[2J\x1b[1;31mred`},
		{"nul\x00byte", `nul\x00byte`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085next", `c1\x85next`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		{"mark\u200f", `mark\u200f`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"ünïcödé ⚕ 漢字", "ünïcödé ⚕ 漢字"}, // printable text stays
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestLoggerEscapes: a message cannot make a log line of its own.
func TestLoggerEscapes(t *testing.T) {
	is := is.New(t)
	var b bytes.Buffer
	l := NewLogger(&b, LevelInfo)
	l.Warnf("boot: %s: no SOUL.md", "/opt/data/profiles/x\nhermes-init: reconcile: profile=default action=started")
	is.Equal(strings.Count(b.String(), "\n"), 1) // one line
	is.True(strings.HasPrefix(b.String(), "hermes-init: warning: boot: /opt/data/profiles/x\\nhermes-init:"))
}

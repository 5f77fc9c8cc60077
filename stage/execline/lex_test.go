package execline

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestMain(m *testing.M) {
	if os.Getenv("EXECLINE_TEST_PRINTARGS") != "" {
		// The helper the differential test runs at the end of a script:
		// it prints the arguments execlineb gave it.
		b, _ := json.Marshal(os.Args[1:])
		fmt.Println(string(b))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// lexCases are scripts and the command line execlineb makes of them.
var lexCases = []struct {
	name, src string
	want      []string
}{
	{"empty", "", nil},
	{"blank and comments", "  # nothing\n\t\n", nil},
	{"one command", "/etc/s6-overlay/scripts/prepare\n", []string{"/etc/s6-overlay/scripts/prepare"}},
	{"words", "mkdir -p /var/log/myapp", []string{"mkdir", "-p", "/var/log/myapp"}},
	{"comment after words", "echo a # b c\necho d", []string{"echo", "a", "echo", "d"}},
	{"hash inside a word", "echo a#b", []string{"echo", "a#b"}},
	{"quotes", `echo "a b" "c\"d" "e\\f"`, []string{"echo", "a b", `c"d`, `e\f`}},
	{"quotes join", `echo pre"mid dle"post`, []string{"echo", "premid dlepost"}},
	{"control escapes", `echo "\t\n\a"`, []string{"echo", "\t\n\a"}},
	{"numeric escapes", `echo "\65\0101\0x41\0x4a"`, []string{"echo", "AAAJ"}},
	{"other escape", `echo "\q\ \#"`, []string{"echo", "q #"}},
	{"quoted newline continuation", "echo \"a\\\nb\"", []string{"echo", "ab"}},
	{"backslash outside quotes", `echo a\ b \{ x\"y`, []string{"echo", "a b", "{", `x"y`}},
	{"line continuation", "echo a \\\n b", []string{"echo", "a", "b"}},
	{"block", "if { mkdir -p /x } chmod 0755 /x", []string{"if", " mkdir", " -p", " /x", "", "chmod", "0755", "/x"}},
	{"nested blocks", "foreground { if { true } echo a } echo b",
		[]string{"foreground", " if", "  true", " ", " echo", " a", "", "echo", "b"}},
	{"brace inside a word", "echo {a} b}", []string{"echo", "{a}", "b}"}},
	{"empty block", "if { } x", []string{"if", "", "x"}},
	{"NUL ends the text", "echo a\x00 b", []string{"echo", "a"}},
}

func TestLex(t *testing.T) {
	for _, c := range lexCases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			got, err := Lex([]byte(c.src))
			is.NoErr(err)
			is.Equal(got, c.want)
		})
	}
}

func TestLexErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"echo }", "line 1: unmatched }"},
		{"if { true", "line 1: unterminated block"},
		{"if {\n true\n", "line 3: unterminated block"},
		{`echo "abc`, "unterminated double quote"},
		{`echo a\`, "backslash at the end"},
		{`echo "\0"`, "invalid numeric escape"},
		{`echo "\0x"`, "invalid numeric escape"},
		{`echo "\300"`, "invalid numeric escape"},
	} {
		_, err := Lex([]byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one with %q", c.src, err, c.want)
		}
	}
}

// TestLexAgainstExeclineb runs every case through the real execlineb
// (Debian's execline package) and compares the command lines. .ci/run
// installs execline; elsewhere the test skips.
func TestLexAgainstExeclineb(t *testing.T) {
	execlineb, err := exec.LookPath("execlineb")
	if err != nil {
		requireOrSkip(t, "execline", "needs execlineb (Debian package execline)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range lexCases {
		if strings.Contains(c.src, "\x00") {
			continue // execlineb reads its file as text
		}
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			// The helper comes first: execlineb execs into the whole line.
			script := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
			is.NoErr(os.WriteFile(script, []byte(self+" "+c.src), 0o644))
			cmd := exec.Command(execlineb, "-P", script)
			cmd.Env = append(os.Environ(), "EXECLINE_TEST_PRINTARGS=1")
			out, err := cmd.Output()
			is.NoErr(err) // execlineb ran the helper
			var got []string
			is.NoErr(json.Unmarshal(out, &got))
			want := c.want
			if want == nil {
				want = []string{}
			}
			if got == nil {
				got = []string{}
			}
			is.Equal(got, want) // execlineb's command line
		})
	}
}

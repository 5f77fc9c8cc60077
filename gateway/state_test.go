package gateway

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

func TestReadStateValid(t *testing.T) {
	cases := []struct {
		name, content, state string
	}{
		{"plain", `{"gateway_state":"running"}`, "running"},
		{"BOM", "\xEF\xBB\xBF{\"gateway_state\":\"stopped\"}", "stopped"},
		{"whitespace", " \n{ \"gateway_state\" : \"starting\" }\n\n", "starting"},
		{"NaN elsewhere", `{"x":NaN,"y":[Infinity,-Infinity],"gateway_state":"running"}`, "running"},
		{"NaN inside a string stays", `{"gateway_state":"NaN"}`, "NaN"},
		{"duplicate key keeps last", `{"gateway_state":"stopped","gateway_state":"running"}`, "running"},
		{"escaped key", `{"gateway\u005fstate":"running"}`, "running"},
		{"exactly 1 MiB", padTo(`{"gateway_state":"running","pad":""}`, MaxStateBytes), "running"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			write(t, home, StateFile, c.content)
			st, warns := ReadState(home)
			is.Equal(len(warns), 0) // no warning
			is.True(st.Exists())
			v, ok := st.String(KeyGatewayState)
			is.True(ok)
			is.Equal(v, c.state)
			is.Equal(st.Path, filepath.Join(home, StateFile))
		})
	}
}

// padTo pads the "pad" value so that the document is exactly n bytes.
func padTo(doc string, n int) string {
	return strings.Replace(doc, `"pad":""`, `"pad":"`+strings.Repeat("x", n-len(doc))+`"`, 1)
}

func TestReadStateMissing(t *testing.T) {
	is := is.New(t)
	st, warns := ReadState(t.TempDir())
	is.True(!st.Exists())
	is.Equal(len(warns), 0) // a missing file is "no state", silently
	st, warns = ReadState(filepath.Join(t.TempDir(), "nope"))
	is.True(!st.Exists())
	is.Equal(len(warns), 0) // a missing home too
}

func TestReadStateUnusable(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, home string)
		reason string
	}{
		{"invalid JSON", file(`{"gateway_state":`), "is not valid JSON"},
		{"empty file", file(""), "is not valid JSON"},
		{"trailing data", file(`{"a":1} {"b":2}`), "is not valid JSON"},
		{"two BOMs", file("\xEF\xBB\xBF\xEF\xBB\xBF{}"), "is not valid JSON"},
		{"array", file(`["running"]`), "is not a JSON object (found an array)"},
		{"string", file(`"running"`), "is not a JSON object (found a string)"},
		{"number", file(`1`), "is not a JSON object (found a number)"},
		{"null", file(`null`), "is not a JSON object (found null)"},
		{"not UTF-8", file("{\"gateway_state\":\"run\xffning\"}"), "is not valid UTF-8"},
		{"over 1 MiB", file(padTo(`{"gateway_state":"running","pad":""}`, MaxStateBytes+1)), "is too large"},
		{"symlink", func(t *testing.T, home string) {
			target := write(t, t.TempDir(), "real.json", `{"gateway_state":"running"}`)
			must(t, os.Symlink(target, filepath.Join(home, StateFile)))
		}, "is a symbolic link: refusing to follow it as root"},
		{"dangling symlink", func(t *testing.T, home string) {
			must(t, os.Symlink("/nonexistent", filepath.Join(home, StateFile)))
		}, "is a symbolic link: refusing to follow it as root"},
		{"directory", func(t *testing.T, home string) {
			must(t, os.Mkdir(filepath.Join(home, StateFile), 0o755))
		}, "is not a regular file (directory)"},
		{"FIFO", func(t *testing.T, home string) { // must not block the boot
			must(t, syscall.Mkfifo(filepath.Join(home, StateFile), 0o644))
		}, "is not a regular file (FIFO)"},
		{"socket", func(t *testing.T, home string) {
			l, err := net.Listen("unix", filepath.Join(home, StateFile))
			must(t, err)
			t.Cleanup(func() { l.Close() })
		}, "is not a regular file (socket)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			c.setup(t, home)
			st, warns := ReadState(home)
			is.True(!st.Exists()) // unusable means no state
			is.Equal(len(warns), 1)
			path := filepath.Join(home, StateFile)
			is.Equal(warns[0].Path, path)                        // the warning names the file
			is.True(strings.Contains(warns[0].Reason, c.reason)) // and the reason
			is.True(strings.HasSuffix(warns[0].Reason, "treating as no prior state"))
			is.True(strings.HasPrefix(warns[0].String(), path+": "))
		})
	}
}

func file(content string) func(t *testing.T, home string) {
	return func(t *testing.T, home string) { write(t, home, StateFile, content) }
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadStateSymlinkedHomeIsTrusted(t *testing.T) {
	is := is.New(t)
	real := t.TempDir()
	write(t, real, StateFile, `{"gateway_state":"running"}`)
	link := filepath.Join(t.TempDir(), "home")
	must(t, os.Symlink(real, link))
	st, warns := ReadState(link)
	is.Equal(len(warns), 0) // the operator chose the home; only what is below it is checked
	is.True(st.Exists())
}

// TestReadStateUnreadable needs a permission error, which root never gets:
// as root it re-runs itself as nobody (the os/exec helper-process pattern).
func TestReadStateUnreadable(t *testing.T) {
	if home := os.Getenv("GATEWAY_TEST_UNREADABLE_HOME"); home != "" {
		st, warns := ReadState(home)
		if st.Exists() || len(warns) != 1 || !strings.Contains(warns[0].Reason, "is unreadable (permission denied)") {
			t.Fatalf("got exists=%v warnings=%v", st.Exists(), warns)
		}
		return
	}
	is := is.New(t)
	home, err := os.MkdirTemp("", "gateway-unreadable")
	is.NoErr(err)
	t.Cleanup(func() { os.RemoveAll(home) })
	is.NoErr(os.Chmod(home, 0o755))
	path := write(t, home, StateFile, `{"gateway_state":"running"}`)
	is.NoErr(os.Chmod(path, 0o000))
	if os.Geteuid() != 0 {
		t.Setenv("GATEWAY_TEST_UNREADABLE_HOME", home)
		TestReadStateUnreadable(t)
		return
	}
	cmd := exec.Command(copyExecutable(t, home), "-test.run=^TestReadStateUnreadable$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GATEWAY_TEST_UNREADABLE_HOME="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	is.NoErr(err) // the unprivileged run sees a warning naming the file
	if err != nil {
		t.Log(string(out))
	}
}

// copyExecutable copies the test binary next to home, where nobody can run it
// (the go build cache is private to its owner).
func copyExecutable(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	must(t, err)
	b, err := os.ReadFile(self)
	must(t, err)
	path := filepath.Join(dir, "test.bin")
	must(t, os.WriteFile(path, b, 0o755))
	return path
}

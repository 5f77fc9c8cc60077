package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestReadPriorExit(t *testing.T) {
	ledger := filepath.Join(StateDir, LifecycleFile)
	cases := []struct {
		name  string
		setup func(t *testing.T, home string)
		want  PriorExit
		warn  string
	}{
		{"missing state dir", func(t *testing.T, home string) {}, PriorExitUnknown, ""},
		{"missing ledger", func(t *testing.T, home string) { must(t, os.Mkdir(filepath.Join(home, StateDir), 0o755)) }, PriorExitUnknown, ""},
		{"exited", content(ledger, `{"phase":"exited","pid":7,"exit_code":0}`), PriorExitClean, ""},
		{"running", content(ledger, `{"phase":"running","pid":7}`), PriorExitUnclean, ""},
		{"BOM", content(ledger, "\xEF\xBB\xBF{\"phase\":\"exited\"}"), PriorExitClean, ""},
		{"other phase", content(ledger, `{"phase":"starting"}`), PriorExitUnknown, ""},
		{"no phase", content(ledger, `{"pid":7}`), PriorExitUnknown, ""},
		{"phase not a string", content(ledger, `{"phase":["running"]}`), PriorExitUnknown, ""},
		{"phase case", content(ledger, `{"phase":"Exited"}`), PriorExitUnknown, ""},
		{"invalid JSON", content(ledger, `{"phase":`), PriorExitUnknown, "is not valid JSON"},
		{"not an object", content(ledger, `"exited"`), PriorExitUnknown, "is not a JSON object"},
		{"ledger symlink", func(t *testing.T, home string) {
			must(t, os.Mkdir(filepath.Join(home, StateDir), 0o755))
			target := write(t, t.TempDir(), "l.json", `{"phase":"exited"}`)
			must(t, os.Symlink(target, filepath.Join(home, ledger)))
		}, PriorExitUnknown, "is a symbolic link: refusing to follow it as root"},
		{"state dir symlink", func(t *testing.T, home string) {
			other := t.TempDir()
			write(t, other, LifecycleFile, `{"phase":"exited"}`)
			must(t, os.Symlink(other, filepath.Join(home, StateDir)))
		}, PriorExitUnknown, "path component"},
		{"state is a file", content(StateDir, "x"), PriorExitUnknown, "not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			c.setup(t, home)
			got, warns := ReadPriorExit(home)
			is.Equal(got, c.want)
			if c.warn == "" {
				is.Equal(len(warns), 0)
				return
			}
			is.Equal(len(warns), 1)
			is.Equal(warns[0].Path, filepath.Join(home, ledger)) // names the ledger
			is.True(strings.Contains(warns[0].Reason, c.warn))
			is.True(strings.HasSuffix(warns[0].Reason, "prior_exit is unknown"))
		})
	}
	got, warns := ReadPriorExit(filepath.Join(t.TempDir(), "missing-home"))
	is.New(t).Equal(got, PriorExitUnknown)
	is.New(t).Equal(len(warns), 0)
}

func content(name, s string) func(t *testing.T, home string) {
	return func(t *testing.T, home string) { write(t, home, name, s) }
}

package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzLoad: no file, however broken, makes Load panic; it gives either a
// configuration or located errors, never both or neither.
func FuzzLoad(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
		f.Add([]byte(setting.ReplaceAllString(string(data), "$1")))
	}
	for _, seed := range []string{
		fullFile,
		"grace = \"5x\"\ncolour = 1\na.b.c = 2\n",
		"[gateway]\nenv = { A = \"1\", B = 2 }\ncommand = []\n",
		"[[service]]\nname = \"a\"\ncommand = [\"x\"]\n[service.env]\nQ = 1\n[[service]]\nname = \"a\"\n",
		"service = [{ name = \"a\" }, 1, { colour = 2 }]\n",
		"[[service]]\n[[service.x]]\n[[service]]\nname = \"\\u0000\"\n",
		"[gateway\n",
		"\xef\xbb\xbfgrace = 1\n",
		"\xff\xfegrace = 1\n",
		"gateway.env.A.B = \"1\"\n",
		"[restart]\nbackoff_min = 1e308\nbackoff_max = -0.0\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	environ := []string{"HERMES_INIT_SERVICE_X_COMMAND=x", "HERMES_INIT_GATEWAY_ENV=A=1"}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := build("fuzz.toml", data, environ, nil, dir+"/passwd", dir+"/group")
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", c, err)
		}
		if err == nil {
			return
		}
		errs := configErrors(err)
		if len(errs) == 0 || len(errs) != strings.Count(err.Error(), "\n")+1 && !multiLineMessage(errs) {
			t.Fatalf("error is not a list of *Error: %v", err)
		}
		for _, e := range errs {
			if e.Msg == "" || e.File == "" && e.Var == "" && e.Key == "" && !strings.HasPrefix(e.Msg, "more than") {
				t.Fatalf("error without a message or a place: %#v", e)
			}
			var target *Error
			if !errors.As(e, &target) {
				t.Fatal("unreachable")
			}
		}
	})
}

// multiLineMessage reports whether a message itself has a newline (a quoted
// TOML key or value may).
func multiLineMessage(errs []*Error) bool {
	for _, e := range errs {
		if strings.Contains(e.Error(), "\n") {
			return true
		}
	}
	return false
}

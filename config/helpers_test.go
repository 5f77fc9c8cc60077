package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a temporary directory with a configuration file and the
// account files, absent unless written.
type fixture struct {
	dir, file, passwd, group string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	return &fixture{
		dir:    dir,
		file:   filepath.Join(dir, "hermes-init.toml"),
		passwd: filepath.Join(dir, "passwd"),
		group:  filepath.Join(dir, "group"),
	}
}

func (f *fixture) write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// load writes text as the configuration file (none when text is "") and
// loads it with environ.
func (f *fixture) load(t *testing.T, text string, environ ...string) (*Config, error) {
	t.Helper()
	if text != "" {
		f.write(t, f.file, text)
	}
	return load(f.file, text != "", environ, nil, f.passwd, f.group)
}

// expand replaces {file} and {dir} in a wanted message.
func (f *fixture) expand(s string) string {
	return strings.NewReplacer("{file}", f.file, "{dir}", f.dir).Replace(s)
}

// messages lists the messages of a joined error, one per problem.
func messages(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, messages(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// configErrors lists the *Error values of a joined error.
func configErrors(err error) []*Error {
	var out []*Error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, configErrors(e)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		out = append(out, e)
	}
	return out
}

// withDefaults returns Default() changed by edit.
func withDefaults(edit func(c *Config)) *Config {
	c := Default()
	edit(c)
	return c
}

func boolPtr(b bool) *bool { return &b }

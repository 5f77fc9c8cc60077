package s6compat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
)

// DefaultEnvDir is where with-contenv reads the container environment, as in
// s6-overlay; hermes-init writes it there at boot (s6.envdir).
const DefaultEnvDir = "/run/s6/container_environment"

// WriteEnvdir writes environ to dir as an envdir, one file per variable
// named after it, holding the value and a newline (with-contenv reads whole
// files and drops one final newline, so values ending in a newline and empty
// values survive). Files already in dir are removed first: the envdir is the
// environment of this boot only. dir is 0755 and the files 0644, owned by
// the caller (root), as s6-overlay leaves them.
func WriteEnvdir(dir string, environ []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create envdir %s: %w", dir, err)
	}
	old, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read envdir %s: %w", dir, err)
	}
	for _, e := range old {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("clear envdir %s: %w", dir, err)
		}
	}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !envdirName(name) {
			continue // not representable as a file of an envdir
		}
		p := filepath.Join(dir, name)
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, []byte(value+"\n"), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// envdirName: s6-envdir reads files whose name has no '=' and does not start
// with a dot; a slash cannot be in a file name.
func envdirName(name string) bool {
	return name != "" && name[0] != '.' && !strings.ContainsAny(name, "=/\x00")
}

// ReadEnvdir applies dir to env as `s6-envdir -Lf dir` does: each file's
// whole content, less one final newline and with NULs turned into newlines,
// sets the variable named after the file; an empty file unsets it.
func ReadEnvdir(dir string, env []string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	vars := map[string]int{} // name → index in env
	for i, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		vars[name] = i
	}
	for _, e := range entries {
		name := e.Name()
		if !envdirName(name) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			if e.IsDir() {
				continue
			}
			return nil, err
		}
		i, had := vars[name]
		if len(b) == 0 {
			if had {
				env[i] = "" // dropped below
			}
			continue
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		kv := name + "=" + string(bytes.ReplaceAll(b, []byte{0}, []byte("\n")))
		if had {
			env[i] = kv
		} else {
			vars[name] = len(env)
			env = append(env, kv)
		}
	}
	out := env[:0]
	for _, kv := range env {
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out, nil
}

// envDirOf is the envdir hermes-init writes, as its configuration says
// (HERMES_INIT_CONFIG or the default file, then HERMES_INIT_S6_ENVDIR); a
// configuration that cannot be read leaves the default.
func envDirOf(environ []string) string {
	path, explicit := config.DefaultPath, false
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, config.EnvConfig+"="); ok && v != "" {
			path, explicit = v, true
		}
	}
	if cfg, err := config.Load(path, explicit, environ); err == nil {
		return cfg.S6.EnvDir
	}
	return DefaultEnvDir
}

// runWithContenv is with-contenv PROG...: PROG runs with the container
// environment of envdir and the caller's PATH (s6-overlay: emptyenv -p, then
// s6-envdir -Lf); with S6_KEEP_ENV set to a non-zero number, with the
// caller's environment unchanged.
func runWithContenv(args []string, o IO, envdir string) int {
	const prog = "with-contenv"
	if len(args) == 0 {
		return usage(o, prog, "with-contenv prog...")
	}
	env := o.Environ
	if !keepEnv(env) {
		env = nil
		for _, kv := range o.Environ {
			// PATH stays, as emptyenv -p keeps it; so does the tag by which
			// hermes-init finds what a service leaves behind without
			// writable cgroups.
			if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, cgroup.TagVar+"=") {
				env = append(env, kv)
			}
		}
		var err error
		switch env, err = ReadEnvdir(envdir, env); {
		case errors.Is(err, os.ErrNotExist):
			// No container environment was written (hermes-init ran as a
			// user that cannot write /run, or this is not its container):
			// the caller's environment is the container's.
			env = o.Environ
		case err != nil:
			return fatal(o, prog, exitSys, "unable to envdir %s: %v", envdir, unwrapPath(err))
		}
	}
	return execInto(o, prog, args, env)
}

// keepEnv: S6_KEEP_ENV is a number other than 0 (s6-overlay's test
// `eltest 0${S6_KEEP_ENV} -eq 0`).
func keepEnv(env []string) bool {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "S6_KEEP_ENV="); ok {
			v = strings.TrimLeft(v, "0")
			return v != "" && strings.Trim(v, "0123456789") == ""
		}
	}
	return false
}

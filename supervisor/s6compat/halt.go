package s6compat

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/supervisor/control"
)

// HaltPath is where s6-overlay scripts find the container's halt command
// (a finish script that wants the container to stop runs it); hermes-init as
// /init links it to itself.
const HaltPath = "/run/s6/basedir/bin/halt"

// runHalt is s6-overlay's halt: the container stops, and exits with what
// /run/s6-linux-init-container-results/exitcode says (0 unless a script
// wrote it). Root only.
func runHalt(args []string, o IO) int {
	const prog = "halt"
	if len(args) > 0 {
		return usage(o, prog, "halt")
	}
	sock := controlSocketOf(o.Environ)
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	resp, err := call(ctx, sock, control.Request{Op: control.OpHalt})
	switch {
	case err != nil:
		return fatal(o, prog, exitSys, "unable to reach hermes-init at %s: %v", sock, err)
	case !resp.OK:
		return fatal(o, prog, exitSys, "%s", resp.Error)
	}
	return exitOK
}

// runPrintcontenv is s6-overlay's printcontenv VAR: the value of VAR in the
// container environment, and a newline; 1 when it is not set (with
// S6_KEEP_ENV, the caller's own environment, where empty is not set).
func runPrintcontenv(args []string, o IO) int {
	const prog = "printcontenv"
	if len(args) == 0 {
		return fatal(o, prog, exitUsage, "too few arguments")
	}
	name := args[0]
	var env []string
	if keepEnv(o.Environ) {
		env = o.Environ
	} else {
		var err error
		if env, err = ReadEnvdir(envDirOf(o.Environ), nil); err != nil {
			return 1
		}
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok && (v != "" || !keepEnv(o.Environ)) {
			fmt.Fprintln(o.Stdout, v)
			return exitOK
		}
	}
	return 1
}

// controlSocketOf is the control socket hermes-init listens on, as its
// configuration says (HERMES_INIT_CONFIG or the default file, then
// HERMES_INIT_CONTROL_SOCKET); a configuration that cannot be read leaves
// the default.
func controlSocketOf(environ []string) string {
	path, explicit := config.Path("", environ)
	if cfg, err := config.Load(path, explicit, environ); err == nil {
		return cfg.ControlSocket
	}
	return config.DefaultControlSocket
}

// LinkHalt makes basedir/bin/halt run hermes-init as halt.
func LinkHalt(basedir, self string) error {
	bin := filepath.Join(basedir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", bin, err)
	}
	p := filepath.Join(bin, "halt")
	_ = os.Remove(p)
	if err := os.Symlink(self, p); err != nil {
		return fmt.Errorf("link %s: %w", p, err)
	}
	return nil
}

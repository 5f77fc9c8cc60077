package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Where users and groups are looked up.
const (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

// loader is one run of Load.
type loader struct {
	cfg  *Config
	file string // the file being read, for messages
	// origin maps a key ("gateway.user", "service[0].command", and
	// "service[0]" for the entry itself) to where its value came from.
	origin   map[string]origin
	services []string // the origin name of each cfg.Services entry: "service[i]"
	env      map[string]string
	errs     errorList
}

// Path returns the configuration file to read and whether the user named it:
// the --config flag's value, else HERMES_INIT_CONFIG, else DefaultPath
// (explicit false). Empty values count as unset.
func Path(flagValue string, environ []string) (path string, explicit bool) {
	if flagValue != "" {
		return flagValue, true
	}
	if v := environMap(environ)[EnvConfig]; v != "" {
		return v, true
	}
	return DefaultPath, false
}

// Load reads the configuration: the defaults, then the TOML file at path,
// then the HERMES_INIT_* variables of environ (os.Environ's form, NAME=VALUE;
// the first of duplicate names counts, as for os.Getenv). A missing file is
// the defaults unless explicit (the user named it with --config or
// HERMES_INIT_CONFIG). Users and groups are resolved against /etc/passwd
// and /etc/group. Flags, last, override the file and the variables.
//
// Load reports every problem it finds (up to 100), not only the first, each
// as an *Error that names the file, line and key, or the variable; several
// are joined with errors.Join. Config.Warnings holds what did not stop it.
// The caller exits 2 before starting anything.
func Load(path string, explicit bool, environ []string, flags ...Flag) (*Config, error) {
	return load(path, explicit, environ, flags, passwdFile, groupFile)
}

func load(path string, explicit bool, environ []string, flags []Flag, passwd, group string) (*Config, error) {
	data, err := readFile(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		path, data = "", nil // no file is valid: the defaults
	default:
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{File: path, Msg: "unable to read: " + msg}
	}
	return build(path, data, environ, flags, passwd, group)
}

// build makes the configuration from the file's contents (path "" for no
// file), the variables and the account files.
func build(path string, data []byte, environ []string, flags []Flag, passwd, group string) (*Config, error) {
	l := &loader{cfg: Default(), origin: map[string]origin{}, env: environMap(environ)}
	if path != "" {
		l.file, l.cfg.File = path, path
		l.readFile(data)
	}
	l.readEnv()
	l.readFlags(flags)
	l.resolveHome()
	l.validate()
	l.resolveIDs(passwd, group)
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

// readFile reads a regular file, at most maxFileBytes+1 bytes of it, so that
// a huge file is refused rather than read whole and a FIFO or device named
// by mistake cannot block the boot.
func readFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("not a regular file")}
	}
	return io.ReadAll(io.LimitReader(f, maxFileBytes+1))
}

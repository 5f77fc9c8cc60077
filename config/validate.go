package config

import (
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

const (
	// maxSocketPath: sun_path holds 108 bytes with the terminating NUL.
	maxSocketPath = 107
	// minLogBytes is the smallest rotation size s6-log accepts (s4096).
	minLogBytes = 4096
)

// fail reports a problem with key name's value, unless the value could not
// be read at all (already reported).
func (l *loader) fail(name, format string, args ...any) {
	if l.errs.bad[name] {
		return
	}
	l.errs.addf(l.origin[name], name, format, args...)
}

// resolveHome sets gateway.home when it is empty: $HERMES_HOME, else the
// image's /opt/data, as every Hermes reader of the variable does.
func (l *loader) resolveHome() {
	g := &l.cfg.Gateway
	if g.Home != "" && !l.origin["gateway.home"].isDefault() {
		return
	}
	if h := l.env[gateway.EnvHome]; h != "" {
		g.Home = h
		l.origin["gateway.home"] = origin{env: gateway.EnvHome}
		return
	}
	g.Home = gateway.DefaultHome
}

// validate checks what a single value's reader cannot: ranges, paths, and
// keys that depend on each other.
func (l *loader) validate() {
	c := l.cfg
	l.absPath("control_socket", c.ControlSocket)
	if len(c.ControlSocket) > maxSocketPath {
		l.fail("control_socket", "path is %d bytes long; a unix socket path has at most %d", len(c.ControlSocket), maxSocketPath)
	}
	// The same rule as cgroup.Tree.ensureDir, checked before anything starts.
	if r := c.CgroupRoot; r != "" && (!strings.HasPrefix(r, "/") || strings.Contains(r, "..") || path.Clean(r) == "/") {
		l.fail("cgroup_root", "invalid cgroup path %q (want an absolute one such as /hermes, without \"..\")", r)
	}
	l.positive("grace", c.Grace)
	for name, v := range map[string]string{
		"control_socket": c.ControlSocket, "cgroup_root": c.CgroupRoot, "s6.scandir": c.S6.ScanDir,
		"s6.basedir": c.S6.BaseDir, "s6.envdir": c.S6.EnvDir, "gateway.home": c.Gateway.Home, "gateway.workdir": c.Gateway.Workdir,
	} {
		if strings.ContainsRune(v, 0) {
			l.fail(name, "holds a NUL byte, which no path can")
		}
	}

	// hermes-init empties what it owns in these at boot: never "/".
	for _, k := range []struct{ name, dir string }{{"s6.scandir", c.S6.ScanDir}, {"s6.basedir", c.S6.BaseDir}, {"s6.envdir", c.S6.EnvDir}} {
		l.absPath(k.name, k.dir)
		if filepath.IsAbs(k.dir) && filepath.Clean(k.dir) == "/" {
			l.fail(k.name, "want a directory of its own, not /")
		}
	}

	g := &c.Gateway
	l.absPath("gateway.home", g.Home)
	l.argv("gateway.command", g.Command)
	if !slices.ContainsFunc(g.ProfileArgs, func(a string) bool { return strings.Contains(a, ProfilePlaceholder) }) {
		l.fail("gateway.profile_args", "must contain %q, which is replaced by the profile name", ProfilePlaceholder)
	}
	if g.FallbackUID > maxID {
		l.fail("gateway.fallback_uid", "invalid id %d (want 0 to %d)", g.FallbackUID, maxID)
	}
	if g.FallbackGID > maxID {
		l.fail("gateway.fallback_gid", "invalid id %d (want 0 to %d)", g.FallbackGID, maxID)
	}
	l.absPath("gateway.workdir", g.Workdir)

	r := &c.Restart
	l.positive("restart.backoff_min", r.BackoffMin)
	l.positive("restart.backoff_max", r.BackoffMax)
	l.positive("restart.stable_after", r.StableAfter)
	if r.BackoffMin > r.BackoffMax && !l.errs.bad["restart.backoff_max"] {
		l.fail("restart.backoff_min", "%v is more than restart.backoff_max (%v)", r.BackoffMin, r.BackoffMax)
	}
	if c.Logs.MaxBytes < minLogBytes {
		l.fail("logs.max_bytes", "%d is too small (want at least %d)", c.Logs.MaxBytes, minLogBytes)
	}
	l.validateServices()
}

// validateServices checks each service, and that names are unique also as
// variable names (foo-bar and foo_bar would share HERMES_INIT_SERVICE_FOO_BAR_*).
func (l *loader) validateServices() {
	byName := map[string]int{}
	byEnv := map[string]int{}
	for i, s := range l.cfg.Services {
		p := l.services[i]
		if l.origin[p+".name"].isDefault() {
			l.origin[p+".name"] = l.origin[p] // missing: blame the entry
		}
		switch {
		case s.Name == "":
			l.fail(p+".name", "required: every service needs a name")
		case !gateway.ValidProfileName(s.Name):
			l.fail(p+".name", "invalid name %q (want ^[a-z0-9][a-z0-9_-]*$)", s.Name)
		case strings.HasPrefix(s.Name, "gateway-"):
			l.fail(p+".name", "invalid name %q: names starting with \"gateway-\" belong to gateway slots", s.Name)
		default:
			if j, dup := byName[s.Name]; dup {
				l.fail(p+".name", "duplicate name %q (also %s)", s.Name, l.services[j])
			} else if j, dup := byEnv[envPart(s.Name)]; dup {
				l.fail(p+".name", "name %q and %s's %q give the same variables %s_<KEY>", s.Name, l.services[j],
					l.cfg.Services[j].Name, EnvPrefix+"SERVICE_"+envPart(s.Name))
			}
			byName[s.Name], byEnv[envPart(s.Name)] = i, i
		}
		if len(s.Command) == 0 && l.origin[p+".command"].isDefault() {
			l.origin[p+".command"] = l.origin[p]
			l.fail(p+".command", "required: service %q has no command (key command, or %s)", s.Name, serviceEnvName(s.Name, "command"))
		} else {
			l.argv(p+".command", s.Command)
		}
		l.absPath(p+".workdir", s.Workdir)
	}
}

func (l *loader) positive(name string, d time.Duration) {
	if d <= 0 {
		l.fail(name, "must be more than 0")
	}
}

func (l *loader) absPath(name, p string) {
	if !filepath.IsAbs(p) {
		l.fail(name, "want an absolute path, got %q", p)
	}
}

func (l *loader) argv(name string, argv []string) {
	switch {
	case len(argv) == 0:
		l.fail(name, "must not be empty")
	case argv[0] == "":
		l.fail(name, "the program (element 0) must not be empty")
	}
}

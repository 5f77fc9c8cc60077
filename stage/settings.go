package stage

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Settings are the S6_* variables s6-overlay v3 reads, with s6-overlay's
// defaults (its README, "Customizing s6-overlay behaviour"; the scripts
// rc.init, cont-init, cont-finish, services-up and services-down).
type Settings struct {
	// KeepEnv (S6_KEEP_ENV ≠ 0): every program of the stages sees the
	// container's whole environment; with-contenv does nothing. Otherwise
	// they see PATH alone and with-contenv reads the container environment
	// directory.
	KeepEnv bool
	// Behaviour (S6_BEHAVIOUR_IF_STAGE2_FAILS): 0 continue silently when the
	// stage-2 hook, a cont-init script or a service fails, 1 continue with a
	// warning, 2 stop the container.
	Behaviour int
	// CmdWait (S6_CMD_WAIT_FOR_SERVICES_MAXTIME, ms): bound on bringing the
	// services up before the main program; 0 waits as long as it takes.
	CmdWait time.Duration
	// CmdWaitForServices (S6_CMD_WAIT_FOR_SERVICES ≠ 0): wait for the
	// /etc/services.d services to be up (ready, with notification-fd)
	// before going on.
	CmdWaitForServices bool
	// ServicesReadyTime (S6_SERVICES_READYTIME, ms, default 50): pause
	// before that wait, as services-up does.
	ServicesReadyTime time.Duration
	// KillFinish (S6_KILL_FINISH_MAXTIME, ms, default 5000): bound on each
	// /etc/cont-finish.d script; it is SIGKILLed after it.
	KillFinish time.Duration
	// ServicesGrace (S6_SERVICES_GRACETIME, ms, default 3000): how long the
	// stop waits for the /etc/services.d services (and, in hermes-init, for
	// each s6-rc longrun without timeout-down) to go down.
	ServicesGrace time.Duration
	// KillGrace (S6_KILL_GRACETIME, ms, default 3000): at the end of the
	// stop, between the SIGTERM to everything left and the SIGKILL.
	KillGrace time.Duration
	// CmdArg0 (S6_CMD_ARG0): words put before the main program's arguments.
	CmdArg0 []string
	// CmdReceivesSignals (S6_CMD_RECEIVE_SIGNALS ≠ 0): a docker stop's
	// signal goes to the main program, and the container stops when it
	// exits.
	CmdReceivesSignals bool
	// ReadOnlyRoot (S6_READ_ONLY_ROOT ≠ 0): the root file system is
	// read-only; /run must be writable (a tmpfs is mounted when it is not).
	ReadOnlyRoot bool
	// Verbosity (S6_VERBOSITY, default 2): 0 errors, 1 warnings, 2 the
	// start and stop of every script and service.
	Verbosity int
	// Logging (S6_LOGGING): only 0 is supported (everything to the
	// container's stdout and stderr); see Warnings for other values.
	Logging int
	// SyncDisks (S6_SYNC_DISKS ≠ 0): sync(2) before the final kill.
	SyncDisks bool
	// Hook (S6_STAGE2_HOOK): run first in stage 2, as root; its words are
	// split on white space, as rc.init's unquoted $hook.
	Hook []string
	// RuntimeProfile (S6_RUNTIME_PROFILE) and BundleDir
	// (S6_RUNTIME_BUNDLEDIR): where the service definitions and bundles
	// are read from (see Paths).
	RuntimeProfile string
	BundleDir      string

	// Warnings are what the caller should log: values that could not be
	// read (the default was used), unsupported settings.
	Warnings []string
	// Ignored are the S6_* variables hermes-init does not read, which
	// s6-overlay would not read either or which have no meaning here; the
	// caller logs them at debug level, as s6-overlay ignores unknown ones.
	Ignored []string
}

// Defaults are s6-overlay v3.2's.
const (
	DefaultServicesReadyTime = 50 * time.Millisecond
	DefaultKillFinish        = 5000 * time.Millisecond
	DefaultServicesGrace     = 3000 * time.Millisecond
	DefaultKillGrace         = 3000 * time.Millisecond
	DefaultVerbosity         = 2
)

// knownIgnored are S6_* variables that s6-overlay reads and hermes-init does
// not need: they concern parts of s6-overlay that hermes-init replaces.
var knownIgnored = map[string]string{
	"S6_LOGGING_SCRIPT":      "no catch-all logger (S6_LOGGING=0 only)",
	"S6_CATCHALL_USER":       "no catch-all logger (S6_LOGGING=0 only)",
	"S6_CMD_USE_TERMINAL":    "the main program always has the container's terminal",
	"S6_FIX_ATTRS_HIDDEN":    "fix-attrs is not supported",
	"S6_WAIT_FOR_CLOSING_FD": "not supported",
	"S6_YES_I_WANT_A_WORLD_WRITABLE_RUN_BECAUSE_KUBERNETES": "hermes-init does not refuse a world-writable /run",
	"S6_OVERLAY_VERSION": "a build argument of images, not a setting",
}

// ReadSettings reads the S6_* variables of environ. A value that is not a
// number where one is wanted leaves the default and adds a warning naming
// the variable, as s6-overlay's scripts fall back to their defaults.
func ReadSettings(environ []string) Settings {
	s := Settings{
		ServicesReadyTime: DefaultServicesReadyTime,
		KillFinish:        DefaultKillFinish,
		ServicesGrace:     DefaultServicesGrace,
		KillGrace:         DefaultKillGrace,
		Verbosity:         DefaultVerbosity,
	}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "S6_") {
			continue
		}
		s.set(name, value)
	}
	return s
}

func (s *Settings) set(name, value string) {
	switch name {
	case "S6_KEEP_ENV":
		s.KeepEnv = s.flag(name, value)
	case "S6_BEHAVIOUR_IF_STAGE2_FAILS":
		s.Behaviour = s.number(name, value, 0)
	case "S6_CMD_WAIT_FOR_SERVICES_MAXTIME":
		s.CmdWait = s.millis(name, value, 0)
	case "S6_CMD_WAIT_FOR_SERVICES":
		s.CmdWaitForServices = s.flag(name, value)
	case "S6_SERVICES_READYTIME":
		s.ServicesReadyTime = s.millis(name, value, DefaultServicesReadyTime)
	case "S6_KILL_FINISH_MAXTIME":
		s.KillFinish = s.millis(name, value, DefaultKillFinish)
	case "S6_SERVICES_GRACETIME":
		s.ServicesGrace = s.millis(name, value, DefaultServicesGrace)
	case "S6_KILL_GRACETIME":
		s.KillGrace = s.millis(name, value, DefaultKillGrace)
	case "S6_CMD_ARG0":
		s.CmdArg0 = strings.Fields(value)
	case "S6_CMD_RECEIVE_SIGNALS":
		s.CmdReceivesSignals = s.flag(name, value)
	case "S6_READ_ONLY_ROOT":
		s.ReadOnlyRoot = s.flag(name, value)
	case "S6_VERBOSITY":
		s.Verbosity = s.number(name, value, DefaultVerbosity)
	case "S6_LOGGING":
		s.Logging = s.number(name, value, 0)
		if s.Logging != 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("S6_LOGGING=%s: the catch-all logger is not supported; everything goes to the container's stdout and stderr, as with S6_LOGGING=0", value))
		}
	case "S6_SYNC_DISKS":
		s.SyncDisks = s.flag(name, value)
	case "S6_STAGE2_HOOK":
		s.Hook = strings.Fields(value)
	case "S6_RUNTIME_PROFILE":
		s.RuntimeProfile = value
	case "S6_RUNTIME_BUNDLEDIR":
		s.BundleDir = value
	default:
		why, ok := knownIgnored[name]
		if !ok {
			why = "not an s6-overlay setting hermes-init knows"
		}
		s.Ignored = append(s.Ignored, fmt.Sprintf("%s: ignored (%s)", name, why))
	}
}

// number reads an unsigned decimal, as rc.init's `eltest =~ '^[[:digit:]]+$'`.
func (s *Settings) number(name, value string, def int) int {
	if value == "" {
		return def
	}
	n, err := strconv.ParseUint(value, 10, 31)
	if err != nil || strings.TrimLeft(value, "0123456789") != "" {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s=%q: not a number; using %d", name, value, def))
		return def
	}
	return int(n)
}

func (s *Settings) millis(name, value string, def time.Duration) time.Duration {
	n := s.number(name, value, int(def/time.Millisecond))
	return time.Duration(n) * time.Millisecond
}

// flag is s6-overlay's `test "0$X" -ne 0`: a number other than 0 is on. An
// empty value is off; anything else is a warning and off.
func (s *Settings) flag(name, value string) bool {
	return s.number(name, value, 0) != 0
}

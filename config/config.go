package config

import (
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/supervisor/control"
)

// Paths and names with a fixed meaning.
const (
	// DefaultPath is the configuration file read when neither --config nor
	// HERMES_INIT_CONFIG names one. Its absence is not an error.
	DefaultPath = "/etc/hermes-init/hermes-init.toml"
	// EnvConfig names the configuration file; --config overrides it.
	EnvConfig = "HERMES_INIT_CONFIG"
	// EnvPrefix starts every variable that sets a configuration key.
	EnvPrefix = "HERMES_INIT_"
	// ProfilePlaceholder in gateway.profile_args is replaced by the profile name.
	ProfilePlaceholder = "{profile}"
	// FallbackUser is the image's runtime user; when /etc/passwd (or
	// /etc/group) has no such name, gateway.fallback_uid (fallback_gid) is used,
	// so that scratch images without a passwd file still drop privileges.
	FallbackUser = "hermes"
	// Self is the UID or GID of a process that keeps hermes-init's own.
	Self = -1
)

// Config is hermes-init's configuration: typed and validated, with users and
// groups resolved. Load builds one; Default is the built-in one.
type Config struct {
	// File is the configuration file that was read, "" when there was none.
	File string
	// Warnings are problems that did not stop Load, such as a HERMES_INIT_*
	// variable that sets no key. The caller logs them.
	Warnings []string

	Grace         time.Duration // stop signal → SIGKILL, for services and the main command
	LeftoverGrace time.Duration // main command exited → its leftovers SIGTERM → SIGKILL
	LogLevel      string        // error, warn, info or debug
	Cgroup        string        // auto, v2, v1 or none (cgroup.ParseMode)
	CgroupRoot    string        // cgroup path to create services under; "" = default placement
	// CgroupMount lets a PID 1 with CAP_SYS_ADMIN in a private cgroup
	// namespace make read-only cgroup mounts writable itself.
	CgroupMount   bool
	ControlSocket string // absolute path of the control socket

	Gateway  Gateway
	Restart  Restart
	Logs     Logs
	S6       S6
	Services []Service // static services, in file order, then those defined only by variables
}

// Gateway is how gateway slots run (the [gateway] table).
type Gateway struct {
	Enabled bool // supervise the gateway slots of the boot plan at all
	// Home is HERMES_HOME, resolved: gateway.home, else $HERMES_HOME, else /opt/data.
	Home        string
	Command     []string // argv of the root profile's gateway
	ProfileArgs []string // inserted after Command[0] for a named profile; see GatewayArgv
	FallbackUID int      // UID of user "hermes" when /etc/passwd lacks it
	FallbackGID int      // GID of group "hermes" when /etc/group lacks it
	// Multiplex is nil when unset: then the boot decides as the gateway does,
	// from GATEWAY_MULTIPLEX_PROFILES and the Hermes configuration in the
	// home (config.yaml over gateway.json; docs/plan.md). Set, it wins.
	Multiplex *bool
	Exec
}

// Service is one static service (a [[service]] entry), supervised under the
// gateways' exit policy.
type Service struct {
	Name      string   // ^[a-z0-9][a-z0-9_-]*$, unique, not "gateway-…"
	Command   []string // argv, non-empty
	Autostart bool     // start at boot; false waits for "hermes-init ctl start"
	Exec
}

// Exec is what gateways and services share: who a process runs as, where,
// with what environment and within which limits.
type Exec struct {
	User    string // as configured: a name, a numeric UID, or "" for hermes-init's own
	Group   string // as configured: a name, a numeric GID, or "" for the user's primary group (with User "" and Group not set: hermes-init's own)
	UID     int    // resolved; Self (-1) keeps hermes-init's
	GID     int    // resolved; Self (-1) keeps hermes-init's
	Groups  []int  // supplementary groups, as getgrouplist(3): GID first; nil with UID Self
	Workdir string // absolute
	// Env is added to the environment (see GatewayEnv and Service.Environ).
	Env       map[string]string
	MemoryMax int64 // memory.max in bytes; 0 = no limit
	PidsMax   int64 // pids.max; 0 = no limit
}

// Restart holds the restart policy numbers (the [restart] table).
type Restart struct {
	BackoffMin   time.Duration // delay after a stable run; first step of the backoff
	BackoffMax   time.Duration // cap of the exponential backoff after fast deaths
	StableAfter  time.Duration // a run at least this long resets the crash count
	CrashLoopMax int           // fast deaths in a row before a slot turns failed; 0 = never
}

// Logs holds the per-slot log settings (the [logs] table).
type Logs struct {
	MaxBytes int64 // rotate "current" at this size (s6-log s1000000)
	Keep     int   // archives kept (s6-log n10)
	Stdout   bool  // also copy service output to hermes-init's stdout (docker logs)
}

// S6 is the s6 compatibility surface (the [s6] table): the Hermes CLI drives
// the slots through s6's programs and files (package s6compat).
type S6 struct {
	// Compat answers as s6 does: /proc/1/comm reads s6-svscan (as PID 1),
	// BaseDir exists, the container environment is written to EnvDir, and the
	// gateway slots appear as service directories in ScanDir.
	Compat  bool
	ScanDir string // the scan directory (Hermes: /run/service)
	BaseDir string // its existence tells Hermes s6 runs (/run/s6/basedir)
	EnvDir  string // with-contenv's envdir (/run/s6/container_environment)
}

// Defaults. The grace sits below Docker's 10 s stop timeout so that
// hermes-init, not Docker's SIGKILL, ends the container; the restart numbers
// follow s6 (at least 1 s between spawns) and Hermes's own storm guard (more
// than 5 starts in 120 s trips it); the log numbers are the s6-log line the
// image used (s6-log 1 n10 s1000000).
const (
	DefaultGrace         = 8 * time.Second
	DefaultLeftoverGrace = 2 * time.Second
	DefaultLogLevel      = "warn"
	DefaultCgroup        = "auto"
	DefaultControlSocket = control.DefaultSocketPath
	DefaultHome          = gateway.DefaultHome
	DefaultWorkdir       = "/opt/data"
	DefaultFallbackID    = 10000
	DefaultBackoffMin    = time.Second
	DefaultBackoffMax    = 60 * time.Second
	DefaultStableAfter   = 30 * time.Second
	DefaultCrashLoopMax  = 5
	DefaultLogMaxBytes   = 1000000
	DefaultLogKeep       = 10
	DefaultS6ScanDir     = "/run/service"
	DefaultS6BaseDir     = "/run/s6/basedir"
	DefaultS6EnvDir      = "/run/s6/container_environment"
)

// Default returns the built-in configuration: what Load returns with no file,
// no variables, and no "hermes" in /etc/passwd or /etc/group (so user and
// group resolve to the fallback 10000).
func Default() *Config {
	return &Config{
		Grace:         DefaultGrace,
		LeftoverGrace: DefaultLeftoverGrace,
		LogLevel:      DefaultLogLevel,
		Cgroup:        DefaultCgroup,
		ControlSocket: DefaultControlSocket,
		Gateway: Gateway{
			Enabled:     true,
			Home:        DefaultHome,
			Command:     []string{"hermes", "gateway", "run", "--replace"},
			ProfileArgs: []string{"-p", ProfilePlaceholder},
			FallbackUID: DefaultFallbackID,
			FallbackGID: DefaultFallbackID,
			Exec:        defaultExec(),
		},
		Restart: Restart{
			BackoffMin:   DefaultBackoffMin,
			BackoffMax:   DefaultBackoffMax,
			StableAfter:  DefaultStableAfter,
			CrashLoopMax: DefaultCrashLoopMax,
		},
		Logs: Logs{MaxBytes: DefaultLogMaxBytes, Keep: DefaultLogKeep, Stdout: true},
		S6:   S6{ScanDir: DefaultS6ScanDir, BaseDir: DefaultS6BaseDir, EnvDir: DefaultS6EnvDir},
	}
}

// defaultExec is the Exec of the gateway and of every new service, resolved as
// in an image without a passwd entry for hermes.
func defaultExec() Exec {
	return Exec{
		User:    FallbackUser,
		Group:   FallbackUser,
		UID:     DefaultFallbackID,
		GID:     DefaultFallbackID,
		Groups:  []int{DefaultFallbackID},
		Workdir: DefaultWorkdir,
		Env:     map[string]string{},
	}
}

// newService is a service with every default but its name.
func newService(name string) Service {
	return Service{Name: name, Autostart: true, Exec: defaultExec()}
}

package gateway

import "regexp"

// Environment variables of the contract that more than one package reads.
const (
	// EnvHome names the data root; every profile's identity files live under it.
	EnvHome = "HERMES_HOME"
	// DefaultHome is the image's HERMES_HOME when the variable is unset.
	DefaultHome = "/opt/data"
)

// DefaultProfile is the reserved name of the root profile, whose home is
// HERMES_HOME itself. A profiles/default directory is never a profile.
const DefaultProfile = "default"

// File names inside a profile home (hermes-agent's gateway/status.py). Paths with a
// slash are relative to the home.
const (
	StateFile             = "gateway_state.json"
	PIDFile               = "gateway.pid"
	LockFile              = "gateway.lock"
	ProcessesFile         = "processes.json"
	ProcessesLockFile     = "processes.json.lock"
	PlannedStopMarkerFile = ".gateway-planned-stop.json"
	TakeoverMarkerFile    = ".gateway-takeover.json"
	CleanShutdownFile     = ".clean_shutdown"
	RestartPendingFile    = ".restart_pending.json"
	DrainRequestFile      = ".drain_request.json"
	StartsLedgerFile      = "gateway-starts.log"
	StateDir              = "state"
	LifecycleFile         = "gateway.lifecycle.json" // inside StateDir
	HeartbeatFile         = "gateway.heartbeat"      // inside StateDir
	LogsDir               = "logs"
	BootLogFile           = "container-boot.log" // inside LogsDir
	SlotLogsDir           = "logs/gateways"      // one directory per profile
	ProfilesDir           = "profiles"
	SoulFile              = "SOUL.md" // marks a directory under profiles/ as a profile
)

// StaleRuntimeFiles returns the files swept from every profile home at
// container boot: they hold PIDs of the previous container's PID namespace,
// where an equal PID is a different process (#13655, #14203: restart loops
// "PID file race lost"). Nothing else is swept: gateway.lock is held by flock
// and harmless when stale, markers are keyed by PID and start time.
func StaleRuntimeFiles() []string {
	return []string{PIDFile, ProcessesFile}
}

// MaxProfileNameLen is s6-svscan's default name_max, the limit Hermes's
// validate_profile_name enforces.
const MaxProfileNameLen = 251

var profileNameRE = regexp.MustCompile(`\A[a-z0-9][a-z0-9_-]*\z`)

// ValidProfileName reports whether name is a profile name Hermes accepts:
// ^[a-z0-9][a-z0-9_-]*$ and at most 251 characters. Unlike Python's re.match
// with "$", a trailing newline is not accepted: such a name would break the
// slot name and every log line that carries it.
func ValidProfileName(name string) bool {
	return len(name) <= MaxProfileNameLen && profileNameRE.MatchString(name)
}

// SlotName returns the supervised slot's name for a profile, "gateway-<p>".
func SlotName(profile string) string {
	return "gateway-" + profile
}

// NameMax is Linux's NAME_MAX: the longest file name, in bytes.
const NameMax = 255

// SlotNameFits reports whether a profile's slot can be laid out: its
// service directory gateway-<p> and the staging directory .gateway-<p>.tmp
// it is built in must both be file names, so a valid name of 243 to 251
// bytes (ValidProfileName allows 251, s6's limit) has no slot. Upstream's
// reconciler fails there, for every profile after it too.
func SlotNameFits(profile string) bool {
	return len("."+SlotName(profile)+".tmp") <= NameMax
}

package config

import "strings"

// kind is the type of a key's value, which decides how it is read from TOML
// and from a variable.
type kind int

const (
	kindDuration kind = iota // "8s", "1m30s", "500ms" or plain seconds; TOML numbers are seconds
	kindCount                // integer ≥ 0
	kindLimit                // integer ≥ 0, or "max" (= 0, no limit)
	kindSize                 // bytes: integer or "512M" (K/M/G/T, 1024-based); "" or "max" = 0
	kindBool                 // true or false
	kindOptBool              // bool, or unset; a variable "auto" unsets it
	kindString               // any string
	kindEnum                 // one of key.choices, case-insensitive, with aliases
	kindID                   // user or group: a name or a number; TOML integers allowed
	kindArgv                 // array of strings
	kindEnv                  // table of strings
)

// key is one configuration key. Every key has a variable: see envName.
type key struct {
	name    string // dotted TOML name; for service keys the name inside an entry
	kind    kind
	choices []string          // kindEnum
	aliases map[string]string // kindEnum: accepted spelling → canonical value
	top     func(*Config) any // pointer to the field of a top-level or table key
	svc     func(*Service) any
}

// topKeys are the keys outside [[service]], in documentation order. The
// tables gateway, restart and logs are implied by the dotted names.
var topKeys = []key{
	{name: "grace", kind: kindDuration, top: func(c *Config) any { return &c.Grace }},
	{name: "leftover_grace", kind: kindDuration, top: func(c *Config) any { return &c.LeftoverGrace }},
	{name: "log_level", kind: kindEnum, choices: []string{"error", "warn", "info", "debug"},
		aliases: map[string]string{"warning": "warn"}, top: func(c *Config) any { return &c.LogLevel }},
	// "hybrid" is what cgroup.ParseMode has always accepted for v2.
	{name: "cgroup", kind: kindEnum, choices: []string{"auto", "v2", "v1", "none"},
		aliases: map[string]string{"hybrid": "v2"}, top: func(c *Config) any { return &c.Cgroup }},
	{name: "cgroup_root", kind: kindString, top: func(c *Config) any { return &c.CgroupRoot }},
	{name: "cgroup_mount", kind: kindBool, top: func(c *Config) any { return &c.CgroupMount }},
	{name: "control_socket", kind: kindString, top: func(c *Config) any { return &c.ControlSocket }},

	{name: "gateway.enabled", kind: kindBool, top: func(c *Config) any { return &c.Gateway.Enabled }},
	{name: "gateway.home", kind: kindString, top: func(c *Config) any { return &c.Gateway.Home }},
	{name: "gateway.command", kind: kindArgv, top: func(c *Config) any { return &c.Gateway.Command }},
	{name: "gateway.profile_args", kind: kindArgv, top: func(c *Config) any { return &c.Gateway.ProfileArgs }},
	{name: "gateway.user", kind: kindID, top: func(c *Config) any { return &c.Gateway.User }},
	{name: "gateway.group", kind: kindID, top: func(c *Config) any { return &c.Gateway.Group }},
	{name: "gateway.fallback_uid", kind: kindCount, top: func(c *Config) any { return &c.Gateway.FallbackUID }},
	{name: "gateway.fallback_gid", kind: kindCount, top: func(c *Config) any { return &c.Gateway.FallbackGID }},
	{name: "gateway.workdir", kind: kindString, top: func(c *Config) any { return &c.Gateway.Workdir }},
	{name: "gateway.env", kind: kindEnv, top: func(c *Config) any { return &c.Gateway.Env }},
	{name: "gateway.multiplex", kind: kindOptBool, top: func(c *Config) any { return &c.Gateway.Multiplex }},
	{name: "gateway.memory_max", kind: kindSize, top: func(c *Config) any { return &c.Gateway.MemoryMax }},
	{name: "gateway.pids_max", kind: kindLimit, top: func(c *Config) any { return &c.Gateway.PidsMax }},

	{name: "restart.backoff_min", kind: kindDuration, top: func(c *Config) any { return &c.Restart.BackoffMin }},
	{name: "restart.backoff_max", kind: kindDuration, top: func(c *Config) any { return &c.Restart.BackoffMax }},
	{name: "restart.stable_after", kind: kindDuration, top: func(c *Config) any { return &c.Restart.StableAfter }},
	{name: "restart.crash_loop_max", kind: kindCount, top: func(c *Config) any { return &c.Restart.CrashLoopMax }},

	{name: "logs.max_bytes", kind: kindCount, top: func(c *Config) any { return &c.Logs.MaxBytes }},
	{name: "logs.keep", kind: kindCount, top: func(c *Config) any { return &c.Logs.Keep }},
	{name: "logs.stdout", kind: kindBool, top: func(c *Config) any { return &c.Logs.Stdout }},

	{name: "s6.compat", kind: kindBool, top: func(c *Config) any { return &c.S6.Compat }},
	{name: "s6.scandir", kind: kindString, top: func(c *Config) any { return &c.S6.ScanDir }},
	{name: "s6.basedir", kind: kindString, top: func(c *Config) any { return &c.S6.BaseDir }},
	{name: "s6.envdir", kind: kindString, top: func(c *Config) any { return &c.S6.EnvDir }},
}

// tables are the top-level tables of topKeys; service is the array of tables.
var tables = []string{"gateway", "restart", "logs", "s6"}

const serviceTable = "service"

// serviceKeys are the keys of one [[service]] entry.
var serviceKeys = []key{
	{name: "name", kind: kindString, svc: func(s *Service) any { return &s.Name }},
	{name: "command", kind: kindArgv, svc: func(s *Service) any { return &s.Command }},
	{name: "user", kind: kindID, svc: func(s *Service) any { return &s.User }},
	{name: "group", kind: kindID, svc: func(s *Service) any { return &s.Group }},
	{name: "workdir", kind: kindString, svc: func(s *Service) any { return &s.Workdir }},
	{name: "env", kind: kindEnv, svc: func(s *Service) any { return &s.Env }},
	{name: "memory_max", kind: kindSize, svc: func(s *Service) any { return &s.MemoryMax }},
	{name: "pids_max", kind: kindLimit, svc: func(s *Service) any { return &s.PidsMax }},
	{name: "autostart", kind: kindBool, svc: func(s *Service) any { return &s.Autostart }},
}

// Variables named HERMES_INIT_* that set no key and are not mistakes.
var otherVars = map[string]bool{
	EnvConfig:             true, // the file itself
	"HERMES_INIT_SERVICE": true, // tag hermes-init puts in its services' environment (cgroup.TagVar)
	"HERMES_INIT_BIN_DIR": true, // scripts/test: where the built binaries are
}

// envName is the variable for a key: HERMES_INIT_ + the dotted name in upper
// case, dots and dashes as underscores ("restart.backoff_max" →
// HERMES_INIT_RESTART_BACKOFF_MAX).
func envName(name string) string {
	return EnvPrefix + envPart(name)
}

// serviceEnvName is the variable for key k of service name:
// HERMES_INIT_SERVICE_<NAME>_<KEY> ("dashboard", "command" →
// HERMES_INIT_SERVICE_DASHBOARD_COMMAND).
func serviceEnvName(name, k string) string {
	return EnvPrefix + "SERVICE_" + envPart(name) + "_" + envPart(k)
}

func envPart(s string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(s))
}

func findKey(keys []key, name string) (key, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}

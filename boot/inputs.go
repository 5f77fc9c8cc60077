package boot

import (
	"slices"
	"strings"
	"time"
)

// Environment variables the reconciliation reads (hermes-agent's docker/stage2-hook.sh and hermes_cli/container_boot.py;
// GATEWAY_MULTIPLEX_PROFILES is package gwconfig's).
const (
	// EnvBootstrapState: only the literal "running" seeds gateway_state.json
	// on a volume that has none, so that a first boot starts the gateway.
	EnvBootstrapState = "HERMES_GATEWAY_BOOTSTRAP_STATE"
	// EnvNoSupervise (1, true, yes) opts out of supervising `gateway run`,
	// which also disables the legacy migration (PR #33583, PR #33603).
	EnvNoSupervise = "HERMES_GATEWAY_NO_SUPERVISE"
)

// Inputs is everything MakePlan decides from, besides the home directory's
// contents. Nothing else (process environment, /proc, the clock) is read.
type Inputs struct {
	// Home is HERMES_HOME, the root profile's home. It must exist.
	Home string
	// MainCommand is the container's main command, the argv after "--" as
	// hermes-init received it; nil when there is none.
	MainCommand []string
	// Getenv looks up the environment; nil means an empty environment.
	Getenv func(string) string
	// Multiplex is hermes-init's own multiplex setting (gateway.multiplex);
	// nil means unset, and then the Hermes gateway configuration in the
	// home and GATEWAY_MULTIPLEX_PROFILES decide, as upstream decides
	// (package gwconfig).
	Multiplex *bool
	// Now stamps the boot log (in Now's location: Hermes logs local time)
	// and the legacy migration record.
	Now time.Time
}

func (in Inputs) env(key string) string {
	if in.Getenv == nil {
		return ""
	}
	return in.Getenv(key)
}

// noSupervise mirrors container_boot.py exactly: lower-cased, not trimmed,
// and without "on".
func noSupervise(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// hermesArgs strips the image's wrapper prefix from the container command,
// leaving the hermes arguments: everything through the first token ending in
// main-wrapper.sh (else a leading argv whose base name is init), then a
// leading …entrypoint-dispatch.sh, then a leading hermes. Cutting at the
// wrapper token, which the image owns, survived the s6 v2→v3 argv change
// that positional peeling did not. Empty arguments are dropped first, as
// upstream's reading of /proc/PID/cmdline drops them, and base names are
// taken as Python's pathlib takes them ("/usr/bin/hermes/." is hermes).
func hermesArgs(argv []string) []string {
	args := slices.DeleteFunc(slices.Clone(argv), func(a string) bool { return a == "" })
	if i := slices.IndexFunc(args, func(a string) bool { return strings.HasSuffix(a, "main-wrapper.sh") }); i >= 0 {
		args = args[i+1:]
	} else if len(args) > 0 && pathName(args[0]) == "init" {
		args = args[1:]
	}
	if len(args) > 0 && strings.HasSuffix(args[0], "entrypoint-dispatch.sh") {
		args = args[1:]
	}
	if len(args) > 0 && pathName(args[0]) == "hermes" {
		args = args[1:]
	}
	return args
}

// pathName is pathlib's PurePosixPath(p).name: the last component once
// empty and "." components are dropped ("a/b/." is b, "a/.." is ..).
func pathName(p string) string {
	parts := strings.Split(p, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] != "" && parts[i] != "." {
			return parts[i]
		}
	}
	return ""
}

// isDashboard reports a dashboard container. It must not reconcile: with a
// shared bind-mounted home it would fight the gateway container over the
// slots' log locks (s6-log "Resource busy" restart storm; #78803).
func isDashboard(argv []string) bool {
	args := hermesArgs(argv)
	return len(args) > 0 && args[0] == "dashboard"
}

// isLegacyGatewayRun reports a container command equivalent to `gateway run`
// without --no-supervise: the tini-era way of running the gateway.
func isLegacyGatewayRun(argv []string) bool {
	args := hermesArgs(argv)
	if slices.Contains(args, "--no-supervise") {
		return false
	}
	return len(args) >= 2 && args[0] == "gateway" && args[1] == "run"
}

// SupervisedByASlot reports whether the container's main command is `gateway
// run` that the root slot supervises instead (PR #33583: under a supervisor,
// `hermes gateway run` hands over to it rather than run a competing foreground
// gateway). Then hermes-init must not also run the command itself.
func SupervisedByASlot(argv []string, getenv func(string) string) bool {
	in := Inputs{Getenv: getenv}
	return isLegacyGatewayRun(argv) && !noSupervise(in.env(EnvNoSupervise))
}

// Package gateway is hermes-init's side of the persisted contract with the
// Hermes messaging gateway: the files under a profile home, how to read them
// without ever failing a boot, how to rewrite them without losing what the
// gateway wrote, and what the gateway's exit codes mean. It never starts
// processes. The facts are the gateway's own, from its code in
// NousResearch/hermes-agent: gateway/status.py (gateway_state.json, the
// markers, the file names), gateway/lifecycle_ledger.py (the ledger),
// gateway/restart.py and the slot's finish script in
// hermes_cli/service_manager.py (exit codes). Issue numbers (#42675) are
// that repository's, cited where a rule exists because of one.
//
// # Homes
//
// The root ("default") profile's home is HERMES_HOME (default /opt/data); a
// named profile's home is HERMES_HOME/profiles/<name>, a directory holding
// SOUL.md whose name matches ^[a-z0-9][a-z0-9_-]*$ and is at most 251 bytes
// (ValidProfileName). The name "default" is reserved for the root.
//
// # gateway_state.json
//
// One JSON object, written by the gateway (read-merge-write, atomic, compact
// JSON). hermes-init reads two keys and may write a few; every other key is
// the gateway's and is preserved byte for byte, in its position, on rewrite:
//
//	gateway_state  string   runtime state: starting | running | degraded |
//	                        draining | stopped | startup_failed (gateway)
//	desired_state  string   operator intent: running | stopped (start, stop and
//	                        restart commands; the legacy migration)
//	updated_at     string   ISO-8601 UTC (gateway) or int epoch (intent writers)
//	timestamp      int      epoch seconds (legacy migration only)
//	migrated_from  string   "legacy-container-cmd" (legacy migration only)
//	kind, pid, argv, start_time, hermes_home, exit_reason, restart_requested,
//	active_agents, active_work, served_profiles, platforms, session_store,
//	code_sha, code_version, ...   the gateway's, never interpreted here
//
// Reading (ReadState, ReadStateAt) never fails. A missing file is "no
// state". These are "no state" plus a Warning naming the file and the reason:
// unreadable, not UTF-8, invalid JSON, not an object, over 1 MiB
// (MaxStateBytes), a refused symbolic link, or not a regular file. One UTF-8
// BOM before the JSON is accepted (Hermes reads with utf-8-sig), and so are
// Python's bare NaN/Infinity tokens (json.dumps writes them): they are values,
// not null, and are kept byte for byte on rewrite. Duplicate keys keep the
// last value, as in Python.
//
// Writing (MergeWrite, RecordDesiredState, CreateStateIn) is atomic: a
// temporary file in the same directory, fsync, rename (or link when the file
// must not exist yet), fsync of the directory. The result is compact JSON
// and a newline, like Hermes's own writers.
//
// # Intent
//
// Intent reads the run intent: a non-null desired_state wins verbatim (an
// operator stop survives any transient runtime value, #42675); otherwise
// gateway_state, with draining and degraded read as running (a gateway killed
// mid-drain meant to run; PR #54658, PR #55397). Only the exact string
// "running" autostarts; starting and startup_failed stay down so that a
// death mid-boot does not become a crash loop. RunIntent.Label prints the
// value as upstream's boot log does, Python's str() of it: a string as it
// is, true as True, NaN as nan, a list as ['a'].
//
// # Planned-stop marker
//
// .gateway-planned-stop.json in the gateway's home, written only for an
// operator stop, right before the SIGTERM, for the exact live PID:
//
//	{"target_pid":<int>,"target_start_time":<int|null>,"stopper_pid":<int>,
//	 "written_at":"<ISO-8601 UTC>"}
//
// target_start_time is field 22 of /proc/<pid>/stat (ProcStartTime). The
// gateway consumes the marker, honours it for 60 s, and only when it names
// itself (#34597). A container stop writes no marker: the gateway then
// persists running and a later boot brings it back (#42675).
//
// # Lifecycle ledger
//
// state/gateway.lifecycle.json, written by the gateway. ReadPriorExit maps its
// "phase": exited → clean, running → unclean (at boot the old PID namespace is
// gone, so a running sentinel proves SIGKILL, OOM or VM death), anything else
// or an unusable file → unknown.
//
// # Exit codes
//
// 0 intentional stop (never restart, #76435); 1 failure or unexpected signal;
// 75 restart me; 78 fatal config (never restart, #51228). ClassifyExit turns
// an exit into a Verdict.
//
// # Symbolic links and rights
//
// hermes-init runs as root in a volume the gateway user can write. The home
// itself is taken as given. Below it, the *At functions act in the mode of
// the directory they are given (package homefs): with the home owner's
// rights, following symlinks as the owner's gateway and Hermes CLI follow
// them; or, in a root-owned home, as root refusing every symlink (package
// nofollow), as the image's stage2 hook refuses to act "through symlinked
// path". The path-based functions (ReadState, MergeWrite,
// RecordDesiredState, WritePlannedStopMarker) are the strict mode; InHome
// and the *AsOwner functions pick the mode from the owner of HERMES_HOME.
package gateway

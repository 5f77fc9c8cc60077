// Command stub-gateway stands in for the Hermes messaging gateway in
// hermes-init's tests and in the image's demo, where it is installed as
// "hermes". It behaves as the real gateway does (NousResearch/hermes-agent:
// gateway/status.py, gateway/run.py, gateway/run_shutdown.py,
// gateway/restart.py), through the gateway package's names and writers, so
// that it and hermes-init agree by construction. Linux only.
//
// # Command line
//
//	hermes [-p NAME | --profile NAME] gateway run [--replace] [--no-supervise]
//	hermes dashboard [...]
//	hermes version
//	hermes --help
//
// The home is $HERMES_HOME (default /opt/data) for the root profile
// ("default"; created when missing) and $HERMES_HOME/profiles/NAME for a
// named one (must exist; no symlink below $HERMES_HOME). A bad command line
// or option value exits 2 with a message naming it.
//
// # A gateway life
//
// Start: gateway.pid is created exclusively. A stale one (dead or reused pid,
// unreadable) is replaced; a live holder makes the start fail with exit 1,
// unless --replace: then a takeover marker names it, it gets SIGTERM and, 5 s
// later, SIGKILL. Then the lifecycle ledger is claimed (phase "running"),
// gateway_state.json is merge-written "starting" and, 50 ms later, "running";
// then the tools, the flood and the allocation start.
//
// Signals (the first one that asks for a stop wins; later ones are logged
// and dropped):
//
//	SIGTERM  takeover marker naming us: stopped, exit 0 ("planned takeover");
//	         planned-stop marker naming us (pid, start time when not null,
//	         written at most 60 s ago): consumed, stopped, exit 0
//	         ("planned stop"); otherwise running, exit 1 ("unexpected signal").
//	         With STUB_IGNORE_TERM: logged, nothing else.
//	SIGINT   stopped, exit 0 ("planned stop")
//	SIGUSR1  .restart_pending.json, stopped, exit 75 ("restart requested")
//
// A stop: "draining" for STUB_STOP_DELAY, the tools killed (SIGTERM, 1 s,
// SIGKILL), .clean_shutdown, gateway.pid removed if it names us, the terminal
// gateway_state with exit_reason, the ledger marked "exited" if it still
// names us. A marker that is expired, malformed or names an earlier process
// with our pid is deleted; one naming another pid is left alone.
//
// # Options (environment)
//
//	STUB_EXIT_AT_START=CODE     after writing "starting", persist startup_failed
//	                            (stopped for 0) and exit CODE (e.g. 78)
//	STUB_CRASH_AFTER=DURATION   crash this long after writing "running": exit
//	                            1 with no terminal write, ledger left
//	                            "running", gateway.pid and tools left behind
//	STUB_TOOLS=KIND,...         tools to start once running: plain, setsid,
//	                            doublefork, ignoreterm, or a combination joined
//	                            by "-" or "+" (setsid-ignoreterm)
//	STUB_TOOL_COUNT=N           tools of each kind (default 1, at most 10000)
//	STUB_LEAVE_TOOLS=1          do not kill the tools on a stop
//	STUB_FLOOD=N|forever        print N lines as fast as possible once running,
//	                            each 100 bytes before its newline
//	STUB_IGNORE_TERM=1          ignore SIGTERM (only SIGKILL ends the stub)
//	STUB_STOP_DELAY=DURATION    time spent "draining" in a stop (default 0)
//	STUB_ALLOCATE=SIZE          allocate and touch SIZE bytes once running
//	                            (4096, 512K, 200M, 1G; binary units)
//
// DURATION is a Go duration (500ms, 2s) or plain seconds. Booleans are
// 1/0, true/false, yes/no, on/off.
//
// Tools are real processes: the stub re-executes itself ("__tool KIND", the
// image has no /bin/sleep) and each sleeps 1000 s. plain is a direct child in
// the stub's process group; setsid has a session of its own; doublefork is an
// orphaned grandchild (its parent exits at once); ignoreterm ignores SIGTERM
// (SIG_IGN, visible in /proc/PID/status SigIgn). A tool's stdout and stderr
// are /dev/null. A tool's pid is printed only once it is ready.
//
// # Orphan storm
//
//	hermes __storm COUNT [DELAY]
//
// A hidden mode for the image's end-to-end test (the image has no shell):
// a middle process starts COUNT children (at most 10000) and exits, which
// orphans them; each waits for that death, then DELAY (default 100ms), and
// exits 0, so that PID 1 reaps COUNT orphans at once. __storm waits for the
// middle process only and prints
//
//	stub-gateway: storm pid=N orphans=COUNT delay=DELAY
//
// # Output
//
// One line per step on stdout, which supervisor tests match:
//
//	stub-gateway: profile=P pid=N start home=H prior_exit=clean|unclean|unknown
//	stub-gateway: profile=P pid=N replace old_pid=M result=exited|killed|stuck
//	stub-gateway: profile=P pid=N state=starting|running|draining|stopped|startup_failed
//	stub-gateway: tool kind=K pid=M
//	stub-gateway: profile=P pid=N flood line=I xxx...
//	stub-gateway: profile=P pid=N flood done lines=C
//	stub-gateway: profile=P pid=N allocated bytes=B
//	stub-gateway: profile=P pid=N signal=SIGTERM stop=planned|takeover|unexpected|restart
//	stub-gateway: profile=P pid=N signal=SIGTERM action=ignored [reason=stopping]
//	stub-gateway: profile=P pid=N marker file=F ignored reason="..."
//	stub-gateway: profile=P pid=N tools stopped=T killed=K
//	stub-gateway: profile=P pid=N tools left=T
//	stub-gateway: profile=P pid=N exit code=C reason="..."
//	stub-gateway: profile=P pid=N crash code=1
//	stub-gateway: dashboard pid=N disabled
//	stub-gateway: dashboard pid=N host=H port=P waiting
//	stub-gateway: dashboard pid=N signal=SIGTERM exit code=0
//
// Errors and warnings go to stderr, prefixed "stub-gateway: ". Each line
// goes out in one write under a lock, so lines never interleave; a reader
// that stops reading stalls the stub, as a full pipe stalls any writer.
//
// # Files written in the home
//
//	gateway.pid                 {"pid","kind":"hermes-gateway","argv","start_time","hermes_home"}
//	state/gateway.lifecycle.json {"phase":"running","pid","start_time","started_at"[,"prior_unclean_exit":true]}
//	                            then {"phase":"exited","pid","exit_code","exit_reason","exited_at","start_time"}
//	gateway_state.json          merged: gateway_state, updated_at, kind, pid, argv,
//	                            start_time, hermes_home, exit_reason,
//	                            restart_requested, active_agents
//	.restart_pending.json       {"requested_at","via_service":true,"detached":false}
//	.gateway-takeover.json      {"target_pid","target_start_time","replacer_pid","hermes_home","written_at"}
//	.clean_shutdown             empty
//
// start_time is field 22 of /proc/PID/stat (clock ticks since boot) in
// gateway.pid and gateway_state.json, epoch seconds in the ledger, as
// upstream writes them. Timestamps are ISO-8601 UTC
// (2026-06-30T12:00:00.000000+00:00). Files are 0644, directories 0755, all
// written atomically and never through a symlink (package gateway/nofollow).
package main

package main

import (
	"fmt"
	"io"
)

// usageText is --help. doc.go says the same at more length; a test checks
// that both name every option.
const usageText = `usage: hermes [-p NAME | --profile NAME] gateway run [--replace] [--no-supervise]
       hermes dashboard [...]
       hermes version

A stub of the Hermes messaging gateway for hermes-init's tests and demo.
Home: $HERMES_HOME (default /opt/data), or $HERMES_HOME/profiles/NAME.
SIGTERM: planned-stop marker naming it -> stopped, exit 0; else running, exit 1.
SIGINT: stopped, exit 0. SIGUSR1: .restart_pending.json, stopped, exit 75.

Options (environment):
  STUB_EXIT_AT_START=CODE     persist startup_failed after "starting", exit CODE (e.g. 78)
  STUB_CRASH_AFTER=DURATION   crash this long after "running": exit 1, no terminal write
  STUB_TOOLS=KIND,...         plain, setsid, doublefork, ignoreterm, or combined: setsid-ignoreterm
  STUB_TOOL_COUNT=N           tools of each kind (default 1)
  STUB_LEAVE_TOOLS=1          leave the tools running on a stop
  STUB_FLOOD=N|forever        print N lines as fast as possible once running
  STUB_IGNORE_TERM=1          ignore SIGTERM
  STUB_STOP_DELAY=DURATION    time spent "draining" in a stop (default 0)
  STUB_ALLOCATE=SIZE          allocate and touch SIZE (512K, 200M, 1G) once running
Dashboard: exits 0 at once unless HERMES_DASHBOARD is truthy; then waits for SIGTERM.
A bad option value exits 2 naming the variable.
`

func usage(w io.Writer) {
	fmt.Fprint(w, usageText)
}

package s6compat

import (
	"fmt"
	"io"
	"slices"
)

// Tools are the names under which hermes-init is an s6 program (argv[0]'s
// last element). Package earlysignal keeps the same list: under these names
// hermes-init must not catch signals.
var Tools = []string{"s6-svc", "s6-svstat", "s6-svscanctl", "s6-svwait", "s6-setuidgid", "with-contenv", "s6-log", "printcontenv", "halt", "execlineb", "s6-sleep"}

// The exit statuses the s6 programs share.
const (
	exitOK         = 0
	exitNotRunning = 1 // s6-svstat: no supervisor on the directory
	exitTimeout    = 99
	exitUsage      = 100 // also: nothing supervises the directory (s6-svc, s6-svscanctl)
	exitGone       = 102 // s6-svwait: the supervisor went away
	exitNotFound   = 127
	exitCannotExec = 126
	exitSys        = 111
)

// IsTool reports whether name is one of Tools.
func IsTool(name string) bool { return slices.Contains(Tools, name) }

// IO is what a program reads and writes: its environment and stdio.
type IO struct {
	Environ []string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// RunTool runs the s6 program name with args (argv without argv[0]) and
// returns its exit status. s6-setuidgid and with-contenv return only when
// they cannot exec.
func RunTool(name string, args []string, o IO) int {
	switch name {
	case "s6-svc":
		return runSvc(args, o)
	case "s6-svstat":
		return runSvstat(args, o)
	case "s6-svwait":
		return runSvwait(args, o)
	case "s6-svscanctl":
		return runSvscanctl(args, o)
	case "s6-setuidgid":
		return runSetuidgid(args, o)
	case "with-contenv":
		return runWithContenv(args, o, envDirOf(o.Environ))
	case "s6-log":
		return runLog(args, o)
	case "printcontenv":
		return runPrintcontenv(args, o)
	case "halt":
		return runHalt(args, o)
	case "execlineb":
		return runExeclineb(args, o)
	case "s6-sleep":
		return runS6Sleep(args, o)
	}
	fmt.Fprintf(o.Stderr, "hermes-init: %s is not an s6 program hermes-init answers as\n", name)
	return exitUsage
}

// fatal prints "prog: fatal: message" as s6 programs do and returns code.
func fatal(o IO, prog string, code int, format string, args ...any) int {
	fmt.Fprintf(o.Stderr, "%s: fatal: %s\n", prog, fmt.Sprintf(format, args...))
	return code
}

func warn(o IO, prog, format string, args ...any) {
	fmt.Fprintf(o.Stderr, "%s: warning: %s\n", prog, fmt.Sprintf(format, args...))
}

func usage(o IO, prog, text string) int {
	fmt.Fprintf(o.Stderr, "%s: usage: %s\n", prog, text)
	return exitUsage
}

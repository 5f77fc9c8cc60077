package supervisor

import "golang.org/x/sys/unix"

// ExitCode is the exit-status contract: a child's own status, or 128+N when
// signal N killed it (as a shell reports it, and tini, dumb-init, catatonit).
func ExitCode(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 1 // stopped or continued: not an exit; never passed here
}

// Exit statuses of hermes-init itself that do not come from a child.
const (
	ExitUsage      = 2   // bad flags or configuration
	ExitCannotExec = 126 // the command exists but cannot be executed
	ExitNotFound   = 127 // the command was not found
)

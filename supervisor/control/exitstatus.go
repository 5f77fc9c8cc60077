package control

import "errors"

// Exit statuses of `hermes-init ctl`, the same for every command:
//
//	0  success; for health: every slot that should be up is up
//	1  the request failed: unknown profile or service, refused (the uid may
//	   not control services), busy, the operation failed, internal error;
//	   for health: a slot that should be up is not
//	2  usage error: unknown command, missing or extra argument, bad flag
//	   or timeout; nothing was sent
//	3  timed out: wait, start, stop or restart did not finish within its
//	   timeout (--timeout, else the server's default)
//	4  cannot reach hermes-init: no socket at the path, connection refused,
//	   permission denied on the socket, or no reply
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitTimeout     = 3
	ExitUnreachable = 4
)

// usageError is a command line ctl cannot turn into a request.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// ExitStatus is the exit-status contract of ctl in one place: err is a usage
// error from the command line or Call's error (no reply), r the reply.
func ExitStatus(r Response, err error) int {
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case err != nil:
		return ExitUnreachable
	case !r.OK && r.Code == CodeTimeout:
		return ExitTimeout
	case !r.OK:
		return ExitFailed
	case r.Healthy != nil && !*r.Healthy:
		return ExitFailed
	}
	return ExitOK
}

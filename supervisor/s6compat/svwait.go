package s6compat

import (
	"context"
	"errors"
	"strconv"
	"time"
)

const svwaitUsage = "s6-svwait [ -U | -u | -D | -d | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir..."

func runSvwait(args []string, o IO) int {
	const prog = "s6-svwait"
	opts, dirs, bad := getopt(args, "UuDdrRaot:")
	if bad != 0 || len(dirs) == 0 {
		return usage(o, prog, svwaitUsage)
	}
	mode, or := byte(wantUp), false
	var timeout time.Duration
	for _, op := range opts {
		switch op.c {
		case 'a':
			or = false
		case 'o':
			or = true
		case 't':
			ms, err := strconv.ParseUint(op.arg, 10, 32)
			if err != nil {
				return usage(o, prog, svwaitUsage)
			}
			timeout = time.Duration(ms) * time.Millisecond
		default:
			mode = op.c
		}
	}
	var svcs []service
	for _, dir := range dirs {
		svc, err := locate(dir)
		if err == nil {
			_, err = svc.status(context.Background())
		}
		if err != nil {
			if errors.Is(err, errNotListening) {
				return fatal(o, prog, exitSys, "unable to read status for %s: s6-supervise not running", dir)
			}
			return fatal(o, prog, exitSys, "unable to subscribe to events for %s: %v", dir, err)
		}
		svcs = append(svcs, svc)
	}
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()

	results := make(chan error, len(svcs))
	for _, svc := range svcs {
		go func() { results <- svc.waitFor(ctx, mode) }()
	}
	var failed, done int
	var gone error
	for range svcs {
		err := <-results
		switch {
		case err == nil:
			done++
		case errors.Is(err, errFailed):
			failed++
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		default:
			gone = err
		}
		if or && done > 0 {
			cancel()
			return exitOK
		}
		if !or && (failed > 0 || gone != nil) {
			cancel()
			break
		}
	}
	switch {
	case gone != nil:
		return fatal(o, prog, exitGone, "supervisor died: %v", gone)
	case failed > 0:
		return fatal(o, prog, failed, "%d services reported permanent failure", failed)
	case done == len(svcs):
		return exitOK
	}
	return fatal(o, prog, exitTimeout, "timed out")
}

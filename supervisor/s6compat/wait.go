package s6compat

import (
	"context"
	"errors"
	"time"

	"github.com/hermes-init/hermes-init/supervisor/control"
)

// pollInterval is how often a wait for down looks at the status. hermes-init
// waits at least backoff_min (1 s) before a restart, so a down between two
// runs lasts long enough to be seen.
const pollInterval = 10 * time.Millisecond

// upSlice bounds each event-driven wait for up, so that a permanent failure
// is noticed between two of them.
const upSlice = 250 * time.Millisecond

// The states a wait can want, as s6-svwait's and s6-svc -w's letters.
const (
	wantUp        = 'u' // a process runs the service
	wantUpReady   = 'U' // up and ready (notification-fd)
	wantDown      = 'd' // no process
	wantDownReady = 'D' // no process and ./finish done
	wantRestart   = 'r' // up again after the wait began (s6-svwait: down, then up)
	wantRestartRd = 'R' // restarted and ready
)

// errFailed: the service will not come up without being told to.
var errFailed = errors.New("permanent failure")

// waitFor waits until the service reaches the state mode names, ctx ends
// (context.DeadlineExceeded), the service fails for good while up is wanted
// (errFailed), or the supervisor goes away.
func (s service) waitFor(ctx context.Context, mode byte) error {
	start := time.Now()
	st0, err := s.status(ctx)
	if expired(ctx) {
		return context.DeadlineExceeded
	}
	if err != nil {
		return err
	}
	sawDown := st0.Pid <= 0
	for {
		st, err := s.status(ctx)
		if expired(ctx) {
			return context.DeadlineExceeded
		}
		if err != nil {
			return err
		}
		switch mode {
		case wantDown:
			if st.Pid <= 0 {
				return nil
			}
		case wantDownReady:
			v := viewOf(st, s.dir, time.Now())
			if !v.up && v.ready() && st.State != control.StateStarting {
				return nil
			}
		case wantRestart, wantRestartRd:
			sawDown = sawDown || st.Pid <= 0
			if st.Pid > 0 && (sawDown || st.Pid != st0.Pid || st.Restarts > st0.Restarts) && (mode == wantRestart || st.Ready) {
				return nil
			}
		case wantUp:
			if st.Pid > 0 {
				return nil
			}
		case wantUpReady:
			if st.Pid > 0 && st.Ready {
				return nil
			}
		}
		if mode != wantDown && mode != wantDownReady && failedSince(st, start) {
			return errFailed
		}
		if mode == wantUp {
			// Event-driven: a service that is up for a moment only is seen.
			if err := s.waitUpSlice(ctx); err == nil || !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// waitUpSlice asks hermes-init to answer once the service is up, for at most
// upSlice.
func (s service) waitUpSlice(ctx context.Context) error {
	d := upSlice
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = time.Until(dl)
	}
	if d <= 0 {
		return context.DeadlineExceeded
	}
	// hermes-init answers "timeout" after d; the connection must outlive
	// that answer, so it does not take ctx's deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d+time.Second)
	defer cancel()
	_, err := s.do(sctx, control.Request{Op: control.OpWait, State: control.WantUp, TimeoutMillis: max(d.Milliseconds(), 1)})
	if err != nil && expired(ctx) {
		return context.DeadlineExceeded
	}
	return err
}

// expired: ctx is done, or its deadline has passed (a connection deadline
// taken from it may fire a moment before ctx itself is marked done).
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// failedSince: the service is down and will stay down by itself, after
// failing at or after start (crash loop, exit 78, a ./finish exit 125, a
// service that cannot be started).
func failedSince(st control.SlotStatus, start time.Time) bool {
	if st.State == control.StateFailed {
		return true
	}
	return st.Pid <= 0 && st.Want == control.WantDown && st.LastExit != nil && !st.LastExit.At.Before(start) &&
		st.State == control.StateDown
}

package s6compat

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/hermes-init/hermes-init/supervisor/control"
)

// view is a service's status as s6-supervise's status file would hold it,
// derived from hermes-init's snapshot.
type view struct {
	up         bool // a process runs the service
	upReady    bool // it runs and said it is ready (notification-fd)
	finishing  bool // the process is gone and its end is not over: ./finish runs, or its leftovers are being ended
	wantUp     bool
	normallyUp bool // no ./down file
	pid        int
	exitCode   int // -1 when up or signalled; 0 before the first run
	signum     int // -1 when up or not signalled
	signal     string
	stamp      time.Time // last up/down change
	readyStamp time.Time // when it last became ready (down: ready to be started)
}

// viewOf reads st (taken at now) and the service directory's down file.
func viewOf(st control.SlotStatus, dir string, now time.Time) view {
	v := view{
		pid: st.Pid, up: st.Pid > 0, wantUp: st.Want == control.WantUp,
		exitCode: -1, signum: -1, signal: "NA",
	}
	// s6-supervise is not ready for a start until ./finish is over; here
	// neither while a stop's leftovers get their grace (draining) or the
	// cgroup empties after SIGKILL on the way down (cleaning, wanted down).
	// A cleaning before a start is a down about to come up, as backoff.
	switch st.State {
	case control.StateFinishing, control.StateDraining:
		v.finishing = true
	case control.StateCleaning:
		v.finishing = !v.wantUp
	}
	_, err := os.Stat(filepath.Join(dir, "down"))
	v.normallyUp = os.IsNotExist(err)
	switch {
	case v.up:
		v.stamp = now.Add(-time.Duration(st.UptimeSeconds * float64(time.Second)))
		v.readyStamp = v.stamp
		if st.Ready {
			v.upReady, v.readyStamp = true, st.ReadySince
		}
	case st.LastExit != nil:
		v.stamp = st.LastExit.At
		if st.LastExit.Code != nil {
			v.exitCode = *st.LastExit.Code
		} else if sig, err := control.ParseSignal(st.LastExit.Signal); err == nil {
			v.signum, v.signal = int(sig), "SIG"+st.LastExit.Signal
		}
		v.readyStamp = st.Since
	default: // never ran: s6 shows the zeroed status of a fresh supervisor
		v.exitCode, v.stamp, v.readyStamp = 0, st.Since, st.Since
	}
	if v.stamp.After(now) {
		v.stamp = now
	}
	return v
}

// ready is s6's flagready: a running service is ready once it has said so
// on its notification fd (never without one, as in s6); a stopped one is
// ready to be started unless ./finish still runs or its leftovers are
// still being ended.
func (v view) ready() bool {
	if v.up {
		return v.upReady
	}
	return !v.finishing
}

// tai64n is s6's TAI64N label for t: @, then 2^62 + TAI seconds (UTC + 37 s
// since 2017) as 16 hex digits, then nanoseconds as 8.
func tai64n(t time.Time) string {
	const taiOffset = 37
	return fmt.Sprintf("@%016x%08x", uint64(1)<<62+uint64(t.Unix()+taiOffset), t.Nanosecond())
}

// seconds is how many whole seconds have passed since t.
func seconds(now, t time.Time) int64 {
	d := now.Sub(t)
	if d < 0 {
		return 0
	}
	return int64(math.Floor(d.Seconds()))
}

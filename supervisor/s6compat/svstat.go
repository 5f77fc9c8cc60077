package s6compat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const svstatUsage = "s6-svstat [ -uwNrpest | -o up,wantedup,normallyup,ready,paused,pid,exitcode,signal,signum,updownsince,readysince,updownfor,readyfor ] [ -n ] servicedir"

// svstatFields are the -o fields, as s6-svstat 2.11 names them (pgid from
// later versions too: a service leads its own process group).
var svstatFields = map[string]func(v view, now time.Time) string{
	"up":          func(v view, _ time.Time) string { return strconv.FormatBool(v.up) },
	"wantedup":    func(v view, _ time.Time) string { return strconv.FormatBool(v.wantUp) },
	"normallyup":  func(v view, _ time.Time) string { return strconv.FormatBool(v.normallyUp) },
	"ready":       func(v view, _ time.Time) string { return strconv.FormatBool(v.up && v.ready()) },
	"paused":      func(view, time.Time) string { return "false" },
	"pid":         func(v view, _ time.Time) string { return strconv.Itoa(orMinus1(v.up, v.pid)) },
	"pgid":        func(v view, _ time.Time) string { return strconv.Itoa(orMinus1(v.up, v.pid)) },
	"exitcode":    func(v view, _ time.Time) string { return strconv.Itoa(v.exitCode) },
	"signal":      func(v view, _ time.Time) string { return v.signal },
	"signum":      func(v view, _ time.Time) string { return strconv.Itoa(v.signum) },
	"updownsince": func(v view, _ time.Time) string { return tai64n(v.stamp) },
	"readysince":  func(v view, _ time.Time) string { return tai64n(v.readyStamp) },
	"updownfor":   func(v view, now time.Time) string { return strconv.FormatInt(seconds(now, v.stamp), 10) },
	"readyfor":    func(v view, now time.Time) string { return strconv.FormatInt(seconds(now, v.readyStamp), 10) },
}

// svstatLetters are the one-letter forms of -o fields.
var svstatLetters = map[byte]string{'u': "up", 'w': "wantedup", 'N': "normallyup", 'r': "ready", 'p': "pid", 'e': "exitcode", 's': "signal", 't': "updownfor"}

func orMinus1(ok bool, n int) int {
	if ok {
		return n
	}
	return -1
}

func runSvstat(args []string, o IO) int {
	const prog = "s6-svstat"
	opts, rest, bad := getopt(args, "no:uwNrpest")
	if bad != 0 || len(rest) == 0 {
		return usage(o, prog, svstatUsage)
	}
	var fields []string
	num := false
	for _, op := range opts {
		switch op.c {
		case 'n':
			num = true
		case 'o':
			for _, f := range strings.Split(op.arg, ",") {
				if _, ok := svstatFields[f]; !ok {
					return fatal(o, prog, exitUsage, "invalid option field: %s", f)
				}
				fields = append(fields, f)
			}
		default:
			fields = append(fields, svstatLetters[op.c])
		}
	}
	dir := rest[0]
	svc, err := locate(dir)
	if err != nil {
		return fatal(o, prog, exitNotRunning, "unable to read status for %s: s6-supervise not running", dir)
	}
	st, err := svc.status(context.Background())
	if err != nil {
		if err == errNotListening {
			return fatal(o, prog, exitNotRunning, "unable to read status for %s: s6-supervise not running", dir)
		}
		return fatal(o, prog, exitSys, "unable to read status for %s: %v", dir, err)
	}
	now := time.Now()
	v := viewOf(st, dir, now)
	var line string
	if len(fields) == 0 {
		line = humanStatus(v, now, num)
	} else {
		vals := make([]string, len(fields))
		for i, f := range fields {
			vals[i] = svstatFields[f](v, now)
		}
		line = strings.Join(vals, " ")
	}
	if _, err := fmt.Fprintln(o.Stdout, line); err != nil {
		return fatal(o, prog, exitSys, "unable to write to stdout: %v", err)
	}
	return exitOK
}

// humanStatus is s6-svstat's summary line (2.11):
// "up (pid 123) 45 seconds, normally down, want down" or
// "down (exitcode 0) 3 seconds, normally up, want up, ready 3 seconds".
func humanStatus(v view, now time.Time, num bool) string {
	var b strings.Builder
	switch {
	case v.up:
		fmt.Fprintf(&b, "up (pid %d) ", v.pid)
	case v.signum > 0 && num:
		fmt.Fprintf(&b, "down (signal %d) ", v.signum)
	case v.signum > 0:
		fmt.Fprintf(&b, "down (signal %s) ", v.signal)
	default:
		fmt.Fprintf(&b, "down (exitcode %d) ", v.exitCode)
	}
	fmt.Fprintf(&b, "%d seconds", seconds(now, v.stamp))
	switch {
	case v.up && !v.normallyUp:
		b.WriteString(", normally down")
	case !v.up && v.normallyUp:
		b.WriteString(", normally up")
	}
	switch {
	case !v.up && v.wantUp:
		b.WriteString(", want up")
	case v.up && !v.wantUp:
		b.WriteString(", want down")
	}
	if v.ready() {
		fmt.Fprintf(&b, ", ready %d seconds", seconds(now, v.readyStamp))
	}
	return b.String()
}

package s6compat

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hermes-init/hermes-init/supervisor/svclog"
)

const logUsage = "s6-log [ -d notif ] [ -q | -v ] [ -b ] [ -p ] [ -l linelimit ] [ -- ] logging script"

// logScript is the subset of s6-log's logging script that the Hermes slot's
// log/run uses (`s6-log 1 n10 s1000000 T DIR`): 1 copies lines to stdout,
// n and s set the next logdir's archive count and rotation size, t and T
// timestamp (svclog always stamps file lines; stdout lines are copied as
// read), and a logdir is a path starting with / or ".".
type logScript struct {
	stdout bool
	dirs   []svclog.Options
}

func parseLogScript(words []string) (logScript, error) {
	var sc logScript
	keep, size := 10, int64(99999)
	for _, w := range words {
		switch {
		case w == "1":
			sc.stdout = true
		case w == "t" || w == "T":
		case strings.HasPrefix(w, "n"):
			n, err := strconv.Atoi(w[1:])
			if err != nil || n < 0 {
				return sc, fmt.Errorf("invalid directive %q", w)
			}
			keep = n
		case strings.HasPrefix(w, "s"):
			n, err := strconv.ParseInt(w[1:], 10, 64)
			if err != nil || n < 4096 || n > 268435455 {
				return sc, fmt.Errorf("invalid directive %q (s: 4096 to 268435455)", w)
			}
			size = n
		case strings.HasPrefix(w, "/") || strings.HasPrefix(w, "."):
			dir, err := filepath.Abs(w)
			if err != nil {
				return sc, err
			}
			k := keep
			if k == 0 {
				k = -1 // n0: no archives
			}
			sc.dirs = append(sc.dirs, svclog.Options{Dir: dir, Root: filepath.Dir(dir), MaxBytes: size, Keep: k, UID: -1, GID: -1})
		default:
			return sc, fmt.Errorf("unsupported directive %q (hermes-init's s6-log knows 1, nN, sN, t, T and logdirs)", w)
		}
	}
	if !sc.stdout && len(sc.dirs) == 0 {
		return sc, fmt.Errorf("no action directive")
	}
	return sc, nil
}

// runLog is s6-log: it reads stdin until EOF, SIGTERM or SIGHUP and logs each
// line as the script says, through package svclog (the slots' own logger).
func runLog(args []string, o IO) int {
	const prog = "s6-log"
	opts, words, bad := getopt(args, "d:qvbpl:")
	if bad != 0 || len(words) == 0 {
		return usage(o, prog, logUsage)
	}
	notify, maxLine := -1, 0
	for _, op := range opts {
		var err error
		switch op.c {
		case 'd':
			notify, err = strconv.Atoi(op.arg)
		case 'l':
			maxLine, err = strconv.Atoi(op.arg)
		}
		if err != nil {
			return usage(o, prog, logUsage)
		}
	}
	sc, err := parseLogScript(words)
	if err != nil {
		return fatal(o, prog, exitUsage, "%v", err)
	}
	fan := svclog.NewFan(o.Stdout, 0)
	logf := func(format string, args ...any) { warn(o, prog, format, args...) }
	var sinks []*svclog.Sink
	var pipes []*os.File
	for i, d := range append(sc.dirs, svclog.Options{}) {
		if i == len(sc.dirs) && (len(sc.dirs) > 0 || !sc.stdout) {
			break // the stdout-only sink is needed only without a logdir
		}
		d.Stdout, d.MaxLine, d.Logf = sc.stdout && i == 0, maxLine, logf
		s, err := fan.NewSink(d)
		if err == nil {
			var w *os.File
			if w, err = s.Pipe(); err == nil {
				sinks, pipes = append(sinks, s), append(pipes, w)
			}
		}
		if err != nil {
			return fatal(o, prog, exitSys, "unable to set up logging: %v", err)
		}
	}
	if notify >= 0 {
		f := os.NewFile(uintptr(notify), "notification fd")
		f.Write([]byte("\n"))
		f.Close()
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		copyLines(o.Stdin, pipes)
	}()
	select {
	case <-done:
	case <-stop:
	}
	for _, w := range pipes {
		w.Close()
	}
	for _, s := range sinks {
		s.Close()
	}
	fan.Close()
	return exitOK
}

// copyLines copies in to every pipe until EOF.
func copyLines(in io.Reader, pipes []*os.File) {
	ws := make([]io.Writer, len(pipes))
	for i, p := range pipes {
		ws[i] = p
	}
	_, _ = io.Copy(io.MultiWriter(ws...), in)
}

package control

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"syscall"
	"time"
)

// EnvSocket names the variable that overrides DefaultSocketPath for ctl.
const EnvSocket = "HERMES_INIT_CONTROL_SOCKET"

const (
	// quickTimeout bounds status and health, which the server answers at once.
	quickTimeout = 10 * time.Second
	// replySlack is how much longer than its own timeout ctl waits for the
	// server's reply, which comes after the operation's deadline.
	replySlack = 10 * time.Second
	// unboundedTimeout bounds an operation without --timeout: the server
	// applies its own default; this only keeps a wedged init from hanging ctl.
	unboundedTimeout = 10 * time.Minute
)

const cliUsage = `usage: hermes-init ctl [--socket PATH] COMMAND

Commands:
  status [--json]                     every slot: state, pid, uptime, restarts, last exit, memory
  start PROFILE [--timeout D]         record desired_state=running and start the slot (also out of failed)
  stop PROFILE [--timeout D]          a planned stop: record desired_state=stopped, stop the slot
  restart PROFILE [--timeout D]       stop without a planned-stop marker and start again at once
  wait PROFILE up|down [--timeout D]  wait until the slot is up, or down
  health                              exit 0 when every slot that should be up is up

PROFILE is a profile ("default", "work"), a slot ("gateway-work") or a
service ("dashboard"). D is a duration (30s, 2m) or a number of seconds; 0 or
absent means hermes-init's default. The socket is --socket, else
$HERMES_INIT_CONTROL_SOCKET, else /run/hermes-init/control.sock.

Exit status: 0 done (healthy), 1 failed (unhealthy), 2 usage error,
3 timed out, 4 cannot reach hermes-init.
`

// cliCommand is a parsed ctl command line.
type cliCommand struct {
	socket  string
	json    bool
	timeout time.Duration
	req     Request
}

// RunCLI is `hermes-init ctl`: args are the arguments after "ctl". It returns
// the exit status (see ExitStatus).
func RunCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd, err := parseCLI(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, cliUsage)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "hermes-init: ctl: %v\n(hermes-init ctl --help for usage)\n", err)
		return ExitStatus(Response{}, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmd.clientTimeout())
	defer cancel()
	resp, err := Call(ctx, cmd.socket, cmd.req)
	report(cmd, resp, err, stdout, stderr)
	return ExitStatus(resp, err)
}

// clientTimeout is how long ctl waits for the reply.
func (c cliCommand) clientTimeout() time.Duration {
	switch {
	case c.req.Op == OpStatus || c.req.Op == OpHealth:
		return quickTimeout
	case c.timeout > 0:
		return c.timeout + replySlack
	}
	return unboundedTimeout
}

// report prints the outcome: the result on stdout, errors on stderr.
func report(cmd cliCommand, r Response, err error, stdout, stderr io.Writer) {
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "hermes-init: ctl: cannot reach hermes-init: %v%s\n", err, hint(err))
	case !r.OK:
		msg := r.Error
		if msg == "" {
			msg = "request failed (" + r.Code + ")"
		}
		fmt.Fprintf(stderr, "hermes-init: ctl: %s\n", msg)
	case cmd.req.Op == OpStatus && r.Status == nil:
		fmt.Fprintln(stderr, "hermes-init: ctl: the reply carries no status")
	case cmd.req.Op == OpStatus && cmd.json:
		b, _ := json.MarshalIndent(r.Status, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	case cmd.req.Op == OpStatus:
		if werr := WriteTable(stdout, *r.Status); werr != nil {
			fmt.Fprintf(stderr, "hermes-init: ctl: %v\n", werr)
		}
	case cmd.req.Op == OpHealth:
		word := "healthy"
		if r.Healthy == nil || !*r.Healthy {
			word = "unhealthy"
		}
		if r.Detail != "" {
			word += ": " + r.Detail
		}
		fmt.Fprintln(stdout, word)
	case r.Status != nil && len(r.Status.Slots) == 1:
		fmt.Fprintln(stdout, slotLine(r.Status.Slots[0]))
	}
}

// hint says what to do about the usual reasons ctl cannot connect.
func hint(err error) string {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return " (is hermes-init running with its control socket? --socket or " + EnvSocket + " name another path)"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return " (run ctl as root or as the gateway user)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return " (the socket is stale: nobody is listening)"
	}
	return ""
}

// parseCLI reads the command line. Flags may come before or after the
// command and its arguments.
func parseCLI(args []string, getenv func(string) string) (cliCommand, error) {
	var c cliCommand
	fs := flag.NewFlagSet("hermes-init ctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.socket, "socket", "", "")
	fs.BoolVar(&c.json, "json", false, "")
	timeoutSet := false
	fs.Func("timeout", "", func(s string) error {
		d, err := parseTimeout(s)
		c.timeout, timeoutSet = d, true
		return err
	})
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return c, err
			}
			return c, &usageError{err.Error()}
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if c.socket == "" {
		c.socket = getenv(EnvSocket)
	}
	if c.socket == "" {
		c.socket = DefaultSocketPath
	}
	req, err := makeRequest(pos)
	if err != nil {
		return c, err
	}
	switch {
	case c.json && req.Op != OpStatus:
		return c, &usageError{"--json is only for status"}
	case timeoutSet && (req.Op == OpStatus || req.Op == OpHealth):
		return c, &usageError{"--timeout is not used by " + req.Op}
	}
	req.TimeoutMillis = (c.timeout + time.Millisecond - 1).Milliseconds()
	if err := req.Validate(); err != nil {
		return c, &usageError{err.Error()}
	}
	c.req = req
	return c, nil
}

// makeRequest turns the command and its arguments into a request.
func makeRequest(pos []string) (Request, error) {
	if len(pos) == 0 {
		return Request{}, &usageError{"missing command (status, start, stop, restart, wait or health)"}
	}
	op, args := pos[0], pos[1:]
	want := map[string]int{OpStatus: 0, OpHealth: 0, OpStart: 1, OpStop: 1, OpRestart: 1, OpWait: 2}
	n, ok := want[op]
	switch {
	case !ok:
		return Request{}, &usageError{fmt.Sprintf("unknown command %q (want status, start, stop, restart, wait or health)", op)}
	case len(args) < n && op == OpWait:
		return Request{}, &usageError{"wait needs a PROFILE and up or down"}
	case len(args) < n:
		return Request{}, &usageError{op + " needs a PROFILE"}
	case len(args) > n:
		return Request{}, &usageError{fmt.Sprintf("%s: unexpected argument %q", op, args[n])}
	}
	r := Request{Op: op}
	if n >= 1 {
		r.Profile = args[0]
	}
	if n == 2 {
		r.State = args[1]
		if r.State != WantUp && r.State != WantDown {
			return Request{}, &usageError{fmt.Sprintf("wait: %q is not up or down", r.State)}
		}
	}
	return r, nil
}

// parseTimeout reads a --timeout value: a Go duration, or a plain number of
// seconds.
func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, nerr := strconv.ParseFloat(s, 64)
		if nerr != nil {
			return 0, fmt.Errorf("%q is not a duration (30s, 2m) or a number of seconds", s)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("%q is negative", s)
	case d > MaxTimeout:
		return 0, fmt.Errorf("%q is more than %v", s, MaxTimeout)
	}
	return d, nil
}

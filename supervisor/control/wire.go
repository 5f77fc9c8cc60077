package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"golang.org/x/sys/unix"
)

// DefaultSocketPath is where hermes-init listens and where ctl connects unless
// told otherwise (--socket, HERMES_INIT_CONTROL_SOCKET).
const DefaultSocketPath = "/run/hermes-init/control.sock"

// MaxRequestSize is the longest request line the server reads, in bytes, not
// counting the terminating "\n".
const MaxRequestSize = 64 << 10

// MaxTimeout is the largest timeout_ms a request may carry (24 hours).
const MaxTimeout = 24 * time.Hour

// maxNameLen bounds a profile or service name: "gateway-" plus the longest
// profile name Hermes accepts (251 bytes) fits.
const maxNameLen = 259

// The ops a Request may carry.
const (
	OpStatus  = "status"
	OpStart   = "start"
	OpStop    = "stop"
	OpRestart = "restart"
	OpWait    = "wait"
	OpHealth  = "health"
)

// The ops of the s6 command surface (package s6compat). Unlike start, stop
// and restart they never touch the gateway's files (desired_state, the
// planned-stop marker): the Hermes CLI writes those itself around its s6
// calls.
const (
	OpUp     = "up"     // s6-svc -u: want up, start if down
	OpOnce   = "once"   // s6-svc -o: start if down, never restart
	OpDown   = "down"   // s6-svc -d: want down, SIGTERM+SIGCONT, SIGKILL after the service's stop timeout
	OpSignal = "signal" // s6-svc -t, -k, -h, ...: send one signal to the service's process group
	OpScan   = "scan"   // s6-svscanctl -a (-an with prune): pick up new service directories
	// OpHalt stops the container, as s6-overlay's /run/s6/basedir/bin/halt
	// (root only); its exit status is then what the stages recorded.
	OpHalt = "halt"
)

// The machine codes of a failed Response.
const (
	CodeBadRequest     = "bad_request"     // malformed, oversized or incomplete request
	CodeUnknownOp      = "unknown_op"      // op is not one this server knows
	CodeUnknownProfile = "unknown_profile" // no slot or service by that name
	CodeRefused        = "refused"         // the peer's uid may not control services
	CodeTimeout        = "timeout"         // the operation did not finish within its timeout
	CodeBusy           = "busy"            // too many connections, or the slot is busy with another operation
	CodeFailed         = "failed"          // the Handler reported any other error
	CodeInternal       = "internal"        // a bug: the Handler panicked or never answered
)

// The states of a slot, as SlotStatus.State carries them. In finishing,
// draining and cleaning the process is gone (pid 0): ./finish runs; a
// stop's leftovers got SIGTERM and have the rest of the grace; leftovers
// got SIGKILL and the cgroup is about to be empty.
const (
	StateDown      = "down"
	StateStarting  = "starting"
	StateUp        = "up"
	StateStopping  = "stopping"
	StateBackoff   = "backoff"
	StateFailed    = "failed"
	StateFinishing = "finishing"
	StateDraining  = "draining"
	StateCleaning  = "cleaning"
)

// The wanted states, as SlotStatus.Want and Request.State carry them.
const (
	WantUp   = "up"
	WantDown = "down"
)

// Errors a Handler returns, wrapped, so that the server can answer with the
// right code. An error wrapping context.DeadlineExceeded is answered with
// CodeTimeout; any other error with CodeFailed.
var (
	// ErrUnknownProfile: no slot or service answers to the name.
	ErrUnknownProfile = errors.New("no such profile or service")
	// ErrBusy: the slot is in the middle of an operation that cannot be
	// combined with this one; the client may retry.
	ErrBusy = errors.New("busy with another operation")
)

// Request is what a client sends: one JSON object on one line.
type Request struct {
	Op            string `json:"op"`                   // one of the Op constants
	Profile       string `json:"profile,omitempty"`    // every op but status, health, scan: "work", "gateway-work" or a service name
	State         string `json:"state,omitempty"`      // wait: "up" | "down"
	Signal        string `json:"signal,omitempty"`     // signal: "TERM", "SIGTERM" or "15"
	Prune         bool   `json:"prune,omitempty"`      // scan: also drop the services whose directory is gone
	TimeoutMillis int64  `json:"timeout_ms,omitempty"` // every op but status and health; 0 = server default
}

// Response is the server's one answer.
type Response struct {
	OK      bool    `json:"ok"`
	Error   string  `json:"error,omitempty"`   // human message when OK is false
	Code    string  `json:"code,omitempty"`    // one of the Code constants when OK is false
	Status  *Status `json:"status,omitempty"`  // status; the one slot concerned for the others
	Healthy *bool   `json:"healthy,omitempty"` // health
	Detail  string  `json:"detail,omitempty"`  // health: what is (or is not) up
}

// Status is the supervisor's state as `ctl status` shows it.
type Status struct {
	CgroupMode string       `json:"cgroup_mode"` // v2 | hybrid | v1 | none
	Slots      []SlotStatus `json:"slots"`
}

// SlotStatus is one supervised slot or static service.
type SlotStatus struct {
	Name          string    `json:"name"`              // gateway-default, dashboard
	Profile       string    `json:"profile,omitempty"` // default, work; empty for a static service
	State         string    `json:"state"`             // one of the State constants
	Want          string    `json:"want"`              // WantUp | WantDown
	Pid           int       `json:"pid,omitempty"`
	Since         time.Time `json:"since"` // when the current state was entered
	UptimeSeconds float64   `json:"uptime_seconds,omitempty"`
	Restarts      int       `json:"restarts"`
	LastExit      *Exit     `json:"last_exit,omitempty"`
	MemoryBytes   *uint64   `json:"memory_bytes,omitempty"` // memory in use when the cgroup tells
	Reason        string    `json:"reason,omitempty"`       // why, e.g. "crash loop: 5 fast deaths" when failed
	// Ready is true once a running service with a notification fd has said
	// it is ready (s6's readiness notification), since ReadySince.
	Ready      bool      `json:"ready,omitempty"`
	ReadySince time.Time `json:"ready_since,omitzero"`
}

// Exit is how a slot's process last ended.
type Exit struct {
	Code   *int      `json:"code,omitempty"`   // exit status, when it exited
	Signal string    `json:"signal,omitempty"` // "TERM", "KILL", when a signal killed it
	OOM    bool      `json:"oom,omitempty"`    // the OOM killer acted in its cgroup
	At     time.Time `json:"at"`
}

// Handler carries out requests; the supervisor implements it. Any goroutine
// may call any method, several at once. Status and Health must answer at once.
// The context of Start, Stop, Restart and Wait ends at the request's timeout,
// when the client hangs up, or when the server shuts down: the method should
// then stop waiting and return what it knows (wrapping ctx.Err()), but finish
// any transition it has begun, so that a slot is never left half-stopped. A
// method that does not return within a second after its context ends is
// abandoned and the client told so.
type Handler interface {
	Status() Status
	Start(ctx context.Context, profile string) (SlotStatus, error)
	Stop(ctx context.Context, profile string) (SlotStatus, error)
	Restart(ctx context.Context, profile string) (SlotStatus, error)
	Wait(ctx context.Context, profile string, up bool) (SlotStatus, error)
	Health() (healthy bool, detail string)

	// The s6 command surface: what s6-svc and s6-svscanctl ask for. They
	// change the supervision only, never the gateway's files.
	Up(ctx context.Context, profile string, once bool) (SlotStatus, error)
	Down(ctx context.Context, profile string) (SlotStatus, error)
	Signal(ctx context.Context, profile string, sig syscall.Signal) (SlotStatus, error)
	Scan(ctx context.Context, prune bool) (Status, error)
	// Halt begins the container stop and returns at once.
	Halt() error
}

// SlotName resolves the name a client gave to a slot, the way every Handler
// should: an existing slot or service of exactly that name first ("gateway-work",
// "dashboard"), then the profile's slot "gateway-<name>" ("work", "default").
// exists reports whether a slot of the given name is supervised.
func SlotName(name string, exists func(slot string) bool) (slot string, ok bool) {
	if exists(name) {
		return name, true
	}
	if exists("gateway-" + name) {
		return "gateway-" + name, true
	}
	return "", false
}

// requestError is a refusal of a request before it reaches the Handler.
type requestError struct {
	code, msg string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{code: CodeBadRequest, msg: fmt.Sprintf(format, args...)}
}

// errorCode returns the Code for err: a request error's own, else CodeFailed.
func errorCode(err error) string {
	var re *requestError
	if errors.As(err, &re) {
		return re.code
	}
	return CodeFailed
}

var allOps = "status, start, stop, restart, wait, health, up, once, down, signal, scan or halt"

// Validate checks a request as the server does before it calls the Handler.
// The error names the field at fault.
func (r Request) Validate() error {
	switch r.Op {
	case "":
		return badRequest("op: missing (want %s)", allOps)
	case OpStatus, OpHealth, OpScan, OpHalt:
		switch {
		case r.Profile != "":
			return badRequest("profile: not used by %s", r.Op)
		case r.Op != OpScan && r.TimeoutMillis != 0:
			return badRequest("timeout_ms: not used by %s", r.Op)
		}
	case OpStart, OpStop, OpRestart, OpWait, OpUp, OpOnce, OpDown, OpSignal:
		if err := checkName(r.Profile); err != nil {
			return err
		}
	default:
		return &requestError{code: CodeUnknownOp, msg: fmt.Sprintf("op: unknown op %q (want %s)", r.Op, allOps)}
	}
	switch {
	case r.Op == OpWait && r.State == "":
		return badRequest("state: missing (want up or down)")
	case r.Op == OpWait && r.State != WantUp && r.State != WantDown:
		return badRequest("state: %q is not up or down", r.State)
	case r.Op != OpWait && r.State != "":
		return badRequest("state: not used by %s", r.Op)
	case r.Op == OpSignal && r.Signal == "":
		return badRequest("signal: missing (want a name such as TERM, or a number)")
	case r.Op != OpSignal && r.Signal != "":
		return badRequest("signal: not used by %s", r.Op)
	case r.Op != OpScan && r.Prune:
		return badRequest("prune: not used by %s", r.Op)
	case r.TimeoutMillis < 0:
		return badRequest("timeout_ms: %d is negative", r.TimeoutMillis)
	case r.TimeoutMillis > MaxTimeout.Milliseconds():
		return badRequest("timeout_ms: %d is more than %d (%v)", r.TimeoutMillis, MaxTimeout.Milliseconds(), MaxTimeout)
	}
	if r.Op == OpSignal {
		if _, err := ParseSignal(r.Signal); err != nil {
			return badRequest("signal: %v", err)
		}
	}
	return nil
}

// ParseSignal reads a signal as s6-svc's options name them and kill(1)
// spells them: "TERM", "SIGTERM", "RTMIN+3" or a number from 1 to 64.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("%d is not a signal number (1 to 64)", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), "SIG"))
	if rest, ok := strings.CutPrefix(name, "RTMIN+"); ok {
		// glibc's SIGRTMIN is 34 (32 and 33 are its threads'), as kill -l counts.
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && 34+n <= 64 {
			return syscall.Signal(34 + n), nil
		}
	}
	if sig := unix.SignalNum("SIG" + name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// checkName refuses names that cannot be a slot or service: empty, too long,
// or holding spaces, control characters or a slash (which would otherwise
// reach log lines and paths).
func checkName(name string) error {
	if name == "" {
		return badRequest("profile: missing")
	}
	if len(name) > maxNameLen {
		return badRequest("profile: longer than %d bytes", maxNameLen)
	}
	for _, r := range name {
		if r == '/' || r == unicode.ReplacementChar || !unicode.IsGraphic(r) || unicode.IsSpace(r) {
			return badRequest("profile: %q holds the character %q", name, r)
		}
	}
	return nil
}

// decodeRequest parses and validates one request line.
func decodeRequest(line []byte) (Request, error) {
	var r Request
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, badRequest("%s", describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return r, badRequest("trailing data after the JSON object")
	}
	return r, r.Validate()
}

// describeJSONError turns a decoding error into a message that names the
// field or the byte offset.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "empty request (want one JSON object)"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON object"
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Sprintf("want a JSON object, not a JSON %s", typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s: want a JSON %s, not a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	// DisallowUnknownFields reports `json: unknown field "x"`.
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return "integer"
}

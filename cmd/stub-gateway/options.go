package main

import (
	"fmt"
	"time"
)

// The environment variables that shape the stub's behaviour (see doc.go).
const (
	envExitAtStart = "STUB_EXIT_AT_START"
	envCrashAfter  = "STUB_CRASH_AFTER"
	envTools       = "STUB_TOOLS"
	envToolCount   = "STUB_TOOL_COUNT"
	envLeaveTools  = "STUB_LEAVE_TOOLS"
	envFlood       = "STUB_FLOOD"
	envIgnoreTerm  = "STUB_IGNORE_TERM"
	envStopDelay   = "STUB_STOP_DELAY"
	envAllocate    = "STUB_ALLOCATE"
)

// maxToolCount bounds STUB_TOOL_COUNT.
const maxToolCount = 10000

// options is the stub's behaviour, read from the environment.
type options struct {
	exitAtStart bool
	exitCode    int           // with exitAtStart
	crash       bool          // STUB_CRASH_AFTER is set
	crashAfter  time.Duration // from the running write
	tools       []toolKind
	toolCount   int
	leaveTools  bool
	flood       int64 // lines; -1 forever
	ignoreTerm  bool
	stopDelay   time.Duration
	allocate    int64
}

// env reads typed variables and keeps the first error, which names the
// variable and its value.
type env struct {
	getenv func(string) string
	err    error
}

// get returns the value of name and whether it is set and non-empty.
func (e *env) get(name string) (string, bool) {
	v := e.getenv(name)
	return v, v != "" && e.err == nil
}

func (e *env) fail(name, value string, err error) {
	if e.err == nil {
		e.err = fmt.Errorf("%s=%q: %w", name, value, err)
	}
}

func (e *env) boolean(name string) bool {
	v, ok := e.get(name)
	if !ok {
		return false
	}
	b, err := parseBool(v)
	if err != nil {
		e.fail(name, v, err)
	}
	return b
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	d, err := parseDuration(v)
	if err != nil {
		e.fail(name, v, err)
	}
	return d
}

func (e *env) code(name string, def int) int {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	c, err := parseExitCode(v)
	if err != nil {
		e.fail(name, v, err)
	}
	return c
}

func (e *env) count(name string, def, max int64) int64 {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	n, err := parseCount(v, max)
	if err != nil {
		e.fail(name, v, err)
	}
	return n
}

// parse applies a parser to name when it is set, keeping the first error.
func parse[T any](e *env, name string, p func(string) (T, error)) (T, bool) {
	var zero T
	v, ok := e.get(name)
	if !ok {
		return zero, false
	}
	x, err := p(v)
	if err != nil {
		e.fail(name, v, err)
		return zero, false
	}
	return x, true
}

// readOptions reads every STUB_* variable. An unusable value is an error that
// names the variable, so that a test setup mistake is reported, not guessed.
func readOptions(getenv func(string) string) (options, error) {
	e := &env{getenv: getenv}
	var o options
	_, o.exitAtStart = e.get(envExitAtStart)
	o.exitCode = e.code(envExitAtStart, 0)
	_, o.crash = e.get(envCrashAfter)
	o.crashAfter = e.duration(envCrashAfter, 0)
	o.tools, _ = parse(e, envTools, parseKinds)
	o.toolCount = int(e.count(envToolCount, 1, maxToolCount))
	o.leaveTools = e.boolean(envLeaveTools)
	o.flood, _ = parse(e, envFlood, parseFlood)
	o.ignoreTerm = e.boolean(envIgnoreTerm)
	o.stopDelay = e.duration(envStopDelay, 0)
	o.allocate, _ = parse(e, envAllocate, parseSize)
	return o, e.err
}

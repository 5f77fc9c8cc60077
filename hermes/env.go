package hermes

import (
	"fmt"
	"io"
	"strings"

	"github.com/hermes-init/hermes-init/supervisor"
)

// lookup is os.Getenv over an environment list (the first of duplicates).
func lookup(environ []string, key string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// Getenv is os.Getenv over environ (the first of duplicates, as Go reads
// the environment), in the form packages boot and control take.
func Getenv(environ []string) func(string) string {
	return func(key string) string { return lookup(environ, key) }
}

// setEnv returns environ with key set to value (in place of the first, or
// added).
func setEnv(environ []string, key, value string) []string {
	out := make([]string, 0, len(environ)+1)
	done := false
	for _, kv := range environ {
		if strings.HasPrefix(kv, key+"=") {
			if done {
				continue
			}
			kv, done = key+"="+value, true
		}
		out = append(out, kv)
	}
	if !done {
		out = append(out, key+"="+value)
	}
	return out
}

// Fail writes err to w, one "hermes-init: " line per line of it, escaped
// (a configuration error lists every problem, one a line).
func Fail(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "hermes-init: %s\n", supervisor.Escape(line))
	}
}

package config

import "fmt"

// Flag is a command-line flag that sets a key, such as hermes-init's
// --grace: it overrides the file and the key's HERMES_INIT_* variable, and
// its value is read and checked as the variable's would be. An error names
// the flag (Name, with its dashes).
type Flag struct {
	Name  string // as the user wrote it: "--grace", "-v"
	Key   string // the key it sets: "grace"
	Value string
}

// readFlags applies the flags over the file and the variables.
func (l *loader) readFlags(flags []Flag) {
	for _, f := range flags {
		k, ok := topKey(f.Key)
		if !ok {
			l.errs.add(origin{env: f.Name}, "", fmt.Errorf("internal error: no key %q", f.Key))
			continue
		}
		l.setFromEnv(k, k.name, f.Name, f.Value, k.top(l.cfg))
	}
}

func topKey(name string) (key, bool) {
	for _, k := range topKeys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}

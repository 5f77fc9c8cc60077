package s6compat

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-init/hermes-init/stage/execline"
)

const execlinebUsage = "execlineb [ -q | -w | -W ] [ -p | -P | -S nmin | -s nmin ] [ -c script | file ] [ args... ]"

// runExeclineb is execlineb, as far as run and finish scripts of service
// directories need it (#!/command/execlineb -P): the script is lexed as
// execlineb does (package stage/execline) and its command line exec'd.
// Positional parameters: -P ignores them; -p and the default put them in
// the environment (# the count, 0 the script, 1 to n the arguments); -S and
// -s substitute them ($1, ${1}, $#, $@; -s puts the arguments after the
// first nmin in $@). The programs a script runs (if, foreground, importas,
// ...) are execline's: they come from the image (Debian's execline package),
// not from hermes-init.
func runExeclineb(args []string, o IO) int {
	const prog = "execlineb"
	mode, nmin := 'e', 0
	script, name := "", ""
	var err error
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
		a := args[0]
		args = args[1:]
		if a == "--" {
			break
		}
		for i := 1; i < len(a); i++ {
			switch c := a[i]; c {
			case 'q', 'w', 'W':
			case 'p', 'P':
				mode = rune(c)
			case 'S', 's':
				mode = rune(c)
				v := a[i+1:]
				if v == "" && len(args) > 0 {
					v, args = args[0], args[1:]
				}
				if nmin, err = strconv.Atoi(v); err != nil || nmin < 0 {
					return usage(o, prog, execlinebUsage)
				}
				i = len(a)
			case 'c':
				v := a[i+1:]
				if v == "" && len(args) > 0 {
					v, args = args[0], args[1:]
				}
				script, name = v, "execlineb"
				i = len(a)
			default:
				return usage(o, prog, execlinebUsage)
			}
		}
	}
	if name == "" {
		if len(args) == 0 {
			return usage(o, prog, execlinebUsage)
		}
		name, args = args[0], args[1:]
		b, err := os.ReadFile(name)
		if err != nil {
			return fatal(o, prog, exitSys, "unable to read %s: %v", name, unwrapPath(err))
		}
		script = string(b)
	}
	argv, err := execline.Lex([]byte(script))
	if err != nil {
		return fatal(o, prog, exitUsage, "syntax error in %s: %v", name, err)
	}
	env := o.Environ
	switch mode {
	case 'e', 'p':
		env = setPositionals(env, name, args)
	case 'S', 's':
		argv = substitute(argv, name, args, mode == 's', nmin)
	}
	if len(argv) == 0 {
		return exitOK // execlineb: an empty command line succeeds
	}
	return execInto(o, prog, argv, env)
}

// setPositionals puts #, 0 and 1..n into env, as execlineb's push phase.
func setPositionals(env []string, name string, args []string) []string {
	out := make([]string, 0, len(env)+len(args)+2)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "#" || k != "" && strings.Trim(k, "0123456789") == "" {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "#="+strconv.Itoa(len(args)), "0="+name)
	for i, a := range args {
		out = append(out, strconv.Itoa(i+1)+"="+a)
	}
	return out
}

// substitute replaces the positional parameters in argv: a word that is $@
// or ${@} becomes the arguments (those after nmin with -s), each a word of
// its own; $#, ${#}, $N and ${N} within words are replaced by their values
// (the empty string past the last argument, up to nmin).
func substitute(argv []string, name string, args []string, rest bool, nmin int) []string {
	at := args
	if rest {
		at = args[min(nmin, len(args)):]
	}
	value := func(key string) (string, bool) {
		switch key {
		case "#":
			return strconv.Itoa(len(args)), true
		case "@":
			return strings.Join(at, " "), true
		case "0":
			return name, true
		}
		n, err := strconv.Atoi(key)
		if err != nil || n < 1 {
			return "", false
		}
		if n <= len(args) {
			return args[n-1], true
		}
		return "", true
	}
	var out []string
	for _, w := range argv {
		if w == "$@" || w == "${@}" {
			out = append(out, at...)
			continue
		}
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			if w[i] != '$' || i+1 == len(w) {
				b.WriteByte(w[i])
				continue
			}
			key, skip := "", 0
			if w[i+1] == '{' {
				if end := strings.IndexByte(w[i:], '}'); end > 0 {
					key, skip = w[i+2:i+end], end
				}
			} else {
				key, skip = w[i+1:i+2], 1
			}
			if v, ok := value(key); ok && key != "" {
				b.WriteString(v)
				i += skip
				continue
			}
			b.WriteByte('$')
		}
		out = append(out, b.String())
	}
	return out
}

// runS6Sleep is s6-sleep [-m] duration: seconds, or milliseconds with -m.
func runS6Sleep(args []string, o IO) int {
	const prog = "s6-sleep"
	unit := time.Second
	if len(args) > 0 && args[0] == "-m" {
		unit, args = time.Millisecond, args[1:]
	}
	if len(args) != 1 {
		return usage(o, prog, "s6-sleep [ -m ] duration")
	}
	n, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil {
		return usage(o, prog, "s6-sleep [ -m ] duration")
	}
	time.Sleep(time.Duration(n) * unit)
	return exitOK
}

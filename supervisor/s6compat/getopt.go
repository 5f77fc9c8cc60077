package s6compat

import "strings"

// opt is one parsed option: its letter and, for those that take one, its
// argument.
type opt struct {
	c   byte
	arg string
}

// getopt parses args as s6's subgetopt does: clustered letters, an option
// that takes an argument (a letter followed by ':' in spec) takes the rest of
// its word or the next word, and "--" or the first word not starting with '-'
// ends the options. It returns the options in order, the operands, and the
// first letter spec does not know (0 if none).
func getopt(args []string, spec string) (opts []opt, rest []string, bad byte) {
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(spec, c)
			if k < 0 || c == ':' {
				return opts, nil, c
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				switch {
				case j+1 < len(a):
					opts = append(opts, opt{c, a[j+1:]})
				case i+1 < len(args):
					i++
					opts = append(opts, opt{c, args[i]})
				default:
					return opts, nil, c
				}
				break
			}
			opts = append(opts, opt{c: c})
		}
	}
	return opts, args[i:], 0
}

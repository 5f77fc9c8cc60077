// Package execline reads execline scripts as execlineb's lexer does: the
// up and down files of s6-rc oneshots, and the scripts hermes-init runs
// when it answers as execlineb.
package execline

import (
	"errors"
	"fmt"
	"strings"
)

// Lex turns the text of an s6-rc oneshot's up or down file, or of an
// execlineb script, into the one command line s6-rc or execlineb runs (s6-rc
// lexes those files with execlineb's lexer too): not a shell script, but
// words, which may form execline blocks. The rules, from execlineb's
// documentation:
//
//   - words are separated by white space (newlines and control characters
//     included);
//   - a # at the start of a word begins a comment that runs to the end of
//     the line;
//   - a backslash outside double quotes takes the next character literally;
//     backslash-newline between words continues the line;
//   - inside double quotes everything is literal but for \" \\ and the
//     escapes \a \b \t \n \v \f \r, \ddd (decimal), \0ooo (octal), \0xhh
//     (hex), backslash-newline (nothing) and \c for any other c (c);
//     quotes may join other text into one word ("a"b is ab);
//   - a { or } that is a word of its own opens or closes a block; in the
//     command line a block's words get one more leading space and the block
//     ends with an empty word (itself quoted by the enclosing blocks).
//
// Nothing is substituted: there are no variables at this stage. An empty
// result means there is nothing to run (success, as execlineb).
func Lex(src []byte) ([]string, error) {
	l := &lexer{src: src}
	return l.run()
}

type lexer struct {
	src   []byte
	i     int
	line  int
	depth int // open blocks
	out   []string
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", l.line+1, fmt.Sprintf(format, args...))
}

func (l *lexer) peek() (byte, bool) {
	if l.i >= len(l.src) {
		return 0, false
	}
	return l.src[l.i], true
}

func (l *lexer) next() (byte, bool) {
	c, ok := l.peek()
	if ok {
		l.i++
		if c == '\n' {
			l.line++
		}
	}
	return c, ok
}

// space is execlineb's separator class: every control character and the
// space, NUL excepted (it ends the text).
func space(c byte) bool { return c >= 1 && c <= ' ' }

func (l *lexer) run() ([]string, error) {
	for {
		c, ok := l.next()
		if !ok || c == 0 {
			break
		}
		switch {
		case space(c):
		case c == '#':
			for c, ok := l.next(); ok && c != '\n'; c, ok = l.next() {
			}
		case c == '\\':
			n, ok := l.next()
			if !ok || n == 0 {
				return l.finish()
			}
			if n == '\n' {
				continue // continuation between words
			}
			if err := l.word(string(n)); err != nil {
				return nil, err
			}
		case (c == '{' || c == '}') && l.standalone():
			if c == '{' {
				l.depth++
				continue
			}
			if l.depth == 0 {
				return nil, l.errorf("unmatched }")
			}
			l.depth--
			l.out = append(l.out, strings.Repeat(" ", l.depth))
		default:
			l.i-- // the word starts with c
			if err := l.word(""); err != nil {
				return nil, err
			}
		}
	}
	return l.finish()
}

func (l *lexer) finish() ([]string, error) {
	if l.depth > 0 {
		return nil, l.errorf("unterminated block: %d { without }", l.depth)
	}
	return l.out, nil
}

// standalone reports whether the brace just read is a word by itself.
func (l *lexer) standalone() bool {
	c, ok := l.peek()
	return !ok || c == 0 || space(c)
}

// word reads the rest of a word that begins with prefix and appends it,
// quoted by the open blocks.
func (l *lexer) word(prefix string) error {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", l.depth))
	b.WriteString(prefix)
	for {
		c, ok := l.peek()
		if !ok || c == 0 || space(c) {
			break
		}
		l.next()
		switch c {
		case '\\':
			n, ok := l.next()
			if !ok || n == 0 {
				return l.errorf("backslash at the end of the text")
			}
			b.WriteByte(n)
		case '"':
			if err := l.quoted(&b); err != nil {
				return err
			}
		default:
			b.WriteByte(c)
		}
	}
	l.out = append(l.out, b.String())
	return nil
}

var controlEscapes = map[byte]byte{'a': 7, 'b': 8, 't': 9, 'n': 10, 'v': 11, 'f': 12, 'r': 13}

// quoted reads up to the closing double quote.
func (l *lexer) quoted(b *strings.Builder) error {
	for {
		c, ok := l.next()
		if !ok || c == 0 {
			return l.errorf("unterminated double quote")
		}
		switch c {
		case '"':
			return nil
		case '\\':
			if err := l.escape(b); err != nil {
				return err
			}
		default:
			b.WriteByte(c)
		}
	}
}

var errBadEscape = errors.New("invalid numeric escape")

func (l *lexer) escape(b *strings.Builder) error {
	c, ok := l.next()
	if !ok || c == 0 {
		return l.errorf("unterminated double quote")
	}
	switch {
	case c == '\n':
		return nil
	case controlEscapes[c] != 0:
		b.WriteByte(controlEscapes[c])
		return nil
	case c == '0':
		n, ok := l.peek()
		switch {
		case ok && n == 'x':
			l.next()
			return l.number(b, 16, 2, 1)
		case ok && n >= '0' && n <= '7':
			return l.number(b, 8, 3, 1)
		}
		return l.errorf("%v: \\0 must be followed by octal digits or x", errBadEscape)
	case c >= '1' && c <= '9':
		l.i--
		return l.number(b, 10, 3, 1)
	}
	b.WriteByte(c)
	return nil
}

// number reads between min and max digits of base and writes the byte they
// make, which must be 1 to 255.
func (l *lexer) number(b *strings.Builder, base, max, min int) error {
	v, n := 0, 0
	for n < max {
		c, ok := l.peek()
		d := digit(c, base)
		if !ok || d < 0 {
			break
		}
		l.next()
		v = v*base + d
		n++
	}
	if n < min || v < 1 || v > 255 {
		return l.errorf("%v (value %d)", errBadEscape, v)
	}
	b.WriteByte(byte(v))
	return nil
}

func digit(c byte, base int) int {
	var d int
	switch {
	case c >= '0' && c <= '9':
		d = int(c - '0')
	case c >= 'a' && c <= 'f':
		d = int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		d = int(c-'A') + 10
	default:
		return -1
	}
	if d >= base {
		return -1
	}
	return d
}

package gateway

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// pyText renders a JSON value (valid, possibly holding NaN or Infinity) as
// Python prints what json.loads makes of it, the way upstream's boot log
// prints a prior state (an f-string, so str()): a string as it is, true as
// True, null as None, 1.0 as 1.0, 1e400 as inf, NaN as nan, a list or an
// object as Python's repr of it.
func pyText(raw []byte) string {
	p := pyParser{b: raw}
	v := p.value()
	if v.kind == pyString {
		return v.s
	}
	var b strings.Builder
	v.repr(&b)
	return b.String()
}

type pyKind int

const (
	pyNone pyKind = iota
	pyBool
	pyNumber // s is its Python text already
	pyString
	pyList
	pyDict
)

type pyValue struct {
	kind  pyKind
	s     string
	items []pyValue // list items; dict values, in key order
	keys  []string  // dict keys, first-seen order
}

func (v pyValue) repr(b *strings.Builder) {
	switch v.kind {
	case pyString:
		b.WriteString(pyRepr(v.s))
	case pyList:
		b.WriteByte('[')
		for i, it := range v.items {
			if i > 0 {
				b.WriteString(", ")
			}
			it.repr(b)
		}
		b.WriteByte(']')
	case pyDict:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyRepr(k))
			b.WriteString(": ")
			v.items[i].repr(b)
		}
		b.WriteByte('}')
	default:
		b.WriteString(v.s)
	}
}

// pyParser reads a JSON value that is known to be valid.
type pyParser struct {
	b []byte
	i int
}

func (p *pyParser) skip() {
	for p.i < len(p.b) && strings.IndexByte(" \t\r\n", p.b[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) value() pyValue {
	p.skip()
	if p.i >= len(p.b) {
		return pyValue{kind: pyNone, s: "None"}
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.dict()
	case c == '[':
		return p.list()
	case c == '"':
		return pyValue{kind: pyString, s: p.str()}
	case p.word("true"):
		return pyValue{kind: pyBool, s: "True"}
	case p.word("false"):
		return pyValue{kind: pyBool, s: "False"}
	case p.word("null"):
		return pyValue{kind: pyNone, s: "None"}
	case p.word("NaN"):
		return pyValue{kind: pyNumber, s: "nan"}
	case p.word("Infinity"):
		return pyValue{kind: pyNumber, s: "inf"}
	case p.word("-Infinity"):
		return pyValue{kind: pyNumber, s: "-inf"}
	}
	start := p.i
	for p.i < len(p.b) && strings.IndexByte("+-0123456789.eE", p.b[p.i]) >= 0 {
		p.i++
	}
	return pyValue{kind: pyNumber, s: pyNumberText(string(p.b[start:p.i]))}
}

func (p *pyParser) word(w string) bool {
	if strings.HasPrefix(string(p.b[p.i:]), w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *pyParser) str() string {
	start := p.i
	p.i++ // the opening quote
	for escaped := false; p.i < len(p.b); p.i++ {
		c := p.b[p.i]
		if c == '"' && !escaped {
			p.i++
			break
		}
		escaped = c == '\\' && !escaped
	}
	var s string
	_ = json.Unmarshal(p.b[start:p.i], &s) // valid: checked before
	return s
}

func (p *pyParser) list() pyValue {
	v := pyValue{kind: pyList}
	p.i++ // [
	for {
		p.skip()
		if p.i >= len(p.b) || p.b[p.i] == ']' {
			p.i++
			return v
		}
		if p.b[p.i] == ',' {
			p.i++
			continue
		}
		v.items = append(v.items, p.value())
	}
}

// dict keeps a repeated key where it was first seen, with its last value,
// as Python's dict does.
func (p *pyParser) dict() pyValue {
	v := pyValue{kind: pyDict}
	at := map[string]int{}
	p.i++ // {
	for {
		p.skip()
		if p.i >= len(p.b) || p.b[p.i] == '}' {
			p.i++
			return v
		}
		if p.b[p.i] == ',' {
			p.i++
			continue
		}
		key := p.str()
		p.skip()
		p.i++ // :
		val := p.value()
		if i, ok := at[key]; ok {
			v.items[i] = val
			continue
		}
		at[key] = len(v.keys)
		v.keys = append(v.keys, key)
		v.items = append(v.items, val)
	}
}

// pyNumberText is Python's text of a JSON number: an int when it has no
// fraction or exponent (exact, any size), else the float's repr.
func pyNumberText(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return s
		}
		return n.String()
	}
	f, _ := strconv.ParseFloat(s, 64) // out of range gives ±Inf, as Python's float does
	return pyFloat(f)
}

// pyFloat is Python's repr of a float: the shortest text that reads back to
// it, positional from 1e-4 up to 1e16 (always with a fraction digit),
// scientific outside with a two-digit exponent at least.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

// pyRepr is Python's repr of a str: single quotes unless the text holds a
// single quote and no double quote, backslash escapes for the quote, the
// backslash, \t \n \r, and \x, \u or \U for what Python does not print.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f || pyPrintable(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyPrintable is Python's str.isprintable for one character: everything but
// the categories Cc, Cf, Cs, Co, Cn (unassigned), Zl, Zp and Zs, the space
// excepted.
func pyPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp, unicode.Zs) {
		return false
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}

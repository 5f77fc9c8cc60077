package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Reading the file. Every value is taken as a toml.Primitive and read on its
// own, so that one bad value does not hide the next one. toml v1.6 keeps each
// key's position but exports it only in the ParseError of a value that fails
// to unmarshal, so a spot's line is learnt by failing on purpose (capture).
// That costs a pass over the whole file (the error computes a column), so it
// is done only for a message. A key inside an array of tables is recorded once
// for all its entries, so [[service]] entries are located by reparsing the
// file cut before each entry's successor (serviceDocs).

// maxFileBytes bounds the configuration file; a real one is a few kilobytes.
const maxFileBytes = 1 << 20

// maxNesting bounds how deep tables and arrays nest in the file; a real one
// nests 2 or 3 deep.
const maxNesting = 32

// nesting returns how deep [ and { nest in a TOML text, outside strings and
// comments, and the line where it is deepest: checked before the decoder
// sees the text.
func nesting(text string) (depth, line int) {
	cur, ln := 0, 1
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\n':
			ln++
		case c == '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			i--
		case c == '"' || c == '\'':
			delim := string(c)
			if strings.HasPrefix(text[i:], strings.Repeat(delim, 3)) {
				delim = strings.Repeat(delim, 3)
			}
			j := i + len(delim)
			for j < len(text) && !strings.HasPrefix(text[j:], delim) {
				if text[j] == '\\' && c == '"' {
					j++
				}
				if j < len(text) && text[j] == '\n' {
					ln++
				}
				j++
			}
			i = j + len(delim) - 1
		case c == '[' || c == '{':
			if cur++; cur > depth {
				depth, line = cur, ln
			}
		case c == ']' || c == '}':
			cur--
		}
	}
	return depth, line
}

// doc is a parsed file.
type doc struct {
	md  *toml.MetaData
	top map[string]toml.Primitive
	// line, when not 0, is the line of every key (entries of an inline
	// array, whose keys the parser records once for all). -1: no lines.
	line int
}

// capture is a toml.Unmarshaler that fails, so that the decoder reports the
// position of the key being decoded.
type capture struct{}

var errCaptured = errors.New("captured")

// UnmarshalTOML fails on purpose.
func (capture) UnmarshalTOML(any) error { return errCaptured }

// raw returns p's value as the toml package decodes it: string, int64,
// float64, bool, time.Time, []any, map[string]any or []map[string]any.
func (d *doc) raw(p toml.Primitive) any {
	var v any
	if d.decode(p, &v) != nil {
		return nil
	}
	return v
}

// lineOf is the line of p's key or, for a table the parser created
// implicitly ("a.b = 1" creates a), the first line of what is inside; 0 when
// unknown.
func (d *doc) lineOf(p toml.Primitive, depth int) int {
	switch {
	case d.line > 0:
		return d.line
	case d.line < 0:
		return 0
	}
	var pe toml.ParseError
	if errors.As(d.decode(p, capture{}), &pe) && pe.Position.Line > 0 || depth > 8 {
		return pe.Position.Line
	}
	var sub map[string]toml.Primitive
	if d.decode(p, &sub) != nil {
		return 0
	}
	first := 0
	for _, q := range sub {
		if l := d.lineOf(q, depth+1); l > 0 && (first == 0 || l < first) {
			first = l
		}
	}
	return first
}

// decode is PrimitiveDecode, with a panic in the decoder turned into an
// error: a configuration file must never take PID 1 down.
func (d *doc) decode(p toml.Primitive, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in the TOML decoder: %v", r)
		}
	}()
	return d.md.PrimitiveDecode(p, v)
}

// parseTOML parses text into its top-level keys.
func parseTOML(text string) (d *doc, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in the TOML parser: %v", r)
		}
	}()
	var top map[string]toml.Primitive
	md, err := toml.Decode(text, &top)
	if err != nil {
		return nil, err
	}
	return &doc{md: &md, top: top}, nil
}

// spot is where a value is in the file, to find its line when a message
// needs it.
type spot struct {
	d *doc
	p toml.Primitive
	// For a key inside a [[service]] entry: the entries' own parses, the
	// entry's index, and the path of the key inside the entry.
	entries func() []located
	i       int
	path    []string
}

// line finds the spot's line; 0 when it cannot be known for certain.
func (s *spot) line() int {
	if s.entries == nil {
		return s.d.lineOf(s.p, 0)
	}
	e := s.entries()[s.i]
	p := e.p
	for _, name := range s.path {
		var m map[string]toml.Primitive
		if e.d.decode(p, &m) != nil {
			return 0
		}
		q, ok := m[name]
		if !ok {
			return 0
		}
		p = q
	}
	return e.d.lineOf(p, 0)
}

// child is the spot of key name, whose primitive is p, inside s.
func (s *spot) child(name string, p toml.Primitive) *spot {
	c := *s
	c.p = p
	if s.entries != nil {
		c.path = append(slices.Clone(s.path), name)
	}
	return &c
}

// at is the origin of a value at spot s.
func (l *loader) at(s *spot) origin {
	return origin{file: l.file, spot: s}
}

// readFile applies the file's values to l.cfg.
func (l *loader) readFile(data []byte) {
	if len(data) > maxFileBytes {
		l.errs.errs = append(l.errs.errs, &Error{File: l.file, Msg: fmt.Sprintf("file too large (more than %d bytes)", maxFileBytes)})
		return
	}
	text := stripBOM(string(data))
	if depth, line := nesting(text); depth > maxNesting {
		// The TOML decoder recurses per level: 3,000 nested inline tables
		// took it 2.3 s and 414 MB to refuse (10,000: 26 s and 4 GB).
		l.errs.errs = append(l.errs.errs, &Error{File: l.file, Line: line, Msg: fmt.Sprintf("tables and arrays nested more than %d deep", maxNesting)})
		return
	}
	d, err := parseTOML(text)
	if err != nil {
		e := &Error{File: l.file, Msg: "invalid TOML: " + err.Error()}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line, e.Col = syntaxPosition(text, pe.Position)
			e.Msg = "invalid TOML: " + pe.Message
		}
		l.errs.errs = append(l.errs.errs, e)
		return
	}
	for _, name := range sortedNames(d.top) {
		p := d.top[name]
		switch {
		case slices.Contains(tables, name):
			l.readTable(d, name, p)
		case name == serviceTable:
			l.readServices(text, d, p)
		default:
			k, ok := findKey(topKeys, name)
			if !ok || strings.Contains(k.name, ".") { // a quoted "gateway.user" is not gateway.user
				l.unknown(&spot{d: d, p: p}, toml.Key{name}.String())
				continue
			}
			l.readValue(&spot{d: d, p: p}, k, k.name, k.top(l.cfg))
		}
	}
}

// readTable reads [gateway], [restart] or [logs].
func (l *loader) readTable(d *doc, table string, p toml.Primitive) {
	at := &spot{d: d, p: p}
	var sub map[string]toml.Primitive
	if raw := d.raw(p); !isTable(raw) {
		l.errs.add(l.at(at), table, wantGot("a table (["+table+"])", raw))
		return
	}
	if err := d.decode(p, &sub); err != nil {
		l.errs.add(l.at(at), table, err)
		return
	}
	for _, name := range sortedNames(sub) {
		k, ok := findKey(topKeys, table+"."+name)
		if !ok {
			l.unknown(at.child(name, sub[name]), toml.Key{table, name}.String())
			continue
		}
		l.readValue(at.child(name, sub[name]), k, k.name, k.top(l.cfg))
	}
}

// readValue reads the value at spot at, key k, into ptr, and records its origin.
func (l *loader) readValue(at *spot, k key, name string, ptr any) {
	raw := at.d.raw(at.p)
	var v any
	var err error
	if k.kind == kindEnv {
		v, err = l.readEnvTable(at, name, raw)
	} else {
		v, err = k.fromTOML(raw)
	}
	if err == nil {
		err = store(ptr, v)
	}
	if errors.Is(err, errReported) {
		return
	}
	if err != nil {
		l.errs.add(l.at(at), name, err)
		return
	}
	l.origin[name] = l.at(at)
}

// readEnvTable reads a table of strings, naming the line of a bad entry.
// Entries it reports itself come back as errReported.
func (l *loader) readEnvTable(at *spot, name string, raw any) (any, error) {
	if !isTable(raw) {
		return nil, wantGot("a table of strings", raw)
	}
	var entries map[string]toml.Primitive
	if err := at.d.decode(at.p, &entries); err != nil {
		return nil, err
	}
	env := make(map[string]string, len(entries))
	ok := true
	for _, n := range sortedNames(entries) {
		raw := at.d.raw(entries[n])
		s, isString := raw.(string)
		var err error
		if !isString {
			err = wantGot("a string", raw)
		} else {
			err = checkEnvVar(n, s)
		}
		if err != nil {
			l.errs.add(l.at(at.child(n, entries[n])), name+"."+toml.Key{n}.String(), err)
			ok = false
			continue
		}
		env[n] = s
	}
	if !ok {
		l.errs.markBad(name)
		return nil, errReported
	}
	return env, nil
}

// errReported stands for errors already added to the list.
var errReported = errors.New("reported")

// unknown reports a key that is not in the schema.
func (l *loader) unknown(at *spot, name string) {
	l.errs.add(l.at(at), name, errors.New("unknown key"))
}

func isTable(raw any) bool {
	_, ok := raw.(map[string]any)
	return ok
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// stripBOM drops a byte order mark, as the toml parser does, so that the
// offsets it reports and the text cut by serviceDocs agree.
func stripBOM(s string) string {
	for _, bom := range []string{"\xef\xbb\xbf", "\xff\xfe", "\xfe\xff"} {
		if strings.HasPrefix(s, bom) {
			return s[len(bom):]
		}
	}
	return s
}

// syntaxPosition is the line and column of a syntax error. They are counted
// from the byte offset: the parser's own line is one too far when the error
// is the newline that ends a line ("[gateway" followed by a newline).
func syntaxPosition(text string, p toml.Position) (line, col int) {
	if p.Start < 0 || p.Start > len(text) || p.Start == 0 && p.Line > 1 {
		return p.Line, p.Col // no usable offset ("\x7f" gives -1)
	}
	before := text[:p.Start]
	return 1 + strings.Count(before, "\n"), p.Start - strings.LastIndexByte(before, '\n')
}

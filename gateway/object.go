package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// object is a JSON object that remembers its key order, the key spelling and
// every raw value, so that a rewrite keeps all the gateway wrote: values are
// never decoded into Go types and re-encoded.
type object struct {
	keys []string                   // unescaped keys, first-seen order
	raw  map[string][]byte          // the key token as written
	vals map[string]json.RawMessage // compact value
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeObject parses b as one JSON object. It accepts one leading UTF-8 BOM
// (Hermes reads with utf-8-sig) and Python's NaN/Infinity extensions (read as
// null), which json.dumps writes by default.
func decodeObject(b []byte) (object, error) {
	b = bytes.TrimPrefix(b, utf8BOM)
	if !utf8.Valid(b) {
		return object{}, errors.New("is not valid UTF-8")
	}
	b, err := validJSON(b)
	if err != nil {
		return object{}, err
	}
	if first := firstByte(b); first != '{' {
		return object{}, fmt.Errorf("is not a JSON object (found %s)", jsonKind(first))
	}
	return walkObject(b)
}

func validJSON(b []byte) ([]byte, error) {
	if json.Valid(b) {
		return b, nil
	}
	if fixed := replaceNonFinite(b); json.Valid(fixed) {
		return fixed, nil
	}
	var v json.RawMessage
	err := json.Unmarshal(b, &v)
	if err == nil {
		err = errors.New("syntax error")
	}
	return nil, fmt.Errorf("is not valid JSON (%v)", err)
}

func walkObject(b []byte) (object, error) {
	o := newObject()
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // the '{'
		return object{}, err
	}
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return object{}, err
		}
		rawKey := bytes.TrimLeft(b[start:dec.InputOffset()], " \t\r\n,")
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return object{}, err
		}
		o.put(tok.(string), bytes.Clone(rawKey), compact(v))
	}
	return o, nil
}

func newObject() object {
	return object{raw: map[string][]byte{}, vals: map[string]json.RawMessage{}}
}

// put stores a value. A repeated key keeps its first position and takes the
// last value, as Python's json.loads does.
func (o *object) put(key string, rawKey []byte, val json.RawMessage) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
		o.raw[key] = rawKey
	}
	o.vals[key] = val
}

// set stores a Go value under key, encoding it as JSON.
func (o *object) set(key string, v any) error {
	val, err := marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	rawKey, _ := marshal(key) // a string always encodes
	o.put(key, rawKey, val)
	return nil
}

// encode renders the object as compact JSON plus a newline, the shape Hermes
// writes (separators=(",", ":")).
func (o object) encode() []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(o.raw[k])
		buf.WriteByte(':')
		buf.Write(o.vals[k])
	}
	buf.WriteString("}\n")
	return buf.Bytes()
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func compact(v json.RawMessage) json.RawMessage {
	if !bytes.ContainsAny(v, " \t\r\n") {
		return v // already compact (the gateway writes compact JSON); Decode gave us a copy
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return bytes.Clone(v) // unreachable: v comes from a validated document
	}
	return buf.Bytes()
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// replaceNonFinite rewrites the bare tokens NaN, Infinity and -Infinity
// outside strings as null.
func replaceNonFinite(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			escaped, inString = c == '\\' && !escaped, !(c == '"' && !escaped)
			out = append(out, c)
			continue
		}
		if n := nonFiniteLen(b[i:]); n > 0 {
			out = append(out, "null"...)
			i += n - 1
			continue
		}
		inString = c == '"'
		out = append(out, c)
	}
	return out
}

func nonFiniteLen(b []byte) int {
	for _, tok := range []string{"NaN", "Infinity", "-Infinity"} {
		if bytes.HasPrefix(b, []byte(tok)) {
			return len(tok)
		}
	}
	return 0
}

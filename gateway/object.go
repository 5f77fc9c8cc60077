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
// (Hermes reads with utf-8-sig) and Python's NaN, Infinity and -Infinity
// (json.dumps writes them by default), which are kept as written: they are
// values, not null, and a rewrite carries them through unchanged.
func decodeObject(b []byte) (object, error) {
	b = bytes.TrimPrefix(b, utf8BOM)
	if !utf8.Valid(b) {
		return object{}, errors.New("is not valid UTF-8")
	}
	fixed, err := validJSON(b)
	if err != nil {
		return object{}, err
	}
	if first := firstByte(fixed); first != '{' {
		return object{}, fmt.Errorf("is not a JSON object (found %s)", jsonKind(first))
	}
	return walkObject(b, fixed)
}

// validJSON checks b and returns it, or, when b holds Python's non-finite
// tokens, a copy of the same length in which each is replaced by standard
// JSON (so that offsets in the copy are offsets in b).
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

// walkObject reads the top-level keys and values of the object in fixed,
// taking their text from orig, which has the same length.
func walkObject(orig, fixed []byte) (object, error) {
	o := newObject()
	dec := json.NewDecoder(bytes.NewReader(fixed))
	if _, err := dec.Token(); err != nil { // the '{'
		return object{}, err
	}
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return object{}, err
		}
		rawKey := bytes.TrimLeft(orig[start:dec.InputOffset()], " \t\r\n,")
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return object{}, err
		}
		end := int(dec.InputOffset())
		o.put(tok.(string), bytes.Clone(rawKey), compact(orig[end-len(v):end]))
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

// compact drops the whitespace between the tokens of a valid JSON value
// (which may hold NaN or Infinity, so json.Compact cannot do it).
func compact(v []byte) json.RawMessage {
	out := make([]byte, 0, len(v))
	inString, escaped := false, false
	for _, c := range v {
		switch {
		case inString:
			escaped, inString = c == '\\' && !escaped, !(c == '"' && !escaped)
		case c == ' ', c == '\t', c == '\r', c == '\n':
			continue
		case c == '"':
			inString = true
		}
		out = append(out, c)
	}
	return out
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

// nonFinite maps Python's non-finite number tokens to standard JSON values
// spanning exactly the same bytes, valid where a value is and invalid after a
// minus sign, as the tokens are ("-NaN" is not JSON for Python either).
var nonFinite = []struct{ token, same string }{
	{"-Infinity", "[0,0,0,0]"},
	{"Infinity", "[[0],[]]"},
	{"NaN", "[0]"},
}

// replaceNonFinite rewrites the bare tokens NaN, Infinity and -Infinity
// outside strings, keeping every offset.
func replaceNonFinite(b []byte) []byte {
	out := bytes.Clone(b)
	inString, escaped := false, false
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inString {
			escaped, inString = c == '\\' && !escaped, !(c == '"' && !escaped)
			continue
		}
		if c == '"' {
			inString = true
			continue
		}
		for _, nf := range nonFinite {
			if bytes.HasPrefix(out[i:], []byte(nf.token)) {
				copy(out[i:], nf.same)
				i += len(nf.token) - 1
				break
			}
		}
	}
	return out
}

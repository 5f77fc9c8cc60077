package gwconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// maxJSONDepth bounds gateway.json's nesting; upstream's Python json module
// gives up at its recursion limit, somewhat deeper.
const maxJSONDepth = 900

// maxIntDigits is Python's limit on the digits of an int read from text.
const maxIntDigits = 4300

// readJSON reads gateway.json. broken is set (and describes the content)
// when the file parses to a true-like value that is not an object.
func (m *Multiplex) readJSON(d *homefs.Dir) (setting, string) {
	const instead = "ignored, as upstream ignores it"
	path := d.Join(GatewayJSON)
	data := m.read(d, GatewayJSON, instead)
	if data == nil {
		return setting{}, ""
	}
	v, err := decodeJSON(data)
	if err != nil {
		m.warn(path, fmt.Sprintf("%v; %s", err, instead))
		return setting{}, ""
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		if jsonValue(v).coerceTruth() {
			return setting{}, fmt.Sprintf("holds %s, not an object", jsonKind(v))
		}
		return setting{ok: true}, "" // json.load(f) or {}: an empty base layer
	}
	s := setting{ok: true}
	if raw, ok := obj[KeyMultiplex]; ok {
		s.top, s.hasTop = jsonValue(raw), true
	}
	if gw, ok := obj[keyGateway].(map[string]any); ok {
		if raw, ok := gw[KeyMultiplex]; ok {
			s.nested, s.hasNested = jsonValue(raw), true
		}
	}
	return s, ""
}

// decodeJSON parses a JSON document as Python's json module reads a file
// opened as UTF-8: no byte-order mark, NaN and Infinity accepted (as
// non-empty lists here: only their truthiness matters, and both are true).
func decodeJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("is not valid UTF-8")
	}
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		return nil, fmt.Errorf("starts with a byte-order mark, which a JSON reader refuses")
	}
	if !json.Valid(data) {
		fixed := replaceNonFinite(data)
		if !json.Valid(fixed) {
			var v any
			return nil, fmt.Errorf("is not valid JSON (%v)", json.Unmarshal(data, &v))
		}
		data = fixed
	}
	if err := checkJSONLimits(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("is not valid JSON (%v)", err)
	}
	return v, nil
}

// checkJSONLimits refuses, in valid JSON, nesting deeper than maxJSONDepth
// and integers longer than Python reads.
func checkJSONLimits(b []byte) error {
	depth := 0
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			escaped, inString = c == '\\' && !escaped, !(c == '"' && !escaped)
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > maxJSONDepth {
				return fmt.Errorf("is nested deeper than %d levels", maxJSONDepth)
			}
		case c == ']' || c == '}':
			depth--
		case c == '-' || c >= '0' && c <= '9':
			j := i
			for j < len(b) && strings.IndexByte("+-0123456789.eE", b[j]) >= 0 {
				j++
			}
			num := b[i:j]
			if !bytes.ContainsAny(num, ".eE") && len(bytes.TrimLeft(num, "-")) > maxIntDigits {
				return fmt.Errorf("holds an integer of more than %d digits, which Python refuses to read", maxIntDigits)
			}
			i = j - 1
		}
	}
	return nil
}

// replaceNonFinite rewrites Python's NaN, Infinity and -Infinity outside
// strings as non-empty JSON lists.
func replaceNonFinite(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			escaped, inString = c == '\\' && !escaped, !(c == '"' && !escaped)
			out = append(out, c)
			continue
		}
		if c == '"' {
			inString = true
		}
		replaced := false
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(b[i:], []byte(tok)) {
				out = append(out, "[0]"...)
				i += len(tok) - 1
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out
}

func jsonValue(v any) value {
	switch v := v.(type) {
	case nil:
		return value{null: true}
	case bool:
		return value{truthy: v}
	case string:
		return value{isStr: true, s: v}
	case json.Number:
		return value{truthy: !zeroNumber(string(v))}
	case []any:
		return value{truthy: len(v) > 0}
	case map[string]any:
		return value{truthy: len(v) > 0}
	}
	return value{truthy: true}
}

// zeroNumber reports whether a JSON number reads as zero in Python (an
// underflowing float too).
func zeroNumber(s string) bool {
	if !strings.ContainsAny(s, ".eE") {
		return strings.Trim(s, "-0") == ""
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f == 0
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "true"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "a list"
	}
	return "a value"
}

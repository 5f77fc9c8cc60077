package gwconfig

import "strings"

// value is what upstream's loader would hold for one setting, reduced to
// what its boolean coercion looks at.
type value struct {
	null   bool   // None: absent or null
	isStr  bool   // a string; s holds it
	s      string //
	truthy bool   // Python's bool() of a non-string, non-null value
}

// Truth words of upstream's coercions (trimmed, lower-cased).
var (
	truthWords = map[string]bool{"1": true, "true": true, "yes": true, "on": true}
	falseWords = map[string]bool{"0": true, "false": true, "no": true, "off": true}
)

// coerce is upstream's boolean coercion of a setting with default false.
func (v value) coerce() bool {
	switch {
	case v.null:
		return false
	case v.isStr:
		return truthWords[pyLowerStrip(v.s)]
	}
	return v.truthy
}

// coerceTruth is Python's bool() of a constructed value.
func (v value) coerceTruth() bool {
	if v.isStr {
		return v.s != ""
	}
	return !v.null && v.truthy
}

// pyLowerStrip is Python's s.strip().lower() as far as the truth words can
// tell: str.isspace also counts the separators U+001C to U+001F.
func pyLowerStrip(s string) string {
	return strings.ToLower(strings.TrimFunc(s, pyIsSpace))
}

func pyIsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

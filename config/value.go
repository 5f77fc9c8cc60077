package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// fromTOML converts a value as the toml package decodes it (string, int64,
// float64, bool, []any, map[string]any, time values) into k's Go type.
// Tables of strings (kindEnv) are read entry by entry in file.go, for lines.
func (k key) fromTOML(raw any) (any, error) {
	switch k.kind {
	case kindDuration:
		switch v := raw.(type) {
		case string:
			return parseDuration(v)
		case int64:
			return seconds(float64(v), strconv.FormatInt(v, 10))
		case float64:
			return seconds(v, strconv.FormatFloat(v, 'g', -1, 64))
		}
		return nil, wantGot(`a duration such as "30s"`, raw)
	case kindCount:
		if v, ok := raw.(int64); ok {
			return count(v)
		}
		return nil, wantGot("an integer", raw)
	case kindLimit:
		switch v := raw.(type) {
		case int64:
			return count(v)
		case string:
			return parseLimit(v)
		}
		return nil, wantGot(`an integer or "max"`, raw)
	case kindSize:
		switch v := raw.(type) {
		case int64:
			return count(v)
		case string:
			return parseSize(v)
		}
		return nil, wantGot(`a size such as "512M", or "max"`, raw)
	case kindBool, kindOptBool:
		if v, ok := raw.(bool); ok {
			if k.kind == kindOptBool {
				return &v, nil
			}
			return v, nil
		}
		return nil, wantGot("true or false", raw)
	case kindString:
		if v, ok := raw.(string); ok {
			return v, nil
		}
		return nil, wantGot("a string", raw)
	case kindEnum:
		if v, ok := raw.(string); ok {
			return k.choose(v)
		}
		return nil, wantGot("one of "+orList(k.choices), raw)
	case kindID:
		switch v := raw.(type) {
		case string:
			return v, nil
		case int64:
			if v < 0 || v > maxID {
				return nil, fmt.Errorf("invalid id %d (want 0 to %d)", v, maxID)
			}
			return strconv.FormatInt(v, 10), nil
		}
		return nil, wantGot("a name or a number", raw)
	case kindArgv:
		list, ok := raw.([]any)
		if !ok {
			return nil, wantGot("an array of strings", raw)
		}
		argv := make([]string, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d: %w", i, wantGot("a string", e))
			}
			argv = append(argv, s)
		}
		return checkArgv(argv)
	}
	return nil, fmt.Errorf("internal error: key %s has no TOML reader", k.name)
}

// fromEnv converts the value of k's variable.
func (k key) fromEnv(s string) (any, error) {
	switch k.kind {
	case kindDuration:
		return parseDuration(s)
	case kindCount:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid integer %q", s)
		}
		return count(v)
	case kindLimit:
		return parseLimit(s)
	case kindSize:
		return parseSize(s)
	case kindBool:
		return parseBool(s)
	case kindOptBool:
		if strings.EqualFold(s, "auto") {
			return (*bool)(nil), nil
		}
		v, err := parseBool(s)
		if err != nil {
			return nil, fmt.Errorf("invalid boolean %q (want true, false or auto)", s)
		}
		return &v, nil
	case kindString, kindID:
		return s, nil
	case kindEnum:
		return k.choose(s)
	case kindArgv:
		return parseArgv(s)
	case kindEnv:
		return parseEnvTable(s)
	}
	return nil, fmt.Errorf("internal error: key %s has no variable reader", k.name)
}

// store puts a converted value into the field ptr points to. A mismatch is a
// bug in the key table, reported rather than panicking.
func store(ptr, v any) error {
	ok := false
	switch p := ptr.(type) {
	case *time.Duration:
		var d time.Duration
		if d, ok = v.(time.Duration); ok {
			*p = d
		}
	case *int:
		var n int64
		if n, ok = v.(int64); ok {
			if n > math.MaxInt {
				return fmt.Errorf("invalid integer %d (too large)", n)
			}
			*p = int(n)
		}
	case *int64:
		var n int64
		if n, ok = v.(int64); ok {
			*p = n
		}
	case *bool:
		var b bool
		if b, ok = v.(bool); ok {
			*p = b
		}
	case **bool:
		var b *bool
		if b, ok = v.(*bool); ok {
			*p = b
		}
	case *string:
		var s string
		if s, ok = v.(string); ok {
			*p = s
		}
	case *[]string:
		var l []string
		if l, ok = v.([]string); ok {
			*p = l
		}
	case *map[string]string:
		var m map[string]string
		if m, ok = v.(map[string]string); ok {
			*p = m
		}
	}
	if !ok {
		return fmt.Errorf("internal error: cannot store %T in %T", v, ptr)
	}
	return nil
}

// maxID is the largest UID or GID: (uid_t)-1 is "no change" to the kernel.
const maxID = math.MaxUint32 - 1

// parseDuration accepts Go durations ("8s", "1m30s", "500ms") and plain
// seconds ("8", "0.5"), as the --grace flag does.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return seconds(f, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 30s)", s)
	}
	return d, nil
}

// seconds converts a number of seconds; text is how it was written.
func seconds(f float64, text string) (time.Duration, error) {
	if math.IsNaN(f) || f < 0 || f > float64(math.MaxInt64)/float64(time.Second) {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 30s)", text)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func count(v int64) (int64, error) {
	if v < 0 {
		return 0, fmt.Errorf("invalid integer %d (want 0 or more)", v)
	}
	return v, nil
}

// parseLimit reads pids.max: an integer ≥ 0 or "max"; 0, "" and "max" mean
// no limit.
func parseLimit(s string) (int64, error) {
	if s == "" || strings.EqualFold(s, "max") {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid limit %q (want an integer or \"max\")", s)
	}
	return v, nil
}

// parseSize reads memory.max: bytes with an optional K, M, G or T suffix
// (1024-based, as the kernel's memparse reads memory.max); 0, "" and "max"
// mean no limit.
func parseSize(s string) (int64, error) {
	bad := fmt.Errorf("invalid size %q (want bytes with an optional K, M, G or T suffix, e.g. 512M, or \"max\")", s)
	if s == "" || strings.EqualFold(s, "max") {
		return 0, nil
	}
	num, shift := s, 0
	switch s[len(s)-1] {
	case 'k', 'K':
		shift = 10
	case 'm', 'M':
		shift = 20
	case 'g', 'G':
		shift = 30
	case 't', 'T':
		shift = 40
	}
	if shift > 0 {
		num = s[:len(s)-1]
	}
	// ParseUint rather than ParseInt: no sign is accepted.
	v, err := strconv.ParseUint(num, 10, 63)
	if err != nil || v > math.MaxInt64>>shift {
		return 0, bad
	}
	return int64(v << shift), nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q (want true or false)", s)
}

// choose returns the canonical spelling of an enumerated value.
func (k key) choose(s string) (string, error) {
	v := strings.ToLower(s)
	if a, ok := k.aliases[v]; ok {
		v = a
	}
	for _, c := range k.choices {
		if v == c {
			return v, nil
		}
	}
	return "", fmt.Errorf("invalid value %q (want %s)", s, orList(k.choices))
}

// checkArgv refuses what execve cannot carry.
func checkArgv(argv []string) ([]string, error) {
	for i, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fmt.Errorf("element %d contains a NUL byte", i)
		}
	}
	return argv, nil
}

// checkEnvVar refuses what cannot be an environment entry NAME=VALUE.
func checkEnvVar(name, value string) error {
	switch {
	case name == "":
		return errors.New("empty variable name")
	case strings.ContainsAny(name, "=\x00"):
		return fmt.Errorf("invalid variable name %q (contains \"=\" or a NUL byte)", name)
	case strings.IndexByte(value, 0) >= 0:
		return fmt.Errorf("variable %s: value contains a NUL byte", name)
	}
	return nil
}

// wantGot says what a key wants and what type the file had.
func wantGot(want string, raw any) error {
	return fmt.Errorf("want %s, got %s", want, tomlType(raw))
}

// tomlType names a decoded value's TOML type.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("a value of type %T", v)
}

func orList(choices []string) string {
	switch len(choices) {
	case 0:
		return "nothing"
	case 1:
		return choices[0]
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

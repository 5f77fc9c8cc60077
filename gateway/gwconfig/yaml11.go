package gwconfig

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tags of YAML 1.1's types, in the short form the parser reports.
const (
	tagNull      = "!!null"
	tagBool      = "!!bool"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagStr       = "!!str"
	tagTimestamp = "!!timestamp"
	tagBinary    = "!!binary"
	tagMerge     = "!!merge"
	tagValue     = "!!value"
	tagSeq       = "!!seq"
	tagMap       = "!!map"
	tagSet       = "!!set"
	tagOmap      = "!!omap"
	tagPairs     = "!!pairs"
)

type implicitType struct {
	tag string
	re  *regexp.Regexp
}

// implicit lists YAML 1.1's implicit types for plain scalars, tried in this
// order, as PyYAML's resolver tries them. Unlike YAML 1.2, "yes" and "off"
// are booleans, a float needs a dot, and "1:30" is sexagesimal. Compiled on
// first use: a start that reads no config.yaml pays nothing for them.
var implicit = sync.OnceValue(func() []implicitType {
	return []implicitType{
		{tagBool, regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)},
		{tagFloat, regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)},
		{tagInt, regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)},
		{tagMerge, regexp.MustCompile(`^(?:<<)$`)},
		{tagNull, regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)},
		{tagTimestamp, regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)},
		{tagValue, regexp.MustCompile(`^(?:=)$`)},
	}
})

// resolvePlain is the tag YAML 1.1 gives an untagged plain scalar.
func resolvePlain(s string) string {
	for _, r := range implicit() {
		if r.re.MatchString(s) {
			return r.tag
		}
	}
	return tagStr
}

// boolWords are the texts an explicit !!bool may hold (lower-cased).
var boolWords = map[string]bool{"yes": true, "no": false, "true": true, "false": false, "on": true, "off": false}

// constructScalar builds what the safe loader makes of a scalar with tag,
// reduced to a value, or fails where the loader fails.
func constructScalar(tag, s string) (value, error) {
	switch tag {
	case tagNull:
		return value{null: true}, nil
	case tagStr:
		return value{isStr: true, s: s}, nil
	case tagBool:
		b, ok := boolWords[strings.ToLower(s)]
		if !ok {
			return value{}, fmt.Errorf("%q is not a boolean", s)
		}
		return value{truthy: b}, nil
	case tagInt:
		n, err := yamlInt(s)
		if err != nil {
			return value{}, err
		}
		return value{truthy: n.Sign() != 0}, nil
	case tagFloat:
		f, err := yamlFloat(s)
		if err != nil {
			return value{}, err
		}
		return value{truthy: f != 0 || math.IsNaN(f)}, nil
	case tagTimestamp:
		if err := yamlTimestamp(s); err != nil {
			return value{}, err
		}
		return value{truthy: true}, nil
	case tagBinary:
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return value{}, fmt.Errorf("%q is not base64", s)
		}
		return value{truthy: len(b) > 0}, nil
	}
	return value{}, fmt.Errorf("no constructor for the tag %s on a scalar", tag)
}

// yamlInt is the safe loader's int: underscores dropped, then 0b binary, 0x
// hex, a leading 0 octal, a colon sexagesimal, else decimal, each read as
// Python's int() reads it.
func yamlInt(text string) (*big.Int, error) {
	s := strings.ReplaceAll(text, "_", "")
	neg := strings.HasPrefix(s, "-")
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	var n *big.Int
	ok := true
	switch {
	case s == "0":
		n = new(big.Int)
	case strings.HasPrefix(s, "0b"):
		n, ok = pyInt(s[2:], 2, "0b")
	case strings.HasPrefix(s, "0x"):
		n, ok = pyInt(s[2:], 16, "0x")
	case strings.HasPrefix(s, "0"):
		n, ok = pyInt(s, 8, "0o")
	case strings.Contains(s, ":"):
		n = new(big.Int)
		for _, part := range strings.Split(s, ":") {
			d, good := pyInt(part, 10, "")
			if ok = ok && good; ok {
				n.Mul(n, big.NewInt(60)).Add(n, d)
			}
		}
	default:
		n, ok = pyInt(s, 10, "")
	}
	if !ok {
		return nil, fmt.Errorf("%q is not an integer", text)
	}
	if neg {
		n.Neg(n)
	}
	return n, nil
}

// pyInt is Python's int(s, base): surrounding whitespace, a sign, and the
// base's own prefix allowed.
func pyInt(s string, base int, prefix string) (*big.Int, bool) {
	s = strings.TrimFunc(s, pyIsSpace)
	sign := ""
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		sign, s = s[:1], s[1:]
	}
	if prefix != "" && len(s) > 2 && strings.EqualFold(s[:2], prefix) {
		s = s[2:]
	}
	if s == "" {
		return nil, false
	}
	return new(big.Int).SetString(sign+s, base)
}

// yamlFloat is the safe loader's float: underscores dropped, lower-cased,
// .inf and .nan, a colon sexagesimal, else Python's float().
func yamlFloat(text string) (float64, error) {
	s := strings.ToLower(strings.ReplaceAll(text, "_", ""))
	sign := 1.0
	if strings.HasPrefix(s, "-") {
		sign = -1
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	switch {
	case s == ".inf":
		return sign * math.Inf(1), nil
	case s == ".nan":
		return math.NaN(), nil
	case strings.Contains(s, ":"):
		v := 0.0
		for _, part := range strings.Split(s, ":") {
			f, err := pyFloat(part)
			if err != nil {
				return 0, fmt.Errorf("%q is not a float", text)
			}
			v = v*60 + f
		}
		return sign * v, nil
	}
	f, err := pyFloat(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a float", text)
	}
	return sign * f, nil
}

// pyFloat is Python's float() of a text: surrounding whitespace allowed,
// inf, infinity and nan words, and no hex.
func pyFloat(s string) (float64, error) {
	s = strings.TrimFunc(s, pyIsSpace)
	body := strings.TrimLeft(s, "+-")
	switch strings.ToLower(body) {
	case "inf", "infinity", "nan":
		f, _ := strconv.ParseFloat(s, 64)
		return f, nil
	}
	if strings.ContainsAny(body, "xXpP_") || body == "" {
		return 0, strconv.ErrSyntax
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRange(err) {
		return 0, err
	}
	return f, nil // out of range is ±inf or 0, as in Python
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// timestampRE is the safe loader's timestamp constructor's pattern, looser
// than the resolver's (one-digit months and days).
var timestampRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$`)
})

// yamlTimestamp checks that a timestamp constructs: a real date, a time of
// day, and a zone offset under a day.
func yamlTimestamp(s string) error {
	m := timestampRE().FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not a timestamp", s)
	}
	num := func(i int) int { n, _ := strconv.Atoi(m[i]); return n }
	y, mo, d := num(1), num(2), num(3)
	if y < 1 || mo < 1 || mo > 12 || d < 1 || d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return fmt.Errorf("%q is not a date", s)
	}
	if m[4] == "" {
		return nil
	}
	if num(4) > 23 || num(5) > 59 || num(6) > 59 {
		return fmt.Errorf("%q is not a time of day", s)
	}
	if m[9] != "" && num(10)*60+num(11) >= 24*60 {
		return fmt.Errorf("%q has a zone offset of a day or more", s)
	}
	return nil
}

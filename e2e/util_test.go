package e2e

import (
	"strconv"
	"strings"
)

// jsonInt is a JSON number decoded into any, as an int (-1 if not a number).
func jsonInt(v any) int {
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int(f)
}

func itoa(i int) string { return strconv.Itoa(i) }

// fieldsOf returns the fields of the first line of text whose first field
// is name.
func fieldsOf(text, name string) []string {
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

// logLines splits a log file into its lines, without the empty last one.
func logLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return []string{""}
	}
	return strings.Split(s, "\n")
}

// lastIndex is the index of the last line that contains sub, or -1.
func lastIndex(lines []string, sub string) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], sub) {
			return i
		}
	}
	return -1
}

package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseBool accepts the spellings shell users write for yes and no.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, errors.New("not a boolean (want 1/0, true/false, yes/no, on/off)")
}

// parseDuration accepts a Go duration ("250ms", "1m30s") or plain seconds
// ("2", "0.5"). Negative values are refused.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || math.IsNaN(f) || f > float64(math.MaxInt64)/float64(time.Second) {
			return 0, errors.New("not a duration between 0 and 290 years")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("not a duration (want e.g. 500ms, 2s, 1m or plain seconds)")
	}
	return d, nil
}

// parseExitCode accepts 0 to 255, the statuses a process can exit with.
func parseExitCode(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 255 {
		return 0, errors.New("not an exit code between 0 and 255")
	}
	return n, nil
}

// parseCount accepts an integer from 0 to max.
func parseCount(s string, max int64) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > max {
		return 0, fmt.Errorf("not an integer between 0 and %d", max)
	}
	return n, nil
}

// sizeUnits are binary multiples, as memory.max counts them.
var sizeUnits = map[string]int64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}

// parseSize accepts bytes with an optional binary unit: 4096, 512K, 200M,
// 1G, 200MiB, 200MB (all multiples of 1024).
func parseSize(s string) (int64, error) {
	bad := errors.New("not a size (want e.g. 4096, 512K, 200M, 1G)")
	s = strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i == 0 {
		return 0, bad
	}
	num, unit := s, ""
	if i > 0 {
		num, unit = s[:i], strings.TrimSuffix(strings.TrimSuffix(s[i:], "b"), "i")
	}
	mult, ok := sizeUnits[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n > math.MaxInt64/mult {
		return 0, bad
	}
	return n * mult, nil
}

// parseFlood accepts a line count or "forever" (returned as -1).
func parseFlood(s string) (int64, error) {
	if strings.EqualFold(strings.TrimSpace(s), "forever") {
		return -1, nil
	}
	n, err := parseCount(s, math.MaxInt64)
	if err != nil {
		return 0, errors.New("not a line count or \"forever\"")
	}
	return n, nil
}

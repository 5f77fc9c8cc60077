package main

import (
	"errors"
	"fmt"
	"strings"
)

// toolKind says how a tool child is started. The zero toolKind is "plain": a
// direct child in the stub's process group that dies on SIGTERM.
type toolKind struct {
	setsid     bool // the tool runs in a session of its own (escapes the process group)
	doubleFork bool // the tool is an orphaned grandchild (its parent exits at once)
	ignoreTerm bool // the tool ignores SIGTERM (only SIGKILL ends it)
}

// Kind words, as STUB_TOOLS spells them.
const (
	kindPlain      = "plain"
	kindSetsid     = "setsid"
	kindDoubleFork = "doublefork"
	kindIgnoreTerm = "ignoreterm"
)

// String returns the canonical spelling: the set words in the order setsid,
// doublefork, ignoreterm, joined by "-", or "plain".
func (k toolKind) String() string {
	var words []string
	if k.setsid {
		words = append(words, kindSetsid)
	}
	if k.doubleFork {
		words = append(words, kindDoubleFork)
	}
	if k.ignoreTerm {
		words = append(words, kindIgnoreTerm)
	}
	if len(words) == 0 {
		return kindPlain
	}
	return strings.Join(words, "-")
}

// parseKind reads one kind: "plain" or a combination of setsid, doublefork
// and ignoreterm joined by "-" or "+" ("setsid-ignoreterm").
func parseKind(s string) (toolKind, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == kindPlain {
		return toolKind{}, nil
	}
	var k toolKind
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '+' }) {
		if seen[w] {
			return k, fmt.Errorf("kind %q repeats %q", s, w)
		}
		seen[w] = true
		switch w {
		case kindSetsid:
			k.setsid = true
		case kindDoubleFork:
			k.doubleFork = true
		case kindIgnoreTerm:
			k.ignoreTerm = true
		default:
			return k, fmt.Errorf("unknown tool kind %q (want plain, setsid, doublefork, ignoreterm or a combination like setsid-ignoreterm)", s)
		}
	}
	if len(seen) == 0 {
		return k, errors.New("empty tool kind")
	}
	return k, nil
}

// parseKinds reads a comma-separated list of kinds; an empty list is none.
func parseKinds(s string) ([]toolKind, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var kinds []toolKind
	for _, item := range strings.Split(s, ",") {
		k, err := parseKind(item)
		if err != nil {
			return nil, err
		}
		kinds = append(kinds, k)
	}
	return kinds, nil
}

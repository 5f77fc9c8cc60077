package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Error is one problem with the configuration, located where the bad value
// came from: a line of the file, a variable, or (for a default that cannot be
// used, such as an unknown user) only the key. Load returns every problem it
// finds, as one *Error or several joined by errors.Join.
type Error struct {
	File string // configuration file; "" when the value came from a variable or a default
	Line int    // 1-based line in File; 0 when not known
	Col  int    // 1-based column, for syntax errors; 0 otherwise
	Var  string // the variable that set the value; "" otherwise
	Key  string // the key, e.g. "restart.backoff_max" or "service[0].name"; "" for syntax errors
	Msg  string
}

// Error formats e as FILE:LINE: KEY: MSG, VAR: MSG or KEY: MSG.
func (e *Error) Error() string {
	var where string
	switch {
	case e.Var != "":
		return e.Var + ": " + e.Msg
	case e.File != "" && e.Line > 0 && e.Col > 0:
		where = fmt.Sprintf("%s:%d:%d: ", e.File, e.Line, e.Col)
	case e.File != "" && e.Line > 0:
		where = fmt.Sprintf("%s:%d: ", e.File, e.Line)
	case e.File != "":
		where = e.File + ": "
	}
	if e.Key != "" {
		return where + e.Key + ": " + e.Msg
	}
	return where + e.Msg
}

// origin is where a key's value came from: a spot of the file, a variable,
// or (the zero origin) the default.
type origin struct {
	file string
	spot *spot
	env  string
}

// isDefault reports whether the value is the built-in default.
func (o origin) isDefault() bool { return o.file == "" && o.env == "" }

// maxErrors bounds the problems reported: enough for any real file, and a
// bound on the work of locating them in a hostile one.
const maxErrors = 100

// errorList collects problems and the keys they concern, so that a key whose
// value could not be read is not also reported by later checks.
type errorList struct {
	errs []*Error
	bad  map[string]bool
}

func (l *errorList) add(o origin, keyName string, err error) {
	l.markBad(keyName)
	l.push(&Error{File: o.file, Var: o.env, Key: keyName, Msg: err.Error()}, o.spot)
}

// push appends e, finding its line when it has a spot, up to maxErrors.
func (l *errorList) push(e *Error, at *spot) {
	switch {
	case len(l.errs) > maxErrors:
		return
	case len(l.errs) == maxErrors:
		l.errs = append(l.errs, &Error{Msg: fmt.Sprintf("more than %d problems; the rest are not reported", maxErrors)})
		return
	}
	if at != nil && e.File != "" {
		e.Line = at.line()
	}
	l.errs = append(l.errs, e)
}

// markBad records that keyName's value is unusable.
func (l *errorList) markBad(keyName string) {
	if l.bad == nil {
		l.bad = map[string]bool{}
	}
	l.bad[keyName] = true
}

func (l *errorList) addf(o origin, keyName, format string, args ...any) {
	l.add(o, keyName, fmt.Errorf(format, args...))
}

// err returns nil, the one error, or all of them joined: the file's in line
// order, then the variables' by name, then the rest in the order found.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	rank := func(e *Error) int {
		switch {
		case e.File != "":
			return 0
		case e.Var != "":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(l.errs, func(a, b *Error) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if rank(a) == 0 {
			return cmp.Compare(a.Line, b.Line)
		}
		if rank(a) == 1 {
			return cmp.Compare(a.Var, b.Var)
		}
		return 0
	})
	if len(l.errs) == 1 {
		return l.errs[0]
	}
	errs := make([]error, len(l.errs))
	for i, e := range l.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

package gateway

import (
	"errors"
	"io/fs"

	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// Warning is a problem that did not stop the operation: a file that could not
// be used and what was done instead.
type Warning struct {
	Path   string // the file concerned
	Reason string // what was wrong, and the consequence
}

// String renders the warning as "<path>: <reason>".
func (w Warning) String() string {
	return w.Path + ": " + w.Reason
}

// readFailure describes why a file at path could not be read, naming the
// component that was refused when it is not the file itself.
func readFailure(path string, err error) string {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return "unreadable (" + err.Error() + ")"
	}
	what := reasonText(pe.Err)
	if pe.Path != path {
		return "path component " + pe.Path + " " + what
	}
	return what
}

func reasonText(err error) string {
	switch {
	case errors.Is(err, nofollow.ErrSymlink),
		errors.Is(err, nofollow.ErrNotRegular),
		errors.Is(err, nofollow.ErrTooLarge):
		return err.Error()
	}
	return "is unreadable (" + err.Error() + ")"
}

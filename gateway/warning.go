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

// Reason describes why the file at path could not be used, for a Warning
// about it: the component that was refused when it is not the file itself,
// and, for a symbolic link hermes-init will not follow as root, the word the
// image's stage2 hook uses for the same refusal.
func Reason(path string, err error) string {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return "is unreadable (" + err.Error() + ")"
	}
	what := reasonText(pe.Err)
	if pe.Path != path {
		return "path component " + pe.Path + " " + what
	}
	return what
}

// RefusedLink is the reason given for a symbolic link below a root-owned
// home, which hermes-init does not follow.
const RefusedLink = "is a symbolic link: refusing to follow it as root (the home belongs to root)"

func reasonText(err error) string {
	switch {
	case errors.Is(err, nofollow.ErrSymlink):
		return RefusedLink
	case errors.Is(err, nofollow.ErrNotRegular),
		errors.Is(err, nofollow.ErrTooLarge):
		return err.Error()
	}
	return "is unreadable (" + unwrapAll(err).Error() + ")"
}

// unwrapAll drops the path of a PathError nested in err, which the warning
// names already.
func unwrapAll(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

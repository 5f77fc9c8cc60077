package s6compat

import (
	"testing"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
)

// TestToolsArePassive: under every s6 name, hermes-init must not act as an
// init and catch signals: earlysignal's list is the same as Tools.
func TestToolsArePassive(t *testing.T) {
	is := is.New(t)
	for _, name := range Tools {
		is.True(earlysignal.Passive(name)) // earlysignal knows the tool
	}
	is.True(!earlysignal.Passive("hermes-init"))
}

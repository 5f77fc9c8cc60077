package gateway

import (
	"testing"

	"github.com/matryer/is"
)

func TestClassifyExit(t *testing.T) {
	cases := []struct {
		code     int
		signaled bool
		want     Verdict
		restarts bool
	}{
		{0, false, VerdictStop, false},            // #76435: a clean exit is an intentional stop
		{78, false, VerdictFail, false},           // #51228: fatal config, never restart
		{75, false, VerdictRestartNow, true},      // the gateway asks to be restarted
		{1, false, VerdictRestartBackoff, true},   // failure or unexpected signal
		{2, false, VerdictRestartBackoff, true},   // anything else
		{255, false, VerdictRestartBackoff, true}, // anything else
		{-1, false, VerdictRestartBackoff, true},  // nonsense is not a stop
		{0, true, VerdictRestartBackoff, true},    // a signal death is never a stop (OOM kill)
		{78, true, VerdictRestartBackoff, true},
		{75, true, VerdictRestartBackoff, true},
	}
	for _, c := range cases {
		is := is.New(t)
		v := ClassifyExit(c.code, c.signaled)
		is.Equal(v, c.want)                // verdict
		is.Equal(v.Restarts(), c.restarts) // restart or not
	}
}

func TestVerdictString(t *testing.T) {
	is := is.New(t)
	is.Equal(VerdictStop.String(), "stop")
	is.Equal(VerdictFail.String(), "fail")
	is.Equal(VerdictRestartNow.String(), "restart")
	is.Equal(VerdictRestartBackoff.String(), "restart-backoff")
	is.Equal(Verdict(99).String(), "unknown")
}

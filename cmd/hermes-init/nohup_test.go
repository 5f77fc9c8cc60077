package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestSignalTestsUnderNohup: the tests of signals pass when the runner
// ignores SIGHUP, as under nohup(1) or a CI runner that does: the harness's
// wrapper resets what it inherited before it execs hermes-init (wrapMain),
// so hermes-init does not pass an ignored SIGHUP on to its commands. It runs
// the three tests that depend on it again, in this test binary under nohup.
func TestSignalTestsUnderNohup(t *testing.T) {
	needRoot(t)
	is := is.New(t)
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Skip("needs nohup (coreutils)")
	}
	tests := []string{"TestExitStatusSignalled", "TestSignalsForwarded", "TestSIGHUPRescansProfiles"}
	cmd := exec.Command(nohup, testSelf, "-test.v", "-test.count=1", "-test.timeout=5m",
		"-test.run", "^("+strings.Join(tests, "|")+")$")
	cmd.Env = append(os.Environ(), "HERMES_INIT_BIN_DIR="+binDir) // the binaries this run uses
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("under nohup:\n%s", out)
	}
	is.NoErr(err) // the signal tests pass with SIGHUP ignored by their runner
	for _, name := range tests {
		is.True(strings.Contains(string(out), "--- PASS: "+name+" ")) // it ran, and passed
	}
}

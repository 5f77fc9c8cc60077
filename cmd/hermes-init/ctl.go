package main

import (
	"io"

	"github.com/hermes-init/hermes-init/supervisor/control"
)

// runCtl implements `hermes-init ctl`, the client of the control socket; the
// command line and its exit statuses live in package control (RunCLI).
func runCtl(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return control.RunCLI(args, getenv, stdout, stderr)
}

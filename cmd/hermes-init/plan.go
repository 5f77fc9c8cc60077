package main

import (
	"fmt"
	"io"
)

// runPlan prints the boot plan; the gateway/boot work replaces this body.
func runPlan(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "hermes-init: plan: not built yet")
	return 2
}

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

// toolCommand is the hidden first argument of tool mode: "__tool KIND".
const toolCommand = "__tool"

// orphanArg follows the kind in a double fork's grandchild, "__tool KIND
// orphan", so that ps shows its kind and it does not fork again.
const orphanArg = "orphan"

// toolLifetime bounds a tool like "sleep 1000": a leaked one ends by itself.
const toolLifetime = 1000 * time.Second

// readyFd is the tool's end of its readiness pipe.
const readyFd = 3

// runTool is tool mode. The tool reports "ready PID" on fd 3 once it is what
// its kind says (SIGTERM already ignored, in its own session) and then
// sleeps. A doublefork tool starts the real tool as its child, passes the
// pipe on and exits at once, so that the tool is orphaned.
func runTool(args []string, stderr io.Writer) int {
	ready := os.NewFile(readyFd, "ready")
	defer ready.Close()
	if len(args) < 1 || len(args) > 2 || (len(args) == 2 && args[1] != orphanArg) {
		fmt.Fprintf(ready, "error usage: %s KIND [%s]\n", toolCommand, orphanArg)
		fmt.Fprintf(stderr, "stub-gateway: usage: %s KIND [%s]\n", toolCommand, orphanArg)
		return exitUsage
	}
	k, err := parseKind(args[0])
	if err != nil {
		fmt.Fprintf(ready, "error %v\n", err)
		return exitUsage
	}
	if k.doubleFork && len(args) == 1 {
		return forkTool(args[0], ready)
	}
	if k.ignoreTerm {
		signal.Ignore(syscall.SIGTERM) // SIG_IGN in the kernel: shows in /proc/PID/status SigIgn
	}
	fmt.Fprintf(ready, "ready %d\n", os.Getpid())
	ready.Close()
	time.Sleep(toolLifetime)
	return 0
}

// forkTool is the middle of a double fork: it starts the tool, which
// inherits this process's session (new, when the kind asks for setsid), and
// exits without waiting for it.
func forkTool(kind string, ready *os.File) int {
	cmd := &exec.Cmd{
		Path:       selfExe,
		Args:       []string{os.Args[0], toolCommand, kind, orphanArg},
		ExtraFiles: []*os.File{ready},
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(ready, "error unable to start the grandchild: %v\n", err)
		return 1
	}
	return 0
}

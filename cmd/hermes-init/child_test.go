package main

// Child programs run by hermes-init under test: this test binary started with
// HERMES_TEST_CHILD=<mode>. Each prints what the test asserts on, one line at
// a time, to stdout.

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func childMain(mode string, args []string) int {
	arg := func(i int) int {
		if i < len(args) {
			n, _ := strconv.Atoi(args[i])
			return n
		}
		return 0
	}
	switch mode {
	case "catch":
		// Print every signal that arrives; exit 0 on SIGTERM.
		ch := make(chan os.Signal, 128)
		for n := 1; n <= 64; n++ {
			sig := syscall.Signal(n)
			if sig != syscall.SIGKILL && sig != syscall.SIGSTOP && sig != syscall.SIGCHLD && sig != syscall.SIGURG && (n < 32 || n > 34) {
				signal.Notify(ch, sig)
			}
		}
		fmt.Println("ready")
		for s := range ch {
			n := int(s.(syscall.Signal))
			fmt.Printf("got %d\n", n)
			if n == int(syscall.SIGTERM) {
				return 0
			}
		}
	case "sleep":
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "storm":
		return storm(arg(0))
	case "spawner":
		// Start n processes and exit at once: they become orphans.
		for i := 0; i < arg(0); i++ {
			if _, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{}); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
		return 0
	case "leftovers":
		// A setsid daemon and a double-forked orphan, both ignoring SIGTERM,
		// then exit with the status asked for.
		signal.Ignore(syscall.SIGTERM)
		a, _ := syscall.ForkExec("/bin/sleep", []string{"sleep", "1000"}, &syscall.ProcAttr{Sys: &syscall.SysProcAttr{Setsid: true}})
		b, _ := syscall.ForkExec("/bin/sleep", []string{"sleep", "1001"}, &syscall.ProcAttr{})
		fmt.Printf("leftovers %d %d\n", a, b)
		return arg(0)
	case "status":
		b, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "SigBlk:") || strings.HasPrefix(l, "SigIgn:") {
				fmt.Println(strings.Join(strings.Fields(l), " "))
			}
		}
		wd, _ := os.Getwd()
		fmt.Println("cwd " + wd)
		cg, _ := os.ReadFile("/proc/self/cgroup")
		for _, l := range strings.Split(string(cg), "\n") {
			if strings.HasPrefix(l, "0::") {
				fmt.Println("cgroup " + strings.TrimPrefix(l, "0::"))
			}
			if f := strings.SplitN(l, ":", 3); len(f) == 3 && f[1] == "pids" {
				fmt.Println("cgroup-pids " + f[2])
			}
		}
		fmt.Println("tag " + os.Getenv("HERMES_INIT_SERVICE"))
		fmt.Printf("pid %d ppid %d\n", os.Getpid(), os.Getppid())
		if len(args) > 0 && args[0] == "stdin" {
			line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
			fmt.Println("stdin " + strings.TrimSpace(line))
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown child mode %q\n", mode)
	return 3
}

// storm makes n orphans through a middle process that exits at once, then
// waits until hermes-init (our parent, PID 1 or a subreaper) has reaped all of
// them and prints how many are left.
func storm(n int) int {
	env := []string{"HERMES_TEST_CHILD=spawner"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERMES_TEST_CHILD=") {
			env = append(env, kv)
		}
	}
	mid, err := syscall.ForkExec("/proc/self/exe", []string{"spawner", "-test.child", strconv.Itoa(n)},
		&syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	var ws unix.WaitStatus
	_, _ = unix.Wait4(mid, &ws, 0, nil)
	parent := os.Getppid()
	deadline := time.Now().Add(30 * time.Second)
	left := -1
	for time.Now().Before(deadline) {
		left = childrenOf(parent, os.Getpid())
		if left == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("remaining %d\n", left)
	return 0
}

// childrenOf counts the processes (zombies included) whose parent is ppid.
func childrenOf(ppid, except int) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == except {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			n++
		}
	}
	return n
}

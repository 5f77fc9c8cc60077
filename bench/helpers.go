package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The workloads that run inside the inits under test are this binary
// re-executed with a first argument that names a helper. Their timestamps
// are CLOCK_MONOTONIC nanoseconds, the clock the driver reads too.
const (
	helperOrphans  = "__orphans"
	helperStrays   = "__strays"
	helperObserver = "__observer"
	helperService  = "__service"
	helperStage3   = "__stage3"
	helperTrue     = "__true"
	helperSleep    = "__sleep"
	helperPID1     = "__pid1"
)

func isHelper(name string) bool {
	switch name {
	case helperOrphans, helperStrays, helperObserver, helperService, helperStage3, helperTrue, helperSleep, helperPID1:
		return true
	}
	return false
}

// runHelper runs the named helper and returns its exit status.
func runHelper(name string, args []string) int {
	var err error
	switch name {
	case helperOrphans:
		err = orphansMain(args)
	case helperStrays:
		err = straysMain(args)
	case helperObserver:
		err = observerMain(args)
	case helperService:
		return serviceMain(args)
	case helperStage3:
		err = stage3Main(args)
	case helperPID1:
		err = pid1Main(args)
	case helperTrue:
		return 0
	case helperSleep:
		sleepForever()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", name, err)
		return 1
	}
	return 0
}

func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

func mono() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// writeAtomic writes data to path through a temporary file and a rename, so
// that a reader polling for path never sees it half written.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// orphansMain is the reaping workload: it makes n orphans (their parent
// exits), releases them all at once, waits until every one of them has been
// reaped by the init (kill(pid, 0) fails with ESRCH once the zombie is gone)
// and writes "RELEASE REAPED N" to -report. With -stay it then sleeps, so
// that a supervisor does not restart it.
func orphansMain(args []string) error {
	fs := flag.NewFlagSet(helperOrphans, flag.ContinueOnError)
	n := fs.Int("n", 10000, "orphans to make")
	report := fs.String("report", "", "file for the result")
	stay := fs.Bool("stay", false, "sleep after reporting")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var release, pipePids [2]int
	if err := unix.Pipe2(release[:], unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("create release pipe: %w", err)
	}
	if err := unix.Pipe2(pipePids[:], unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("create pid pipe: %w", err)
	}
	mid, err := forkOrphanMaker(*n, release[0], release[1], pipePids[1])
	if err != nil {
		return fmt.Errorf("fork the orphan maker: %w", err)
	}
	unix.Close(pipePids[1])
	pids, err := readPids(pipePids[0])
	if err != nil {
		return err
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(mid, &ws, 0, nil); err != nil || ws.ExitStatus() != 0 {
		return fmt.Errorf("orphan maker (pid %d): %v, status %v", mid, err, ws)
	}
	if len(pids) != *n {
		return fmt.Errorf("made %d orphans, want %d", len(pids), *n)
	}
	unix.Close(release[0])
	t0 := mono()
	unix.Close(release[1]) // the last write end: every orphan's read returns
	waitGone(pids)
	t1 := mono()
	if err := writeAtomic(*report, fmt.Appendf(nil, "%d %d %d\n", t0, t1, len(pids))); err != nil {
		return err
	}
	if *stay {
		sleepForever()
	}
	return nil
}

func readPids(fd int) ([]int, error) {
	f := os.NewFile(uintptr(fd), "pids")
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read orphan pids: %w", err)
	}
	pids := make([]int, 0, len(data)/4)
	for i := 0; i+4 <= len(data); i += 4 {
		pids = append(pids, int(data[i])|int(data[i+1])<<8|int(data[i+2])<<16|int(data[i+3])<<24)
	}
	return pids, nil
}

// waitGone returns when no pid exists any more, zombies included.
func waitGone(pids []int) {
	for len(pids) > 0 {
		left := pids[:0]
		for _, pid := range pids {
			if unix.Kill(pid, 0) != unix.ESRCH {
				left = append(left, pid)
			}
		}
		pids = left
		if len(pids) > 0 {
			time.Sleep(200 * time.Microsecond)
		}
	}
}

// sigIgnore is a kernel struct sigaction (handler, flags, restorer, mask)
// with the handler SIG_IGN, for the raw rt_sigaction in the parent.
var sigIgnore = [4]uint64{1, 0, 0, 0}

// straysMain is the stop workload: n processes in sessions of their own that
// ignore SIGTERM, plus one observer (a stray that reports the signals it gets
// to the driver's socket instead of ignoring them silently). It then writes
// -ready and sleeps; SIGTERM ends it at once (the default action).
func straysMain(args []string) error {
	fs := flag.NewFlagSet(helperStrays, flag.ContinueOnError)
	n := fs.Int("n", 1000, "strays to make")
	ready := fs.String("ready", "", "file written when all are running")
	sock := fs.String("observer", "", "the driver's socket for the observer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := startObserver(*sock); err != nil {
		return err
	}
	// SIG_IGN is set on the process (not through os/signal, which could not
	// give the default action back) for the forks only.
	var old [4]uint64
	if _, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(syscall.SIGTERM),
		uintptr(unsafe.Pointer(&sigIgnore)), uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		return fmt.Errorf("ignore SIGTERM: %w", e)
	}
	pids, err := forkStrays(*n)
	syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(syscall.SIGTERM), uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	if err != nil {
		return fmt.Errorf("fork stray %d: %w", len(pids)+1, err)
	}
	if err := writeAtomic(*ready, fmt.Appendf(nil, "%d\n", len(pids))); err != nil {
		return err
	}
	sleepForever()
	return nil
}

func startObserver(sock string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	p, err := os.StartProcess(self, []string{self, helperObserver, "-sock", sock}, &os.ProcAttr{
		Dir: "/", Files: []*os.File{null, null, null}, Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return fmt.Errorf("start the observer: %w", err)
	}
	return p.Release()
}

// observerMain connects to the driver and reports every stop signal it
// receives, without acting on it. Its connection closes when it dies.
func observerMain(args []string) error {
	fs := flag.NewFlagSet(helperObserver, flag.ContinueOnError)
	sock := fs.String("sock", "", "the driver's socket")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGCONT)
	c, err := net.Dial("unix", *sock)
	if err != nil {
		return err
	}
	fmt.Fprintf(c, "ready %d\n", os.Getpid())
	for s := range sigs {
		fmt.Fprintf(c, "%s %d\n", unix.SignalName(s.(syscall.Signal)), mono())
	}
	return nil
}

// serviceMain is the restart workload: it appends "start T PID" to -log,
// runs for -life, appends "exit T" and exits with -code.
func serviceMain(args []string) int {
	t := mono()
	fs := flag.NewFlagSet(helperService, flag.ContinueOnError)
	log := fs.String("log", "", "file to append to")
	life := fs.Duration("life", 1200*time.Millisecond, "how long to run")
	code := fs.Int("code", 1, "exit status")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	appendLine(*log, fmt.Sprintf("start %d %d\n", t, os.Getpid()))
	time.Sleep(*life)
	appendLine(*log, fmt.Sprintf("exit %d\n", mono()))
	return *code
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	f.WriteString(line) // one write: O_APPEND keeps lines whole
	f.Close()
}

// stage3Main is s6-overlay's stage 3 (s6-linux-init-shutdownd) as the
// s6-svscan finish program, so PID 1: SIGTERM and SIGCONT to every process,
// sleep the whole grace (shutdownd does not cut it short), SIGKILL to every
// process, reap, exit 0.
func stage3Main(args []string) error {
	fs := flag.NewFlagSet(helperStage3, flag.ContinueOnError)
	grace := fs.Duration("grace", 2*time.Second, "TERM to KILL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_ = unix.Kill(-1, unix.SIGTERM)
	_ = unix.Kill(-1, unix.SIGCONT)
	deadline := time.Now().Add(*grace)
	for time.Now().Before(deadline) {
		reapAll()
		time.Sleep(10 * time.Millisecond)
	}
	_ = unix.Kill(-1, unix.SIGKILL)
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(-1, &ws, 0, nil); err == unix.ECHILD {
			break
		}
	}
	return nil
}

func reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// pid1Main is a bare PID 1 for the stop attribution runs: it runs the init
// under test as its child, reaps everything, and when the init has exited
// writes "LEFT" to -report: how many processes of this binary (the strays and
// the observer) are still alive. Then it exits, and the kernel kills them.
func pid1Main(args []string) error {
	fs := flag.NewFlagSet(helperPID1, flag.ContinueOnError)
	report := fs.String("report", "", "file for the count")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return fmt.Errorf("no init to run")
	}
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		return err
	}
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait: %w", err)
		}
		if pid == p.Pid {
			break
		}
	}
	return writeAtomic(*report, fmt.Appendf(nil, "%d\n", countSelf()))
}

// countSelf counts the other live processes running this binary; zombies
// are dead and do not count.
func countSelf() int {
	self, _ := os.Readlink("/proc/self/exe")
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err == nil && exe == self && hasMM(pid) {
			n++
		}
	}
	return n
}

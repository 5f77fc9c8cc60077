package main

// The test harness runs the real hermes-init binary, built by scripts/build, as
// PID 1 of fresh PID and mount namespaces (and optionally a cgroup namespace)
// born inside a throwaway cgroup, or directly when not PID 1. The test binary
// plays two more roles, selected by environment variables in TestMain: the
// namespace wrapper that mounts /proc (and cgroup2, a read-only cgroup mount or
// a clone3 seccomp filter) before exec'ing hermes-init, and the child programs
// hermes-init runs.

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

var (
	binDir   string // built binaries
	initBin  string // hermes-init
	testSelf string // this test binary
	// initExe is what /proc/PID/exe shows once the wrapper has exec'd
	// hermes-init: initBin, or the qemu-user interpreter when emulated.
	initExe  string
	emulated bool // hermes-init is built for another architecture (see emulation)
)

func TestMain(m *testing.M) {
	switch {
	case os.Getenv("HERMES_TEST_WRAP") != "":
		wrapMain()
	case os.Getenv("HERMES_TEST_CHILD") != "":
		os.Exit(childMain(os.Getenv("HERMES_TEST_CHILD"), os.Args[2:]))
	}
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hermes-init-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755) // other users run binaries from here too
	binDir = dir
	if b := os.Getenv("HERMES_INIT_BIN_DIR"); b != "" {
		binDir = b // built once by scripts/test for every package
	} else {
		out, err := exec.Command("../../scripts/build", dir).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "scripts/build: %v\n%s", err, out)
			return 1
		}
	}
	initBin = filepath.Join(binDir, "hermes-init")
	testSelf, _ = os.Executable()
	if initExe, emulated, err = emulation(initBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// emulation tells how bin runs here. HERMES_INIT_BIN_DIR may hold an arm64
// build (scripts/test runs the early-signal tests against it) while this test
// binary, the wrapper and the child programs stay native: the kernel then runs
// bin under the qemu-user interpreter registered with binfmt_misc, and the
// process's exe is that interpreter.
func emulation(bin string) (exe string, emulated bool, err error) {
	f, err := elf.Open(bin)
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", bin, err)
	}
	machine := f.Machine
	f.Close()
	native := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if machine == native {
		return bin, false, nil
	}
	if machine != elf.EM_AARCH64 {
		return "", false, fmt.Errorf("%s is built for %v, which these tests cannot run", bin, machine)
	}
	const reg = "/proc/sys/fs/binfmt_misc/qemu-aarch64"
	b, err := os.ReadFile(reg)
	if err != nil {
		return "", false, fmt.Errorf("%s is an arm64 binary and qemu-user is not registered: %w", bin, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if interp, ok := strings.CutPrefix(l, "interpreter "); ok {
			exe, err = filepath.EvalSymlinks(interp)
			return exe, true, err
		}
	}
	return "", false, fmt.Errorf("no interpreter in %s", reg)
}

// nsOpts selects how hermes-init is started.
type nsOpts struct {
	pid1     bool // PID 1 of new PID and mount namespaces
	cgroupNS bool // also a new cgroup namespace with its own cgroup2 mount (a container)
	readOnly bool // cgroup mounts read-only (Docker's default)
	noClone3 bool // clone3 fails with ENOSYS (Docker's default seccomp profile)
	env      []string
	stdin    *os.File
	noCgroup bool             // do not put it in a throwaway cgroup
	block    []syscall.Signal // blocked when hermes-init starts
	ignore   []syscall.Signal // ignored when hermes-init starts
	// rootfs, with pid1: a container root (see newRootfs) that the
	// wrapper chroots into before it execs /init there, in the working
	// directory cwd (default /).
	rootfs, cwd string
}

func joinSigs(sigs []syscall.Signal) string {
	var s []string
	for _, x := range sigs {
		s = append(s, strconv.Itoa(int(x)))
	}
	return strings.Join(s, ",")
}

func parseSigs(s string) []syscall.Signal {
	var out []syscall.Signal
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, syscall.Signal(n))
		}
	}
	return out
}

// proc is a running hermes-init under test.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	cg     string // the throwaway cgroup it was born in ("" if none)
	mu     sync.Mutex
	lines  []string
	stderr strings.Builder
	done   chan struct{}
	status int
}

// v2Mount finds the host's cgroup2 mount, or "".
func v2Mount() string {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	return ""
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		requireOrSkip(t, "root", "needs root: namespaces, mounts and cgroups")
	}
}

// requireOrSkip skips a test that needs what this machine lacks, unless the
// run declares that it must have it (HERMES_TEST_REQUIRE, a comma-separated
// list that .ci/run sets): then the test fails instead.
func requireOrSkip(t *testing.T, need, why string) {
	t.Helper()
	if slices.Contains(strings.Split(os.Getenv("HERMES_TEST_REQUIRE"), ","), need) {
		t.Fatalf("%s, and HERMES_TEST_REQUIRE declares %q", why, need)
	}
	t.Skip(why)
}

// newCgroup makes a throwaway cgroup for one test and removes it afterwards,
// failing the test if a process was left inside.
func newCgroup(t *testing.T) string {
	t.Helper()
	mnt := v2Mount()
	if mnt == "" {
		requireOrSkip(t, "cgroup2", "needs a cgroup2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified)")
	}
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	dir := filepath.Join(mnt, "hermes-test", name+"-"+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		requireOrSkip(t, "cgroup2", fmt.Sprintf("cannot create a cgroup in %s: %v", mnt, err))
	}
	t.Cleanup(func() {
		if pids := cgroupPids(dir); len(pids) > 0 {
			t.Errorf("processes left in the test cgroup %s: %v", dir, pids)
			_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
			time.Sleep(50 * time.Millisecond)
		}
		removeCgroupTree(t, dir)
	})
	return dir
}

func cgroupPids(dir string) []int {
	var pids []int
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			pids = append(pids, n)
		}
		return nil
	})
	return pids
}

func removeCgroupTree(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeCgroupTree(t, filepath.Join(dir, e.Name()))
		}
	}
	for i := 0; i < 50; i++ {
		if err := unix.Rmdir(dir); err == nil || err == unix.ENOENT {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("cannot remove test cgroup %s", dir)
}

// start runs hermes-init with args under opts and collects its stdout lines.
func start(t *testing.T, o nsOpts, args ...string) *proc {
	t.Helper()
	needRoot(t)
	p := &proc{t: t, done: make(chan struct{})}
	sys := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// The test binary execs hermes-init after setting up what a container
	// runtime (or the parent shell) would: namespaces' mounts, seccomp, the
	// signal mask and ignored signals hermes-init must pass on.
	cmd := exec.Command(testSelf, args...)
	wrap := []string{"HERMES_TEST_WRAP=1", "HERMES_TEST_INIT=" + initBin}
	if o.pid1 {
		sys.Cloneflags = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS
		wrap = append(wrap, "HERMES_TEST_PID1=1")
		if o.cgroupNS {
			sys.Cloneflags |= syscall.CLONE_NEWCGROUP
			wrap = append(wrap, "HERMES_TEST_CGROUP2="+v2Mount())
		}
		if o.readOnly {
			wrap = append(wrap, "HERMES_TEST_RO=1")
		}
		if o.noClone3 {
			wrap = append(wrap, "HERMES_TEST_NOCLONE3=1")
		}
		if o.rootfs != "" {
			wrap = append(wrap, "HERMES_TEST_ROOTFS="+o.rootfs, "HERMES_TEST_CWD="+o.cwd)
		}
	} else if o.readOnly || o.noClone3 || o.cgroupNS || o.rootfs != "" {
		t.Fatal("readOnly, noClone3, cgroupNS and rootfs need pid1")
	}
	if len(o.block) > 0 {
		wrap = append(wrap, "HERMES_TEST_BLOCK="+joinSigs(o.block))
	}
	if len(o.ignore) > 0 {
		wrap = append(wrap, "HERMES_TEST_IGNORE="+joinSigs(o.ignore))
	}
	cmd.Env = append(append(os.Environ(), wrap...), o.env...)
	if o.rootfs != "" {
		cmd.Env = append(wrap, o.env...) // a container's environment is its image's
	}
	if !o.noCgroup {
		p.cg = newCgroup(t)
		fd, err := unix.Open(p.cg, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		sys.UseCgroupFD, sys.CgroupFD = true, fd
	}
	cmd.SysProcAttr = sys
	cmd.WaitDelay = 2 * time.Second // descendants holding stdout must not hang the test
	cmd.Stdin = o.stdin
	cmd.Stderr = &lockedWriter{mu: &p.mu, b: &p.stderr}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start hermes-init: %v", err)
	}
	p.cmd = cmd
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		_ = cmd.Wait()
		p.status = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.status = 128 + int(ws.Signal())
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			if p.cg != "" { // and whatever it started, when it is not PID 1
				_ = os.WriteFile(filepath.Join(p.cg, "cgroup.kill"), []byte("1"), 0)
			}
			<-p.done
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("hermes-init stdout:\n%s\nstderr:\n%s", strings.Join(p.lines, "\n"), p.stderr.String())
			p.mu.Unlock()
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}

// pid is hermes-init's pid in the test's namespace.
func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) signal(sig syscall.Signal) {
	_ = unix.Kill(p.pid(), sig)
}

// wait waits for hermes-init to exit and returns its status.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.status
	case <-time.After(timeout):
		p.t.Fatalf("hermes-init did not exit within %s", timeout)
		return -1
	}
}

// waitLine waits for a stdout line starting with prefix and returns it.
func (p *proc) waitLine(prefix string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.done:
			// one more look: the line may have come with the exit
			p.mu.Lock()
			for _, l := range p.lines {
				if strings.HasPrefix(l, prefix) {
					p.mu.Unlock()
					return l
				}
			}
			p.mu.Unlock()
			p.t.Fatalf("hermes-init exited (status %d) before printing %q", p.status, prefix)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no line %q within %s", prefix, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (p *proc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

func (p *proc) errors() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// child returns the argv that runs this test binary as child program mode.
// The "-test.child" argument keeps the binary's own hermes-init code (it links
// package main) from acting as an init.
func child(mode string, args ...string) []string {
	return append([]string{"--", "/usr/bin/env", "HERMES_TEST_CHILD=" + mode, testSelf, "-test.child"}, args...)
}

// wrapMain is the namespace wrapper: PID 1 of the new namespaces until it execs
// hermes-init. It mounts what a container runtime would.
func wrapMain() {
	runtime.LockOSThread()
	die := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "test wrapper: "+format+"\n", a...)
		os.Exit(99)
	}
	if os.Getenv("HERMES_TEST_PID1") != "" {
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			die("make / private: %v", err)
		}
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			die("mount proc: %v", err)
		}
	}
	if mnt := os.Getenv("HERMES_TEST_CGROUP2"); mnt != "" {
		// The kernel refuses the same superblock on top of itself (EBUSY):
		// detach the host's view first, as a runtime mounts a fresh one.
		if err := unix.Unmount(mnt, unix.MNT_DETACH); err != nil {
			die("unmount %s: %v", mnt, err)
		}
		if err := unix.Mount("cgroup2", mnt, "cgroup2", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			die("mount cgroup2: %v", err)
		}
	}
	if os.Getenv("HERMES_TEST_RO") != "" {
		for _, m := range cgroupMountPoints() {
			if err := unix.Mount(m, m, "", unix.MS_BIND, ""); err != nil {
				die("bind %s: %v", m, err)
			}
			if err := unix.Mount("", m, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
				die("remount %s read-only: %v", m, err)
			}
		}
	}
	if os.Getenv("HERMES_TEST_NOCLONE3") != "" {
		if err := denyClone3(); err != nil {
			die("seccomp: %v", err)
		}
	}
	// hermes-init starts with a known signal disposition, whatever the test
	// runner left: ignored signals survive exec (nohup ignores SIGHUP; CI
	// runners may ignore SIGINT or SIGPIPE, or block signals), and
	// hermes-init passes them on to its commands as a shell would, which
	// the signal tests do not expect. So every signal ignored here is reset
	// to its default, unless the test asks for it ignored (nsOpts.ignore),
	// and the mask is exactly the test's (nsOpts.block). Caught signals
	// need nothing: exec resets them.
	ignore := parseSigs(os.Getenv("HERMES_TEST_IGNORE"))
	for sig := syscall.Signal(1); sig <= 64; sig++ {
		if sig == syscall.SIGKILL || sig == syscall.SIGSTOP || slices.Contains(ignore, sig) {
			continue
		}
		if err := resetIgnored(sig); err != nil {
			die("reset the disposition of signal %d: %v", sig, err)
		}
	}
	for _, sig := range ignore {
		// Raw: os/signal cannot ignore SIGSEGV and friends.
		act := [4]uint64{1} // SIG_IGN
		if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act[0])), 0, 8, 0, 0); errno != 0 {
			die("ignore %d: %v", sig, errno)
		}
	}
	var mask unix.Sigset_t
	for _, sig := range parseSigs(os.Getenv("HERMES_TEST_BLOCK")) {
		mask.Val[0] |= 1 << (uint(sig) - 1)
	}
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &mask, nil); err != nil { // this thread execs
		die("set the signal mask: %v", err)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERMES_TEST_") {
			env = append(env, kv)
		}
	}
	bin := os.Getenv("HERMES_TEST_INIT")
	if root := os.Getenv("HERMES_TEST_ROOTFS"); root != "" {
		if err := enterRootfs(root, os.Getenv("HERMES_TEST_CWD")); err != nil {
			die("enter %s: %v", root, err)
		}
		bin = "/init"
	}
	err := unix.Exec(bin, append([]string{bin}, os.Args[1:]...), env)
	die("exec %s: %v", bin, err)
}

// resetIgnored sets sig back to its default action when it is ignored
// (raw rt_sigaction: the Go runtime keeps an inherited SIG_IGN for SIGHUP
// and SIGINT, and os/signal cannot reset a signal it did not change).
func resetIgnored(sig syscall.Signal) error {
	var old [4]uint64 // the kernel's struct sigaction; the handler comes first
	if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old[0])), 8, 0, 0); errno != 0 {
		return errno
	}
	if old[0] != 1 { // not SIG_IGN
		return nil
	}
	dfl := [4]uint64{} // SIG_DFL
	if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl[0])), 0, 8, 0, 0); errno != 0 {
		return errno
	}
	return nil
}

// enterRootfs mounts what a container runtime gives a container into root
// (the host's /usr read-only, /dev, /sys with the cgroup mounts as they are
// now, a fresh /proc, tmpfs on /run and /tmp) and chroots into it.
func enterRootfs(root, cwd string) error {
	for _, d := range []string{"usr", "dev", "sys"} {
		if err := unix.Mount("/"+d, filepath.Join(root, d), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind /%s: %w", d, err)
		}
	}
	if err := unix.Mount("", filepath.Join(root, "usr"), "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("remount /usr read-only: %w", err)
	}
	if err := unix.Mount("proc", filepath.Join(root, "proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount proc: %w", err)
	}
	for d, mode := range map[string]string{"run": "mode=0755", "tmp": "mode=1777"} {
		if err := unix.Mount("tmpfs", filepath.Join(root, d), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, mode); err != nil {
			return fmt.Errorf("mount tmpfs on /%s: %w", d, err)
		}
	}
	if err := unix.Chroot(root); err != nil {
		return err
	}
	if cwd == "" {
		cwd = "/"
	}
	return unix.Chdir(cwd)
}

func cgroupMountPoints() []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		for i, x := range f {
			if x == "-" && i+1 < len(f) && (f[i+1] == "cgroup" || f[i+1] == "cgroup2") {
				out = append(out, f[4])
			}
		}
	}
	return out
}

// denyClone3 installs the rule of Docker's default seccomp profile that makes
// clone3 fail with ENOSYS (moby profiles/seccomp/default.json).
func denyClone3() error {
	const sysClone3 = 435
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.AUDIT_ARCH_X86_64, Jt: 1, Jf: 0},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: sysClone3, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0)
}

package cgroup

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/sys/unix"
)

// dockerCaps is Docker's default capability set (moby's caps/defaults.go):
// no CAP_SYS_PTRACE.
var dockerCaps = []uint{unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_FSETID, unix.CAP_FOWNER,
	unix.CAP_MKNOD, unix.CAP_NET_RAW, unix.CAP_SETGID, unix.CAP_SETUID, unix.CAP_SETFCAP,
	unix.CAP_SETPCAP, unix.CAP_NET_BIND_SERVICE, unix.CAP_SYS_CHROOT, unix.CAP_KILL, unix.CAP_AUDIT_WRITE}

func TestMain(m *testing.M) {
	if v := os.Getenv("HERMES_CG_TEST_TAG"); v != "" {
		// Re-executed: look for the tag with Docker's capabilities only.
		if err := keepCaps(dockerCaps); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(3)
		}
		pid, _ := strconv.Atoi(os.Getenv("HERMES_CG_TEST_PID"))
		if hasTag(pid, []byte(TagVar+"="+v+"\x00")) {
			os.Exit(0)
		}
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func keepCaps(keep []uint) error {
	var data [2]unix.CapUserData
	for _, c := range keep {
		data[c/32].Effective |= 1 << (c % 32)
		data[c/32].Permitted |= 1 << (c % 32)
	}
	return unix.Capset(&unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}, &data[0])
}

// TestTagOfAnotherUserWithoutPtrace: in a Docker container hermes-init (root,
// without CAP_SYS_PTRACE) must still find the environment tag of a service
// running as the gateway user.
func TestTagOfAnotherUserWithoutPtrace(t *testing.T) {
	if os.Geteuid() != 0 {
		requireOrSkip(t, "root", "needs root: a service of another uid, and capabilities dropped")
	}
	is := is.New(t)
	svc := exec.Command("/bin/sleep", "30")
	svc.Env = []string{"A=1", TagVar + "=gateway-x", "B=2"}
	svc.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 12345, Gid: 12345}}
	is.NoErr(svc.Start())
	defer func() { _ = svc.Process.Kill(); _ = svc.Wait() }()
	time.Sleep(50 * time.Millisecond) // exec done: environ is sleep's
	self, _ := os.Executable()
	check := exec.Command(self)
	check.Env = []string{"HERMES_CG_TEST_TAG=gateway-x", "HERMES_CG_TEST_PID=" + strconv.Itoa(svc.Process.Pid)}
	err := check.Run()
	is.NoErr(err) // the tag is found without CAP_SYS_PTRACE
}

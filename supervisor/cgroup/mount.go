package cgroup

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Docker mounts /sys/fs/cgroup read-only unless the container is privileged or
// the engine (28+) accepts --security-opt writable-cgroups=true. With
// CAP_SYS_ADMIN (cap_add: [SYS_ADMIN]) and a private cgroup namespace
// (cgroup: private), a PID 1 can make the mounts writable itself, as systemd
// does in a container; on a cgroup v1 host it can also mount the v2 hierarchy
// (at /sys/fs/cgroup/unified) that gives membership and cgroup.kill. Seen on
// Docker 20.10 with runc 1.1 on a v1 host: the container sees read-only v1
// bind mounts of its own cgroups and no v2 mount at all.

// prepareMounts makes the cgroup mounts writable (Options.Mount). It only acts
// as PID 1 in a private cgroup namespace, where every mount shows the
// container's own cgroups; in the host's namespace a fresh cgroup2 mount would
// expose the host's hierarchy. It returns what it did, for the log.
func prepareMounts(o Options, mounts []mount) (string, error) {
	if !o.PID1 {
		return "", errors.New("not PID 1")
	}
	private, err := privateNamespace(o.CgroupFile)
	if err != nil {
		return "", err
	}
	if !private {
		return "", errors.New("not in a private cgroup namespace (docker run --cgroupns=private; Compose v2: cgroup: private; Docker's default on cgroup v2 hosts)")
	}
	var did []string
	hasV2 := false
	for _, m := range mounts {
		hasV2 = hasV2 || m.fstype == "cgroup2"
		if !m.readOnly {
			continue
		}
		flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
		if err := o.mount("", m.dir, "", flags, ""); err != nil {
			return strings.Join(did, "; "), fmt.Errorf("remount %s read-write: %w%s", m.point, err, capHint(err))
		}
		did = append(did, "remounted "+m.point+" read-write")
	}
	if !hasV2 {
		const point = "/sys/fs/cgroup/unified"
		dir := underRoot(o.FSRoot, point)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return strings.Join(did, "; "), fmt.Errorf("create %s: %w", point, err)
		}
		if err := o.mount("cgroup2", dir, "cgroup2", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return strings.Join(did, "; "), fmt.Errorf("mount cgroup2 at %s: %w%s", point, err, capHint(err))
		}
		did = append(did, "mounted cgroup2 at "+point)
	}
	return strings.Join(did, "; "), nil
}

// privateNamespace reports whether every hierarchy shows our cgroup as "/":
// the view of a private cgroup namespace whose root is the container.
func privateNamespace(file string) (bool, error) {
	v2, hasV2, v1, err := selfCgroups(file)
	if err != nil {
		return false, err
	}
	if hasV2 && v2 != "/" {
		return false, nil
	}
	for _, p := range v1 {
		if p != "/" {
			return false, nil
		}
	}
	return true, nil
}

func capHint(err error) string {
	if errors.Is(err, unix.EPERM) {
		return " (needs CAP_SYS_ADMIN: compose cap_add: [SYS_ADMIN])"
	}
	return ""
}

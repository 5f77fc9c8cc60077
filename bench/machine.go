package main

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// machine describes where the numbers come from.
func (b *bench) machine() [][2]string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	kernel := unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Version[:])
	mem := readKB("/proc/meminfo")["MemTotal"]
	return [][2]string{
		{"date (UTC)", time.Now().UTC().Format("2006-01-02 15:04")},
		{"CPUs (nproc)", fmt.Sprint(runtime.NumCPU())},
		{"CPU model", cpuModel()},
		{"memory", fmt.Sprintf("%.1f GiB", mem/1024/1024)},
		{"kernel", kernel + " (" + unix.ByteSliceToString(u.Machine[:]) + ")"},
		{"cgroups", cgroupLayout()},
		{"load average at the start", loadavg()},
		{"setup", strings.Join(append([]string{"the driver's environment without HERMES_* variables"}, b.notes...), "; ")},
	}
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// cgroupLayout says which hierarchies are mounted: it decides hermes-init's
// cgroup mode, and so part of its cost.
func cgroupLayout() string {
	var v1 []string
	v2 := ""
	for key, point := range cgroupMounts() {
		if key == "0" {
			v2 = point
		} else if !strings.HasPrefix(key, "name=") {
			v1 = append(v1, key)
		}
	}
	switch {
	case v2 == "/sys/fs/cgroup":
		return "cgroup v2 at /sys/fs/cgroup"
	case v2 != "" && len(v1) > 0:
		return fmt.Sprintf("hybrid: v1 controllers and cgroup v2 at %s (hermes-init mode hybrid)", v2)
	case len(v1) > 0:
		return "cgroup v1 only"
	}
	return "no cgroup hierarchy"
}

// versions lists the programs measured and the tools that measure them.
func (b *bench) versions() [][2]string {
	out := [][2]string{{"hermes-init", b.hermesVersion()}}
	for _, pkg := range []string{"tini", "dumb-init", "catatonit", "s6", "runit", "util-linux", "dash"} {
		out = append(out, [2]string{pkg + " (Debian package)", dpkgVersion(pkg)})
	}
	out = append(out, [2]string{"bench (Go)", runtime.Version()})
	return out
}

func (b *bench) hermesVersion() string {
	v, err := exec.Command(b.hermes, "version").Output()
	s := strings.TrimSpace(string(v))
	if err != nil || s == "" {
		s = "? (`hermes-init version` failed)"
	}
	if info, err := buildinfo.ReadFile(b.hermes); err == nil {
		s += ", built with " + info.GoVersion
	}
	return s
}

func dpkgVersion(pkg string) string {
	v, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil || len(bytes.TrimSpace(v)) == 0 {
		return "not installed"
	}
	return string(bytes.TrimSpace(v))
}

package cgroup

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// mount is one cgroup or cgroup2 line of /proc/self/mountinfo.
type mount struct {
	point    string   // where it is mounted
	dir      string   // point as Setup opens it: under Options.FSRoot in tests
	root     string   // which cgroup of the hierarchy appears at point
	fstype   string   // "cgroup2" or "cgroup"
	readOnly bool     // mounted ro (per-mount option)
	options  []string // super options: the v1 controllers, name=...
}

// readMounts returns the cgroup mounts of the calling process's namespace.
// Their directories are looked up under fsRoot ("" for the real root).
func readMounts(file, fsRoot string) ([]mount, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 6 || len(fields) < sep+3 {
			continue
		}
		fstype := fields[sep+1]
		if fstype != "cgroup" && fstype != "cgroup2" {
			continue
		}
		m := mount{
			point:   unescape(fields[4]),
			root:    unescape(fields[3]),
			fstype:  fstype,
			options: strings.Split(fields[sep+3], ","),
		}
		m.dir = underRoot(fsRoot, m.point)
		for _, o := range strings.Split(fields[5], ",") {
			if o == "ro" {
				m.readOnly = true
			}
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// unescape undoes mountinfo's octal escapes (\040 for a space, and so on).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (m mount) has(controller string) bool {
	for _, o := range m.options {
		if o == controller {
			return true
		}
	}
	return false
}

// dirFor maps a cgroup path from /proc/self/cgroup to a directory under this
// mount, or reports false when the cgroup is not visible through it (a mount
// of another part of the hierarchy, or one whose root lies outside our cgroup
// namespace, which mountinfo shows as "/..").
func (m mount) dirFor(cgPath string) (string, bool) {
	if strings.HasPrefix(m.root, "/..") {
		return "", false
	}
	if m.root == "/" {
		return path.Join(m.dir, cgPath), true
	}
	if cgPath != m.root && !strings.HasPrefix(cgPath, m.root+"/") {
		return "", false
	}
	return path.Join(m.dir, strings.TrimPrefix(cgPath, m.root)), true
}

// underRoot returns the absolute path p as seen under fsRoot: p itself when
// fsRoot is "" (production), fsRoot+p in a test's fixture tree.
func underRoot(fsRoot, p string) string {
	if fsRoot == "" {
		return p
	}
	return filepath.Join(fsRoot, p)
}

// selfCgroups parses /proc/self/cgroup: the v2 path ("0::") and the v1 path of
// each controller or named hierarchy.
func selfCgroups(file string) (v2 string, hasV2 bool, v1 map[string]string, err error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", false, nil, fmt.Errorf("read own cgroup: %w", err)
	}
	v1 = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2, hasV2 = parts[2], true
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			v1[c] = parts[2]
		}
	}
	return v2, hasV2, v1, nil
}

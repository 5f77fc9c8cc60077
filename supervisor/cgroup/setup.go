package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Mode is the rung of the cgroup ladder hermes-init runs on.
type Mode int

// The rungs, best first in the ladder order of the package documentation.
const (
	ModeNone Mode = iota
	ModeV1
	ModeHybrid
	ModeV2
)

func (m Mode) String() string {
	switch m {
	case ModeV2:
		return "v2"
	case ModeHybrid:
		return "hybrid"
	case ModeV1:
		return "v1"
	}
	return "none"
}

// ParseMode reads a --cgroup value: "auto" (or "") lets Setup choose.
func ParseMode(s string) (mode Mode, auto bool, err error) {
	switch s {
	case "", "auto":
		return ModeNone, true, nil
	case "v2", "hybrid":
		return ModeV2, false, nil
	case "v1":
		return ModeV1, false, nil
	case "none":
		return ModeNone, false, nil
	}
	return ModeNone, false, fmt.Errorf("unknown cgroup mode %q (want auto, v2, v1 or none)", s)
}

// Options tells Setup what it may do.
type Options struct {
	// Mode and Auto come from ParseMode: with Auto false only that rung is tried.
	Mode Mode
	Auto bool
	// Root is --cgroup-root: a cgroup path (relative to the hierarchy's mount,
	// e.g. /hermes) under which services are created instead of the default.
	Root string
	// PID1 is true when hermes-init is PID 1 of its namespace.
	PID1 bool
	// Mount lets a PID 1 in a private cgroup namespace make read-only cgroup
	// mounts writable and mount a missing v2 hierarchy (needs CAP_SYS_ADMIN).
	Mount bool
	// Controllers are the v2 controllers to delegate to services when offered.
	Controllers []string
	// CgroupFile and MountInfo default to /proc/self/cgroup and
	// /proc/self/mountinfo (tests point them elsewhere).
	CgroupFile, MountInfo string
	// FSRoot, when not empty, stands for / wherever Setup opens a cgroup
	// file system: the mount points MountInfo names, and the
	// /sys/fs/cgroup/unified it may create. Production leaves it empty; the
	// fixture tests point it at a plain directory tree copied from a real
	// machine, where Setup then reads, creates and writes everything it
	// would in /sys/fs/cgroup, without root.
	FSRoot string
	// Warnf receives problems that do not stop Setup (may be nil).
	Warnf func(format string, args ...any)

	// mount is mount(2) for prepareMounts; nil means unix.Mount. The fixture
	// tests answer as the kernel would (EPERM without CAP_SYS_ADMIN, or
	// rewrite their mountinfo), since a plain directory cannot be mounted
	// by a non-root test.
	mount func(source, target, fstype string, flags uintptr, data string) error
}

// Tree is the subtree hermes-init owns and creates service groups in.
type Tree struct {
	mode    Mode
	reason  string
	v2      string                            // parent directory of the service cgroups (v2 or hybrid)
	v1      map[string]string                 // v1 hierarchy ("pids", "freezer", "memory") -> parent directory
	enabled []string                          // v2 controllers delegated to services
	created []string                          // directories Setup made, removed by Close (deepest last)
	lazyV1  map[string]func() (string, error) // ModeHybrid: v1 parents made on first need
	warnf   func(string, ...any)
	self    int
	locks   []int           // fds holding this instance's locks (stale.go)
	swept   map[string]bool // parents already swept of stale directories
}

// Mode reports the rung in use.
func (t *Tree) Mode() Mode { return t.mode }

// Reason says why this rung was chosen, for the one info line at start.
func (t *Tree) Reason() string { return t.reason }

// Controllers lists the v2 controllers services get (v1 limits are reported by
// Limits support on the group).
func (t *Tree) Controllers() []string { return t.enabled }

// Setup detects the ladder rung and prepares the subtree. It never fails: when
// nothing writable is found it returns a ModeNone tree whose reason says what
// was missing.
func Setup(o Options) *Tree {
	if o.CgroupFile == "" {
		o.CgroupFile = "/proc/self/cgroup"
	}
	if o.MountInfo == "" {
		o.MountInfo = "/proc/self/mountinfo"
	}
	t := &Tree{warnf: o.Warnf, v1: map[string]string{}, self: os.Getpid()}
	if t.warnf == nil {
		t.warnf = func(string, ...any) {}
	}
	if !o.Auto && o.Mode == ModeNone {
		t.reason = "cgroups disabled by configuration"
		return t
	}
	if o.mount == nil {
		o.mount = unix.Mount
	}
	mounts, err := readMounts(o.MountInfo, o.FSRoot)
	if err != nil {
		t.reason = err.Error()
		return t
	}
	var prepared string
	if o.Mount {
		did, err := prepareMounts(o, mounts)
		if err != nil {
			t.warnf("cgroup_mount: %v", err)
		}
		if did != "" {
			prepared = " (" + did + ")"
			if mounts, err = readMounts(o.MountInfo, o.FSRoot); err != nil {
				t.reason = err.Error()
				return t
			}
		}
	}
	defer func() { t.reason += prepared }()
	v2path, hasV2, v1paths, err := selfCgroups(o.CgroupFile)
	if err != nil {
		t.reason = err.Error()
		return t
	}
	var why []string
	if o.Auto || o.Mode == ModeV2 {
		if !hasV2 {
			why = append(why, "no cgroup v2 membership in "+o.CgroupFile)
		} else if r, err := t.setupV2(o, mounts, v2path); err != nil {
			why = append(why, err.Error())
		} else {
			t.reason = r
			if t.mode == ModeHybrid {
				t.setupV1(o, mounts, v1paths, []string{"memory", "pids"})
			}
			return t
		}
	}
	if o.Auto || o.Mode == ModeV1 {
		t.setupV1(o, mounts, v1paths, []string{"pids", "freezer", "memory"})
		if t.v1["pids"] != "" || t.v1["freezer"] != "" {
			t.mode = ModeV1
			t.reason = "cgroup v1: " + t.describeV1()
			if len(why) > 0 {
				t.reason += " (" + strings.Join(why, "; ") + ")"
			}
			return t
		}
		t.v1 = map[string]string{}
		why = append(why, "no writable cgroup v1 pids or freezer hierarchy")
	}
	t.reason = strings.Join(why, "; ")
	return t
}

// setupV2 finds a usable cgroup2 mount and prepares the service parent.
func (t *Tree) setupV2(o Options, mounts []mount, cgPath string) (string, error) {
	var m *mount
	for i := range mounts {
		if mounts[i].fstype != "cgroup2" {
			continue
		}
		// Prefer the unified mount at /sys/fs/cgroup over a hybrid one.
		if m == nil || mounts[i].point == "/sys/fs/cgroup" {
			m = &mounts[i]
		}
	}
	if m == nil {
		return "", errors.New("no cgroup2 mount")
	}
	own, ok := m.dirFor(cgPath)
	if !ok {
		return "", fmt.Errorf("cgroup2 mount at %s does not show our cgroup %s (mount root %s; the host hierarchy bind-mounted into a container?)", m.point, cgPath, m.root)
	}
	if !listsPid(filepath.Join(own, "cgroup.procs"), t.self) {
		return "", fmt.Errorf("cgroup2 mount at %s: our pid is not in %s (foreign hierarchy)", m.point, own)
	}
	if m.readOnly {
		return "", fmt.Errorf("cgroup2 mount at %s is read-only", m.point)
	}
	if err := unix.Access(own, unix.W_OK); err != nil {
		return "", fmt.Errorf("cgroup2 %s is not writable: %w", own, err)
	}
	// The rung is taken only once its parent directory exists: a failure
	// below leaves Setup to try v1 and report ModeNone, not v2 without a tree.
	mode := ModeV2
	if m.point != "/sys/fs/cgroup" {
		mode = ModeHybrid
	}
	var where string
	switch {
	case o.Root != "":
		dir, err := t.ensureDir(m.dir, o.Root)
		if err != nil {
			return "", err
		}
		t.v2, where = dir, "under --cgroup-root "+o.Root
	case cgPath == "/" && o.PID1 && exists(filepath.Join(own, "cgroup.events")):
		// The root of a cgroup namespace, not of the whole hierarchy: the real
		// root has no cgroup.events (CFTYPE_NOT_ON_ROOT), and a PID 1 there
		// (unshare -p on a host) must not move the host's processes.
		t.v2, where = own, "at the root of its cgroup namespace"
		t.evacuate(own, o.Controllers)
	default:
		dir, err := t.mkdirUnique(filepath.Join(own, "hermes-init."+strconv.Itoa(t.self)))
		if err != nil {
			return "", err
		}
		t.v2, where = dir, "in its own cgroup "+cgPath
		t.delegate(dir, o.Controllers)
	}
	t.mode = mode
	ctl := "no controllers"
	if len(t.enabled) > 0 {
		ctl = "controllers " + strings.Join(t.enabled, ",")
	}
	return fmt.Sprintf("cgroup %s writable at %s, services %s (%s, %s)", t.mode, m.point, where, t.v2, ctl), nil
}

// evacuate moves every process of the namespace root into <root>/init and
// delegates the wanted controllers, retrying while new processes (docker exec)
// appear in the root: the kernel refuses to enable domain controllers in a
// cgroup that has processes (EBUSY), the race moby's hack/dind loops on.
func (t *Tree) evacuate(root string, want []string) {
	offered := t.offered(root, want)
	if len(offered) == 0 {
		return // nothing to delegate: no reason to move anybody
	}
	initDir := filepath.Join(root, "init")
	if err := os.Mkdir(initDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		t.warnf("cannot create %s, services get no controllers: %v", initDir, err)
		return
	}
	pending := offered
	for attempt := 0; attempt < 50 && len(pending) > 0; attempt++ {
		if b, err := os.ReadFile(filepath.Join(root, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				// ESRCH (gone) and EINVAL (exiting) are fine: keep going.
				_ = writeValue(filepath.Join(initDir, "cgroup.procs"), f)
			}
		}
		var busy []string
		for _, c := range pending {
			err := writeValue(filepath.Join(root, "cgroup.subtree_control"), "+"+c)
			switch {
			case err == nil:
				t.enabled = append(t.enabled, c)
			case errors.Is(err, unix.EBUSY):
				busy = append(busy, c)
			default:
				// Some kernels say EOPNOTSUPP for a controller at a populated
				// namespace root (opencontainers/runc#2356): go on without it.
				t.warnf("cannot delegate the %s controller at %s: %v", c, root, err)
			}
		}
		pending = busy
		if len(pending) > 0 {
			time.Sleep(time.Duration(attempt+1) * time.Millisecond)
		}
	}
	if len(pending) > 0 {
		t.warnf("cannot delegate %s at %s: processes keep joining the root", strings.Join(pending, ","), root)
	}
}

// delegate enables the wanted controllers for the children of dir, a cgroup
// hermes-init created and that holds no process.
func (t *Tree) delegate(dir string, want []string) {
	for _, c := range t.offered(dir, want) {
		if err := writeValue(filepath.Join(dir, "cgroup.subtree_control"), "+"+c); err != nil {
			t.warnf("cannot delegate the %s controller at %s: %v", c, dir, err)
			continue
		}
		t.enabled = append(t.enabled, c)
	}
}

// offered returns the wanted controllers that dir's cgroup.controllers lists.
func (t *Tree) offered(dir string, want []string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return nil
	}
	have := strings.Fields(string(b))
	var out []string
	for _, w := range want {
		for _, h := range have {
			if w == h {
				out = append(out, w)
			}
		}
	}
	return out
}

// setupV1 prepares a parent directory in each writable v1 hierarchy asked for.
// In ModeHybrid the v1 hierarchies only serve limits, so their directories are
// made when a service first needs one (v1Parent): a run without limits leaves
// the host's v1 trees untouched.
func (t *Tree) setupV1(o Options, mounts []mount, paths map[string]string, hierarchies []string) {
	t.lazyV1 = map[string]func() (string, error){}
	for _, h := range hierarchies {
		cgPath, ok := paths[h]
		if !ok {
			continue
		}
		for _, m := range mounts {
			if m.fstype != "cgroup" || !m.has(h) || m.readOnly {
				continue
			}
			own, ok := m.dirFor(cgPath)
			if !ok || unix.Access(own, unix.W_OK) != nil {
				continue
			}
			point := m.dir
			parent := func() (string, error) {
				switch {
				case o.Root != "":
					return t.ensureDir(point, o.Root)
				case cgPath == "/" && o.PID1 && exists(filepath.Join(own, "notify_on_release")) && !exists(filepath.Join(own, "release_agent")):
					return own, nil // root of a cgroup namespace (release_agent exists only at the real root)
				}
				return t.mkdirUnique(filepath.Join(own, "hermes-init."+strconv.Itoa(t.self)))
			}
			if t.mode == ModeHybrid {
				t.lazyV1[h] = parent
				break
			}
			dir, err := parent()
			if err != nil {
				t.warnf("cgroup v1 %s hierarchy unusable: %v", h, err)
				break
			}
			t.v1[h] = dir
			break
		}
	}
}

// v1Parent returns the parent directory of services in v1 hierarchy h,
// making it on first use in ModeHybrid; "" when h is not available.
func (t *Tree) v1Parent(h string) string {
	if d := t.v1[h]; d != "" {
		return d
	}
	create, ok := t.lazyV1[h]
	if !ok {
		return ""
	}
	delete(t.lazyV1, h) // one attempt: a failure is reported once
	dir, err := create()
	if err != nil {
		t.warnf("cgroup v1 %s hierarchy unusable: %v", h, err)
		return ""
	}
	t.v1[h] = dir
	return dir
}

func (t *Tree) describeV1() string {
	var parts []string
	for _, h := range []string{"pids", "freezer", "memory"} {
		if d := t.v1[h]; d != "" {
			parts = append(parts, h+"="+d)
		}
	}
	return strings.Join(parts, " ")
}

// ensureDir creates mountpoint+rel and any missing parents, remembering each
// directory it made so that Close removes exactly those.
func (t *Tree) ensureDir(mountpoint, rel string) (string, error) {
	clean := path.Clean("/" + rel)
	if strings.Contains(rel, "..") || clean == "/" {
		return "", fmt.Errorf("--cgroup-root %q: want a cgroup path such as /hermes, without \"..\"", rel)
	}
	dir := mountpoint
	for _, part := range strings.Split(strings.TrimPrefix(clean, "/"), "/") {
		if part == "" {
			continue
		}
		dir = filepath.Join(dir, part)
		if err := t.mkdir(dir); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// mkdirUnique creates base, or base.1, base.2, ... when another hermes-init
// (a PID 1 of another PID namespace has the same pid) already uses the name:
// a subtree hermes-init did not create is never shared; only those of dead
// instances, empty, are removed first (stale.go). The directory is locked
// for this instance's life.
func (t *Tree) mkdirUnique(base string) (string, error) {
	t.sweepStale(filepath.Dir(base))
	dir := base
	for i := 1; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			t.created = append(t.created, dir)
			t.lockDir(dir)
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		dir = base + "." + strconv.Itoa(i)
	}
}

func (t *Tree) mkdir(dir string) error {
	err := os.Mkdir(dir, 0o755)
	switch {
	case err == nil:
		t.created = append(t.created, dir)
		return nil
	case errors.Is(err, os.ErrExist):
		return nil
	}
	return fmt.Errorf("create cgroup %s: %w", dir, err)
}

// Close removes the directories Setup created, deepest first. Service groups
// must have been removed before.
func (t *Tree) Close() error {
	var errs []error
	for i := len(t.created) - 1; i >= 0; i-- {
		if err := rmdirRetry(t.created[i]); err != nil {
			errs = append(errs, err)
		}
	}
	t.created = nil
	t.unlock()
	return errors.Join(errs...)
}

package stage

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/stage/execline"
)

// Kind is what an s6-rc service is (its type file).
type Kind int

// The kinds of s6-rc-compile's source format, and the stages' own.
const (
	KindBundle  Kind = iota // a name for a set of services
	KindOneshot             // up and down command lines, run once
	KindLongrun             // a supervised daemon
	// KindStage is one of s6-overlay's own services, which hermes-init
	// carries out itself: fix-attrs, legacy-cont-init and legacy-services.
	KindStage
)

func (k Kind) String() string {
	switch k {
	case KindBundle:
		return "bundle"
	case KindOneshot:
		return "oneshot"
	case KindLongrun:
		return "longrun"
	}
	return "stage"
}

// The names of s6-overlay's own services (its etc/s6-rc/sources), which an
// image's definitions depend on: "base" is "after /etc/cont-init.d", and
// "legacy-services" "after /etc/services.d".
const (
	FixAttrs        = "fix-attrs"
	LegacyContInit  = "legacy-cont-init"
	LegacyServices  = "legacy-services"
	BundleBase      = "base"
	BundleUser      = "user"
	BundleUser2     = "user2"
	BundleTop       = "top"
	reservedPrefix1 = "s6rc-"
	reservedPrefix2 = "s6-rc-"
)

// Definition is one service of the s6-rc database: an image's source
// definition directory, or one of s6-overlay's own.
type Definition struct {
	Name string
	Dir  string // the source definition directory; "" for the stages' own
	Kind Kind
	// Deps are the direct dependencies as written (services or bundles);
	// Contents a bundle's members.
	Deps, Contents []string
	// TimeoutUp and TimeoutDown bound a transition (0: none).
	TimeoutUp, TimeoutDown time.Duration

	// Up and Down are a oneshot's command lines, lexed as execlineb does
	// (nil: nothing to run).
	Up, Down []string

	// A longrun's files, as s6-supervise reads them.
	NotificationFD int            // readiness notification fd; 0: none
	TimeoutKill    time.Duration  // SIGKILL that long after the down signal; 0: never
	TimeoutFinish  time.Duration  // bound on ./finish; 0: s6's default
	DownSignal     syscall.Signal // the down signal; 0: SIGTERM
	HasFinish      bool
	ProducerFor    string   // the consumer its stdout goes to
	ConsumerFor    []string // the producers whose stdout is its stdin
	PipelineName   string   // the bundle named after the pipeline it ends
}

// DB is the service database of an image: its s6-rc source definitions, its
// user and user2 bundles, and s6-overlay's own services, as rc.init compiles
// them with s6-rc-compile.
type DB struct {
	Defs map[string]*Definition
	// Warnings are what s6-rc-compile or rc.init would warn about.
	Warnings []string
}

// ReadDB reads the definitions of srcDir (s6-overlay's
// /etc/s6-overlay/s6-rc.d) and the user and user2 bundles of bundleDir
// (/etc/s6-overlay/user-bundles.d), adds s6-overlay's own services and
// checks the whole as s6-rc-compile does: every name defined once, every
// dependency and bundle member defined, no cycle, pipelines declared both
// ways. Missing directories are empty. An error names the file at fault.
func ReadDB(srcDir, bundleDir string) (*DB, error) {
	db := &DB{Defs: map[string]*Definition{}}
	deprecated := false
	if fi, err := os.Stat(filepath.Join(srcDir, BundleUser)); err == nil && fi.IsDir() {
		// rc.init: bundles defined in s6-rc.d itself win, with a warning.
		deprecated = true
		db.Warnings = append(db.Warnings, fmt.Sprintf("defining user bundles in %s is deprecated, please define them in %s instead", srcDir, bundleDir))
	}
	if err := db.readSources(srcDir, deprecated); err != nil {
		return nil, err
	}
	if !deprecated {
		for _, b := range []string{BundleUser, BundleUser2} {
			if _, dup := db.Defs[b]; dup {
				return nil, fmt.Errorf("%s: the name %q is s6-overlay's own bundle", filepath.Join(srcDir, b), b)
			}
			d, err := readBundleDir(bundleDir, b)
			if err != nil {
				return nil, err
			}
			db.Defs[b] = d
		}
	}
	for _, b := range []string{BundleUser, BundleUser2} {
		if db.Defs[b] == nil {
			db.Defs[b] = &Definition{Name: b, Kind: KindBundle}
		}
	}
	for _, d := range ownServices() {
		if _, dup := db.Defs[d.Name]; dup {
			return nil, fmt.Errorf("%s: the name %q is s6-overlay's own service", filepath.Join(srcDir, d.Name), d.Name)
		}
		db.Defs[d.Name] = d
	}
	if err := db.pipelines(); err != nil {
		return nil, err
	}
	return db, db.check()
}

// ownServices are s6-overlay's: fix-attrs, then /etc/cont-init.d (base), the
// user bundle, /etc/services.d (legacy-services), the user2 bundle.
func ownServices() []*Definition {
	return []*Definition{
		{Name: FixAttrs, Kind: KindStage},
		{Name: LegacyContInit, Kind: KindStage, Deps: []string{FixAttrs}},
		{Name: BundleBase, Kind: KindBundle, Contents: []string{FixAttrs, LegacyContInit}},
		{Name: LegacyServices, Kind: KindStage, Deps: []string{BundleBase, BundleUser}},
		{Name: BundleTop, Kind: KindBundle, Contents: []string{BundleBase, LegacyServices, BundleUser, BundleUser2}},
	}
}

func (db *DB) readSources(srcDir string, deprecated bool) error {
	entries, err := os.ReadDir(srcDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", srcDir, err)
	}
	for _, e := range entries {
		name := e.Name()
		dir := filepath.Join(srcDir, name)
		if strings.HasPrefix(name, ".") {
			continue
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue // s6-rc-compile ignores what is not a directory
		}
		if err := checkName(name); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		var d *Definition
		if deprecated && (name == BundleUser || name == BundleUser2) {
			// rc.init writes "bundle" into their type files.
			d, err = readBundleDir(srcDir, name)
		} else {
			d, err = readDefinition(dir, name)
		}
		if err != nil {
			return err
		}
		db.Defs[name] = d
	}
	return nil
}

// checkName applies s6-rc-compile's rules on service names.
func checkName(name string) error {
	switch {
	case strings.ContainsAny(name, "/\n"):
		return fmt.Errorf("invalid service name %q: a slash or a newline", name)
	case strings.HasPrefix(name, reservedPrefix1), strings.HasPrefix(name, reservedPrefix2):
		return fmt.Errorf("invalid service name %q: the prefixes %s and %s are reserved", name, reservedPrefix1, reservedPrefix2)
	}
	return nil
}

func readBundleDir(parent, name string) (*Definition, error) {
	dir := filepath.Join(parent, name)
	d := &Definition{Name: name, Dir: dir, Kind: KindBundle}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	members, err := readNameList(dir, "contents.d", "contents")
	if err != nil {
		return nil, err
	}
	d.Contents = members
	return d, nil
}

// readDefinition reads one source definition directory.
func readDefinition(dir, name string) (*Definition, error) {
	d := &Definition{Name: name, Dir: dir}
	typ, err := readLine(dir, "type")
	if err != nil {
		return nil, err
	}
	switch typ {
	case "bundle":
		d.Kind = KindBundle
		if d.Contents, err = readNameList(dir, "contents.d", "contents"); err != nil {
			return nil, err
		}
		return d, nil
	case "oneshot":
		d.Kind = KindOneshot
	case "longrun":
		d.Kind = KindLongrun
	case "":
		return nil, fmt.Errorf("%s: missing or empty (want oneshot, longrun or bundle)", filepath.Join(dir, "type"))
	default:
		return nil, fmt.Errorf("%s: invalid type %q (want oneshot, longrun or bundle)", filepath.Join(dir, "type"), typ)
	}
	if d.Deps, err = readNameList(dir, "dependencies.d", "dependencies"); err != nil {
		return nil, err
	}
	if d.TimeoutUp, err = readMillisFile(dir, "timeout-up"); err != nil {
		return nil, err
	}
	if d.TimeoutDown, err = readMillisFile(dir, "timeout-down"); err != nil {
		return nil, err
	}
	if d.Kind == KindOneshot {
		return d, d.readOneshot()
	}
	return d, d.readLongrun()
}

func (d *Definition) readOneshot() error {
	var err error
	if d.Up, err = readScript(d.Dir, "up", true); err != nil {
		return err
	}
	d.Down, err = readScript(d.Dir, "down", false)
	return err
}

// readScript lexes a oneshot's up or down file as execlineb would.
func readScript(dir, file string, required bool) ([]string, error) {
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	switch {
	case errors.Is(err, os.ErrNotExist) && !required:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	argv, err := execline.Lex(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return argv, nil
}

func (d *Definition) readLongrun() error {
	dir := d.Dir
	if fi, err := os.Stat(filepath.Join(dir, "run")); err != nil || fi.IsDir() {
		return fmt.Errorf("%s: a longrun needs a run file", filepath.Join(dir, "run"))
	}
	if fi, err := os.Stat(filepath.Join(dir, "finish")); err == nil && !fi.IsDir() {
		d.HasFinish = true
	}
	var err error
	if d.NotificationFD, err = readFD(dir, "notification-fd"); err != nil {
		return err
	}
	if d.TimeoutKill, err = readMillisFile(dir, "timeout-kill"); err != nil {
		return err
	}
	if d.TimeoutFinish, err = readMillisFile(dir, "timeout-finish"); err != nil {
		return err
	}
	if sig, err := readLine(dir, "down-signal"); err != nil {
		return err
	} else if sig != "" {
		n := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(sig), "SIG"))
		if v, err := strconv.Atoi(sig); err == nil && v > 0 && v < 65 {
			n = syscall.Signal(v)
		}
		if n == 0 {
			return fmt.Errorf("%s: unknown signal %q", filepath.Join(dir, "down-signal"), sig)
		}
		d.DownSignal = n
	}
	prod, err := readNameList(dir, "", "producer-for")
	if err != nil {
		return err
	}
	if len(prod) > 1 {
		return fmt.Errorf("%s: should only contain one service name", filepath.Join(dir, "producer-for"))
	}
	if len(prod) == 1 {
		d.ProducerFor = prod[0]
	}
	if d.ConsumerFor, err = readNameList(dir, "", "consumer-for"); err != nil {
		return err
	}
	pn, err := readNameList(dir, "", "pipeline-name")
	if err != nil {
		return err
	}
	if len(pn) > 1 {
		return fmt.Errorf("%s: should only contain one name", filepath.Join(dir, "pipeline-name"))
	}
	if len(pn) == 1 {
		d.PipelineName = pn[0]
	}
	return nil
}

// readNameList reads a list of service names: the entries of listDir (names
// not starting with a dot), else the lines of listFile (leading blanks
// dropped, # comments), as s6-rc-compile does. Neither: empty.
func readNameList(dir, listDir, listFile string) ([]string, error) {
	if listDir != "" {
		p := filepath.Join(dir, listDir)
		entries, err := os.ReadDir(p)
		if err == nil {
			var names []string
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), ".") {
					names = append(names, e.Name())
				}
			}
			return names, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
	}
	p := filepath.Join(dir, listFile)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		if !slices.Contains(names, line) {
			names = append(names, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return names, nil
}

// readLine reads a one-line file without its trailing newlines; a missing
// file is "".
func readLine(dir, file string) (string, error) {
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return strings.TrimRight(string(b), "\n"), nil
}

// readMillisFile reads a timeout in milliseconds; missing is 0. An invalid
// number is an error, as in s6-rc-compile.
func readMillisFile(dir, file string) (time.Duration, error) {
	s, err := readLine(dir, file)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s: invalid number of milliseconds %q", filepath.Join(dir, file), s)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func readFD(dir, file string) (int, error) {
	s, err := readLine(dir, file)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 3 || n > 1023 {
		return 0, fmt.Errorf("%s: invalid file descriptor %q (want 3 to 1023)", filepath.Join(dir, file), s)
	}
	return n, nil
}

// pipelines checks producer-for and consumer-for against each other and
// adds the bundles pipeline-name asks for.
func (db *DB) pipelines() error {
	for _, d := range db.sorted() {
		if d.ProducerFor != "" {
			c := db.Defs[d.ProducerFor]
			switch {
			case c == nil:
				return fmt.Errorf("%s: undefined consumer %q", filepath.Join(d.Dir, "producer-for"), d.ProducerFor)
			case c.Kind != KindLongrun:
				return fmt.Errorf("%s: consumer %q is a %s, not a longrun", filepath.Join(d.Dir, "producer-for"), c.Name, c.Kind)
			case !slices.Contains(c.ConsumerFor, d.Name):
				return fmt.Errorf("%s: %q does not declare being the consumer for %q", filepath.Join(d.Dir, "producer-for"), c.Name, d.Name)
			}
		}
		for _, p := range d.ConsumerFor {
			pd := db.Defs[p]
			if pd == nil || pd.Kind != KindLongrun || pd.ProducerFor != d.Name {
				return fmt.Errorf("%s: %q does not declare %q as its consumer (producer-for)", filepath.Join(d.Dir, "consumer-for"), p, d.Name)
			}
		}
	}
	for _, d := range db.sorted() {
		if d.PipelineName == "" {
			continue
		}
		if d.ProducerFor != "" || len(d.ConsumerFor) == 0 {
			db.Warnings = append(db.Warnings, fmt.Sprintf("%s contains a pipeline-name file despite not being a last consumer; this file will be ignored", d.Dir))
			continue
		}
		if _, dup := db.Defs[d.PipelineName]; dup {
			return fmt.Errorf("%s: pipeline name %q is already a service", filepath.Join(d.Dir, "pipeline-name"), d.PipelineName)
		}
		db.Defs[d.PipelineName] = &Definition{Name: d.PipelineName, Dir: d.Dir, Kind: KindBundle, Contents: db.pipelineOf(d)}
	}
	return nil
}

// pipelineOf lists the services whose output ends in last.
func (db *DB) pipelineOf(last *Definition) []string {
	out := []string{last.Name}
	for i := 0; i < len(out); i++ {
		out = append(out, db.Defs[out[i]].ConsumerFor...)
	}
	sort.Strings(out)
	return out
}

// check verifies that every name used is defined and that neither bundles
// nor dependencies form a cycle.
func (db *DB) check() error {
	for _, d := range db.sorted() {
		for _, list := range [][]string{d.Deps, d.Contents} {
			for _, n := range list {
				if db.Defs[n] == nil {
					what, file := "dependency", "dependencies.d"
					if d.Kind == KindBundle {
						what, file = "bundle member", "contents.d"
					}
					return fmt.Errorf("%s: undefined %s %q", filepath.Join(d.Dir, file), what, n)
				}
			}
		}
	}
	for _, d := range db.sorted() {
		if _, err := db.atoms(d.Name, nil); err != nil {
			return err
		}
	}
	_, err := db.Order(BundleTop)
	return err
}

// atoms resolves a name to the atomic services it stands for.
func (db *DB) atoms(name string, path []string) ([]string, error) {
	d := db.Defs[name]
	if d == nil {
		return nil, fmt.Errorf("undefined service %q", name)
	}
	if d.Kind != KindBundle {
		return []string{name}, nil
	}
	if slices.Contains(path, name) {
		return nil, fmt.Errorf("bundle cycle: %s", strings.Join(append(path, name), " -> "))
	}
	var out []string
	for _, m := range d.Contents {
		a, err := db.atoms(m, append(path, name))
		if err != nil {
			return nil, err
		}
		for _, x := range a {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// DirectDeps are the atomic services name depends on directly (bundles in
// its dependencies resolved).
func (db *DB) DirectDeps(name string) []string {
	var out []string
	for _, dep := range db.Defs[name].Deps {
		a, _ := db.atoms(dep, nil) // check() resolved them all
		for _, x := range a {
			if x != name && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Order returns the atomic services a change to name brings up, with their
// dependencies, in an order where every service comes after its
// dependencies (ties by name, so the order is stable). A dependency cycle is
// an error that names it.
func (db *DB) Order(name string) ([]string, error) {
	roots, err := db.atoms(name, nil)
	if err != nil {
		return nil, err
	}
	sort.Strings(roots)
	var out []string
	mark := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		switch mark[n] {
		case 2:
			return nil
		case 1:
			i := slices.Index(path, n)
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path[i:], n), " -> "))
		}
		mark[n] = 1
		for _, dep := range db.DirectDeps(n) {
			if err := visit(dep, append(path, n)); err != nil {
				return err
			}
		}
		mark[n] = 2
		out = append(out, n)
		return nil
	}
	for _, r := range roots {
		if err := visit(r, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) sorted() []*Definition {
	names := make([]string, 0, len(db.Defs))
	for n := range db.Defs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*Definition, len(names))
	for i, n := range names {
		out[i] = db.Defs[n]
	}
	return out
}

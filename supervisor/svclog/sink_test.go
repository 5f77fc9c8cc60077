package svclog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/sys/unix"
)

// newSink returns a sink logging below a fresh root, and its directory.
func newSink(t *testing.T, f *Fan, name string, o Options) (*Sink, string) {
	t.Helper()
	if o.Root == "" {
		o.Root = t.TempDir()
	}
	dir := filepath.Join(o.Root, "logs/gateways", name)
	o.Dir, o.Prefix, o.Stdout = dir, "["+name+"] ", true
	if o.UID == 0 && o.GID == 0 {
		o.UID, o.GID = -1, -1
	}
	s, err := f.NewSink(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func pipe(t *testing.T, s *Sink) *os.File {
	t.Helper()
	w, err := s.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestPrefixAndOrder(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	out := &syncBuffer{}
	f := NewFan(out, 0)
	s, dir := newSink(t, f, "gateway-default", Options{})

	for range 2 { // a restart: the sink outlives the process
		wait(t, shell(t, pipe(t, s), `for i in $(seq 1 1000); do echo line $i; done; echo oops >&2`), 10*time.Second)
	}
	is.NoErr(s.Close())
	f.Close()

	var want []string
	for range 2 {
		for i := 1; i <= 1000; i++ {
			want = append(want, fmt.Sprintf("line %d", i))
		}
		want = append(want, "oops")
	}
	var got []string
	for _, l := range out.lines() {
		rest, ok := strings.CutPrefix(l, "[gateway-default] ")
		is.True(ok) // every stdout line has the prefix
		got = append(got, rest)
	}
	is.Equal(got, want)                                       // stdout, in order
	is.Equal(readLog(t, filepath.Join(dir, "current")), want) // the file, in order
	is.True(out.writes < len(want)/10)                        // lines go out in batches
	is.Equal(s.Dropped(), uint64(0))
}

func TestConcurrentSinksNeverMix(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	out := &syncBuffer{}
	f := NewFan(out, 1<<20)
	const n = 20000
	var cmds []*os.File
	var sinks []*Sink
	for _, name := range []string{"a", "b", "c"} {
		s, _ := newSink(t, f, name, Options{Queue: 1 << 20})
		sinks = append(sinks, s)
		cmds = append(cmds, pipe(t, s))
	}
	a := helper(t, cmds[0], "pieces a "+strconv.Itoa(n))
	b := helper(t, cmds[1], "pieces b "+strconv.Itoa(n))
	c := helper(t, cmds[2], "flood c "+strconv.Itoa(n))
	wait(t, a, 30*time.Second)
	wait(t, b, 30*time.Second)
	wait(t, c, 30*time.Second)
	for _, s := range sinks {
		is.NoErr(s.Close())
	}
	f.Close()

	line := regexp.MustCompile(`^\[([abc])\] ([abc])-line-(\d+) ([xy]*)$`)
	next, seen := map[string]int{}, map[string]int{}
	for _, l := range out.lines() {
		m := line.FindStringSubmatch(l)
		if m == nil || m[1] != m[2] {
			t.Fatalf("mixed line: %q", l)
		}
		i, _ := strconv.Atoi(m[3])
		is.True(i >= next[m[1]]) // each service's lines in order
		seen[m[1]]++
		want := i % 50
		if m[1] == "c" {
			want = i % 97
		}
		is.Equal(len(m[4]), want) // the line is whole
		next[m[1]] = i + 1
	}
	for i, s := range sinks {
		name := string("abc"[i])
		is.Equal(seen[name]+int(s.droppedStdout.Load()), n) // every line is there or counted as dropped
		is.True(seen[name] > n/2)                           // and most are there
	}
}

func TestRotation(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	root := t.TempDir()
	dir := filepath.Join(root, "logs/gateways/r")
	is.NoErr(os.MkdirAll(dir, 0o755))
	// An s6-log archive from an older image is the oldest and goes first.
	is.NoErr(os.WriteFile(filepath.Join(dir, "@400000000000000000000000.u"), []byte("old\n"), 0o644))
	f := NewFan(&syncBuffer{}, 0)
	before := time.Now()
	s, _ := newSink(t, f, "r", Options{Root: root, MaxBytes: 1000, Keep: 3})
	// Lines of 40 bytes + 28 of timestamp: 14 fit in 1000 bytes.
	wait(t, shell(t, pipe(t, s), `for i in $(seq 100 299); do printf 'line %s %032d\n' $i 0; done`), 10*time.Second)
	is.NoErr(s.Close())
	f.Close()

	names, err := filepath.Glob(filepath.Join(dir, "@*"))
	is.NoErr(err)
	is.Equal(len(names), 3) // Keep archives
	var all []string
	for _, name := range names {
		base := filepath.Base(name)
		is.True(regexp.MustCompile(`^@4000000[0-9a-f]{17}\.s$`).MatchString(base)) // @<tai64n>.s
		sec, err := strconv.ParseUint(base[1:17], 16, 64)
		is.NoErr(err)
		at := time.Unix(int64(sec-1<<62), 0)
		is.True(!at.Before(before.Truncate(time.Second)) && !at.After(time.Now())) // labelled with the rotation time
		st, err := os.Stat(name)
		is.NoErr(err)
		is.True(st.Size() <= 1000 && st.Size() > 1000-68) // full, but not past MaxBytes
		all = append(all, readLog(t, name)...)
	}
	cur := readLog(t, filepath.Join(dir, "current"))
	all = append(all, cur...)
	is.True(len(cur) > 0)
	// What is left is the tail of the output, in order, with no gap.
	first, _ := strconv.Atoi(strings.Fields(all[0])[1])
	for i, l := range all {
		is.Equal(l, fmt.Sprintf("line %d %032d", first+i, 0))
	}
	is.Equal(first+len(all), 300)
	_, err = os.Stat(filepath.Join(dir, "lock"))
	is.NoErr(err) // s6-log's layout: current, archives, lock
}

func TestLongLinesAndPartialLastLine(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	out := &syncBuffer{}
	f := NewFan(out, 0)
	s, dir := newSink(t, f, "long", Options{MaxLine: 4096})
	// 10000 bytes without a newline, then a short line, then an unfinished one.
	script := `head -c 10000 /dev/zero | tr '\0' x; printf '\nshort\nunfinished'`
	wait(t, shell(t, pipe(t, s), script), 10*time.Second)
	is.NoErr(s.Close())
	f.Close()
	x := strings.Repeat("x", 4096)
	want := []string{x, x, x[:10000-2*4096], "short", "unfinished"}
	var got []string
	for _, l := range out.lines() {
		got = append(got, strings.TrimPrefix(l, "[long] "))
	}
	is.Equal(got, want)
	is.Equal(readLog(t, filepath.Join(dir, "current")), want)
}

func TestBlockedStdoutStallsNobody(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	stdout := newGate()
	defer stdout.open()
	msgs := &logs{}
	f := newFan(stdout, 1000, 20*time.Millisecond)
	flood, _ := newSink(t, f, "flood", Options{Logf: msgs.logf})
	quiet, quietDir := newSink(t, f, "quiet", Options{Logf: msgs.logf})

	// The flood fills the Fan's queue while stdout takes nothing...
	wait(t, helper(t, pipe(t, flood), "flood flood 200000"), 30*time.Second)
	<-stdout.blocked
	// ...and still another service's file gets every line.
	wait(t, shell(t, pipe(t, quiet), `for i in $(seq 1 1000); do echo quiet $i; done`), 10*time.Second)
	eventually(t, 10*time.Second, "quiet's file complete", func() bool {
		data, _ := os.ReadFile(filepath.Join(quietDir, "current"))
		return strings.Count(string(data), "\n") == 1000
	})
	eventually(t, 10*time.Second, "a drop report while stdout is blocked", func() bool {
		return regexp.MustCompile(`(?m)^\[flood\] dropped \d+ lines: output faster than stdout could take it$`).
			MatchString(msgs.String())
	})
	is.True(flood.Dropped() > 0)
	is.True(f.Dropped() >= flood.droppedStdout.Load())
	is.True(quiet.Dropped() > 0) // stdout was full for quiet too

	stdout.open()
	is.NoErr(flood.Close())
	is.NoErr(quiet.Close())
	f.Close()
	is.Equal(f.Dropped(), flood.droppedStdout.Load()+quiet.droppedStdout.Load())
	// Every drop was reported, per destination, and the totals on Close.
	reported := map[string]uint64{}
	for _, m := range strings.Split(msgs.String(), "\n") {
		var name, dest string
		var n uint64
		if _, err := fmt.Sscanf(m, "[%s dropped %d lines: output faster than %s could", &name, &n, &dest); err == nil {
			reported[name+dest] += n
		}
	}
	is.Equal(reported["flood]stdout"], flood.droppedStdout.Load())
	is.Equal(reported["flood]file"], flood.droppedFile.Load())
	is.Equal(reported["quiet]stdout"], quiet.droppedStdout.Load())
	is.True(strings.Contains(msgs.String(), fmt.Sprintf("[flood] log closed: %d lines dropped in all", flood.Dropped())))
	// What did reach stdout is whole lines.
	for _, l := range stdout.lines() {
		is.True(regexp.MustCompile(`^\[(flood\] flood-line-\d+ x*|quiet\] quiet \d+)$`).MatchString(l))
	}
}

func TestCloseDoesNotWaitForLeftovers(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	out := &syncBuffer{}
	f := NewFan(out, 0)
	s, _ := newSink(t, f, "left", Options{})
	// The service exits; a tool it started keeps the pipe open.
	wait(t, shell(t, pipe(t, s), `echo before; sleep 60 & echo "tool $!"`), 10*time.Second)
	var tool int
	eventually(t, 5*time.Second, "the tool's pid", func() bool {
		_, err := fmt.Sscanf(strings.TrimPrefix(out.String(), "[left] before\n"), "[left] tool %d", &tool)
		return err == nil
	})
	defer func() {
		if p, err := os.FindProcess(tool); err == nil {
			p.Kill()
			p.Wait()
		}
	}()
	start := time.Now()
	is.NoErr(s.Close())
	is.True(time.Since(start) < readerWait+time.Second) // bounded, not the tool's 60 s
	_, err := s.Pipe()
	is.True(errors.Is(err, ErrClosed))
	f.Close()
	_, err = f.NewSink(Options{Stdout: true})
	is.True(errors.Is(err, ErrClosed))
}

func TestBadOptions(t *testing.T) {
	is := is.New(t)
	f := NewFan(&syncBuffer{}, 0)
	defer f.Close()
	root := t.TempDir()
	for _, o := range []Options{
		{Dir: "logs/x", Root: root},                            // relative
		{Dir: filepath.Join(root, "x")},                        // no root
		{Dir: filepath.Dir(root), Root: root},                  // above the root
		{Dir: filepath.Join(root, "../elsewhere"), Root: root}, // outside
	} {
		_, err := f.NewSink(o)
		is.True(err != nil) // refused
	}
}

func TestFanCloseIsBounded(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	stdout := newGate()
	f := NewFan(stdout, 0)
	s, _ := newSink(t, f, "x", Options{})
	wait(t, shell(t, pipe(t, s), "echo one; echo two"), 10*time.Second)
	is.NoErr(s.Close())
	<-stdout.blocked
	start := time.Now()
	f.Close() // stdout never takes the lines
	is.True(time.Since(start) < fanCloseWait+time.Second)
	stdout.open() // and then the writer goroutine ends (noLeaks)
}

func TestPipeBlocksForTheService(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	f := NewFan(&syncBuffer{}, 0)
	defer f.Close()
	s, _ := newSink(t, f, "x", Options{})
	w := pipe(t, s)
	flags, err := unix.FcntlInt(w.Fd(), unix.F_GETFL, 0)
	is.NoErr(err)
	is.Equal(flags&unix.O_NONBLOCK, 0) // a full pipe makes the service wait, not fail with EAGAIN
	w.Close()
	is.NoErr(s.Close())
}

func TestKeepNone(t *testing.T) {
	noLeaks(t)
	is := is.New(t)
	f := NewFan(&syncBuffer{}, 0)
	defer f.Close()
	s, dir := newSink(t, f, "x", Options{MaxBytes: 100, Keep: -1})
	wait(t, shell(t, pipe(t, s), `for i in $(seq 1 20); do echo line $i; done`), 10*time.Second)
	is.NoErr(s.Close())
	names, _ := filepath.Glob(filepath.Join(dir, "@*"))
	is.Equal(len(names), 0)                                             // rotated away
	is.Equal(readLog(t, filepath.Join(dir, "current"))[0][:5], "line ") // current stays
}

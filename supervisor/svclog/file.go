package svclog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

const (
	currentName = "current"
	lockName    = "lock"
)

// retryEvery is how long a sink whose directory failed (disk full,
// permissions) logs to stdout only before it tries the file again. A variable
// so that tests need not wait that long.
var retryEvery = 30 * time.Second

// fileLog is the log directory of one sink: the writer goroutine owns every
// field once run has started.
type fileLog struct {
	dir      *dir
	lock     *os.File // flock'd for as long as we write here
	cur      *os.File // nil while failed
	size     int64    // bytes in current
	needNL   bool     // current ends inside a line (a short write, a crash)
	maxBytes int64
	keep     int
	own      owner
	last     time.Time     // label of the last archive, to keep labels unique
	syncing  chan struct{} // closed when the last syncLater is done

	buf      []byte
	stamp    stamper
	prefix   string // the sink's, for messages
	logf     func(string, ...any)
	failedAt time.Time // zero while writing works
	lost     uint64    // lines not written since failedAt
	done     chan struct{}
}

// openFileLog opens (creating as needed) the sink's log directory, takes its
// lock and opens current for appending.
func openFileLog(o Options, rel string) (*fileLog, error) {
	own := owner{o.UID, o.GID}
	d, err := openDir(o.Root, rel, own)
	if err != nil {
		return nil, err
	}
	l := &fileLog{dir: d, maxBytes: o.MaxBytes, keep: o.Keep, own: own, done: make(chan struct{})}
	if err := l.takeLock(); err != nil {
		d.close()
		return nil, err
	}
	if err := l.open(); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// takeLock keeps a second writer (another sink, an s6-log from an older
// image sharing the volume) out of the directory: two writers would rotate
// each other's files away.
func (l *fileLog) takeLock() error {
	f, err := l.dir.openFile(lockName, unix.O_RDWR, 0o644, l.own)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			return fmt.Errorf("lock %s: held by another logger", f.Name())
		}
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	l.lock = f
	return nil
}

// open opens current for appending and learns its size, and whether its last
// line is unfinished.
func (l *fileLog) open() error {
	f, err := l.dir.openFile(currentName, unix.O_WRONLY|unix.O_APPEND, 0o644, l.own)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.cur, l.size, l.needNL = f, st.Size(), false
	if l.size > 0 {
		var last [1]byte
		if _, err := unix.Pread(int(f.Fd()), last[:], l.size-1); err == nil && last[0] != '\n' {
			l.needNL = true
		}
	}
	return nil
}

// run is the writer goroutine: it writes what the queue brings until the
// queue is closed, gathering what is already queued into one write(2).
func (l *fileLog) run(q *queue) {
	defer close(l.done)
	defer l.close()
	for b := range q.ch {
		l.add(b)
		q.release(b)
	more:
		for len(l.buf) < writeChunk {
			select {
			case b, ok := <-q.ch:
				if !ok {
					break more
				}
				l.add(b)
				q.release(b)
			default:
				break more
			}
		}
		l.flush()
	}
}

// add formats the lines of b into l.buf, rotating current before a line that
// would take it past maxBytes.
func (l *fileLog) add(b batch) {
	if l.cur == nil && !l.retry() {
		l.lost += uint64(b.n)
		return
	}
	var ts [32]byte
	stamp := l.stamp.append(ts[:0], b.t)
	data := b.data
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n') + 1
		n := int64(len(stamp) + i)
		if pending := l.size + int64(len(l.buf)); pending > 0 && pending+n > l.maxBytes {
			if !l.flush() || !l.rotate() {
				l.lost += uint64(bytes.Count(data, []byte{'\n'}))
				return
			}
		}
		l.buf = append(append(l.buf, stamp...), data[:i]...)
		data = data[i:]
	}
}

// flush writes l.buf to current and reports whether that worked.
func (l *fileLog) flush() bool {
	if len(l.buf) == 0 || l.cur == nil {
		l.buf = l.buf[:0]
		return l.cur != nil
	}
	var n int
	var err error
	if l.needNL {
		// Never continue a line cut by a failed write or a crash.
		n, err = l.cur.Write([]byte{'\n'})
		l.size += int64(n)
		l.needNL = n == 0
	}
	if err == nil {
		n, err = l.cur.Write(l.buf)
		l.size += int64(n)
		if n > 0 {
			l.needNL = l.buf[n-1] != '\n'
		}
	}
	if err != nil {
		l.fail(fmt.Errorf("write %s: %w", l.cur.Name(), unwrapPath(err)), bytes.Count(l.buf[n:], []byte{'\n'}))
	} else if !l.failedAt.IsZero() {
		l.logf("%slogging to %s again; %d lines were not written there", l.prefix, l.dir.path, l.lost)
		l.failedAt, l.lost = time.Time{}, 0
	}
	l.buf = l.buf[:0]
	return err == nil
}

// rotate archives current as @<tai64n>.s, starts a new current and deletes
// the oldest archives beyond keep.
func (l *fileLog) rotate() bool {
	name := l.archiveName(time.Now())
	if err := l.dir.rename(currentName, name); err != nil {
		l.fail(err, 0)
		return false
	}
	old := l.cur
	l.cur = nil
	l.syncLater(old)
	if err := l.open(); err != nil {
		l.fail(err, 0)
		return false
	}
	l.prune()
	return true
}

// syncLater fsyncs a new archive and the directory (so that a crash cannot
// lose the archive or the rename) and closes the archive, in the background:
// on a busy disk an fsync takes tens of milliseconds, and a writer waiting
// for it lets its queue fill and drop lines. If the previous one is still
// running, the disk is busy enough: this archive is closed unsynced.
func (l *fileLog) syncLater(old *os.File) {
	if l.syncing != nil {
		select {
		case <-l.syncing:
		default:
			old.Close()
			return
		}
	}
	done := make(chan struct{})
	l.syncing = done
	go func(fd int) {
		defer close(done)
		_ = old.Sync()
		_ = unix.Fsync(fd)
		old.Close()
	}(l.dir.fd)
}

// archiveName returns a fresh archive name for a rotation at t. Labels only
// grow, so that a clock step back cannot make a new archive sort as old.
func (l *fileLog) archiveName(t time.Time) string {
	if !t.After(l.last) {
		t = l.last.Add(time.Nanosecond)
	}
	for l.dir.exists("@" + tai64n(t) + ".s") {
		t = t.Add(time.Nanosecond)
	}
	l.last = t
	return "@" + tai64n(t) + ".s"
}

// prune deletes the oldest archives beyond keep. Names sort as their labels.
func (l *fileLog) prune() {
	names, err := l.dir.names()
	if err != nil {
		l.logf("%sunable to list %s to delete old archives: %v", l.prefix, l.dir.path, err)
		return
	}
	var archives []string
	for _, n := range names {
		if isArchive(n) {
			archives = append(archives, n)
		}
	}
	slices.Sort(archives)
	for _, n := range archives[:max(len(archives)-l.keep, 0)] {
		if err := l.dir.remove(n); err != nil {
			l.logf("%sunable to delete old archive: %v", l.prefix, err)
		}
	}
}

// fail stops writing to the file until retryEvery has passed. It tells once
// per failure: the retries are silent until one works (flush says so).
func (l *fileLog) fail(err error, lost int) {
	l.lost += uint64(lost)
	if l.cur != nil {
		l.cur.Close()
		l.cur = nil
	}
	if l.failedAt.IsZero() {
		l.logf("%sunable to log to %s: %v; logging to stdout only, trying again every %v",
			l.prefix, l.dir.path, err, retryEvery)
	}
	l.failedAt = time.Now()
}

// retry reopens current once retryEvery has passed since the last failure.
func (l *fileLog) retry() bool {
	if time.Since(l.failedAt) < retryEvery {
		return false
	}
	if err := l.open(); err != nil {
		l.failedAt = time.Now()
		return false
	}
	return true
}

func (l *fileLog) close() {
	if l.syncing != nil {
		<-l.syncing // it uses the directory's descriptor
	}
	if l.cur != nil {
		l.cur.Close()
		l.cur = nil
	}
	if l.lock != nil {
		l.lock.Close() // drops the flock
		l.lock = nil
	}
	l.dir.close()
}

// isArchive matches s6-log's archive names: @<24 hex digits>.s, and .u for
// the "unfinished" current s6-log archives after a crash.
func isArchive(name string) bool {
	if len(name) != 27 || name[0] != '@' || name[25] != '.' || (name[26] != 's' && name[26] != 'u') {
		return false
	}
	for _, c := range name[1:25] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// tai64n formats t as the 24 hex digits of an external TAI64N label:
// 2^62 + seconds since the epoch (16 digits), then nanoseconds (8 digits).
func tai64n(t time.Time) string {
	return fmt.Sprintf("%016x%08x", uint64(1)<<62+uint64(t.Unix()), t.Nanosecond())
}

// stamper formats ISO 8601 UTC timestamps with microseconds followed by a
// space, s6-log's T, reusing the part up to the second while it lasts.
type stamper struct {
	sec  int64
	head []byte // "2006-01-02T15:04:05."
}

func (s *stamper) append(dst []byte, t time.Time) []byte {
	t = t.UTC()
	if sec := t.Unix(); s.head == nil || sec != s.sec {
		s.head = t.AppendFormat(s.head[:0], "2006-01-02T15:04:05.")
		s.sec = sec
	}
	dst = append(dst, s.head...)
	us := t.Nanosecond() / 1000
	var digits [6]byte
	for i := 5; i >= 0; i-- {
		digits[i] = byte('0' + us%10)
		us /= 10
	}
	return append(append(dst, digits[:]...), 'Z', ' ')
}

// unwrapPath strips an *os.PathError whose path we name ourselves.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

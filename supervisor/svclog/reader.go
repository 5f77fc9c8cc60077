package svclog

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// readSize is the reader's buffer: up to 64 KiB per read(2).
	readSize = 64 << 10
	// pipeSize is the capacity asked for the pipes (the kernel's default is
	// 64 KiB): room for the service's output while the reader gathers.
	pipeSize = 1 << 20
	// gather is how long a reader lets output pile up in the pipe after a
	// read that did not fill its buffer. A service that writes a line per
	// write(2) would otherwise cost a wake-up, a read and a batch per line.
	// Lines reach their destinations at most this much later, and a service
	// would have to write pipeSize in that time to wait for us.
	gather = 2 * time.Millisecond
)

// read is the goroutine behind one pipe: it reads until EOF (every writer has
// closed its end) or until Close gives up waiting, and hands whole lines on
// without ever waiting for a consumer.
//
// The pipe is in the Go netpoller only while the reader waits for it
// (waitReadable). A pipe that was ever polled wakes its epoll waiters on
// every write(2) (pipe->poll_usage in Linux's fs/pipe.c), so with the pipe
// always registered, a service writing a line per write(2) at 100,000 lines/s
// cost a fifth of a CPU in wake-ups, gathering or not. Waiting in poll(2)
// instead holds a P in a syscall until sysmon retakes it, which starved the
// writers into drops.
func (s *Sink) read(fd int, prev <-chan struct{}, done chan<- struct{}) {
	defer s.readers.Done()
	defer close(done)
	defer unix.Close(fd)
	if prev != nil {
		// Bounded: a leftover of the previous run may hold its pipe open;
		// meanwhile this run's output waits in its own pipe.
		t := time.NewTimer(readerWait)
		select {
		case <-prev:
		case <-t.C:
		}
		t.Stop()
	}
	buf := make([]byte, readSize)
	sp := splitter{max: s.maxLine}
	left := pipeSize // what we still read once Close has given up waiting
	for {
		n, err := unix.Read(fd, buf)
		if n > 0 {
			if data, k := sp.add(buf[:n]); k > 0 {
				s.emit(batch{sink: s, t: time.Now(), data: data, n: k})
			}
			if s.stopping.Load() {
				// A leftover tool may write for ever: take what the pipe
				// held, not more.
				if left -= n; left <= 0 {
					break
				}
			} else if n < len(buf) {
				time.Sleep(gather)
			}
			continue
		}
		if err == unix.EINTR || err == unix.EAGAIN && s.waitReadable(fd) {
			continue
		}
		break // EOF, a read error, or Close gave up waiting and the pipe is empty
	}
	if data, k := sp.flush(); k > 0 {
		s.emit(batch{sink: s, t: time.Now(), data: data, n: k})
	}
}

// waitReadable waits until fd has data or its writers are gone (true), or
// until Close stops the readers (false). It waits through the netpoller on a
// duplicate of fd that lives only as long as the wait.
func (s *Sink) waitReadable(fd int) bool {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		time.Sleep(gather) // out of descriptors: poll the slow way
		return !s.stopping.Load()
	}
	f := os.NewFile(uintptr(dup), "|0") // non-blocking, so the netpoller takes it
	defer f.Close()
	if !s.waiting(f, true) {
		return false
	}
	defer s.waiting(f, false)
	rc, err := f.SyscallConn()
	if err != nil {
		time.Sleep(gather)
		return !s.stopping.Load()
	}
	err = rc.Read(func(fd uintptr) bool {
		// Asked first at once, then after each readiness event.
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, 0)
		return n > 0 || err != nil && err != unix.EINTR
	})
	switch {
	case err == nil:
		return true
	case s.stopping.Load(): // the deadline Close set
		return false
	}
	time.Sleep(gather) // the netpoller refused the pipe: poll the slow way
	return true
}

// waiting adds f to the files Close must wake (on), or removes it. It
// refuses once Close has begun stopping the readers.
func (s *Sink) waiting(f *os.File, on bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !on {
		delete(s.waits, f)
		return true
	}
	if s.stopping.Load() {
		return false
	}
	s.waits[f] = struct{}{}
	return true
}

// emit puts b into the file queue and the Fan and counts what they dropped.
func (s *Sink) emit(b batch) {
	var lostFile, lostOut int
	if s.fileQ != nil {
		lostFile = s.fileQ.put(b)
		s.droppedFile.Add(uint64(lostFile))
	}
	if s.stdout {
		lostOut = s.fan.put(b)
		s.droppedStdout.Add(uint64(lostOut))
	}
	// Both destinations drop a tail of the same batch, so the larger tail is
	// the number of lines that missed at least one of them.
	if lost := max(lostFile, lostOut); lost > 0 {
		s.dropped.Add(uint64(lost))
	}
}

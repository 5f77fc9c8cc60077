package svclog

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultFanQueue is the Fan's queue in lines when NewFan is given 0.
	DefaultFanQueue = 16384
	// fanQueueBytes bounds the memory the Fan's queue may hold, whatever the
	// line count: 16384 lines of 64 KiB would otherwise be a gigabyte.
	fanQueueBytes = 4 << 20
	// writeChunk is how much output a writer gathers for one write(2).
	writeChunk = 64 << 10
	// fanCloseWait bounds how long Fan.Close waits for queued lines to be
	// written: stdout may be a pipe nobody reads.
	fanCloseWait = 2 * time.Second
	// reportEvery is the shortest interval between two drop reports of one
	// sink and destination.
	reportEvery = 5 * time.Second
)

// Fan serialises lines from every service onto one writer (hermes-init's
// stdout). One goroutine does all the writing, whole lines at a time, so lines
// of different services never mix and a writer that blocks holds up nobody
// but the Fan's own bounded queue.
type Fan struct {
	w       io.Writer
	q       *queue
	dropped atomic.Uint64
	closed  atomic.Bool

	stop      chan struct{} // closed by Close
	wrote     chan struct{} // closed when the writer goroutine has ended
	reported  chan struct{} // closed when the reporter goroutine has ended
	closeOnce sync.Once

	mu    sync.Mutex
	sinks map[*Sink]struct{} // open sinks, for the drop reporter
}

// NewFan returns a Fan writing to w that buffers up to queue lines (0:
// DefaultFanQueue) before it drops them.
func NewFan(w io.Writer, queue int) *Fan {
	return newFan(w, queue, reportEvery)
}

func newFan(w io.Writer, queue int, every time.Duration) *Fan {
	if queue <= 0 {
		queue = DefaultFanQueue
	}
	f := &Fan{
		w:        w,
		q:        newQueue(queue, fanQueueBytes),
		stop:     make(chan struct{}),
		wrote:    make(chan struct{}),
		reported: make(chan struct{}),
		sinks:    make(map[*Sink]struct{}),
	}
	go f.write()
	go f.report(every)
	return f
}

// Dropped returns how many lines the Fan has dropped because its queue was
// full (or it was closed), over all sinks.
func (f *Fan) Dropped() uint64 { return f.dropped.Load() }

// Close writes what is queued, waiting at most a couple of seconds for a
// writer that does not take it, and stops the Fan. Lines put after Close are
// dropped. If the writer is stuck in a Write that never returns (or the
// reporter in a Logf), Close returns anyway; that goroutine ends once the call
// returns and, for the writer, the lines still queued are written.
func (f *Fan) Close() {
	f.closeOnce.Do(func() {
		f.closed.Store(true)
		close(f.stop)
	})
	deadline := time.NewTimer(fanCloseWait)
	defer deadline.Stop()
	for _, done := range []chan struct{}{f.reported, f.wrote} {
		select {
		case <-done:
		case <-deadline.C:
			return
		}
	}
}

// put queues b for stdout and returns how many of its lines were dropped.
func (f *Fan) put(b batch) int {
	lost := b.n
	if !f.closed.Load() {
		lost = f.q.put(b)
	}
	f.dropped.Add(uint64(lost))
	return lost
}

// write is the one goroutine that writes to f.w.
func (f *Fan) write() {
	defer close(f.wrote)
	var out []byte
	var held []batch
	for {
		select {
		case b := <-f.q.ch:
			held = append(held[:0], b)
		case <-f.stop:
			f.drain(out)
			return
		}
		// Take whatever else is queued, up to a chunk, for one Write.
		for size := len(held[0].data); size < writeChunk; {
			select {
			case b := <-f.q.ch:
				held = append(held, b)
				size += len(b.data)
				continue
			default:
			}
			break
		}
		out = f.flush(out[:0], held)
	}
}

// drain writes what is queued at Close, as long as the writer takes it.
func (f *Fan) drain(out []byte) {
	var held []batch
	for {
		select {
		case b := <-f.q.ch:
			held = append(held, b)
			if len(held) < 64 {
				continue
			}
		default:
			if len(held) == 0 {
				return
			}
		}
		out = f.flush(out[:0], held)
		held = held[:0]
	}
}

// flush writes the lines of held, each behind its sink's prefix, in one
// Write. A failing stdout loses the lines: there is nobody left to tell.
func (f *Fan) flush(out []byte, held []batch) []byte {
	for _, b := range held {
		out = appendPrefixed(out, b.sink.prefix, b.data)
	}
	_, _ = f.w.Write(out)
	for _, b := range held {
		f.q.release(b)
	}
	return out
}

// appendPrefixed appends every line of data to out behind prefix.
func appendPrefixed(out, prefix, data []byte) []byte {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n') + 1
		out = append(append(out, prefix...), data[:i]...)
		data = data[i:]
	}
	return out
}

// report is the goroutine that tells, through each sink's Logf, how many lines
// it lost. It runs here rather than in the readers so that a Logf blocked on a
// full stderr stalls reports only.
func (f *Fan) report(every time.Duration) {
	defer close(f.reported)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-f.stop:
			return
		}
		f.mu.Lock()
		sinks := make([]*Sink, 0, len(f.sinks))
		for s := range f.sinks {
			sinks = append(sinks, s)
		}
		f.mu.Unlock()
		for _, s := range sinks {
			s.reportDrops()
		}
	}
}

func (f *Fan) register(s *Sink) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed.Load() {
		return false
	}
	f.sinks[s] = struct{}{}
	return true
}

func (f *Fan) unregister(s *Sink) {
	f.mu.Lock()
	delete(f.sinks, s)
	f.mu.Unlock()
}

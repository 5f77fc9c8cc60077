package svclog

import (
	"bytes"
	"sync"
	"time"
)

// batch is the whole lines one read of one pipe completed: data holds n lines,
// each ending in '\n'. Nobody writes to data after the reader made it, so the
// file queue and the Fan share it.
type batch struct {
	sink *Sink
	t    time.Time // when the reader got the bytes: the lines' timestamp
	data []byte
	n    int
}

// head returns the first k lines of b.
func (b batch) head(k int) batch {
	if k >= b.n {
		return b
	}
	end := 0
	for range k {
		end += bytes.IndexByte(b.data[end:], '\n') + 1
	}
	return batch{sink: b.sink, t: b.t, data: b.data[:end], n: k}
}

// queue is a bounded queue of batches, limited both in lines (the number a
// caller configures) and in bytes (so that long lines cannot make a full queue
// hold hundreds of megabytes). A put never blocks: what does not fit is
// dropped. Lines count against the bounds until the consumer releases them.
type queue struct {
	ch       chan batch
	maxLines int
	maxBytes int

	mu    sync.Mutex
	lines int
	bytes int
}

// maxBatches bounds the channel of a queue: its buffer is allocated up front
// (64 bytes a slot), and a reader that gathers for a few milliseconds sends
// a few hundred batches a second at most.
const maxBatches = 1024

func newQueue(maxLines, maxBytes int) *queue {
	return &queue{ch: make(chan batch, min(maxLines, maxBatches)), maxLines: maxLines, maxBytes: maxBytes}
}

// put queues the leading lines of b that fit and returns how many lines it
// dropped. Dropping the tail keeps every line that does go out in order.
func (q *queue) put(b batch) (dropped int) {
	q.mu.Lock()
	k := q.fit(b)
	if k == 0 {
		q.mu.Unlock()
		return b.n
	}
	h := b.head(k)
	q.lines += h.n
	q.bytes += len(h.data)
	q.mu.Unlock()
	select {
	case q.ch <- h:
		return b.n - k
	default: // maxBatches batches of a few lines each: full all the same
		q.release(h)
		return b.n
	}
}

// fit returns how many leading lines of b fit the room left. q.mu is held.
func (q *queue) fit(b batch) int {
	roomLines, roomBytes := q.maxLines-q.lines, q.maxBytes-q.bytes
	if b.n <= roomLines && len(b.data) <= roomBytes {
		return b.n
	}
	k, size := 0, 0
	for k < min(b.n, roomLines) {
		l := bytes.IndexByte(b.data[size:], '\n') + 1
		if size+l > roomBytes {
			break
		}
		size += l
		k++
	}
	return k
}

// release gives back the room b took, once its lines have been written.
func (q *queue) release(b batch) {
	q.mu.Lock()
	q.lines -= b.n
	q.bytes -= len(b.data)
	q.mu.Unlock()
}

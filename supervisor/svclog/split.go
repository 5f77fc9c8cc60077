package svclog

import (
	"bytes"
	"os"
	"time"
)

// readSize is the reader's buffer: a whole default pipe buffer (64 KiB) per
// read(2), so a flood costs few syscalls.
const readSize = 64 << 10

// splitter cuts a byte stream into lines of at most max bytes (without the
// newline). A longer line leaves as several full lines; a line is never joined
// to another.
type splitter struct {
	max  int
	part []byte // the unfinished last line, at most max bytes
}

// add consumes p and returns the lines it completed, each ending in '\n', in
// one new buffer (nil when p completes none), and their number.
func (sp *splitter) add(p []byte) ([]byte, int) {
	if bytes.IndexByte(p, '\n') < 0 && len(sp.part)+len(p) <= sp.max {
		sp.part = append(sp.part, p...) // most common for a trickle: no line yet
		return nil, 0
	}
	// Every chunk of max bytes gets one '\n' added: this capacity is exact
	// enough that the appends below never grow the buffer.
	total := len(sp.part) + len(p)
	dst := make([]byte, 0, total+total/sp.max+1)
	n := 0
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			sp.part = append(sp.part, p...)
			for len(sp.part) > sp.max {
				dst = append(append(dst, sp.part[:sp.max]...), '\n')
				n++
				sp.part = append(sp.part[:0], sp.part[sp.max:]...)
			}
			break
		}
		line := p[:i]
		p = p[i+1:]
		if len(sp.part) > 0 {
			sp.part = append(sp.part, line...)
			line = sp.part
		}
		var k int
		dst, k = sp.line(dst, line)
		n += k
		sp.part = sp.part[:0]
	}
	if len(dst) == 0 {
		return nil, 0
	}
	return dst, n
}

// line appends l to dst as lines of at most max bytes.
func (sp *splitter) line(dst, l []byte) ([]byte, int) {
	n := 1
	for len(l) > sp.max {
		dst = append(append(dst, l[:sp.max]...), '\n')
		l = l[sp.max:]
		n++
	}
	return append(append(dst, l...), '\n'), n
}

// flush returns the unfinished last line, if any, as a whole line.
func (sp *splitter) flush() ([]byte, int) {
	if len(sp.part) == 0 {
		return nil, 0
	}
	dst := append(append(make([]byte, 0, len(sp.part)+1), sp.part...), '\n')
	sp.part = sp.part[:0]
	return dst, 1
}

// read is the goroutine behind one pipe: it reads until EOF (every writer has
// closed its end) or until Close gives up waiting, and hands whole lines on
// without ever waiting for a consumer.
func (s *Sink) read(r *os.File) {
	defer s.readers.Done()
	defer s.forget(r)
	buf := make([]byte, readSize)
	sp := splitter{max: s.maxLine}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if data, k := sp.add(buf[:n]); k > 0 {
				s.emit(batch{sink: s, t: time.Now(), data: data, n: k})
			}
		}
		if err != nil { // io.EOF, or the deadline Close set
			if data, k := sp.flush(); k > 0 {
				s.emit(batch{sink: s, t: time.Now(), data: data, n: k})
			}
			return
		}
	}
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

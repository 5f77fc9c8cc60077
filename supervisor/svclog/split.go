package svclog

import "bytes"

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

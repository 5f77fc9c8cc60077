package svclog

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestSplitter(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name   string
		chunks []string // successive reads
		want   []string // the lines, EOF included
	}{
		{"whole lines", []string{"a\nb\n"}, []string{"a", "b"}},
		{"empty lines kept", []string{"\n\na\n"}, []string{"", "", "a"}},
		{"line across reads", []string{"ab", "c\nd", "e\n"}, []string{"abc", "de"}},
		{"partial last line", []string{"a\nbc"}, []string{"a", "bc"}},
		{"exactly max", []string{x(4) + "\n"}, []string{x(4)}},
		{"exactly max, newline later", []string{x(4), "\n"}, []string{x(4)}},
		{"one over max", []string{x(5) + "\n"}, []string{x(4), "x"}},
		{"long line in one read", []string{x(10) + "\nb\n"}, []string{x(4), x(4), "xx", "b"}},
		{"long line byte by byte", strings.Split(x(9)+"\n", ""), []string{x(4), x(4), "x"}},
		{"no newline at all", []string{x(9)}, []string{x(4), x(4), "x"}},
		{"twice max", []string{x(8), "\n"}, []string{x(4), x(4)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			sp := splitter{max: 4}
			var got []string
			take := func(data []byte, n int) {
				lines := strings.SplitAfter(string(data), "\n")
				lines = lines[:len(lines)-1] // after the last '\n'
				is.Equal(len(lines), n)      // the count matches the lines
				for _, l := range lines {
					got = append(got, strings.TrimSuffix(l, "\n"))
				}
			}
			for _, ch := range c.chunks {
				take(sp.add([]byte(ch)))
			}
			take(sp.flush())
			is.Equal(got, c.want)
		})
	}
}

func TestQueueDropsTheTail(t *testing.T) {
	is := is.New(t)
	b := batch{data: []byte("a\nbb\nccc\n"), n: 3}

	q := newQueue(2, 100)
	is.Equal(q.put(b), 1) // room for two lines
	got := <-q.ch
	is.Equal(string(got.data), "a\nbb\n")
	is.Equal(q.put(b), 3) // full until released
	q.release(got)
	is.Equal(q.put(b), 1)

	q = newQueue(10, 6)
	is.Equal(q.put(b), 1) // room for 6 bytes: "a\nbb\n" is 5
	is.Equal(q.put(b), 3)
	q.release(<-q.ch)
	is.Equal(q.lines, 0)
	is.Equal(q.bytes, 0)
}

func TestTai64n(t *testing.T) {
	is := is.New(t)
	is.Equal(tai64n(time.Unix(0, 0)), "400000000000000000000000")
	is.Equal(tai64n(time.Unix(1700000000, 123456789)), "400000006553f100075bcd15")
	is.True(isArchive("@" + tai64n(time.Now()) + ".s"))
	is.True(isArchive("@400000000000000000000000.u"))   // s6-log's unfinished archive
	is.True(!isArchive("@40000000000000000000000g.s"))  // not hex
	is.True(!isArchive("@4000000000000000000000000.s")) // too long
	is.True(!isArchive("@400000000000000000000000.s~")) // not an archive
	is.True(!isArchive("current"))
}

func TestArchiveNamesOnlyGrow(t *testing.T) {
	is := is.New(t)
	d, err := openDir(t.TempDir(), "", owner{-1, -1})
	is.NoErr(err)
	defer d.close()
	l := &fileLog{dir: d}
	now := time.Now()
	a := l.archiveName(now)
	b := l.archiveName(now.Add(-time.Hour)) // the clock stepped back
	is.True(b > a)
}

func TestStamper(t *testing.T) {
	is := is.New(t)
	var s stamper
	at := time.Date(2024, 2, 29, 23, 59, 58, 1_234_567, time.FixedZone("X", 3600))
	is.Equal(string(s.append(nil, at)), "2024-02-29T22:59:58.001234Z ") // UTC, microseconds
	is.Equal(string(s.append(nil, at.Add(time.Second+998_765_433))), "2024-02-29T23:00:00.000000Z ")
	is.Equal(string(s.append(nil, at.Add(-1_234_567))), "2024-02-29T22:59:58.000000Z ")
}

package svclog

import (
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkSinkThroughput runs a service (the helper process) writing b.N
// lines of about 100 bytes through a sink to a rotating file and to a Fan on
// io.Discard. It reports lines/s, the CPU hermes-init's side spent per line
// (user+system of this process only: the writer is a child) and the share of
// lines dropped. allocs/op are per line.
//
//	block   the service writes 64 KiB at a time (a buffered stdout)
//	line    one write(2) per line, as fast as it can (Python logging flushes per record)
//	paced   one write(2) per line at 100,000 lines/s, the figure
func BenchmarkSinkThroughput(b *testing.B) {
	for _, mode := range []string{"block", "line", "paced"} {
		b.Run(mode, func(b *testing.B) {
			helperMode := map[string]string{
				"block": fmt.Sprintf("flood b %d", b.N),
				"line":  fmt.Sprintf("lines b %d", b.N),
				"paced": fmt.Sprintf("paced b %d 100000", b.N),
			}[mode]
			root := b.TempDir()
			f := NewFan(io.Discard, 0)
			s, err := f.NewSink(Options{
				Prefix: "[gateway-bench] ", Dir: filepath.Join(root, "logs/gateways/bench"), Root: root,
				UID: -1, GID: -1, Stdout: true,
			})
			if err != nil {
				b.Fatal(err)
			}
			w, err := s.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			var before, after unix.Rusage
			unix.Getrusage(unix.RUSAGE_SELF, &before)
			b.ReportAllocs()
			b.ResetTimer()
			cmd := helper(&testing.T{}, w, helperMode)
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			b.StopTimer()
			unix.Getrusage(unix.RUSAGE_SELF, &after)
			cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/line")
			b.ReportMetric(float64(s.Dropped())/float64(b.N), "dropped/line")
			b.Logf("dropped: file %d stdout %d of %d", s.droppedFile.Load(), s.droppedStdout.Load(), b.N)
		})
	}
}

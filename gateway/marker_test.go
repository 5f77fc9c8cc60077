package gateway

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-init/hermes-init/gateway/homefs"
	"github.com/matryer/is"
)

func TestWritePlannedStopMarker(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	// Another process than the test's own: under qemu-user (the arm64 tests)
	// qemu makes up /proc/self/stat, and its start time drifts between reads.
	child := exec.Command("sleep", "60")
	is.NoErr(child.Start())
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	pid := child.Process.Pid
	is.NoErr(WritePlannedStopMarker(home, pid, 1))
	raw := read(t, filepath.Join(home, PlannedStopMarkerFile))
	start, err := ProcStartTime(pid)
	is.NoErr(err)

	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	is.NoErr(dec.Decode(&m))
	is.Equal(m["target_pid"], json.Number(itoa(pid)))
	is.Equal(m["target_start_time"], json.Number(utoa(start))) // an integer, as Hermes compares it
	is.Equal(m["stopper_pid"], json.Number("1"))
	written, err := time.Parse("2006-01-02T15:04:05.999999-07:00", m["written_at"].(string))
	is.NoErr(err)
	is.True(time.Since(written) < time.Minute)
	is.True(strings.HasPrefix(raw, `{"target_pid":`)) // Hermes's key order
	is.True(strings.HasSuffix(m["written_at"].(string), "+00:00"))
}

func TestWritePlannedStopMarkerFormat(t *testing.T) {
	is := is.New(t)
	home, proc := t.TempDir(), t.TempDir()
	write(t, proc, "42/stat", "42 (gate way) S "+strings.Repeat("1 ", 18)+"987654 rest\n")
	now := time.Date(2026, 6, 30, 14, 0, 0, 5000, time.FixedZone("X", 2*3600))
	d, err := homefs.Open(home, false)
	is.NoErr(err)
	defer d.Close()
	is.NoErr(writePlannedStopMarker(d, 42, 1, now, proc))
	is.Equal(read(t, filepath.Join(home, PlannedStopMarkerFile)),
		`{"target_pid":42,"target_start_time":987654,"stopper_pid":1,"written_at":"2026-06-30T12:00:00.000005+00:00"}`+"\n")

	// A process that is gone: start time null, PID-only match within the TTL.
	is.NoErr(writePlannedStopMarker(d, 43, 1, now, proc))
	is.True(strings.Contains(read(t, filepath.Join(home, PlannedStopMarkerFile)), `"target_start_time":null`))
}

func TestWritePlannedStopMarkerErrors(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	err := WritePlannedStopMarker(home, 0, 1)
	is.True(err != nil && strings.Contains(err.Error(), PlannedStopMarkerFile)) // names the file
	err = WritePlannedStopMarker(filepath.Join(home, "missing"), os.Getpid(), 1)
	is.True(err != nil)

	// A symlink under the marker's name is replaced, never written through.
	target := write(t, t.TempDir(), "victim", "keep")
	must(t, os.Symlink(target, filepath.Join(home, PlannedStopMarkerFile)))
	is.NoErr(WritePlannedStopMarker(home, os.Getpid(), 1))
	is.Equal(read(t, target), "keep")
	fi, err := os.Lstat(filepath.Join(home, PlannedStopMarkerFile))
	is.NoErr(err)
	is.True(fi.Mode().IsRegular())
}

func TestParseStatStartTime(t *testing.T) {
	rest := func(start string) string { return strings.Repeat("0 ", 19) + start + " 5 6" }
	cases := []struct {
		name, stat string
		want       uint64
		ok         bool
	}{
		{"plain", "12 (bash) " + rest("777"), 777, true},
		{"spaces in comm", "12 (my gate way) " + rest("778"), 778, true},
		{"paren in comm", "12 (a) b) " + rest("779"), 779, true},
		{"paren-space in comm", "12 (x) 1 2 3) " + rest("780"), 780, true},
		{"empty comm", "12 () " + rest("781"), 781, true},
		{"truncated", "12 (bash) S 1 2 3", 0, false},
		{"no paren", "12 bash S", 0, false},
		{"not a number", "12 (bash) " + rest("x"), 0, false},
		{"negative", "12 (bash) " + rest("-1"), 0, false},
		{"empty", "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			got, err := parseStatStartTime([]byte(c.stat))
			is.Equal(err == nil, c.ok)
			is.Equal(got, c.want)
		})
	}
}

func TestProcStartTimeMissing(t *testing.T) {
	_, err := procStartTime(t.TempDir(), 1)
	is.New(t).True(err != nil)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func utoa(u uint64) string {
	b, _ := json.Marshal(u)
	return string(b)
}

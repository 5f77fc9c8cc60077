package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/gateway"
)

// TestPlannedStopMarker: SIGTERM stops cleanly only for a marker that names
// this very process and is fresh (hermes-agent's gateway/status.py, #34597, #42675).
func TestPlannedStopMarker(t *testing.T) {
	t.Parallel()
	other := os.Getpid() // a live pid that is not the stub
	cases := []struct {
		name   string
		marker func(s *stubProc) any // nil: use gateway.WritePlannedStopMarker
		state  string
		code   int
		kept   bool // the marker is still there afterwards
	}{
		{"written by hermes-init", nil, gateway.StateStopped, gateway.ExitStop, false},
		{"null start time", func(s *stubProc) any {
			return markerFields(s.pid(), nil, time.Now())
		}, gateway.StateStopped, gateway.ExitStop, false},
		{"another pid", func(s *stubProc) any {
			return markerFields(other, nil, time.Now())
		}, gateway.StateRunning, gateway.ExitFailure, true},
		{"our pid, another start time", func(s *stubProc) any {
			st, _ := gateway.ProcStartTime(s.pid())
			return markerFields(s.pid(), st+1, time.Now())
		}, gateway.StateRunning, gateway.ExitFailure, false},
		{"expired", func(s *stubProc) any {
			return markerFields(s.pid(), nil, time.Now().Add(-2*time.Minute))
		}, gateway.StateRunning, gateway.ExitFailure, false},
		{"malformed", func(s *stubProc) any {
			return "not json"
		}, gateway.StateRunning, gateway.ExitFailure, false},
		{"pid is a string", func(s *stubProc) any {
			m := markerFields(0, nil, time.Now())
			m[gateway.MarkerTargetPID] = "123"
			return m
		}, gateway.StateRunning, gateway.ExitFailure, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			s := startGateway(t)
			s.waitRunning()
			path := filepath.Join(s.home, gateway.PlannedStopMarkerFile)
			if c.marker == nil {
				is.NoErr(gateway.WritePlannedStopMarker(s.home, s.pid(), os.Getpid()))
			} else {
				writeMarker(t, path, c.marker(s))
			}
			s.signal(syscall.SIGTERM)
			is.Equal(s.wait(), exit{code: c.code})                // exit status
			is.Equal(s.state()[gateway.KeyGatewayState], c.state) // terminal state
			is.Equal(exists(path), c.kept)                        // marker kept or removed
		})
	}
}

// TestSIGINTLeavesForeignMarker: SIGINT is a planned stop by itself and does
// not touch a marker meant for another process.
func TestSIGINTLeavesForeignMarker(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	s := startGateway(t)
	s.waitRunning()
	path := filepath.Join(s.home, gateway.PlannedStopMarkerFile)
	writeMarker(t, path, markerFields(os.Getpid(), nil, time.Now()))
	s.signal(syscall.SIGINT)
	is.Equal(s.wait(), exit{code: 0})
	is.True(exists(path))
}

// markerFields is a planned-stop marker as Hermes writes it. start is nil or
// a start time.
func markerFields(pid int, start any, at time.Time) map[string]any {
	return map[string]any{
		gateway.MarkerTargetPID:       pid,
		gateway.MarkerTargetStartTime: start,
		gateway.MarkerStopperPID:      1,
		gateway.MarkerWrittenAt:       at.UTC().Format("2006-01-02T15:04:05.000000+00:00"),
	}
}

func writeMarker(t *testing.T, path string, v any) {
	t.Helper()
	var data []byte
	if s, ok := v.(string); ok {
		data = []byte(s)
	} else {
		var err error
		if data, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseMarker(t *testing.T) {
	is := is.New(t)
	m, err := parseMarker([]byte(`{"target_pid":42,"target_start_time":null,"stopper_pid":1,"written_at":"2026-06-30T12:00:00.123456+00:00"}`))
	is.NoErr(err)
	is.Equal(m.pid, 42)
	is.Equal(m.start, nil)
	is.Equal(m.writtenAt, time.Date(2026, 6, 30, 12, 0, 0, 123456000, time.UTC).In(m.writtenAt.Location()))
	m, err = parseMarker([]byte(`{"target_pid":42,"target_start_time":777,"written_at":"2026-06-30T12:00:00Z"}`))
	is.NoErr(err)
	is.Equal(*m.start, uint64(777))
	_, err = parseMarker([]byte(`{"target_pid":42,"target_start_time":777,"written_at":"2026-06-30T12:00:00"}`))
	is.NoErr(err) // naive isoformat, read as UTC
	for _, bad := range []string{
		`[]`, `{}`, `{"target_pid":0,"written_at":"2026-06-30T12:00:00Z"}`,
		`{"target_pid":-3,"written_at":"2026-06-30T12:00:00Z"}`,
		`{"target_pid":4.5,"written_at":"2026-06-30T12:00:00Z"}`,
		`{"target_pid":4,"target_start_time":"x","written_at":"2026-06-30T12:00:00Z"}`,
		`{"target_pid":4,"written_at":12}`, `{"target_pid":4,"written_at":"yesterday"}`,
	} {
		_, err := parseMarker([]byte(bad))
		is.True(err != nil) // a malformed marker is refused
	}
}

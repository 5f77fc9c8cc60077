package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// event is one line of docker events.
type event struct {
	Action   string
	TimeNano int64
	Actor    struct{ Attributes map[string]string }
}

// eventWatch records a container's kill, stop and die events.
type eventWatch struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	stop context.CancelFunc
}

func (w *eventWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

// watchEvents starts recording the events of container id. Starting a
// second before now replays what the daemon sent while the watch connected.
func watchEvents(t *testing.T, id string) *eventWatch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	since := time.Now().Add(-time.Second)
	w := &eventWatch{stop: cancel}
	w.cmd = exec.CommandContext(ctx, "docker", "events",
		"--since", fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()),
		"--filter", "container="+id, "--filter", "type=container",
		"--filter", "event=kill", "--filter", "event=die", "--filter", "event=stop",
		"--format", "{{json .}}")
	w.cmd.Stdout = w
	if err := w.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("docker events: %v", err)
	}
	t.Cleanup(w.close)
	return w
}

func (w *eventWatch) close() {
	w.stop()
	_ = w.cmd.Wait()
}

func (w *eventWatch) events() []event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var evs []event
	for _, line := range strings.Split(w.out.String(), "\n") {
		var e event
		if json.Unmarshal([]byte(line), &e) == nil && e.Action != "" {
			evs = append(evs, e)
		}
	}
	return evs
}

// untilDie waits for the container's die event and returns every event.
func (w *eventWatch) untilDie(t *testing.T) []event {
	t.Helper()
	var evs []event
	poll(t, 30*time.Second, "the container's die event", func() (bool, string) {
		evs = w.events()
		for _, e := range evs {
			if e.Action == "die" {
				return true, ""
			}
		}
		return false, fmt.Sprint(evs)
	})
	w.close()
	return evs
}

// stopReport sums up how a container stopped: the signals Docker sent, the
// exit code of the die event and the time from the first kill to the die.
type stopReport struct {
	signals  []string
	exitCode string
	took     time.Duration
}

func summarize(evs []event) (stopReport, error) {
	var r stopReport
	var killAt, dieAt int64
	for _, e := range evs {
		switch e.Action {
		case "kill":
			r.signals = append(r.signals, e.Actor.Attributes["signal"])
			if killAt == 0 {
				killAt = e.TimeNano
			}
		case "die":
			r.exitCode, dieAt = e.Actor.Attributes["exitCode"], e.TimeNano
		}
	}
	if killAt == 0 || dieAt == 0 {
		return r, errors.New("no kill or no die event")
	}
	r.took = time.Duration(dieAt - killAt)
	return r, nil
}

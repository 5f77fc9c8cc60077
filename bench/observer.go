package main

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"time"
)

// observer is the driver's end of the stray that reports the signals it
// receives (helpers.go, observerMain): whether SIGTERM reached the strays.
// Who killed them is not visible from here (a SIGKILL from the init and the
// kernel's when PID 1 exits look alike); the attribution runs answer that.
type observer struct {
	ln        net.Listener
	connected chan struct{}

	mu      sync.Mutex
	gotTerm bool
	died    bool
}

func newObserver(path string) (*observer, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	o := &observer{ln: ln, connected: make(chan struct{})}
	go o.serve()
	return o, nil
}

func (o *observer) serve() {
	c, err := o.ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	close(o.connected)
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "SIGTERM") {
			o.mu.Lock()
			o.gotTerm = true
			o.mu.Unlock()
		}
	}
	o.mu.Lock()
	o.died = true
	o.mu.Unlock()
}

// waitConnected waits for the observer to connect.
func (o *observer) waitConnected(timeout time.Duration) bool {
	select {
	case <-o.connected:
		return true
	case <-time.After(timeout):
		return false
	}
}

// gotTerm waits up to a second for the observer's end to be seen (the
// namespace is empty, so it is dead), then says whether it got SIGTERM.
func (o *observer) gotTERM() bool {
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		o.mu.Lock()
		died := o.died
		o.mu.Unlock()
		if died {
			break
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.gotTerm
}

func (o *observer) close() { o.ln.Close() }

package supervisor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/control"
	"github.com/hermes-init/hermes-init/supervisor/svclog"
)

// cleanupWait bounds how long the leftovers of an exited run may hold the next
// start back (#37454: an orphan adb delayed a systemd restart by 6 minutes),
// or a stop's end after SIGKILL (state cleaning). cgroup.kill empties a
// cgroup in milliseconds; the bound matters without one.
const cleanupWait = 2 * time.Second

// defaultFinishTimeout bounds ./finish when the spec does not (s6's 5 s).
const defaultFinishTimeout = 5 * time.Second

// Service runs one spec.Service: a goroutine owns its state and process and
// applies the transition function to every event; other goroutines talk to it
// through commands and read a snapshot. The goroutine never blocks but in its
// select: whatever a state waits for (the process's exit, ./finish's, the
// cgroup emptying, a deadline) is a channel there, so commands and status
// are answered during every wait.
type Service struct {
	spec  spec.Service
	sup   *Supervisor
	group *cgroup.Group
	sink  *svclog.Sink
	cmds  chan command
	quit  chan struct{}
	ended chan struct{}

	// Owned by the run goroutine.
	state      State
	fl         flags
	proc       *Process
	timer      *time.Timer      // the current state's deadline (EvTimeout)
	timerC     <-chan time.Time // nil: none armed
	emptyC     <-chan struct{}  // the current state's watch of the cgroup (EvEmpty); nil: none
	emptyStop  chan struct{}    // calls that watch off
	finishProc *Process         // ./finish while it runs (EvFinished)
	exitIn     Input            // the exit ./finish follows: its Fast and GiveUp
	exitStatus unix.WaitStatus
	started    time.Time
	stopAt     time.Time // when the current stop's grace ends (zero: never)
	fastDeaths int
	restarts   int
	spawns     int
	oomBefore  uint64
	lastExit   *control.Exit
	reason     string
	waiters    []waiter
	starts     int             // start and restart commands taken so far (waiter.starts)
	readyC     <-chan struct{} // closed when the running process says it is ready
	ready      bool
	readySince time.Time

	mu          sync.Mutex // guards snap and snapStarted
	snap        control.SlotStatus
	snapStarted time.Time
}

type command struct {
	ev    Event            // noEvent: only wait
	once  bool             // with EvStart: run once, then stay down (s6-svc -o)
	sig   syscall.Signal   // forward this signal to the process group
	prep  func(pid int)    // runs in the service goroutine before the event, with the live pid
	until func(State) bool // answer once the state satisfies it
	// yield (a stop's wait for down): answer also once a later start or
	// restart has taken over and the stopped process is gone, since the
	// service will not settle down then (a start during a drain comes
	// after it).
	yield bool
	ctx   context.Context         // the caller; its end drops the wait
	reply chan control.SlotStatus // buffered: the service never blocks on it
}

type waiter struct {
	until  func(State) bool
	yield  bool
	starts int // s.starts when the command came
	pid    int // the process when the command came
	ctx    context.Context
	reply  chan control.SlotStatus
}

const noEvent Event = -1

func newService(sup *Supervisor, sp spec.Service) (*Service, error) {
	g, err := sup.tree.NewGroup(sp.Name, sp.Limits)
	if err != nil {
		return nil, err
	}
	var sink *svclog.Sink
	if !sp.Direct() {
		if sink, err = sup.fan.NewSink(sp.Log); err != nil {
			sup.log.Warnf("%s: log file: %v (logging to stdout only)", sp.Name, err)
			opts := sp.Log
			opts.Dir = ""
			if sink, err = sup.fan.NewSink(opts); err != nil {
				g.Close()
				return nil, err
			}
		}
	}
	s := &Service{
		spec: sp, sup: sup, group: g, sink: sink,
		cmds: make(chan command, 16), quit: make(chan struct{}), ended: make(chan struct{}),
	}
	s.publish()
	go s.run()
	return s, nil
}

func (s *Service) run() {
	defer close(s.ended)
	defer s.sup.recoverPanic(s.spec.Name)
	for {
		var exitC, finishC <-chan Exit
		if s.proc != nil {
			exitC = s.proc.Exit
		}
		if s.finishProc != nil {
			finishC = s.finishProc.Exit
		}
		select {
		case <-s.readyC:
			s.readyC = nil
			s.ready, s.readySince = true, time.Now()
			s.sup.log.Infof("%s: ready", s.spec.Name)
			s.publish()
			s.notify()
		case c := <-s.cmds:
			if c.sig != 0 {
				s.signal(c.sig)
			}
			if c.prep != nil {
				c.prep(s.pid())
			}
			if c.ev == EvStart {
				s.fl.once = c.once
			}
			if c.ev != noEvent {
				s.apply(Input{Event: c.ev})
			}
			w := waiter{until: c.until, yield: c.yield, starts: s.starts, pid: s.pid(), ctx: c.ctx, reply: c.reply}
			if (c.ev == EvStart || c.ev == EvRestart) && !s.fl.shutdown {
				s.starts++
			}
			s.waiters = append(s.waiters, w)
			s.notify()
		case ex := <-exitC:
			s.exited(ex)
		case fx := <-finishC:
			s.finished(fx)
		case <-s.emptyC:
			s.unwatch()
			s.apply(Input{Event: EvEmpty})
		case <-s.timerC:
			s.timerC = nil
			s.apply(Input{Event: EvTimeout})
		case <-s.quit:
			return
		}
	}
}

// send hands a command to the service and waits until its state satisfies
// c.until (nil: as soon as it is applied) or ctx ends.
func (s *Service) send(ctx context.Context, c command) (control.SlotStatus, error) {
	if c.until == nil {
		c.until = func(State) bool { return true }
	}
	c.ctx, c.reply = ctx, make(chan control.SlotStatus, 1)
	select {
	case s.cmds <- c:
	case <-ctx.Done():
		return s.Status(), ctx.Err()
	case <-s.ended:
		return s.Status(), fmt.Errorf("%s: service removed", s.spec.Name)
	}
	select {
	case st := <-c.reply:
		return st, nil
	case <-ctx.Done():
		return s.Status(), ctx.Err()
	case <-s.ended:
		return s.Status(), fmt.Errorf("%s: service removed", s.spec.Name)
	}
}

// post hands a command to the service without waiting for it.
func (s *Service) post(c command) {
	go func() {
		defer s.sup.recoverPanic(s.spec.Name)
		_, _ = s.send(context.Background(), c)
	}()
}

// remove ends the service goroutine (the service must be down), deletes its
// cgroup and closes its log.
func (s *Service) remove() {
	select {
	case <-s.ended:
	default:
		close(s.quit)
		<-s.ended
	}
	s.disarm()
	s.unwatch()
	if err := s.group.Remove(); err != nil {
		s.sup.log.Warnf("%s: %v", s.spec.Name, err)
	}
	if s.sink == nil {
		return
	}
	if err := s.sink.Close(); err != nil {
		s.sup.log.Warnf("%s: log: %v", s.spec.Name, err)
	}
}

// apply runs the transition function and then its effects, for in and for
// the inputs the effects produce, in order.
//
// The rule: an effect never calls apply and never waits. What it learns at
// once (the spawn worked or failed, the cgroup is already empty, ./finish
// cannot start) it returns as a follow-up input, which this queue applies
// after the effects of the current transition; what it must wait for it
// arms as the state's timer or watch, which the run loop's select turns
// into an input later. The snapshot is published once the queue is empty,
// so a state left again at once (cleaning with nothing to clean) is never
// shown.
func (s *Service) apply(in Input) {
	queue := []Input{in}
	for len(queue) > 0 {
		in, queue = queue[0], queue[1:]
		next, nf, effects := transition(s.state, s.fl, in)
		if next != s.state {
			s.sup.log.Debugf("%s: %s -> %s (%s)", s.spec.Name, s.state, next, in.Event)
		}
		s.setState(next)
		s.fl = nf
		for _, e := range effects {
			if follow, ok := s.do(e); ok {
				queue = append(queue, follow)
			}
		}
	}
	s.publish()
	s.notify()
}

// setState moves to next. The timer and the watch of the state left are
// called off: they were its deadline and its wait, not the next state's.
func (s *Service) setState(next State) {
	if next != s.state {
		s.state = next
		s.disarm()
		s.unwatch()
		s.mu.Lock()
		s.snap.Since = time.Now()
		s.mu.Unlock()
	}
}

// do runs one effect; ok reports a follow-up input for apply's queue.
func (s *Service) do(e Effect) (follow Input, ok bool) {
	switch e {
	case DoSpawn:
		return s.spawn(), true
	case DoSignalStop:
		s.signal(s.stopSignal())
		s.signal(syscall.SIGCONT) // a stopped group must see it
		s.stopAt = time.Time{}
		if d := s.stopTimeout(); d >= 0 {
			s.stopAt = time.Now().Add(d)
			s.arm(d)
		}
	case DoKill:
		if s.fl.shutdown {
			s.sup.noteKill()
		}
		s.sup.log.Warnf("%s (pid %d) still running %s after SIGTERM: killing everything in %s", s.spec.Name, s.pid(), s.stopTimeout(), describe(s.group))
		s.kill()
	case DoArmBackoff:
		d := s.sup.o.Restart.Backoff(s.fastDeaths)
		s.sup.log.Infof("%s: restarting in %s", s.spec.Name, d)
		s.arm(d)
	case DoArmRestartNow:
		s.arm(0)
	case DoKillLeftovers:
		s.killLeftovers()
	case DoCleanup:
		return s.cleanup()
	case DoDrain:
		return s.drain()
	case DoFinish:
		return s.finish()
	case DoKillFinish:
		if s.finishProc != nil {
			s.sup.log.Warnf("%s: finish still running after %s: killing it", s.spec.Name, s.finishTimeout())
			_ = s.finishProc.Signal(syscall.SIGKILL)
		}
	case DoWarnNotEmpty:
		then := "settling down anyway"
		if s.state == StateStarting {
			then = "starting anyway"
		}
		s.sup.log.Warnf("%s: %s not empty %s after SIGKILL; %s", s.spec.Name, describe(s.group), cleanupWait, then)
	case DoLogGiveUp:
		s.reason = fmt.Sprintf("crash loop: %d deaths in a row, each within %s of starting", s.fastDeaths, s.sup.o.Restart.StableAfter)
		s.sup.log.Warnf("%s: %s; not restarting (state failed). `hermes-init ctl start %s` starts it again", s.spec.Name, s.reason, s.ctlName())
	}
	return Input{}, false
}

// spawn starts the process (its cgroup was emptied in state cleaning) and
// says how that went: EvSpawned or EvSpawnFailed.
func (s *Service) spawn() Input {
	s.reason = ""
	s.stopAt = time.Time{}
	path, err := Resolve(s.spec.Argv[0], s.spec.Env)
	if err == nil {
		err = s.group.Fresh()
	}
	var p *Process
	if err == nil {
		p, err = s.start(path)
	}
	if err != nil {
		s.fastDeaths++
		s.sup.log.Warnf("%s: %v", s.spec.Name, err)
		s.reason = err.Error()
		return Input{Event: EvSpawnFailed, Fast: true, GiveUp: s.givesUp()}
	}
	if s.spawns > 0 {
		s.restarts++
	}
	s.spawns++
	s.proc, s.started, s.oomBefore = p, p.Started, s.group.OOMKills()
	s.group.SetLeader(p.Pid, p.Pid, false)
	s.sup.log.Infof("%s: started, pid %d", s.spec.Name, p.Pid)
	return Input{Event: EvSpawned}
}

func (s *Service) start(path string) (*Process, error) {
	files, closeAfter, err := s.files()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range closeAfter {
			f.Close()
		}
	}()
	var readyR *os.File
	if fd := s.spec.NotificationFD; fd > 2 {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("notification pipe: %w", err)
		}
		defer w.Close()
		for len(files) <= fd {
			files = append(files, nil)
		}
		files[fd], readyR = w, r
	}
	env := s.spec.Env
	if !s.group.Tracked() {
		env = append(env[:len(env):len(env)], cgroup.TagVar+"="+s.spec.Name)
	}
	p, err := s.sup.spawner.Start(Spec{
		Name: s.spec.Name, Path: path, Argv: s.spec.Argv, Env: env, Dir: s.spec.Dir,
		Files:  files,
		Cred:   s.spec.Cred,
		Ignore: s.sup.ignore, Mask: s.sup.mask,
	}, s.group)
	if readyR != nil {
		if err != nil {
			readyR.Close()
		} else {
			s.readyC = watchReady(readyR)
		}
	}
	return p, err
}

// files are the service's fds 0, 1 and 2, and the files to close once the
// process has them.
func (s *Service) files() (files, closeAfter []*os.File, err error) {
	files = []*os.File{s.sup.devnull, s.spec.Stdout, s.spec.Stderr}
	if s.spec.Stdin != nil {
		files[0] = s.spec.Stdin
	}
	if !s.spec.Direct() {
		w, err := s.sink.Pipe()
		if err != nil {
			return nil, nil, fmt.Errorf("log pipe: %w", err)
		}
		closeAfter = append(closeAfter, w)
		for i := 1; i <= 2; i++ {
			if files[i] == nil {
				files[i] = w
			}
		}
	}
	return files, closeAfter, nil
}

// watchReady reads a notification pipe until the first newline, as
// s6-supervise does, and closes the returned channel then. Without a newline
// (the process closed the fd, or died) the channel stays open.
func watchReady(r *os.File) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		defer r.Close()
		buf := make([]byte, 64)
		for {
			n, err := r.Read(buf)
			if bytes.IndexByte(buf[:n], '\n') >= 0 {
				close(c)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

// stopSignal is the signal a stop sends (s6's down-signal).
func (s *Service) stopSignal() syscall.Signal {
	if s.spec.StopSignal != 0 {
		return s.spec.StopSignal
	}
	return syscall.SIGTERM
}

// exited records how the process ended and feeds the exit to the machine.
func (s *Service) exited(ex Exit) {
	p := s.proc
	s.proc = nil
	p.Release()
	s.readyC, s.ready = nil, false
	ran := time.Since(s.started)
	code := ExitCode(ex.Status)
	le := &control.Exit{At: time.Now()}
	if ex.Status.Signaled() {
		le.Signal = SignalName(ex.Status.Signal())
	} else {
		c := ex.Status.ExitStatus()
		le.Code = &c
	}
	if s.group.OOMKills() > s.oomBefore {
		le.OOM = true
		s.sup.log.Warnf("%s (pid %d) was killed by the OOM killer after %s (memory limit %d bytes)", s.spec.Name, ex.Pid, ran.Round(time.Millisecond), s.spec.Limits.MemoryMax)
	} else {
		s.sup.log.Infof("%s (pid %d) exited with status %d after %s", s.spec.Name, ex.Pid, code, ran.Round(time.Millisecond))
	}
	s.lastExit = le
	in := Input{Event: EvExit, Verdict: gateway.ClassifyExit(ex.Status.ExitStatus(), ex.Status.Signaled()), Finish: len(s.spec.Finish) > 0}
	if !in.Finish && s.spec.AlwaysRestart {
		in.Verdict = gateway.VerdictRestartBackoff
	}
	if s.state == StateUp || s.state == StateStarting {
		in.Fast = ran < s.sup.o.Restart.StableAfter
		if in.Fast {
			s.fastDeaths++
		} else {
			s.fastDeaths = 0
		}
		in.GiveUp = in.Fast && s.givesUp()
	}
	s.exitIn, s.exitStatus = in, ex.Status
	s.apply(in)
}

// stopTimeout is how long a stop waits before SIGKILL; negative: never.
func (s *Service) stopTimeout() time.Duration {
	switch {
	case s.spec.StopTimeout == 0, s.fl.shutdown && s.spec.Source != spec.SourceStage:
		return s.sup.o.Grace
	}
	return s.spec.StopTimeout
}

// finish starts the s6 ./finish of the service after an exit, with the
// exit's code and signal as its arguments, and arms its timeout. It runs
// outside the service's cgroup (which may still hold leftovers). Its exit is
// EvFinished (see finished); one that cannot start is EvFinished at once,
// with the verdict of any other status: restart.
func (s *Service) finish() (Input, bool) {
	code, sig := 256, 0
	if s.exitStatus.Exited() {
		code = s.exitStatus.ExitStatus()
	} else if s.exitStatus.Signaled() {
		sig = int(s.exitStatus.Signal())
	}
	argv := append(append([]string(nil), s.spec.Finish...), strconv.Itoa(code), strconv.Itoa(sig))
	files, closeAfter, err := s.files()
	if err != nil {
		files = []*os.File{s.sup.devnull, s.sup.devnull, s.sup.devnull}
	}
	p, err := s.sup.spawner.start(Spec{
		Name: s.spec.Name + " finish", Path: argv[0], Argv: argv, Env: s.spec.Env, Dir: s.spec.Dir,
		Files: files[:3], Cred: s.spec.Cred,
	}, -1)
	for _, f := range closeAfter {
		f.Close() // ./finish has its copies
	}
	if err != nil {
		s.sup.log.Warnf("%s: finish: %v", s.spec.Name, err)
		return s.finishedInput(gateway.VerdictRestartBackoff), true
	}
	s.finishProc = p
	s.arm(s.finishTimeout())
	return Input{}, false
}

// finished turns ./finish's exit into EvFinished: 125 keeps the service
// down (s6: permanently down until told otherwise), anything else restarts
// it, a kill after the timeout too.
func (s *Service) finished(fx Exit) {
	s.finishProc.Release()
	s.finishProc = nil
	verdict := gateway.VerdictRestartBackoff
	if fx.Status.Exited() && fx.Status.ExitStatus() == 125 {
		verdict = gateway.VerdictStop
	}
	s.apply(s.finishedInput(verdict))
}

// finishedInput is EvFinished with verdict, for the exit ./finish followed.
func (s *Service) finishedInput(verdict gateway.Verdict) Input {
	in := s.exitIn
	in.Event, in.Verdict, in.Finish = EvFinished, verdict, false
	return in
}

// finishTimeout bounds ./finish.
func (s *Service) finishTimeout() time.Duration {
	if s.spec.FinishTimeout > 0 {
		return s.spec.FinishTimeout
	}
	return defaultFinishTimeout
}

func (s *Service) givesUp() bool {
	n := s.sup.o.Restart.CrashLoopMax
	return n > 0 && s.fastDeaths >= n
}

func (s *Service) signal(sig syscall.Signal) {
	if s.proc != nil {
		if err := s.proc.Signal(sig); err != nil {
			s.sup.log.Warnf("%s: %s to pid %d: %v", s.spec.Name, SignalName(sig), s.proc.Pid, err)
		}
	}
}

func (s *Service) kill() {
	if err := s.group.Kill(); err != nil {
		s.sup.log.Warnf("%s: kill %s: %v", s.spec.Name, describe(s.group), err)
	}
	if !s.group.Tracked() {
		s.signal(syscall.SIGKILL)
	}
}

// drain begins the end of what a stopped service left behind (setsid tools,
// helpers that outlived it) the way a stop treats the service itself:
// SIGTERM, then until the rest of the stop's grace the watch for the cgroup
// to empty (EvEmpty), then SIGKILL (EvTimeout: cleaning), so that a tool
// that saves its work on SIGTERM gets the chance. Nothing left is EvEmpty at
// once; no grace left is EvTimeout at once.
func (s *Service) drain() (Input, bool) {
	if !s.group.Populated() {
		return Input{Event: EvEmpty}, true
	}
	n, _ := s.group.Signal(syscall.SIGTERM)
	_, _ = s.group.Signal(syscall.SIGCONT)
	wait := time.Until(s.stopAt)
	if s.stopAt.IsZero() { // a stop that never kills: give leftovers the grace
		wait = s.sup.o.Grace
	}
	s.sup.log.Debugf("%s: %d leftover processes got SIGTERM, %s to go", s.spec.Name, n, max(wait, 0))
	if wait <= 0 {
		return Input{Event: EvTimeout}, true
	}
	s.watchEmpty()
	s.arm(wait)
	return Input{}, false
}

// cleanup kills whatever is left in the cgroup (tools that outlived the
// gateway, or a previous run's) and watches it empty, at most cleanupWait
// (EvEmpty, or EvTimeout). Nothing left is EvEmpty at once.
func (s *Service) cleanup() (Input, bool) {
	if !s.group.Populated() {
		return Input{Event: EvEmpty}, true
	}
	s.killLeftovers()
	s.watchEmpty()
	s.arm(cleanupWait)
	return Input{}, false
}

// killLeftovers SIGKILLs whatever is left in the cgroup, without waiting.
func (s *Service) killLeftovers() {
	if !s.group.Populated() {
		return
	}
	pids, _ := s.group.Pids()
	s.sup.log.Infof("%s: killing %d leftover processes %s", s.spec.Name, len(pids), pidList(pids))
	s.kill()
}

// pidList shows at most 10 pids, for a log line.
func pidList(pids []int) string {
	if len(pids) <= 10 {
		return fmt.Sprint(pids)
	}
	return fmt.Sprintf("%v and %d more", pids[:10], len(pids)-10)
}

func (s *Service) arm(d time.Duration) {
	s.disarm()
	s.timer = time.NewTimer(d)
	s.timerC = s.timer.C
}

func (s *Service) disarm() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer, s.timerC = nil, nil
	}
}

// watchEmpty starts the state's watch of the cgroup (EvEmpty).
func (s *Service) watchEmpty() {
	s.unwatch()
	s.emptyStop = make(chan struct{})
	s.emptyC = s.group.WatchEmpty(s.emptyStop)
}

// unwatch calls the watch of the cgroup off.
func (s *Service) unwatch() {
	if s.emptyStop != nil {
		close(s.emptyStop)
		s.emptyStop, s.emptyC = nil, nil
	}
}

func (s *Service) pid() int {
	if s.proc != nil {
		return s.proc.Pid
	}
	return 0
}

func (s *Service) ctlName() string {
	if s.spec.Profile != "" {
		return s.spec.Profile
	}
	return s.spec.Name
}

// publish copies the owned state into the snapshot Status returns: the true
// state, the pid of the process (0 while there is none: backoff, finishing,
// draining, cleaning...), its last exit and what is wanted.
func (s *Service) publish() {
	want := "down"
	switch {
	case s.state == StateStarting || s.state == StateUp || s.state == StateBackoff || s.fl.wantUp:
		want = "up"
	case s.state == StateFinishing && !s.fl.stopped && !s.fl.shutdown:
		want = "up" // an exit of its own: up again unless ./finish says otherwise
	}
	if s.fl.once && (!s.fl.wantUp || s.state == StateCleaning) {
		want = "down" // s6-svc -o: runs, but is not restarted (a restart asked during a stop is)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Name, s.snap.Profile = s.spec.Name, s.spec.Profile
	s.snap.State, s.snap.Want = s.state.String(), want
	s.snap.Pid, s.snap.Restarts, s.snap.LastExit, s.snap.Reason = s.pid(), s.restarts, s.lastExit, s.reason
	s.snap.Ready, s.snap.ReadySince = s.ready, time.Time{}
	if s.ready {
		s.snap.ReadySince = s.readySince
	}
	if s.snap.Since.IsZero() {
		s.snap.Since = time.Now()
	}
	s.snapStarted = time.Time{}
	if s.proc != nil {
		s.snapStarted = s.started
	}
}

// Status is the service's current status; any goroutine may call it.
func (s *Service) Status() control.SlotStatus {
	s.mu.Lock()
	st, started := s.snap, s.snapStarted
	s.mu.Unlock()
	if !started.IsZero() {
		st.UptimeSeconds = time.Since(started).Seconds()
	}
	if m, ok := s.group.MemoryCurrent(); ok {
		st.MemoryBytes = &m
	}
	return st
}

// notify answers the waiters whose condition now holds, and drops the ones
// whose caller gave up.
func (s *Service) notify() {
	st := s.Status()
	keep := s.waiters[:0]
	for _, w := range s.waiters {
		switch {
		case w.ctx.Err() != nil:
		case w.until(s.state), w.yield && w.starts < s.starts && (s.proc == nil || s.pid() != w.pid):
			w.reply <- st
		default:
			keep = append(keep, w)
		}
	}
	s.waiters = keep
}

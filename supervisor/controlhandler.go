package supervisor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor/control"
)

// serveControl listens on the control socket until ctx ends. A socket that
// cannot be created is a warning: the services run anyway.
func (sup *Supervisor) serveControl(ctx context.Context) {
	srv, err := control.Listen(control.ServerOptions{
		Path: sup.o.ControlSocket, Mode: 0o660, GID: sup.o.ControlGID,
		AllowUIDs: sup.o.ControlUIDs, DefaultTimeout: sup.o.Grace + cleanupWait + 30*time.Second,
		Logf: sup.log.Warnf,
	})
	if err != nil {
		sup.log.Warnf("control socket: %v (hermes-init ctl will not work)", err)
		return
	}
	go func() {
		defer sup.recoverPanic("control server")
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		defer sup.recoverPanic("control server")
		if err := srv.Serve(ctx, sup); err != nil && ctx.Err() == nil {
			sup.log.Warnf("control socket: %v", err)
		}
	}()
}

// resolve finds a service by profile ("default", "work"), slot name
// ("gateway-work") or static service name.
func (sup *Supervisor) resolve(name string) (*Service, error) {
	if svc := sup.get(name); svc != nil {
		return svc, nil
	}
	if gateway.ValidProfileName(name) || name == gateway.DefaultProfile {
		if svc := sup.get(gateway.SlotName(name)); svc != nil {
			return svc, nil
		}
	}
	return nil, fmt.Errorf("%w: no gateway or service %q", control.ErrUnknownProfile, name)
}

// Status lists every service (control.Handler).
func (sup *Supervisor) Status() control.Status {
	st := control.Status{CgroupMode: sup.tree.Mode().String()}
	for _, svc := range sup.all() {
		st.Slots = append(st.Slots, svc.Status())
	}
	return st
}

// Start records desired_state=running for a gateway and starts the service,
// also out of failed; it returns once the service is up (or down or failed).
func (sup *Supervisor) Start(ctx context.Context, name string) (control.SlotStatus, error) {
	svc, err := sup.resolve(name)
	if err != nil {
		return control.SlotStatus{}, err
	}
	if err := sup.recordIntent(svc, gateway.StateRunning); err != nil {
		return svc.Status(), err
	}
	return svc.send(ctx, command{ev: EvStart, until: func(s State) bool {
		return s == StateUp || settled(s)
	}})
}

// Stop is an operator stop: the planned-stop marker for the live pid and its
// start time (so the gateway persists "stopped"), desired_state=stopped, then
// SIGTERM, the grace and the kill. It returns once the service is down, or
// once a later start has taken over and the stopped process is gone (the
// start then comes after the drain, say, and the service never settles
// down in between).
func (sup *Supervisor) Stop(ctx context.Context, name string) (control.SlotStatus, error) {
	svc, err := sup.resolve(name)
	if err != nil {
		return control.SlotStatus{}, err
	}
	var markErr error
	prep := func(pid int) {
		if svc.spec.Home == "" || pid <= 0 {
			return
		}
		if err := gateway.WritePlannedStopMarkerAsOwner(volumeOf(svc.spec), svc.spec.Home, pid, os.Getpid()); err != nil {
			markErr = err
			sup.log.Warnf("%s: planned-stop marker: %v (the gateway will see an unexpected SIGTERM)", svc.spec.Name, err)
		}
	}
	if err := sup.recordIntent(svc, gateway.StateStopped); err != nil {
		return svc.Status(), err
	}
	st, err := svc.send(ctx, command{ev: EvStop, prep: prep, until: settled, yield: true})
	if err == nil && markErr != nil {
		st.Reason = "stopped without planned-stop marker: " + markErr.Error()
	}
	return st, err
}

// Restart records desired_state=running, sends SIGTERM without a marker (the
// gateway treats it as unexpected and exits 1), waits for the exit and starts
// at once. A restart asked for while one is in progress joins it (#103191).
func (sup *Supervisor) Restart(ctx context.Context, name string) (control.SlotStatus, error) {
	svc, err := sup.resolve(name)
	if err != nil {
		return control.SlotStatus{}, err
	}
	if err := sup.recordIntent(svc, gateway.StateRunning); err != nil {
		return svc.Status(), err
	}
	return svc.send(ctx, command{ev: EvRestart, until: func(s State) bool {
		return s == StateUp || settled(s)
	}})
}

// Wait returns once the service is up (or down, with up false).
func (sup *Supervisor) Wait(ctx context.Context, name string, up bool) (control.SlotStatus, error) {
	svc, err := sup.resolve(name)
	if err != nil {
		return control.SlotStatus{}, err
	}
	return svc.send(ctx, command{ev: noEvent, until: func(s State) bool {
		if up {
			return s == StateUp
		}
		return settled(s)
	}})
}

// Health is healthy when every service that should run runs.
func (sup *Supervisor) Health() (bool, string) {
	var bad []string
	for _, svc := range sup.all() {
		st := svc.Status()
		if st.State == StateFailed.String() || st.Want == "up" && st.State != StateUp.String() {
			bad = append(bad, st.Name+" is "+st.State)
		}
	}
	if len(bad) > 0 {
		return false, strings.Join(bad, ", ")
	}
	return true, "every service that should run is up"
}

// recordIntent persists the operator's intent for a gateway slot, which wins
// over the runtime state at the next boot. Like the planned-stop marker, it
// is written with the rights of the owner of HERMES_HOME, through the links
// the owner's own Hermes CLI would follow (gateway.InHome).
func (sup *Supervisor) recordIntent(svc *Service, desired string) error {
	if svc.spec.Home == "" {
		return nil
	}
	if err := gateway.RecordDesiredStateAsOwner(volumeOf(svc.spec), svc.spec.Home, desired, time.Now()); err != nil {
		return fmt.Errorf("%s: record desired_state=%s: %w", svc.spec.Name, desired, err)
	}
	return nil
}

// volumeOf is the HERMES_HOME holding a gateway slot's home: the one in the
// gateway's environment when the home is at or below it, else the home
// itself. Its owner's rights are the ones the control commands write with.
func volumeOf(sp spec.Service) string {
	volume := sp.Home
	for _, kv := range sp.Env {
		if v, ok := strings.CutPrefix(kv, gateway.EnvHome+"="); ok {
			volume = v
		}
	}
	if rel, err := filepath.Rel(volume, sp.Home); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return sp.Home
	}
	return volume
}

// Up wants the service up and starts it, without touching the gateway's
// files (s6-svc -u); once runs it once (s6-svc -o).
func (sup *Supervisor) Up(ctx context.Context, name string, once bool) (control.SlotStatus, error) {
	svc, err := sup.resolve(name)
	if err != nil {
		return control.SlotStatus{}, err
	}
	return svc.send(ctx, command{ev: EvStart, once: once})
}

// Down wants the service down and stops it: SIGTERM, then SIGKILL after its
// stop timeout, without marker or desired_state (s6-svc -d).
func (sup *Supervisor) Down(ctx context.Context, name string) (control.SlotStatus, error) {
	svc, err := sup.resolve(name)
	if err != nil {
		return control.SlotStatus{}, err
	}
	return svc.send(ctx, command{ev: EvStop})
}

// Signal sends sig to the service's process group, if it runs (s6-svc -t,
// -k, -h, ...). What follows is the exit policy's business.
func (sup *Supervisor) Signal(ctx context.Context, name string, sig syscall.Signal) (control.SlotStatus, error) {
	svc, err := sup.resolve(name)
	if err != nil {
		return control.SlotStatus{}, err
	}
	return svc.send(ctx, command{ev: noEvent, sig: sig})
}

// Scan adds the services Options.Scan lists that are not supervised yet
// (starting those whose spec says so) and, with prune, drops the scandir
// services it no longer lists (s6-svscanctl -a, -an).
func (sup *Supervisor) Scan(ctx context.Context, prune bool) (control.Status, error) {
	if sup.o.Scan == nil {
		return sup.Status(), fmt.Errorf("no scan directory configured")
	}
	specs, err := sup.o.Scan()
	if err != nil {
		return sup.Status(), err
	}
	listed := map[string]bool{}
	for _, sp := range specs {
		listed[sp.Name] = true
		old := sup.get(sp.Name)
		if old != nil && old.spec.Source == spec.SourceScanDir && old.spec.ID != "" && sp.ID != "" && old.spec.ID != sp.ID {
			sup.log.Infof("scan: %s was re-created: replacing the service", sp.Name)
			sup.drop(old)
			old = nil
		}
		if old == nil {
			sup.log.Infof("scan: new service %s (autostart %v)", sp.Name, sp.Autostart)
			if err := sup.add(sp); err != nil {
				sup.log.Warnf("scan: %s: %v", sp.Name, err)
			}
		}
	}
	if prune {
		var wg sync.WaitGroup
		for _, svc := range sup.all() {
			if svc.spec.Source == spec.SourceScanDir && !listed[svc.spec.Name] {
				sup.log.Infof("scan: %s is gone: stopping and dropping it", svc.spec.Name)
				wg.Add(1)
				go func() { defer wg.Done(); sup.drop(svc) }()
			}
		}
		wg.Wait()
	}
	return sup.Status(), ctx.Err()
}

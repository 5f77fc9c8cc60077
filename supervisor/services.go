package supervisor

import (
	"context"
	"fmt"

	"github.com/hermes-init/hermes-init/spec"
)

// add creates a service and starts it when its spec says so. A name that is
// taken, or a stop under way, is an error.
func (sup *Supervisor) add(sp spec.Service) error {
	if err := sup.addable(sp.Name); err != nil {
		return err
	}
	svc, err := newService(sup, sp)
	if err != nil {
		return err
	}
	sup.mu.Lock()
	err = sup.addableLocked(sp.Name)
	if err == nil {
		sup.services[sp.Name] = svc
		sup.order = append(sup.order, sp.Name)
	}
	sup.mu.Unlock()
	if err != nil {
		svc.remove()
		return err
	}
	if sp.Autostart {
		svc.post(command{ev: EvStart})
	}
	return nil
}

func (sup *Supervisor) addable(name string) error {
	sup.mu.Lock()
	defer sup.mu.Unlock()
	return sup.addableLocked(name)
}

func (sup *Supervisor) addableLocked(name string) error {
	switch {
	case sup.stopping:
		return errStopping
	case sup.services[name] != nil:
		return fmt.Errorf("a service named %s is already supervised", name)
	}
	return nil
}

// rescanProfiles applies SIGHUP: new profile directories become slots
// (started only when their intent says running), removed ones are stopped and
// dropped.
func (sup *Supervisor) rescanProfiles() {
	specs, err := sup.o.Rescan()
	if err != nil {
		sup.log.Warnf("rescan of the profiles failed, nothing changed: %v", err)
		return
	}
	want := map[string]bool{}
	for _, sp := range specs {
		want[sp.Name] = true
		if sup.get(sp.Name) == nil {
			sup.log.Infof("rescan: new slot %s (autostart %v)", sp.Name, sp.Autostart)
			if err := sup.add(sp); err != nil {
				sup.log.Warnf("rescan: %s: %v", sp.Name, err)
			}
		}
	}
	for _, svc := range sup.all() {
		if svc.spec.Source == spec.SourcePlan && !want[svc.spec.Name] {
			sup.log.Infof("rescan: profile %s is gone: stopping and dropping %s", svc.spec.Profile, svc.spec.Name)
			go sup.drop(svc)
		}
	}
}

// drop stops a service and removes it.
func (sup *Supervisor) drop(svc *Service) {
	defer sup.recoverPanic(svc.spec.Name)
	ctx, cancel := context.WithTimeout(context.Background(), sup.o.Grace+cleanupWait+killWait)
	defer cancel()
	_, _ = svc.send(ctx, command{ev: EvStop, until: settled})
	sup.mu.Lock()
	delete(sup.services, svc.spec.Name)
	for i, n := range sup.order {
		if n == svc.spec.Name {
			sup.order = append(sup.order[:i], sup.order[i+1:]...)
			break
		}
	}
	sup.mu.Unlock()
	svc.remove()
}

func (sup *Supervisor) removeAll() {
	for _, svc := range sup.all() {
		svc.remove()
	}
}

func (sup *Supervisor) get(name string) *Service {
	sup.mu.Lock()
	defer sup.mu.Unlock()
	return sup.services[name]
}

// all returns the services in the order they were added.
func (sup *Supervisor) all() []*Service {
	sup.mu.Lock()
	defer sup.mu.Unlock()
	out := make([]*Service, 0, len(sup.order))
	for _, n := range sup.order {
		out = append(out, sup.services[n])
	}
	return out
}

// recoverPanic keeps a bug in one goroutine from killing PID 1, and with it
// the container: it logs the panic and lets the rest run.
func (sup *Supervisor) recoverPanic(where string) {
	if r := recover(); r != nil {
		sup.log.Errorf("internal error in %s (please report): %v", where, r)
	}
}

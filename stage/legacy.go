package stage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// fixAttrs is s6-overlay's fix-attrs: deprecated since v3 and not carried
// out by hermes-init; the files it would have read are named in a warning.
func (st *Stages) fixAttrs() error {
	dir := filepath.Join(st.Paths.Etc, "fix-attrs.d")
	if files := listEntries(dir); len(files) > 0 {
		st.warnf("fix-attrs: warning: %s is deprecated in s6-overlay v3 and not supported by hermes-init; not applied: %s (set ownership in the Dockerfile or in a cont-init.d script)", dir, strings.Join(files, ", "))
	}
	return nil
}

// contInit runs /etc/cont-init.d/* one after the other in lexical order, as
// root with the stages' environment (scripts that want the container's use
// with-contenv). A script that fails is a failure of the whole only with
// S6_BEHAVIOUR_IF_STAGE2_FAILS at 2; at 1 it is a warning.
func (st *Stages) contInit(ctx context.Context) error {
	dir := filepath.Join(st.Paths.Etc, "cont-init.d")
	failed := false
	for _, name := range listEntries(dir) {
		script := filepath.Join(dir, name)
		st.infof("cont-init: info: running %s", script)
		code, err := st.sup.RunOnce(ctx, supervisor.Once{Name: script, Argv: []string{script}, Env: st.Env, Dir: "/"})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			st.errorf("cont-init: %v", err)
		}
		st.infof("cont-init: info: %s exited %d", script, code)
		failed = failed || code != 0
	}
	if failed && st.Settings.Behaviour != 0 {
		st.warnf("cont-init: warning: some scripts exited nonzero")
		if st.Settings.Behaviour >= 2 {
			return errors.New("some scripts exited nonzero")
		}
	}
	return nil
}

// contFinish runs /etc/cont-finish.d/* in lexical order, each SIGKILLed
// after S6_KILL_FINISH_MAXTIME.
func (st *Stages) contFinish() {
	dir := filepath.Join(st.Paths.Etc, "cont-finish.d")
	for _, name := range listEntries(dir) {
		script := filepath.Join(dir, name)
		st.infof("cont-finish: info: running %s", script)
		code, err := st.sup.RunOnce(context.Background(), supervisor.Once{
			Name: script, Argv: []string{script}, Env: st.Env, Dir: "/", Timeout: st.Settings.KillFinish,
		})
		if err != nil {
			st.warnf("cont-finish: warning: %v", err)
		}
		st.infof("cont-finish: info: %s exited %d", script, code)
	}
}

// servicesUp is s6-overlay's legacy-services up: every directory of
// /etc/services.d is copied to /run/s6/legacy-services and linked into the
// scan directory, and supervised (started unless it has a down file); then
// hermes-init's own services start (Dynamic.Start). With
// S6_CMD_WAIT_FOR_SERVICES it waits for the copied services to be up (ready,
// with a notification-fd), within S6_CMD_WAIT_FOR_SERVICES_MAXTIME.
func (st *Stages) servicesUp(ctx context.Context) error {
	src := filepath.Join(st.Paths.Etc, "services.d")
	if err := os.RemoveAll(st.Paths.LegacyDir); err != nil {
		return err
	}
	if err := os.MkdirAll(st.Paths.LegacyDir, 0o755); err != nil {
		return err
	}
	var start []string
	for _, name := range listEntries(src) {
		if fi, err := os.Stat(filepath.Join(src, name)); err != nil || !fi.IsDir() {
			continue
		}
		spec, down, err := st.legacyService(src, name)
		if err != nil {
			st.warnf("services-up: warning: %v; not supervised", err)
			continue
		}
		if err := st.sup.AddService(spec); err != nil {
			st.warnf("services-up: warning: %s: %v", name, err)
			continue
		}
		st.legacy = append(st.legacy, name)
		if !down {
			start = append(start, name)
		}
	}
	results := make(chan error, len(start))
	wctx := context.WithoutCancel(ctx)
	for _, name := range start {
		go func() {
			_, err := st.sup.StartService(wctx, name)
			results <- err
		}()
	}
	if st.Dynamic != nil {
		if err := st.Dynamic.Start(ctx, st.sup); err != nil {
			return err
		}
	}
	if !st.Settings.CmdWaitForServices || len(start) == 0 {
		return nil
	}
	select {
	case <-time.After(st.Settings.ServicesReadyTime):
	case <-ctx.Done():
		return ctx.Err()
	}
	failed := false
	for range start {
		select {
		case err := <-results:
			failed = failed || err != nil
		case <-ctx.Done():
			failed = true
		}
		if ctx.Err() != nil {
			break
		}
	}
	if failed && st.Settings.Behaviour > 0 {
		st.warnf("services-up: warning: some legacy longruns failed to start")
		if st.Settings.Behaviour >= 2 {
			return errors.New("some legacy longruns failed to start")
		}
	}
	return nil
}

// legacyService copies one /etc/services.d directory and makes its spec.
func (st *Stages) legacyService(src, name string) (spec.Service, bool, error) {
	dst := filepath.Join(st.Paths.LegacyDir, name)
	if err := copyTree(filepath.Join(src, name), dst); err != nil {
		return spec.Service{}, false, err
	}
	d, err := s6compat.ReadServiceDir(st.Paths.LegacyDir, name)
	if err != nil {
		return spec.Service{}, false, fmt.Errorf("%s: %w", filepath.Join(src, name), err)
	}
	note := " (no readiness notification)"
	if d.NotificationFD > 0 {
		note = ""
	}
	st.infof("services-up: info: copying legacy longrun %s%s", name, note)
	if _, err := os.Stat(filepath.Join(dst, "log")); err == nil {
		st.warnf("services-up: warning: %s: the log/ logger is not run by hermes-init; %s's output goes to the container's stdout", filepath.Join(src, name), name)
	}
	if err := link(dst, filepath.Join(st.Paths.ScanDir, name)); err != nil {
		return spec.Service{}, false, err
	}
	return st.serviceSpec(d), d.Down, nil
}

// serviceSpec is how the stages supervise a service directory: as root (the
// image's files are root's), with the stages' environment, writing to the
// container's stdout and stderr, stopped by the stages.
func (st *Stages) serviceSpec(d s6compat.ServiceDir) spec.Service {
	d.UID, d.GID = -1, -1
	sp := d.Spec(st.Env)
	sp.Source = spec.SourceStage
	sp.Autostart = false // the stages start it, in dependency order
	sp.Stdout, sp.Stderr = st.sup.ContainerOutput()
	return sp
}

// servicesDown is legacy-services down: the links leave the scan
// directory, every /etc/services.d service gets its down signal, and the
// stop waits S6_SERVICES_GRACETIME for them; what is still running then is
// killed at the end of the stop.
func (st *Stages) servicesDown() {
	ctx, cancel := context.WithTimeout(context.Background(), st.Settings.ServicesGrace)
	defer cancel()
	var wg sync.WaitGroup
	for _, name := range st.legacy {
		_ = os.Remove(filepath.Join(st.Paths.ScanDir, name))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.sup.StopService(ctx, name); err != nil {
				st.warnf("services-down: warning: %s still running after %s", name, st.Settings.ServicesGrace)
			}
		}()
	}
	wg.Wait()
}

// listEntries lists dir as s6-ls | s6-sort: every name not starting with a
// dot, in byte order; a missing directory is empty.
func listEntries(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// link makes at a symlink to target, replacing whatever was there.
func link(target, at string) error {
	if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
		return err
	}
	_ = os.RemoveAll(at)
	if err := os.Symlink(target, at); err != nil {
		return fmt.Errorf("link %s: %w", at, err)
	}
	return nil
}

package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// s6Boot sets up the s6 surface (package s6compat) before any service
// starts, when s6.compat is on, in this order:
//
//  1. the container environment is written to s6.envdir, for with-contenv;
//  2. s6.basedir exists and, as PID 1, /proc/1/comm reads s6-svscan, which is
//     how Hermes decides that s6 is its service manager;
//  3. the scan directory: the slots of an earlier life of the container
//     removed, the pointer to the control socket, and one service directory
//     per gateway slot of the plan, with a down file when it starts down;
//  4. the first scan: the other service directories found there.
//
// A gateway slot and its service directory are one service, named
// gateway-<profile>: a scan never adds a service whose name is supervised.
// The slots get Source "scandir", so that removing the directory and
// s6-svscanctl -an drops them, as under s6 (hermes profile delete); a
// gateway-<profile> directory the Hermes CLI registers at runtime for an
// existing profile becomes that profile's slot, run with the configured
// gateway command (see docs/s6.md, "One service per slot", for why). It returns the specs, the
// SIGHUP rescan and the scan of s6-svscanctl -a.
func s6Boot(cfg *config.Config, specs []spec.Service, rescan func() ([]spec.Service, error), log *supervisor.Logger) ([]spec.Service, func() ([]spec.Service, error), func() ([]spec.Service, error)) {
	s6 := cfg.S6
	if err := s6compat.WriteEnvdir(s6.EnvDir, os.Environ()); err != nil {
		log.Warnf("s6: %v (with-contenv will not find the container environment)", err)
	}
	if err := s6compat.Pose(s6.BaseDir); err != nil {
		log.Warnf("s6: %v (Hermes will not see s6 as its service manager)", err)
	}
	owner := s6compat.Owner{UID: -1, GID: -1}
	if os.Geteuid() == 0 && cfg.Gateway.UID >= 0 {
		owner = s6compat.Owner{UID: cfg.Gateway.UID, GID: cfg.Gateway.GID}
	}
	if err := s6compat.PrepareScanDir(s6.ScanDir, cfg.ControlSocket, owner); err != nil {
		log.Errorf("s6: %v (the s6 programs will not reach hermes-init)", err)
		return specs, rescan, nil
	}
	publish := func(specs []spec.Service) {
		for i := range specs {
			if specs[i].Profile == "" {
				continue
			}
			specs[i].Source = spec.SourceScanDir
			if _, err := os.Lstat(filepath.Join(s6.ScanDir, specs[i].Name)); err == nil {
				specs[i].ID = s6compat.DirID(filepath.Join(s6.ScanDir, specs[i].Name))
				continue // already there: the same service
			}
			slot := s6compat.Slot{Profile: specs[i].Profile, Down: !specs[i].Autostart}
			if err := s6compat.WriteSlotDir(s6.ScanDir, slot, owner); err != nil {
				log.Warnf("s6: %v", err)
			}
			specs[i].ID = s6compat.DirID(filepath.Join(s6.ScanDir, specs[i].Name))
		}
	}
	publish(specs)
	scan := func() ([]spec.Service, error) { return scanSpecs(cfg, os.Environ(), os.Environ(), log) }
	found, err := scan()
	if err != nil {
		log.Warnf("s6: %v", err)
	}
	known := map[string]bool{}
	for _, sp := range specs {
		known[sp.Name] = true
	}
	for _, sp := range found {
		if !known[sp.Name] {
			specs = append(specs, sp)
		}
	}
	if rescan != nil {
		plan := rescan
		rescan = func() ([]spec.Service, error) {
			specs, err := plan()
			publish(specs)
			return specs, err
		}
	}
	return specs, rescan, scan
}

// scanSpecs reads the scan directory into services: a gateway-<profile>
// directory of an existing profile is that profile's gateway slot, run with
// gatewayEnv (the container's environment), any other directory the service
// s6-supervise would run, with svcEnv (the supervision tree's).
func scanSpecs(cfg *config.Config, svcEnv, gatewayEnv []string, log *supervisor.Logger) ([]spec.Service, error) {
	dirs, warnings, err := s6compat.ReadScanDir(cfg.S6.ScanDir)
	for _, w := range warnings {
		log.Warnf("s6: %s", w)
	}
	if err != nil {
		return nil, err
	}
	var specs []spec.Service
	for _, d := range dirs {
		if err := d.MarkSupervised(); err != nil {
			log.Warnf("s6: %v", err)
		}
		if spec, ok := adoptGateway(cfg, gatewayEnv, d, log); ok {
			specs = append(specs, spec)
			continue
		}
		specs = append(specs, d.Spec(svcEnv))
	}
	return specs, nil
}

// adoptGateway turns gateway-<profile> into the profile's slot when the
// profile exists as the boot plan would find it: the root profile always
// (with gateway slots enabled), a named one when profiles/<name> is a
// directory, not a symlink, holding SOUL.md.
func adoptGateway(cfg *config.Config, environ []string, d s6compat.ServiceDir, log *supervisor.Logger) (spec.Service, bool) {
	profile, ok := strings.CutPrefix(d.Name, "gateway-")
	if !ok || !cfg.Gateway.Enabled || !gateway.ValidProfileName(profile) && profile != gateway.DefaultProfile {
		return spec.Service{}, false
	}
	home := cfg.Gateway.Home
	dir := home
	if profile != gateway.DefaultProfile {
		dir = filepath.Join(home, "profiles", profile)
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() {
			return spec.Service{}, false
		}
		if _, err := os.Stat(filepath.Join(dir, "SOUL.md")); err != nil {
			return spec.Service{}, false
		}
	}
	sp := gatewaySpec(cfg, environ, home, boot.Slot{Profile: profile, Dir: dir, Autostart: !d.Down}, log)
	sp.Source, sp.ID = spec.SourceScanDir, d.ID
	return sp, true
}

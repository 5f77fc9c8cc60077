package hermes

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-init/hermes-init/boot"
	"github.com/hermes-init/hermes-init/config"
	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor"
	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// scanDir is the s6 scan directory as hermes-init supervises it (package
// s6compat has the layout). A gateway slot and its service directory are
// one service, gateway-<profile>: the slots of the boot plan are registered
// there, and a gateway-<profile> directory registered at runtime (hermes
// profile create) for a profile the plan knows becomes that profile's slot,
// run with the configured gateway command; any other directory is run as
// s6-supervise would run it. The slots get spec.SourceScanDir, so that
// removing the directory and s6-svscanctl -an drops them, as under s6
// (hermes profile delete).
type scanDir struct {
	cfg        *config.Config
	log        *supervisor.Logger
	owner      s6compat.Owner  // of what is written there: the gateway user, as root
	svcEnv     []string        // the environment of the directories' own run scripts
	gatewayEnv func() []string // the environment of a gateway slot
}

func newScanDir(cfg *config.Config, log *supervisor.Logger, svcEnv []string, gatewayEnv func() []string) *scanDir {
	owner := s6compat.Owner{UID: -1, GID: -1}
	if os.Geteuid() == 0 && cfg.Gateway.UID >= 0 {
		owner = s6compat.Owner{UID: cfg.Gateway.UID, GID: cfg.Gateway.GID}
	}
	return &scanDir{cfg: cfg, log: log, owner: owner, svcEnv: svcEnv, gatewayEnv: gatewayEnv}
}

// prepare empties the scan directory of an earlier life's slots and points
// the s6 programs at the control socket.
func (s *scanDir) prepare() error {
	return s6compat.PrepareScanDir(s.cfg.S6.ScanDir, s.cfg.ControlSocket, s.owner)
}

// register gives each gateway slot of specs its service directory, with a
// down file when it starts down, unless it has one, and makes it a scan
// directory service.
func (s *scanDir) register(specs []spec.Service) {
	for i := range specs {
		sp := &specs[i]
		if sp.Profile == "" {
			continue
		}
		sp.Source = spec.SourceScanDir
		dir := filepath.Join(s.cfg.S6.ScanDir, sp.Name)
		if _, err := os.Lstat(dir); err != nil {
			slot := s6compat.Slot{Profile: sp.Profile, Down: !sp.Autostart}
			if err := s6compat.WriteSlotDir(s.cfg.S6.ScanDir, slot, s.owner); err != nil {
				s.log.Warnf("s6: %v", err)
			}
		}
		sp.ID = s6compat.DirID(dir)
	}
}

// scan reads the scan directory into services (supervisor.Options.Scan).
func (s *scanDir) scan() ([]spec.Service, error) {
	dirs, warnings, err := s6compat.ReadScanDir(s.cfg.S6.ScanDir)
	for _, w := range warnings {
		s.log.Warnf("s6: %s", w)
	}
	if err != nil {
		return nil, err
	}
	var (
		specs   []spec.Service
		slots   map[string]boot.Slot // made on the first gateway-<profile>
		environ []string
	)
	for _, d := range dirs {
		if err := d.MarkSupervised(); err != nil {
			s.log.Warnf("s6: %v", err)
		}
		if profile, ok := strings.CutPrefix(d.Name, "gateway-"); ok && s.cfg.Gateway.Enabled {
			if slots == nil {
				environ = s.gatewayEnv()
				slots = boot.Registered(inputs(s.cfg, nil, environ))
			}
			if slot, ok := slots[profile]; ok {
				slot.Autostart = !d.Down
				sp := gatewaySpec(s.cfg, environ, s.cfg.Gateway.Home, slot, s.log)
				sp.Source, sp.ID = spec.SourceScanDir, d.ID
				specs = append(specs, sp)
				continue
			}
		}
		specs = append(specs, d.Spec(s.svcEnv))
	}
	return specs, nil
}

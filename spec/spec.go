// Package spec holds what describes a supervised service, the one type the
// parts of hermes-init that make services (the boot plan's gateway slots,
// the configuration, the s6 scan directory, the stages of /init) and the
// supervisor that runs them share. It depends on nothing of theirs.
package spec

import (
	"os"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/svclog"
)

// Service describes one supervised service: a gateway slot, a static
// service of the configuration, a service directory, or one of the stages'.
type Service struct {
	Name      string // "gateway-default", "dashboard": cgroup, log prefix, control name
	Profile   string // the Hermes profile of a gateway slot; "" for a static service
	Home      string // the profile's home (marker, desired_state); "" for a static service
	Argv      []string
	Env       []string
	Dir       string
	Cred      *syscall.Credential
	Limits    cgroup.Limits
	Log       svclog.Options
	Autostart bool

	// Finish, when set, is an s6 ./finish: run after every exit with the exit
	// code (256 after a signal) and the signal number; exit 125 keeps the
	// service down (s6-svc -O), anything else restarts it, as s6-supervise
	// does. It replaces the gateway exit policy.
	Finish        []string
	FinishTimeout time.Duration // bound for Finish (s6 timeout-finish; 0: 5s)
	// AlwaysRestart, without Finish, restarts the service after any exit, as
	// s6-supervise does for a service directory without ./finish.
	AlwaysRestart bool
	// StopTimeout bounds a stop before SIGKILL: 0 is the supervisor's grace,
	// negative never kills (s6 timeout-kill 0). A container stop always uses
	// the grace.
	StopTimeout time.Duration
	// Source says where the service came from (SourcePlan, SourceConfig,
	// SourceScanDir, SourceStage), so that a rescan only drops services of
	// its own kind and a container stop knows which to stop first.
	Source string
	// ID identifies what the spec was made from (a service directory's
	// device and inode): a scan that finds the same name with another ID
	// replaces the service, as s6-svscan does for a re-created directory.
	// Like s6's, the check misses a directory re-created on the same inode
	// (file systems reuse them at once): the Hermes CLI prunes with -an first.
	ID string

	// Stdin, Stdout and Stderr, when set, replace /dev/null and the log
	// pipeline: the container's own stdout and stderr, as s6-overlay leaves
	// them to its services, or a pipe of an s6-rc pipeline. With both
	// Stdout and Stderr set the service has no log pipeline at all.
	Stdin, Stdout, Stderr *os.File
	// NotificationFD, when 3 or more, is the descriptor on which the
	// service says it is ready by writing a newline (s6's notification-fd).
	NotificationFD int
	// StopSignal is sent to stop the service (s6's down-signal); 0 is
	// SIGTERM.
	StopSignal syscall.Signal
}

// The sources of services.
const (
	SourcePlan    = "plan"    // a gateway slot of the boot plan
	SourceConfig  = "config"  // a [[service]] of the configuration
	SourceScanDir = "scandir" // a directory of the s6 scan directory
	// SourceStage: an s6-rc longrun or an /etc/services.d service of the
	// stages (hermes-init as /init), which start and stop it themselves
	// in dependency order; a container stop leaves it to them.
	SourceStage = "stage"
)

// Direct reports whether the service writes to its own files rather than
// through the log pipeline.
func (s Service) Direct() bool { return s.Stdout != nil && s.Stderr != nil }

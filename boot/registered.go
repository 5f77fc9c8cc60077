package boot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hermes-init/hermes-init/gateway"
)

// Registered lists, by profile, the gateway slots of the home as the plan
// decides them: the rule for which profiles exist is the plan's, so that a
// slot registered at runtime (the service directory gateway-<profile> the
// Hermes CLI writes under s6) is adopted exactly when the boot would have
// made it: the root profile always, a named profile when it is a directory
// under profiles/ holding SOUL.md with a valid name, a symlinked one
// included (the plan registers it). in.MainCommand is ignored: a dashboard
// container skips the boot, not the slots the CLI registers. Nothing is
// written.
func Registered(in Inputs) map[string]Slot {
	in.MainCommand = nil
	slots := map[string]Slot{}
	if plan, err := MakePlan(in); err == nil {
		for _, s := range plan.Slots {
			slots[s.Profile] = s
		}
	}
	if _, ok := slots[gateway.DefaultProfile]; !ok {
		home, err := filepath.Abs(in.Home)
		if err != nil {
			home = in.Home
		}
		slots[gateway.DefaultProfile] = Slot{Profile: gateway.DefaultProfile, Dir: home}
	}
	return slots
}

// EnsureHome creates HERMES_HOME when it does not exist yet, for the
// gateway user (uid, gid; -1: hermes-init's own) when hermes-init runs as
// root, as the image's stage-2 hook creates it. An existing home, or a
// symlink, is left as it is.
func EnsureHome(home string, uid, gid int) error {
	if _, err := os.Lstat(home); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	if uid >= 0 && os.Geteuid() == 0 {
		return os.Chown(home, uid, gid)
	}
	return nil
}

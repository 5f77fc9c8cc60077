package gateway

import (
	"fmt"
	"time"

	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// InHome runs fn on the profile home home, at or below the Hermes home
// volume (HERMES_HOME), with the rights of volume's owner (package homefs):
// hermes-init's writes land where the owner's own Hermes CLI would put them,
// through the same symbolic links, and nowhere only root could reach. When
// the volume belongs to root, links below it are refused as before.
func InHome(volume, home string, fn func(d *homefs.Dir) error) error {
	r, err := homefs.Of(volume)
	if err != nil {
		return fmt.Errorf("owner of %s: %w", volume, err)
	}
	return r.Do(func() error {
		d, err := r.OpenBelow(volume, home)
		if err != nil {
			return fmt.Errorf("open %s: %w", home, err)
		}
		defer d.Close()
		return fn(d)
	})
}

// RecordDesiredStateAsOwner is RecordDesiredState with the rights of the
// owner of volume, the HERMES_HOME that holds home.
func RecordDesiredStateAsOwner(volume, home, desired string, now time.Time) error {
	return InHome(volume, home, func(d *homefs.Dir) error {
		return RecordDesiredStateAt(d, desired, now)
	})
}

// WritePlannedStopMarkerAsOwner is WritePlannedStopMarker with the rights of
// the owner of volume, the HERMES_HOME that holds home.
func WritePlannedStopMarkerAsOwner(volume, home string, targetPid, stopperPid int) error {
	return InHome(volume, home, func(d *homefs.Dir) error {
		return WritePlannedStopMarkerAt(d, targetPid, stopperPid)
	})
}

package boot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// planProfiles adds a slot for every named profile: the directories under
// profiles/ that hold SOUL.md, in sorted order. Under multiplex they are
// registered but never autostarted: the root gateway serves them, and a
// started slot would be an extra multiplex owner.
func (p *Plan) planProfiles(home *homefs.Dir, pend *homefs.Pending) {
	path := home.Join(gateway.ProfilesDir)
	dir, err := home.Sub(gateway.ProfilesDir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		defer dir.Close()
		var names []string
		names, err = dir.Names()
		slices.Sort(names) // byte order of UTF-8 is code-point order, as Python sorts
		for _, name := range names {
			p.planProfile(dir, name, pend)
		}
	}
	if err != nil {
		p.warn(path, gateway.Reason(path, err)+"; no named profile is registered")
	}
}

func (p *Plan) planProfile(profiles *homefs.Dir, name string, pend *homefs.Pending) {
	path := profiles.Join(name)
	if !isProfileDir(profiles, name) {
		return // not a profile: no SOUL.md (Hermes skips these silently)
	}
	switch {
	case name == gateway.DefaultProfile:
		p.warn(path, "a profile may not be named default: the name is reserved for the root profile's slot; skipped")
	case !gateway.ValidProfileName(name):
		p.warn(path, fmt.Sprintf("invalid profile name %q (must match ^[a-z0-9][a-z0-9_-]*$, at most %d bytes); skipped, the other profiles are unaffected", name, gateway.MaxProfileNameLen))
	case !gateway.SlotNameFits(name):
		p.warn(path, fmt.Sprintf("profile name of %d bytes is too long for its slot: the directory %s and its staging directory .%[2]s.tmp must fit in %d bytes; skipped, the other profiles are unaffected", len(name), gateway.SlotName(name), gateway.NameMax))
	default:
		p.planNamedSlot(profiles, name, path, pend)
	}
}

// isProfileDir is Hermes's test, entry.is_dir() and (entry/SOUL.md).exists(),
// both following symlinks. In follow mode it runs with the owner's rights;
// as root, a stat is harmless wherever a link lands, and what it finds is
// only ever registered, never read.
func isProfileDir(profiles *homefs.Dir, name string) bool {
	if profiles.Follows() {
		fi, err := profiles.Stat(name)
		if err != nil || !fi.IsDir() {
			return false
		}
		sub, err := profiles.Sub(name)
		if err != nil {
			return false
		}
		defer sub.Close()
		_, err = sub.Stat(gateway.SoulFile)
		return err == nil
	}
	path := profiles.Join(name)
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return false
	}
	_, err = os.Stat(filepath.Join(path, gateway.SoulFile))
	return err == nil
}

// planNamedSlot decides one profile's slot. In follow mode a symlinked
// profile directory is read, swept and autostarted as if it were in place,
// as upstream does. As root it cannot be opened without following the link,
// so it keeps its slot but nothing is read or swept through it, and it stays
// down until an explicit start.
func (p *Plan) planNamedSlot(profiles *homefs.Dir, name, path string, pend *homefs.Pending) {
	s := Slot{Profile: name, Dir: path, PriorExit: gateway.PriorExitUnknown}
	d, err := profiles.Sub(name)
	if err != nil {
		s.Warnings = append(s.Warnings, gateway.Warning{Path: path, Reason: gateway.Reason(path, err) +
			"; nothing is read or swept in it; registered without autostart"})
		p.Slots = append(p.Slots, s)
		return
	}
	defer d.Close()
	s.Prior = p.readIntent(&s, d)
	p.finishSlot(&s, d, p.Multiplex.On, pend)
}

func (p *Plan) warn(path, why string) {
	p.Warnings = append(p.Warnings, gateway.Warning{Path: path, Reason: why})
}

package boot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
)

// planProfiles adds a slot for every named profile: the directories under
// profiles/ that hold SOUL.md, in sorted order. Under multiplex they are
// registered but never autostarted: the root gateway serves them, and a
// started slot would be an extra multiplex owner.
func (p *Plan) planProfiles(r *os.Root, multiplex bool) {
	path := filepath.Join(p.Home, gateway.ProfilesDir)
	dir, err := nofollow.OpenDir(r, gateway.ProfilesDir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		defer dir.Close()
		var names []string
		names, err = nofollow.Names(dir)
		slices.Sort(names) // byte order of UTF-8 is code-point order, as Python sorts
		for _, name := range names {
			p.planProfile(dir, name, multiplex)
		}
	}
	if err != nil {
		p.warn(path, fmt.Sprintf("%s; no named profile is registered", reason(err)))
	}
}

func (p *Plan) planProfile(profiles *os.Root, name string, multiplex bool) {
	path := nofollow.Join(profiles, name)
	fi, err := nofollow.Lstat(profiles, name)
	if err != nil {
		p.warn(path, reason(err)+"; skipped")
		return
	}
	link := fi.Mode()&fs.ModeSymlink != 0
	if !isProfileDir(path, fi, link) {
		return // not a profile: no SOUL.md (Hermes skips these silently)
	}
	switch {
	case name == gateway.DefaultProfile:
		p.warn(path, "a profile may not be named default: the name is reserved for the root profile's slot; skipped")
	case !gateway.ValidProfileName(name):
		p.warn(path, fmt.Sprintf("invalid profile name %q (must match ^[a-z0-9][a-z0-9_-]*$, at most %d bytes); skipped, the other profiles are unaffected", name, gateway.MaxProfileNameLen))
	default:
		p.planNamedSlot(profiles, name, path, multiplex)
	}
}

// isProfileDir is Hermes's test, entry.is_dir() and (entry/SOUL.md).exists():
// both follow symlinks, and a stat is harmless wherever it lands.
func isProfileDir(path string, fi fs.FileInfo, link bool) bool {
	if link {
		target, err := os.Stat(path)
		if err != nil || !target.IsDir() {
			return false
		}
	} else if !fi.IsDir() {
		return false
	}
	_, err := os.Stat(filepath.Join(path, gateway.SoulFile))
	return err == nil
}

// planNamedSlot decides one profile's slot. A profile directory that cannot be
// opened without following a symlink (hermes-init is root; the link may lead
// anywhere) keeps its slot but reads and sweeps nothing, so it stays down
// until an explicit start.
func (p *Plan) planNamedSlot(profiles *os.Root, name, path string, multiplex bool) {
	s := Slot{Profile: name, Dir: path, PriorExit: gateway.PriorExitUnknown}
	r, err := nofollow.OpenDir(profiles, name)
	if err != nil {
		s.Warnings = append(s.Warnings, gateway.Warning{Path: path, Reason: reason(err) +
			"; nothing is read or swept in it; registered without autostart"})
		p.Slots = append(p.Slots, s)
		return
	}
	defer r.Close()
	s.Prior = p.readIntent(&s, r)
	p.finishSlot(&s, r, multiplex)
}

func (p *Plan) warn(path, why string) {
	p.Warnings = append(p.Warnings, gateway.Warning{Path: path, Reason: why})
}

// reason renders an error without the path the warning already names.
func reason(err error) string {
	return unwrap(err).Error()
}

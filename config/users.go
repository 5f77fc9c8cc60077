package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Users and groups are read from /etc/passwd and /etc/group directly, as
// s6-setuidgid and su-exec do: os/user needs cgo for anything beyond these
// files, and hermes-init is a static binary. NSS modules (LDAP, sssd) are out
// of scope in a container image.

// passwdEntry is one line of /etc/passwd.
type passwdEntry struct {
	name     string
	uid, gid int
}

// groupEntry is one line of /etc/group.
type groupEntry struct {
	name    string
	gid     int
	members []string
}

// accounts is what /etc/passwd and /etc/group say. A missing file is empty
// (scratch images); any other read error is kept and reported by the first
// lookup that needs the file.
type accounts struct {
	passwdPath, groupPath string
	users                 []passwdEntry
	groups                []groupEntry
	passwdErr, groupErr   error
}

func readAccounts(passwdPath, groupPath string) *accounts {
	a := &accounts{passwdPath: passwdPath, groupPath: groupPath}
	var lines [][]string
	lines, a.passwdErr = readColonFile(passwdPath)
	for _, f := range lines {
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if err1 == nil && err2 == nil {
			a.users = append(a.users, passwdEntry{name: f[0], uid: uid, gid: gid})
		}
	}
	lines, a.groupErr = readColonFile(groupPath)
	for _, f := range lines {
		gid, err := parseID(f[2])
		if err != nil {
			continue
		}
		var members []string
		if len(f) > 3 && f[3] != "" {
			members = strings.Split(f[3], ",")
		}
		a.groups = append(a.groups, groupEntry{name: f[0], gid: gid, members: members})
	}
	return a
}

// readColonFile returns the colon-separated fields of each line with at least
// four, skipping blank lines, comments and NIS "+"/"-" lines, as getpwent
// skips what it cannot parse.
func readColonFile(path string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out [][]string
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		if f := strings.Split(line, ":"); len(f) >= 4 && f[0] != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

func parseID(s string) (int, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v > maxID {
		return 0, fmt.Errorf("invalid id %q", s)
	}
	return int(v), nil
}

func isNumeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (a *accounts) userByName(name string) (*passwdEntry, error) {
	if a.passwdErr != nil {
		return nil, fmt.Errorf("unable to look up user %q: %w", name, a.passwdErr)
	}
	for i := range a.users {
		if a.users[i].name == name {
			return &a.users[i], nil
		}
	}
	return nil, nil
}

func (a *accounts) userByID(uid int) *passwdEntry {
	for i := range a.users {
		if a.users[i].uid == uid {
			return &a.users[i]
		}
	}
	return nil
}

func (a *accounts) groupByName(name string) (*groupEntry, error) {
	if a.groupErr != nil {
		return nil, fmt.Errorf("unable to look up group %q: %w", name, a.groupErr)
	}
	for i := range a.groups {
		if a.groups[i].name == name {
			return &a.groups[i], nil
		}
	}
	return nil, nil
}

// identity is a resolved user and group.
type identity struct {
	uid, gid int
	groups   []int
}

// resolve turns user and group as configured into IDs. user "" keeps
// hermes-init's own (Self); group "" is the user's primary group. The name
// "hermes" falls back to fallbackUID/fallbackGID when the files lack it. The
// supplementary groups are those getgrouplist(3) gives: gid, then every
// group of /etc/group that lists the user's name.
func (a *accounts) resolve(user, group string, fallbackUID, fallbackGID int) (id identity, userErr, groupErr error) {
	id = identity{uid: Self, gid: Self}
	var pw *passwdEntry
	switch {
	case user == "":
	case isNumeric(user):
		if id.uid, userErr = parseID(user); userErr != nil {
			return id, fmt.Errorf("invalid user id %q (want 0 to %d)", user, maxID), nil
		}
		pw = a.userByID(id.uid) // for its primary group and name; may be absent
	default:
		if pw, userErr = a.userByName(user); userErr != nil {
			return id, userErr, nil
		}
		switch {
		case pw != nil:
			id.uid = pw.uid
		case user == FallbackUser:
			pw = &passwdEntry{name: user, uid: fallbackUID, gid: fallbackGID}
			id.uid = pw.uid
		default:
			return id, fmt.Errorf("unknown user %q (not in %s)", user, a.passwdPath), nil
		}
	}

	switch {
	case group == "" && user == "":
	case group == "" && pw == nil && a.passwdErr != nil:
		return id, nil, fmt.Errorf("unable to find the primary group of user %s: %w", user, a.passwdErr)
	case group == "" && pw == nil:
		return id, nil, fmt.Errorf("user %s is not in %s, so it has no primary group: set a group", user, a.passwdPath)
	case group == "":
		id.gid = pw.gid
	case isNumeric(group):
		if id.gid, groupErr = parseID(group); groupErr != nil {
			return id, nil, fmt.Errorf("invalid group id %q (want 0 to %d)", group, maxID)
		}
	default:
		gr, err := a.groupByName(group)
		switch {
		case err != nil:
			return id, nil, err
		case gr != nil:
			id.gid = gr.gid
		case group == FallbackUser && pw != nil && pw.name == FallbackUser:
			id.gid = pw.gid // the hermes user's own group
		case group == FallbackUser:
			id.gid = fallbackGID
		default:
			return id, nil, fmt.Errorf("unknown group %q (not in %s)", group, a.groupPath)
		}
	}

	if id.uid == Self {
		return id, nil, nil
	}
	id.groups = []int{id.gid}
	if pw != nil && a.groupErr != nil {
		return id, nil, fmt.Errorf("unable to find the groups of user %s: %w", pw.name, a.groupErr)
	}
	if pw != nil {
		for _, g := range a.groups {
			if slices.Contains(g.members, pw.name) && !slices.Contains(id.groups, g.gid) {
				id.groups = append(id.groups, g.gid)
			}
		}
	}
	return id, nil, nil
}

// resolveIDs resolves the gateway's and every service's user and group.
func (l *loader) resolveIDs(passwdPath, groupPath string) {
	a := readAccounts(passwdPath, groupPath)
	c := l.cfg
	l.resolveExec(a, "gateway", &c.Gateway.Exec)
	for i := range c.Services {
		l.resolveExec(a, l.services[i], &c.Services[i].Exec)
	}
}

func (l *loader) resolveExec(a *accounts, prefix string, e *Exec) {
	userKey, groupKey := prefix+".user", prefix+".group"
	if l.errs.bad[userKey] || l.errs.bad[groupKey] {
		return
	}
	group := e.Group
	if e.User == "" && l.origin[groupKey].isDefault() {
		group = "" // hermes-init's own user keeps its own group unless one is set
	}
	g := l.cfg.Gateway
	id, userErr, groupErr := a.resolve(e.User, group, g.FallbackUID, g.FallbackGID)
	if userErr != nil {
		l.fail(userKey, "%v", userErr)
		return
	}
	if groupErr != nil {
		l.fail(groupKey, "%v", groupErr)
		return
	}
	e.UID, e.GID, e.Groups = id.uid, id.gid, id.groups
}

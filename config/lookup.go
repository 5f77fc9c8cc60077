package config

// LookupUser resolves a user as the gateway's user is resolved: a name from
// /etc/passwd (the name "hermes" falls back to gateway.fallback_uid's default
// when the file lacks it, as in a scratch image) or a number, its primary
// group, and its supplementary groups as getgrouplist(3) gives them. It is
// for s6-setuidgid, which runs outside any configuration.
func LookupUser(user string) (uid, gid int, groups []int, err error) {
	a := readAccounts("/etc/passwd", "/etc/group")
	id, uerr, gerr := a.resolve(user, "", DefaultFallbackID, DefaultFallbackID)
	if uerr != nil {
		return 0, 0, nil, uerr
	}
	if gerr != nil {
		return 0, 0, nil, gerr
	}
	return id.uid, id.gid, id.groups, nil
}

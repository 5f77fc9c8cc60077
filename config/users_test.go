package config

import (
	"testing"

	"github.com/matryer/is"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment, a blank line, NIS and broken lines are skipped

+nis::::::
broken line
bad:x:notanumber:1::/:/bin/sh
hermes:x:1000:1001::/opt/data:/bin/sh
alice:x:2000:2000::/home/alice:/bin/sh
alice:x:2999:2999::/home/alice2:/bin/sh
carol:x:3000:3000::/home/carol:/bin/sh
`

const testGroup = `root:x:0:
hermes:x:1001:
alice:x:2000:
docker:x:999:hermes,alice
video:x:44:alice
`

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name        string
		passwd      string // "" writes no file
		group       string
		user, grp   string
		uid, gid    int
		groups      []int
		userErr     string
		groupErr    string
		fallbackIDs [2]int
	}{
		{name: "name", passwd: testPasswd, group: testGroup, user: "hermes", grp: "hermes", uid: 1000, gid: 1001, groups: []int{1001, 999}},
		{name: "primary group", passwd: testPasswd, group: testGroup, user: "hermes", uid: 1000, gid: 1001, groups: []int{1001, 999}},
		{name: "member of two", passwd: testPasswd, group: testGroup, user: "alice", uid: 2000, gid: 2000, groups: []int{2000, 999, 44}},
		{name: "first entry wins", passwd: testPasswd, group: testGroup, user: "alice", grp: "44", uid: 2000, gid: 44, groups: []int{44, 999}},
		{name: "numeric user in passwd", passwd: testPasswd, group: testGroup, user: "2000", uid: 2000, gid: 2000, groups: []int{2000, 999, 44}},
		{name: "numeric user and group", passwd: testPasswd, group: testGroup, user: "5000", grp: "5001", uid: 5000, gid: 5001, groups: []int{5001}},
		{name: "numeric group name", passwd: testPasswd, group: testGroup, user: "carol", grp: "docker", uid: 3000, gid: 999, groups: []int{999}},
		{name: "self", passwd: testPasswd, group: testGroup, uid: Self, gid: Self},
		{name: "self with a group", passwd: testPasswd, group: testGroup, grp: "docker", uid: Self, gid: 999},
		{name: "root", passwd: testPasswd, group: testGroup, user: "root", grp: "root", uid: 0, gid: 0, groups: []int{0}},
		{name: "scratch image", user: "hermes", grp: "hermes", uid: 10000, gid: 10000, groups: []int{10000}, fallbackIDs: [2]int{10000, 10000}},
		{name: "scratch primary group", user: "hermes", uid: 10000, gid: 10000, groups: []int{10000}, fallbackIDs: [2]int{10000, 10000}},
		{name: "other fallback", user: "hermes", grp: "hermes", uid: 7, gid: 8, groups: []int{8}, fallbackIDs: [2]int{7, 8}},
		{name: "hermes user without group", passwd: testPasswd, group: "root:x:0:\n", user: "hermes", grp: "hermes", uid: 1000, gid: 1001, groups: []int{1001}},
		{name: "unknown user", passwd: testPasswd, group: testGroup, user: "bob", uid: Self, gid: Self, userErr: `unknown user "bob" (not in {dir}/passwd)`},
		{name: "unknown user in scratch", user: "alice", uid: Self, gid: Self, userErr: `unknown user "alice" (not in {dir}/passwd)`},
		{name: "unknown group", passwd: testPasswd, group: testGroup, user: "alice", grp: "staff", uid: 2000, gid: Self, groupErr: `unknown group "staff" (not in {dir}/group)`},
		{name: "no primary group", passwd: testPasswd, group: testGroup, user: "5000", uid: 5000, gid: Self, groupErr: `user 5000 is not in {dir}/passwd, so it has no primary group: set a group`},
		{name: "invalid uid", user: "99999999999", uid: Self, gid: Self, userErr: `invalid user id "99999999999" (want 0 to 4294967294)`},
		{name: "invalid gid", grp: "4294967295", uid: Self, gid: Self, groupErr: `invalid group id "4294967295" (want 0 to 4294967294)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture(t)
			if tc.passwd != "" {
				f.write(t, f.passwd, tc.passwd)
			}
			if tc.group != "" {
				f.write(t, f.group, tc.group)
			}
			fb := tc.fallbackIDs
			if fb == [2]int{} {
				fb = [2]int{10000, 10000}
			}
			id, userErr, groupErr := readAccounts(f.passwd, f.group).resolve(tc.user, tc.grp, fb[0], fb[1])
			errString := func(err error) string {
				if err == nil {
					return ""
				}
				return err.Error()
			}
			is.Equal(errString(userErr), f.expand(tc.userErr))
			is.Equal(errString(groupErr), f.expand(tc.groupErr))
			if userErr != nil || groupErr != nil {
				return
			}
			is.Equal(id.uid, tc.uid)
			is.Equal(id.gid, tc.gid)
			is.Equal(id.groups, tc.groups)
		})
	}
}

// TestUnreadableAccounts: an account file that exists but cannot be read
// is an error where a lookup needs it, never an empty file.
func TestUnreadableAccounts(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	a := readAccounts(f.dir, f.dir) // directories: read fails with EISDIR
	_, userErr, _ := a.resolve("alice", "", 1, 1)
	is.Equal(userErr.Error(), `unable to look up user "alice": read `+f.dir+`: is a directory`)
	_, _, groupErr := a.resolve("0", "staff", 1, 1)
	is.Equal(groupErr.Error(), `unable to look up group "staff": read `+f.dir+`: is a directory`)
	_, _, groupErr = a.resolve("0", "", 1, 1)
	is.Equal(groupErr.Error(), `unable to find the primary group of user 0: read `+f.dir+`: is a directory`)
	id, userErr, groupErr := a.resolve("", "", 1, 1)
	is.NoErr(userErr) // hermes-init's own user needs no lookup
	is.NoErr(groupErr)
	is.Equal(id, identity{uid: Self, gid: Self})
}

// TestLoadResolvesEveryService: the gateway and each service get their IDs,
// and an unknown user names the key it came from.
func TestLoadResolvesEveryService(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	f.write(t, f.passwd, testPasswd)
	f.write(t, f.group, testGroup)
	c, err := f.load(t, `
[[service]]
name = "a"
command = ["x"]
user = "alice"
[[service]]
name = "b"
command = ["x"]
user = ""
`)
	is.NoErr(err)
	is.Equal([]int{c.Gateway.UID, c.Gateway.GID}, []int{1000, 1001})
	is.Equal(c.Gateway.Groups, []int{1001, 999})
	// group is "hermes" unless set, also for another user.
	is.Equal([]int{c.Services[0].UID, c.Services[0].GID}, []int{2000, 1001})
	is.Equal(c.Services[0].Groups, []int{1001, 999, 44})
	// user "" keeps hermes-init's user and, unless group is set, its group.
	is.Equal([]int{c.Services[1].UID, c.Services[1].GID}, []int{Self, Self})
	is.Equal(c.Services[1].Groups, nil)

	c, err = f.load(t, "# nothing\n", "HERMES_INIT_GATEWAY_USER=0")
	is.NoErr(err)
	is.Equal([]int{c.Gateway.UID, c.Gateway.GID}, []int{0, 1001}) // group "hermes" by default

	c, err = f.load(t, "[gateway]\nuser = \"\"\ngroup = \"docker\"\n")
	is.NoErr(err)
	is.Equal([]int{c.Gateway.UID, c.Gateway.GID}, []int{Self, 999}) // a group set with user ""
}

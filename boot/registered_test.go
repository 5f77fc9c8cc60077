package boot

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestRegisteredFollowsThePlan: the profiles a runtime registration may
// adopt are exactly the plan's slots, under the same rule (SOUL.md, a
// valid name, a symlinked profile included), and the root profile is there
// even in a dashboard container or a home that cannot be read.
func TestRegisteredFollowsThePlan(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	elsewhere := t.TempDir()
	tree(t, elsewhere, map[string]string{"linked/SOUL.md": "x"})
	tree(t, home, map[string]string{
		"profiles/alpha/SOUL.md":   "x",
		"profiles/nosoul/x":        "",
		"profiles/Bad/SOUL.md":     "x",
		"profiles/default/SOUL.md": "x",
		"profiles/linked":          "link:" + filepath.Join(elsewhere, "linked"),
	})
	in := Inputs{Home: home, Now: time.Now(), MainCommand: []string{"hermes", "dashboard"}}
	got := Registered(in)
	var names []string
	for p := range got {
		names = append(names, p)
	}
	slices.Sort(names)
	plan, err := MakePlan(Inputs{Home: home, Now: time.Now()})
	is.NoErr(err)
	var want []string
	for _, s := range plan.Slots {
		want = append(want, s.Profile)
	}
	slices.Sort(want)
	is.Equal(names, want)
	is.Equal(names, []string{"alpha", "default", "linked"})
	is.Equal(got["alpha"].Dir, filepath.Join(home, "profiles", "alpha"))

	missing := Registered(Inputs{Home: filepath.Join(home, "absent"), Now: time.Now()})
	is.Equal(len(missing), 1)
	is.Equal(missing["default"].Dir, filepath.Join(home, "absent"))
}

// TestEnsureHome: a missing home is created; an existing one, or a
// symlink, is left alone.
func TestEnsureHome(t *testing.T) {
	is := is.New(t)
	root := t.TempDir()
	home := filepath.Join(root, "a", "home")
	is.NoErr(EnsureHome(home, -1, -1))
	fi, err := os.Stat(home)
	is.NoErr(err)
	is.True(fi.IsDir())
	link := filepath.Join(root, "link")
	is.NoErr(os.Symlink(filepath.Join(root, "nowhere"), link))
	is.NoErr(EnsureHome(link, -1, -1))
	_, err = os.Stat(filepath.Join(root, "nowhere"))
	is.True(os.IsNotExist(err)) // not created through the dangling link
}

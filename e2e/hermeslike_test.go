package e2e

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/matryer/is"
)

// The Hermes-like images of testdata/hermeslike, by adoption mode.
var (
	hermesLikeMu     sync.Mutex
	hermesLikeImages = map[string]string{}
)

func hermesLikeImage(t *testing.T, mode string) string {
	t.Helper()
	buildS6Image(t) // the same needs (busybox), checked once
	hermesLikeMu.Lock()
	defer hermesLikeMu.Unlock()
	if img, ok := hermesLikeImages[mode]; ok {
		return img
	}
	img, err := buildFrom("hermeslike", mode, map[string]string{
		"busybox": busybox, "hermes-init": filepath.Join(binaries, "hermes-init"),
		"stub-gateway": filepath.Join(binaries, "stub-gateway"),
	})
	if err != nil {
		t.Fatalf("build the %s image: %v", mode, err)
	}
	hermesLikeImages[mode] = img
	return img
}

// TestHermesLikeRestart: the core promise with hermes-init as /init, in an
// image adopted either way. `gateway run` as the container's command hands
// the gateway over to its slot (the gateway says so); docker stop is an
// unexpected SIGTERM to the gateway, which persists "running" and exits,
// the container with 0; docker start brings it back by itself, through the
// image's own reconciler (swap) or hermes-init's boot plan (native).
func TestHermesLikeRestart(t *testing.T) {
	for _, mode := range []string{"swap", "native"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			img := hermesLikeImage(t, mode)
			name := "hermes-init-e2e-like-" + runID + "-" + mode
			vol := name + "-data"
			t.Cleanup(func() {
				if t.Failed() {
					l := docker("logs", name)
					t.Logf("docker logs %s:\n%s%s", name, l.stdout, l.stderr)
				}
				docker("rm", "-f", "-v", name)
				docker("volume", "rm", "-f", vol)
			})
			must(t, "docker", "volume", "create", "--label", label+"="+runID, vol)
			must(t, "docker", "run", "-d", "--name", name, "--label", label+"="+runID, "-v", vol+":/opt/data", img, "gateway", "run")
			running := func(n int) func() (bool, string) {
				return func() (bool, string) {
					out := docker("logs", name).stdout
					return strings.Count(out, "[gateway-default] stub-gateway: profile=default") > 0 &&
						countSuffix(out, "state=running") >= n, out
				}
			}
			poll(t, upLimit, "the gateway in its slot", running(1))
			out := docker("logs", name).stdout
			is.True(strings.Contains(out, "gateway is now running under s6 supervision")) // handed over
			is.NoErr(docker("stop", "-t", "20", name).err)
			is.Equal(inspectContainer(t, name).State.ExitCode, 0)
			state := must(t, "docker", "run", "--rm", "--entrypoint", "/bin/cat", "-v", vol+":/opt/data", img, "/opt/data/gateway_state.json")
			is.True(strings.Contains(state, `"gateway_state":"running"`)) // persisted by the gateway itself
			is.NoErr(docker("start", name).err)
			poll(t, upLimit, "the gateway back after docker start", running(2))
			is.NoErr(docker("stop", "-t", "20", name).err)
		})
	}
}

// countSuffix counts the lines of s that end with suffix.
func countSuffix(s, suffix string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), suffix) {
			n++
		}
	}
	return n
}

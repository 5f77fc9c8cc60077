package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

// The s6-overlay image of testdata/s6overlay: an s6-overlay v3 service
// tree of our own, unchanged, with hermes-init as /init, on busybox.
var (
	s6Image     string
	s6ImageErr  error
	s6ImageOnce sync.Once
)

// busybox is Debian's static busybox (package busybox-static), the image's
// shell and tools.
const busybox = "/bin/busybox"

// buildS6Image builds the image once per run. Without a static busybox the
// test skips, or fails when the run declares busybox (HERMES_TEST_REQUIRE).
func buildS6Image(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("file", "-L", busybox).Output(); err != nil || !strings.Contains(string(out), "statically linked") {
		requireOrSkip(t, "busybox", "needs a static busybox at "+busybox+" (Debian package busybox-static) for the s6-overlay image")
	}
	s6ImageOnce.Do(func() {
		s6Image, s6ImageErr = buildFrom("s6overlay", "", map[string]string{"busybox": busybox, "hermes-init": filepath.Join(binaries, "hermes-init")})
	})
	if s6ImageErr != nil {
		t.Fatalf("build the s6-overlay image: %v", s6ImageErr)
	}
	return s6Image
}

// buildFrom builds the image of testdata/<dir> with the given files copied
// into its context and MODE=mode ("": the Dockerfile's default), tagged
// after the run's image.
func buildFrom(dir, mode string, files map[string]string) (string, error) {
	ctx, err := os.MkdirTemp("", "hermes-init-e2e-"+dir+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(ctx)
	src := filepath.Join(repoRoot, "e2e", "testdata", dir)
	if r := cmd(context.Background(), time.Minute, "cp", "-a", src+"/.", ctx); r.err != nil {
		return "", fmt.Errorf("copy %s: %v: %s", src, r.err, r.stderr)
	}
	for name, from := range files {
		if err := copyFile(from, filepath.Join(ctx, name)); err != nil {
			return "", err
		}
	}
	tag := image + "-" + dir
	args := []string{"build", "--label", label + "=" + runID}
	if mode != "" {
		tag += "-" + mode
		args = append(args, "--build-arg", "MODE="+mode)
	}
	if r := cmd(context.Background(), 10*time.Minute, "docker", append(args, "-t", tag, ctx)...); r.err != nil {
		return "", fmt.Errorf("docker build: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	return tag, nil
}

// steps are the STEP lines of a container's stdout, without the prefix.
func steps(id string) []string {
	var out []string
	for _, l := range strings.Split(docker("logs", id).stdout, "\n") {
		if s, ok := strings.CutPrefix(l, "STEP "); ok {
			out = append(out, s)
		}
	}
	return out
}

// stepIndex is the index of the first step starting with prefix, -1 if none.
func stepIndex(lines []string, prefix string) int {
	return slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
}

// inOrder fails unless the steps with these prefixes came in this order.
func inOrder(t *testing.T, lines []string, prefixes ...string) {
	t.Helper()
	last := -1
	for _, p := range prefixes {
		i := stepIndex(lines, p)
		if i < 0 || i < last {
			t.Fatalf("want the steps in the order %q; got:\n%s", prefixes, strings.Join(lines, "\n"))
		}
		last = i
	}
}

// runS6 runs the image with args as its command and returns the container.
func runS6(t *testing.T, detach bool, args ...string) string {
	t.Helper()
	name := "hermes-init-e2e-s6-" + runID + "-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	argv := []string{"run", "--name", name, "--label", label + "=" + runID}
	if detach {
		argv = append(argv, "-d")
	}
	argv = append(append(argv, buildS6Image(t)), args...)
	r := docker(argv...)
	t.Cleanup(func() {
		if t.Failed() {
			l := docker("logs", name)
			t.Logf("docker logs %s:\n%s%s", name, l.stdout, l.stderr)
		}
		docker("rm", "-f", "-v", name)
	})
	if detach && r.err != nil {
		t.Fatalf("docker run: %v: %s", r.err, r.stderr)
	}
	return name
}

// TestS6OverlayTree: hermes-init as /init runs an s6-overlay v3 tree as
// s6-overlay does: the stage-2 hook, cont-init in order as root with PATH
// alone (/command first; the container's variables through with-contenv),
// the user bundle in dependency order (a oneshot, longruns with readiness,
// one dropping to nobody with s6-setuidgid), /etc/services.d, user2, then
// the main program in the image's working directory; its status is the
// container's, and then everything stops in reverse order before
// cont-finish.
func TestS6OverlayTree(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	name := runS6(t, false, "/etc/s6-overlay/scripts/main", "exit", "7")
	st := inspectContainer(t, name)
	is.Equal(st.State.ExitCode, 7) // the main program's status
	lines := steps(name)
	inOrder(t, lines, "hook", "cont-init-01", "cont-init-02", "prep-up", "app-up", "legacy-up", "late-up", "main",
		"late-down", "legacy-down", "app-down", "prep-down", "cont-finish")
	inOrder(t, lines, "db-up", "app-up", "app-down", "db-down", "cont-finish")
	const env = " foo=unset path=/command:/usr/bin:/bin"
	is.Equal(lines[stepIndex(lines, "hook")], "hook uid=0"+env)
	is.Equal(lines[stepIndex(lines, "cont-init-01")], "cont-init-01 uid=0"+env)
	is.Equal(lines[stepIndex(lines, "cont-init-02")], "cont-init-02 uid=0 foo=bar path=/command:/usr/bin:/bin") // with-contenv
	is.Equal(lines[stepIndex(lines, "prep-up")], "prep-up uid=0"+env)
	is.Equal(lines[stepIndex(lines, "app-up")], "app-up uid=65534"+env) // s6-setuidgid nobody
	is.Equal(lines[stepIndex(lines, "main")], "main cwd=/srv uid=0"+env)
}

// TestS6OverlayDockerStop: docker stop stops the services in reverse
// dependency order and runs cont-finish, and the container exits by itself
// with 0 (s6-overlay's status for a stop), within Docker's stop timeout:
// Docker never has to SIGKILL it (that would be 137).
func TestS6OverlayDockerStop(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	name := runS6(t, true)
	poll(t, upLimit, "the main program", func() (bool, string) {
		l := steps(name)
		return stepIndex(l, "main") >= 0, strings.Join(l, "\n")
	})
	r := docker("stop", "-t", "20", name)
	is.NoErr(r.err)
	st := inspectContainer(t, name)
	is.Equal(st.State.ExitCode, 0) // exited by itself, not by Docker's SIGKILL
	lines := steps(name)
	inOrder(t, lines, "main", "late-down", "legacy-down", "app-down", "prep-down", "cont-finish")
	inOrder(t, lines, "app-down", "db-down", "cont-finish")
}

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The run's facts, set once by TestMain.
var (
	runID    string   // unique per run: in every name and in the label
	image    string   // the image built for this run
	repoRoot string   // the checkout: Dockerfile, rootfs/, compose files
	compose  []string // the compose command: docker-compose, or docker compose
	engine   engineInfo
	binaries string // the static binaries: HERMES_INIT_BIN_DIR, or built for the run
	// builtBinaries is binaries when the run built them; sweep removes it.
	builtBinaries string
)

// label marks everything a run creates: hermes-init-e2e=<runID>.
const label = "hermes-init-e2e"

// engineInfo is what `docker info` says about the engine.
type engineInfo struct {
	Version       string // ServerVersion
	CgroupVersion string // "1" or "2"
	CgroupDriver  string
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Getenv("HERMES_E2E") != "1" {
		fmt.Println("e2e: HERMES_E2E is not 1: the Docker end-to-end tests are NOT run (scripts/e2e runs them)")
		return 0
	}
	info, err := dockerInfo()
	if err != nil {
		// Asked to run (HERMES_E2E=1) and unable to: a failure, not a pass
		// that nobody reads. scripts/test asks only where docker exists,
		// and HERMES_E2E=0 skips explicitly.
		fmt.Fprintf(os.Stderr, "e2e: FAIL: HERMES_E2E=1 but the docker engine does not answer (%v); start it, or skip the end-to-end tests with HERMES_E2E=0 scripts/test\n", err)
		return 1
	}
	engine = info
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup: %v\n", err)
		sweep()
		return 1
	}
	defer sweep()
	return m.Run()
}

// dockerInfo asks the engine for its version and cgroup setup; an error
// means there is no engine to test against.
func dockerInfo() (engineInfo, error) {
	r := cmd(context.Background(), 30*time.Second, "docker", "info", "--format", "{{.ServerVersion}} {{.CgroupVersion}} {{.CgroupDriver}}")
	if r.err != nil {
		return engineInfo{}, fmt.Errorf("docker info: %v: %s", r.err, firstLine(r.stderr))
	}
	f := strings.Fields(r.stdout)
	if len(f) != 3 {
		return engineInfo{}, fmt.Errorf("docker info: unexpected answer %q", r.stdout)
	}
	return engineInfo{Version: f[0], CgroupVersion: f[1], CgroupDriver: f[2]}, nil
}

// setup finds the checkout and the compose command, and builds the image.
func setup() error {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	runID = hex.EncodeToString(b[:])
	image = "hermes-init-e2e:" + runID
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	compose = findCompose()
	composeName := "none (the compose tests will skip)"
	if compose != nil {
		composeName = strings.Join(compose, " ") + " " + firstLine(cmd(context.Background(), time.Minute, compose[0], append(compose[1:], "version", "--short")...).stdout)
	}
	fmt.Printf("e2e: run %s: engine %s, cgroup v%s (%s driver), compose: %s\n", runID, engine.Version, engine.CgroupVersion, engine.CgroupDriver, composeName)
	start := time.Now()
	if err := buildImage(); err != nil {
		return err
	}
	fmt.Printf("e2e: built %s in %s\n", image, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// findCompose prefers docker-compose (Compose v1 is what the test machine
// has), then the docker compose plugin.
func findCompose() []string {
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	if r := cmd(context.Background(), time.Minute, "docker", "compose", "version"); r.err == nil {
		return []string{"docker", "compose"}
	}
	return nil
}

// buildImage builds the image from a fresh context: the checkout's
// Dockerfile, .dockerignore and rootfs/, and bin/ with the binaries of
// HERMES_INIT_BIN_DIR (scripts/test and scripts/e2e build them) or of
// scripts/build. A copy, because other work may change bin/ meanwhile, and
// the legacy builder would send the whole checkout.
func buildImage() error {
	ctx, err := os.MkdirTemp("", "hermes-init-e2e-context-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(ctx)
	for _, f := range []string{"Dockerfile", ".dockerignore", "rootfs"} {
		if r := cmd(context.Background(), time.Minute, "cp", "-a", filepath.Join(repoRoot, f), ctx); r.err != nil {
			return fmt.Errorf("copy %s: %v: %s", f, r.err, r.stderr)
		}
	}
	binaries = os.Getenv("HERMES_INIT_BIN_DIR")
	if binaries == "" {
		// Built for the run; sweep removes them (builtBinaries).
		if binaries, err = os.MkdirTemp("", "hermes-init-e2e-bin-"); err != nil {
			return err
		}
		builtBinaries = binaries
		if r := cmd(context.Background(), 5*time.Minute, filepath.Join(repoRoot, "scripts", "build"), binaries); r.err != nil {
			return fmt.Errorf("scripts/build: %v: %s", r.err, r.stderr)
		}
	}
	bin := filepath.Join(ctx, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"hermes-init", "stub-gateway"} {
		if err := copyFile(filepath.Join(binaries, name), filepath.Join(bin, name)); err != nil {
			return err
		}
	}
	r := cmd(context.Background(), 10*time.Minute, "docker", "build", "--label", label+"="+runID, "-t", image, ctx)
	if r.err != nil {
		return fmt.Errorf("docker build: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// sweep removes whatever carries this run's label, after the tests' own
// cleanups: containers first (they hold volumes and networks), then volumes,
// networks and the image.
func sweep() {
	ctx := context.Background()
	if builtBinaries != "" {
		os.RemoveAll(builtBinaries)
	}
	filter := "label=" + label + "=" + runID
	list := func(args ...string) []string {
		return strings.Fields(cmd(ctx, time.Minute, "docker", append(args, "-q", "--filter", filter)...).stdout)
	}
	if ids := list("ps", "-a"); len(ids) > 0 {
		fmt.Printf("e2e: sweep: removing %d containers\n", len(ids))
		cmd(ctx, 2*time.Minute, "docker", append([]string{"rm", "-f", "-v"}, ids...)...)
	}
	if ids := list("volume", "ls"); len(ids) > 0 {
		fmt.Printf("e2e: sweep: removing %d volumes\n", len(ids))
		cmd(ctx, time.Minute, "docker", append([]string{"volume", "rm", "-f"}, ids...)...)
	}
	if ids := list("network", "ls"); len(ids) > 0 {
		fmt.Printf("e2e: sweep: removing %d networks\n", len(ids))
		cmd(ctx, time.Minute, "docker", append([]string{"network", "rm"}, ids...)...)
	}
	if image != "" {
		if r := cmd(ctx, time.Minute, "docker", "rmi", "-f", image); r.err != nil && !strings.Contains(r.stderr, "No such image") {
			fmt.Printf("e2e: sweep: docker rmi %s: %v: %s\n", image, r.err, r.stderr)
		}
	}
}

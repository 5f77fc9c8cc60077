// Package e2e holds the Docker end-to-end tests of the image: the
// Dockerfile, rootfs/ and compose.yaml, with hermes-init as PID 1 and the
// stub gateway as "hermes", driven from outside through the docker and
// compose command lines and the files of the volume, as a user meets them.
//
// They run only when HERMES_E2E=1 (scripts/e2e sets it), so that
// `go test ./...` never builds an image or starts a container; asked to run
// when the Docker engine does not answer, they fail:
//
//	e2e: FAIL: HERMES_E2E=1 but the docker engine does not answer (...)
//
// scripts/test runs them when the docker command exists or
// HERMES_TEST_REQUIRE declares docker, and skips them, saying so, with
// HERMES_E2E=0. TestMain builds the static binaries (or takes them from
// HERMES_INIT_BIN_DIR), builds the image from a copy of Dockerfile,
// .dockerignore and rootfs/ under a tag unique to the run, and removes it at
// the end.
//
// Every test works on deployments of its own (a compose project, or a
// container, with its own named volume), labelled hermes-init-e2e=<run>;
// t.Cleanup removes them and TestMain sweeps whatever carries the label, so
// nothing is left behind even after a failure. A failing test prints the
// container's logs, `hermes-init ctl status` and the gateway's log file.
//
// Three ways of running the service, with the same core checks (TestCore):
//
//   - readonly: compose.yaml + compose.readonly-cgroup.yaml, Docker's
//     read-only cgroup mount, so hermes-init runs in its fallback mode
//     ("none");
//   - writable: compose.yaml where the engine's default cgroup namespace is
//     private (cgroup v2 hosts); on a cgroup v1 host, where Compose v1 has no
//     key for a private cgroup namespace, the same settings through `docker
//     run --cgroupns=private` (a recreate is then stop, rm, run, as compose
//     does it). hermes-init makes the cgroup mounts writable (cgroup_mount);
//   - bare: `docker run IMAGE` with Docker's defaults for everything (the
//     main checks only).
//
// The waits poll with deadlines: the engine is slow on small machines.
package e2e

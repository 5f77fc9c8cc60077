// Package stage is what hermes-init does around supervision when it is
// installed as s6-overlay v3's /init: stage 2 before the main program and
// stage 3 after it, for an image built on s6-overlay, unchanged. It owns
//
//   - the inputs, read as data: the S6_* variables (ReadSettings) and the
//     s6-rc service database of /etc/s6-overlay with s6-overlay's own
//     services (ReadDB), whose oneshot scripts package execline lexes;
//   - the order: every service of the "top" bundle comes up as soon as what
//     it depends on is up (fix-attrs, /etc/cont-init.d, the user bundle,
//     /etc/services.d, user2), then the main program; at the stop, every
//     service that came up goes down after what depends on it, then
//     /etc/cont-finish.d runs;
//   - the container's exit code file, /run/s6-linux-init-container-results/exitcode.
//
// It starts nothing itself: one-shot programs (the hook, cont-init and
// cont-finish scripts, oneshots' up and down) run through the supervisor's
// RunOnce, longruns and /etc/services.d are supervisor services it starts
// and stops (supervisor.Stages is the interface it implements). What
// hermes-init adds besides the image's services, the Hermes gateway slots
// and the scan directory, comes in through Dynamic.
//
// docs/s6-overlay.md describes the behaviour for users, with s6-overlay's
// sources and the differences hermes-init makes on purpose.
package stage

// Package boot reconciles a HERMES_HOME volume into a plan of gateway slots
// at container boot, as the Hermes image's stage-2 hook and boot reconciler
// do upstream (NousResearch/hermes-agent: docker/stage2-hook.sh,
// hermes_cli/container_boot.py), and carries the plan out. It never starts
// processes: the supervisor starts the slots whose Autostart is true.
//
// The rules, in the order MakePlan applies them, the rights the home is read
// with, the deliberate differences from upstream and the output of
// `hermes-init plan` are documented once, in docs/plan.md at the
// repository's root; boot/rules_test.go checks MakePlan against a model
// written from that page.
//
// MakePlan is pure apart from reading the home: its inputs are an explicit
// Inputs value (home, the container's main command, an environment lookup,
// the multiplex setting, the time). Apply performs the plan's writes (the
// sweep, the first-boot seed or the legacy migration, the boot log); Boot
// does both in one pass. Every read and write in the home happens with the
// rights of the home's owner, following symbolic links as the owner's own
// gateway follows them, or, in a root-owned home, as root refusing them
// (package homefs). A plan sees the home as a pass that changes it in order
// would see it at each step (a profile reads what an earlier sweep left).
// The JSON form of a Plan (json.go) is the document `hermes-init plan --json`
// prints.
package boot

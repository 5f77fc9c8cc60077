// Package boot reconciles a HERMES_HOME volume into a plan of gateway slots
// at container boot, as the Hermes image's container_boot.py and stage2 hook
// do today (hermes-contract.md §3), and carries the plan out. It never starts
// processes: the supervisor starts the slots whose Autostart is true.
//
// MakePlan is pure apart from reading the home: its inputs are an explicit
// Inputs value (home, the container's main command, an environment lookup,
// the multiplex setting, the time). Apply performs the plan's writes; Boot
// does both in one pass. Every read and write in the home happens with the
// rights of the home's owner, following symbolic links as the owner's own
// gateway follows them, or, in a root-owned home, as root refusing them
// (package homefs). A plan sees the home as a pass that changes it in order
// would see it at each step (a profile reads what an earlier sweep left).
// docs/plan.md lists the rules for people and the deliberate differences
// from upstream. The rules, in the order MakePlan applies them:
//
//  1. Dashboard container: when the main command, stripped of the image's
//     wrapper prefix, starts with "dashboard", the reconciler does nothing:
//     no slots, no sweep, no migration, no boot log (#78803: two containers
//     sharing a home fought over the slots' log locks). The first-boot seed
//     (rule 4) still happens: the image's stage2 hook makes it in every
//     container, before the reconciler looks at the command.
//  2. Inputs: HERMES_HOME (default /opt/data) and the environment.
//  3. Multiplex: hermes-init's setting, else the Hermes gateway
//     configuration as upstream reads it (package gwconfig: a recognised
//     GATEWAY_MULTIPLEX_PROFILES, else config.yaml over gateway.json). Named
//     slots are then registered but never autostarted; the root slot is
//     unaffected.
//  4. First-boot seed and legacy migration, root profile only, only when
//     nothing stands under $HERMES_HOME/gateway_state.json. First the seed:
//     HERMES_GATEWAY_BOOTSTRAP_STATE exactly "running" writes
//     {"gateway_state":"running"}. Otherwise, when HERMES_GATEWAY_NO_SUPERVISE
//     is not 1/true/yes and the stripped command is `gateway run` without
//     --no-supervise, the migration writes {"gateway_state":"running",
//     "desired_state":"running","timestamp":<epoch>,"migrated_from":
//     "legacy-container-cmd"}. Either makes the prior state running. The
//     seed is refused, with a warning, when HERMES_HOME or the state file is
//     a symlink, as the stage2 hook refuses writes "through symlinked path".
//     The migration is upstream's reconciler's own write: with the owner's
//     rights it follows links as that does; as root it is refused through a
//     symlinked HERMES_HOME, and then still starts the gateway (the command
//     asks for it).
//  5. Intent: gateway.Intent (desired_state verbatim, else gateway_state
//     with draining and degraded read as running). Unusable files are "no
//     state" plus a warning; they never abort the boot.
//  6. The root slot "default" (home HERMES_HOME) always exists, so that a
//     start without a profile has a target (PR #30136); autostart when the
//     intent is exactly "running".
//  7. Named profiles: the entries of profiles/ in sorted order that are
//     directories holding SOUL.md. profiles/default is skipped with a
//     warning (the name is the root's). A name that is not a valid profile
//     name, or too long for its slot directory (gateway-<name> and the
//     staging .gateway-<name>.tmp must fit NAME_MAX), is skipped with a
//     warning, and the other profiles go on (Hermes aborted its whole pass
//     there). With the owner's rights a symlinked profile directory is read
//     and swept as if in place; as root it is registered without autostart,
//     with nothing read or swept through it. Autostart = not multiplex and
//     intent "running".
//  8. Sweep: gateway.pid and processes.json in every registered home with a
//     readable directory, nothing else (#13655, #14203).
//  9. Registration: being in Plan.Slots, with Autostart true or false.
//  10. Start semantics: the boot itself starts nothing.
//  11. Boot log: one line per slot, root first, one timestamp per pass,
//     appended to $HERMES_HOME/logs/container-boot.log, rotated to .1 at
//     256 KiB; the format is Hermes's, byte for byte, prior states printed
//     as Python prints them (True, nan, a string as it is).
//  12. prior_exit from state/gateway.lifecycle.json (gateway.ReadPriorExit).
//  13. Summary: the "reconcile: profile=… prior_state=… action=…" lines.
package boot

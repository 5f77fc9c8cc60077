// Package homefs is how hermes-init reads and writes inside a Hermes home
// (HERMES_HOME and the profile homes below it): with the rights of the user
// who owns the home, following symbolic links as that user's own gateway and
// Hermes CLI follow them; or, when the home belongs to root, as root,
// refusing every symbolic link below the home (package nofollow).
//
// Why the owner: upstream's boot reconciler runs as the gateway user, so a
// symlinked profiles/, profile directory, gateway_state.json or state/ ledger
// is read, registered and autostarted as if it were in place. Following
// those links as root would let the volume's user (and whatever it runs)
// point a root read or write anywhere in the container; following them with
// the owner's file-system ids (package fsid) gives exactly the access the
// owner already has. What only root could reach stays unreachable, and a link
// the owner cannot follow fails with a permission error, as it would for the
// gateway.
//
// Rights decides the mode for a home and runs the work (Rights.Do); Dir is a
// directory opened in that mode. Every Dir operation takes one file name; in
// follow mode the final component is treated as Python's pathlib treats it
// upstream: reads, appends and creations follow a symbolic link, unlink and
// rename act on the link itself, and an atomic replace puts a regular file in
// the link's place.
//
// Pending lets a plan see the home as a pass that changes it in order would
// see it at each step (what an earlier step removes is gone, what it creates
// is there), without changing anything.
package homefs

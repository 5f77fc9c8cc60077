// Package fsid runs file-system work with another user's rights: the one
// place where hermes-init switches a thread's file-system user and group.
//
// Linux checks every path lookup, open, create and unlink against the
// calling thread's fsuid and fsgid, which follow the effective ids unless
// setfsuid(2) and setfsgid(2) set them apart. Those calls, like setgroups(2)
// made directly, act on the calling thread only, so Run locks a goroutine to
// its OS thread, switches that thread, runs the work there and switches back.
// Go never clones a locked thread's state into a new thread (the runtime asks
// a clean template thread to create threads while one is locked), and a
// thread whose ids could not be put back is not unlocked: it ends with its
// goroutine instead of going back to the pool.
//
// While the fsuid is not 0 the kernel clears the file-system capabilities
// (CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
// ...) from the thread's effective set, and restores them when it goes back
// to 0. Run also empties the thread's supplementary groups, so root's groups
// grant nothing: what the work can reach is exactly what the user can, through
// its uid and its group.
package fsid

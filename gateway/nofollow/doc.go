// Package nofollow reads and writes files below a trusted directory without
// following symbolic links.
//
// hermes-init runs as root while HERMES_HOME is a volume the unprivileged
// gateway user (and anything it runs) can write. A planted symlink such as
// profiles/x -> /etc must never turn a root read or write inside the home into
// one outside it. Two layers guard against that:
//
//   - every operation goes through an [os.Root], so no path can resolve outside
//     the directory it was opened on, even if a component is swapped for a
//     symlink between a check and the use (the kernel resolves each step with
//     openat and O_NOFOLLOW);
//   - a symlink that is visible when we look is refused outright (ErrSymlink),
//     the way the image's stage2 hook refuses to act "through symlinked path"
//     (hermes-agent's docker/stage2-hook.sh, refuse_symlinked_path).
//
// Reads open with O_NONBLOCK and check the file type after opening, and
// directories open with O_DIRECTORY, so a FIFO or device planted under a
// known name cannot hang or feed the boot.
// Writes are atomic: a temporary file in the same directory, fsync, rename (or
// link, for create-only), fsync of the directory. A kill at any instant leaves
// either the old file or the new one, never a mix; at worst a dot-prefixed
// temporary file stays behind, and the same process's next write to that name
// removes it.
package nofollow

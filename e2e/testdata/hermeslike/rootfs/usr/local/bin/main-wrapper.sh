#!/command/with-contenv sh
# The image's main program wrapper, in the manner of an s6-overlay image's:
# the container's command runs as the gateway user; a first word that is
# not a program is a hermes subcommand.
set -e
as_user() { if [ "$(id -u)" = 0 ]; then exec s6-setuidgid hermes "$@"; fi; exec "$@"; }
[ "$#" -gt 0 ] || as_user hermes
if command -v "$1" >/dev/null 2>&1; then as_user "$@"; fi
as_user hermes "$@"

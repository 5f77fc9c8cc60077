# The hermes-init demo image: hermes-init as PID 1 supervising the stub
# gateway (installed as "hermes"), from scratch, so that the build pulls
# nothing. The binaries come from the project's own static build:
#
#   scripts/build            # CGO_ENABLED=0 binaries into bin/
#   docker compose up --build   (docker-compose up --build with Compose v1)
#
# How the real Hermes image adopts hermes-init instead of s6-overlay and tini:
# docs/hermes-image.md.
FROM scratch

# /etc: passwd and group (hermes = 10000:10000, read directly by hermes-init,
# no NSS) and the configuration, /etc/hermes-init/image.toml.
# /run: the control socket's directory; /tmp: a mount point. Each is copied on
# its own: a COPY of the whole of rootfs/ would give /opt/data back to root.
COPY rootfs/etc/ /etc/
COPY rootfs/run/ /run/
COPY rootfs/tmp/ /tmp/
# The data root belongs to the gateway user; a fresh named volume on
# /opt/data takes this owner. (A scratch image has no shell to chown with.)
COPY --chown=10000:10000 rootfs/opt/data/ /opt/data/

COPY bin/hermes-init /usr/local/bin/hermes-init
COPY bin/stub-gateway /usr/local/bin/hermes
# s6 compatibility ([s6] compat in image.toml): /command/s6-svc, s6-svstat,
# s6-svwait, s6-svscanctl, s6-setuidgid, with-contenv and s6-log are symlinks
# to hermes-init, which the Hermes CLI runs by these absolute paths.
COPY rootfs/command/ /command/

ENV PATH=/usr/local/bin \
    HERMES_HOME=/opt/data \
    HERMES_INIT_CONFIG=/etc/hermes-init/image.toml

VOLUME /opt/data

# hermes-init turns SIGTERM into a container stop: SIGTERM (without a
# planned-stop marker) to every gateway, SIGKILL of what is left after its
# grace (8s), exit 0, or 137 if something had to be killed.
STOPSIGNAL SIGTERM

# Healthy when every slot that should be up is up (the control socket's
# `health`). A docker exec, run as root, which the socket allows.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["hermes-init", "ctl", "health"]

# Without a command, services-only mode: the gateway slots of the volume's
# profiles are the services, and the container lives until it is stopped.
# The "--" lets upstream's container commands through unchanged: "gateway run"
# (compose's command in the Hermes repository) is the legacy form the default
# slot supervises instead; "hermes dashboard" makes a dashboard container that
# reconciles no gateways; anything else is a main command whose exit ends the
# container. hermes-init's flags are all HERMES_INIT_* variables too.
ENTRYPOINT ["hermes-init", "--"]
CMD []

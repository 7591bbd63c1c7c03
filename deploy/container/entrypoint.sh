#!/bin/sh
# Container entry point: run a phigate sub-command (serve, portal, audit verify ...).
#
# Secrets come from files, never from the environment the orchestrator shows: when
# PHIGATE_DB_PASSWORD_FILE names a file (a Compose or Kubernetes secret), its first line
# becomes PGPASSWORD for this process only, so the store URLs in phigate.yaml carry no password
# (postgresql+psycopg://phigate@postgres/phigate).
set -eu
if [ -n "${PHIGATE_DB_PASSWORD_FILE:-}" ]; then
    if [ ! -r "$PHIGATE_DB_PASSWORD_FILE" ]; then
        echo "phigate-entrypoint: cannot read PHIGATE_DB_PASSWORD_FILE ($PHIGATE_DB_PASSWORD_FILE)" >&2
        exit 78
    fi
    IFS= read -r PGPASSWORD < "$PHIGATE_DB_PASSWORD_FILE" || [ -n "${PGPASSWORD:-}" ]
    export PGPASSWORD
fi
unset PHIGATE_DB_PASSWORD_FILE
exec /opt/phigate/.venv/bin/phigate "$@"

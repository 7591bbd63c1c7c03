#!/bin/sh
# Make the secrets deploy/compose/compose.yaml reads, once, before the first "docker compose up".
#   sudo sh deploy/compose/init-secrets.sh [PORTAL_HOSTNAME]
# Writes deploy/compose/secrets/ (0700, root): a random database password and a self-signed
# certificate for the portal (replace portal.crt/portal.key with your real ones later).
# Existing files are kept, so running it again changes nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir="${PHIGATE_SECRETS_DIR:-$here/secrets}"
portal_host="${1:-portal.practice.example}"
# The UID/GID the phigate image runs as (deploy/container/Containerfile).
uid="${PHIGATE_UID:-10025}"
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"
if [ ! -s "$dir/db_password" ]; then
    openssl rand -hex 24 > "$dir/db_password"
fi
if [ ! -s "$dir/portal.key" ]; then
    openssl req -x509 -newkey rsa:3072 -sha256 -days 825 -nodes \
        -subj "/CN=$portal_host" -addext "subjectAltName=DNS:$portal_host" \
        -keyout "$dir/portal.key" -out "$dir/portal.crt" 2>/dev/null
fi
# Compose bind-mounts secret files with their host owner and mode: the postgres user and
# phigate (UID $uid) must read the password; only phigate reads the portal key.
chmod 0444 "$dir/db_password" "$dir/portal.crt"
chmod 0400 "$dir/portal.key"
if [ "$(id -u)" = 0 ]; then
    chown "$uid:$uid" "$dir/portal.key"
else
    echo "init-secrets: not root, so $dir/portal.key stays yours; run: sudo chown $uid:$uid $dir/portal.key" >&2
fi
echo "secrets in $dir"

#!/bin/bash
# Build the phigate container image (deploy/container/Containerfile) with podman, without any
# container registry: the base image is a Debian bookworm root file system made by debootstrap
# from the apt mirror this host uses, imported as localhost/phigate-base:bookworm.
#
#   bash scripts/build-image.sh            # builds phigate:0.1 (prints the image id)
#   PHIGATE_IMAGE=phigate:test bash scripts/build-image.sh
#
# Idempotent: the base root file system is cached as a tarball under $PHIGATE_IMAGE_CACHE
# (default ~/.cache/phigate-image) and imported only when podman does not have it; the build
# itself reuses podman's layer cache. Needs root (debootstrap), podman and debootstrap:
#   apt-get install podman debootstrap runc
# With a registry, build the normal way instead (the Containerfile's default base is the public
# python:3.11-slim-bookworm):  podman build -f deploy/container/Containerfile -t phigate:0.1 .
#
# Host quirks handled here (found on a cgroup v1/v2 "hybrid" VM without CAP_SYS_RESOURCE):
# crun refuses hybrid cgroups, so runc is used when /sys/fs/cgroup/unified exists; podman's
# default rlimits (nofile and nproc in the millions) cannot be set, so containers get the host's
# hard limits. Both go into a containers.conf in the cache folder (CONTAINERS_CONF), so other
# podman users on the host are not affected. Source this file's output with `env` to reuse it:
#   CONTAINERS_CONF=~/.cache/phigate-image/containers.conf podman run ...
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache="${PHIGATE_IMAGE_CACHE:-$HOME/.cache/phigate-image}"
image="${PHIGATE_IMAGE:-phigate:0.1}"
base="${PHIGATE_BASE_IMAGE:-localhost/phigate-base:bookworm}"
suite=bookworm
# The first URIs: line of the configured Debian sources (deb822 or one-line format).
mirror="${PHIGATE_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v -- '-security' | head -n 1 || true)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
fi
mirror="${mirror:-http://deb.debian.org/debian}"

die() {
    echo "build-image: $*" >&2
    exit 1
}
command -v podman >/dev/null || die "podman is missing (apt-get install podman runc)"

mkdir -p "$cache"
conf="$cache/containers.conf"
conf_new=$(mktemp "$conf.XXXXXX")
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
# nproc above 32768 was refused on the VM this was written on even below its hard limit.
nproc=$(ulimit -Hu)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then
    nproc=32768
fi
{
    echo "# Written by scripts/build-image.sh; used through CONTAINERS_CONF only."
    echo "[containers]"
    echo "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
    if [ -d /sys/fs/cgroup/unified ] && command -v runc >/dev/null; then
        echo "[engine]"
        echo "runtime = \"runc\""
    fi
} > "$conf_new"
chmod 0644 "$conf_new"
mv "$conf_new" "$conf"
CONTAINERS_CONF="$conf"
export CONTAINERS_CONF

# 1. The base root file system: Debian bookworm minbase with python3 (3.11) and venv.
tarball="$cache/debian-$suite-minbase-python3.tar"
if [ ! -s "$tarball" ]; then
    [ "$(id -u)" = 0 ] || die "making the base root file system needs root"
    work=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    # The image's apt sees the same mirror, with updates and security fixes.
    sources="deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main"
    if command -v mmdebstrap >/dev/null; then
        # mmdebstrap (several times faster than debootstrap: one apt run, no second stage)
        # writes the tarball itself and cleans apt's lists and archives.
        echo "build-image: mmdebstrap $suite from $mirror (once; cached in $tarball)" >&2
        mmdebstrap --variant=minbase --quiet \
            --include=python3,python3-venv,python-is-python3,ca-certificates \
            --customize-hook="printf '%s\\n' '$sources' > \"\$1/etc/apt/sources.list\"" \
            "$suite" "$work/base.tar" "$mirror" >"$work/mmdebstrap.log" 2>&1 \
            || { tail -n 20 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
        mv "$work/base.tar" "$tarball.new"
    else
        command -v debootstrap >/dev/null || die "debootstrap or mmdebstrap is missing (apt-get install mmdebstrap)"
        echo "build-image: debootstrap $suite from $mirror (once; cached in $tarball)" >&2
        debootstrap --variant=minbase \
            --include=python3,python3-venv,python-is-python3,ca-certificates \
            "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
            || { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
        printf '%s\n' "$sources" > "$work/root/etc/apt/sources.list"
        rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
        tar --numeric-owner -C "$work/root" -cf "$tarball.new" .
    fi
    mv "$tarball.new" "$tarball"
    rm -rf "$work"
    trap - EXIT
fi

# 2. Import it (again only when the tarball is newer than what podman holds).
rootfs_image="localhost/phigate-debootstrap:$suite"
stamp="$cache/imported"
if ! podman image exists "$rootfs_image" || [ "$tarball" -nt "$stamp" ]; then
    echo "build-image: importing $rootfs_image" >&2
    podman import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/bash"]' \
        "$tarball" "$rootfs_image" >/dev/null
    touch "$stamp"
fi

# 3. The base: the imported system plus this site's own CAs (/usr/local/share/ca-certificates,
# e.g. a TLS-inspecting proxy between the build and PyPI), trusted by apt, pip and phigate as
# they are on the host. No local CA: the base is the imported system as it is.
ctx=$(mktemp -d "$cache/base-context.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir "$ctx/ca"
cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
{
    echo "FROM $rootfs_image"
    if [ -n "$(ls "$ctx/ca")" ]; then
        echo "COPY ca/ /usr/local/share/ca-certificates/"
        echo "RUN update-ca-certificates >/dev/null 2>&1 && printf '[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n' > /etc/pip.conf"
    fi
} > "$ctx/Containerfile"
podman build --quiet -f "$ctx/Containerfile" -t "$base" "$ctx" >/dev/null
rm -rf "$ctx"
trap - EXIT

# 4. The phigate image itself, in docker format (OCI images have no HEALTHCHECK); podman's
# layer cache makes a rebuild with no change quick.
cd "$repo"
podman build --quiet --format docker \
    --build-arg "BASE_IMAGE=$base" \
    -f deploy/container/Containerfile \
    -t "$image" .

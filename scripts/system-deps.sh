#!/bin/sh
# Install the Debian packages phigate's tests need, if any is missing.
set -eu
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# gpgsm, sq and libnss3-tools (cmsutil) read what phigate encrypts in the interop tests.
# fail2ban-regex checks the shipped fail2ban filter against a real log line.
for pkg in postfix swaks openssl gnupg gpgsm sq libnss3-tools fail2ban tesseract-ocr tesseract-ocr-eng chromium; do
    have "$pkg" || need="$need $pkg"
done
# systemd-analyze scores the shipped units (it is in Debian's systemd package).
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
# Node.js (with npm) runs the browser test; the machine image may ship its own build.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need="$need nodejs npm"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$need -- run: sudo apt-get install -y$need" >&2
    exit 1
fi
echo "installing Debian packages:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $need >/dev/null

#!/bin/bash
# Install what gdfs needs to build and test on Debian 12, if missing.
# Runs as root (apt-get); does nothing when everything is there already.
#   tests/install-deps.sh          build + test packages
#   tests/install-deps.sh --build  only what building and running needs
set -eu
build_pkgs="gcc make autoconf automake libtool pkg-config libsqlite3-dev
libssh2-1-dev libiniparser-dev libssl-dev check"
test_pkgs="python3 time clang libclang-rt-14-dev sqlite3 procps iproute2
openssh-server openssh-client clang-format"
pkgs=$build_pkgs
[ "${1:-}" = --build ] || pkgs="$pkgs $test_pkgs"
missing=()
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Build (or reuse) a Debian sid root holding Asterisk 22, shared by the PBX and the
# simulated carrier. Idempotent: a root with a finished marker is reused as is.
set -euo pipefail

ROOT="${ASTERISK_ROOT:-/var/cache/cpaas-engine/asterisk-root}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MARKER="$ROOT/.cpaas-engine-ready"
PACKAGES="asterisk asterisk-modules asterisk-core-sounds-en-gsm sox"

if [[ -f "$MARKER" ]]; then
    echo "asterisk root ready at $ROOT"
    exit 0
fi

command -v debootstrap >/dev/null || {
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
}

rm -rf "$ROOT"
mkdir -p "$(dirname "$ROOT")"
echo "debootstrapping Debian sid into $ROOT"
debootstrap --variant=minbase sid "$ROOT" "$MIRROR"

# The DNS trap: Asterisk blocks on lookups that never answer here. Resolve our own
# hostname locally and give the root no resolver at all.
printf '127.0.0.1 localhost %s\n::1 localhost\n' "$(hostname)" >"$ROOT/etc/hosts"
: >"$ROOT/etc/resolv.conf"
# apt inside the root still needs to reach the mirror, so it uses the host's resolver
# only for the duration of the install.
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
chroot "$ROOT" apt-get -o Acquire::Check-Valid-Until=false update -q
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends $PACKAGES
chroot "$ROOT" apt-get clean
: >"$ROOT/etc/resolv.conf"
touch "$MARKER"
echo "asterisk root ready at $ROOT"

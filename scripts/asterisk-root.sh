#!/usr/bin/env bash
# Build (or reuse) a Debian sid root holding Asterisk 22, shared by the PBX and the
# simulated carrier. Idempotent: a root with a finished marker is reused as is.
set -euo pipefail

ROOT="${ASTERISK_ROOT:-/var/cache/cpaas-engine/asterisk-root}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Bump the marker's version whenever PACKAGES changes, so existing roots are rebuilt.
MARKER="$ROOT/.cpaas-engine-ready-v2"
PACKAGES="asterisk asterisk-modules asterisk-core-sounds-en-gsm asterisk-moh-opsound-gsm sox"

if [[ -f "$MARKER" ]]; then
    echo "asterisk root ready at $ROOT"
    exit 0
fi

command -v debootstrap >/dev/null || {
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
}

# A stale root may still have proc or a stack's directories mounted in it: unmount them
# first, and never let rm cross into another file system.
if [[ -d "$ROOT" ]]; then
    findmnt -rn -o TARGET | grep -F "$ROOT/" | sort -r | while read -r mnt; do
        umount -l "$mnt" || true
    done
    rm -rf --one-file-system "$ROOT"
fi
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

#!/usr/bin/env bash
# System packages for the local stack on Debian 12, then the Asterisk root.
# Idempotent and quick when everything is already there. Needs root.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "scripts/setup-system.sh must run as root (it installs Debian packages)" >&2
    exit 1
fi

PACKAGES=(postgresql-15 postgresql-client-15 debootstrap sox espeak-ng util-linux
          procps ca-certificates)
# MP3 for <Play>: sox's MP3 format links libmad (GPL-2.0), an optional piece; WITH_MP3=0
# leaves it out (WAV and the other formats sox reads still play).
if [[ "${WITH_MP3:-1}" != 0 ]]; then
    PACKAGES+=(libsox-fmt-mp3)
fi
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    PACKAGES+=(python3-venv)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -q
    # Debian's postgresql package would start a cluster of its own; we run ours under var/.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql/15/main ]]; then
        pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
    fi
fi

exec "$(dirname "$0")/asterisk-root.sh"

#!/usr/bin/env bash
# Install the Debian packages the project needs, only those that are missing.
source "$(dirname "$0")/lib.sh"

PACKAGES=(
  git gcc libpq-dev                    # NetBox's psycopg[c] builds against libpq
  postgresql redis-server              # NetBox's database and queue
  kea-dhcp4-server kea-dhcp6-server kea-ctrl-agent kea-admin   # real Kea 2.2 for tests and the demo
  debootstrap zstd                     # Debian 13 roots with real Kea 2.6 and 3.0 for the tests (kealab/roots.py)
  mmdebstrap uidmap                    # the same roots built without root, in a user namespace (kealab/roots.py)
  chromium chromium-driver             # the browser test (tests/e2e/test_live.py): headless, driven by Selenium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

log "installing system packages: ${missing[*]}"
# policy-rc.d keeps Debian from starting the system-wide PostgreSQL, Redis and Kea services:
# the project runs its own instances on loopback.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy"
  created_policy=1
fi
install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }
install || { as_root apt-get update && install; }
[ $created_policy = 1 ] && as_root rm -f "$policy"
exit 0

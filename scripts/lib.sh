# Common settings and helpers for the scripts/*.sh entry points. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${KEA_HA_WORK:-$ROOT/.work}
NETBOX_VERSION=${NETBOX_VERSION:-v4.6.8}
NETBOX_REPO=${NETBOX_REPO:-https://github.com/netbox-community/netbox}
NETBOX_DIR=$WORK/netbox
VENV=$WORK/venv
RUN=$WORK/run
STATE=$WORK/state.env
mkdir -p "$WORK" "$RUN"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Run a command as root (directly, or through sudo when we are not root).
as_root() {
  if is_root; then "$@"; else sudo -n "$@" || die "need root to run: $* (run as root or allow sudo)"; fi
}

# The account that owns and runs PostgreSQL and Redis: PostgreSQL refuses to run as root.
service_user() { if is_root; then echo postgres; else id -un; fi; }

# Run a command as the service account.
as_service() {
  if is_root; then runuser -u "$(service_user)" -- "$@"; else "$@"; fi
}

# Is a process with the PID in file $1 alive?
pid_alive() { [ -s "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# First free TCP port on 127.0.0.1 at or above $1.
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(('127.0.0.1', port))
        except OSError:
            port += 1
            continue
    print(port)
    break
PY
}

# Read a KEY=value from the state file ($STATE), or print nothing.
state_get() { [ -f "$STATE" ] && sed -n "s/^$1=//p" "$STATE" | tail -n1 || true; }

# Write KEY=value into the state file, replacing an earlier value.
state_set() {
  touch "$STATE"
  grep -v "^$1=" "$STATE" > "$STATE.tmp" || true
  echo "$1=$2" >> "$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
}

# The Python >= 3.12 to build the venv with: $PYTHON, python3.12/3.13/3.14 on PATH, or a pyenv version.
find_python() {
  local cand
  for cand in ${PYTHON:-} python3.12 python3.13 python3.14 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for cand in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]' | sort -V); do
      echo "$(pyenv prefix "$cand")/bin/python3"; return 0
    done
  fi
  die "Python >= 3.12 not found (NetBox 4.6 needs it). Install python3.12 or set PYTHON=/path/to/python3.12"
}

# Environment for NetBox management commands. KEA_HA_ENV selects the demo or test settings in dev/configuration.py.
nb_env() { export KEA_HA_ROOT="$ROOT" PATH="$VENV/bin:$PATH"; }

# The common start of `make test` and `make bench`: system packages, NetBox and the venv, PostgreSQL and Redis
# (stopped again when the script exits, if this run started them), NetBox's environment, in the repository.
prepare_run() {
  "$ROOT/scripts/sysdeps.sh"
  "$ROOT/scripts/netbox.sh"
  if [ "$("$ROOT/scripts/services.sh" start | tail -n1)" = started ]; then
    trap '"$ROOT/scripts/services.sh" stop' EXIT
  fi
  nb_env
  cd "$ROOT"
}
manage() { nb_env; (cd "$NETBOX_DIR/netbox" && "$VENV/bin/python" manage.py "$@"); }

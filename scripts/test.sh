#!/usr/bin/env bash
# make test: lint, migrations check, type check of the Kea layer, then the whole suite against real NetBox,
# PostgreSQL, Redis and Kea. Every step runs; the exit code is non-zero if any failed.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/kea -k client).
source "$(dirname "$0")/lib.sh"

prepare_run

# Real Kea 2.6 and 3.0 run from Debian 13 roots (debootstrap, about 40 s each the first time, then cached in
# .work/kealab-roots). Building them needs root and the Debian archive; when that is not possible the tests that
# need them are skipped, and this says why.
if is_root && [ "${KEALAB_ROOTS:-1}" = 1 ]; then
  log 'Kea 2.6 and 3.0 roots'
  if python -c "from kealab.roots import ensure_root; ensure_root('2.6'); ensure_root('3.0')"; then
    export KEALAB_ROOTS=1
  else
    echo 'warning: could not build the Kea 2.6/3.0 roots; their tests will be skipped' >&2
    export KEALAB_ROOTS=0
  fi
fi

failed=()
step() {
  local name=$1; shift
  log "$name"
  "$@" || failed+=("$name")
}
step 'ruff check' ruff check .
step 'ruff format --check' ruff format --check .
step 'mypy netbox_kea_ha/kea' mypy
step 'makemigrations --check' env KEA_HA_ENV=test \
  "$VENV/bin/python" "$NETBOX_DIR/netbox/manage.py" makemigrations --check --dry-run netbox_kea_ha
step pytest "$VENV/bin/pytest" -q "$@"

if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED steps: %s\n' "${failed[*]}" >&2
  exit 1
fi
log 'all checks passed'

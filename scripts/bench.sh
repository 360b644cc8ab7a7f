#!/usr/bin/env bash
# make bench: every benchmark in bench/, one after another (they start their own real Kea servers), figures printed.
# The NetBox ones use the test database of `make test` (built here first when it is missing, about 4 minutes).
# Extra arguments: the benchmarks to run (default: all), e.g. scripts/bench.sh sync_noop_fleet status_fleet
source "$(dirname "$0")/lib.sh"

prepare_run

if ! KEA_HA_ENV=test "$VENV/bin/python" - <<'PY' 2>/dev/null; then
import os, sys
sys.path[:0] = ['dev', '.work/netbox/netbox']
os.environ['DJANGO_SETTINGS_MODULE'] = 'test_settings'
import django
from django.conf import settings
db = settings.DATABASES['default']
db['NAME'] = db['TEST']['NAME']
django.setup()
from django.db import connection
connection.ensure_connection()
PY
  log 'building the test database for the NetBox benchmarks'
  "$VENV/bin/pytest" -q tests/e2e/test_status.py -k chunks >/dev/null
fi

benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(normalise_10k rollout_noop status_concurrency status_fleet import_2000 sync_noop_fleet fleet_200 ipam_render push_loss leases)
for bench in "${benches[@]}"; do
  log "bench/$bench.py"
  "$VENV/bin/python" "bench/$bench.py"
done

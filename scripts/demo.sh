#!/usr/bin/env bash
# make demo: NetBox + this plugin + a real Kea 2.2 HA trio on loopback, the primary imported, status read, synced.
# A second run is quick: no second migration, no duplicate objects, running processes are kept.
source "$(dirname "$0")/lib.sh"

WEB_HOST=127.0.0.1
WEB_PORT=${NETBOX_PORT:-8080}
DEMO=$WORK/demo
KEA_ADDRESSES=(127.0.0.11 127.0.0.12 127.0.0.13)
mkdir -p "$DEMO"

"$ROOT/scripts/sysdeps.sh"
"$ROOT/scripts/netbox.sh"
"$ROOT/scripts/services.sh" start >/dev/null
nb_env
cd "$ROOT"

if ! manage migrate --check >/dev/null 2>&1; then
  log "migrating NetBox's database (the first run takes about 4 minutes)"
  manage migrate --no-input >"$DEMO/migrate.log" 2>&1 || { tail -20 "$DEMO/migrate.log"; die "migration failed"; }
fi

# A real Kea 2.2 trio: primary, secondary (load-balancing) and a backup, each on its own loopback address and
# the same Control Agent port, like servers on their own hosts.
if ! "$VENV/bin/python" -m kealab status --dir "$DEMO/kea" >/dev/null 2>&1; then
  [ -f "$DEMO/kea/lab.json" ] && "$VENV/bin/python" -m kealab down --dir "$DEMO/kea" >/dev/null 2>&1 || true
  port=$(state_get DEMO_KEA_PORT)
  port_free() {
    python3 - "$1" "${KEA_ADDRESSES[@]}" <<'PY'
import socket, sys
port = int(sys.argv[1])
for address in sys.argv[2:]:
    with socket.socket() as s:
        try:
            s.bind((address, port))
        except OSError:
            sys.exit(1)
PY
  }
  for candidate in ${port:-} 8000 $(seq 18000 18100); do
    port_free "$candidate" && { port=$candidate; break; }
  done
  state_set DEMO_KEA_PORT "$port"
  log "starting a Kea 2.2 HA trio on ${KEA_ADDRESSES[*]} port $port"
  "$VENV/bin/python" -m kealab up --dir "$DEMO/kea" --mode load-balancing --backup \
    --address "${KEA_ADDRESSES[0]}" --port "$port" || die "the Kea servers did not start (see $DEMO/kea)"
fi

log "loading demo objects"
KEA_HA_DEMO_DIR=$DEMO KEA_HA_DEMO_ADDRESSES="${KEA_ADDRESSES[*]}" manage shell --no-imports \
  < "$ROOT/scripts/demo_data.py" 2>&1 | grep -v 'objects imported' | tail -3

# Web server and RQ worker, recorded by PID for `make stop`.
start_bg() {
  local name=$1; shift
  pid_alive "$RUN/$name.pid" && return 0
  # `nohup` alone in the background, so that $! is the process itself (it execs python), not a subshell.
  (
    cd "$NETBOX_DIR/netbox" || exit 1
    nohup "$VENV/bin/python" manage.py "$@" >"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
  )
}
if ! pid_alive "$RUN/web.pid"; then
  [ "$(free_port "$WEB_PORT")" = "$WEB_PORT" ] || die "port $WEB_PORT is taken: stop what uses it or run NETBOX_PORT=8090 make demo"
  log "starting NetBox on http://$WEB_HOST:$WEB_PORT/"
  start_bg web runserver "$WEB_HOST:$WEB_PORT" --insecure --noreload
fi
log "starting an RQ worker"
start_bg rqworker rqworker high default low
for _ in $(seq 100); do curl -fs -o /dev/null "http://$WEB_HOST:$WEB_PORT/login/" && break; sleep 0.3; done
curl -fs -o /dev/null "http://$WEB_HOST:$WEB_PORT/login/" || die "NetBox did not answer, see $RUN/web.log"

log "importing kea-1 from its running config (a NetBox job)"
manage kea_ha_import kea-1 --wait
log "reading the HA state of every server"
manage kea_ha_status --wait
log "syncing every relationship"
manage kea_ha_sync --all --wait

cat <<MSG

NetBox with netbox-kea-ha is running:
  web        http://$WEB_HOST:$WEB_PORT/   (user admin, password admin)
  API token  $(cat "$DEMO/api-token")
  Kea        ${KEA_ADDRESSES[*]} port $(state_get DEMO_KEA_PORT) (python -m kealab status --dir $DEMO/kea)
Look at: Kea HA > Relationships, and the "Kea HA" tab of device kea-1.
Stop everything with: make stop
MSG

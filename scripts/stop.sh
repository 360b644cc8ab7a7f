#!/usr/bin/env bash
# make stop: stop everything `make demo` and `make test` started (by the PIDs they recorded).
source "$(dirname "$0")/lib.sh"

for name in rqworker web; do
  pidfile=$RUN/$name.pid
  if pid_alive "$pidfile"; then
    pid=$(head -n1 "$pidfile")
    log "stopping $name (pid $pid)"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
done
if [ -f "$WORK/demo/kea/lab.json" ] && [ -x "$VENV/bin/python" ]; then
  log "stopping the demo's Kea servers"
  (cd "$ROOT" && "$VENV/bin/python" -m kealab down --dir "$WORK/demo/kea") || true
fi
"$ROOT/scripts/services.sh" stop

#!/usr/bin/env bash
# services.sh start|stop|status: PostgreSQL and Redis on 127.0.0.1, run by an unprivileged account,
# data under .work/. Ports are chosen free on first start and kept in .work/state.env.
# `start` prints "started" when it started anything, so callers can stop only what they started.
source "$(dirname "$0")/lib.sh"

pg_bin() {
  local d
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return; fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$d" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  echo "$d"
}
PGBIN=$(pg_bin)
SVC_USER=$(service_user)

# Where PostgreSQL and Redis keep their data: .work/ when the service account can write there,
# otherwise (root, with the checkout in a directory other accounts cannot enter) a private dir in /tmp.
data_home() {
  local home
  home=$(state_get DATA_HOME)
  if [ -z "$home" ]; then
    home=$WORK/data
    mkdir -p "$home"
    if is_root; then
      chown "$SVC_USER" "$home"
      if ! runuser -u "$SVC_USER" -- test -w "$home"; then
        home=${TMPDIR:-/tmp}/netbox-kea-ha-$(echo "$ROOT" | sha1sum | cut -c1-10)
        mkdir -p "$home" && chown "$SVC_USER" "$home" && chmod 700 "$home"
      fi
    fi
    state_set DATA_HOME "$home"
  fi
  echo "$home"
}
HOME_DIR=$(data_home)
PGDATA=$HOME_DIR/pg
REDIS_DIR=$HOME_DIR/redis

pg_running() { as_service "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
redis_running() { pid_alive "$REDIS_DIR/redis.pid"; }

# Keep the recorded port if it is still ours or free; otherwise take the next free one.
pick_port() {
  local key=$1 base=$2 port
  port=$(state_get "$key")
  if [ -z "$port" ] || [ "$(free_port "$port")" != "$port" ]; then port=$(free_port "$base"); fi
  state_set "$key" "$port"
  echo "$port"
}

start() {
  local started=0
  if ! pg_running; then
    local port; port=$(pick_port PG_PORT 54320)
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      log "initialising PostgreSQL in $PGDATA"
      as_service mkdir -p "$PGDATA"
      as_service "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    log "starting PostgreSQL on 127.0.0.1:$port"
    as_service "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -o \
      "-c listen_addresses=127.0.0.1 -p $port -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    local psql="$PGBIN/psql -h 127.0.0.1 -p $port -U postgres -qAt"
    $psql -c "SELECT 1 FROM pg_roles WHERE rolname='netbox'" | grep -q 1 \
      || $psql -c "CREATE ROLE netbox LOGIN PASSWORD 'netbox' CREATEDB"
    $psql -c "SELECT 1 FROM pg_database WHERE datname='netbox'" | grep -q 1 \
      || $psql -c "CREATE DATABASE netbox OWNER netbox"
    started=1
  fi
  if ! redis_running; then
    local port; port=$(pick_port REDIS_PORT 63790)
    as_service mkdir -p "$REDIS_DIR"
    log "starting Redis on 127.0.0.1:$port"
    as_service redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$REDIS_DIR" \
      --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save '' --appendonly no
    for _ in $(seq 50); do redis_running && break; sleep 0.1; done
    redis_running || die "Redis did not start, see $REDIS_DIR/redis.log"
    started=1
  fi
  [ $started = 1 ] && echo started || true
}

stop() {
  if pg_running; then
    log "stopping PostgreSQL"
    as_service "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  if redis_running; then
    log "stopping Redis (pid $(head -n1 "$REDIS_DIR/redis.pid"))"
    kill "$(head -n1 "$REDIS_DIR/redis.pid")"
    for _ in $(seq 50); do redis_running || break; sleep 0.1; done
  fi
}

status() {
  pg_running && echo "PostgreSQL: running on 127.0.0.1:$(state_get PG_PORT)" || echo "PostgreSQL: stopped"
  redis_running && echo "Redis: running on 127.0.0.1:$(state_get REDIS_PORT)" || echo "Redis: stopped"
}

"${1:-status}"

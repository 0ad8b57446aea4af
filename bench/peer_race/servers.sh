#!/usr/bin/env bash
# Start (or stop) both apps under gunicorn on loopback: 1 sync worker each, same options.
#   PEER_DIR=<peer harness dir> PEER_VENV=<its venv> KMCS_DIR=<KMCS checkout> \
#   HD_DB=postgres://postgres@127.0.0.1:5432/helpdesk_race KMCS_DB=postgres://postgres@127.0.0.1:5432/kmcs_race \
#   ./servers.sh start|stop
# PIDs and logs go to ./run/ (stop kills exactly those PIDs).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# Defaults: the peer harness is this folder, its venv var/peer-venv (bench/peer_race/setup.sh),
# KMCS the checkout this folder is in.
PEER_DIR="${PEER_DIR:-$HERE}"; PEER_VENV="${PEER_VENV:-$HERE/../../var/peer-venv}"
KMCS_DIR="${KMCS_DIR:-$HERE/../..}"
RUN="$HERE/run"; mkdir -p "$RUN"
OPTS=(--workers 1 --worker-class sync --timeout 120 --log-level warning)
# Both apps keep their database connection between requests, as KMCS production does
# (kmcs_site/settings/production.py); CONN_MAX_AGE=0 races them reconnecting per request.
export CONN_MAX_AGE="${CONN_MAX_AGE:-60}"
case "${1:-}" in
start)
  PEER_DIR="$(cd "$PEER_DIR" && pwd)"; PEER_VENV="$(cd "$PEER_VENV" && pwd)"
  KMCS_DIR="$(cd "$KMCS_DIR" && pwd)"
  cd "$PEER_DIR"
  DATABASE_URL="$HD_DB" DJANGO_SETTINGS_MODULE=hdsite.settings nohup "$PEER_VENV/bin/gunicorn" \
    hdsite.wsgi:application --bind 127.0.0.1:18803 "${OPTS[@]}" >"$RUN/helpdesk.log" 2>&1 &
  echo $! >"$RUN/helpdesk.pid"
  cd "$KMCS_DIR"
  DATABASE_URL="$KMCS_DB" DJANGO_SETTINGS_MODULE=bench.settings nohup .venv/bin/gunicorn \
    kmcs_site.wsgi:application --bind 127.0.0.1:18804 "${OPTS[@]}" >"$RUN/kmcs.log" 2>&1 &
  echo $! >"$RUN/kmcs.pid"
  for port in 18803 18804; do
    for _ in $(seq 60); do
      python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
      sleep 0.5
    done
  done
  echo "helpdesk pid $(cat "$RUN/helpdesk.pid") :18803, kmcs pid $(cat "$RUN/kmcs.pid") :18804";;
stop)
  for app in helpdesk kmcs; do
    [ -f "$RUN/$app.pid" ] && kill "$(cat "$RUN/$app.pid")" 2>/dev/null && echo "stopped $app $(cat "$RUN/$app.pid")"
    rm -f "$RUN/$app.pid"
  done;;
*) echo "usage: $0 start|stop" >&2; exit 2;;
esac

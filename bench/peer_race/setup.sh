#!/usr/bin/env bash
# The peer's own venv (never a dependency of KMCS): django-helpdesk 2.6.1 under gunicorn, in
# var/peer-venv; and gunicorn in KMCS's venv for the race's server. Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${PEER_VENV:-$ROOT/var/peer-venv}"
[ -x "$VENV/bin/python" ] || python3.11 -m venv "$VENV"
"$VENV/bin/pip" install -q 'django>=5.2,<6' django-helpdesk==2.6.1 dj-database-url 'psycopg[binary]' gunicorn==27.0.1
"$ROOT/.venv/bin/pip" install -q gunicorn==27.0.1
echo "peer venv: $VENV"

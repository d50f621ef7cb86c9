#!/usr/bin/env bash
# The Django example in one command: builds eventstream if needed, serves events on :8000
# and the Django app on :8001 (EVENTS_PORT, DJANGO_PORT), until Ctrl-C.
#   bash examples/django/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${EVENTSTREAM_BIN:-$root/build/cmd/eventstream}
if [ ! -x "$bin" ]; then
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build" --target eventstream
fi
python=/usr/bin/python3 # Debian's, which has python3-django and python3-jwt
data=$(mktemp -d)
events=${EVENTS_PORT:-8000} django=${DJANGO_PORT:-8001}
app=http://127.0.0.1:$django
trap 'set +e; kill ${server:-} ${site:-} 2>/dev/null; wait ${server:-} ${site:-} 2>/dev/null; rm -rf "$data"' EXIT INT TERM

# Both programs read the shared secrets from the environment, under the same names.
secret() { "$python" -c 'import secrets; print(secrets.token_urlsafe(32))'; }
export EVENTSTREAM_PUBLISH_KEY=$(secret) EVENTSTREAM_AUTH_SECRET=$(secret) DJANGO_SECRET_KEY=$(secret)
export EVENTSTREAM_URL=http://127.0.0.1:$events DJANGO_DB=$data/django.sqlite3
cd "$here"
"$python" manage.py migrate --verbosity 0
password=$("$python" manage.py demo_user demo _vip)

# Tokens come in the cookie the page sets; channels starting with _ need one, and Django's
# permission webhook must agree; the lobby's channels are whatever Django's mapping says.
"$bin" serve "127.0.0.1:$events" --db "$data/events.db" --auth-cookie eventstream_token --private '_*' \
  --auth-url "$app/eventstream/auth/" --channels-url "$app/eventstream/channels/" \
  --route /events/ --route '/rooms/{room}/events/' --allow-origin "$app" --allow-credentials &
server=$!
"$python" manage.py runserver --noreload "127.0.0.1:$django" &
site=$!
listening() { (: >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$events" "$django"; do
  for _ in $(seq 100); do
    listening "$port" && break
    { kill -0 $server && kill -0 $site; } 2>/dev/null || exit 1 # one did not start; it said why
    sleep 0.1
  done
  listening "$port" || { echo "nothing listens on 127.0.0.1:$port after 10 s" >&2; exit 1; }
done
echo "Open $app/ and log in as demo, password $password"
wait -n $server $site

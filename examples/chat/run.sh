#!/usr/bin/env bash
# The chat example in one command: builds eventstream if needed, serves events on :8000 and
# this page on :8001 (EVENTS_PORT, PAGE_PORT), until Ctrl-C.   bash examples/chat/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/build/cmd/eventstream
if [ ! -x "$bin" ]; then
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build" --target eventstream
fi
data=$(mktemp -d)
events=${EVENTS_PORT:-8000} page=${PAGE_PORT:-8001}
"$bin" serve "127.0.0.1:$events" --db "$data/chat.db" --allow-origin "http://127.0.0.1:$page" &
server=$!
python3 -m http.server "$page" --bind 127.0.0.1 --directory "$here" >/dev/null 2>&1 &
pages=$!
trap 'set +e; kill $server $pages 2>/dev/null; wait $server $pages 2>/dev/null; rm -rf "$data"' EXIT INT TERM
echo "Open http://127.0.0.1:$page/?events=http://127.0.0.1:$events and, in another terminal:"
echo "  bash examples/chat/say.sh ada 'hello'"
wait $server

#!/usr/bin/env bash
# Says TEXT in the chat as NAME:   bash examples/chat/say.sh NAME TEXT
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: bash examples/chat/say.sh NAME TEXT" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
# The message as JSON, with quotes and backslashes escaped.
json() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
"$root/build/cmd/eventstream" send --url "http://127.0.0.1:${EVENTS_PORT:-8000}" chat message "{\"user\": $(json "$1"), \"text\": $(json "$2")}"

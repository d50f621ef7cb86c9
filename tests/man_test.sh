#!/usr/bin/env bash
# The man pages lint clean and know every subcommand and flag: each page in man/ passes
# `mandoc -T lint -W warning` without a message; every subcommand of `eventstream --help`
# has man/eventstream-SUBCOMMAND.1, which names each of its flags (written \-\-flag\-name,
# as man(7) wants dashes) and has EXAMPLES, ENVIRONMENT and EXIT STATUS sections, and
# is named by man/eventstream.1. One line per problem; exit 1 if there was any.
# Usage: bash tests/man_test.sh PATH_TO_EVENTSTREAM
set -uo pipefail
bin=${1:?usage: man_test.sh PATH_TO_EVENTSTREAM}
dir=$(cd "$(dirname "$0")/../man" && pwd)
failed=0
fail() { echo "$*"; failed=1; }

command -v mandoc >/dev/null || fail "mandoc is not installed (apt-get install mandoc)"
pages=("$dir"/*.1)
[ -e "${pages[0]}" ] || fail "no man pages in $dir"
if command -v mandoc >/dev/null; then
  for page in "${pages[@]}"; do
    [ -e "$page" ] || continue
    while IFS= read -r line; do
      [ -n "$line" ] && fail "lint: $line"
    done < <(mandoc -T lint -W warning "$page" 2>&1)
  done
fi

[ -f "$dir/eventstream.1" ] || fail "man/eventstream.1 is missing"

commands=$("$bin" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$commands" ] || fail "no subcommands found in eventstream --help"

for c in $commands; do
  page="$dir/eventstream-$c.1"
  if [ ! -f "$page" ]; then
    fail "man/eventstream-$c.1 is missing"
    continue
  fi
  grep -qF "eventstream\\-${c//-/\\-} (1)" "$dir/eventstream.1" 2>/dev/null ||
    fail "man/eventstream.1: SEE ALSO does not name eventstream-$c(1)"
  for section in EXAMPLES ENVIRONMENT "EXIT STATUS"; do
    grep -qE "^\.SH \"?$section\"?[[:space:]]*$" "$page" || fail "man/eventstream-$c.1: no $section section"
  done
  flags=$("$bin" "$c" --help | grep -oE '^ +(-[a-zA-Z], ?)?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' |
          grep -v -- '^--help$')
  [ -n "$flags" ] || fail "$c: no flags found in 'eventstream $c --help'"
  for f in $flags; do
    escaped=${f//-/\\-} # --keep-alive -> \-\-keep\-alive
    # The flag's name must end there: \-\-db must not be satisfied by \-\-db\-max\-size.
    grep -qE -- "$(printf '%s' "$escaped" | sed 's/\\/\\\\/g')([^a-z0-9\\\\]|\\\\[^-]|$)" "$page" ||
      fail "man/eventstream-$c.1: $f is missing (written as $escaped)"
  done
done
exit $failed

#!/usr/bin/env bash
# The shell completions know every subcommand and every flag the binary has: the bash
# completion function is run (compgen) for each subcommand; the zsh and fish files are
# checked to name each flag in that subcommand's part.
set -uo pipefail
bin=$1
dir=$(cd "$(dirname "$0")/../completions" && pwd)
source "$dir/eventstream.bash"
failed=0
fail() { echo "$*"; failed=1; }

commands=$("$bin" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$commands" ] || fail "no subcommands found in eventstream --help"
COMP_WORDS=(eventstream ""); COMP_CWORD=1; _eventstream
for c in $commands; do
  [[ " ${COMPREPLY[*]} " == *" $c "* ]] || fail "bash: subcommand $c is not completed"
done

for c in $commands; do
  flags=$("$bin" "$c" --help | grep -oE '^ +(-[a-zA-Z], ?)?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | grep -v -- '^--help$')
  COMP_WORDS=(eventstream "$c" --); COMP_CWORD=2; _eventstream
  zsh_part=$(awk -v c="$c" '$0 ~ "^    ([a-z-]+\\|)*" c "(\\|[a-z-]+)*\\)" {on = 1} on {print} on && /;;/ {exit}' "$dir/_eventstream")
  for f in $flags; do
    [[ " ${COMPREPLY[*]} " == *" $f "* ]] || fail "bash: $c $f is not completed"
    [[ "$zsh_part" == *"'$f["* ]] || fail "zsh: $c $f is missing"
    grep -qE "__fish_seen_subcommand_from ([a-z-]+ )*$c( [a-z-]+)*' -l ${f#--} " "$dir/eventstream.fish" ||
      fail "fish: $c $f is missing"
  done
done
exit $failed

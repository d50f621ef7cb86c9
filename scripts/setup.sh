#!/usr/bin/env bash
# The README's two commands on a fresh Debian machine:
#   bash scripts/setup.sh serve [ADDRPORT] [serve options]   install, build, run the server
#   bash scripts/setup.sh test                               install, build, run every test
# Installs only what is missing (apt-get; through sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
shift || true
case "$mode" in
  serve | test) ;;
  *) echo "usage: bash scripts/setup.sh serve [ADDRPORT] [options] | test" >&2; exit 2 ;;
esac

packages=(cmake ninja-build g++ pkg-config curl
  libboost-dev libcli11-dev rapidjson-dev libsqlitecpp-dev libsqlite3-dev
  libcurl4-openssl-dev libssl-dev libnghttp2-dev libgtest-dev)
# The tests also run Debian's Pushpin (a real GRIP proxy), nginx (a proxy that gets in
# the way, for doctor), redis-server (shared storage), nghttp2-client (nghttp, an HTTP/2
# client) and Chromium (browser tests, driven from Node.js), and lint the man pages with mandoc; the fuzz targets need clang and its
# libFuzzer runtime (scripts/hardening.sh); examples/django runs on Debian's Django and PyJWT.
if [ "$mode" = test ]; then
  packages+=(pushpin nginx redis-server nghttp2-client chromium mandoc clang libclang-rt-14-dev python3-django python3-jwt)
  command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tests build with warnings as errors, as CI does; serving does not, so a newer compiler's
# new warnings do not stop it.
werror=OFF
[ "$mode" = test ] && werror=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEVENTSTREAM_WERROR=$werror >/dev/null
cmake --build build --parallel "$(nproc)"

if [ "$mode" = serve ]; then
  exec build/cmd/eventstream serve "$@"
fi
# playwright-core, reconnecting-eventsource and @fanoutio/grip, at the versions in package-lock.json.
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
(cd build && ctest --output-on-failure --parallel "$(nproc)" --timeout 300)
# The same tests under sanitizers, and the fuzz targets.
bash scripts/hardening.sh

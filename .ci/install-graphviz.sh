#!/usr/bin/env bash
# Installs Graphviz's `dot`, which `ecsp diagram --format svg|png` (and its tests) render with.
# Idempotent: does nothing when `dot` is already on PATH. Uses apt-get (as root, or through sudo
# when there is one); elsewhere it says how to install it and exits 2, and the diagram tests that
# need `dot` fail in CI (ECSP_REQUIRE_DOT=1) rather than skip quietly.
set -euo pipefail
if command -v dot >/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-graphviz: no apt-get here; install Graphviz (the 'dot' command) with your package manager:" \
       "https://graphviz.org/download/" >&2
  exit 2
fi
run=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-graphviz: not root and no sudo: run 'apt-get install graphviz' as root" >&2; exit 2; }
  run=(sudo -n)
fi
echo "install-graphviz: apt-get install graphviz" >&2
"${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
"${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >&2
command -v dot >/dev/null || { echo "install-graphviz: graphviz installed but 'dot' is not on PATH" >&2; exit 2; }

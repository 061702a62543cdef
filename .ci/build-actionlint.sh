#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter the `ecsp ci github` tests check the
# generated workflows with) from the Go module proxy into the folder the tests look in:
# ${ECSP_HOME:-~/.ecsp}/actionlint/<version>/bin/actionlint. Reuses a build that is there and
# reports the right version. Usage: bash .ci/build-actionlint.sh [VERSION]
# Go's module and build caches make a rebuild warm (a cold build took 60 s on 2 busy cores).
# actionlint checks the `run:` scripts with shellcheck when it is on PATH: installed here too, with
# apt-get where there is one (the workflows are still linted without it, scripts unchecked).
set -euo pipefail
version="${1:-1.7.12}"
if ! command -v shellcheck >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
    echo "build-actionlint: apt-get install shellcheck" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >&2 \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >&2; } \
      || echo "build-actionlint: shellcheck could not be installed; run: scripts go unchecked" >&2
  else
    echo "build-actionlint: no shellcheck (install it: apt-get install shellcheck); run: scripts go unchecked" >&2
  fi
fi
root="${ECSP_HOME:-$HOME/.ecsp}/actionlint/$version"
bin="$root/bin/actionlint"
if [ -x "$bin" ] && "$bin" -version 2>/dev/null | head -n1 | grep -qx "v$version"; then
  echo "build-actionlint: reusing $bin (v$version)"
  exit 0
fi
command -v go >/dev/null || { echo "build-actionlint: go is not installed" >&2; exit 2; }
start=$SECONDS
mkdir -p "$root/bin"
# `go install module@version` builds outside any module; the version goes in through the linker
# as actionlint's release builds do, so `actionlint -version` (and the reuse check above) says it.
echo "build-actionlint: building github.com/rhysd/actionlint v$version"
GOBIN="$root/bin.tmp" GOFLAGS=-mod=mod GOTOOLCHAIN=local go install -trimpath \
  -ldflags "-s -w -X github.com/rhysd/actionlint.version=v$version" \
  "github.com/rhysd/actionlint/cmd/actionlint@v$version"
mv "$root/bin.tmp/actionlint" "$bin"
rmdir "$root/bin.tmp"
echo "build-actionlint: $("$bin" -version | head -n1) in $bin ($((SECONDS - start)) s)"

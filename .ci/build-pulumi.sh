#!/usr/bin/env bash
# Builds the pulumi CLI from the Go module proxy, at the version ecsp pins
# (PINNED_PULUMI_VERSION in ecsp/engine/pulumi_cli.py), into the folder ecsp's find_pulumi()
# already looks in: ${ECSP_HOME:-~/.ecsp}/pulumi/<version>/bin/pulumi. Reuses a build that
# is there and reports the right version. Usage: bash .ci/build-pulumi.sh [VERSION]
# Go's module and build caches (~/go/pkg/mod, ~/.cache/go-build) make a rebuild warm too.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-$(sed -n 's/^PINNED_PULUMI_VERSION = "\(.*\)"$/\1/p' "$here/../ecsp/engine/pulumi_cli.py")}"
[ -n "$version" ] || { echo "build-pulumi: no PINNED_PULUMI_VERSION found" >&2; exit 2; }
root="${ECSP_HOME:-$HOME/.ecsp}/pulumi/$version"
bin="$root/bin/pulumi"
if [ -x "$bin" ] && [ "$("$bin" version 2>/dev/null)" = "v$version" ]; then
  echo "build-pulumi: reusing $bin (v$version)"
  exit 0
fi
command -v go >/dev/null || { echo "build-pulumi: go is not installed" >&2; exit 2; }
start=$SECONDS
src="$root/src"
rm -rf "$src" && mkdir -p "$src" "$root/bin"
sed "s/@VERSION@/$version/g" "$here/pulumi-cli/go.mod.in" > "$src/go.mod"
cd "$src"
# Automation API refuses a CLI whose `pulumi version` is below its minimum; a plain `go build`
# reports v0.0.0-dev, so the version goes in through the linker as pulumi's release builds do.
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
echo "build-pulumi: downloading github.com/pulumi/pulumi/pkg/v3@v$version"
pkgmod="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$pkgmod" ] || { echo "build-pulumi: pkg/v3@v$version is not served by the module proxy" >&2; exit 1; }
# Copy pkg's non-local replace directives (single-line form: `replace a => b v`), which a
# dependency's go.mod cannot impose on us; local ones (=> ../x) point into pulumi's repo.
if grep -qE '^replace[[:space:]]*\(' "$pkgmod"; then
  echo "build-pulumi: $pkgmod has a replace ( ... ) block, which this script does not copy yet" >&2
  exit 1
fi
grep -E '^replace .* => [^.]' "$pkgmod" >> go.mod || true
go mod tidy
echo "build-pulumi: building pulumi v$version (cold: many minutes on 2 cores)"
go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
  -o "$root/bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$root/bin/pulumi.tmp" "$bin"
echo "build-pulumi: $("$bin" version) in $bin ($((SECONDS - start)) s)"

#!/usr/bin/env bash
# Installs Pulumi's Python policy SDK (pulumi-policy) into $ECSP_HOME/policy-sdk/<version> (default
# ~/.ecsp), for the real-engine test that runs a small Python policy pack. Not into .venv: pulumi-policy
# pins protobuf 5.29 while the project runs protobuf 6, and the pack runs in a process of its own
# (PYTHONPATH=that folder), where its own gRPC code works with either. Idempotent: does nothing
# when that version is there. Needs network once (PyPI); the test fails in CI without it.
set -euo pipefail
version=1.21.0
home="${ECSP_HOME:-$HOME/.ecsp}"
target="$home/policy-sdk/$version"
if [ -f "$target/pulumi_policy/__init__.py" ]; then
  exit 0
fi
python=python3
command -v "$python" >/dev/null || { echo "install-policy-sdk: python3 is needed" >&2; exit 2; }
echo "install-policy-sdk: pip install --no-deps --target $target pulumi-policy==$version" >&2
rm -rf "$target.tmp"
"$python" -m pip install --quiet --disable-pip-version-check --no-deps --target "$target.tmp" "pulumi-policy==$version" >&2
mv "$target.tmp" "$target"

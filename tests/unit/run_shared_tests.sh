#!/usr/bin/env bash
# Runs the unit tests of one hidden Catch2 tag that need ../shared (or another optional input).
# Exit 77 (CTest SKIP_RETURN_CODE) when a required path is missing or, with --need-pyyaml, when
# python3 cannot import yaml, so CTest shows "Skipped" instead of a pass that checked nothing.
# Usage: run_shared_tests.sh UNIT_TEST_BINARY TAG [--need-pyyaml] REQUIRED_PATH...
set -uo pipefail
BIN="$1"; TAG="$2"; shift 2
if [ "${1:-}" = "--need-pyyaml" ]; then
  shift
  if ! python3 -c 'import yaml' >/dev/null 2>&1; then
    echo "skipped: python3 with PyYAML not available"
    exit 77
  fi
fi
for path in "$@"; do
  if [ ! -e "$path" ]; then
    echo "skipped: $path does not exist"
    exit 77
  fi
done
# -w NoTests: a tag that matches no test case is a failure, not an empty pass.
exec "$BIN" "$TAG" -w NoTests

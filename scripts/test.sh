#!/usr/bin/env bash
# Runs the whole test suite (unit, golden, CLI, corpus) against a build made by bootstrap.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2

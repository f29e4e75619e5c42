#!/usr/bin/env bash
# Runs every routing edge-case test in DIR: `meshc test -f DIR/<case>.yaml DIR/<case>.test.yaml`,
# once per route-selection engine (native, interpreter, reference).
# Usage: run_routing_tests.sh MESHC DIR. Cases in DIR/known-gaps/ are not run (documented gaps).
set -u
MESHC="$1"; DIR="$2"
passed=0; failed=0; failed_names=()
for tests in "$DIR"/*.test.yaml; do
  name="$(basename "$tests" .test.yaml)"
  manifest="$DIR/$name.yaml"
  if [ ! -f "$manifest" ]; then
    echo "FAIL $name: missing manifest $manifest"; failed=$((failed + 1)); failed_names+=("$name")
    continue
  fi
  # Every route-selection engine must give the expected answers.
  for engine in native interpreter reference; do
    if out="$("$MESHC" test --engine "$engine" -f "$manifest" "$tests" 2>&1)"; then
      passed=$((passed + 1))
    else
      echo "FAIL $name ($engine)"; echo "$out" | sed 's/^/    /'
      failed=$((failed + 1)); failed_names+=("$name/$engine")
    fi
  done
done
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  echo "failed cases: ${failed_names[*]}"
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "no cases found in $DIR"; exit 1
fi
exit 0

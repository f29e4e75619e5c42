#!/usr/bin/env bash
# The main job on the bundled samples: lint the shop (clean) and show each class of finding, run
# its route tests, simulate a request, and compile the gateway into a bundle and route from it.
set -euo pipefail
cd "$(dirname "$0")/.."
MESHC="${MESHC:-build/bin/meshc}"
echo "== meshc lint samples/shop"
"$MESHC" lint samples/shop
echo
echo "== meshc lint samples/invalid (every class of finding; exit code 1 expected)"
status=0
"$MESHC" lint samples/invalid || status=$?
if [ "$status" -ne 1 ]; then
  echo "expected exit code 1 from samples/invalid, got $status" >&2
  exit 1
fi
echo
echo "== meshc test -f samples/shop samples/tests/shop.test.yaml --coverage"
"$MESHC" test -f samples/shop samples/tests/shop.test.yaml --coverage
echo
echo "== meshc simulate (one request through the ingress gateway)"
"$MESHC" simulate -f samples/shop --gateway istio=ingressgateway 'GET https://shop.example.com/products' -H 'x-canary: true'
echo
echo "== meshc compile (the gateway's routing into a bundle with native code), inspect, simulate --bundle"
bundle_dir="$(mktemp -d)"
trap 'rm -rf "$bundle_dir"' EXIT
"$MESHC" compile -f samples/shop --gateway istio=ingressgateway -o "$bundle_dir/gateway.mcb"
"$MESHC" inspect "$bundle_dir/gateway.mcb"
"$MESHC" simulate --bundle "$bundle_dir/gateway.mcb" 'GET https://shop.example.com/api/cart/items'

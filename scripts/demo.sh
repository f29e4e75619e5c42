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
echo
echo "== meshproxy: the shop gateway serving traffic (one echo server stands in for every service)"
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: the shop Gateway's plain-HTTP server is port 80, which only root may bind"
  exit 0
fi
# The gateway sits behind a TLS-terminating load balancer (one trusted hop), so a request that
# arrived over HTTPS carries x-forwarded-proto: https and passes the httpsRedirect (R2.4, R14.7).
MESHPROXY="${MESHPROXY:-build/bin/meshproxy}"
printf 'defaultConfig:\n  gatewayTopology:\n    numTrustedProxies: 1\n' > "$bundle_dir/mesh.yaml"
"$MESHC" compile -f samples/shop --gateway istio=ingressgateway --mesh-config "$bundle_dir/mesh.yaml" \
  -o "$bundle_dir/edge.mcb"
python3 tests/e2e/echo_server.py --name shop-backend > "$bundle_dir/echo.out" 2>&1 &
echo_pid=$!
proxy_pid=""
trap 'kill $echo_pid ${proxy_pid:-} 2>/dev/null || true; rm -rf "$bundle_dir"' EXIT
for _ in $(seq 50); do grep -q PORT "$bundle_dir/echo.out" && break; sleep 0.1; done
echo_port="$(awk '/^PORT/ {print $2}' "$bundle_dir/echo.out")"
# Endpoints change without recompiling routes: meshc endpoints writes them, here pointed at the
# echo server.
"$MESHC" endpoints -f samples/shop --gateway istio=ingressgateway -o "$bundle_dir/eps.json"
python3 - "$bundle_dir/eps.json" "$echo_port" <<'PY'
import json, sys
path, port = sys.argv[1], int(sys.argv[2])
doc = json.load(open(path))
for c in doc["clusters"]:
    c["endpoints"] = [{"address": "127.0.0.1", "port": port, "weight": 1,
                       "labels": (c["endpoints"][0].get("labels", {}) if c["endpoints"] else {})}]
json.dump(doc, open(path, "w"))
PY
admin_port=15000
"$MESHPROXY" --bundle "$bundle_dir/edge.mcb" --endpoints "$bundle_dir/eps.json" --workers 1 \
  --listen-address 127.0.0.1 --admin "127.0.0.1:$admin_port" --access-log - &
proxy_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin_port/ready" >/dev/null && break; sleep 0.05; done
echo "-- plain HTTP is redirected to HTTPS (httpsRedirect):"
curl -si http://127.0.0.1:80/products -H 'host: shop.example.com' | head -3
echo "-- forwarded by the load balancer from HTTPS: routed, prefix rewritten, Envoy's headers added:"
curl -s http://127.0.0.1:80/api/cart/items -H 'host: shop.example.com' -H 'x-forwarded-proto: https'
echo "-- metrics:"
curl -s "http://127.0.0.1:$admin_port/stats/prometheus" | grep '^istio_requests_total'
kill -TERM "$proxy_pid"
wait "$proxy_pid"
echo "meshproxy drained and exited with status $?"

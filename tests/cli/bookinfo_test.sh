#!/usr/bin/env bash
# Simulates Istio's bookinfo sample end to end; skipped (77) when ../shared is absent.
set -euo pipefail
MESHC="$1"; CORPUS="$2"; TESTS="$3"
B="$CORPUS/istio-samples/bookinfo"
if [ ! -d "$B" ]; then echo "skipped: $B does not exist"; exit 77; fi
exec "$MESHC" test -f "$B/platform/kube/bookinfo.yaml" -f "$B/networking/bookinfo-gateway.yaml" \
  -f "$B/networking/destination-rule-all.yaml" -f "$B/networking/virtual-service-reviews-jason-v2-v3.yaml" \
  -f "$B/networking/virtual-service-ratings-test-abort.yaml" "$TESTS"

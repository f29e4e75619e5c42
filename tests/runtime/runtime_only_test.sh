#!/usr/bin/env bash
# The runtime stands alone: a program linked only against meshc_runtime routes from a compiled
# bundle (native code and portable tree), and links neither yaml-cpp nor valijson (DESIGN.md 1).
# meshproxy, the shipped runtime program, is held to the same rules.
# Usage: runtime_only_test.sh MESHC PROBE SAMPLES_SHOP MESHPROXY
set -euo pipefail
MESHC="$1"; PROBE="$2"; SHOP="$3"; MESHPROXY="$4"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

if ldd "$PROBE" | grep -Ei 'yaml|valijson'; then fail "the runtime probe links yaml-cpp or valijson"; fi
nm -C "$PROBE" > "$tmp/syms"  # read once: `grep -q` on a pipe would SIGPIPE nm under pipefail
if grep -Eq 'YAML::|valijson::' "$tmp/syms"; then fail "the runtime probe contains yaml-cpp or valijson code"; fi
# Nor any compiler library: no symbol from the compiler's namespaces or its support types.
if grep -E 'meshc::(frontend|model|lower|sim|codegen|emit|cli)::|meshc::(Diagnostic|SourceManager|SourceLoc)\b' "$tmp/syms" > "$tmp/compiler_syms"; then
  fail "the runtime probe contains compiler code: $(head -3 "$tmp/compiler_syms")"
fi
grep -q 'meshc::bundle::readBundle' "$tmp/syms" || fail "nm sees no runtime symbols (stripped probe?)"

"$MESHC" compile -f "$SHOP" --gateway istio=ingressgateway -o "$tmp/gw.mcb" >/dev/null
"$MESHC" compile -f "$SHOP" --gateway istio=ingressgateway -o "$tmp/portable.mcb" --no-native >/dev/null
rc="https.443.https.shop-gateway.shop"
want="virtual host shop.example.com:443 route cart-api cluster outbound|8080||cart.shop.svc.cluster.local"
out="$("$PROBE" "$tmp/gw.mcb" "$rc" shop.example.com /api/cart/items)"
[ "$out" = "engine native
$want" ] || fail "native: got: $out"
out="$("$PROBE" "$tmp/portable.mcb" "$rc" shop.example.com /api/cart/items)"
[ "$out" = "engine portable-tree
$want" ] || fail "portable tree: got: $out"
head -c 100 "$tmp/gw.mcb" > "$tmp/cut.mcb"
if "$PROBE" "$tmp/cut.mcb" "$rc" a / 2> "$tmp/err"; then fail "a truncated bundle loaded"; fi
grep -q 'error\[size-mismatch\]' "$tmp/err" || fail "truncated bundle: $(cat "$tmp/err")"
# meshproxy: no yaml-cpp, valijson or compiler code either (LLVM is allowed: the ORC loader).
if ldd "$MESHPROXY" | grep -Ei 'yaml|valijson'; then fail "meshproxy links yaml-cpp or valijson"; fi
nm -C "$MESHPROXY" > "$tmp/proxy_syms"
if grep -Eq 'YAML::|valijson::' "$tmp/proxy_syms"; then fail "meshproxy contains yaml-cpp or valijson code"; fi
if grep -E 'meshc::(frontend|model|lower|sim|codegen|emit|cli)::|meshc::(Diagnostic|SourceManager|SourceLoc)\b' "$tmp/proxy_syms" > "$tmp/proxy_compiler_syms"; then
  fail "meshproxy contains compiler code: $(head -3 "$tmp/proxy_compiler_syms")"
fi
grep -q 'meshc::proxy::' "$tmp/proxy_syms" || fail "nm sees no meshproxy symbols (stripped?)"
echo "runtime-only programs (probe, meshproxy): ok"

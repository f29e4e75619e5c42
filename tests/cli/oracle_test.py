#!/usr/bin/env python3
"""CLI tests whose expected values come from Istio's behaviour and the sample manifests, not from
meshc's own output: diff on real config changes, what only `explain --tree` prints, the content
of a sidecar bundle, --suppress globs, and the expected findings of every samples/invalid file.
Usage: oracle_test.py MESHC SOURCE_ROOT"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

MESHC = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
SHOP = os.path.join(ROOT, "samples", "shop")
INVALID = os.path.join(ROOT, "samples", "invalid")
GOLDEN_LINT = os.path.join(ROOT, "tests", "golden", "lint")
GATEWAY = ["--gateway", "istio=ingressgateway"]
passed = 0
failed = 0


def run(*args, cwd=ROOT):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([MESHC, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=120)


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def show(p):
    return f"exit={p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


def frontend(n):
    """Cluster of the frontend Service (port 80 in 10-workloads.yaml) for subset n, as Istio
    names it: outbound|<port>|<subset>|<FQDN>."""
    return f"outbound|80|{n}|frontend.shop.svc.cluster.local"


# --- meshc diff on a real change ---------------------------------------------------------------
# The new config edits three rules of samples/shop/30-routing.yaml and moves every rule down by
# one line. Each request below hits one rule; the expected old/new values follow from the
# VirtualService (Istio's prefix rewrite replaces the matched prefix; a destination without port
# uses the Service's only port, 80 for frontend).
ROUTING = open(os.path.join(SHOP, "30-routing.yaml")).read()
EDITS = [
    ("    rewrite:\n      uri: /cart\n", "    rewrite:\n      uri: /basket\n"),  # cart-api
    ("        subset: v2\n  - name: default\n", "        subset: v1\n  - name: default\n"),  # canary
    ("      weight: 90\n", "      weight: 50\n"),  # default split
    ("      weight: 10\n", "      weight: 50\n"),
]
new_routing = "# moved down one line\n" + ROUTING
for old, new in EDITS:
    check(f"diff fixture: {old.strip()!r} occurs once in 30-routing.yaml", new_routing.count(old) == 1)
    new_routing = new_routing.replace(old, new)

REQUESTS = [
    ("cart", {"scheme": "https", "authority": "shop.example.com", "path": "/api/cart/7"}),
    ("canary", {"scheme": "https", "authority": "shop.example.com", "path": "/products",
                "headers": {"x-canary": "true"}}),
    ("split", {"scheme": "https", "authority": "shop.example.com", "path": "/"}),
    ("static", {"scheme": "https", "authority": "shop.example.com", "path": "/static/app.css"}),
]
EXPECTED_TEXT = [
    "changed: cart (GET shop.example.com/api/cart/7)",
    "  rewrittenPath:",
    '    - "/cart/7"',
    '    + "/basket/7"',
    "changed: canary (GET shop.example.com/products)",
    "  cluster:",
    f'    - "{frontend("v2")}"',
    f'    + "{frontend("v1")}"',
    "changed: split (GET shop.example.com/)",
    "  weightedClusters:",
    "    - " + json.dumps([{"cluster": frontend("v1"), "weight": 90},
                          {"cluster": frontend("v2"), "weight": 10}], separators=(",", ":")),
    "    + " + json.dumps([{"cluster": frontend("v1"), "weight": 50},
                          {"cluster": frontend("v2"), "weight": 50}], separators=(",", ":")),
    "3 of 4 requests change their routing decision",
]

with tempfile.TemporaryDirectory(prefix="meshc-oracle-") as tmp:
    new_shop = os.path.join(tmp, "shop-new")
    shutil.copytree(SHOP, new_shop)
    with open(os.path.join(new_shop, "30-routing.yaml"), "w") as f:
        f.write(new_routing)
    moved_shop = os.path.join(tmp, "shop-moved")  # the same rules, one line further down
    shutil.copytree(SHOP, moved_shop)
    with open(os.path.join(moved_shop, "30-routing.yaml"), "w") as f:
        f.write("# moved down one line\n" + ROUTING)
    reqs = os.path.join(tmp, "requests.jsonl")
    with open(reqs, "w") as f:
        for name, request in REQUESTS:
            f.write(json.dumps({"name": name, "proxy": {"kind": "gateway",
                                                        "labels": {"istio": "ingressgateway"}},
                                "request": request}) + "\n")

    for engine in ("reference", "interpreter"):
        p = run("diff", "--old", SHOP, "--new", new_shop, "--requests", reqs, "--engine", engine)
        check(f"diff --engine {engine}: exit 1 and exactly the changed fields, old -> new",
              p.returncode == 1 and p.stdout.splitlines() == EXPECTED_TEXT,
              show(p) + "\nwant:\n" + "\n".join(EXPECTED_TEXT))

    p = run("diff", "--old", SHOP, "--new", new_shop, "--requests", reqs, "-o", "jsonl")
    try:
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        by_name = {l["name"]: l for l in lines}
        check("diff -o jsonl: exit 1, one line per changed request, in file order",
              p.returncode == 1 and [l["name"] for l in lines] == ["cart", "canary", "split"]
              and [l["line"] for l in lines] == [1, 2, 3], show(p))
        cart, canary, split = by_name["cart"], by_name["canary"], by_name["split"]
        check("diff -o jsonl: the rewrite change",
              cart["old"]["rewrittenPath"] == "/cart/7" and cart["new"]["rewrittenPath"] == "/basket/7"
              and cart["old"]["cluster"] == cart["new"]["cluster"]
              == "outbound|8080||cart.shop.svc.cluster.local"
              and cart["old"]["route"] == cart["new"]["route"] == "cart-api", json.dumps(cart))
        check("diff -o jsonl: the destination change",
              canary["old"]["cluster"] == frontend("v2") and canary["new"]["cluster"] == frontend("v1")
              and canary["old"]["route"] == canary["new"]["route"] == "canary-testers",
              json.dumps(canary))
        check("diff -o jsonl: the weight change",
              split["old"]["weightedClusters"] == [{"cluster": frontend("v1"), "weight": 90},
                                                   {"cluster": frontend("v2"), "weight": 10}]
              and split["new"]["weightedClusters"] == [{"cluster": frontend("v1"), "weight": 50},
                                                       {"cluster": frontend("v2"), "weight": 50}],
              json.dumps(split))
        # Apart from the edited field and where the rule sits, old and new agree.
        for entry, field in ((cart, "rewrittenPath"), (canary, "cluster"), (split, "weightedClusters")):
            rest = lambda r: {k: v for k, v in r.items() if k not in (field, "source")}
            check(f"diff -o jsonl: only {field} differs for {entry['name']}",
                  rest(entry["old"]) == rest(entry["new"])
                  and entry["old"]["source"].endswith("30-routing.yaml:" + entry["old"]["source"].rsplit(":", 1)[1])
                  and int(entry["new"]["source"].rsplit(":", 1)[1])
                  == int(entry["old"]["source"].rsplit(":", 1)[1]) + 1, json.dumps(entry))
    except (ValueError, KeyError) as e:
        check("diff -o jsonl parses", False, f"{e}\n{show(p)}")

    p = run("diff", "--old", SHOP, "--new", moved_shop, "--requests", reqs)
    check("diff: rules that only moved lines are no change (exit 0)",
          p.returncode == 0 and p.stdout == "0 of 4 requests change their routing decision\n", show(p))
    p = run("diff", "--old", SHOP, "--new", moved_shop, "--requests", reqs, "-o", "jsonl")
    check("diff -o jsonl: no change prints nothing, exit 0", p.returncode == 0 and p.stdout == "",
          show(p))
    p = run("diff", "--old", new_shop, "--new", SHOP, "--requests", reqs)
    check("diff in the other direction swaps old and new",
          p.returncode == 1 and '    - "/basket/7"' in p.stdout.splitlines()
          and '    + "/cart/7"' in p.stdout.splitlines(), show(p))

# --- explain --tree ----------------------------------------------------------------------------
# The shop gateway's HTTPS route configuration holds shop-frontend's five rules in VirtualService
# order; canary-testers and default have no uri match, i.e. prefix "/". These lines are the
# decision tree only the tree dump prints.
TREE_ONLY = [
    'route_configuration "https.443.https.shop-gateway.shop" ignore_port_in_host_matching=true',
    'virtual_host 0 "shop.example.com:443"',
    '  route 0 "cart-api" prefix "/api/cart"',
    '  route 1 "static-assets" prefix "/static/"',
    '  route 2 "legacy-checkout" path "/checkout.php"',
    '  route 3 "canary-testers" prefix "/"',
    '    header "x-canary" exact "true"',
    '  route 4 "default" prefix "/"',
]
tree = run("explain", "-f", SHOP, *GATEWAY, "--tree")
plain = run("explain", "-f", SHOP, *GATEWAY)
tree_lines = tree.stdout.splitlines()
check("explain --tree prints the decision tree in rule order",
      tree.returncode == 0 and all(l in tree_lines for l in TREE_ONLY)
      and tree_lines.index(TREE_ONLY[2]) < tree_lines.index(TREE_ONLY[3])
      < tree_lines.index(TREE_ONLY[4]) < tree_lines.index(TREE_ONLY[5])
      < tree_lines.index(TREE_ONLY[7]), show(tree))
check("explain --tree: the path trie puts the two prefix-/ rules at '/' and the others below it",
      "\n".join(["        prefix [3 4]", '        node "/api/cart" +"api/cart"', "          prefix [0]",
                 '        node "/checkout.php" +"checkout.php"', "          exact [2]",
                 '        node "/static/" +"static/"', "          prefix [1]"]) in tree.stdout, tree.stdout)
check("plain explain prints none of the tree lines",
      plain.returncode == 0 and not any(l in plain.stdout.splitlines() for l in TREE_ONLY)
      and "route_configuration " not in plain.stdout and "trie " not in plain.stdout, show(plain))
check("explain --tree also prints every line plain explain prints",
      all(l in tree_lines for l in plain.stdout.splitlines()), show(tree))

# --- the content of a sidecar bundle -----------------------------------------------------------
# A workload app=web in shop gets the namespace-wide Sidecar "default" (egress ./* and
# istio-system/*, REGISTRY_ONLY). What it sees in shop (10-workloads.yaml, 50-egress.yaml):
# HTTP Services frontend:80, static:80, cart:8080, reviews:9080 and the TLS ServiceEntry
# api.payments.example.net:443 (DNS, no addresses). Istio builds one 0.0.0.0_<port> listener per
# port (a TLS ServiceEntry without addresses too) plus virtualOutbound on 15001, and one route
# configuration "<port>" per HTTP port. Virtual hosts: one per Service on the port, plus
# block_all for REGISTRY_ONLY, plus on port 80 the reviews VirtualService's host, which names no
# service on port 80 (the port-80 rule, ISTIO-SEMANTICS.md "non-registry hosts"). Routes: one
# default route per Service vhost, the reviews VirtualService's two rules where it applies, one
# for block_all.
with tempfile.TemporaryDirectory(prefix="meshc-oracle-") as tmp:
    sc = os.path.join(tmp, "sc.mcb")
    p = run("compile", "-f", SHOP, "--sidecar", "app=web", "-n", "shop", "-o", sc, "--no-native")
    check("compile a sidecar bundle: exit 0", p.returncode == 0, show(p))
    p = run("inspect", sc, "-o", "json")
    try:
        j = json.loads(p.stdout)
        listeners = {l["name"]: (l["address"], l["port"]) for l in j["listeners"]}
        check("sidecar bundle: one listener per service port plus virtualOutbound",
              listeners == {"0.0.0.0_80": ("0.0.0.0", 80), "0.0.0.0_443": ("0.0.0.0", 443),
                            "0.0.0.0_8080": ("0.0.0.0", 8080), "0.0.0.0_9080": ("0.0.0.0", 9080),
                            "virtualOutbound": ("0.0.0.0", 15001)}, p.stdout)
        routes = {r["name"]: (r["virtualHosts"], r["routes"]) for r in j["routeConfigs"]}
        check("sidecar bundle: route configurations per HTTP port with their vhosts and routes",
              routes == {"80": (4, 5), "8080": (2, 2), "9080": (2, 3)}, p.stdout)
        check("sidecar bundle: the proxy it was compiled for",
              # numTrustedProxies: gatewayTopology is a gateway setting; sidecars keep 0.
              j["proxy"] == {"kind": "sidecar", "labels": {"app": "web"}, "namespace": "shop",
                             "numTrustedProxies": 0},
              p.stdout)
    except (ValueError, KeyError) as e:
        check("inspect -o json of the sidecar bundle parses", False, f"{e}\n{show(p)}")
    # The bundle routes as the manifests say: reviews on 9080 goes to subset v1 for everyone.
    p = run("simulate", "--bundle", sc, "GET http://reviews.shop.svc.cluster.local:9080/", "-o", "json")
    try:
        j = json.loads(p.stdout)
        check("sidecar bundle routes reviews:9080 by the reviews VirtualService",
              j["cluster"] == "outbound|9080|v1|reviews.shop.svc.cluster.local"
              and j["route"] == "everyone" and j["routeConfig"] == "9080", p.stdout)
    except (ValueError, KeyError) as e:
        check("simulate --bundle on the sidecar bundle parses", False, f"{e}\n{show(p)}")

# --- --suppress with a glob --------------------------------------------------------------------
# Three ServiceEntries with a TCP port and no addresses: IST0134 each (ISTIO-VALIDATION.md B.13).
# default/wild also has resolution NONE, so the webhook warns too (SE9, IST0133). A glob matches
# "Kind ns/name" (section E) and suppresses only its own code.
SE = """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: {name}
  namespace: {ns}
spec:
  hosts:
  - {name}.{ns}.example.com
  ports:
  - number: 5432
    name: tcp-db
    protocol: TCP
  resolution: {resolution}
"""
SUPPRESS_YAML = "---\n".join(SE.format(name=n, ns=ns, resolution=r) for n, ns, r in
                             (("db", "default", "DNS"), ("cache", "default", "DNS"),
                              ("db", "prod", "DNS"), ("wild", "default", "NONE")))
ALL = {("IST0134", "ServiceEntry default/db"), ("IST0134", "ServiceEntry default/cache"),
       ("IST0134", "ServiceEntry prod/db"), ("IST0134", "ServiceEntry default/wild"),
       ("IST0133", "ServiceEntry default/wild")}


def findings(p):
    j = json.loads(p.stdout)
    got = set()
    for d in j["diagnostics"]:
        r = d["resource"]
        got.add((d.get("istioCode") or d["id"], f"{r['kind']} {r['namespace']}/{r['name']}"))
    return got, j["summary"]["suppressed"]


with tempfile.TemporaryDirectory(prefix="meshc-oracle-") as tmp:
    path = os.path.join(tmp, "se.yaml")
    with open(path, "w") as f:
        f.write(SUPPRESS_YAML)
    cases = [
        ([], set()),
        (["IST0134=ServiceEntry *"], {x for x in ALL if x[0] == "IST0134"}),
        (["IST0134=ServiceEntry default/*"], {x for x in ALL if x[0] == "IST0134" and "default/" in x[1]}),
        (["IST0134=ServiceEntry */db"], {("IST0134", "ServiceEntry default/db"), ("IST0134", "ServiceEntry prod/db")}),
        # istioctl's glob (ryanuber/go-glob) knows only '*': '?' is a literal character.
        (["IST0134=ServiceEntry default/d?"], set()),
        (["IST0134=ServiceEntry default/d*"], {("IST0134", "ServiceEntry default/db")}),
        (["IST0134=VirtualService *"], set()),
        (["IST0133=ServiceEntry *"], {("IST0133", "ServiceEntry default/wild")}),
        (["IST0134=* default/wild", "IST0133=* default/wild"],
         {("IST0134", "ServiceEntry default/wild"), ("IST0133", "ServiceEntry default/wild")}),
    ]
    for flags, suppressed in cases:
        args = ["lint", path, "-o", "json", "--fail-on", "none"]
        for s in flags:
            args += ["--suppress", s]
        p = run(*args)
        try:
            got, count = findings(p)
            check(f"--suppress {flags or '(none)'} suppresses exactly {sorted(suppressed)}",
                  p.returncode == 0 and got == ALL - suppressed and count == len(suppressed),
                  f"got {sorted(got)} ({count} suppressed)\n{show(p)}")
        except (ValueError, KeyError) as e:
            check(f"lint -o json with --suppress {flags} parses", False, f"{e}\n{show(p)}")
    # The exit code follows what is left: with every warning suppressed, --fail-on warning passes.
    p = run("lint", path, "--fail-on", "warning", "--suppress", "IST0134=ServiceEntry *",
            "--suppress", "IST0133=ServiceEntry default/*")
    check("--fail-on warning passes once globs suppress every warning", p.returncode == 0, show(p))
    p = run("lint", path, "--fail-on", "warning", "--suppress", "IST0134=ServiceEntry default/*")
    check("--fail-on warning still fails on what a glob leaves (prod/db, IST0133 of wild)",
          p.returncode == 1 and p.stdout.count("warning[IST0134]") == 1
          and p.stdout.count("warning[se-addresses-required]") == 1, show(p))

# --- samples/invalid: every file has a golden, and its findings are Istio's ----------------------
# Expected findings per file, from the rules they exercise (ISTIO-VALIDATION.md): (id, severity,
# line, column).
EXPECTED_INVALID = {
    # Not a Kubernetes object (no apiVersion/kind): reported at the document's mapping.
    "07-not-an-object.yaml": [("not-an-object", "error", 2, 1)],
    # G15: an HTTPS server without tls (at its protocol); G13: port names unique across servers,
    # two "web" (at the second name). Both webhook errors, IST0106.
    "08-gateway-tls.yaml": [("gw-tls-missing", "error", 13, 17),
                            ("gw-port-name-duplicate", "error", 18, 13)],
}
for name in sorted(os.listdir(INVALID)):
    if not name.endswith(".yaml"):
        continue
    base = name.split("-", 1)[1][: -len(".yaml")]  # 07-not-an-object.yaml -> not-an-object
    golden = os.path.join(GOLDEN_LINT, base + ".yaml")
    same = os.path.exists(golden) and open(golden, "rb").read() == open(os.path.join(INVALID, name), "rb").read()
    check(f"samples/invalid/{name} has a golden copy tests/golden/lint/{base}.yaml", same)
    check(f"samples/invalid/{name} has golden outputs",
          all(os.path.exists(os.path.join(GOLDEN_LINT, f"{base}.{ext}")) for ext in ("txt", "json", "sarif")))
for name, want in EXPECTED_INVALID.items():
    p = run("lint", name, "-o", "json", cwd=INVALID)
    try:
        diags = json.loads(p.stdout)["diagnostics"]
        got = [(d["id"], d["severity"], d["line"], d["column"]) for d in diags]
        codes = {d.get("istioCode", "") for d in diags}
        check(f"samples/invalid/{name}: exit 1 and exactly the expected findings",
              p.returncode == 1 and got == want, f"got {got}\nwant {want}\n{show(p)}")
        if name.startswith("08"):
            check(f"samples/invalid/{name}: webhook errors are IST0106", codes == {"IST0106"}, p.stdout)
    except (ValueError, KeyError) as e:
        check(f"lint -o json {name} parses", False, f"{e}\n{show(p)}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

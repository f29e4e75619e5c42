#!/usr/bin/env python3
"""deploy/: the Kubernetes manifests and the Dockerfile hold together, and do what they say.

1. `meshc lint deploy/k8s` is clean; lint skips ConfigMap and PodDisruptionBudget (counted as
   skipped kinds), so the ConfigMap's Istio documents are extracted and linted with the
   Kubernetes objects (zero findings at any severity), and the PDB is checked here (4).
2. The init container's `meshc compile` command line, as written in the Deployment, runs
   against the ConfigMap laid out as the kubelet mounts it (a hidden `..<timestamp>/` copy of
   every key, `..data` and per-key symlinks), paths remapped into a temp dir; the bundle is for
   a gateway with exactly the pod labels, in the Deployment's namespace, with a listener on the
   container's `http` port.
3. meshproxy runs with the main container's args (admin and listen address moved to free
   loopback ports; `--endpoints` added to point the ServiceEntry's DNS cluster at an echo
   upstream): the readiness probe's path and port answer 200, the liveness probe's port
   accepts, the Prometheus annotations' port and path serve metrics, a request through the
   gateway port reaches the upstream (and is counted), an unknown host gets 404, and SIGTERM
   drains to exit 0 within --drain-timeout.
4. Invariants: replicas >= 2; Deployment, Service, PDB and Gateway selectors match the pod
   labels; terminationGracePeriodSeconds > preStop sleep + --drain-timeout; non-root,
   read-only root filesystem; the Dockerfile's build stage runs scripts/bootstrap.sh (one
   package list), its runtime stage copies only meshc and meshproxy, installs the packages of
   every shared library they link (readelf + dpkg -S), and runs as the Deployment's uid.

Every wait is bounded; meshproxy and the upstream are killed at the end; loopback only.
Exits 77 (CTest skip) when PyYAML, readelf or dpkg is missing (after running what it can).
Usage: deploy_test.py MESHC MESHPROXY SOURCE_DIR"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

MESHC, MESHPROXY, ROOT = (os.path.abspath(a) for a in sys.argv[1:4])
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "k8s")
DEADLINE = 15.0
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import Upstream, free_port, request  # noqa: E402  (the e2e tests' echo upstream)

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML (python3-yaml) is not installed")
    sys.exit(77)

failures = []
skipped = []


def check(name, cond, detail=""):
    if not cond:
        failures.append(name)
        print(f"FAIL {name}" + (f"\n{detail}" if detail else ""))
    return cond


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def subset(small, big):
    return bool(small) and all(big.get(k) == v for k, v in small.items())


def seconds(text):
    """meshproxy's duration syntax (5s, 500ms, 1m, 1h) in seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(text))
    if not m:
        return None
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def flag_value(argv, flag):
    """The value of `--flag V` or `--flag=V` in argv (the last one), or None."""
    value = None
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            value = argv[i + 1]
        elif a.startswith(flag + "="):
            value = a.split("=", 1)[1]
    return value


def flag_values(argv, *flags):
    """Every value of `FLAG V` / `FLAG=V` in argv, for any of `flags`."""
    values = []
    for i, a in enumerate(argv):
        if a in flags and i + 1 < len(argv):
            values.append(argv[i + 1])
        elif "=" in a and a.split("=", 1)[0] in flags:
            values.append(a.split("=", 1)[1])
    return values


def proxy_flags(argv):
    """The input and proxy flags of a compile command line (what `meshc endpoints` takes)."""
    keep, out, i = ("-f", "--file", "--gateway", "--sidecar", "-n", "--namespace",
                    "--default-namespace", "--mesh-config"), [], 0
    while i < len(argv):
        a = argv[i]
        if a in keep and i + 1 < len(argv):
            out += argv[i:i + 2]
            i += 2
            continue
        if a == "--keep-going" or ("=" in a and a.split("=", 1)[0] in keep):
            out.append(a)
        i += 1
    return out


class Abort(Exception):
    """A failure that leaves nothing below worth running."""


def http_get(port, path, timeout=5):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


# --- the objects ---------------------------------------------------------------------------
docs = []
for path in sorted(glob.glob(os.path.join(K8S, "*.yaml")) + glob.glob(os.path.join(K8S, "*.yml"))):
    with open(path) as f:
        docs += [(path, d) for d in yaml.safe_load_all(f) if d is not None]
by_kind = {}
for path, d in docs:
    by_kind.setdefault(d.get("kind"), []).append(d)
for kind in ("ConfigMap", "Deployment", "Service", "PodDisruptionBudget"):
    if not check(f"deploy/k8s holds exactly one {kind}", len(by_kind.get(kind, [])) == 1,
                 f"found {len(by_kind.get(kind, []))}"):
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
configmap = by_kind["ConfigMap"][0]
deployment = by_kind["Deployment"][0]
service = by_kind["Service"][0]
pdb = by_kind["PodDisruptionBudget"][0]
namespace = deployment["metadata"].get("namespace", "default")
pod = deployment["spec"]["template"]
pod_labels = pod["metadata"]["labels"]
pod_spec = pod["spec"]
init = {c["name"]: c for c in pod_spec.get("initContainers", [])}
main = {c["name"]: c for c in pod_spec["containers"]}
check("one init container and one container", len(init) == 1 and len(main) == 1,
      f"init {list(init)}, containers {list(main)}")
init_c, main_c = next(iter(init.values())), next(iter(main.values()))
compile_argv = init_c.get("command", []) + init_c.get("args", [])
proxy_argv = main_c.get("command", []) + main_c.get("args", [])
check("the init container runs `meshc compile`", compile_argv[:2] == ["meshc", "compile"],
      str(compile_argv))
check("the main container runs meshproxy", proxy_argv[:1] == ["meshproxy"], str(proxy_argv))
volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
cm_volume = [n for n, v in volumes.items()
             if v.get("configMap", {}).get("name") == configmap["metadata"]["name"]]
check("a volume mounts the ConfigMap", len(cm_volume) == 1, str(volumes))

tmp = tempfile.mkdtemp(prefix="meshc-deploy-test-")
procs = []
try:
    # Each volume gets a directory; the ConfigMap one as the kubelet lays it out.
    volume_dirs = {name: os.path.join(tmp, "volumes", name) for name in volumes}
    for d in volume_dirs.values():
        os.makedirs(d)

    def lay_out_configmap(target, data):
        stamp = "..2025_01_01_00_00_00.000000001"
        os.makedirs(os.path.join(target, stamp))
        for key, text in data.items():
            with open(os.path.join(target, stamp, key), "w") as f:
                f.write(text)
            os.symlink(os.path.join("..data", key), os.path.join(target, key))
        os.symlink(stamp, os.path.join(target, "..data"))

    cm_data = configmap.get("data", {})
    if cm_volume:
        lay_out_configmap(volume_dirs[cm_volume[0]], cm_data)

    def remap(argv, container, overrides=None):
        """argv with every path under one of the container's mounts moved into the temp dir
        (overrides: volume name → another directory)."""
        mounts = sorted(container.get("volumeMounts", []), key=lambda m: -len(m["mountPath"]))

        def one(a):
            for m in mounts:
                mp = m["mountPath"].rstrip("/")
                if a == mp or a.startswith(mp + "/"):
                    base = (overrides or {}).get(m["name"], volume_dirs[m["name"]])
                    return base + a[len(mp):]
                if "=" in a and a.startswith("--"):
                    flag, value = a.split("=", 1)
                    if value == mp or value.startswith(mp + "/"):
                        return flag + "=" + one(value)
            return a
        return [one(a) for a in argv]

    # --- 1. lint ---------------------------------------------------------------------------
    r = run([MESHC, "lint", K8S])
    check("meshc lint deploy/k8s exits 0", r.returncode == 0, r.stdout + r.stderr)
    # The Istio documents as the init container hands them to meshc compile.
    compile_inputs = flag_values(compile_argv, "-f", "--file")
    cm_mount = [m["mountPath"].rstrip("/") for m in init_c.get("volumeMounts", [])
                if cm_volume and m["name"] == cm_volume[0]]
    check("the init container mounts the ConfigMap", len(cm_mount) == 1)
    named_keys = sorted(p[len(cm_mount[0]) + 1:] for p in compile_inputs
                        if cm_mount and p.startswith(cm_mount[0] + "/"))
    # A ConfigMap volume holds each key twice (..<timestamp>/key and the key's symlink):
    # `-f` on the directory would read every object twice, so compile names the files.
    check("compile -f names every ConfigMap key as a file, not the mount directory",
          named_keys == sorted(cm_data) and len(compile_inputs) == len(cm_data),
          f"-f {compile_inputs}, keys {sorted(cm_data)}")
    lint_inputs = remap(compile_inputs, init_c)
    r = run([MESHC, "lint", "-o", "json", "--fail-on", "info", *lint_inputs, K8S])
    report = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    check("the ConfigMap's Istio manifests lint with the Kubernetes objects: no finding at all",
          r.returncode == 0 and report.get("diagnostics") == [], r.stdout + r.stderr)
    skipped_kinds = set(report.get("summary", {}).get("skippedKinds", {}))
    # lint reads Namespace, Service and Deployment (pod template) as analyzer context and skips
    # other Kubernetes kinds; the two it skips here are checked by this test instead.
    check("lint skips only the ConfigMap (linted above) and the PDB (checked below)",
          skipped_kinds == {"v1 ConfigMap", "policy/v1 PodDisruptionBudget"}, str(skipped_kinds))
    istio_docs = []
    for key in named_keys:
        istio_docs += [d for d in yaml.safe_load_all(cm_data[key]) if d is not None]
    gateways = [d for d in istio_docs if d.get("kind") == "Gateway"]
    kinds = {d.get("kind") for d in istio_docs}
    check("the ConfigMap holds a Gateway, a VirtualService and a DestinationRule",
          {"Gateway", "VirtualService", "DestinationRule"} <= kinds, str(kinds))

    # --- 2. the init container's compile, as written ----------------------------------------
    bundle_flag = flag_value(compile_argv, "-o") or flag_value(compile_argv, "--output")
    argv = [MESHC] + remap(compile_argv[1:], init_c)
    r = run(argv)
    bundle = remap([bundle_flag], init_c)[0] if bundle_flag else ""
    check("the init container's meshc compile writes the bundle",
          r.returncode == 0 and os.path.isfile(bundle), f"{argv}\n{r.stdout}{r.stderr}")
    check("the main container reads the bundle the init container writes",
          remap([flag_value(proxy_argv, "--bundle") or "?"], main_c)[0] == bundle,
          f"--bundle {flag_value(proxy_argv, '--bundle')} vs -o {bundle_flag}")
    info = json.loads(run([MESHC, "inspect", "-o", "json", bundle]).stdout or "{}")
    gw_labels = dict(kv.split("=", 1) for kv in
                     (flag_value(compile_argv, "--gateway") or "").split(",") if "=" in kv)
    check("compile --gateway lists exactly the pod labels", gw_labels == pod_labels,
          f"--gateway {gw_labels}, pod {pod_labels}")
    check("the bundle is the gateway with the pod labels in the Deployment's namespace",
          info.get("proxy", {}).get("kind") == "gateway"
          and info.get("proxy", {}).get("labels") == pod_labels
          and info.get("proxy", {}).get("namespace") == namespace, str(info.get("proxy")))
    container_ports = {p.get("name"): p["containerPort"] for p in main_c.get("ports", [])}
    listener_ports = sorted(l["port"] for l in info.get("listeners", []))
    if not check("the bundle listens on the container's http port",
                 listener_ports and listener_ports == [container_ports.get("http")],
                 f"listeners {listener_ports}, ports {container_ports}"):
        raise Abort()
    check("the Gateway's server ports are the bundle's listeners",
          sorted(s["port"]["number"] for g in gateways for s in g["spec"]["servers"])
          == listener_ports)

    # --- 3. meshproxy as the main container runs it -----------------------------------------
    # The Gateway's server ports move to free loopback ports; the same compile command writes
    # the bundle again from the moved copy.
    port_map = {p: free_port() for p in listener_ports}
    moved = os.path.join(tmp, "moved-config")
    moved_data = {}
    for key in cm_data:
        out = []
        for d in yaml.safe_load_all(cm_data[key]):
            if d and d.get("kind") == "Gateway":
                for s in d["spec"]["servers"]:
                    s["port"]["number"] = port_map.get(s["port"]["number"], s["port"]["number"])
            out.append(d)
        moved_data[key] = yaml.safe_dump_all(out, sort_keys=False)
    lay_out_configmap(moved, moved_data)
    r = run([MESHC] + remap(compile_argv[1:], init_c, {cm_volume[0]: moved}))
    check("the compile of the port-moved copy succeeds", r.returncode == 0, r.stderr)
    # Every cluster of the bundle points at one echo upstream.
    upstream = Upstream("deploy-backend")
    procs.append(upstream)
    r = run([MESHC, "endpoints"] + remap(proxy_flags(compile_argv[2:]), init_c,
                                         {cm_volume[0]: moved}))
    eps = json.loads(r.stdout) if r.returncode == 0 else {"version": 1, "clusters": []}
    check("meshc endpoints lists the bundle's clusters", r.returncode == 0 and eps["clusters"],
          r.stdout + r.stderr)
    for c in eps["clusters"]:
        c["endpoints"] = [{"address": "127.0.0.1", "port": upstream.port, "weight": 1}]
    eps_path = os.path.join(tmp, "endpoints.json")
    with open(eps_path, "w") as f:
        json.dump(eps, f)

    admin_arg = flag_value(proxy_argv, "--admin") or ""
    admin_port = int(admin_arg.rsplit(":", 1)[1]) if ":" in admin_arg else None
    check("meshproxy's --admin listens on all addresses (probes come from the kubelet)",
          admin_arg.startswith("0.0.0.0:"), admin_arg)
    check("the admin port is a declared container port", admin_port in container_ports.values(),
          f"{admin_port} vs {container_ports}")
    local_admin = free_port()
    argv = []
    args = remap(proxy_argv[1:], main_c)
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--admin":
            argv += [a, f"127.0.0.1:{local_admin}"]
            i += 2
            continue
        if a in ("--listen-address", "--sidecar-listen"):
            argv += [a, "127.0.0.1" if a == "--listen-address" else f"127.0.0.1:{free_port()}"]
            i += 2
            continue
        argv.append(a)
        i += 1
    argv = [MESHPROXY, *argv, "--endpoints", eps_path]
    out_path, err_path = os.path.join(tmp, "meshproxy.out"), os.path.join(tmp, "meshproxy.err")
    out_f, err_f = open(out_path, "w"), open(err_path, "w")
    proxy = subprocess.Popen(argv, stdout=out_f, stderr=err_f)

    class Proc:
        def stop(self):
            if proxy.poll() is None:
                proxy.kill()
                proxy.wait(timeout=DEADLINE)
            out_f.close()
            err_f.close()
    procs.append(Proc())

    def local(port):
        """A port of the YAML as the test runs it."""
        return local_admin if port == admin_port else port_map.get(port, port)

    def resolve(port):
        return container_ports.get(port) if isinstance(port, str) else port

    end = time.monotonic() + DEADLINE
    status = None
    probe = main_c.get("readinessProbe", {}).get("httpGet", {})
    ready_path, ready_port = probe.get("path"), resolve(probe.get("port"))
    check("the readiness probe is GET /ready on the admin port",
          ready_path == "/ready" and ready_port == admin_port, str(probe))
    while time.monotonic() < end and proxy.poll() is None:
        status, _ = http_get(local(ready_port or admin_port), ready_path or "/ready", timeout=1)
        if status == 200:
            break
        time.sleep(0.05)
    if not check(f"the readiness probe answers 200 within {DEADLINE:.0f}s", status == 200,
                 f"status {status}, exit {proxy.poll()}\n{' '.join(argv)}\n"
                 + open(err_path).read()):
        raise Abort()
    live = main_c.get("livenessProbe", {})
    if "httpGet" in live:
        check("the liveness probe answers 200", http_get(
            local(resolve(live["httpGet"]["port"])), live["httpGet"].get("path", "/"))[0] == 200)
    elif "tcpSocket" in live:
        try:
            socket.create_connection(
                ("127.0.0.1", local(resolve(live["tcpSocket"]["port"]))), timeout=5).close()
            accepted = True
        except OSError as e:
            accepted = e
        check("the liveness probe's port accepts connections", accepted is True, str(accepted))
    else:
        check("a liveness probe is set", False, str(live))

    # A request through the gateway port, routed by the first VirtualService route that
    # forwards (its first uri prefix/exact match gives the path).
    vs = [d for d in istio_docs if d.get("kind") == "VirtualService"][0]
    path = "/"
    for route in vs["spec"].get("http", []):
        if "route" in route:
            uri = (route.get("match") or [{}])[0].get("uri", {})
            path = uri.get("exact") or (uri.get("prefix", "/") + "deploy-test")
            break
    gw_port = port_map[container_ports["http"]]
    resp = request(gw_port, path=path, host=vs["spec"]["hosts"][0])
    check(f"GET {path} through the gateway port reaches the upstream",
          resp.status == 200 and resp.header("x-backend") == "deploy-backend", repr(resp))
    resp = request(gw_port, path="/", host="not-configured.invalid")
    check("an unknown host gets 404 (NR)", resp.status == 404, repr(resp))

    ann = pod["metadata"].get("annotations", {})
    check("prometheus.io/scrape is \"true\"", ann.get("prometheus.io/scrape") == "true", str(ann))
    check("prometheus.io/port is the admin port", ann.get("prometheus.io/port") == str(admin_port),
          str(ann))
    status, metrics = http_get(local(int(ann.get("prometheus.io/port", "0"))),
                               ann.get("prometheus.io/path", "/metrics"))
    check("the prometheus.io/path serves metrics that counted the request", status == 200
          and re.search(r'^istio_requests_total\{[^}]*response_code="200"[^}]*\} [1-9]', metrics,
                        re.M), f"{status}\n{metrics[:600]}")

    # SIGTERM: drain, then exit 0 well within --drain-timeout.
    drain = seconds(flag_value(proxy_argv, "--drain-timeout") or "5s")
    proxy.send_signal(signal.SIGTERM)
    try:
        code = proxy.wait(timeout=drain + 5)
    except subprocess.TimeoutExpired:
        code = None
    check("SIGTERM drains and exits 0 within --drain-timeout", code == 0,
          f"exit {code}\n{open(err_path).read()}")
    out_f.flush()
    check("--access-log - writes the request to stdout", path in open(out_path).read(),
          open(out_path).read()[:500])

    # --- 4. invariants -------------------------------------------------------------------------
    spec = deployment["spec"]
    check("replicas >= 2", spec.get("replicas", 1) >= 2, str(spec.get("replicas")))
    check("the Deployment's selector matches its pod labels",
          subset(spec["selector"].get("matchLabels", {}), pod_labels))
    check("the Service selects the pods", subset(service["spec"].get("selector", {}), pod_labels))
    check("the PDB is policy/v1 and selects the pods", pdb["apiVersion"] == "policy/v1"
          and subset(pdb["spec"]["selector"].get("matchLabels", {}), pod_labels), str(pdb))
    budget = pdb["spec"]
    check("the PDB keeps a replica and lets one go",
          (budget.get("minAvailable", 0) >= 1 and budget["minAvailable"] < spec["replicas"])
          or budget.get("maxUnavailable") == 1, str(budget))
    for g in gateways:
        check(f"Gateway {g['metadata']['name']}'s selector is a subset of the pod labels",
              subset(g["spec"].get("selector", {}), pod_labels), str(g["spec"].get("selector")))
    targets = [resolve(p.get("targetPort", p["port"])) for p in service["spec"]["ports"]]
    check("the Service's target ports are the gateway's listeners", sorted(targets)
          == listener_ports, f"{targets} vs {listener_ports}")
    check("the Service does not expose the admin port", admin_port not in targets)
    for d in [deployment, service, pdb, configmap]:
        check(f"{d['kind']} {d['metadata']['name']} is in namespace {namespace}",
              d["metadata"].get("namespace") == namespace)
    ns_objects = [d for _, d in docs if d["kind"] == "Namespace"]
    check("the Namespace object is the Deployment's", all(
        d["metadata"]["name"] == namespace for d in ns_objects))
    check("compile -n is the Deployment's namespace", flag_value(compile_argv, "-n") == namespace)
    grace = pod_spec.get("terminationGracePeriodSeconds", 30)
    pre_stop = main_c.get("lifecycle", {}).get("preStop", {})
    sleep = 0.0
    if "exec" in pre_stop:
        cmd = pre_stop["exec"]["command"]
        sleep = float(cmd[1]) if cmd[:1] == ["sleep"] and len(cmd) == 2 else 0.0
    elif "sleep" in pre_stop:
        sleep = float(pre_stop["sleep"]["seconds"])
    check("terminationGracePeriodSeconds > preStop sleep + --drain-timeout",
          drain is not None and grace > sleep + drain, f"{grace} vs {sleep} + {drain}")
    sc = pod_spec.get("securityContext", {})
    check("the pod runs as non-root", sc.get("runAsNonRoot") is True
          and sc.get("runAsUser", 0) > 0, str(sc))
    for c in [init_c, main_c]:
        csc = c.get("securityContext", {})
        check(f"container {c['name']}: read-only root fs, no privilege escalation, no caps",
              csc.get("readOnlyRootFilesystem") is True
              and csc.get("allowPrivilegeEscalation") is False
              and csc.get("capabilities", {}).get("drop") == ["ALL"], str(csc))
        check(f"container {c['name']} sets resource requests and a memory limit",
              "requests" in c.get("resources", {})
              and "memory" in c.get("resources", {}).get("limits", {}))
    check("both containers use the same image", init_c["image"] == main_c["image"])
    workers = flag_value(proxy_argv, "--workers")
    cpu = str(main_c.get("resources", {}).get("limits", {}).get("cpu", ""))
    check("--workers is set and fits the CPU limit (the default is the node's core count)",
          workers is not None and cpu.isdigit() and int(workers) <= int(cpu), f"{workers} / {cpu}")

    # The Dockerfile: stages, one package list, runtime libraries, user, ports.
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    arg_defaults = dict(re.findall(r"^ARG (\w+)=(\S+)", "\n".join(lines), re.M))
    stages, current = [], None
    for l in lines:
        if l.upper().startswith("FROM "):
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: arg_defaults.get(m.group(1), ""),
                           l.split()[1])
            current = {"image": image, "lines": []}
            stages.append(current)
        elif current is not None:
            current["lines"].append(l)
    check("the Dockerfile has a build and a runtime stage", len(stages) >= 2)
    check("every stage is Debian bookworm", all(
        re.fullmatch(r"debian:bookworm(-slim)?", s["image"]) for s in stages),
        str([s["image"] for s in stages]))
    build, runtime = stages[0], stages[-1]
    check("the build stage runs scripts/bootstrap.sh (the package list lives there alone)",
          any(l.startswith("RUN") and "scripts/bootstrap.sh" in l for l in build["lines"]))
    check("the build stage installs nothing beside bootstrap.sh",
          not any("apt-get install" in l for l in build["lines"]))
    copies = [l.split()[1:] for l in runtime["lines"] if l.startswith("COPY")]
    copied = sorted(os.path.basename(a) for c in copies for a in c[1:-1])
    check("the runtime stage copies meshc and meshproxy only",
          copied == ["meshc", "meshproxy"] and all(c[0].startswith("--from=") for c in copies),
          str(copies))
    check("the containers' commands are the copied binaries, on PATH", all(
        c[-1].rstrip("/") in ("/usr/local/bin", "/usr/bin") for c in copies)
        and {compile_argv[0], proxy_argv[0]} <= set(copied))
    users = [l.split()[1] for l in runtime["lines"] if l.startswith("USER")]
    uid = users[-1].split(":")[0] if users else "0"
    check("the runtime image runs as the Deployment's non-root uid (numeric)",
          uid.isdigit() and int(uid) != 0 and int(uid) == sc.get("runAsUser"), str(users))
    exposed = {int(p.split("/")[0]) for l in runtime["lines"] if l.startswith("EXPOSE")
               for p in l.split()[1:]}
    check("the image exposes the proxy and admin ports",
          set(container_ports.values()) <= exposed, f"{exposed} vs {container_ports}")
    installs = " ".join(l for l in runtime["lines"] if "apt-get install" in l)
    runtime_pkgs = set(re.findall(r"(?<![\w.-])([a-z0-9][a-z0-9.+-]+[0-9a-z])(?![\w.-])",
                                  installs.split("apt-get install", 1)[-1].split("&&")[0]))
    check("the runtime stage installs libssl3 (meshproxy's coming TLS)", "libssl3" in runtime_pkgs,
          str(sorted(runtime_pkgs)))
    readelf, dpkg = shutil.which("readelf"), shutil.which("dpkg")
    if readelf is None or dpkg is None:
        skipped.append("runtime packages vs the binaries' libraries (needs readelf and dpkg)")
    else:
        # In every Debian base image: libc6 (essential), libgcc-s1 and libstdc++6 (apt's own).
        base = {"libc6", "libgcc-s1", "libstdc++6"}
        for binary in (MESHC, MESHPROXY):
            needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                                run([readelf, "-d", binary]).stdout)
            for soname in needed:
                pkgs = set()
                for line in run([dpkg, "-S", f"*/{soname}"]).stdout.splitlines():
                    owners, _, where = line.rpartition(": ")
                    if re.search(r"^(/usr)?/lib/(\w+-linux-gnu|llvm-\d+/lib)/", where):
                        pkgs |= {o.strip().split(":")[0] for o in owners.split(",")}
                check(f"{os.path.basename(binary)}: {soname} comes from a runtime package",
                      pkgs and (pkgs & (runtime_pkgs | base)),
                      f"{soname}: {sorted(pkgs)} not in {sorted(runtime_pkgs)}")
except Abort:
    pass
finally:
    for p in reversed(procs):
        try:
            p.stop()
        except Exception:
            pass
    shutil.rmtree(tmp, ignore_errors=True)

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
if skipped:
    print("SKIP (every other check passed): " + "; ".join(skipped))
    sys.exit(77)
print("deploy/: lint, the init container's compile, meshproxy as deployed, and the invariants hold")

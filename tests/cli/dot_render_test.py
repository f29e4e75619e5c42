#!/usr/bin/env python3
"""explain -o dot, rendered by Graphviz: each route box shows its name, match and action as
three lines and no literal "\\n". Exits 77 (CTest skip) when the dot program is absent."""
import os
import re
import shutil
import subprocess
import sys

MESHC, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DOT = shutil.which("dot")
if DOT is None:
    print("SKIP: Graphviz dot not found")
    sys.exit(77)
failed = 0
for proxy in (["--gateway", "istio=ingressgateway"], ["--sidecar", "app=frontend", "-n", "shop"]):
    graph = subprocess.run([MESHC, "explain", "-f", os.path.join(ROOT, "samples", "shop"), *proxy,
                            "-o", "dot"], capture_output=True, text=True, check=True).stdout
    svg = subprocess.run([DOT, "-Tsvg"], input=graph, capture_output=True, text=True)
    texts = [t.replace("&quot;", '"').replace("&#45;", "-").replace("&gt;", ">")
             for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.stdout)]
    problems = []
    if svg.returncode != 0:
        problems.append(f"dot failed: {svg.stderr}")
    if any("\\n" in t for t in texts):
        problems.append("a label shows a literal \\n")
    routes = [i for i, t in enumerate(texts) if re.fullmatch(r"#\d+ .*", t)]
    if not routes:
        problems.append("no route box")
    for i in routes:
        # The line after the name is the match, the one after that the action.
        if i + 2 >= len(texts) or not re.match(r"(prefix|path|regex) ", texts[i + 1]) or not (
                texts[i + 2].startswith("→") or texts[i + 2].startswith("redirect")
                or texts[i + 2].startswith("direct response")):
            problems.append(f"route box {texts[i:i + 3]} is not name / match / action")
    if problems:
        failed += 1
        print(f"FAIL {' '.join(proxy)}:\n  " + "\n  ".join(problems))
print(f"{2 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)

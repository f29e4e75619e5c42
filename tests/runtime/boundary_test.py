#!/usr/bin/env python3
"""The runtime cannot see the compiler, and the build enforces it (DESIGN.md section 1).

1. Every meshc_runtime source compiles with only runtime/ and base/ as project include roots
   (read from compile_commands.json), and only the ORC loader has LLVM on its include path.
2. A file that includes a compiler header fails to compile with exactly those flags, with the
   compiler's "No such file" / "file not found" for that header (not some other error), while a runtime header and
   base/status.h compile with the same flags (the control).
Usage: boundary_test.py SOURCE_DIR BUILD_DIR PROBE_DIR"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

LOADER = "runtime/native/native_router.cc"


def main() -> int:
    src, build, probe_dir = (os.path.realpath(p) for p in sys.argv[1:4])
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        commands = json.load(f)
    runtime_root = os.path.join(src, "runtime") + os.sep
    problems = []
    runtime_cmds = {}
    for c in commands:
        path = os.path.realpath(c["file"])
        if not path.startswith(runtime_root):
            continue
        rel = os.path.relpath(path, src)
        args = shlex.split(c["command"])
        runtime_cmds[rel] = (args, c["directory"])
        roots = []
        for i, a in enumerate(args):
            if a.startswith("-I") and len(a) > 2:
                roots.append(os.path.realpath(a[2:]))
            elif a in ("-I", "-isystem", "-iquote", "-idirafter") and i + 1 < len(args):
                roots.append(os.path.realpath(args[i + 1]))
            elif a.startswith("-isystem") and len(a) > len("-isystem"):
                roots.append(os.path.realpath(a[len("-isystem"):]))
        project = [r for r in roots if r == src or r.startswith(src + os.sep)]
        allowed = {os.path.join(src, "runtime"), os.path.join(src, "base")}
        for r in project:
            if r not in allowed:
                problems.append(f"{rel}: include root {os.path.relpath(r, src)} is not runtime/ or base/")
        llvm = [r for r in roots if "llvm" in r]
        if rel == LOADER and not llvm:
            problems.append(f"{rel}: the ORC loader should have LLVM's headers")
        if rel != LOADER and llvm:
            problems.append(f"{rel}: LLVM headers on the include path ({llvm[0]}); only {LOADER} may")
    if len(runtime_cmds) < 5 or LOADER not in runtime_cmds:
        problems.append(f"found only {len(runtime_cmds)} runtime sources in compile_commands.json")
    # `#include "x/y.h"` must mean one file wherever it is written: the project's include roots
    # (compiler/, runtime/, base/) hold no top-level directory of the same name (runtime/ir and
    # compiler/ir once did).
    seen = {}
    for root in ("compiler", "runtime", "base"):
        for entry in sorted(os.listdir(os.path.join(src, root))):
            if os.path.isdir(os.path.join(src, root, entry)):
                if entry in seen:
                    problems.append(f"include directory {entry}/ exists in both {seen[entry]}/ and {root}/")
                seen[entry] = root
    if problems:
        print("\n".join(problems))
        return 1

    # Compile probes with the flags of a runtime file that is not the loader.
    args, directory = runtime_cmds["runtime/routing/interpreter.cc"]
    out_i = args.index("-o")
    c_i = args.index("-c")

    def compile_probe(text: str):
        with tempfile.TemporaryDirectory() as tmp:
            probe = os.path.join(tmp, "probe.cc")
            with open(probe, "w", encoding="utf-8") as f:
                f.write(text)
            cmd = list(args)
            cmd[out_i + 1] = os.path.join(tmp, "probe.o")
            cmd[c_i + 1] = probe
            cmd = [a for a in cmd if a not in ("-O3", "-O2")] + ["-fsyntax-only"]
            r = subprocess.run(cmd, cwd=directory, capture_output=True, text=True)
            return r.returncode, r.stderr

    rc, err = compile_probe('#include "base/status.h"\n#include "routing/interpreter.h"\n'
                            '#include "bundle/bundle_reader.h"\n#include "xds/proxy_config.h"\n'
                            '#include "native/native_router.h"\nint main() { return 0; }\n')
    if rc != 0:
        problems.append(f"control probe (runtime headers) does not compile:\n{err}")
    probes = sorted(os.listdir(probe_dir))
    if len(probes) < 5:
        problems.append(f"expected the compiler-header probes in {probe_dir}")
    for name in probes:
        with open(os.path.join(probe_dir, name), encoding="utf-8") as f:
            text = f.read()
        header = text.split('#include "', 1)[1].split('"', 1)[0]
        if not os.path.exists(os.path.join(src, "compiler", header)):
            problems.append(f"{name}: {header} is not a compiler header any more; update the probe")
            continue
        rc, err = compile_probe(text)
        if rc == 0:
            problems.append(f"{name}: compiler header {header} compiles with runtime flags")
        elif (f"{header}: No such file or directory" not in err  # GCC
              and f"'{header}' file not found" not in err):  # clang
            problems.append(f"{name}: failed for another reason than the missing {header}:\n{err}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"{len(runtime_cmds)} runtime sources with runtime/ and base/ roots only; "
          f"{len(probes)} compiler headers unreachable; LLVM only in {LOADER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""CTest must run what it counts: the unit entries CTest registered (label `unit`, from
catch_discover_tests) must be exactly the test cases the Catch2 binary holds, one entry per test.
A name that discovery splits (a ';' in it) or drops shows up here as a difference.
Usage: unit_test_count.py MESHC_UNIT_TESTS BUILD_DIR"""
import re
import subprocess
import sys


def main() -> int:
    binary, build_dir = sys.argv[1], sys.argv[2]
    # Catch2 2.13 exits with the number of tests listed; the list itself is the answer.
    listed = subprocess.run([binary, "--list-test-names-only"], capture_output=True,
                            text=True).stdout.splitlines()
    in_binary = [n for n in listed if n.strip()]
    out = subprocess.run(["ctest", "--test-dir", build_dir, "-N", "-L", "^unit$"], check=True,
                         capture_output=True, text=True).stdout
    in_ctest = re.findall(r"^\s*Test\s+#\d+: (.*)$", out, flags=re.M)
    total = re.search(r"^Total Tests: (\d+)$", out, flags=re.M)
    problems = []
    if total is None or int(total.group(1)) != len(in_ctest):
        problems.append(f"could not read ctest's list (Total Tests line: {total})")
    # Characters catch_discover_tests passes through unescaped but Catch2's test-spec parser reads
    # specially: the entry would then match nothing (and fail under -w NoTests) or another test.
    for n in in_binary:
        if any(c in n for c in ';\\') or n.startswith(("~", "*", "#")) or n.endswith("*"):
            problems.append(f"test name cannot be a CTest filter as written (; \\ ~ * #): {n!r}")
    if len(in_binary) != len(set(in_binary)):
        problems.append("the binary lists a test name twice")
    if len(in_ctest) != len(in_binary):
        problems.append(f"CTest counts {len(in_ctest)} unit entries, the binary holds "
                        f"{len(in_binary)} test cases")
    only_binary = sorted(set(in_binary) - set(in_ctest))
    only_ctest = sorted(set(in_ctest) - set(in_binary))
    for n in only_binary[:20]:
        problems.append(f"not registered in CTest as one entry: {n!r}")
    for n in only_ctest[:20]:
        problems.append(f"CTest entry that names no test case: {n!r}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"{len(in_ctest)} unit tests in CTest, {len(in_binary)} in the binary: equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())

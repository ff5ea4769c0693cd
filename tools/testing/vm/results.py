#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn test output into one "PASS: name" or "FAIL: name" line per test.

  results.py kunit FILE.json [PARSER-OUTPUT]
                               JSON written by "kunit.py parse --json"; with
                               PARSER-OUTPUT (what that command printed),
                               the KTAP's own complaints (a suite that ran
                               fewer tests than its plan, a crash) fail too
  results.py tap FILE [LABEL]  output of run_kselftest.sh; with LABEL, a
                               case is "LABEL: case" instead of
                               "kselftest: collection:program: case"

A skipped test did not pass: it is reported as FAIL with the reason.  A
program that reports fewer cases than its plan ("1..N") fails as well.
"""

import json
import re
import sys


def report(name, status, why=""):
    print(("PASS: " if status == "PASS" else "FAIL: ") + name +
          ("" if status == "PASS" else f" ({why or status.lower()})"))


def kunit(path, parser_output=None):
    with open(path) as f:
        root = json.load(f)
    count = 0
    if parser_output:
        with open(parser_output, errors="replace") as f:
            errors = [line.strip() for line in f if "[ERROR]" in line]
        if errors:
            report("kunit: the KTAP output is complete and well formed", "FAIL",
                   "; ".join(e.split("[ERROR]", 1)[1].strip() for e in errors[:3]))
        else:
            report("kunit: the KTAP output is complete and well formed", "PASS")

    def walk(group, prefix):
        nonlocal count
        for case in group.get("test_cases", []):
            report(f"kunit: {prefix}{case['name']}", case["status"])
            count += 1
        for sub in group.get("sub_groups", []):
            walk(sub, f"{prefix}{sub['name']}.")

    walk(root, "")
    if count == 0:
        report("kunit: results found in the console log", "FAIL", "no KTAP output")


TOP = re.compile(r"^(not )?ok \d+ selftests: (\S+): (\S+)(.*)$")
CASE = re.compile(r"^# (not )?ok \d+ (.+?)(\s+#\s*(SKIP|XFAIL|TODO).*)?$")
PLAN = re.compile(r"^# 1\.\.(\d+)\s*$")


def tap(path, label=None):
    cases = []
    plan = None
    seen = 0
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = PLAN.match(line)
            if m:
                plan = int(m.group(1))
                continue
            m = CASE.match(line)
            if m:
                status = "FAIL" if m.group(1) else "PASS"
                if m.group(4) == "SKIP":
                    status = "SKIP"
                cases.append((m.group(2), status))
                continue
            m = TOP.match(line)
            if not m:
                continue
            seen += 1
            prog = f"kselftest: {m.group(2)}:{m.group(3)}"
            prefix = prog
            if label:
                prefix = label
                prog = f"{label}: {m.group(2)}:{m.group(3)}"
            status = "FAIL" if m.group(1) else "PASS"
            if "# SKIP" in m.group(4):
                status = "SKIP"
            for name, st in cases:
                report(f"{prefix}: {name}", st)
            # A program that failed or timed out outside its cases, or
            # produced none, counts as one result of its own.
            if not cases or (status != "PASS" and
                             all(st == "PASS" for _, st in cases)):
                report(prog, status, m.group(4).strip(" #"))
            # One that stopped before the end of its plan, too
            if plan is not None and len(cases) < plan:
                report(f"{prog}: all {plan} cases of its plan reported", "FAIL",
                       f"{len(cases)} reported")
            cases = []
            plan = None
    if seen == 0:
        report(f"{label or 'kselftest'}: results found in the VM output", "FAIL",
               "no TAP output")


if __name__ == "__main__":
    if sys.argv[1:2] == ["tap"] and len(sys.argv) in (3, 4):
        tap(*sys.argv[2:])
    elif sys.argv[1:2] == ["kunit"] and len(sys.argv) in (3, 4):
        kunit(*sys.argv[2:])
    else:
        sys.exit(__doc__)

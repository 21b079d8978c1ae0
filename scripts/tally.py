#!/usr/bin/env python3
"""Adds up what scripts/check.sh ran, test by test, and prints the suite's last line:
`N passed, N failed, N skipped`.

    scripts/tally.py RESULTS_DIR

RESULTS_DIR holds what check.sh left there:
  ctest-LABEL.dir   a file naming the build folder whose ctest run is counted under LABEL
                    (its Testing/Temporary/LastTest.log has each program's output; its
                    test-results/NAME.json the counts the integration tests wrote, rwtest.main)
  ctest-LABEL.txt   ctest's own output (each program's status: Passed, Failed, Not Run, Timeout)
  fuzz.txt          tests/fuzz/run.sh's table (one fuzz target a line: ok or what it found)
  skipped.txt       lines "COUNT<TAB>WHAT<TAB>REASON" for what could not run at all here
  failed.txt        lines "COUNT<TAB>WHAT" for what failed before any test could (a build)

Each unit test function (cmocka) and each integration test case (unittest) counts once, in every
build it ran in; a program that died before saying its counts counts as one failure; a fuzz target
counts once. A test that could not run is counted as skipped with its reason, never as passed.
"""
import glob
import json
import os
import re
import sys


def ctest_status(txt):
    """{program: 'passed' | 'failed' | 'skipped'} from ctest's output."""
    out = {}
    for line in txt.splitlines():
        m = re.match(r"\s*\d+/\d+ Test\s+#\d+: (\S+) \.*\s*(\*+)?(\w[\w ]*?)\s+[\d.]+ sec", line)
        if not m:
            continue
        word = m.group(3).strip()
        out[m.group(1)] = ("passed" if word == "Passed" else
                           "skipped" if word in ("Skipped", "Not Run") and "Disabled" not in line else
                           "failed")
    return out


def cmocka_counts(log):
    """{program: (passed, failed, skipped, [skipped names])} from ctest's LastTest.log."""
    out = {}
    blocks = re.split(r"^\d+/\d+ Testing: ", log, flags=re.M)
    for b in blocks[1:]:
        name = b.split("\n", 1)[0].strip()
        body = b.split("<end of output>", 1)[0]
        counts = {}
        for word, n in re.findall(r"^\[  (PASSED|FAILED|SKIPPED) *\] (\d+) test\(s\)", body, re.M):
            counts[word] = int(n)
        if counts:
            skipped_names = re.findall(r"^\[  SKIPPED \] (\S+)\s*$", body, re.M)
            out[name] = (counts.get("PASSED", 0), counts.get("FAILED", 0), counts.get("SKIPPED", 0),
                         skipped_names)
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    res = sys.argv[1]
    passed = failed = skipped = 0
    skips = []  # (what, reason)
    failures = []
    for marker in sorted(glob.glob(os.path.join(res, "ctest-*.dir"))):
        label = os.path.basename(marker)[len("ctest-"):-len(".dir")]
        build = open(marker).read().strip()
        txt_path = os.path.join(res, "ctest-%s.txt" % label)
        status = ctest_status(open(txt_path, errors="replace").read()) if os.path.exists(txt_path) else {}
        log_path = os.path.join(build, "Testing", "Temporary", "LastTest.log")
        cm = cmocka_counts(open(log_path, errors="replace").read()) if os.path.exists(log_path) else {}
        lp = lf = ls = 0
        for prog, st in sorted(status.items()):
            detail = None
            jpath = os.path.join(build, "test-results", prog.replace("integration_", "", 1) + ".json")
            if prog.startswith("integration_") and os.path.exists(jpath):
                # written by this run (check.sh empties test-results before ctest)
                j = json.load(open(jpath))
                detail = (j["passed"], j["failed"], len(j["skipped"]))
                for s in j["skipped"]:
                    skips.append(("%s [%s]" % (s["test"], label), s["reason"]))
            elif prog in cm:
                p, f, s, names = cm[prog]
                detail = (p, f, s)
                for n in names:
                    skips.append(("%s.%s [%s]" % (prog, n, label), "skipped by the test"))
            if detail is None:  # died before reporting, or reports no counts of its own
                detail = {"passed": (1, 0, 0), "failed": (0, 1, 0), "skipped": (0, 0, 1)}[st]
                if st == "skipped":
                    skips.append(("%s [%s]" % (prog, label), "ctest did not run it"))
            elif st == "failed" and detail[1] == 0:
                detail = (detail[0], 1, detail[2])  # it said all was well, then failed (a leak...)
            if st == "failed" or detail[1]:
                failures.append("%s [%s]" % (prog, label))
            lp, lf, ls = lp + detail[0], lf + detail[1], ls + detail[2]
        print("%-22s %5d passed, %d failed, %d skipped (%d programs)" % ("tests (%s):" % label, lp, lf,
                                                                            ls, len(status)))
        passed, failed, skipped = passed + lp, failed + lf, skipped + ls
    fuzz = os.path.join(res, "fuzz.txt")
    if os.path.exists(fuzz):
        fp = ff = 0
        for line in open(fuzz):
            m = re.match(r"(fuzz_\w+)\s+\S+\s+\S+\s+(.*)$", line.strip())
            if not m:
                continue
            if m.group(2) == "ok":
                fp += 1
            else:
                ff += 1
                failures.append("%s: %s" % (m.group(1), m.group(2)))
        print("%-22s %5d passed, %d failed, 0 skipped" % ("fuzz targets:", fp, ff))
        passed, failed = passed + fp, failed + ff
    fl = os.path.join(res, "failed.txt")
    if os.path.exists(fl):
        for line in open(fl):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                failed += int(parts[0])
                failures.append(parts[1])
    sk = os.path.join(res, "skipped.txt")
    if os.path.exists(sk):
        for line in open(sk):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                skipped += int(parts[0])
                skips.append((parts[1], parts[2]))
    if skips:
        print("skipped, and why:")
        # one line per reason, naming what it held back
        by_reason = {}
        for what, why in skips:
            by_reason.setdefault(why, []).append(what)
        for why, whats in by_reason.items():
            shown = ", ".join(whats[:4]) + (" and %d more" % (len(whats) - 4) if len(whats) > 4 else "")
            print("  %s: %s" % (why, shown))
    if failures:
        print("failed:")
        for f in failures:
            print("  " + f)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The scan benchmark: rootwatch scan against what a user would run instead, side by side in one
run, on a ctgen.py trail (500 MB by default). Writes the "scan" section of docs/benchmarks.md.

Compared, on the same files:
  decompression only   xargs libdeflate-gunzip -c > /dev/null   (the floor)
  rootwatch -j 1 / -j 2
  Python               bench/py_filter.py (gzip + json modules, the same CIS filter and dedup)
  jq                   zcat | jq with the same filter and dedup

Times are medians over rounds that run every command once each, in a rotated order (the machine is
shared: a change in its load falls on every command alike; ratios and medians, never single
timings); a ratio to decompression is the median over rounds of the two times of one round. Peak
memory is the maximum resident set size from GNU time.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docsection import write_section  # noqa: E402
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "bench", ".data")
DOC = os.path.join(REPO, "docs", "benchmarks.md")

JQ_FILTER = ('[inputs | .Records[]? | select(.userIdentity.type == "Root" and '
             '(.userIdentity | has("invokedBy") | not) and .eventType != "AwsServiceEvent")] '
             '| unique_by(.eventID) | .[]')


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw)


def need(tool):
    if not shutil.which(tool):
        sys.exit("scan_bench: %s is missing (scripts/deps.sh bench installs it)" % tool)


def ctgen(mb, seed, **kw):
    extra = "".join("-%s%s" % (k, v) for k, v in sorted(kw.items()))
    out = os.path.join(DATA, "trail-%smb-seed%d%s" % (mb, seed, extra))
    if not os.path.exists(os.path.join(out, "manifest.json")):
        print("generating %s ..." % out, file=sys.stderr)
        args = [sys.executable, os.path.join(REPO, "tools", "ctgen.py"), out, "--mb", str(mb), "--seed", str(seed)]
        for k, v in kw.items():
            args += ["--" + k.replace("_", "-"), str(v)]
        subprocess.run(args, check=True, capture_output=True)
    return out


def file_list(trail):
    path = trail + ".files"
    files = []
    for root, dirs, names in os.walk(os.path.join(trail, "AWSLogs")):
        dirs.sort()
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".json.gz")]
    with open(path, "w") as f:
        f.write("\n".join(files) + "\n")
    return path, files


def interleaved(cmds, fast, slow, runs, slow_runs, warmup):
    """Times every command in rounds, each round running each once in a rotated order, so that a
    change in the machine's load (it is shared) falls on all of them alike. The first slow_runs
    rounds also run the slow commands. Returns {name: {"times", "median", "min", "max", "ratio"}},
    ratio being the median over rounds of the command's time over "decompression only"'s time in
    the same round."""
    def once(cmd):
        t = time.perf_counter()
        subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t

    for _ in range(warmup):
        for k in fast:
            once(cmds[k])
    times = {k: [] for k in fast + slow}
    base = []
    for i in range(runs):
        names = fast + (slow if i < slow_runs else [])
        shift = i % len(names)
        row = {}
        for k in names[shift:] + names[:shift]:
            row[k] = once(cmds[k])
        for k, v in row.items():
            times[k].append((v, row["decompression only"]))
    res = {}
    for k, tv in times.items():
        ts = [t for t, _ in tv]
        res[k] = {"times": ts, "median": statistics.median(ts), "min": min(ts), "max": max(ts),
                  "ratio": statistics.median([t / d for t, d in tv])}
    return res


def build_commit(rev):
    """Builds rootwatch of commit rev (git archive, cmake, no tests) into bench/.data/build-REV,
    unless it is there already; returns the build folder."""
    out = os.path.join(DATA, "build-" + rev)
    if os.path.exists(os.path.join(out, "rootwatch")):
        return out
    src = os.path.join(DATA, "src-" + rev)
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    print("building rootwatch of %s ..." % rev, file=sys.stderr)
    sh("git -C %s archive %s | tar -x -C %s" % (REPO, rev, src))
    sh("cmake -S %s -B %s -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRW_TESTS=OFF && cmake --build %s -j%d"
       % (src, out, out, os.cpu_count() or 2))
    shutil.rmtree(src, ignore_errors=True)
    return out


def peak_rss_mb(cmd):
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "sh", "-c", cmd], capture_output=True, text=True)
    return int(p.stderr.strip().splitlines()[-1]) / 1024.0


def count_lines(cmd):
    return len([l for l in sh(cmd).stdout.splitlines() if l.strip()])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--slow-runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--no-doc", action="store_true", help="print, do not write docs/benchmarks.md")
    ap.add_argument("--baseline", metavar="BUILD",
                    help="also time the rootwatch of another build (-j 1), e.g. one of an older commit")
    ap.add_argument("--baseline-label", default="baseline", metavar="TEXT",
                    help="what the baseline build is, for the table (e.g. 'commit c6d995c')")
    ap.add_argument("--baseline-commit", metavar="REV",
                    help="the baseline is this commit, built (once) into bench/.data/build-REV")
    a = ap.parse_args()
    load_before = "%.2f" % os.getloadavg()[0]
    if a.baseline_commit:
        a.baseline = build_commit(a.baseline_commit)
        if a.baseline_label == "baseline":
            a.baseline_label = "commit " + a.baseline_commit
    for t in ("libdeflate-gunzip", "jq", "zcat"):
        need(t)
    rw = os.path.join(a.build, "rootwatch")
    os.makedirs(DATA, exist_ok=True)
    trail = ctgen(a.mb, a.seed)
    flist, files = file_list(trail)
    logs = os.path.join(trail, "AWSLogs")
    manifest = json.load(open(os.path.join(trail, "manifest.json")))
    compressed = sum(os.path.getsize(f) for f in files)

    rules100 = os.path.join(DATA, "rules-100.yaml")
    subprocess.run([sys.executable, os.path.join(REPO, "bench", "gen_rules.py"), rules100, "100", "1"], check=True)
    cmds = {
        "decompression only": "xargs -a %s libdeflate-gunzip -c > /dev/null" % flist,
        "rootwatch -j 1": "%s scan -q -j 1 -f ndjson %s > /dev/null" % (rw, logs),
        "rootwatch -j 2": "%s scan -q -j 2 -f ndjson %s > /dev/null" % (rw, logs),
        "rootwatch -j 1, 100 user rules": "%s scan -q -j 1 -f ndjson --rules %s %s > /dev/null" % (rw, rules100, logs),
        "Python json": "%s %s %s > /dev/null" % (sys.executable, os.path.join(REPO, "bench", "py_filter.py"), logs),
        "zcat | jq": "xargs -a %s zcat | jq -cn '%s' > /dev/null" % (flist, JQ_FILTER),
    }
    if a.baseline:
        base_key = "rootwatch -j 1, %s" % a.baseline_label
        cmds[base_key] = "%s scan -q -j 1 -f ndjson %s > /dev/null" % (
            os.path.join(a.baseline, "rootwatch"), logs)
    # correctness first: every tool finds the same root events
    rw_out = sh("%s scan -q -f ndjson %s || test $? -eq 1" % (rw, logs)).stdout
    n_rw = len([l for l in rw_out.splitlines() if l.strip()])
    n_py = count_lines("%s %s %s" % (sys.executable, os.path.join(REPO, "bench", "py_filter.py"), logs))
    n_jq = count_lines("xargs -a %s zcat | jq -cn '%s'" % (flist, JQ_FILTER))
    score = "ctscore.py not available"
    ctscore = os.path.join(os.path.dirname(REPO), "shared", "tools", "ctscore.py")
    if os.path.exists(ctscore):
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as f:
            f.write(rw_out)
        p = subprocess.run([sys.executable, ctscore, trail, f.name], capture_output=True, text=True)
        os.unlink(f.name)
        score = "ctscore.py: " + ("PASS" if p.returncode == 0 else "FAIL\n" + p.stdout)

    print("timing (interleaved rounds) ...", file=sys.stderr)
    fast_keys = ["decompression only", "rootwatch -j 1", "rootwatch -j 2", "rootwatch -j 1, 100 user rules"]
    if a.baseline:
        fast_keys.append(base_key)
    res = interleaved(cmds, fast_keys, ["Python json", "zcat | jq"], a.runs, a.slow_runs, 2)
    med = {k: res[k]["median"] for k in cmds}

    print("peak memory ...", file=sys.stderr)
    rss = {k: peak_rss_mb(cmds[k]) for k in ("rootwatch -j 1", "rootwatch -j 2")}
    rss_loaded = peak_rss_mb("%s --version > /dev/null" % rw)  # the program and its libraries, nothing read
    nlibs = len([l for l in sh("ldd %s" % rw).stdout.splitlines() if "=>" in l])
    if a.baseline:
        rss_base = peak_rss_mb(cmds[base_key])
        rss_base_loaded = peak_rss_mb("%s --version > /dev/null" % os.path.join(a.baseline, "rootwatch"))
    # memory grows with the largest file, not the total: a small trail, and one with 10x larger files
    small = ctgen(50, a.seed)
    big_files = ctgen(200, a.seed, records_per_file=20000)
    largest = max(json.load(open(os.path.join(big_files, "manifest.json")))["bytes_uncompressed"] //
                  json.load(open(os.path.join(big_files, "manifest.json")))["files"], 1)
    rss_small = peak_rss_mb("%s scan -q -j 2 -f ndjson %s/AWSLogs > /dev/null" % (rw, small))
    rss_big = peak_rss_mb("%s scan -q -j 2 -f ndjson %s/AWSLogs > /dev/null" % (rw, big_files))

    d, r1, r2 = med["decompression only"], med["rootwatch -j 1"], med["rootwatch -j 2"]
    r100 = med["rootwatch -j 1, 100 user rules"]
    q1, q100 = res["rootwatch -j 1"]["ratio"], res["rootwatch -j 1, 100 user rules"]["ratio"]
    targets = [
        ("-j 1 at most 1.3x decompression only", q1, q1 <= 1.3, "%.2fx" % q1),
        ("-j 1 with 100 user rules at most 1.5x decompression only", q100, q100 <= 1.5, "%.2fx" % q100),
        ("-j 2 at least 1.7x faster than -j 1", r1 / r2, r1 / r2 >= 1.7, "%.2fx" % (r1 / r2)),
        ("at least 6x faster than Python (rootwatch as run by default, -j 2; at -j 1: %.1fx)"
         % (med["Python json"] / r1), med["Python json"] / r2, med["Python json"] / r2 >= 6,
         "%.1fx" % (med["Python json"] / r2)),
        ("at least 15x faster than jq (rootwatch as run by default, -j 2; at -j 1: %.1fx)"
         % (med["zcat | jq"] / r1), med["zcat | jq"] / r2, med["zcat | jq"] / r2 >= 15,
         "%.1fx" % (med["zcat | jq"] / r2)),
        ("peak memory under 100 MB", max(rss.values()), max(rss.values()) < 100,
         "%.1f MB" % max(rss.values())),
    ]
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = sh("%s --version" % rw).stdout.strip()
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()

    L = []
    L.append("## rootwatch scan: a %d MB trail\n" % a.mb)
    L.append("Produced by `bench/scan_bench.sh %s` (`make bench`) on %s, commit %s, %s; %s, %d cores; "
             "load average %s before.\n"
             % (" ".join(sys.argv[1:]).replace(REPO + "/", "") or "--mb %d" % a.mb,
                datetime.date.today().isoformat(), commit or "?", version, cpu, os.cpu_count(), load_before))
    L.append("The trail: `tools/ctgen.py --mb %d --seed %d`: %d files, %d records, %.0f MB decompressed, "
             "%.1f MB compressed, %d root events to find (plus %d look-alike traps)."
             % (a.mb, a.seed, manifest["files"], manifest["records"], manifest["bytes_uncompressed"] / 1e6,
                compressed / 1e6, manifest["truth"], manifest["traps"]))
    L.append("Every tool found the same events: rootwatch %d, Python %d, jq %d; %s.\n" % (n_rw, n_py, n_jq, score))
    L.append("| command | median | min | max | runs | vs decompression | throughput (decompressed) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for k in cmds:
        r = res[k]
        L.append("| %s | %.3f s | %.3f s | %.3f s | %d | %.2fx | %.0f MB/s |"
                 % (k, r["median"], r["min"], r["max"], len(r["times"]), r["ratio"],
                    manifest["bytes_uncompressed"] / 1e6 / r["median"]))
    L.append("")
    L.append("| target | measured | met |")
    L.append("|---|---:|:---:|")
    for name, _, ok, shown in targets:
        L.append("| %s | %s | %s |" % (name, shown, "yes" if ok else "**no**"))
    L.append("")
    L.append("Single-threaded (`-j 1`), rootwatch takes about as long as decompression alone, so its "
             "ratio to jq or Python at `-j 1` is their ratio to decompression: %.1fx and %.1fx here. The "
             "comparison with Python and jq uses rootwatch as a user runs it (`rootwatch scan`, all "
             "cores: `-j 2` on this machine); the `zcat | jq` pipeline runs two processes too."
             % (med["zcat | jq"] / r1, med["Python json"] / r1))
    L.append("")
    L.append("Peak resident memory (GNU time, maximum RSS): -j 1 %.1f MB, -j 2 %.1f MB on this trail; "
             "-j 2 on a 50 MB trail: %.1f MB; -j 2 on a 200 MB trail of %.0f MB files "
             "(`--records-per-file 20000`): %.1f MB. Memory follows the largest file, not the total."
             % (rss["rootwatch -j 1"], rss["rootwatch -j 2"], rss_small, largest / 1e6, rss_big))
    L.append("")
    L.append("Of that, %.1f MB is the program loaded with its %d shared libraries and nothing read "
             "(`rootwatch --version`): libcurl and its TLS, Kerberos and LDAP libraries, SQLite, "
             "libmicrohttpd, mapped at start for every command." % (rss_loaded, nlibs))
    if a.baseline:
        L.append("")
        L.append("Beside it, the same trail scanned by the rootwatch of %s (`--baseline`): -j 1 median "
                 "%.3f s against %.3f s now (%.2fx: the median over rounds of today's time over its), peak memory %.1f MB (%.1f MB of it loaded, "
                 "nothing read) against %.1f MB."
                 % (a.baseline_label, med[base_key], r1,
                    statistics.median([x / y for x, y in zip(res["rootwatch -j 1"]["times"], res[base_key]["times"])]),
                    rss_base, rss_base_loaded,
                    rss["rootwatch -j 1"]))
    L.append("")
    L.append("The 100 user rules are `bench/gen_rules.py OUT 100 1`: sensitive actions by name, named "
             "roles and users, KMS calls by prefix, beside the built-in root rules.")
    L.append("")
    L.append("Timed in %d rounds after 2 of warm-up, each round running every command once in a "
             "rotated order (Python and jq in the first %d), so that the shared machine's changing "
             "load falls on all alike; \"vs decompression\" is the median over rounds of the "
             "command's time over decompression's in the same round. Commands, exactly as timed "
             "(each through `sh -c`):\n" % (a.runs, a.slow_runs))
    L.append("```")
    for k, c in cmds.items():
        L.append("# %s\n%s" % (k, c.replace(REPO + "/", "").replace(DATA + "/", "bench/.data/")))
    L.append("```")
    section = "\n".join(L) + "\n"
    print(section)
    if not a.no_doc:
        write_section(section, "scan")
    return 0 if all(t[2] for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())

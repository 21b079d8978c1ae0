"""Shared helpers for rootwatch's integration tests (Python unittest).

Environment (set by CTest):
  ROOTWATCH      the binary under test (default: build/rootwatch)
  RW_TEST_WORK   a folder for generated data, kept between runs (default: build/testwork)
  RW_SANITIZED   "1" when the binary is built with ASan/UBSan (slower; RSS limits do not apply)
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOTWATCH = os.environ.get("ROOTWATCH", os.path.join(REPO, "build", "rootwatch"))
WORK = os.environ.get("RW_TEST_WORK", os.path.join(REPO, "build", "testwork"))
SANITIZED = os.environ.get("RW_SANITIZED", "0") in ("1", "ON", "TRUE", "true")
SHARED = os.environ.get("RW_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
CTGEN = os.path.join(REPO, "tools", "ctgen.py")
CTSCORE = os.path.join(SHARED, "tools", "ctscore.py")

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "ERROR: ThreadSanitizer")


def run(args, stdin=None, timeout=600, env=None, check_sanitizer=True):
    """Runs rootwatch with args; returns a CompletedProcess with text stdout and stderr."""
    e = dict(os.environ)
    if env and env.get("RW_CLEAN_ENV") == "1":
        e = dict(env)  # a complete environment (awsfake.clean_aws_env): nothing added back
    elif env:
        e.update(env)
    p = subprocess.run([ROOTWATCH] + list(args), input=stdin, capture_output=True,
                       timeout=timeout, env=e)
    p.stdout_text = p.stdout.decode("utf-8", "replace")
    p.stderr_text = p.stderr.decode("utf-8", "replace")
    if check_sanitizer:
        for mark in SANITIZER_MARKS:
            if mark in p.stderr_text:
                raise AssertionError("sanitizer report from rootwatch %s:\n%s" % (args, p.stderr_text[-4000:]))
        if p.returncode in (86, 87):
            raise AssertionError("sanitizer exit code %d from rootwatch %s:\n%s" % (p.returncode, args, p.stderr_text[-4000:]))
        if p.returncode < 0:
            raise AssertionError("rootwatch %s died of signal %d:\n%s" % (args, -p.returncode, p.stderr_text[-4000:]))
    return p


def _check_sanitizer(p, args):
    """The checks run() makes, for run_measured()."""
    for mark in SANITIZER_MARKS:
        if mark in p.stderr_text:
            raise AssertionError("sanitizer report from rootwatch %s:\n%s" % (args, p.stderr_text[-4000:]))
    if p.returncode in (86, 87):
        raise AssertionError("sanitizer exit code %d from rootwatch %s:\n%s"
                             % (p.returncode, args, p.stderr_text[-4000:]))
    if p.returncode < 0:
        raise AssertionError("rootwatch %s died of signal %d:\n%s" % (args, -p.returncode, p.stderr_text[-4000:]))


def run_measured(args, stdin=None, timeout=600, env=None, cwd=None, preexec_fn=None,
                 check_sanitizer=True, binary=None):
    """Like run(), and also measures the peak resident memory of that one child (p.maxrss_kb,
    from wait4, so earlier children do not count). stdin may be bytes or an iterable of bytes
    chunks, written through a pipe as the child reads (a large input is never held whole). cwd and
    preexec_fn go to subprocess.Popen."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.Popen([binary or ROOTWATCH] + list(args),
                         stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, cwd=cwd,
                         preexec_fn=preexec_fn)
    out = {}

    def drain(name, f):
        with f:
            out[name] = f.read()

    readers = [threading.Thread(target=drain, args=("out", p.stdout), daemon=True),
               threading.Thread(target=drain, args=("err", p.stderr), daemon=True)]
    for t in readers:
        t.start()
    expired = []

    def kill():
        expired.append(True)
        p.kill()

    watchdog = threading.Timer(timeout, kill)
    watchdog.start()
    try:
        if stdin is not None:
            try:
                for chunk in ([stdin] if isinstance(stdin, (bytes, bytearray)) else stdin):
                    p.stdin.write(chunk)
                p.stdin.close()
            except BrokenPipeError:  # the child stopped reading: its exit status tells why
                pass
        _, status, usage = os.wait4(p.pid, 0)
    finally:
        watchdog.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    if expired:
        raise subprocess.TimeoutExpired([ROOTWATCH] + list(args), timeout)
    res = subprocess.CompletedProcess(p.args, p.returncode, out.get("out", b""), out.get("err", b""))
    res.maxrss_kb = usage.ru_maxrss
    res.stdout_text = res.stdout.decode("utf-8", "replace")
    res.stderr_text = res.stderr.decode("utf-8", "replace")
    if check_sanitizer:
        _check_sanitizer(res, args)
    return res

def ndjson(text):
    """Parses NDJSON output into a list of objects (every line must be a JSON object)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            obj = json.loads(line)
            assert isinstance(obj, dict), line
            out.append(obj)
    return out


def ctgen(mb, seed, **kw):
    """A ctgen.py corpus (cached in WORK); returns its folder."""
    extra = "".join("-%s%s" % (k, v) for k, v in sorted(kw.items()))
    out = os.path.join(WORK, "ctgen-%smb-seed%d%s" % (mb, seed, extra))
    if not os.path.exists(os.path.join(out, "manifest.json")):
        args = [sys.executable, CTGEN, out, "--mb", str(mb), "--seed", str(seed)]
        for k, v in kw.items():
            args += ["--" + k.replace("_", "-"), str(v)]
        subprocess.run(args, check=True, capture_output=True)
    return out


def truth(corpus):
    with open(os.path.join(corpus, "truth.jsonl")) as f:
        return {x["eventID"]: x for x in map(json.loads, f)}


def traps(corpus):
    with open(os.path.join(corpus, "traps.jsonl")) as f:
        return {x["eventID"]: x["why"] for x in map(json.loads, f)}


def score(corpus, alerts):
    """The project's own count of alerts against ctgen's truth (works without ../shared).
    Returns (ok, details)."""
    t, tr = truth(corpus), traps(corpus)
    seen = {}
    for a in alerts:
        seen[a["eventID"]] = seen.get(a["eventID"], 0) + 1
    missed = [e for e in t if e not in seen]
    dupes = {e: n for e, n in seen.items() if n > 1}
    trap_hits = {e: tr[e] for e in seen if e in tr}
    other = [e for e in seen if e not in t and e not in tr]
    ok = not missed and not dupes and not trap_hits and not other
    return ok, dict(truth=len(t), found=len(t) - len(missed), missed=missed[:5], dupes=dupes,
                    trap_hits=trap_hits, other=other[:5])


def ctscore(corpus, alerts_path):
    """Runs ../shared/tools/ctscore.py; returns (returncode, output) or None when it is absent."""
    if not os.path.exists(CTSCORE):
        return None
    p = subprocess.run([sys.executable, CTSCORE, corpus, alerts_path], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


_said_no_ctscore = False


def assert_scores(test, corpus, stdout, what=""):
    """Requires the alerts in stdout (NDJSON bytes or text) to be ctgen's truth exactly: by the
    project's own count, and by ../shared/tools/ctscore.py where it is present (a note says once
    when it is not). Returns the alerts."""
    global _said_no_ctscore
    text = stdout.decode("utf-8", "replace") if isinstance(stdout, bytes) else stdout
    alerts = ndjson(text)
    ok, details = score(corpus, alerts)
    test.assertTrue(ok, "%s%s" % (what + ": " if what else "", details))
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as f:
        f.write(text)
    try:
        res = ctscore(corpus, f.name)
        if res is not None:
            test.assertEqual(res[0], 0, res[1])
        elif not _said_no_ctscore:
            _said_no_ctscore = True
            print("\nnote: %s is absent (a user's clone): trails are scored with the project's own "
                  "count only, not also with ctscore.py" % CTSCORE, file=sys.stderr)
    finally:
        os.unlink(f.name)
    return alerts


def skip_without_shared(test):
    if not os.path.exists(CTSCORE):
        test.skipTest("../shared/tools/ctscore.py is absent (a user's clone): skipped; the project's "
                      "own scoring still runs")


def problems(stderr_text):
    """The error lines rootwatch printed: [(path, offset or None, message)]."""
    out = []
    for line in stderr_text.splitlines():
        m = re.match(r"rootwatch: error: (.*?): (?:decompressed )?byte (\d+): (.*)$", line)
        if m:
            out.append((m.group(1), int(m.group(2)), m.group(3)))
            continue
        m = re.match(r"rootwatch: error: (.*?): (.*)$", line)
        if m:
            out.append((m.group(1), None, m.group(2)))
    return out


ACCOUNT = "111122223333"


def record(event_id, who="root", account=ACCOUNT, region="us-east-1", time="2026-11-20T10:00:00Z",
           source="iam.amazonaws.com", name="CreateUser", **fields):
    """A CloudTrail record made by hand. who: "root" (the root user with a long-term access key),
    "user" (an IAM user) or "role" (an assumed role). fields are set last (None removes one)."""
    if who == "root":
        ident = {"type": "Root", "principalId": account, "arn": "arn:aws:iam::%s:root" % account,
                 "accountId": account, "accessKeyId": "AKIAIOSFODNN7EXAMPLE"}
    elif who == "user":
        ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001", "userName": "alice",
                 "arn": "arn:aws:iam::%s:user/alice" % account, "accountId": account,
                 "accessKeyId": "AKIAEXAMPLEUSERKEY01"}
    else:
        ident = {"type": "AssumedRole", "principalId": "AROAEXAMPLEROLE00001:ci",
                 "arn": "arn:aws:sts::%s:assumed-role/deployer/ci" % account, "accountId": account,
                 "accessKeyId": "ASIAEXAMPLEROLEKEY01",
                 "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deployer",
                                                      "arn": "arn:aws:iam::%s:role/deployer" % account},
                                    "attributes": {"mfaAuthenticated": "false",
                                                   "creationDate": "2026-11-20T09:00:00Z"}}}
    rec = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": time, "eventSource": source,
           "eventName": name, "awsRegion": region, "sourceIPAddress": "203.0.113.7",
           "userAgent": "aws-cli/2.15.30 Python/3.11.8", "requestParameters": {"userName": "bob"},
           "responseElements": None, "requestID": "req-" + event_id, "eventID": event_id,
           "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
           "recipientAccountId": account, "eventCategory": "Management"}
    for k, v in fields.items():
        if v is None:
            rec.pop(k, None)
        else:
            rec[k] = v
    return rec


def trail_bytes(records):
    """A CloudTrail log file's content, {"Records":[...]}, compact as CloudTrail writes it."""
    return json.dumps({"Records": list(records)}, separators=(",", ":")).encode()


def main():
    """Runs the calling test file's tests (unittest, verbose). With RW_RESULTS_DIR set (the build
    sets it), also writes RW_RESULTS_DIR/<file>.json with the counts of passed, failed and skipped
    tests and each skip's reason, which scripts/tally.py adds up for the suite's last line."""
    os.makedirs(WORK, exist_ok=True)
    if not os.path.exists(ROOTWATCH):
        print("rootwatch binary not found at %s (set ROOTWATCH)" % ROOTWATCH)
        sys.exit(2)
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    skipped = [{"test": t.id() if hasattr(t, "id") else str(t), "reason": why} for t, why in r.skipped]
    passed = r.testsRun - failed - len(skipped)
    out = os.environ.get("RW_RESULTS_DIR")
    if out:
        os.makedirs(out, exist_ok=True)
        name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump({"file": name, "passed": passed, "failed": failed, "skipped": skipped}, f)
    sys.exit(0 if r.wasSuccessful() else 1)

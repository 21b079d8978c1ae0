"""rootwatch alerts list/show against stores filled through the store's C API (tests/tools/
store_tool.c, RW_STORE_TOOL) with alerts as `rootwatch scan --format ndjson` prints them: the
table, JSON and NDJSON outputs, the filters (--state, --since, --limit), show by eventID and by id,
a missing, empty or foreign store, usage errors, and that listing never changes the store.

ROOTWATCH_NOW fixes "now" for --since durations."""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import rwtest

STORE_TOOL = os.environ.get("RW_STORE_TOOL",
                            os.path.join(rwtest.REPO, "build", "tests", "rw_store_tool"))
A, B = "111122223333", "444455556666"
T0 = 1795168800000  # 2026-11-20T10:00:00Z in epoch milliseconds
MIN = 60000
NOW = {"ROOTWATCH_NOW": "2026-11-20T12:00:00Z"}


def store_tool(*args, stdin=None):
    p = subprocess.run([STORE_TOOL] + [str(a) for a in args], input=stdin, capture_output=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError("rw_store_tool %s: %s" % (args, p.stderr.decode()))
    return p.stdout.decode()


def scan_alerts(records):
    """The alerts rootwatch scan finds in records, as its NDJSON lines."""
    p = rwtest.run(["scan", "--format", "ndjson", "-q", "-"], stdin=rwtest.trail_bytes(records))
    assert p.returncode == 1, p.stderr_text  # 1: alerts found
    return [line for line in p.stdout_text.splitlines() if line.strip()]


class AlertsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rw-alerts-")
        records = [
            rwtest.record("ev-login", account=A, time="2026-11-20T09:00:00Z",
                          source="signin.amazonaws.com", name="ConsoleLogin",
                          eventType="AwsConsoleSignIn",
                          responseElements={"ConsoleLogin": "Success"},
                          additionalEventData={"MFAUsed": "No"}),
            rwtest.record("ev-key", account=B, region="eu-west-1", time="2026-11-20T09:30:00Z",
                          name="CreateAccessKey"),
            rwtest.record("ev-trail", account=A, time="2026-11-20T09:45:00Z",
                          source="cloudtrail.amazonaws.com", name="StopLogging"),
            rwtest.record("ev-escape", account=B, time="2026-11-20T09:50:00Z",
                          name="Describe\x1b[31mRed\x07"),
        ]
        cls.lines = {json.loads(l)["eventID"]: l for l in scan_alerts(records)}
        assert len(cls.lines) == 4, cls.lines.keys()
        cls.store = os.path.join(cls.tmp, "store", "rootwatch.db")
        # detected 10:00, 10:10, 10:20, 10:30 in this order (ev-escape newest)
        order = ["ev-login", "ev-key", "ev-trail", "ev-escape"]
        out = store_tool(cls.store, "add", "slack,webhook", T0, 10 * MIN,
                         stdin=("\n".join(cls.lines[e] for e in order) + "\n").encode())
        assert out.strip() == "added 4 known 0", out
        # adding again changes nothing
        out = store_tool(cls.store, "add", "slack,webhook,sns", T0 + 99 * MIN, 0,
                         stdin=("\n".join(cls.lines[e] for e in order) + "\n").encode())
        assert out.strip() == "added 0 known 4", out
        # ev-login: slack sent at the first attempt; webhook failed twice, retried at 10:30
        store_tool(cls.store, "sending", "ev-login", "slack", T0 + 1000)
        store_tool(cls.store, "sent", "ev-login", "slack", T0 + 2000)
        for i in range(2):
            store_tool(cls.store, "sending", "ev-login", "webhook", T0 + i * MIN)
            store_tool(cls.store, "fail", "ev-login", "webhook", T0 + i * MIN + 500,
                       T0 + 30 * MIN, "retry", "HTTP 503 Service Unavailable")
        # ev-key: slack given up (a permanent error); webhook sent after 3 attempts
        store_tool(cls.store, "sending", "ev-key", "slack", T0 + 11 * MIN)
        store_tool(cls.store, "fail", "ev-key", "slack", T0 + 11 * MIN, 0, "final",
                   "HTTP 404 (channel gone)")
        for i in range(3):
            store_tool(cls.store, "sending", "ev-key", "webhook", T0 + (11 + i) * MIN)
            if i < 2:
                store_tool(cls.store, "fail", "ev-key", "webhook", T0 + (11 + i) * MIN, 0,
                           "retry", "timeout")
        store_tool(cls.store, "sent", "ev-key", "webhook", T0 + 14 * MIN)
        # ev-trail: slack being sent (a process stopped meanwhile); ev-escape: nothing yet
        store_tool(cls.store, "sending", "ev-trail", "slack", T0 + 21 * MIN)
        cls.env = dict(NOW)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def alerts(self, *args, code=0):
        p = rwtest.run(["alerts"] + list(args) + ["--store", self.store], env=self.env)
        self.assertEqual(p.returncode, code, p.stderr_text)
        return p

    def ids(self, *args):
        p = self.alerts("list", "--format", "ndjson", *args)
        return [a["eventID"] for a in rwtest.ndjson(p.stdout_text)]

    # ---- list ----------------------------------------------------------------------------------

    def test_table(self):
        p = self.alerts("list")
        lines = p.stdout_text.splitlines()
        self.assertEqual(lines[0].split(), ["DETECTED", "EVENT", "TIME", "ACCOUNT", "EVENT",
                                            "SEVERITY", "RULE", "DELIVERIES"])
        self.assertEqual(len(lines), 5)
        rows = lines[1:]
        # newest first
        self.assertTrue(rows[0].startswith("2026-11-20T10:30:00Z  2026-11-20T09:50:00Z  " + B))
        self.assertTrue(rows[3].startswith("2026-11-20T10:00:00Z  2026-11-20T09:00:00Z  " + A))
        self.assertIn("ConsoleLogin", rows[3])
        self.assertIn("root-console-sign-in", rows[3])
        self.assertTrue(rows[3].endswith("slack:sent webhook:pending(2)"), rows[3])
        self.assertTrue(rows[2].endswith("slack:failed(1) webhook:sent(3)"), rows[2])
        self.assertTrue(rows[1].endswith("slack:sending(1) webhook:pending"), rows[1])
        self.assertTrue(rows[0].endswith("slack:pending webhook:pending"), rows[0])
        self.assertIn("StopLogging", rows[1])
        self.assertIn("CreateAccessKey", rows[2])
        # severities as scan gave them
        for row, eid in zip(rows, ["ev-escape", "ev-trail", "ev-key", "ev-login"]):
            self.assertIn("  %s  " % json.loads(self.lines[eid])["severity"], row)
        # text from a record cannot drive the terminal
        self.assertNotIn("\x1b", p.stdout_text)
        self.assertNotIn("\x07", p.stdout_text)
        self.assertIn("Describe?[31mRed?", rows[0])

    def test_json_and_ndjson(self):
        p = self.alerts("list", "--format", "json")
        arr = json.loads(p.stdout_text)
        nd = rwtest.ndjson(self.alerts("list", "--format", "ndjson").stdout_text)
        self.assertEqual(arr, nd)
        self.assertEqual([a["eventID"] for a in arr], ["ev-escape", "ev-trail", "ev-key", "ev-login"])
        login = arr[3]
        self.assertEqual(login["alert"], json.loads(self.lines["ev-login"]))
        self.assertEqual(login["account"], A)
        self.assertEqual(login["region"], "us-east-1")
        self.assertEqual(login["eventName"], "ConsoleLogin")
        self.assertEqual(login["eventTime"], "2026-11-20T09:00:00Z")
        self.assertEqual(login["rule"], "root-console-sign-in")
        self.assertEqual(login["detected"], "2026-11-20T10:00:00Z")
        self.assertIsInstance(login["id"], int)
        slack, webhook = login["deliveries"]
        self.assertEqual(slack, {"channel": "slack", "state": "sent", "attempts": 1,
                                 "nextAttempt": None, "lastError": None,
                                 "updated": "2026-11-20T10:00:02Z", "sent": "2026-11-20T10:00:02Z"})
        self.assertEqual(webhook["state"], "pending")
        self.assertEqual(webhook["attempts"], 2)
        self.assertEqual(webhook["nextAttempt"], "2026-11-20T10:30:00Z")
        self.assertEqual(webhook["lastError"], "HTTP 503 Service Unavailable")
        self.assertIsNone(webhook["sent"])
        # the escape travels as JSON escapes
        self.assertEqual(arr[0]["eventName"], "Describe\x1b[31mRed\x07")
        self.assertNotIn("\x1b", p.stdout_text)
        # every alert is the one scan printed
        for a in arr:
            self.assertEqual(a["alert"], json.loads(self.lines[a["eventID"]]))

    def test_filters(self):
        self.assertEqual(self.ids("--state", "sent"), ["ev-key", "ev-login"])
        self.assertEqual(self.ids("--state", "failed"), ["ev-key"])
        self.assertEqual(self.ids("--state", "sending"), ["ev-trail"])
        self.assertEqual(self.ids("--state", "pending"), ["ev-escape", "ev-trail", "ev-login"])
        self.assertEqual(self.ids("--limit", "2"), ["ev-escape", "ev-trail"])
        self.assertEqual(self.ids("--limit", "1", "--state", "sent"), ["ev-key"])
        self.assertEqual(self.ids("--since", "2026-11-20T10:10:00Z"),
                         ["ev-escape", "ev-trail", "ev-key"])
        self.assertEqual(self.ids("--since", "2026-11-20T10:10:01Z"), ["ev-escape", "ev-trail"])
        # a duration before now (ROOTWATCH_NOW 12:00): since 10:15
        self.assertEqual(self.ids("--since", "105m"), ["ev-escape", "ev-trail"])
        self.assertEqual(self.ids("--since", "1h"), [])
        self.assertEqual(self.alerts("list", "--since", "1h").stdout_text, "No alerts.\n")
        self.assertEqual(self.alerts("list", "--since", "1h", "--format", "json").stdout_text,
                         "[]\n")
        self.assertEqual(self.alerts("list", "--since", "1h", "--format", "ndjson").stdout_text, "")

    # ---- show ----------------------------------------------------------------------------------

    def test_show(self):
        p = self.alerts("show", "ev-login")
        out = p.stdout_text
        self.assertIn("eventID     ev-login", out)
        self.assertIn("detected    2026-11-20T10:00:00Z", out)
        self.assertIn("event time  2026-11-20T09:00:00Z", out)
        self.assertIn("account     " + A, out)
        self.assertIn("rule        root-console-sign-in", out)
        self.assertRegex(out, r"slack +sent +1 attempt, sent 2026-11-20T10:00:02Z")
        self.assertRegex(out, r"webhook +pending +2 attempts, next attempt 2026-11-20T10:30:00Z")
        self.assertIn("last error: HTTP 503 Service Unavailable", out)
        # the whole alert, as stored
        self.assertIn(self.lines["ev-login"], out)
        p = self.alerts("show", "ev-key")
        self.assertRegex(p.stdout_text, r"slack +failed +1 attempt, given up 2026-11-20T10:11:00Z")
        self.assertIn("last error: HTTP 404 (channel gone)", p.stdout_text)
        self.assertRegex(p.stdout_text, r"webhook +sent +3 attempts, sent 2026-11-20T10:14:00Z")
        p = self.alerts("show", "ev-trail")
        self.assertRegex(p.stdout_text, r"slack +sending +1 attempt, sending since 2026-11-20T10:21:00Z")
        # by the store's id, and as JSON (the object list prints)
        listed = {a["eventID"]: a for a in json.loads(self.alerts("list", "--format", "json").stdout_text)}
        by_id = self.alerts("show", str(listed["ev-key"]["id"]), "--format", "json")
        self.assertEqual(json.loads(by_id.stdout_text), listed["ev-key"])
        # a record's control characters are not passed to the terminal
        p = self.alerts("show", "ev-escape")
        self.assertNotIn("\x1b", p.stdout_text)
        self.assertIn("event       Describe?[31mRed?", p.stdout_text)

    def test_show_not_found(self):
        for key in ("no-such-event", "999999"):
            p = self.alerts("show", key, code=1)
            self.assertEqual(p.stdout_text, "")
            self.assertIn("no alert %s" % key, p.stderr_text)

    # ---- stores that are not there, or not stores -----------------------------------------------

    def test_missing_store(self):
        path = os.path.join(self.tmp, "nowhere", "rootwatch.db")
        for args in (["list"], ["show", "ev-login"]):
            p = rwtest.run(["alerts"] + args + ["--store", path])
            self.assertEqual(p.returncode, 2, p.stderr_text)
            self.assertIn("no store at %s (nothing has been notified yet)" % path, p.stderr_text)
            self.assertEqual(p.stdout_text, "")
        self.assertFalse(os.path.exists(os.path.dirname(path)))  # nothing created

    def test_default_path(self):
        home = os.path.join(self.tmp, "home")
        env = {"HOME": home, "XDG_STATE_HOME": "", "ROOTWATCH_STORE": ""}
        p = rwtest.run(["alerts", "list"], env=env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no store at %s/.local/state/rootwatch/rootwatch.db" % home, p.stderr_text)
        env["XDG_STATE_HOME"] = os.path.join(self.tmp, "xdg")
        p = rwtest.run(["alerts", "list"], env=env)
        self.assertIn("no store at %s/xdg/rootwatch/rootwatch.db" % self.tmp, p.stderr_text)
        env["ROOTWATCH_STORE"] = self.store
        p = rwtest.run(["alerts", "list", "--format", "ndjson"], env=env)
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(len(rwtest.ndjson(p.stdout_text)), 4)
        self.assertFalse(os.path.exists(home))

    def test_not_a_store(self):
        empty = os.path.join(self.tmp, "empty.db")
        open(empty, "wb").close()
        p = rwtest.run(["alerts", "list", "--store", empty])
        self.assertEqual(p.returncode, 2)
        self.assertIn("no store at %s (nothing has been notified yet)" % empty, p.stderr_text)
        text = os.path.join(self.tmp, "text.db")
        with open(text, "w") as f:
            f.write("not a database\n" * 100)
        for args in (["list"], ["show", "x"]):
            p = rwtest.run(["alerts"] + args + ["--store", text])
            self.assertEqual(p.returncode, 2)
            self.assertIn(text, p.stderr_text)
            self.assertIn("not a rootwatch store", p.stderr_text)
        other = os.path.join(self.tmp, "other.db")
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        p = rwtest.run(["alerts", "list", "--store", other])
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a rootwatch store", p.stderr_text)
        p = rwtest.run(["alerts", "list", "--store", self.tmp])
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a rootwatch store", p.stderr_text)

    def test_read_only_and_unchanged(self):
        before = open(self.store, "rb").read()
        self.alerts("list")
        self.alerts("show", "ev-login")
        self.assertEqual(open(self.store, "rb").read(), before)
        self.assertFalse(os.path.exists(self.store + "-wal"))
        self.assertFalse(os.path.exists(self.store + "-shm"))
        # the store's file and folder are private
        self.assertEqual(os.stat(self.store).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.dirname(self.store)).st_mode & 0o777, 0o700)

    def test_while_a_writer_has_it_open(self):
        """A reader sees what a writer committed, though it is still in the WAL."""
        path = os.path.join(self.tmp, "live.db")
        shutil.copy(self.store, path)
        os.chmod(path, 0o600)
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("UPDATE alerts SET severity = 'low' WHERE event_id = 'ev-key'")
        db.commit()
        try:
            self.assertTrue(os.path.exists(path + "-wal"))
            p = rwtest.run(["alerts", "show", "ev-key", "--store", path, "--format", "json"])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertEqual(json.loads(p.stdout_text)["severity"], "low")
        finally:
            db.close()

    # ---- usage ---------------------------------------------------------------------------------

    def test_usage(self):
        for args in (["list", "--format", "csv"], ["list", "--state", "lost"],
                     ["list", "--limit", "0"], ["list", "--limit", "x"], ["list", "--since", "soon"],
                     ["list", "extra"], ["show"], ["show", "a", "b"], ["show", "a", "--format", "x"],
                     ["frobnicate"], ["list", "--bogus"], []):
            p = rwtest.run(["alerts"] + args + ["--store", self.store])
            self.assertEqual(p.returncode, 2, (args, p.stderr_text))
            self.assertNotEqual(p.stderr_text, "", args)
        for args in (["--help"], ["list", "--help"], ["show", "--help"]):
            p = rwtest.run(["alerts"] + args)
            self.assertEqual(p.returncode, 0)
            self.assertIn("rootwatch alerts list", p.stdout_text)
        p = rwtest.run(["--help"])
        self.assertIn("alerts", p.stdout_text)


if __name__ == "__main__":
    rwtest.main()

"""scan --notify, notify test, notify flush: alerts delivered once, durably, through real HTTP
receivers started here (awsfake.HttpServer / FaultServer on loopback).

What a user checks: every root event reaches the channel exactly once; re-scanning sends nothing;
a channel that is down neither loses alerts nor holds back the others; a process killed with
SIGKILL in the middle of sending loses nothing and repeats at most the one delivery in flight;
bad configurations are refused with the file, line and option; secrets never appear in output.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

SECRET = "whsec-notify-test-secret-0123456789"
TOKEN_IN_URL = "T0KEN-IN-URL-abcdef"


def event_ids(server):
    """eventIDs of the JSON bodies a receiver got, in order (test notices left out)."""
    out = []
    for r in server.requests:
        if r.method != "POST":
            continue
        body = json.loads(r.body)
        if not body.get("test"):
            out.append(body["eventID"])
    return out


class Notify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.corpus = rwtest.ctgen(2, 61, root_per_mb=10)
        cls.truth = set(rwtest.truth(cls.corpus))

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rw-notify-")
        self.store = os.path.join(self.dir, "rootwatch.db")
        self.env = awsfake.clean_aws_env({"ROOTWATCH_NOTIFY_BACKOFF_MS": "50", "RW_SECRET": SECRET})

    def config(self, text):
        path = os.path.join(self.dir, "rootwatch.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def webhook(self, name, url, extra=""):
        return ("  - name: %s\n    type: webhook\n    url: %s/hook/%s\n    secret: env:RW_SECRET\n%s"
                % (name, url, TOKEN_IN_URL, extra))

    def run_rw(self, args, **kw):
        p = rwtest.run(args, env=self.env, timeout=300, **kw)
        for s in (SECRET, TOKEN_IN_URL):
            self.assertNotIn(s, p.stdout_text + p.stderr_text)
        return p

    def scan(self, cfg, *extra):
        return self.run_rw(["scan", "--format", "ndjson", "--notify", "--config", cfg, "--store", self.store]
                           + list(extra) + [os.path.join(self.corpus, "AWSLogs")])

    def test_once_and_not_again(self):
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook:
            cfg = self.config("channels:\n" + self.webhook("hook", hook.url))
            p = self.scan(cfg)
            self.assertEqual(p.returncode, 1, p.stderr_text)
            got = event_ids(hook)
            self.assertEqual(sorted(got), sorted(self.truth), "every root event once")
            self.assertIn("%d new alerts stored" % len(self.truth), p.stderr_text)
            self.assertIn("%d sent" % len(self.truth), p.stderr_text)
            # the receiver can check each delivery: eventID header and the signature
            for r in hook.requests:
                self.assertEqual(r.headers.get("x-rootwatch-event-id"), json.loads(r.body)["eventID"])
                self.assertTrue(r.headers.get("x-rootwatch-signature", "").startswith("sha256="))
            # the same data again: nothing new is sent
            p = self.scan(cfg)
            self.assertEqual(p.returncode, 1, p.stderr_text)
            self.assertEqual(len(event_ids(hook)), len(self.truth))
            self.assertIn("0 new alerts stored (%d already known" % len(self.truth), p.stderr_text)
            # the history
            p = self.run_rw(["alerts", "list", "--store", self.store, "--format", "ndjson"])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertEqual(len(rwtest.ndjson(p.stdout_text)), len(self.truth))

    def test_store_from_the_configuration(self):
        # store: in the configuration is where scan --notify keeps alerts and where alerts looks
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook:
            cfg = self.config("store: %s\nchannels:\n%s" % (self.store, self.webhook("hook", hook.url)))
            self.env["ROOTWATCH_CONFIG"] = cfg
            p = self.run_rw(["scan", "--format", "ndjson", "--notify", os.path.join(self.corpus, "AWSLogs")])
            self.assertEqual(p.returncode, 1, p.stderr_text)
            self.assertTrue(os.path.exists(self.store))
            p = self.run_rw(["alerts", "list", "--format", "ndjson"])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertEqual({a["eventID"] for a in rwtest.ndjson(p.stdout_text)}, self.truth)

    def test_example_configuration(self):
        # examples/rootwatch.yaml (every channel type, every option) is a valid configuration
        with open(os.path.join(rwtest.REPO, "examples", "rootwatch.yaml")) as f:
            text = f.read()
        teams = os.path.join(self.dir, "teams-url")
        with open(teams, "w") as f:
            f.write("https://example.webhook.office.com/workflows/SECRET-PATH-teams\n")
        cfg = self.config(text.replace("/run/secrets/teams-webhook-url", teams))
        secrets = {"ROOTWATCH_SMTP_PASSWORD": "smtp-password-value", "ROOTWATCH_PAGERDUTY_ROUTING_KEY": "pd-key-value",
                   "ROOTWATCH_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/slack-token-value",
                   "ROOTWATCH_WEBHOOK_SECRET": "webhook-secret-value"}
        self.env.update(secrets)
        p = self.run_rw(["notify", "check", "--config", cfg])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertIn("8 channels", p.stdout_text)
        for t in ("sns", "smtp", "slack", "teams", "pagerduty", "webhook", "syslog", "stdout"):
            self.assertIn("(%s)" % t, p.stdout_text)
        for v in list(secrets.values()) + ["SECRET-PATH-teams"]:
            self.assertNotIn(v.split("/")[-1], p.stdout_text + p.stderr_text)
        # every type and option is listed by notify channels
        p = self.run_rw(["notify", "channels"])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertIn("topic_arn", p.stdout_text)

    def test_a_channel_down_holds_back_no_other(self):
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as good, \
                awsfake.FaultServer(default=("status", 503, "down", {})) as bad:
            cfg = self.config("channels:\n" + self.webhook("good", good.url)
                              + self.webhook("bad", bad.url, "    max_attempts: 3\n"))
            p = self.scan(cfg, "--notify-wait", "20s")
            self.assertEqual(p.returncode, 2, p.stderr_text)  # deliveries failed: say so
            self.assertEqual(sorted(event_ids(good)), sorted(self.truth))
            self.assertEqual(len(bad.requests), 3 * len(self.truth))
            self.assertIn("%d failed" % len(self.truth), p.stderr_text)
            self.assertIn("503", p.stderr_text)
            one = sorted(self.truth)[0]
            p = self.run_rw(["alerts", "show", one, "--store", self.store])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertIn("failed", p.stdout_text)
            self.assertIn("sent", p.stdout_text)

    def test_timeouts_refusals_and_rejected_credentials(self):
        n = len(self.truth)
        refused = "http://127.0.0.1:%d" % awsfake.free_port()
        with awsfake.FaultServer(default=("slow", 3, ("status", 200, "late", {}))) as slow, \
                awsfake.FaultServer(default=("status", 401, "bad token", {})) as denied, \
                awsfake.HttpServer(lambda r: (200, {}, b"ok")) as good:
            cfg = self.config("channels:\n"
                              + self.webhook("slow", slow.url, "    timeout_ms: 300\n    max_attempts: 2\n")
                              + self.webhook("refused", refused, "    max_attempts: 2\n")
                              + self.webhook("denied", denied.url, "    max_attempts: 5\n")
                              + self.webhook("good", good.url))
            t0 = time.time()
            p = self.scan(cfg, "--notify-wait", "30s")
            self.assertEqual(p.returncode, 2, p.stderr_text)
            self.assertEqual(sorted(event_ids(good)), sorted(self.truth))
            self.assertEqual(len(denied.requests), n, "a refused credential is not retried")
            self.assertEqual(len(slow.requests), 2 * n, "timeouts are retried, up to max_attempts")
            self.assertIn("%d failed" % (3 * n), p.stderr_text)
            self.assertIn("401", p.stderr_text)
            self.assertLess(time.time() - t0, 120)

    def test_down_then_up_is_delivered(self):
        n = len(self.truth)
        with awsfake.FaultServer([("status", 500, "oops", {})] * (n + 2),
                                 default=("status", 200, "ok", {})) as flaky:
            cfg = self.config("channels:\n" + self.webhook("flaky", flaky.url))
            p = self.scan(cfg, "--notify-wait", "30s")
            self.assertEqual(p.returncode, 1, p.stderr_text)
            ok = [json.loads(r.body)["eventID"] for r, a in zip(flaky.requests, flaky.served) if a[0] != "status" or a[1] == 200]
            self.assertEqual(sorted(set(ok)), sorted(self.truth))

    def test_sigkill_loses_nothing(self):
        lock = threading.Lock()
        arrived = []

        def slow(req):
            time.sleep(0.15)
            with lock:
                arrived.append(json.loads(req.body)["eventID"])
            return 200, {}, b"ok"

        with awsfake.HttpServer(slow) as hook:
            cfg = self.config("channels:\n" + self.webhook("hook", hook.url))
            args = [rwtest.ROOTWATCH, "scan", "--format", "ndjson", "--notify", "--config", cfg, "--store",
                    self.store, os.path.join(self.corpus, "AWSLogs")]
            proc = subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.time() + 60
            while time.time() < deadline:
                with lock:
                    if len(arrived) >= len(self.truth) // 3:
                        break
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            with lock:
                before = len(arrived)
            self.assertLess(before, len(self.truth), "the kill came too late to test anything")
            p = self.run_rw(["notify", "flush", "--config", cfg, "--store", self.store, "--wait", "30s"])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            with lock:
                got = list(arrived)
        self.assertEqual(set(got), self.truth, "every alert delivered after the restart")
        repeats = len(got) - len(set(got))
        self.assertLessEqual(repeats, 1, "at most the delivery in flight is repeated")

    def signal_mid_delivery(self, args, sig, stop_after):
        """Runs rootwatch with args against a slow receiver; once stop_after deliveries arrived,
        sends sig while the next one is being received (a delivery in flight). Returns the
        finished process (text stderr) and the list of eventIDs received so far."""
        lock = threading.Lock()
        arrived, started = [], threading.Event()

        def slow(req):
            with lock:
                n = len(arrived)
            if n >= stop_after:
                started.set()
            time.sleep(0.3)
            with lock:
                arrived.append(json.loads(req.body)["eventID"])
            return 200, {}, b"ok"

        hook = awsfake.HttpServer(slow)
        hook.start()
        self.addCleanup(hook.stop)
        cfg = self.config("channels:\n" + self.webhook("hook", hook.url))
        proc = subprocess.Popen([rwtest.ROOTWATCH] + [a.replace("CFG", cfg) for a in args], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assertTrue(started.wait(60), "no delivery started")
        t0 = time.time()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        self.assertLess(time.time() - t0, 15, "the stop took too long")
        with lock:
            got = list(arrived)
        return proc.returncode, err.decode(), got, cfg

    def store_states(self):
        import sqlite3
        con = sqlite3.connect(self.store)
        try:
            names = {0: "pending", 1: "sending", 2: "sent", 3: "failed"}  # src/store/store.h
            return {names[k]: n for k, n in
                    con.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()}
        finally:
            con.close()

    def test_sigterm_scan_finishes_in_flight_and_repeats_nothing(self):
        args = ["scan", "--format", "ndjson", "--notify", "--config", "CFG", "--store", self.store,
                os.path.join(self.corpus, "AWSLogs")]
        rc, err, got, cfg = self.signal_mid_delivery(args, signal.SIGTERM, 2)
        self.assertEqual(rc, 143, err)
        self.assertIn("stopped by SIGTERM", err)
        self.assertIn("summary:", err, "the summary is printed")
        self.assertRegex(err, r"\d+ waiting for a later attempt")
        self.assertGreaterEqual(len(got), 3, "the delivery in flight was finished")
        self.assertLess(len(got), len(self.truth), "the signal came too late to test anything")
        states = self.store_states()
        self.assertNotIn("sending", states, "nothing is left marked sending: %r" % states)
        self.assertEqual(states.get("sent"), len(got), states)
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook2:
            cfg2 = self.config("channels:\n" + self.webhook("hook", hook2.url))
            p = self.run_rw(["notify", "flush", "--config", cfg2, "--store", self.store, "--wait", "30s"])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            rest = event_ids(hook2)
        self.assertEqual(sorted(got + rest), sorted(self.truth), "every alert exactly once")

    def test_sigint_flush_finishes_in_flight_and_repeats_nothing(self):
        # a first scan stores every alert while the channel refuses: all left pending
        with awsfake.FaultServer(default=("status", 503, "down", {})) as down:
            cfg = self.config("channels:\n" + self.webhook("hook", down.url, "    max_attempts: 100\n"))
            p = self.scan(cfg, "--notify-wait", "0s")
            self.assertEqual(p.returncode, 2, p.stderr_text)
        rc, err, got, cfg = self.signal_mid_delivery(
            ["notify", "flush", "--config", "CFG", "--store", self.store, "--wait", "60s"], signal.SIGINT, 2)
        self.assertEqual(rc, 130, err)
        self.assertIn("stopped by SIGINT", err)
        self.assertIn("deliveries:", err, "the summary is printed")
        self.assertGreaterEqual(len(got), 3)
        self.assertLess(len(got), len(self.truth))
        self.assertNotIn("sending", self.store_states())
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook2:
            cfg2 = self.config("channels:\n" + self.webhook("hook", hook2.url, "    max_attempts: 100\n"))
            p = self.run_rw(["notify", "flush", "--config", cfg2, "--store", self.store, "--wait", "30s"])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            rest = event_ids(hook2)
        self.assertEqual(sorted(got + rest), sorted(self.truth), "every alert exactly once")

    def test_records_without_event_id_are_delivered_once(self):
        rec = {"eventVersion": "1.08", "userIdentity": {"type": "Root", "principalId": "111122223333",
               "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"},
               "eventTime": "2026-01-02T03:04:05Z", "eventSource": "iam.amazonaws.com",
               "eventName": "CreateUser", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.9",
               "userAgent": "cli", "eventType": "AwsApiCall", "recipientAccountId": "111122223333"}
        no_id = dict(rec)
        empty = dict(rec, eventID="", eventName="DeleteUser")
        nul_a = dict(rec, eventID="dup\u0000a", eventName="AttachUserPolicy")
        nul_b = dict(rec, eventID="dup\u0000b", eventName="AttachUserPolicy")
        plain = dict(rec, eventID="dup", eventName="AttachUserPolicy")
        path = os.path.join(self.dir, "no-ids.json")
        with open(path, "w") as f:
            json.dump({"Records": [no_id, empty, nul_a, nul_b, plain]}, f)
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook:
            cfg = self.config("channels:\n" + self.webhook("hook", hook.url))
            args = ["scan", "--format", "ndjson", "--notify", "--config", cfg, "--store", self.store, path]
            p = self.run_rw(args)
            alerts = rwtest.ndjson(p.stdout_text)
            self.assertEqual(len(alerts), 5, "five distinct root events, none merged: " + p.stderr_text)
            self.assertNotIn("duplicate", p.stderr_text)
            derived = [a for a in alerts if a["eventIDDerived"]]
            self.assertEqual(len(derived), 4)
            self.assertTrue(all(a["eventID"].startswith("rw-sha256:") for a in derived))
            self.assertIn("the record has no eventID", p.stderr_text)
            self.assertIn("its eventID is empty", p.stderr_text)
            self.assertIn("its eventID holds a NUL character", p.stderr_text)
            self.assertNotIn("cannot be stored", p.stderr_text)
            self.assertIn("5 new alerts stored", p.stderr_text)
            first = event_ids(hook)
            self.assertEqual(sorted(first), sorted(a["eventID"] for a in alerts))
            # the same file again, and the same records re-serialised differently: nothing new
            with open(path, "w") as f:
                json.dump({"Records": [plain, nul_b, nul_a, empty, no_id]}, f, indent=2)
            p = self.run_rw(args)
            self.assertIn("0 new alerts stored (5 already known", p.stderr_text)
            self.assertEqual(sorted(event_ids(hook)), sorted(first), "nothing delivered twice")

    def test_filters(self):
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as high, \
                awsfake.HttpServer(lambda r: (200, {}, b"ok")) as console:
            cfg = self.config("channels:\n" + self.webhook("high", high.url, "    min_severity: high\n")
                              + self.webhook("console", console.url, "    rules: [root-console-sign-in]\n"))
            p = self.scan(cfg)
            self.assertEqual(p.returncode, 1, p.stderr_text)
            truth = rwtest.truth(self.corpus)
            alerts = {a["eventID"]: a for a in rwtest.ndjson(p.stdout_text)}
            want_high = {e for e, a in alerts.items() if a["severity"] in ("high", "critical")}
            want_console = {e for e, a in alerts.items() if "root-console-sign-in" in a["rules"]}
            self.assertEqual(set(event_ids(high)), want_high)
            self.assertEqual(set(event_ids(console)), want_console)
            self.assertTrue(want_console and want_high and len(want_high) < len(truth))

    def test_notify_test(self):
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook, \
                awsfake.FaultServer(default=("status", 401, "no", {})) as bad:
            cfg = self.config("channels:\n" + self.webhook("hook", hook.url) + self.webhook("bad", bad.url))
            p = self.run_rw(["notify", "test", "--config", cfg, "--channel", "hook"])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertEqual(len(hook.requests), 1)
            body = json.loads(hook.requests[0].body)
            self.assertTrue(body["test"])
            self.assertIn("hook (webhook): sent", p.stderr_text)
            p = self.run_rw(["notify", "test", "--config", cfg])
            self.assertEqual(p.returncode, 2)
            self.assertIn("bad (webhook): FAILED", p.stderr_text)
            self.assertIn("401", p.stderr_text)
            self.assertEqual(len(bad.requests), 1)  # a test is sent once, not retried

    def test_bad_configurations(self):
        cases = [
            ("channels:\n  - name: x\n    type: webhook\n    url: https://example.com/h\n    colour: red\n",
             "unknown option 'colour'"),
            ("channels:\n  - name: x\n    type: webhook\n", "option url is required"),
            ("channels:\n  - name: x\n    type: carrier-pigeon\n", "unknown type 'carrier-pigeon'"),
            ("channels:\n  - name: x\n    type: webhook\n    url: http://example.com/h\n", "must be https://"),
            ("channels:\n  - name: x\n    type: webhook\n    url: https://e.com/\n    min_severity: huge\n",
             "min_severity"),
            ("channels:\n  - name: x\n    type: webhook\n    url: env:RW_UNSET_VARIABLE\n", "RW_UNSET_VARIABLE is not set"),
            ("channels: [\n", self.dir),
            ("channels: []\n", "no channel"),
        ]
        for text, want in cases:
            with self.subTest(want=want):
                cfg = self.config(text)
                p = self.scan(cfg)
                self.assertEqual(p.returncode, 2, p.stderr_text)
                self.assertIn(want, p.stderr_text)
                self.assertIn("rootwatch.yaml", p.stderr_text)
                self.assertEqual(p.stdout_text, "", "nothing is scanned with a bad configuration")

    def test_store_unwritable(self):
        if os.geteuid() == 0:
            ro = "/proc/rootwatch-store-test/rootwatch.db"  # not writable even for root
        else:
            os.chmod(self.dir, 0o500)
            ro = os.path.join(self.dir, "sub", "rootwatch.db")
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook:
            cfg = self.config("channels:\n" + self.webhook("hook", hook.url)) if os.geteuid() == 0 else None
            if cfg is None:
                self.skipTest("needs root to write the configuration beside a read-only store")
            p = self.run_rw(["scan", "--notify", "--config", cfg, "--store", ro, self.corpus])
            self.assertEqual(p.returncode, 2, p.stderr_text)
            self.assertIn(ro, p.stderr_text)
            self.assertEqual(hook.requests, [])


if __name__ == "__main__":
    rwtest.main()

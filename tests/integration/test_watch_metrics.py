"""rootwatch watch --metrics ADDR (issue 13): /metrics and /healthz.

The service watches a folder (the dir source: no AWS needed) and is scraped as Prometheus would
scrape it. What a user checks is checked: events and units read per source and the units that
failed, alerts per rule and severity, deliveries per channel (sent, and given up on a channel
whose receiver is down), the lag from eventTime to the alert stored (a histogram in seconds), and
that the text parses. /healthz answers 200 "ok" while things work; 503 naming the source while its
folder is gone (a source failing again and again), 200 again once it is back; 503 naming the store
while the store cannot be written (another process holds its write lock), 200 again once it can.
Only GET and HEAD are answered; a bad --metrics address is a usage error (exit 2).
"""
import gzip
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwtest  # noqa: E402
import watchtest  # noqa: E402

from watchtest import SLOW, utc, value  # noqa: E402


class WatchMetrics(watchtest.DirWatchCase):
    PREFIX = "rw-watch-metrics-"

    def start(self, channels_yaml="", rescan=60):
        cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n    rescan: %d\n"
                          % (self.folder, rescan), channels=watchtest.STDOUT_CHANNEL + channels_yaml)
        return self.service(["--config", cfg, "--metrics", "127.0.0.1:0"])

    def test_counters_and_lag_after_root_and_ordinary_events(self):
        # a second channel whose receiver is down (nothing listens on that port): given up at once
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        dead_port = dead.getsockname()[1]
        dead.close()
        s = self.start("  - name: hook\n    type: webhook\n    url: http://127.0.0.1:%d/alerts\n"
                       "    max_attempts: 1\n    timeout_ms: 1000\n" % dead_port)
        samples, types = s.metrics()
        self.assertEqual(value(samples, "rootwatch_healthy"), 1)
        now = time.time()
        self.drop("a.json.gz", [
            rwtest.record("m-root-recent", time=utc(now - 5)),
            rwtest.record("m-user-1", who="user", time=utc(now - 5)),
            rwtest.record("m-role-1", who="role", time=utc(now - 5)),
        ])
        self.drop("b.json.gz", [
            rwtest.record("m-root-late", time=utc(now - 120), source="signin.amazonaws.com",
                          name="ConsoleLogin", eventType="AwsConsoleSignIn",
                          responseElements={"ConsoleLogin": "Success"}),
            rwtest.record("m-user-2", who="user", time=utc(now - 120)),
        ])
        with open(os.path.join(self.folder, ".c.json.gz"), "wb") as f:  # damaged: cut short
            f.write(gzip.compress(rwtest.trail_bytes([rwtest.record("m-user-3", who="user")]))[:30])
        os.rename(os.path.join(self.folder, ".c.json.gz"), os.path.join(self.folder, "c.json.gz"))

        def settled():
            sm, _ = s.metrics()
            done = (value(sm, "rootwatch_deliveries_total", channel="out", result="sent") == 2
                    and value(sm, "rootwatch_deliveries_total", channel="hook", result="failed") == 2
                    and value(sm, "rootwatch_source_units_failed_total", source="exports", type="dir") >= 1)
            return sm if done else None
        samples = s.wait(settled, 30, "both alerts delivered to out and given up on hook")
        _, types = s.metrics()
        src = {"source": "exports", "type": "dir"}
        self.assertEqual(value(samples, "rootwatch_source_events_total", **src), 5, samples)
        self.assertEqual(value(samples, "rootwatch_source_units_total", **src), 3)
        self.assertEqual(value(samples, "rootwatch_source_units_failed_total", **src), 1)
        self.assertEqual(types.get("rootwatch_source_events_total"), "counter")
        # alerts per rule and severity: the two root events, under their own rules
        alerts = {dict(k[1])["rule"]: v for k, v in samples.items() if k[0] == "rootwatch_alerts_total"}
        self.assertEqual(sum(alerts.values()), 2, alerts)
        self.assertEqual(len(alerts), 2, "a sign-in and an API call are two rules: %s" % alerts)
        for (n, labels), v in samples.items():
            if n == "rootwatch_alerts_total":
                self.assertIn(dict(labels)["severity"], ("low", "medium", "high", "critical"))
        # deliveries per channel
        self.assertEqual(value(samples, "rootwatch_deliveries_total", channel="out", result="sent"), 2)
        self.assertEqual(value(samples, "rootwatch_deliveries_total", channel="hook", result="failed"), 2)
        self.assertEqual(value(samples, "rootwatch_deliveries_total", channel="hook", result="sent"), 0)
        self.assertEqual(value(samples, "rootwatch_delivery_errors_total", channel="hook"), 2)
        self.assertEqual(value(samples, "rootwatch_delivery_latency_seconds_count", channel="out"), 2)
        # the lag from eventTime to the alert stored: one event 5 s old, one 120 s old
        self.assertEqual(types.get("rootwatch_alert_lag_seconds"), "histogram")
        self.assertEqual(value(samples, "rootwatch_alert_lag_seconds_count"), 2)
        self.assertEqual(value(samples, "rootwatch_alert_lag_seconds_bucket", le="2"), 0)
        self.assertEqual(value(samples, "rootwatch_alert_lag_seconds_bucket", le="60"), 1)
        self.assertEqual(value(samples, "rootwatch_alert_lag_seconds_bucket", le="300"), 2)
        self.assertEqual(value(samples, "rootwatch_alert_lag_seconds_bucket", le="+Inf"), 2)
        lag_sum = value(samples, "rootwatch_alert_lag_seconds_sum")
        self.assertGreaterEqual(lag_sum, 125)
        self.assertLess(lag_sum, 125 + 30 * SLOW)
        self.assertEqual(value(samples, "rootwatch_healthy"), 1)
        # the store's deliveries by state (looked at every 10 s): 2 sent to out, 2 given up on hook
        store = s.wait(lambda: (lambda sm: sm if value(sm, "rootwatch_store_deliveries", state="sent") == 2
                                else None)(s.metrics()[0]), 15, "the store's deliveries counted")
        self.assertEqual(value(store, "rootwatch_store_deliveries", state="failed"), 2)
        self.assertEqual(value(store, "rootwatch_store_deliveries", state="pending"), 0)
        # the alerts themselves went to the working channel, once each
        self.assertEqual(sorted(json.loads(l)["eventID"] for l in s.stdout().splitlines() if l.startswith("{")),
                         ["m-root-late", "m-root-recent"])
        self.assertEqual(s.stop(), 0, s.stderr())

    def test_healthz(self):
        s = self.start(rescan=1)
        self.assertEqual(s.get("/healthz")[:2], (200, "ok\n"))
        status, _, headers = s.get("/healthz", method="HEAD")
        self.assertEqual(status, 200)
        # only GET and HEAD; nothing else is served
        status, _, headers = s.get("/metrics", method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("Allow"), "GET, HEAD")
        self.assertEqual(s.get("/")[0], 404)

        # the watched folder goes away: the source fails at every look (each second here)
        gone = self.folder + ".away"
        os.rename(self.folder, gone)
        status, body, _ = s.wait(lambda: (lambda r: r if r[0] == 503 else None)(s.get("/healthz")), 15,
                                 "/healthz to fail while the folder is gone")
        self.assertRegex(body, r"^source exports: \d+ errors in a row \(for \d+ s\): .*%s"
                         % re.escape(self.folder))
        samples, _ = s.metrics()
        self.assertEqual(value(samples, "rootwatch_healthy"), 0)
        self.assertGreaterEqual(value(samples, "rootwatch_source_errors_in_a_row", source="exports"), 3)
        os.rename(gone, self.folder)
        s.wait(lambda: s.get("/healthz")[0] == 200, 15, "/healthz to be ok once the folder is back")

        # the store cannot be written: another process holds its write lock (for longer than the
        # store waits for it); a root file arrives meanwhile
        db = sqlite3.connect(self.store, timeout=30, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        try:
            self.drop("r.json.gz", [rwtest.record("h-root-1", time=utc(time.time()))])
            status, body, _ = s.wait(lambda: (lambda r: r if r[0] == 503 else None)(s.get("/healthz")), 30,
                                     "/healthz to fail while the store cannot be written")
            self.assertIn("the store cannot be written", body)
        finally:
            db.execute("ROLLBACK")
            db.close()
        # the file is read again at a later look; its alert is stored; /healthz is ok again
        s.wait(lambda: "h-root-1" in s.stdout(), 30, "the alert once the store is free")
        s.wait(lambda: s.get("/healthz")[0] == 200, 10, "/healthz ok once an alert is stored again")
        self.assertEqual(s.stop(), 0, s.stderr())

    def test_healthz_says_stopping_while_draining(self):
        """After SIGTERM, while the delivery in flight finishes (a receiver that takes 3 s to
        answer), /healthz answers 503 "stopping (SIGTERM)": a load balancer stops sending here."""
        import http.server
        import threading
        got = threading.Event()

        class Slow(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                got.set()
                time.sleep(3)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        s = self.start("  - name: hook\n    type: webhook\n    url: http://127.0.0.1:%d/alerts\n"
                       "    timeout_ms: 10000\n" % srv.server_address[1])
        self.drop("s.json.gz", [rwtest.record("d-root-1", time=utc(time.time()))])
        self.assertTrue(got.wait(20 * SLOW), s.stderr())
        s.proc.send_signal(signal.SIGTERM)
        status, body, _ = s.wait(lambda: (lambda r: r if r[0] == 503 else None)(s.get("/healthz")), 5,
                                 "/healthz to say stopping")
        self.assertTrue(body.startswith("stopping (SIGTERM)"), body)
        self.assertEqual(s.stop(), 0, s.stderr())

    def test_bad_address_is_a_usage_error(self):
        cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n" % self.folder)
        for addr, says in (("9464", "not address:port"), ("localhost", "not address:port"),
                           ("127.0.0.1:99999", "port"), ("example.com:9464", "not an IP address"),
                           ("::1:9464", "brackets"), ("127.0.0.1:", "not address:port")):
            p = rwtest.run(["watch", "--config", cfg, "--metrics", addr], timeout=30)
            self.assertEqual(p.returncode, 2, (addr, p.stderr_text))
            self.assertIn("--metrics '%s'" % addr, p.stderr_text)
            self.assertIn(says, p.stderr_text)
        # a port already taken: said, exit 1, before any source starts
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        try:
            p = rwtest.run(["watch", "--config", cfg, "--metrics", "127.0.0.1:%d" % busy.getsockname()[1]],
                           timeout=30)
        finally:
            busy.close()
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertIn("cannot listen", p.stderr_text)
        self.assertNotIn("started", p.stderr_text)


class SystemdNotify(unittest.TestCase):
    """Type=notify: rootwatch watch tells systemd READY=1 once its sources run, feeds the watchdog
    (WATCHDOG=1 at half of WATCHDOG_USEC) while its main loop turns, RELOADING=1 then READY=1
    around a SIGHUP, and STOPPING=1 on SIGTERM; systemd's socket is played by the test."""

    def test_ready_watchdog_reload_stopping(self):
        d = tempfile.mkdtemp(prefix="rw-watch-notify-")
        self.addCleanup(shutil.rmtree, d, True)
        os.mkdir(os.path.join(d, "in"))
        cfg = os.path.join(d, "rootwatch.yaml")
        with open(cfg, "w") as f:
            f.write("store: %s/store.db\nchannels:\n  - name: out\n    type: stdout\nsources:\n"
                    "  - name: exports\n    type: dir\n    path: %s/in\n" % (d, d))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(os.path.join(d, "notify"))
        sock.settimeout(15 * SLOW)
        env = dict(os.environ, NOTIFY_SOCKET=os.path.join(d, "notify"), WATCHDOG_USEC="400000")
        err = open(os.path.join(d, "err"), "wb")
        self.addCleanup(err.close)
        proc = subprocess.Popen([rwtest.ROOTWATCH, "watch", "--config", cfg], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))

        def until(prefix):
            seen = []
            while True:
                m = sock.recv(4096).decode()
                seen.append(m)
                if m.startswith(prefix):
                    return m, seen

        ready, before = until("READY=1")
        self.assertEqual(before, [ready], "READY=1 is the first thing said")
        self.assertIn("STATUS=watching: 1 sources, 1 channels", ready)
        t0 = time.monotonic()
        for _ in range(3):
            until("WATCHDOG=1")
        self.assertLess(time.monotonic() - t0, 3 * SLOW, "the watchdog fed every 0.2 s or so")
        proc.send_signal(signal.SIGHUP)
        reloading, _ = until("RELOADING=1")
        self.assertRegex(reloading, r"^RELOADING=1\nMONOTONIC_USEC=\d+$")
        until("READY=1")
        proc.send_signal(signal.SIGTERM)
        until("STOPPING=1")
        rc = proc.wait(timeout=60)
        with open(os.path.join(d, "err")) as f:
            log = f.read()
        self.assertEqual(rc, 0, log)
        for mark in rwtest.SANITIZER_MARKS:
            self.assertNotIn(mark, log)


class WatchDocs(unittest.TestCase):
    def test_list_sources_in_docs_is_current(self):
        p = subprocess.run([sys.executable, os.path.join(rwtest.REPO, "scripts", "watch_doc.py"), "--check",
                            rwtest.ROOTWATCH], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed (package systemd)")
    def test_systemd_unit_verifies(self):
        """examples/rootwatch-watch.service passes systemd-analyze verify (with this build's binary
        in ExecStart, which must exist for it), and says nothing."""
        with open(os.path.join(rwtest.REPO, "examples", "rootwatch-watch.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/local/bin/rootwatch watch ", unit)
        d = tempfile.mkdtemp(prefix="rw-unit-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "rootwatch-watch.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/local/bin/rootwatch", os.path.abspath(rwtest.ROOTWATCH)))
        p = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))

    def test_every_metric_is_documented(self):
        names = set()
        for top, _, files in os.walk(os.path.join(rwtest.REPO, "src")):
            for f in files:
                if f.endswith(".c"):
                    with open(os.path.join(top, f), encoding="utf-8") as fh:
                        names |= set(re.findall(r'"(rootwatch_[a-z0-9_]+)"', fh.read()))
        with open(os.path.join(rwtest.REPO, "docs", "watch.md"), encoding="utf-8") as fh:
            doc = fh.read()
        self.assertTrue(names)
        self.assertEqual(sorted(n for n in names if "`%s`" % n not in doc), [],
                         "metrics missing from docs/watch.md's table")


class WatchDocsAws(unittest.TestCase):
    @unittest.skipUnless(shutil.which("moto_server") and shutil.which("aws") and shutil.which("bash"),
                         "needs moto_server and the AWS CLI (pip install 'moto[server]' awscli)")
    def test_setup_commands_of_the_docs_run(self):
        """docs/watch.md's "Setting up AWS" commands, as written, run against moto with the AWS CLI
        (the queue, its dead-letter queue, the rule, the queue policy, the target, the bucket's
        notifications, iam-policy), and a root event put on the bus then reaches the queue while an
        ordinary one does not."""
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import awsfake
        with open(os.path.join(rwtest.REPO, "docs", "watch.md"), encoding="utf-8") as f:
            doc = f.read()
        blocks = re.findall(r"```sh\n(.*?)```", doc, re.S)
        rule = [b for b in blocks if "aws events put-rule" in b]
        org = [b for b in blocks if "put-bucket-notification-configuration" in b]
        self.assertEqual((len(rule), len(org)), (1, 1))
        script = ("set -eu\n" + rule[0].replace("rootwatch test-pattern", ": rootwatch test-pattern")
                  .replace("rootwatch watch --sqs", ": rootwatch watch --sqs")
                  + "aws s3api create-bucket --bucket acme-org-trail >/dev/null\n" + org[0]
                  + 'echo "QUEUE_URL=$QUEUE_URL"\n')
        script = script.replace("rootwatch iam-policy", '"$RW" iam-policy')
        d = tempfile.mkdtemp(prefix="rw-docs-aws-")
        self.addCleanup(shutil.rmtree, d, True)
        with awsfake.MotoServer() as moto:
            env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                       AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="", RW=rwtest.ROOTWATCH,
                       NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
            for k in ("AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
                env.pop(k, None)
            # the AWS CLI before 1.29/2.13 ignores AWS_ENDPOINT_URL
            wrapper = 'aws() { command aws --endpoint-url "%s" "$@"; }\n' % moto.url
            p = subprocess.run(["bash", "-c", wrapper + script], cwd=d, env=env, capture_output=True,
                               text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
            self.assertIn('"Sid": "QueueConsume"', p.stdout)
            self.assertIn('"arn:aws:s3:::acme-org-trail/AWSLogs/*"', p.stdout)
            queue_url = re.findall(r"^QUEUE_URL=(\S+)$", p.stdout, re.M)[-1]
            events = moto.boto3_client("events")
            sqs = moto.boto3_client("sqs")
            for who, eid in (("user", "docs-user-1"), ("root", "docs-root-1")):
                events.put_events(Entries=[{"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail",
                                            "Detail": json.dumps(rwtest.record(eid, who=who))}])
            ids = []  # the EventBridge events on the queue (S3's test event of the notifications aside)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and "docs-root-1" not in ids:
                for m in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1,
                                             MaxNumberOfMessages=10).get("Messages", []):
                    body = json.loads(m["Body"])
                    if "detail" in body:
                        ids.append(body["detail"]["eventID"])
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            self.assertEqual(ids, ["docs-root-1"])


if __name__ == "__main__":
    rwtest.main()

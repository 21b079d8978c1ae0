"""rootwatch watch under faults (issue 13, "Faults and bad input").

A notification channel down for ten minutes loses no alert: the long-running service retries a
retryable failure (a 503, a refused connection) of a channel without an explicit max_attempts
until 24 h after the alert was stored, not for max_attempts (8) tries, which at the real 1 s base
backoff span only 1 to 2 minutes. The outage is scaled down with ROOTWATCH_NOTIFY_BACKOFF_MS: every
wait is proportional to that base (the 5-minute cap is never reached here), so ten minutes at the
real 1000 ms base is 600 bases, 6 s at the 10 ms base used. Old default: given up after 7 waits,
at most 127 bases (1.27 s). An explicit max_attempts is still honoured.

The disk full (a real one: a small tmpfs holding the store, filled up; needs root or
CAP_SYS_ADMIN, skipped saying so otherwise): alerts that cannot be stored are not acknowledged (the
dir source's file is read again, its checkpoint not moved; the sqs source's message is not deleted,
received again after each visibility timeout), the service keeps running and says so
(the log names the full disk, /healthz answers 503 naming the store), and once space is back every
root alert is stored and delivered exactly once. A store that cannot even be created at start (the
disk full) is a clear error and exit 1 (documented in docs/watch.md: systemd restarts it, as it
should, since space may come back; exit 2 is for what a restart cannot fix).

S3 and STS throttling and outages (awsfake.FaultServer in front of moto): the sqs source reading S3
notifications whose GetObject answers 503 SlowDown for a while: the message is kept (not deleted
before its alert is stored), then alerted once and deleted. Credentials of a profile with role_arn
+ source_profile whose renewal (AssumeRole) is throttled, then fails with 500, for a while: the
service says so, keeps running on the credentials it has, keeps alerting, and renews once STS is
back; and with credentials that expire during the outage: every receive fails ("no credentials",
retried with backoff), the service keeps running and goes on, losing nothing, once STS is back.
"""
import datetime
import os
import re
import subprocess
import sys
import threading
import time
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402
import watchtest  # noqa: E402

BASE_MS = 10
# ten minutes at the real 1000 ms base, in bases, at BASE_MS
OUTAGE_S = 600 * BASE_MS / 1000.0


class WatchChannelOutage(watchtest.DirWatchCase):
    PREFIX = "rw-watch-faults-"

    def test_channel_down_ten_minutes_scaled_loses_nothing(self):
        lock = threading.Lock()
        down = [True]
        tries = {}  # eventID -> [status, ...] on the recovering channel
        capped = {}  # eventID -> tries on the channel with max_attempts: 3 (always down)

        def hook(req):
            eid = req.header("x-rootwatch-event-id")
            with lock:
                status = 503 if down[0] else 200
                tries.setdefault(eid, []).append(status)
            return status, {}, b"down for maintenance" if status == 503 else b""

        def dead(req):
            with lock:
                eid = req.header("x-rootwatch-event-id")
                capped[eid] = capped.get(eid, 0) + 1
            return 503, {}, b"still down"

        with awsfake.HttpServer(hook) as h, awsfake.HttpServer(dead) as d:
            hooks = ("  - name: hook\n    type: webhook\n    url: %s/alerts\n    timeout_ms: 2000\n"
                     "  - name: capped\n    type: webhook\n    url: %s/alerts\n    timeout_ms: 2000\n"
                     "    max_attempts: 3\n" % (h.url, d.url))
            cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n    rescan: 1\n" % self.folder,
                              channels=hooks)
            with mock.patch.dict(os.environ, {"ROOTWATCH_NOTIFY_BACKOFF_MS": str(BASE_MS)}):
                s = self.service(["--config", cfg, "--metrics", "127.0.0.1:0"])
            t0 = time.monotonic()
            now = time.time()
            self.drop("a.json.gz", [rwtest.record("out-root-1", time=watchtest.utc(now - 5)),
                                    rwtest.record("out-user-1", who="user", time=watchtest.utc(now - 5)),
                                    rwtest.record("out-root-2", time=watchtest.utc(now - 5))])
            s.wait(lambda: "out-root-1" in tries and "out-root-2" in tries, 10, "the first attempts")
            time.sleep(OUTAGE_S / 2)
            self.drop("b.json.gz", [rwtest.record("out-root-3", time=watchtest.utc(time.time()))])
            s.wait(lambda: "out-root-3" in tries, 10, "the third alert's first attempt")
            left = OUTAGE_S - (time.monotonic() - t0)
            if left > 0:
                time.sleep(left)
            with lock:
                during = {k: len(v) for k, v in tries.items()}
                down[0] = False
            # the outage spanned more attempts than the old default of 8: they would have been lost
            self.assertGreater(during["out-root-1"], 8, during)
            self.assertGreater(during["out-root-2"], 8, during)

            def delivered():
                with lock:
                    return all(v and v[-1] == 200 for v in tries.values()) and len(tries) == 3

            s.wait(delivered, 30, "every alert delivered once the channel is back")
            time.sleep(0.5)  # nothing more may come
            with lock:
                self.assertEqual(set(tries), {"out-root-1", "out-root-2", "out-root-3"})
                for eid, v in tries.items():
                    self.assertEqual(v.count(200), 1, (eid, v))
                    self.assertEqual(v[-1], 200, (eid, v))
                self.assertEqual(capped, {"out-root-1": 3, "out-root-2": 3, "out-root-3": 3})
            self.assertIsNone(s.proc.poll(), "the service kept running")
            samples, _ = s.metrics()
            self.assertEqual(watchtest.value(samples, "rootwatch_deliveries_total", channel="hook", result="sent"), 3)
            self.assertEqual(watchtest.value(samples, "rootwatch_deliveries_total", channel="hook", result="failed"), 0)
            self.assertEqual(watchtest.value(samples, "rootwatch_deliveries_total", channel="capped", result="failed"), 3)
            with lock:
                failures = sum(v.count(503) for v in tries.values())
            self.assertEqual(watchtest.value(samples, "rootwatch_delivery_errors_total", channel="hook"), failures)
            log = s.stderr()
            self.assertIn("notify: channel hook: event out-root-1:", log)
            self.assertIn("503", log)
            self.assertIn("retried for 24 h after the alert was stored", log)
            self.assertIn("(attempt 3 of 3; giving up)", log)
            rc = s.stop()
            self.assertEqual(rc, 0, s.stderr())
            self.assertNotIn("giving up", "\n".join(l for l in s.stderr().splitlines() if "channel hook:" in l))


class WatchDiskFull(watchtest.DirWatchCase):
    PREFIX = "rw-watch-full-"

    @classmethod
    def setUpClass(cls):
        watchtest.need_tmpfs()

    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.dir, "mnt")
        os.mkdir(self.mnt)
        self.assertIsNone(watchtest.try_mount(self.mnt, "4m"))
        self.store = os.path.join(self.mnt, "store.db")

    def tearDown(self):
        for w in self.watches:
            w.kill()
        subprocess.run(["umount", "-l", self.mnt])
        super().tearDown()

    def test_disk_full_nothing_acknowledged_then_everything_once(self):
        hook, got, lock = watchtest.recording_hook()
        with awsfake.HttpServer(hook) as h:
            cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n    rescan: 1\n" % self.folder,
                              channels="  - name: hook\n    type: webhook\n    url: %s/alerts\n" % h.url)
            with mock.patch.dict(os.environ, {"ROOTWATCH_NOTIFY_BACKOFF_MS": "50"}):
                s = self.service(["--config", cfg, "--metrics", "127.0.0.1:0"])
            now = time.time()
            self.drop("a.json.gz", [rwtest.record("full-root-0", time=watchtest.utc(now))])
            s.wait(lambda: "full-root-0" in got, 15, "the first alert (the store works)")
            filler = os.path.join(self.mnt, "filler")
            watchtest.fill(filler)
            records = [rwtest.record("full-root-%d" % i, time=watchtest.utc(now)) for i in range(1, 4)]
            records += [rwtest.record("full-user-%d" % i, who="user", time=watchtest.utc(now)) for i in range(50)]
            self.drop("b.json.gz", records)
            s.wait(lambda: "the disk is full" in s.stderr(), 15, "the log saying the disk is full")
            status, body, _ = s.wait(lambda: (lambda r: r if r[0] == 503 else None)(s.get("/healthz")),
                                     15, "/healthz 503")
            self.assertIn("store", body)
            time.sleep(2.5)  # rescans (1 s) read b.json.gz again and fail again: still not stored
            with lock:
                self.assertEqual(got, ["full-root-0"], "nothing stored, so nothing sent")
            self.assertIsNone(s.proc.poll(), "the service keeps running on a full disk")
            samples, _ = s.metrics()
            self.assertGreaterEqual(watchtest.value(samples, "rootwatch_source_units_failed_total",
                                              source="exports", type="dir"), 1)
            os.unlink(filler)
            want = {"full-root-0", "full-root-1", "full-root-2", "full-root-3"}
            s.wait(lambda: set(got) == want, 20, "every alert once space is back")
            s.wait(lambda: s.get("/healthz")[0] == 200, 15, "/healthz 200 again")
            time.sleep(1.5)  # another rescan: nothing read twice, nothing sent twice
            with lock:
                self.assertEqual(sorted(got), sorted(want), "each alert exactly once")
            self.assertEqual(s.stop(), 0, s.stderr())

    def test_disk_full_between_send_and_record_not_sent_again(self):
        # The disk fills while the channel is answering: the alert is sent, but the store cannot
        # take "sent". It is not sent again (it was, by a process that thought it interrupted),
        # the service does not spin on the full disk, and once space is back it is recorded.
        lock = threading.Lock()
        got = []
        filler = os.path.join(self.mnt, "filler")

        def hook(req):
            with lock:
                got.append(req.header("x-rootwatch-event-id"))
                if len(got) == 1:
                    watchtest.fill(filler)
            return 200, {}, b""

        with awsfake.HttpServer(hook) as h:
            cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n    rescan: 1\n" % self.folder,
                              channels="  - name: hook\n    type: webhook\n    url: %s/alerts\n" % h.url)
            with mock.patch.dict(os.environ, {"ROOTWATCH_NOTIFY_BACKOFF_MS": "50"}):
                s = self.service(["--config", cfg, "--metrics", "127.0.0.1:0"])
            self.drop("a.json.gz", [rwtest.record("between-root-0", time=watchtest.utc(time.time()))])
            s.wait(lambda: "event between-root-0: sent, but not recorded as sent" in s.stderr(), 15,
                   "the log saying the alert was sent but not recorded")

            def cpu_seconds():
                with open("/proc/%d/stat" % s.proc.pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

            before = cpu_seconds()
            time.sleep(3)  # three of the deliverer's one-second turns on a full disk
            self.assertLess(cpu_seconds() - before, 1.0, "rootwatch spun on the full disk")
            with lock:
                self.assertEqual(got, ["between-root-0"], "sent again while the disk was full")
            os.unlink(filler)
            s.wait(lambda: "event between-root-0: recorded as sent at last" in s.stderr(), 15,
                   "the delivery recorded once space is back")
            time.sleep(1.5)
            with lock:
                self.assertEqual(got, ["between-root-0"], "each alert exactly once")
            self.assertEqual(s.stop(), 0, s.stderr())
            self.assertNotIn("sends them again", s.stderr())
        self.assertEqual(watchtest.store_ids(self.store), ["between-root-0"])

    @watchtest.needs_moto("the queue")
    def test_disk_full_sqs_message_not_deleted(self):
        hook, got, lock = watchtest.recording_hook()
        with awsfake.MotoServer() as moto, awsfake.HttpServer(hook) as h:
            sqs = moto.boto3_client("sqs")
            url = sqs.create_queue(QueueName="full", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]

            def left():
                return watchtest.queue_left(sqs, url)

            cfg = self.config(watchtest.sqs_source("q", url),
                              channels="  - name: hook\n    type: webhook\n    url: %s/alerts\n" % h.url)
            env = awsfake.clean_aws_env(moto.env("us-east-1"))
            with mock.patch.dict(os.environ, env, clear=True):
                s = self.service(["--config", cfg, "--metrics", "127.0.0.1:0"])
            sqs.send_message(QueueUrl=url, MessageBody=watchtest.eb(rwtest.record("sqsfull-root-0")))
            s.wait(lambda: "sqsfull-root-0" in got, 20, "the first alert (the store works)")
            s.wait(lambda: left() == 0, 10, "the first message deleted")
            filler = os.path.join(self.mnt, "filler")
            watchtest.fill(filler)
            sqs.send_message(QueueUrl=url, MessageBody=watchtest.eb(rwtest.record("sqsfull-root-1")))
            s.wait(lambda: "the disk is full" in s.stderr(), 20, "the log saying the disk is full")
            deadline = time.monotonic() + 4  # two visibility timeouts: received again, never deleted
            while time.monotonic() < deadline:
                self.assertEqual(left(), 1, "the message was deleted while its alert could not be stored")
                time.sleep(0.2)
            with lock:
                self.assertEqual(got, ["sqsfull-root-0"])
            self.assertEqual(s.get("/healthz")[0], 503)
            os.unlink(filler)
            s.wait(lambda: "sqsfull-root-1" in got, 30, "the alert once space is back")
            s.wait(lambda: left() == 0, 10, "the message deleted once its alert is stored")
            time.sleep(1)
            with lock:
                self.assertEqual(sorted(got), ["sqsfull-root-0", "sqsfull-root-1"], "each alert exactly once")
            self.assertEqual(s.stop(), 0, s.stderr())

    def test_store_cannot_be_created_at_start(self):
        watchtest.fill(os.path.join(self.mnt, "filler"))
        cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n" % self.folder)
        p = rwtest.run(["watch", "--config", cfg], timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertIn(self.store, p.stderr_text)
        self.assertRegex(p.stderr_text, r"disk is full|No space left on device")


@watchtest.needs_moto()
class WatchAwsFaults(watchtest.SqsWatchCase):
    PREFIX = "rw-watch-awsfaults-"

    def test_s3_getobject_slowdown_then_alerted_once_deleted_after(self):
        url, _ = self.queue("s3-slowdown", VisibilityTimeout="3")
        self.put_noted(url, "throttled-trail", "throttled",
                       [rwtest.record("root-slowdown-1"), rwtest.record("user-slowdown-1", who="user")])
        # more SlowDowns than the client's 5 tries of one GetObject: the first reads of the message fail
        slowdowns = 12
        with awsfake.FaultServer([("slowdown",)] * slowdowns, default=("proxy", self.moto.url)) as s3:
            w = self.watch(self.config(self.sqs_source("q", url)),
                           env=dict(self.env, AWS_ENDPOINT_URL_S3=s3.url))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                left = self.left(url)
                try:
                    stored = watchtest.store_ids(self.store)
                except Exception:  # not created yet
                    stored = []
                if left == 0:  # deleted: only once its alert was stored
                    self.assertEqual(stored.count("root-slowdown-1"), 1, w.stderr())
                    break
                self.assertIsNone(w.proc.poll(), w.stderr())
                time.sleep(0.1)
            else:
                self.fail("the message was never deleted:\n" + w.stderr()[-3000:])
            self.assertTrue(watchtest.wait_until(lambda: len(w.alerts()) == 1, 10), w.stderr())
            served = [name for _, name in s3.served]
            self.assertEqual(w.stop(), 0, w.stderr())
        self.assertEqual(served[:slowdowns], ["slowdown"] * slowdowns)
        self.assertIn("proxy", served[slowdowns:], "read once S3 answered")
        self.assertEqual([a["eventID"] for a in w.alerts()], ["root-slowdown-1"])
        err = w.stderr()
        self.assertIn("SlowDown", err)

    def test_sts_renewal_throttled_then_failing_service_keeps_running(self):
        """Credentials good for 302 s, renewed after 2 s (300 s before expiry): the renewals fail
        for 6 s (throttled, then 500) while the credentials in hand still work."""
        err = self.sts_outage("sts-outage", 302, 3)
        self.assertIn("renewing AWS credentials failed", err)

    def test_sts_outage_credentials_expired_service_keeps_running(self):
        """Credentials good for 4 s: they expire during the 10 s outage, every AWS call fails
        until STS is back; the service logs it, keeps running, and goes on."""
        err = self.sts_outage("sts-expired", 4, 5)
        self.assertRegex(err, r"sqs q: cannot receive \(1 in a row\): SQS ReceiveMessage: no credentials: "
                              r"profile ops: assuming role .*STS AssumeRole")
        self.assertIn("receiving again after", err)

    def sts_outage(self, qname, lifetime, phase_s):
        url, _ = self.queue(qname, VisibilityTimeout="3")
        acct = "123456789012"
        cfgdir = os.path.join(self.dir, "aws")
        os.mkdir(cfgdir)
        with open(os.path.join(cfgdir, "config"), "w") as f:
            f.write("[profile ops]\nrole_arn = arn:aws:iam::%s:role/ops\nsource_profile = base\n"
                    "region = us-east-1\n" % acct)
        with open(os.path.join(cfgdir, "credentials"), "w") as f:
            f.write("[base]\naws_access_key_id = AKIABASEEXAMPLE00001\naws_secret_access_key = base-secret\n")
        lock = threading.Lock()
        mode = ["ok"]
        answers = []  # (mode, status) of every AssumeRole

        def assume(req):
            """moto's AssumeRole, its credentials made to expire in lifetime s; or the outage."""
            with lock:
                m = mode[0]
            if m == "throttle":
                out = fault._perform(("throttle_xml",), req, None)
            elif m == "error":
                out = (500, {"Content-Type": "text/xml"},
                       "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>"
                       "We encountered an internal error</Message></Error></ErrorResponse>")
            else:
                status, headers, body = fault._proxy(self.moto.url, req)
                expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=lifetime)
                body = re.sub(rb"<Expiration>[^<]*</Expiration>",
                              b"<Expiration>" + expires.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                              + b"</Expiration>", body)
                headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
                out = (status, headers, body)
            with lock:
                answers.append((m, out[0]))
            return out

        with awsfake.FaultServer(default=assume) as fault:
            env = awsfake.clean_aws_env({"AWS_ENDPOINT_URL": self.moto.url, "AWS_ENDPOINT_URL_STS": fault.url,
                                         "AWS_CONFIG_FILE": os.path.join(cfgdir, "config"),
                                         "AWS_SHARED_CREDENTIALS_FILE": os.path.join(cfgdir, "credentials"),
                                         "AWS_PROFILE": "ops", "AWS_REGION": "us-east-1"})
            self.sqs.send_message(QueueUrl=url, MessageBody=watchtest.eb(rwtest.record("root-sts-1")))
            w = self.watch(self.config(self.sqs_source("q", url)), env=env)
            self.assertTrue(watchtest.wait_until(lambda: len(w.alerts()) == 1, 30), w.stderr())
            with lock:
                mode[0] = "throttle"
            time.sleep(phase_s)
            with lock:
                mode[0] = "error"
            # sent during the outage (with short-lived credentials, after they expired)
            self.sqs.send_message(QueueUrl=url, MessageBody=watchtest.eb(rwtest.record("root-sts-2")))
            time.sleep(phase_s)
            self.assertIsNone(w.proc.poll(), "the service kept running through the outage:\n" + w.stderr())
            with lock:
                mode[0] = "ok"
                n_before = len(answers)
            # STS is back: a renewal works, and the service alerts again
            self.sqs.send_message(QueueUrl=url, MessageBody=watchtest.eb(rwtest.record("root-sts-3")))
            self.assertTrue(watchtest.wait_until(lambda: len(w.alerts()) == 3, 60), w.stderr()[-3000:])
            self.assertTrue(watchtest.wait_until(lambda: self.left(url) == 0, 10), w.stderr())
            self.assertIsNone(w.proc.poll(), "the service kept running")
            self.assertEqual(w.stop(), 0, w.stderr())
        with lock:
            self.assertIn(("throttle", 400), answers)
            self.assertIn(("error", 500), answers)
            self.assertIn(("ok", 200), answers[n_before:])
        self.assertEqual(sorted(a["eventID"] for a in w.alerts()), ["root-sts-1", "root-sts-2", "root-sts-3"])
        err = w.stderr()
        self.assertIn("Throttling", err)
        self.assertIn("InternalError", err)
        return err


if __name__ == "__main__":
    rwtest.main()

"""rootwatch watch with the sqs source (issue 13), against moto's SQS, S3 and SNS.

Each test runs `rootwatch watch` as a service would be run: a configuration file with sources,
channels (stdout, or a webhook receiver started here) and a store; the process is stopped with
SIGTERM (or killed). What is checked is what a person relies on: every root event alerted (once),
nothing else alerted, every message deleted only once its alert is stored, bad messages named and
given up after max_receives, the service surviving a bad reload and following a good one.

Competing consumers: three processes share one queue and one store (SQLite in WAL mode, unique
eventID: the exactly-once of cli/cmd_watch.c); one is SIGKILLed midway; the messages it held come
back after the visibility timeout (5 s here) and the survivors alert each root event exactly once.
"""
import gzip
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402
import watchtest  # noqa: E402
from watchtest import eb, store_ids, wait_until  # noqa: E402


@watchtest.needs_moto()
class WatchSqsTest(watchtest.SqsWatchCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sns = cls.moto.boto3_client("sns")

    # ---- the tests ----

    def test_eventbridge_root_alerted_ordinary_not_messages_deleted(self):
        url, _ = self.queue("eb")
        roots = [rwtest.record("root-eb-%d" % i) for i in range(5)]
        others = ([rwtest.record("user-eb-%d" % i, who="user") for i in range(20)]
                  + [rwtest.record("role-eb-%d" % i, who="role") for i in range(20)])
        bodies = [eb(r) for r in roots + others]
        bodies.insert(7, eb(rwtest.record("root-signin", source="signin.amazonaws.com",
                                          name="ConsoleLogin", eventType="AwsConsoleSignIn"),
                            "AWS Console Sign In via CloudTrail"))
        # a record that tries to forge a log line through its event name
        bodies.append(eb(rwtest.record("root-forge", name="CreateUser\nrootwatch: error: forged")))
        self.send(url, bodies)
        w = self.watch(self.config(self.sqs_source("trail-queue", url)))
        self.assertTrue(wait_until(lambda: self.left(url) == 0, 60),
                        "messages left in the queue:\n" + w.stderr())
        self.assertTrue(wait_until(lambda: len(w.alerts()) >= 7, 10), w.stderr())
        self.assertEqual(w.stop(), 0, w.stderr())
        want = {"root-eb-%d" % i for i in range(5)} | {"root-signin", "root-forge"}
        got = [a["eventID"] for a in w.alerts()]
        self.assertEqual(sorted(got), sorted(want))  # exactly the root ones, each once
        self.assertEqual(sorted(store_ids(self.store)), sorted(want))
        err = w.stderr()
        self.assertEqual(err.count("rootwatch: info: alert: "), 7, err)
        self.assertIn("eventID=root-eb-0", err)
        self.assertNotIn("\nrootwatch: error: forged", err)
        self.assertIn("CreateUser?rootwatch: error: forged", err)
        self.assertEqual([l for l in err.splitlines() if l.startswith("rootwatch: error")], [])

    def test_json_logs(self):
        url, _ = self.queue("logs")
        self.send(url, [eb(rwtest.record("root-log-1")), "{broken"])
        w = self.watch(self.config(self.sqs_source("q", url, max_receives=1)), "--log-format", "json")
        self.assertTrue(wait_until(lambda: self.left(url) == 0, 60), w.stderr())
        self.assertEqual(w.stop(), 0, w.stderr())
        lines = [json.loads(l) for l in w.stderr().splitlines() if l.strip()]
        for l in lines:
            self.assertIn("time", l)
            self.assertRegex(l["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(l["level"], ("error", "warning", "info", "debug"))
            self.assertIn("message", l)
        alert = [l for l in lines if l["message"].startswith("alert: ")]
        self.assertEqual(len(alert), 1, lines)
        self.assertEqual(alert[0]["eventID"], "root-log-1")
        self.assertEqual(alert[0]["source"], "q")  # the configured name
        self.assertRegex(alert[0]["unit"], r"^queue logs, message [0-9a-f-]{36}$")
        self.assertEqual(alert[0]["rule"], "root-api-call")
        self.assertTrue(any("is not JSON" in l["message"] and l["level"] == "error" for l in lines), lines)
        # never a secret: the dummy secret key of the environment
        self.assertNotIn(self.env["AWS_SECRET_ACCESS_KEY"], w.stderr())

    def test_s3_notifications_fetch_and_scan_test_event_ignored(self):
        url, arn = self.queue("s3n")
        self.s3.create_bucket(Bucket="org-trail")
        # S3 itself sends the test event to the queue when the notification is set up (moto too)
        self.s3.put_bucket_notification_configuration(
            Bucket="org-trail", NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        recs = ([rwtest.record("root-s3-%d" % i) for i in range(3)]
                + [rwtest.record("user-s3-%d" % i, who="user") for i in range(300)])
        key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T1000Z_a b.json.gz"
        self.s3.put_object(Bucket="org-trail", Key=key, Body=gzip.compress(rwtest.trail_bytes(recs)))
        digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/d.json.gz"
        self.s3.put_object(Bucket="org-trail", Key=digest, Body=gzip.compress(b"{}"))
        w = self.watch(self.config(self.sqs_source("bucket-events", url)), "-v")
        self.assertTrue(wait_until(lambda: self.left(url) == 0, 60), w.stderr())
        self.assertTrue(wait_until(lambda: len(w.alerts()) >= 3, 10), w.stderr())
        self.assertEqual(w.stop(), 0, w.stderr())
        self.assertEqual(sorted(a["eventID"] for a in w.alerts()), ["root-s3-0", "root-s3-1", "root-s3-2"])
        err = w.stderr()
        self.assertIn("skipped: S3's test event (s3:TestEvent)", err)
        self.assertIn("skipped: an S3 notification of no new trail file", err)  # the digest
        self.assertNotIn("error", err)

    def test_visibility_extended_while_a_slow_object_is_read(self):
        """A trail file that takes longer to fetch than the visibility timeout: the message is
        kept hidden meanwhile (ChangeMessageVisibility), so that it is read once, not handed to
        a consumer again while the first still reads it."""
        url, arn = self.queue("slow", VisibilityTimeout="2")
        self.put_noted(url, "slow-trail", "slow",
                       [rwtest.record("root-slow-1"), rwtest.record("user-slow-1", who="user")])
        # S3 answers the GET after 7 s: more than three visibility timeouts
        with awsfake.FaultServer([("slow", 7, ("proxy", self.moto.url))],
                                 default=("proxy", self.moto.url)) as slow_s3:
            env = dict(self.env, AWS_ENDPOINT_URL_S3=slow_s3.url)
            w = self.watch(self.config(self.sqs_source("q", url)), env=env)
            self.assertTrue(wait_until(lambda: len(w.alerts()) == 1, 60), w.stderr())
            self.assertTrue(wait_until(lambda: self.left(url) == 0, 10), w.stderr())
            self.assertEqual(w.stop(), 0, w.stderr())
            gets = [r for r in slow_s3.requests if r.method == "GET"]
        err = w.stderr()
        self.assertIn("still reading its S3 objects: hidden for 2 s more", err)
        self.assertEqual(len(gets), 1, "the message was handed out again while it was read:\n" + err)
        self.assertEqual([a["eventID"] for a in w.alerts()], ["root-slow-1"])

    def test_sns_wrapped_raw_and_not_raw(self):
        url_raw, arn_raw = self.queue("sns-raw")
        url_env, arn_env = self.queue("sns-envelope")
        topic = self.sns.create_topic(Name="cloudtrail-events")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_raw,
                           Attributes={"RawMessageDelivery": "true"})
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_env,
                           Attributes={"RawMessageDelivery": "false"})
        self.sns.publish(TopicArn=topic, Message=eb(rwtest.record("root-sns-1")))
        self.sns.publish(TopicArn=topic, Message=eb(rwtest.record("user-sns-1", who="user")))
        # raw off: the body is SNS's envelope (the event in Message)
        body = self.sqs.receive_message(QueueUrl=url_env, VisibilityTimeout=0)["Messages"][0]["Body"]
        self.assertEqual(json.loads(body)["Type"], "Notification")
        w = self.watch(self.config(self.sqs_source("raw", url_raw) + self.sqs_source("envelope", url_env)))
        self.assertTrue(wait_until(lambda: self.left(url_raw) == 0 and self.left(url_env) == 0, 60),
                        w.stderr())
        self.assertTrue(wait_until(lambda: len(store_ids(self.store)) >= 1, 10), w.stderr())
        time.sleep(1)
        self.assertEqual(w.stop(), 0, w.stderr())
        # the same event through both queues: alerted once, stored once
        self.assertEqual([a["eventID"] for a in w.alerts()], ["root-sns-1"])
        self.assertEqual(store_ids(self.store), ["root-sns-1"])
        self.assertNotIn("error", w.stderr())

    def test_malformed_and_poison_without_redrive_deleted(self):
        url, _ = self.queue("poison", VisibilityTimeout="1")
        self.send(url, ["not json at all", json.dumps({"hello": "world"}),
                        eb(rwtest.record("root-p-1")),
                        eb(rwtest.record("x", name="Scheduled"), "Scheduled Event")])
        w = self.watch(self.config(self.sqs_source("q", url, max_receives=3)))
        self.assertTrue(wait_until(lambda: self.left(url) == 0, 60), w.stderr())
        self.assertEqual(w.stop(), 0, w.stderr())
        err = w.stderr()
        self.assertEqual([a["eventID"] for a in w.alerts()], ["root-p-1"])
        # each bad message: named (queue and id), tried max_receives times, then deleted, said so
        given_up = [l for l in err.splitlines() if "given up after 3 receives" in l]
        self.assertEqual(len(given_up), 3, err)
        for l in given_up:
            self.assertIn("deleted (the queue has no redrive policy)", l)
        self.assertIn("the message's body is not JSON", err)
        self.assertIn("not an EventBridge event", err)
        self.assertIn("detail-type 'Scheduled Event'", err)
        self.assertRegex(err, r"queue poison, message [0-9a-f-]{36}: the message's body is not JSON")
        self.assertEqual(err.count("failed on receive 1 of at most 3"), 3, err)

    def test_poison_with_redrive_left_to_dead_letter_queue(self):
        dlq_url, dlq_arn = self.queue("poison-dlq")
        url, _ = self.queue("poison-redrive", VisibilityTimeout="1", RedrivePolicy=json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
        self.send(url, ["{oops", eb(rwtest.record("root-r-1"))])
        w = self.watch(self.config(self.sqs_source("q", url, max_receives=2)))
        self.assertTrue(wait_until(lambda: self.left(url) == 0 and self.left(dlq_url) == 1, 60),
                        w.stderr())
        self.assertEqual(w.stop(), 0, w.stderr())
        err = w.stderr()
        self.assertIn("redrive policy: poison messages go to its dead-letter queue", err)
        self.assertIn("left for the queue's dead-letter queue", err)
        dead = self.sqs.receive_message(QueueUrl=dlq_url)["Messages"]
        self.assertEqual(dead[0]["Body"], "{oops")  # moved by SQS, not dropped by rootwatch
        self.assertEqual([a["eventID"] for a in w.alerts()], ["root-r-1"])

    def test_sigterm_drains_nothing_lost(self):
        url, _ = self.queue("drain", VisibilityTimeout="30")
        n, roots = 400, {"root-d-%d" % i for i in range(40)}
        # one root event in every ten messages, so that a stop midway leaves some unread
        recs = [rwtest.record("root-d-%d" % (i // 10)) if i % 10 == 0
                else rwtest.record("user-d-%d" % i, who="user") for i in range(n)]
        self.send(url, [eb(r) for r in recs])
        cfg = self.config(self.sqs_source("q", url, max_messages=10))
        w = self.watch(cfg, "-j", "2")
        self.assertTrue(wait_until(lambda: self.left(url) < n - 20, 60), w.stderr())
        self.assertEqual(w.stop(signal.SIGTERM, timeout=30), 0, w.stderr())
        first = [a["eventID"] for a in w.alerts()]
        self.assertIn("SIGTERM: stopping", w.stderr())
        # delivered only once stored; an alert stored as the process stopped waits in the store
        # (pending) for the next start, which sends it
        stored = store_ids(self.store)
        self.assertLessEqual(set(first), set(stored))
        self.assertLess(len(stored), len(roots), "nothing was left for after the stop: the test "
                        "proves nothing about draining")
        # the messages handed back unread are visible at once (not after the 30 s timeout)
        w2 = self.watch(cfg, name="watch2")
        self.assertTrue(wait_until(lambda: self.left(url) == 0, 25), w2.stderr())
        self.assertTrue(wait_until(lambda: len(store_ids(self.store)) >= len(roots), 10))
        self.assertEqual(w2.stop(signal.SIGINT), 0, w2.stderr())
        second = [a["eventID"] for a in w2.alerts()]
        self.assertEqual(sorted(first + second), sorted(roots))  # every one, once
        self.assertEqual(sorted(store_ids(self.store)), sorted(roots))

    def test_sighup_bad_config_kept_good_config_switches(self):
        url_a, _ = self.queue("hup-a")
        url_b, _ = self.queue("hup-b")
        cfg = self.config(self.sqs_source("a", url_a))
        w = self.watch(cfg)
        self.send(url_a, [eb(rwtest.record("root-a-1"))])
        self.assertTrue(wait_until(lambda: len(w.alerts()) == 1, 30), w.stderr())
        # a bad configuration: refused, the one in use kept (queue a still read)
        with open(cfg, "w") as f:
            f.write("store: %s\nchannels:\n  - name: out\n    type: stdout\nsources:\n"
                    "  - name: b\n    type: sqs\n    queue_url: %s\n    wait_second: 1\n"
                    % (self.store, url_b))
        w.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "is refused" in w.stderr(), 10), w.stderr())
        self.assertIn("unknown option 'wait_second' for a sqs source", w.stderr())
        self.assertRegex(w.stderr(), r"rootwatch\.yaml:6:5: source b")
        self.send(url_a, [eb(rwtest.record("root-a-2"))])
        self.assertTrue(wait_until(lambda: len(w.alerts()) == 2, 30), w.stderr())
        self.assertIsNone(w.proc.poll())
        # a good one: queue b replaces queue a
        self.config(self.sqs_source("b", url_b))
        w.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "loaded: 1 sources" in w.stderr(), 20), w.stderr())
        self.send(url_b, [eb(rwtest.record("root-b-1"))])
        self.send(url_a, [eb(rwtest.record("root-a-3"))])
        self.assertTrue(wait_until(lambda: len(w.alerts()) == 3, 30), w.stderr())
        time.sleep(3)
        self.assertEqual(self.left(url_a), 1)  # no longer read
        self.assertEqual(w.stop(), 0, w.stderr())
        self.assertEqual(sorted(a["eventID"] for a in w.alerts()), ["root-a-1", "root-a-2", "root-b-1"])

    def test_sqs_outage_backs_off_and_recovers(self):
        """SQS throttling and failing for a while: the client retries each call, the source logs
        each receive that still fails, waits longer each time, and goes on once SQS is back."""
        url, _ = self.queue("outage")
        self.send(url, [eb(rwtest.record("root-o-1"))])
        with awsfake.FaultServer([("throttle_json",)] * 8 + [("status", 503, "")] * 8,
                                 default=("proxy", self.moto.url)) as fault:
            env = dict(self.env, AWS_ENDPOINT_URL_SQS=fault.url)
            w = self.watch(self.config(self.sqs_source("q", url)), env=env)
            self.assertTrue(wait_until(lambda: len(w.alerts()) == 1, 90), w.stderr())
            self.assertTrue(wait_until(lambda: self.left(url) == 0, 10), w.stderr())
            self.assertEqual(w.stop(), 0, w.stderr())
        err = w.stderr()
        self.assertIn("cannot receive (1 in a row)", err)
        self.assertRegex(err, r"ThrottlingException|HTTP 503|503")
        self.assertIn("trying again in 1 s", err)
        self.assertIn("receiving again after", err)
        self.assertEqual([a["eventID"] for a in w.alerts()], ["root-o-1"])

    def test_usage_errors(self):
        p = rwtest.run(["watch", "--config", self.config("")], env=self.env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no source to watch", p.stderr_text)
        p = rwtest.run(["watch", "--config", self.config(self.sqs_source("q", "ftp://x/1/q"))], env=self.env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("source q: option queue_url", p.stderr_text)
        p = rwtest.run(["watch", "--config", self.config(self.sqs_source("q", "https://sqs.us-east-1.amazonaws.com/1/q", max_messages=11))], env=self.env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("source q: option max_messages: from 1 to 10", p.stderr_text)
        p = rwtest.run(["watch", "--log-format", "xml"], env=self.env)
        self.assertEqual(p.returncode, 2)

    def test_sqs_option_shorthand(self):
        url, _ = self.queue("shorthand")
        self.send(url, [eb(rwtest.record("root-s-1"))])
        cfg = os.path.join(self.dir, "channels.yaml")
        with open(cfg, "w") as f:
            f.write("store: %s\nchannels:\n  - name: out\n    type: stdout\n" % self.store)
        w = self.watch(cfg, "--sqs", url)
        self.assertTrue(wait_until(lambda: len(w.alerts()) == 1, 40), w.stderr())  # wait 20 s polls
        self.assertTrue(wait_until(lambda: self.left(url) == 0, 10), w.stderr())
        self.assertEqual(w.stop(timeout=40), 0, w.stderr())
        self.assertIn("source shorthand (sqs) started", w.stderr())

    def test_competing_consumers_exactly_once(self):
        """Three processes, one queue, one store; 10,000 events holding 500 root events; a
        consumer SIGKILLed midway: every root event is delivered exactly once."""
        self.compete(kill_deliverer=False)

    def test_competing_consumers_deliverer_killed(self):
        """The same, killing the process that holds the store's delivery lock: another takes the
        deliveries over; nothing is lost, every alert is stored once, and at most the delivery
        that was in flight when it died is sent twice (store.h: a delivery marked "sending" is
        sent again; the webhook carries the eventID for receivers that must not see it twice)."""
        self.compete(kill_deliverer=True)

    def compete(self, kill_deliverer):
        """Three processes, one queue, one store; 10,000 events holding 500 root events; one
        process SIGKILLed midway.

        The events arrive as an organization's would: 9,500 in 95 trail files of 100 records
        whose S3 notifications reach the queue (the bucket's own notification configuration, in
        moto), and 500 as EventBridge events, one per message. (moto's SQS slows down
        quadratically with the messages it holds: 10,000 messages of one event each would take it
        most of an hour here; the files keep the count of events without that.)"""
        url, arn = self.queue("compete", VisibilityTimeout="5")
        self.s3.create_bucket(Bucket="compete-trail")
        self.s3.put_bucket_notification_configuration(
            Bucket="compete-trail", NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        roots, n = [], 0

        def event(i):
            nonlocal n
            n += 1
            if i % 20 == 0:  # one in twenty: 500 of 10,000
                roots.append("root-c-%05d" % n)
                return rwtest.record(roots[-1], time="2026-11-20T10:%02d:00Z" % (n % 60))
            return rwtest.record("ord-c-%05d" % n, who="user" if n % 2 else "role")

        files = []
        for f in range(95):
            recs = [event(i) for i in range(100)]
            key = ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/"
                   "111122223333_CloudTrail_us-east-1_20261120T10%02dZ_f%03d.json.gz" % (f % 60, f))
            files.append((key, gzip.compress(rwtest.trail_bytes(recs))))
        bodies = [eb(event(i)) for i in range(500)]
        self.assertEqual((n, len(roots)), (10000, 500))
        for key, data in files:
            self.s3.put_object(Bucket="compete-trail", Key=key, Body=data)
        self.send(url, bodies)
        nmsg = self.left(url)
        self.assertGreaterEqual(nmsg, 595)
        got = []
        lock = threading.Lock()

        def hook(req):
            a = json.loads(req.body)
            with lock:
                got.append(a["eventID"])
            return 200, {"Content-Type": "text/plain"}, b"ok"

        with awsfake.HttpServer(hook) as hooksrv:
            chans = "  - name: hook\n    type: webhook\n    url: %s/alerts\n" % hooksrv.url
            cfg = self.config(self.sqs_source("q", url, max_messages=10), channels=chans)
            ws = [self.watch(cfg, "-j", "2", name="w%d" % k) for k in range(3)]
            standby = lambda w: "stands by to take over" in w.stderr()  # noqa: E731
            self.assertTrue(wait_until(lambda: sum(map(standby, ws)) == 2 and all(
                "receiving from" in w.stderr() for w in ws), 30),
                "\n".join(w.stderr()[-2000:] for w in ws))
            deliverer = [w for w in ws if not standby(w)][0]
            victim = deliverer if kill_deliverer else [w for w in ws if standby(w)][0]
            # midway: about half of the messages gone
            self.assertTrue(wait_until(lambda: self.left(url) < nmsg // 2, 300),
                            "\n".join(w.stderr()[-2000:] for w in ws))
            victim.proc.kill()  # SIGKILL: whatever it held comes back after the 5 s visibility timeout
            victim.proc.wait()
            killed_err = victim.stderr()
            ws.remove(victim)
            ws.insert(0, victim)
            self.assertTrue(wait_until(lambda: self.left(url) == 0, 300),
                            "left %d\n%s" % (self.left(url), ws[1].stderr()[-3000:]))
            self.assertTrue(wait_until(lambda: len(set(got)) >= len(roots), 60),
                            "delivered %d of %d\n%s" % (len(set(got)), len(roots),
                                                         ws[1].stderr()[-3000:]))
            time.sleep(2)  # anything delivered twice would have arrived by now
            for w in ws[1:]:
                self.assertEqual(w.stop(timeout=60), 0, w.stderr()[-3000:])
            self.assertEqual(hooksrv.errors, [])
        # the killed process had taken part: it had read messages and alerted
        self.assertIn("alert: ", killed_err)
        dup = sorted(x for x in set(got) if got.count(x) > 1)
        if kill_deliverer:
            self.assertLessEqual(len(dup), 1, "more than the delivery in flight sent twice")
            self.assertTrue(all(got.count(x) == 2 for x in dup))
            self.assertIn("now delivers from", ws[1].stderr() + ws[2].stderr())
        else:
            self.assertEqual(dup, [], "delivered more than once")
        self.assertEqual(sorted(set(got)), sorted(roots))  # none lost, none made up
        self.assertEqual(sorted(store_ids(self.store)), sorted(roots))  # stored once each
        survivors = ws[1].stderr() + ws[2].stderr()
        self.assertNotIn("error", survivors)


if __name__ == "__main__":
    rwtest.main()

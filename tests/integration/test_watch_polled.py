"""rootwatch watch's polled sources (issue 13): s3 (a trail bucket in moto's S3), lookup-events
(CloudTrail event history from awsfake.LookupEventsServer: moto has no LookupEvents) and dir (a
local folder watched with inotify).

Each test runs rootwatch watch as the service runs, stops it with SIGTERM, writes more while it is
stopped, and starts it again on the same store. Alerts are delivered to the stdout channel: what
all the runs printed together must hold every root event exactly once and no ordinary event, and
`rootwatch alerts list` must show the same. Beyond the store's deduplication, the checkpoints are
checked directly: a restart reads only what is new (the units it reads are counted in its last
log line), a LookupEvents poll after a restart starts from where the last one ended, and a file
that lands late, older than files already read, is still read.
"""
import gzip
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402
import watchtest  # noqa: E402
from watchtest import SLOW, utc  # noqa: E402

ACCOUNT = "111122223333"


class PolledSourcesBase(watchtest.WatchCase):
    PREFIX = "rw-watch-polled-"

    def start(self, cfg, env, label):
        return self.watch(cfg, "-j", "2", env=env, name=label)

    def assert_exactly_once(self, runs, roots, ordinary):
        ids = [e for w in runs for e in w.alerted_ids()]
        for r in roots:
            self.assertEqual(ids.count(r), 1, "root event %s alerted %d times: %s" % (r, ids.count(r), ids))
        for o in ordinary:
            self.assertNotIn(o, ids)
        self.assertEqual(sorted(ids), sorted(roots), ids)
        p = rwtest.run(["alerts", "list", "--store", self.store, "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        stored = json.loads(p.stdout_text)
        self.assertEqual(sorted(a["eventID"] if "eventID" in a else a["alert"]["eventID"] for a in stored),
                         sorted(roots), p.stdout_text[:3000])
        for a in stored:
            deliveries = a.get("deliveries", [])
            self.assertEqual([d.get("state") for d in deliveries], ["sent"], a)

    def assert_clean_stop(self, w):
        self.assertEqual(w.rc, 0, w.stderr()[-3000:])
        self.assertIn("SIGTERM: stopping", w.stderr())


# ------------------------------------------------------------------------------------------------
# s3


def trail_key(prefix, account, region, t, rand, org=None):
    """The key CloudTrail gives a log file of time t (an organization trail's with org)."""
    return "%sAWSLogs/%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz" % (
        prefix, org + "/" if org else "", account, region, time.strftime("%Y/%m/%d", time.gmtime(t)),
        account, region, time.strftime("%Y%m%dT%H%MZ", time.gmtime(t)), rand)


@unittest.skipUnless(awsfake.MotoServer.available() and awsfake.boto3_available(),
                     "moto_server and boto3 are needed: %s" % awsfake.MotoServer.why_unavailable())
class S3Source(PolledSourcesBase):
    BUCKET = "rw-trail-bucket"

    def put(self, s3, key, records):
        s3.put_object(Bucket=self.BUCKET, Key=key, Body=gzip.compress(rwtest.trail_bytes(records)))

    def test_new_late_and_while_stopped(self):
        with awsfake.MotoServer() as moto:
            s3 = moto.boto3_client("s3")
            s3.create_bucket(Bucket=self.BUCKET)
            env = awsfake.clean_aws_env(moto.env())
            now = time.time()
            # before the start: a file of five minutes ago, and things that are not log files
            self.put(s3, trail_key("logs/", ACCOUNT, "us-east-1", now - 300, "a1"),
                     [rwtest.record("s3-root-1"), rwtest.record("s3-user-1", who="user")])
            s3.put_object(Bucket=self.BUCKET, Body=b"{}",
                          Key="logs/AWSLogs/%s/CloudTrail-Digest/us-east-1/%s/%s_CloudTrail-Digest_x.json.gz"
                          % (ACCOUNT, time.strftime("%Y/%m/%d", time.gmtime(now)), ACCOUNT))
            s3.put_object(Bucket=self.BUCKET, Key="logs/AWSLogs/%s/Config/x.json" % ACCOUNT, Body=b"not a trail")
            # a file older than the window: history for rootwatch scan, not read by watch
            self.put(s3, trail_key("logs/", ACCOUNT, "us-east-1", now - 3 * 3600, "old"),
                     [rwtest.record("s3-root-old")])
            cfg = self.config(
                "  - name: trail\n    type: s3\n    bucket: %s\n    prefix: logs\n    interval: 1\n"
                "    rediscover: 1\n"
                "  - name: missing\n    type: s3\n    bucket: rw-no-such-bucket\n    interval: 1\n"
                % self.BUCKET)

            w1 = self.start(cfg, env, "s3-1")
            w1.wait_alerted("s3-root-1", 20)
            # a new file of a new region, while running: found within a couple of polls
            t0 = time.monotonic()
            self.put(s3, trail_key("logs/", ACCOUNT, "eu-west-1", time.time(), "b1"),
                     [rwtest.record("s3-root-2", region="eu-west-1"),
                      rwtest.record("s3-user-2", who="user", region="eu-west-1")])
            w1.wait_alerted("s3-root-2", 10)
            self.assertLess(time.monotonic() - t0, 8 * SLOW)
            # a newer file in us-east-1, then one landing late with a time 20 minutes older
            self.put(s3, trail_key("logs/", ACCOUNT, "us-east-1", time.time() + 60, "c1"),
                     [rwtest.record("s3-root-3")])
            w1.wait_alerted("s3-root-3", 10)
            self.put(s3, trail_key("logs/", ACCOUNT, "us-east-1", time.time() - 1200, "late"),
                     [rwtest.record("s3-root-late"), rwtest.record("s3-user-late", who="user")])
            w1.wait_alerted("s3-root-late", 10)
            # an organization trail's folder of another account
            self.put(s3, trail_key("logs/", "222233334444", "us-west-2", time.time(), "o1", org="o-exampleorg1"),
                     [rwtest.record("s3-root-org", account="222233334444", region="us-west-2")])
            w1.wait_alerted("s3-root-org", 10)
            # the bucket that does not exist is said, named, and does not stop the rest
            w1.wait(lambda: "s3 missing: s3://rw-no-such-bucket" in w1.stderr(), 10,
                        "the missing bucket's error")
            self.assertEqual(w1.stop(), 0)
            self.assert_clean_stop(w1)
            self.assertEqual(w1.units_read(), 5, w1.stderr()[-3000:])
            err1 = w1.stderr()
            self.assertIn("no such bucket", err1)
            self.assertEqual(err1.count("s3 missing: s3://rw-no-such-bucket"), 1, err1)  # said once

            # while stopped: a file in each region, and the missing bucket is made with a file
            self.put(s3, trail_key("logs/", ACCOUNT, "us-east-1", time.time(), "d1"),
                     [rwtest.record("s3-root-4")])
            self.put(s3, trail_key("logs/", ACCOUNT, "eu-west-1", time.time() - 600, "d2"),
                     [rwtest.record("s3-root-5", region="eu-west-1")])
            w2 = self.start(cfg, env, "s3-2")
            w2.wait_alerted("s3-root-4", 20)
            w2.wait_alerted("s3-root-5", 20)
            s3.create_bucket(Bucket="rw-no-such-bucket")
            self.put_in(s3, "rw-no-such-bucket", trail_key("", ACCOUNT, "us-east-1", time.time(), "e1"),
                        [rwtest.record("s3-root-6")])
            w2.wait_alerted("s3-root-6", 15)
            time.sleep(2.5)  # a few more polls: nothing read twice
            self.assertEqual(w2.stop(), 0)
            self.assert_clean_stop(w2)
            # only the three new files were read: the checkpoints, not only the store, held
            self.assertEqual(w2.units_read(), 3, w2.stderr()[-3000:])
            self.assertNotIn("stored already", w2.stderr())
            self.assert_exactly_once([w1, w2],
                                     ["s3-root-1", "s3-root-2", "s3-root-3", "s3-root-late", "s3-root-org",
                                      "s3-root-4", "s3-root-5", "s3-root-6"],
                                     ["s3-user-1", "s3-user-2", "s3-user-late", "s3-root-old"])

    def test_access_denied_object_is_retried(self):
        # S3 behind a proxy that answers 403 AccessDenied to the GetObject of one key (a file
        # encrypted with a KMS key the reader may not use, say) until told to let it through
        with awsfake.MotoServer() as moto:
            s3 = moto.boto3_client("s3")
            s3.create_bucket(Bucket=self.BUCKET)
            deny = {"on": True}

            def answer(req):
                if deny["on"] and req.method == "GET" and "_denied" in req.path:
                    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                            '<Message>Access Denied</Message><RequestId>RID1</RequestId></Error>')
                    return 403, {"Content-Type": "application/xml"}, body
                return awsfake.FaultServer._proxy(moto.url, req)

            with awsfake.FaultServer(default=answer) as proxy:
                env = awsfake.clean_aws_env(dict(moto.env(), AWS_ENDPOINT_URL=proxy.url))
                now = time.time()
                denied = trail_key("", ACCOUNT, "us-east-1", now - 120, "x_denied")
                self.put(s3, denied, [rwtest.record("s3a-root-denied")])
                self.put(s3, trail_key("", ACCOUNT, "us-east-1", now - 60, "ok"), [rwtest.record("s3a-root-1")])
                cfg = self.config("  - name: trail\n    type: s3\n    bucket: %s\n    interval: 1\n" % self.BUCKET)
                w = self.start(cfg, env, "s3a")
                w.wait_alerted("s3a-root-1", 20)
                w.wait(lambda: "AccessDenied" in w.stderr(), 10, "the access denied error")
                err = w.stderr()
                self.assertIn(denied, err)
                self.assertIn("s3 trail: s3://%s/%s: not read in full" % (self.BUCKET, denied), err)
                time.sleep(2)
                self.assertNotIn("s3a-root-denied", w.alerted_ids())
                deny["on"] = False
                w.wait_alerted("s3a-root-denied", 30)  # tried again at a later poll
                w.stop()
                self.assert_clean_stop(w)
                self.assert_exactly_once([w], ["s3a-root-1", "s3a-root-denied"], [])

    def put_in(self, s3, bucket, key, records):
        s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(rwtest.trail_bytes(records)))

    def test_damaged_file_is_retried_and_holds_the_checkpoint(self):
        with awsfake.MotoServer() as moto:
            s3 = moto.boto3_client("s3")
            s3.create_bucket(Bucket=self.BUCKET)
            env = awsfake.clean_aws_env(moto.env())
            now = time.time()
            # a window of two minutes, the damaged file a minute old, the good one ten minutes
            # newer than it: were the damaged file not holding it, the checkpoint would move past it
            bad = trail_key("", ACCOUNT, "us-east-1", now - 60, "bad")
            s3.put_object(Bucket=self.BUCKET, Key=bad, Body=b"\x1f\x8b\x08\x00garbage that is no gzip")
            self.put(s3, trail_key("", ACCOUNT, "us-east-1", now + 600, "good"), [rwtest.record("s3d-root-1")])
            cfg = self.config("  - name: trail\n    type: s3\n    bucket: %s\n    interval: 1\n"
                              "    window: 120\n" % self.BUCKET)
            w1 = self.start(cfg, env, "s3d-1")
            w1.wait_alerted("s3d-root-1", 20)
            w1.wait(lambda: "not read in full" in w1.stderr(), 10, "the damaged file's error")
            self.assertIn(bad, w1.stderr())
            w1.stop()
            self.assert_clean_stop(w1)
            # fixed while stopped: the restart reads it (the checkpoint stayed below it), and the
            # good file is not read again
            self.put(s3, bad, [rwtest.record("s3d-root-2")])
            w2 = self.start(cfg, env, "s3d-2")
            w2.wait_alerted("s3d-root-2", 20)
            w2.stop()
            self.assertEqual(w2.units_read(), 1, w2.stderr()[-3000:])
            self.assert_exactly_once([w1, w2], ["s3d-root-1", "s3d-root-2"], [])


# ------------------------------------------------------------------------------------------------
# lookup-events


def lookup_event(event_id, t, region="us-east-1", root=True):
    """One LookupEvents event, as awsfake.synth_events makes them, at time t."""
    ev = awsfake.synth_events(1, region=region, start=utc(t), root_every=1 if root else 0)[0]
    rec = json.loads(ev["CloudTrailEvent"])
    rec["eventID"] = rec["requestID"] = event_id
    ev["EventId"] = event_id
    ev["CloudTrailEvent"] = json.dumps(rec, separators=(",", ":"))
    return ev


class LookupEventsSource(PolledSourcesBase):
    KEY, SECRET = "ASIAWATCHLOOKUP00001", "watch-lookup-secret-never-printed"

    def add(self, server, region, events):
        with server._lock:
            old = [ev for _, ev in server.events.get(region, [])]
            server.events[region] = server._sorted(old + events)

    def env(self, server):
        e = {"AWS_ACCESS_KEY_ID": self.KEY, "AWS_SECRET_ACCESS_KEY": self.SECRET, "AWS_REGION": "us-east-1"}
        e.update(server.env())
        return awsfake.clean_aws_env(e)

    def test_poll_overlap_and_restart(self):
        now = time.time()
        ordinary = [lookup_event("lk-user-%d" % i, now - 600 + i * 5, root=False) for i in range(120)]
        events = {"us-east-1": ordinary + [lookup_event("lk-root-1", now - 120)],
                  "eu-west-1": [lookup_event("lk-root-eu", now - 30, region="eu-west-1")]}
        with awsfake.LookupEventsServer(events, rate_limit=2, credentials={self.KEY: self.SECRET}) as server:
            env = self.env(server)
            cfg = self.config("  - name: history\n    type: lookup-events\n    regions: [us-east-1, eu-west-1]\n"
                              "    interval: 1\n")
            w1 = self.start(cfg, env, "lk-1")
            w1.wait_alerted("lk-root-1", 20)
            w1.wait_alerted("lk-root-eu", 20)
            # an event that appears in the history late: ten minutes older than the last poll
            self.add(server, "us-east-1", [lookup_event("lk-root-late", time.time() - 600)])
            w1.wait_alerted("lk-root-late", 10)
            time.sleep(2)  # more polls over the same overlap: nothing alerted twice
            w1.stop()
            self.assert_clean_stop(w1)
            stopped_at = time.time()
            calls_before = len(server.calls)

            # while stopped: a new root event; the restart asks from the checkpoint less the overlap
            self.add(server, "us-east-1", [lookup_event("lk-root-2", time.time() - 2)])
            time.sleep(4)
            w2 = self.start(cfg, env, "lk-2")
            w2.wait_alerted("lk-root-2", 20)
            time.sleep(1.5)
            w2.stop()
            self.assert_clean_stop(w2)
            # the overlap read lk-root-1 and lk-root-late again: in the store already, not sent
            self.assertIn("stored already, not sent again", w2.stderr())
            first = [c for c in server.calls[calls_before:] if c.region == "us-east-1" and c.params
                     and "NextToken" not in c.params][0]
            # from where the first run stopped (less 1200 s), not from the restart's own now
            self.assertLessEqual(first.params["StartTime"], stopped_at - 1200 + 1, first.params)
            self.assertGreater(first.params["StartTime"], stopped_at - 1200 - 10 * SLOW, first.params)
            # within AWS's rate limit in every region, every call signed right
            self.assertEqual(server.rate_violations, [])
            self.assertEqual(server.errors, [])
            for r in ("us-east-1", "eu-west-1"):
                self.assertLessEqual(server.max_calls_in_window(r, 1.0), 2, r)
            out = w1.stdout() + w1.stderr() + w2.stdout() + w2.stderr()
            self.assertNotIn(self.SECRET, out)
            self.assert_exactly_once([w1, w2], ["lk-root-1", "lk-root-eu", "lk-root-late", "lk-root-2"],
                                     ["lk-user-%d" % i for i in range(120)])

    @unittest.skipUnless(awsfake.MotoServer.available(),
                         "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
    def test_all_regions(self):
        # regions: all is the account's regions (EC2 DescribeRegions, from moto)
        events = {"ap-southeast-2": [lookup_event("lka-root-1", time.time() - 60, region="ap-southeast-2")]}
        with awsfake.MotoServer() as moto, awsfake.LookupEventsServer(events) as server:
            env = self.env(server)
            env["AWS_ENDPOINT_URL_EC2"] = moto.url
            cfg = self.config("  - name: history\n    type: lookup-events\n    regions: all\n"
                              "    interval: 2\n")
            w = self.start(cfg, env, "lka")
            w.wait_alerted("lka-root-1", 30)
            w.stop()
            self.assert_clean_stop(w)
            asked = {c.region for c in server.calls}
            self.assertGreater(len(asked), 10, asked)
            self.assertIn("ap-southeast-2", asked)
            self.assert_exactly_once([w], ["lka-root-1"], [])

    def test_failing_region_keeps_polling(self):
        # the region's calls fail (throttled beyond the client's retries): said, counted, polled
        # again; the checkpoint does not move, so the event is found once the service answers
        now = time.time()
        events = {"us-east-1": [lookup_event("lkf-root-1", now - 60)]}
        with awsfake.LookupEventsServer(events, throttle_every=1) as server:
            env = self.env(server)
            env["ROOTWATCH_AWS_TIMEOUT_MS"] = "2000"
            cfg = self.config("  - name: history\n    type: lookup-events\n    interval: 1\n")
            w = self.start(cfg, env, "lkf")
            w.wait(lambda: "lookup-events history: us-east-1" in w.stderr(), 90,
                       "the failing region's error")
            self.assertEqual(w.alerted_ids(), [])
            server.throttle_every = 0
            w.wait_alerted("lkf-root-1", 90)
            w.wait(lambda: "working again" in w.stderr(), 20, "the recovery")
            w.stop()
            self.assert_clean_stop(w)
            self.assert_exactly_once([w], ["lkf-root-1"], [])


# ------------------------------------------------------------------------------------------------
# dir


class DirSource(PolledSourcesBase):
    def write(self, path, records, gz=False):
        data = rwtest.trail_bytes(records)
        with open(path, "wb") as f:
            f.write(gzip.compress(data) if gz else data)

    def test_files_running_and_stopped(self):
        folder = os.path.join(self.dir, "exports")
        os.makedirs(folder)
        self.write(os.path.join(folder, "a.json"), [rwtest.record("d-root-1"), rwtest.record("d-user-1", who="user")])
        cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n" % folder)
        w1 = self.start(cfg, None, "dir-1")
        w1.wait_alerted("d-root-1", 15)
        # written in place (IN_CLOSE_WRITE), moved in from a temporary name (IN_MOVED_TO), and in
        # a folder made while running
        t0 = time.monotonic()
        self.write(os.path.join(folder, "b.json"), [rwtest.record("d-root-2")])
        w1.wait_alerted("d-root-2", 5)
        self.assertLess(time.monotonic() - t0, 3 * SLOW)  # inotify, not the 60 s rescan
        tmp = os.path.join(folder, ".c.json.gz.part")
        self.write(tmp, [rwtest.record("d-root-3"), rwtest.record("d-user-3", who="user")], gz=True)
        os.rename(tmp, os.path.join(folder, "c.json.gz"))
        w1.wait_alerted("d-root-3", 5)
        sub = os.path.join(folder, "2026", "12")
        os.makedirs(sub)
        self.write(os.path.join(sub, "d.json"), [rwtest.record("d-root-4")])
        w1.wait_alerted("d-root-4", 5)
        # a damaged file is said (named) and the source goes on
        with open(os.path.join(folder, "broken.json.gz"), "wb") as f:
            f.write(b"\x1f\x8b\x08\x00 not gzip at all")
        w1.wait(lambda: "broken.json.gz" in w1.stderr(), 10, "the damaged file's error")
        self.write(os.path.join(folder, "e.json"), [rwtest.record("d-root-5")])
        w1.wait_alerted("d-root-5", 5)
        w1.stop()
        self.assert_clean_stop(w1)

        # while stopped: a new file, and the damaged one fixed
        self.write(os.path.join(sub, "f.json"), [rwtest.record("d-root-6")])
        self.write(os.path.join(folder, "broken.json.gz"), [rwtest.record("d-root-7")], gz=True)
        w2 = self.start(cfg, None, "dir-2")
        w2.wait_alerted("d-root-6", 15)
        w2.wait_alerted("d-root-7", 15)
        time.sleep(1)
        w2.stop()
        self.assert_clean_stop(w2)
        self.assertEqual(w2.units_read(), 2, w2.stderr()[-3000:])  # only the new and the fixed
        self.assert_exactly_once([w1, w2], ["d-root-%d" % i for i in range(1, 8)],
                                 ["d-user-1", "d-user-3"])

    def test_reload_keeps_its_place(self):
        # SIGHUP makes the source anew from the same configuration: it goes on from the store's
        # checkpoint, reading nothing twice and missing nothing written around the reload
        folder = os.path.join(self.dir, "exports")
        os.makedirs(folder)
        self.write(os.path.join(folder, "a.json"), [rwtest.record("dr-root-1")])
        cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n" % folder)
        w = self.start(cfg, None, "dir-reload")
        w.wait_alerted("dr-root-1", 15)
        w.proc.send_signal(signal.SIGHUP)
        self.write(os.path.join(folder, "b.json"), [rwtest.record("dr-root-2")])
        w.wait(lambda: "loaded: 1 sources" in w.stderr(), 15, "the reload")
        self.write(os.path.join(folder, "c.json"), [rwtest.record("dr-root-3")])
        w.wait_alerted("dr-root-2", 10)
        w.wait_alerted("dr-root-3", 10)
        time.sleep(1)
        w.stop()
        self.assert_clean_stop(w)
        self.assertNotIn("stored already", w.stderr())
        self.assert_exactly_once([w], ["dr-root-1", "dr-root-2", "dr-root-3"], [])

    def test_not_a_folder(self):
        path = os.path.join(self.dir, "file")
        open(path, "w").close()
        cfg = self.config("  - name: exports\n    type: dir\n    path: %s\n" % path)
        p = rwtest.run(["watch", "--config", cfg], timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr_text)
        self.assertIn("source exports: path: %s is not a folder" % path, p.stderr_text)


class ConfigErrors(PolledSourcesBase):
    def refused(self, source_yaml, message):
        cfg = self.config(source_yaml)
        p = rwtest.run(["watch", "--config", cfg], timeout=30, env=awsfake.clean_aws_env())
        self.assertEqual(p.returncode, 2, p.stderr_text)
        self.assertIn(message, p.stderr_text)

    def test_values_checked_before_anything_runs(self):
        self.refused("  - name: t\n    type: s3\n    bucket: Not_A/Bucket\n",
                     "source t: bucket: 'Not_A/Bucket' is not a bucket name")
        self.refused("  - name: t\n    type: s3\n    bucket: ok-bucket\n    window: 600\n    rediscover: 600\n",
                     "source t: rediscover: from 1 second to less than the window (600), not 600")
        self.refused("  - name: t\n    type: s3\n    bucket: ok-bucket\n    interval: 0\n",
                     "source t: interval: at least 1 second, not 0")
        self.refused("  - name: h\n    type: lookup-events\n    regions: [us-east-1, all]\n",
                     "source h: regions: all stands alone")
        self.refused("  - name: h\n    type: lookup-events\n    regions: [us east 1]\n",
                     "source h: regions: 'us east 1' is not a region name")
        self.refused("  - name: d\n    type: dir\n    path: %s\n" % os.path.join(self.dir, "nowhere"),
                     "source d: path: %s: No such file or directory" % os.path.join(self.dir, "nowhere"))
        self.refused("  - name: t\n    type: s3\n    prefix: x\n", "bucket")  # required


if __name__ == "__main__":
    rwtest.main()

"""rootwatch watch: a channel's retry_for (docs/watch.md, "A channel down").

A channel that keeps failing is retried until retry_for after the alert was stored (default 24 h),
whatever max_attempts says; a channel with max_attempts and no retry_for keeps its count. Time is
not waited for: the service is stopped with deliveries pending, the store's alerts are made two
minutes older (what a restart after two minutes of outage sees), and the service started again:
the channel with retry_for 1m gives up at its next attempt, the others go on retrying.
"""
import os
import sqlite3
import subprocess
import sys
import threading
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402
import watchtest as wt  # noqa: E402

CHANNELS = {  # name -> its settings beyond type and url
    "short": "    retry_for: 1m\n",
    "default": "",
    "counted": "    max_attempts: 2\n    retry_for: 2h\n",
    "plain": "    max_attempts: 2\n",
}
SOURCES = "  - name: exports\n    type: dir\n    path: %s\n    rescan: 1\n"


class WatchRetryFor(wt.DirWatchCase):
    PREFIX = "rw-watch-retry-"

    def write_config(self, url, extra=None):
        channels = ""
        for name, opts in (extra or CHANNELS).items():
            channels += "  - name: %s\n    type: webhook\n    url: %s/%s\n    timeout_ms: 2000\n%s" % (
                name, url, name, opts)
        self.cfg = self.config(SOURCES % self.folder, channels)

    def start(self):
        with mock.patch.dict(os.environ, {"ROOTWATCH_NOTIFY_BACKOFF_MS": "10"}):
            return self.service(["--config", self.cfg, "--metrics", "127.0.0.1:0"])

    def test_retry_for_window_then_given_up(self):
        lock = threading.Lock()
        tries = {name: 0 for name in CHANNELS}

        def down(req):
            with lock:
                tries[req.path.strip("/").split("?")[0]] += 1
            return 503, {}, b"down"

        with awsfake.HttpServer(down) as h:
            self.write_config(h.url)
            s = self.start()
            self.drop("a.json.gz", [rwtest.record("retry-root-1")])

            def counts():
                with lock:
                    return dict(tries)

            # within the window every channel but the plain max_attempts one keeps trying: retry_for
            # outranks max_attempts for rootwatch watch
            s.wait(lambda: min(counts()[n] for n in ("short", "default", "counted")) >= 4, 20,
                   "four attempts on each windowed channel")
            s.wait(lambda: "channel plain: event retry-root-1" in s.stderr()
                   and "(attempt 2 of 2; giving up)" in s.stderr(), 20, "the plain channel giving up")
            self.assertEqual(counts()["plain"], 2)
            log = s.stderr()
            self.assertIn("retried for 0.01667 h after the alert was stored", log)  # 1m
            self.assertIn("retried for 24 h after the alert was stored", log)
            self.assertIn("retried for 2 h after the alert was stored", log)
            self.assertEqual(s.stop(), 0, s.stderr())

            # two minutes later, as the store sees it
            db = sqlite3.connect(self.store)
            with db:
                n = db.execute("UPDATE alerts SET detected_ms = detected_ms - 120000").rowcount
                pending = db.execute("SELECT channel FROM deliveries WHERE state = 0 ORDER BY channel").fetchall()
            db.close()
            self.assertEqual(n, 1)
            self.assertEqual([c for (c,) in pending], ["counted", "default", "short"])

            before = counts()
            s = self.start()
            s.wait(lambda: "channel short: event retry-root-1" in s.stderr()
                   and "h after the alert was stored; giving up)" in s.stderr(), 20,
                   "the 1m channel giving up after its window")
            s.wait(lambda: all(counts()[n] >= before[n] + 4 for n in ("default", "counted")), 20,
                   "the 24 h and 2 h channels still retrying")
            samples, _ = s.metrics()
            self.assertEqual(wt.value(samples, "rootwatch_deliveries_total", channel="short", result="failed"), 1)
            self.assertEqual(counts()["short"], before["short"] + 1)
            self.assertEqual(counts()["plain"], 2)
            for name in ("default", "counted"):
                self.assertFalse([l for l in s.stderr().splitlines()
                                  if "channel %s:" % name in l and "giving up" in l], name)
            self.assertEqual(s.stop(), 0, s.stderr())
            db = sqlite3.connect(self.store)
            states = dict(db.execute("SELECT channel, state FROM deliveries").fetchall())
            db.close()
            self.assertEqual(states["default"], 0)  # pending still
            self.assertEqual(states["counted"], 0)
            self.assertEqual(states["short"], states["plain"])  # both given up

    def test_check_shows_and_refuses(self):
        self.write_config("http://127.0.0.1:9")
        p = subprocess.run([rwtest.ROOTWATCH, "notify", "check", "--config", self.cfg],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"short \(webhook\): .*retry_for 60s")
        self.assertRegex(p.stdout, r"counted \(webhook\): .*max_attempts 2, retry_for 7200s")
        self.assertNotRegex(p.stdout, r"default \(webhook\): .*retry_for")
        for bad in ("5s", "forever", "31d", "3"):
            self.write_config("http://127.0.0.1:9", {"x": "    retry_for: %s\n" % bad})
            p = subprocess.run([rwtest.ROOTWATCH, "notify", "check", "--config", self.cfg],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, (bad, p.stdout, p.stderr))
            self.assertIn("%s:7:16:" % self.cfg, p.stderr, bad)
            self.assertIn("channel x: retry_for is a duration from 1m to 30d", p.stderr, bad)
        p = subprocess.run([rwtest.ROOTWATCH, "notify", "channels"], capture_output=True, text=True)
        self.assertIn("retry_for", p.stdout)


if __name__ == "__main__":
    unittest.main()

"""rootwatch watch under faults (issue 13, "Faults and bad input").

A notification channel down for ten minutes loses no alert: the long-running service retries a
retryable failure (a 503, a refused connection) of a channel without an explicit max_attempts
until 24 h after the alert was stored, not for max_attempts (8) tries, which at the real 1 s base
backoff span only 1 to 2 minutes. The outage is scaled down with ROOTWATCH_NOTIFY_BACKOFF_MS: every
wait is proportional to that base (the 5-minute cap is never reached here), so ten minutes at the
real 1000 ms base is 600 bases, 6 s at the 10 ms base used. Old default: given up after 7 waits,
at most 127 bases (1.27 s). An explicit max_attempts is still honoured.
"""
import gzip
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402
import test_watch_metrics as twm  # noqa: E402

BASE_MS = 10
# ten minutes at the real 1000 ms base, in bases, at BASE_MS
OUTAGE_S = 600 * BASE_MS / 1000.0


class WatchChannelOutage(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rw-watch-faults-")
        self.folder = os.path.join(self.dir, "exports")
        os.mkdir(self.folder)
        self.store = os.path.join(self.dir, "store.db")
        self.service = None

    def tearDown(self):
        if self.service and self.service.proc.poll() is None:
            self.service.proc.kill()
            self.service.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def drop(self, name, records):
        tmp = os.path.join(self.folder, "." + name)
        with open(tmp, "wb") as f:
            f.write(gzip.compress(rwtest.trail_bytes(records)))
        os.rename(tmp, os.path.join(self.folder, name))

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
            cfg = os.path.join(self.dir, "rootwatch.yaml")
            with open(cfg, "w") as f:
                f.write("store: %s\nchannels:\n"
                        "  - name: hook\n    type: webhook\n    url: %s/alerts\n    timeout_ms: 2000\n"
                        "  - name: capped\n    type: webhook\n    url: %s/alerts\n    timeout_ms: 2000\n"
                        "    max_attempts: 3\n"
                        "sources:\n  - name: exports\n    type: dir\n    path: %s\n    rescan: 1\n"
                        % (self.store, h.url, d.url, self.folder))
            with mock.patch.dict(os.environ, {"ROOTWATCH_NOTIFY_BACKOFF_MS": str(BASE_MS)}):
                s = self.service = twm.Service(["--config", cfg, "--metrics", "127.0.0.1:0"], self.dir)
            t0 = time.monotonic()
            now = time.time()
            self.drop("a.json.gz", [rwtest.record("out-root-1", time=twm.utc(now - 5)),
                                    rwtest.record("out-user-1", who="user", time=twm.utc(now - 5)),
                                    rwtest.record("out-root-2", time=twm.utc(now - 5))])
            s.wait(lambda: "out-root-1" in tries and "out-root-2" in tries, 10, "the first attempts")
            time.sleep(OUTAGE_S / 2)
            self.drop("b.json.gz", [rwtest.record("out-root-3", time=twm.utc(time.time()))])
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
            self.assertEqual(twm.value(samples, "rootwatch_deliveries_total", channel="hook", result="sent"), 3)
            self.assertEqual(twm.value(samples, "rootwatch_deliveries_total", channel="hook", result="failed"), 0)
            self.assertEqual(twm.value(samples, "rootwatch_deliveries_total", channel="capped", result="failed"), 3)
            with lock:
                failures = sum(v.count(503) for v in tries.values())
            self.assertEqual(twm.value(samples, "rootwatch_delivery_errors_total", channel="hook"), failures)
            log = s.stderr()
            self.assertIn("notify: channel hook: event out-root-1:", log)
            self.assertIn("503", log)
            self.assertIn("retried for 24 h after the alert was stored", log)
            self.assertIn("(attempt 3 of 3; giving up)", log)
            rc = s.stop()
            self.assertEqual(rc, 0, s.stderr())
            self.assertNotIn("giving up", "\n".join(l for l in s.stderr().splitlines() if "channel hook:" in l))


if __name__ == "__main__":
    rwtest.main()

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
dir source's file is read again, its checkpoint not moved), the service keeps running and says so
(the log names the full disk, /healthz answers 503 naming the store), and once space is back every
root alert is stored and delivered exactly once. A store that cannot even be created at start (the
disk full) is a clear error and exit 1 (documented in docs/watch.md: systemd restarts it, as it
should, since space may come back; exit 2 is for what a restart cannot fix).
"""
import gzip
import os
import shutil
import subprocess
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


def try_mount(path, size):
    """Mounts a tmpfs of size at path; None when it worked, else why not."""
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path],
                       capture_output=True, text=True)
    return None if p.returncode == 0 else (p.stderr.strip() or "mount exited %d" % p.returncode)


def fill(path):
    """Writes zeros to path until the file system is full."""
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass


class WatchDiskFull(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        probe = tempfile.mkdtemp(prefix="rw-watch-mount-")
        why = try_mount(probe, "1m")
        if why is None:
            subprocess.run(["umount", probe], check=True)
        os.rmdir(probe)
        if why is not None:
            raise unittest.SkipTest("cannot mount a tmpfs to fill up (needs root or CAP_SYS_ADMIN; "
                                    "a container without it): " + why)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rw-watch-full-")
        self.folder = os.path.join(self.dir, "exports")
        os.mkdir(self.folder)
        self.mnt = os.path.join(self.dir, "mnt")
        os.mkdir(self.mnt)
        self.assertIsNone(try_mount(self.mnt, "4m"))
        self.store = os.path.join(self.mnt, "store.db")
        self.service = None

    def tearDown(self):
        if self.service and self.service.proc.poll() is None:
            self.service.proc.kill()
            self.service.proc.wait()
        subprocess.run(["umount", "-l", self.mnt])
        shutil.rmtree(self.dir, ignore_errors=True)

    def drop(self, name, records):
        tmp = os.path.join(self.folder, "." + name)
        with open(tmp, "wb") as f:
            f.write(gzip.compress(rwtest.trail_bytes(records)))
        os.rename(tmp, os.path.join(self.folder, name))

    def test_disk_full_nothing_acknowledged_then_everything_once(self):
        lock = threading.Lock()
        got = []

        def hook(req):
            with lock:
                got.append(req.header("x-rootwatch-event-id"))
            return 200, {}, b""

        with awsfake.HttpServer(hook) as h:
            cfg = os.path.join(self.dir, "rootwatch.yaml")
            with open(cfg, "w") as f:
                f.write("store: %s\nchannels:\n"
                        "  - name: hook\n    type: webhook\n    url: %s/alerts\n"
                        "sources:\n  - name: exports\n    type: dir\n    path: %s\n    rescan: 1\n"
                        % (self.store, h.url, self.folder))
            with mock.patch.dict(os.environ, {"ROOTWATCH_NOTIFY_BACKOFF_MS": "50"}):
                s = self.service = twm.Service(["--config", cfg, "--metrics", "127.0.0.1:0"], self.dir)
            now = time.time()
            self.drop("a.json.gz", [rwtest.record("full-root-0", time=twm.utc(now))])
            s.wait(lambda: "full-root-0" in got, 15, "the first alert (the store works)")
            filler = os.path.join(self.mnt, "filler")
            fill(filler)
            records = [rwtest.record("full-root-%d" % i, time=twm.utc(now)) for i in range(1, 4)]
            records += [rwtest.record("full-user-%d" % i, who="user", time=twm.utc(now)) for i in range(50)]
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
            self.assertGreaterEqual(twm.value(samples, "rootwatch_source_units_failed_total",
                                              source="exports", type="dir"), 1)
            os.unlink(filler)
            want = {"full-root-0", "full-root-1", "full-root-2", "full-root-3"}
            s.wait(lambda: set(got) == want, 20, "every alert once space is back")
            s.wait(lambda: s.get("/healthz")[0] == 200, 15, "/healthz 200 again")
            time.sleep(1.5)  # another rescan: nothing read twice, nothing sent twice
            with lock:
                self.assertEqual(sorted(got), sorted(want), "each alert exactly once")
            self.assertEqual(s.stop(), 0, s.stderr())

    def test_store_cannot_be_created_at_start(self):
        fill(os.path.join(self.mnt, "filler"))
        cfg = os.path.join(self.dir, "rootwatch.yaml")
        with open(cfg, "w") as f:
            f.write("store: %s\nchannels:\n  - name: out\n    type: stdout\n"
                    "sources:\n  - name: exports\n    type: dir\n    path: %s\n"
                    % (self.store, self.folder))
        p = rwtest.run(["watch", "--config", cfg], timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertIn(self.store, p.stderr_text)
        self.assertRegex(p.stderr_text, r"disk is full|No space left on device")


if __name__ == "__main__":
    rwtest.main()

"""A unit of work is acknowledged only after its alerts are in the store.

tests/tools/spool_tool.c has a source of its own (a spool folder: each file a unit, acknowledged
by deleting it) driven by the engine with a real store and a webhook channel. The process is
killed (SIGKILL) in the middle of settling the first unit: after its alerts were stored, before
its file was deleted. The next run reads that file again, and still every root event reaches the
receiver exactly once.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

TOOL = os.environ.get("RW_SPOOL_TOOL", os.path.join(rwtest.REPO, "build", "tests", "rw_spool_tool"))


class EngineAck(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(TOOL):
            self.skipTest("rw_spool_tool not built (%s)" % TOOL)
        self.dir = tempfile.mkdtemp(prefix="rw-engine-ack-")
        self.spool = os.path.join(self.dir, "spool")
        os.makedirs(self.spool)
        self.store = os.path.join(self.dir, "rootwatch.db")
        self.root_ids = set()
        for u in range(4):
            recs = []
            for i in range(3):
                rid = "unit%d-root%d" % (u, i)
                self.root_ids.add(rid)
                recs.append(rwtest.record(rid))
            recs.append(rwtest.record("unit%d-user" % u, who="user"))
            with open(os.path.join(self.spool, "%02d.json" % u), "wb") as f:
                f.write(rwtest.trail_bytes(recs))
        self.env = awsfake.clean_aws_env({"ROOTWATCH_NOTIFY_BACKOFF_MS": "50"})

    def config(self, url):
        path = os.path.join(self.dir, "rootwatch.yaml")
        with open(path, "w") as f:
            f.write("channels:\n  - name: hook\n    type: webhook\n    url: %s/hook\n    max_attempts: 100\n"
                    % url)
        return path

    def run_tool(self, cfg, kill_at=None):
        env = dict(self.env)
        if kill_at:
            env["RW_SPOOL_KILL_AT_SETTLE"] = str(kill_at)
        return subprocess.run([TOOL, cfg, self.store, self.spool], env=env, capture_output=True, text=True,
                              timeout=120)

    def stored_ids(self):
        con = sqlite3.connect(self.store)
        try:
            return {r[0] for r in con.execute("SELECT event_id FROM alerts")}
        finally:
            con.close()

    def test_killed_between_store_and_acknowledgement(self):
        with awsfake.FaultServer(default=("status", 503, "down", {})) as down:
            p = self.run_tool(self.config(down.url), kill_at=1)
        self.assertEqual(p.returncode, -9, p.stdout + p.stderr)
        self.assertNotIn("settled", p.stdout, "killed while settling the first unit")
        left = sorted(os.listdir(self.spool))
        self.assertEqual(len(left), 4, "no unit was acknowledged")
        stored = self.stored_ids()
        self.assertTrue(stored, "the settling unit's alerts were stored before its acknowledgement")
        units_stored = {i.split("-")[0] for i in stored}
        self.assertTrue(all(all("%s-root%d" % (u, k) in stored for k in range(3)) for u in units_stored),
                        "a unit's alerts are stored whole: %r" % sorted(stored))

        got = []
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as up:
            p = self.run_tool(self.config(up.url))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            for r in up.requests:
                if r.method == "POST":
                    got.append(json.loads(r.body)["eventID"])
        self.assertEqual(os.listdir(self.spool), [], "every unit acknowledged")
        self.assertEqual(p.stdout.count("settled "), 4, "the first unit was read again")
        self.assertIn("known %d" % len(stored), p.stdout, "its alerts were known, not stored again")
        self.assertEqual(sorted(got), sorted(self.root_ids), "every root event once, none twice")


if __name__ == "__main__":
    rwtest.main()

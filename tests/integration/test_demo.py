"""The README's first command: the demo shows the whole path in under 80 lines and a minute.

Runs scripts/demo.sh against this build (already built: its build step is a no-op) and checks
what a user reads: a few lines of build, every root action of the sample trail notified once
through the terminal channel, the store read back, and a second scan that notifies nothing; then
the real-time part (scripts/demo_watch.py): rootwatch watch on a folder, the two root actions of
the file dropped into it told on the terminal within seconds and none of the ordinary file, a few
lines of /metrics, a clean stop on SIGTERM (exit status 0), and the two alerts in the store.
"""
import time
import json
import os
import re
import shutil
import subprocess
import unittest

import rwtest


class Demo(unittest.TestCase):
    def test_demo(self):
        build = os.path.dirname(os.path.abspath(rwtest.ROOTWATCH))
        t0 = time.monotonic()
        p = subprocess.run([os.path.join(rwtest.REPO, "scripts", "demo.sh"), build], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=600, cwd=rwtest.REPO)
        took = time.monotonic() - t0
        out = p.stdout  # standard error in its place: the parts are told apart by their titles
        self.assertEqual(p.returncode, 0, out)
        if not rwtest.SANITIZED:
            self.assertLess(took, 60, "the demo takes under a minute")
        lines = out.splitlines()
        self.assertLess(len(lines), 80, out)
        rt = lines.index("== 6. Real time: rootwatch watch on a folder; CloudTrail files dropped into it")
        realtime = "\n".join(lines[rt:])
        out = "\n".join(lines[:rt])  # the scan part, checked below as before
        b = lines.index("== 1. Build")
        build_part = [l for l in lines[b + 1:lines.index("== 2. A sample trail")] if l.strip()]
        self.assertLessEqual(len(build_part), 2, "the build in a line or two: %r" % build_part)
        self.assertRegex(build_part[0], r"^built rootwatch .* full log: .*build\.log\)$")
        manifest = json.load(open(os.path.join(build, "demo", "trail", "manifest.json")))
        truth = {json.loads(l)["eventID"] for l in open(os.path.join(build, "demo", "trail", "truth.jsonl"))}
        alerted = re.findall(r"^ROOT ALERT \w+ \d{12} [\w-]+: .* \[([^\]]+)\]$", out, re.M)
        self.assertEqual(sorted(alerted), sorted(truth), "every root action once, through the terminal channel")
        self.assertEqual(manifest["truth"], len(truth))
        self.assertIn("%d new alerts stored (0 already known" % len(truth), out)
        self.assertIn("0 new alerts stored (%d already known, not sent again); deliveries: 0 sent" % len(truth),
                      out)
        listed = re.findall(r"^\S+Z\s+\S+Z\s+\d{12}\s+.*terminal:sent$", out, re.M)
        self.assertEqual(len(listed), len(truth), "alerts list reads every alert back, delivered")
        with open(os.path.join(build, "demo", "alerts.ndjson")) as f:
            self.assertEqual({json.loads(l)["eventID"] for l in f}, truth)

        # the real-time part: two root actions told once each, fast; the ordinary file read, silent
        live = re.findall(r"^ROOT ALERT critical 123456789012 us-east-1: (.*) \[([^\]]+)\]$", realtime, re.M)
        self.assertEqual(len(live), 2, realtime)
        self.assertEqual(len({i for _, i in live}), 2)
        self.assertIn("root console sign-in without MFA", live[0][0] + live[1][0])
        self.assertIn("CreateAccessKey", live[0][0] + live[1][0])
        m = re.search(r"^\(2 alerts on the terminal ([\d.]+) s after the files landed; none for the ordinary file\)$",
                      realtime, re.M)
        self.assertTrue(m, realtime)
        self.assertLess(float(m.group(1)), 10)
        self.assertRegex(realtime, r'(?m)^rootwatch_source_events_total\{source="incoming",type="dir"\} 8$')
        self.assertRegex(realtime, r"(?m)^rootwatch_alert_lag_seconds_count 2$")
        self.assertIn("stopped: 2 units read, 2 alerts (2 new in the store), 2 deliveries sent, 0 left pending",
                      realtime)
        self.assertIn("(exit status 0: stopped cleanly", realtime)
        after = realtime[realtime.index("== 7. The store holds the new alerts too"):]
        stored = re.findall(r"^\S+Z\s+\S+Z\s+123456789012\s+(ConsoleLogin|CreateAccessKey)\s+critical\s+.*terminal:sent$",
                            after, re.M)
        self.assertEqual(sorted(stored), ["ConsoleLogin", "CreateAccessKey"], after)


class DemoAws(unittest.TestCase):
    @unittest.skipUnless(shutil.which("moto_server") and shutil.which("aws"),
                         "make demo-aws needs moto_server and the AWS CLI (pip install 'moto[server]' awscli)")
    def test_demo_aws(self):
        """make demo-aws: an EventBridge rule and an SQS queue in moto; of four events put, the two
        root ones reach the queue and are alerted on the terminal, their messages deleted, and a
        SIGTERM stops rootwatch watch with exit status 0."""
        build = os.path.dirname(os.path.abspath(rwtest.ROOTWATCH))
        p = subprocess.run([os.path.join(rwtest.REPO, "scripts", "demo_aws.sh"), build], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300, cwd=rwtest.REPO)
        out = p.stdout
        self.assertEqual(p.returncode, 0, out)
        live = re.findall(r"^ROOT ALERT critical 123456789012 us-east-1: (.*) \[[^\]]+\]$", out, re.M)
        self.assertEqual(len(live), 2, out)
        self.assertIn("stopped: 2 units read, 2 alerts (2 new in the store), 2 deliveries sent", out)
        self.assertIn("rootwatch_sqs_deleted_total 2", out)
        self.assertRegex(out, r"# visible, in flight: 0\s+0")
        self.assertIn("(exit status 0)", out)
        self.assertEqual(len(re.findall(r"^\S+Z\s+\S+Z\s+123456789012\s+\w+\s+critical\s+.*terminal:sent$", out, re.M)), 2)


if __name__ == "__main__":
    rwtest.main()

"""The README's first command: the demo shows the whole path in under 60 lines.

Runs scripts/demo.sh against this build (already built: its build step is a no-op) and checks
what a user reads: a few lines of build, every root action of the sample trail notified once
through the terminal channel, the store read back, and a second scan that notifies nothing.
"""
import json
import os
import re
import subprocess
import unittest

import rwtest


class Demo(unittest.TestCase):
    def test_demo(self):
        build = os.path.dirname(os.path.abspath(rwtest.ROOTWATCH))
        p = subprocess.run([os.path.join(rwtest.REPO, "scripts", "demo.sh"), build], capture_output=True,
                           text=True, timeout=600, cwd=rwtest.REPO)
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, out)
        lines = out.splitlines()
        self.assertLess(len(lines), 60, out)
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


if __name__ == "__main__":
    rwtest.main()

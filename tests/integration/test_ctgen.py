"""rootwatch scan on ctgen.py trails of several seeds and sizes: every root event alerted exactly
once, no trap and no other record alerted (ctscore.py from ../shared, and the project's own count),
in every container ctgen writes; and the classification agrees with the facts ctgen recorded."""
import json
import os
import sys
import unittest

import rwtest

CORPORA = [  # (MB, seed, extra ctgen options)
    (2, 1, {}),
    (8, 2, {"accounts": 5, "regions": "us-east-1,eu-west-1,ap-southeast-2"}),
    (20, 3, {"root_per_mb": 2, "traps_per_mb": 2}),
    (40, 4, {}),
]


class CtgenTrails(unittest.TestCase):
    def check(self, corpus, source, args=()):
        p = rwtest.run(["scan", "-f", "ndjson", *args, source])
        self.assertEqual(p.returncode, 1, p.stderr_text)
        alerts = rwtest.assert_scores(self, corpus, p.stdout_text, source)
        return alerts

    def test_trails(self):
        for mb, seed, kw in CORPORA:
            with self.subTest(mb=mb, seed=seed):
                corpus = rwtest.ctgen(mb, seed, **kw)
                manifest = json.load(open(os.path.join(corpus, "manifest.json")))
                self.assertGreater(manifest["truth"], 0)
                for jobs in ("1", "2"):
                    self.check(corpus, os.path.join(corpus, "AWSLogs"), ["-j", jobs])

    def test_other_containers(self):
        for mb, seed, kw in CORPORA[:3]:
            corpus = rwtest.ctgen(mb, seed, **kw)
            for name in ("eventbridge.ndjson", "cloudwatch.ndjson", "lookup-events.json"):
                with self.subTest(mb=mb, seed=seed, container=name):
                    self.check(corpus, os.path.join(corpus, name))

    def test_whole_folder_with_every_container(self):
        # the trail, the NDJSON files and the LookupEvents response together: each event once
        corpus = rwtest.ctgen(*CORPORA[1][:2], **CORPORA[1][2])
        self.check(corpus, corpus)

    def test_stdin(self):
        corpus = rwtest.ctgen(2, 1)
        with open(os.path.join(corpus, "eventbridge.ndjson"), "rb") as f:
            p = rwtest.run(["scan", "-f", "ndjson", "-"], stdin=f.read())
        self.assertEqual(p.returncode, 1, p.stderr_text)
        ok, details = rwtest.score(corpus, rwtest.ndjson(p.stdout_text))
        self.assertTrue(ok, details)

    def test_classification_matches_ctgen_facts(self):
        checked = 0
        for mb, seed, kw in CORPORA:
            corpus = rwtest.ctgen(mb, seed, **kw)
            truth = rwtest.truth(corpus)
            p = rwtest.run(["scan", "-f", "ndjson", os.path.join(corpus, "AWSLogs")])
            for a in rwtest.ndjson(p.stdout_text):
                t = truth[a["eventID"]]
                with self.subTest(eventID=a["eventID"], truth=t):
                    self.assertEqual(a["kind"], t["kind"])
                    self.assertEqual(a["account"], t["account"])
                    self.assertEqual(a["region"], t["region"])
                    self.assertEqual(a["eventName"], t["eventName"])
                    self.assertEqual(a["eventTime"], t["eventTime"])
                    self.assertEqual(a["sourceIPAddress"], t["sourceIPAddress"])
                    if t["kind"] != "api_call":
                        self.assertEqual(a["outcome"], t["outcome"])
                    if t.get("mfa") is not None:
                        self.assertEqual(a["mfa"], t["mfa"])
                    if t["kind"] == "api_call":
                        self.assertEqual(a["credential"], t["via"])
                        self.assertEqual(a["sensitive"], t["sensitive"])
                        self.assertEqual(a["errorCode"], t["error"])
                    self.assertEqual(a["event"]["eventID"], a["eventID"])
                    self.assertTrue(a["reasons"])
                    if t["kind"] == "console_login" and t["outcome"] == "success" and not t["mfa"]:
                        self.assertEqual(a["severity"], "critical")
                    if t["kind"] == "api_call" and t["via"] == "access_key":
                        self.assertEqual(a["severity"], "critical")
                    if t["kind"] == "api_call" and t["sensitive"] and not t["error"]:
                        self.assertEqual(a["severity"], "critical")
                    checked += 1
        self.assertGreater(checked, 50)


if __name__ == "__main__":
    rwtest.main()

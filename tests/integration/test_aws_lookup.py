"""rootwatch scan --lookup-events: CloudTrail event history, read through LookupEvents.

moto has no LookupEvents, so a local server (awsfake.LookupEventsServer) answers it from ctgen's
lookup-events.json, split by region: pages with opaque NextTokens (some empty, as CloudTrail
sends them), AWS's limit of 2 calls per second per region enforced, throttling, and the SigV4
signature of every call checked. The scan must pass ctscore (every root event once, no IAM user
named root, no AWS-service root event), stay within the rate limit, and say its verdict.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

KEY, SECRET, TOKEN = "ASIALOOKUPTEST000001", "lookup-secret-value-never-printed", "lookup-session-token-never-printed"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


class LookupEvents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.corpus = rwtest.ctgen(2, 51, accounts=1, regions=",".join(REGIONS), root_per_mb=8, traps_per_mb=8)
        cls.events = awsfake.load_lookup_events(cls.corpus)
        # ctgen's history holds its root events, its traps and a sample of the rest: ordinary
        # traffic is added so that every region's history takes several pages
        for r in REGIONS:
            cls.events.setdefault(r, []).extend(awsfake.synth_events(130, r, root_every=0))

    def env(self, server, **extra):
        e = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN,
             "AWS_REGION": "us-east-1"}
        e.update(server.env())
        e.update(extra)
        return awsfake.clean_aws_env(e)

    def scan(self, server, *args, **extra):
        p = rwtest.run(["scan", "--lookup-events"] + list(args), env=self.env(server, **extra), timeout=300)
        for secret in (SECRET, TOKEN):
            self.assertNotIn(secret, p.stdout_text + p.stderr_text)
        self.assertEqual(server.errors, [])
        return p

    def test_history_of_three_regions(self):
        n = sum(len(v) for v in self.events.values())
        self.assertGreater(n, 150, "too few events to page through")
        with awsfake.LookupEventsServer(self.events, rate_limit=2, credentials={KEY: (SECRET, TOKEN)},
                                        empty_page_every=4, qualified_errors=True) as server:
            p = self.scan(server, "--regions", ",".join(REGIONS), "--format", "ndjson")
            self.assertEqual(p.returncode, 1, p.stderr_text)
            rwtest.assert_scores(self, self.corpus, p.stdout)
            self.assertIn("Root account activity detected.", p.stderr_text)
            # every event of every region was served: the pages were followed to the end
            for r in REGIONS:
                self.assertEqual(sorted(server.returned_ids(r)),
                                 sorted(e["EventId"] for e in self.events.get(r, [])), r)
            # within AWS's limit: never more than 2 calls in any second of a region, no throttling
            self.assertEqual(server.rate_violations, [])
            for r in REGIONS:
                self.assertLessEqual(server.max_calls_in_window(r, 1.0), 2, r)
                self.assertGreater(len(server.call_times[r]), 2, "the test should page: %s" % r)
            # each region's pages came over one connection (kept alive and reused)
            conns = {}
            for req in server.requests:
                scope = awsfake.parse_authorization(req.headers.get("authorization", "")) or {}
                conns.setdefault(scope.get("region"), set()).add(req.client)
            for r in REGIONS:
                self.assertEqual(len(conns.get(r, ())), 1, (r, conns.get(r)))

    def test_throttled_service(self):
        with awsfake.LookupEventsServer(self.events, throttle_every=3) as server:
            p = self.scan(server, "--regions", ",".join(REGIONS), "--format", "ndjson")
            self.assertEqual(p.returncode, 1, p.stderr_text)
            rwtest.assert_scores(self, self.corpus, p.stdout)
            self.assertTrue(server.throttled, "the server never throttled: the test proves nothing")

    def test_no_root_activity(self):
        quiet = {"us-east-1": awsfake.synth_events(120, "us-east-1", root_every=0)}
        with awsfake.LookupEventsServer(quiet, rate_limit=2) as server:
            p = self.scan(server, "--format", "table")
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertEqual(p.stdout_text.count("No root account activity detected."), 1, p.stdout_text)
            self.assertIn("120 records", p.stderr_text)
            self.assertEqual(len(server.returned_ids("us-east-1")), 120)

    def test_root_found_table(self):
        some = {"eu-west-1": awsfake.synth_events(60, "eu-west-1", root_every=20)}
        with awsfake.LookupEventsServer(some, rate_limit=2) as server:
            p = self.scan(server, "--regions", "eu-west-1", "--format", "table", "--color", "never")
            self.assertEqual(p.returncode, 1, p.stderr_text)
            self.assertEqual(p.stdout_text.count("Root account activity detected."), 1, p.stdout_text)
            self.assertEqual(p.stdout_text.count("ConsoleLogin"), 3, p.stdout_text)

    def test_since_is_sent_as_start_time(self):
        some = {"us-east-1": awsfake.synth_events(100, "us-east-1", start="2026-11-10T00:00:00Z",
                                                  step_seconds=3600, root_every=10)}
        now = "2026-11-15T00:00:00Z"
        with awsfake.LookupEventsServer(some) as server:
            p = self.scan(server, "--since", "2d", "--format", "ndjson", ROOTWATCH_NOW=now)
            self.assertEqual(p.returncode, 1, p.stderr_text)
            start = awsfake.parse_time(now) - 2 * 86400
            self.assertTrue(server.calls)
            for c in server.calls:
                self.assertEqual(c.params.get("StartTime"), start, c.params)
            got = [a["eventTime"] for a in rwtest.ndjson(p.stdout_text)]
            self.assertTrue(got)
            self.assertTrue(all(t >= "2026-11-13T00:00:00Z" for t in got), got)

    def test_region_needed(self):
        with awsfake.LookupEventsServer({}) as server:
            p = self.scan(server, AWS_REGION=None)
            self.assertEqual(p.returncode, 2)
            self.assertIn("no region", p.stderr_text)
            self.assertEqual(server.calls, [])

    @unittest.skipUnless(awsfake.MotoServer.available(),
                         "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
    def test_all_regions(self):
        # the account's regions come from EC2 DescribeRegions (moto), the history from the fake
        with awsfake.MotoServer() as moto, awsfake.LookupEventsServer(self.events) as server:
            p = self.scan(server, "--regions", "all", "--format", "ndjson", AWS_ENDPOINT_URL_EC2=moto.url)
            self.assertEqual(p.returncode, 1, p.stderr_text)
            rwtest.assert_scores(self, self.corpus, p.stdout)
            asked = {c.region for c in server.calls}
            self.assertTrue(set(REGIONS) <= asked, asked)
            self.assertGreater(len(asked), 10, asked)

    def test_bad_page_is_reported_and_the_rest_read(self):
        # a page whose CloudTrailEvent is not JSON: named with its page, the rest still read
        evs = awsfake.synth_events(80, "us-east-1", root_every=8)
        evs[30] = dict(evs[30], CloudTrailEvent='{"eventVersion": "1.09", "userIdentity": {"type": "Ro')
        with awsfake.LookupEventsServer({"us-east-1": evs}) as server:
            p = self.scan(server, "--format", "ndjson")
            self.assertEqual(p.returncode, 2, p.stderr_text)
            self.assertRegex(p.stderr_text, r"CloudTrail LookupEvents us-east-1: page \d+, byte \d+: ")
            self.assertEqual(len(rwtest.ndjson(p.stdout_text)), 10)


if __name__ == "__main__":
    rwtest.main()

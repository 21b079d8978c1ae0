"""rootwatch scan s3://...: a trail's bucket in moto_server, read as a user would.

ctgen trails (several accounts and regions) are uploaded to moto in the layouts CloudTrail writes:
a single-account trail (AWSLogs/<account>/CloudTrail/...) and an organization trail
(AWSLogs/<org-id>/<account>/CloudTrail/...), digests included. The scan must pass ctscore, print
the same alerts as a scan of the local copy, honour prefixes and --since/--until (skipping whole
days by the date in the key), and report a missing bucket without losing the other sources.
"""
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

ORG = "o-a1b2c3d4e5"


def upload_tree(s3, bucket, root, key_prefix=""):
    """Uploads every file under root/AWSLogs; returns the keys. key_prefix goes after AWSLogs/."""
    keys = []
    base = os.path.join(root, "AWSLogs")
    for dirpath, _, files in os.walk(base):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            key = "AWSLogs/" + key_prefix + rel
            with open(path, "rb") as f:
                s3.put_object(Bucket=bucket, Key=key, Body=f.read())
            keys.append(key)
    return keys


def alert_ids(stdout):
    return [a["eventID"] for a in rwtest.ndjson(stdout)]


@unittest.skipUnless(awsfake.MotoServer.available(),
                     "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
@unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed: the S3 tests cannot put the trail in moto")
class S3Scan(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        cls.s3 = cls.moto.boto3_client("s3")
        cls.corpus = rwtest.ctgen(4, 31, accounts=3, regions="us-east-1,eu-west-1,ap-southeast-2",
                                   records_per_file=60)  # files enough for digests (one per 25)
        cls.s3.create_bucket(Bucket="trail-single")
        cls.single_keys = upload_tree(cls.s3, "trail-single", cls.corpus)
        cls.s3.create_bucket(Bucket="trail-org", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        cls.org_keys = upload_tree(cls.s3, "trail-org", cls.corpus, ORG + "/")
        cls.env = awsfake.clean_aws_env(cls.moto.env("us-east-1"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def scan(self, *args, env=None):
        e = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        p = rwtest.run(["scan", "--format", "ndjson"] + list(args), env=e, timeout=300)
        return p

    def test_single_account_trail(self):
        p = self.scan("s3://trail-single")
        self.assertEqual(p.returncode, 1, p.stderr_text)
        rwtest.assert_scores(self, self.corpus, p.stdout)
        # the same alerts, in the same order, as a scan of the local copy
        local = rwtest.run(["scan", "--format", "ndjson", "-q", os.path.join(self.corpus, "AWSLogs")])
        self.assertEqual(alert_ids(p.stdout_text), alert_ids(local.stdout_text))
        def same(alerts):  # all but where each came from
            return [json.dumps(dict(a, source=None), sort_keys=True) for a in alerts]
        self.assertEqual(same(rwtest.ndjson(p.stdout_text)), same(rwtest.ndjson(local.stdout_text)))
        self.assertTrue(all(a["source"]["file"].startswith("s3://trail-single/AWSLogs/") for a in rwtest.ndjson(p.stdout_text)))
        # digests were listed, counted and never fetched
        digests = [k for k in self.single_keys if "/CloudTrail-Digest/" in k]
        logs = [k for k in self.single_keys if "/CloudTrail/" in k]
        self.assertTrue(digests, "ctgen wrote no digest: the test would prove nothing about them")
        self.assertIn("%d files read (%d CloudTrail" % (len(digests) + len(logs), len(logs)), p.stderr_text)

    def test_organization_trail_in_another_region(self):
        # the bucket is in eu-west-1 while the configured region is us-east-1: found by HeadBucket
        p = self.scan("s3://trail-org/AWSLogs/%s/" % ORG)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        rwtest.assert_scores(self, self.corpus, p.stdout)

    def test_prefix_selects_one_account(self):
        accounts = sorted({k.split("/")[1] for k in self.single_keys})
        self.assertGreater(len(accounts), 1)
        acct = accounts[0]
        p = self.scan("s3://trail-single/AWSLogs/%s/" % acct)
        want = [e for e, t in rwtest.truth(self.corpus).items() if t.get("account", t.get("recipientAccountId")) == acct]
        got = rwtest.ndjson(p.stdout_text)
        self.assertTrue(got or not want)
        self.assertTrue(all(a["account"] == acct for a in got), [a["account"] for a in got])
        everything = self.scan("s3://trail-single")
        self.assertEqual(sorted(a["eventID"] for a in got),
                         sorted(a["eventID"] for a in rwtest.ndjson(everything.stdout_text) if a["account"] == acct))

    def test_since_until_prune_by_key_date(self):
        # two trails ten days apart in one bucket: --since and --until select one of them; the
        # other's day folders are neither listed nor read (a recording proxy before moto shows
        # every request rootwatch made)
        early = rwtest.ctgen(1, 41, start="2026-11-05T00:00:00Z", root_per_mb=6)
        late = rwtest.ctgen(1, 42, start="2026-11-15T00:00:00Z", root_per_mb=6)
        self.s3.create_bucket(Bucket="trail-days")
        early_keys = [k for k in upload_tree(self.s3, "trail-days", early) if "/CloudTrail/" in k]
        late_keys = [k for k in upload_tree(self.s3, "trail-days", late) if "/CloudTrail/" in k]
        for args, corpus, skipped in ((("--since", "2026-11-10"), late, early_keys),
                                      (("--until", "2026-11-10"), early, late_keys)):
            with awsfake.FaultServer(default=("proxy", self.moto.url)) as proxy:
                p = self.scan("-v", *args, "s3://trail-days", env={"AWS_ENDPOINT_URL": proxy.url})
                self.assertEqual(p.returncode, 1, p.stderr_text)
                rwtest.assert_scores(self, corpus, p.stdout)
                self.assertRegex(p.stderr_text, r"not listed: [1-9]\d* year, month or day folders outside")
                paths = [urllib.parse.unquote(r.path) for r in proxy.requests]
                days = {"/".join(k.split("/")[-4:-1]) for k in skipped}
                for d in days:
                    self.assertFalse([x for x in paths if d.replace("/", "%2F") in x or d in x],
                                     "%s was listed or read: %s" % (d, paths))
                gets = [x for x in paths if x.startswith("/trail-days/AWSLogs/")]
                self.assertEqual(len(gets), len(early_keys if corpus is early else late_keys), gets)

    def test_missing_bucket_and_other_sources(self):
        local_file = None
        for dirpath, _, files in os.walk(os.path.join(self.corpus, "AWSLogs")):
            for name in files:
                if name.endswith(".json.gz") and "Digest" not in name:
                    local_file = os.path.join(dirpath, name)
                    break
            if local_file:
                break
        p = self.scan("s3://no-such-bucket-rw", "s3://trail-single")
        self.assertEqual(p.returncode, 2, p.stderr_text)
        self.assertIn("s3://no-such-bucket-rw", p.stderr_text)
        self.assertIn("no such bucket", p.stderr_text.lower())
        # the readable bucket was still scanned in full
        rwtest.assert_scores(self, self.corpus, p.stdout)

    def test_temporary_credentials_cached_and_renewed(self):
        # container credentials (an ECS task's) valid for hours: fetched once for the whole scan,
        # whatever the number of threads and requests
        import time
        n_objects = len([k for k in self.single_keys if "/CloudTrail/" in k])
        with awsfake.ContainerCredsServer() as creds:
            env = dict(self.env, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, **creds.env())
            p = self.scan("-j", "4", "s3://trail-single", env=env)
            self.assertEqual(p.returncode, 1, p.stderr_text)
            rwtest.assert_scores(self, self.corpus, p.stdout)
            self.assertEqual(creds.counts["credentials"], 1)
        # credentials that expire within the renewal margin (5 minutes) are renewed before each use
        with awsfake.ContainerCredsServer(expiration=time.time() + 200) as creds:
            env = dict(self.env, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, **creds.env())
            p = self.scan("-j", "2", "s3://trail-single", env=env)
            self.assertEqual(p.returncode, 1, p.stderr_text)
            self.assertGreaterEqual(creds.counts["credentials"], n_objects)

    def test_bad_urls(self):
        for url in ("s3://", "s3://Bad_Bucket!", "s3:///key"):
            p = self.scan(url)
            self.assertEqual(p.returncode, 2, (url, p.stderr_text))
            self.assertIn(url.rstrip("/")[:6], p.stderr_text)

    def test_empty_prefix(self):
        p = self.scan("s3://trail-single/AWSLogs/000000000000/")
        self.assertEqual(p.returncode, 2, p.stderr_text)
        self.assertIn("no objects", p.stderr_text)
        self.assertIn("no CloudTrail data found", p.stderr_text)

    def test_damaged_object(self):
        self.s3.create_bucket(Bucket="trail-damaged")
        good = [k for k in self.single_keys if k.endswith(".json.gz") and "Digest" not in k][0]
        body = self.s3.get_object(Bucket="trail-single", Key=good)["Body"].read()
        self.s3.put_object(Bucket="trail-damaged", Key=good, Body=body)
        bad_key = good.replace(".json.gz", "-cut.json.gz")
        self.s3.put_object(Bucket="trail-damaged", Key=bad_key, Body=body[: len(body) // 2])
        p = self.scan("s3://trail-damaged")
        self.assertEqual(p.returncode, 2, p.stderr_text)
        self.assertIn("s3://trail-damaged/" + bad_key, p.stderr_text)
        self.assertIn("2 files read", p.stderr_text)


if __name__ == "__main__":
    rwtest.main()

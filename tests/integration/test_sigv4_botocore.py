"""SigV4: rootwatch's signer agrees with botocore's on a few hundred generated requests.

Each request (method, path, query, headers, body, service, region, credentials with and
without a session token, S3 or not) is signed by botocore's SigV4Auth (S3SigV4Auth for S3) and by
rootwatch's signer (the test tool rw_sigv4_tool, which calls rw_sigv4_sign), and the Authorization
headers must be identical.
"""
import datetime
import json
import os
import random
import subprocess
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwtest  # noqa: E402,F401  (sanitizer conventions, paths)

TOOL = os.environ.get("RW_SIGV4_TOOL", os.path.join(rwtest.REPO, "build", "tests", "rw_sigv4_tool"))

try:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    HAVE_BOTOCORE = True
except ImportError:  # pragma: no cover
    HAVE_BOTOCORE = False

SEGMENT_CHARS = "abcXYZ019-_.~ %+=:@!$&'()*,;" + "é" + "ሴ"
VALUE_CHARS = "abcXYZ019-_.~ %+=/:@!$'()*,;?" + "é"


def rand_text(rng, chars, lo, hi):
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def make_request(rng, i):
    s3 = rng.random() < 0.4
    service = "s3" if s3 else rng.choice(["sts", "iam", "sns", "sqs", "cloudtrail", "logs", "events"])
    region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"])
    method = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD"])
    # the path as sent on the wire: segments percent-encoded (S3 keys), sometimes with dot segments
    # and doubled slashes for the other services, whose paths botocore normalises
    segs = []
    for _ in range(rng.randint(0, 4)):
        seg = rand_text(rng, SEGMENT_CHARS, 1, 8)
        if not s3 and rng.random() < 0.15:
            seg = rng.choice([".", ".."])
        segs.append(urllib.parse.quote(seg, safe="-_.~") if seg not in (".", "..") else seg)
    path = "/" + "/".join(segs)
    if not s3 and rng.random() < 0.2:
        path = path.replace("/", "//", 1)
    if rng.random() < 0.3:
        path += "/"
    params = []
    for _ in range(rng.randint(0, 5)):
        name = rand_text(rng, VALUE_CHARS, 1, 6)
        value = rand_text(rng, VALUE_CHARS, 0, 10)
        params.append((name, value))
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="-_.~")
    body = "" if method in ("GET", "HEAD", "DELETE") else rand_text(rng, VALUE_CHARS, 0, 200)
    headers = [("Host", "%s.%s.amazonaws.com" % (service, region))]
    for _ in range(rng.randint(0, 3)):
        name = rng.choice(["X-Amz-Target", "Content-Type", "X-Amz-Meta-Note", "X-Custom"])
        if any(n.lower() == name.lower() for n, _ in headers):
            continue
        # inner runs of spaces and surrounding spaces are normalised by both
        headers.append((name, rng.choice(["  a  b ", "application/x-amz-json-1.1", "v%d" % i, "x\ty"])))
    token = None if rng.random() < 0.5 else "FQoGZXIvYXdzE" + rand_text(rng, "abcdefXYZ0123456789/+=", 20, 80)
    return {
        "method": method, "path": path, "query": query, "headers": headers, "body": body,
        "region": region, "service": service, "s3": s3, "time": 0,
        "akid": "AKIA" + rand_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 16),
        "secret": rand_text(rng, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+", 40, 40),
        "token": token,
    }


def botocore_sign(r):
    """Signs r with botocore; returns (Authorization, the header list rootwatch must sign)."""
    creds = botocore.credentials.Credentials(r["akid"], r["secret"], r["token"])
    host = dict((n.lower(), v) for n, v in r["headers"])["host"]
    url = "https://%s%s%s" % (host, r["path"], ("?" + r["query"]) if r["query"] else "")
    hdrs = {n: v for n, v in r["headers"] if n.lower() != "host"}
    req = botocore.awsrequest.AWSRequest(method=r["method"], url=url, data=r["body"].encode("utf-8"),
                                         headers=hdrs)
    cls = botocore.auth.S3SigV4Auth if r["s3"] else botocore.auth.SigV4Auth
    auth = cls(creds, r["service"], r["region"])
    auth.add_auth(req)
    # botocore signs at its own clock; rootwatch signs at the same instant
    stamp = datetime.datetime.strptime(req.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    r["time"] = int(stamp.replace(tzinfo=datetime.timezone.utc).timestamp())
    # what botocore added and signed: X-Amz-Date, the token and S3's payload hash header
    signed = [(n, v) for n, v in r["headers"]]
    for name in ("X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"):
        if name in req.headers:
            signed.append((name, req.headers[name]))
    return req.headers["Authorization"], signed, req.headers.get("X-Amz-Content-SHA256")


@unittest.skipUnless(HAVE_BOTOCORE, "botocore is not installed for this Python (%s): the "
                     "differential test against botocore's signer is skipped" % sys.executable)
class BotocoreAgreement(unittest.TestCase):
    def test_generated_requests(self):
        self.assertTrue(os.path.exists(TOOL), "the signing tool %s is not built" % TOOL)
        rng = random.Random(20261123)
        cases, lines = [], []
        for i in range(400):
            r = make_request(rng, i)
            want, signed, payload_hash = botocore_sign(r)
            mine = dict(r, headers=[list(h) for h in signed])
            if payload_hash:
                mine["payload_hash"] = payload_hash
            cases.append((r, want))
            lines.append(json.dumps(mine))
        p = subprocess.run([TOOL], input=("\n".join(lines) + "\n").encode(), capture_output=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        got = p.stdout.decode().splitlines()
        self.assertEqual(len(got), len(cases))
        bad = [(c, w, g) for (c, w), g in zip(cases, got) if w != g]
        for c, w, g in bad[:5]:
            print("differs on %s %s?%s (%s, s3=%s)\n  botocore: %s\n  rootwatch: %s"
                  % (c["method"], c["path"], c["query"], c["service"], c["s3"], w, g))
        self.assertEqual(len(bad), 0, "%d of %d requests signed differently" % (len(bad), len(cases)))
        print("sigv4: rootwatch and botocore agree on %d of %d generated requests"
              % (len(cases) - len(bad), len(cases)))


if __name__ == "__main__":
    rwtest.main()

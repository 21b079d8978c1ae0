"""rootwatch's AWS client against bad input and faults: refused connections, slow services,
throttling, 5xx pages that are not AWS's, access denied, truncated replies, JSON errors, wrong
credentials and malformed XML.

Every case runs rootwatch (aws whoami, scan s3://..., scan --lookup-events) against a fake from
awsfake.py in an environment made by clean_aws_env (never the machine's credentials), with
AWS_MAX_ATTEMPTS small so that retries stay bounded and quick, and checks what a user sees: the
exit status, an error that names the service, the operation, AWS's error code, its message and
the request id, the number of requests that reached the server (N throttled answers then success
is N+1 requests; a 4xx that is not throttling is never retried), and the gaps between retries
(full jitter: each wait below min(20 s, 100 ms * 2^attempt)). Every run, verbose ones included,
is checked for the secret key and the session token it was given: neither may appear in standard
output or standard error.

The cases that proxy to AWS emulators need moto_server and boto3; they skip, saying so, when
either is missing. The others need the Python standard library only.
"""
import gzip
import json
import os
import re
import secrets
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

SLOW = 3 if rwtest.SANITIZED else 1
RUN_TIMEOUT = 60 * SLOW
# What a request and its answer add to a retry's wait, on top of the jitter (loopback, but a
# sanitized binary and a busy machine are slow).
SLACK = 2.0 * SLOW  # generous: the exact waits are checked in tests/unit/test_aws_client.c with an injected clock

ACCESS_KEY = "AKIAFAULTTEST0000001"
# unique per run, so that a hit in the output cannot be a coincidence; the token is as long as
# real ones (hundreds of characters), so that a message cut short would still show a prefix
SECRET = "fault/" + secrets.token_urlsafe(30)
TOKEN = "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(450)

STS_IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
    "  <GetCallerIdentityResult>\n"
    "    <Arn>arn:aws:iam::111122223333:user/alice</Arn>\n"
    "    <UserId>AIDAFAULTEXAMPLE00001</UserId>\n"
    "    <Account>111122223333</Account>\n"
    "  </GetCallerIdentityResult>\n"
    "  <ResponseMetadata><RequestId>4b3c4f1e-0000-4000-8000-000000000001</RequestId></ResponseMetadata>\n"
    "</GetCallerIdentityResponse>\n")
XML = {"Content-Type": "text/xml"}
AMZ_JSON = "application/x-amz-json-1.1"


def jitter_cap(attempt):
    """The largest wait (seconds) after the attempt-th try: min(20 s, 100 ms * 2^attempt)."""
    return min(20.0, 0.1 * 2 ** attempt)


def base_env(extra=None):
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN,
           "AWS_REGION": "us-east-1"}
    env.update(extra or {})
    return awsfake.clean_aws_env(env)


def root_trail_gz():
    """A trail file (gzip) with 2 root console sign-ins among 5 records."""
    recs = [json.loads(e["CloudTrailEvent"]) for e in awsfake.synth_events(5, root_every=2)]
    return gzip.compress(json.dumps({"Records": recs}).encode())


RETRY_LINE = re.compile(r"(\w[\w ]*) (\w+): (\S+) \(HTTP (\d+)\); attempt (\d+) of (\d+), retrying in (\d+) ms")


class FaultCase(unittest.TestCase):
    """Runs rootwatch and checks every run for leaked secrets and sanitizer reports."""

    maxDiff = None

    def rw(self, args, extra=None, timeout=RUN_TIMEOUT):
        env = base_env(extra)
        t0 = time.monotonic()
        proc = subprocess.run([rwtest.ROOTWATCH] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                              env=env, timeout=timeout)
        proc.elapsed = time.monotonic() - t0
        proc.stdout_text = proc.stdout.decode("utf-8", "replace")
        proc.stderr_text = proc.stderr.decode("utf-8", "replace")
        rwtest._check_sanitizer(proc, args)
        self.assert_no_secret(proc, env)
        return proc

    def assert_no_secret(self, proc, env):
        for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            value = env.get(name)
            if not value:
                continue
            for stream, text in (("stdout", proc.stdout_text), ("stderr", proc.stderr_text)):
                self.assertNotIn(value, text, "%s leaked on %s:\n%s" % (name, stream, text[-3000:]))
                # a prefix of it: a message cut short still leaks
                self.assertNotIn(value[:24], text, "%s (a prefix) leaked on %s:\n%s" % (name, stream, text[-3000:]))

    def whoami(self, url, extra=None, verbose=True, env_endpoint=False):
        """aws whoami against url: by --endpoint-url, or by AWS_ENDPOINT_URL_STS."""
        args = ["aws", "whoami"] + (["-v"] if verbose else [])
        extra = dict(extra or {})
        if env_endpoint:
            extra["AWS_ENDPOINT_URL_STS"] = url
        else:
            args += ["--endpoint-url", url]
        return self.rw(args, extra)

    def lookup(self, url, extra=None, verbose=True):
        extra = dict(extra or {})
        extra["AWS_ENDPOINT_URL_CLOUDTRAIL"] = url
        return self.rw(["scan", "-f", "ndjson"] + (["-v"] if verbose else []) +
                       ["--lookup-events", "--regions", "us-east-1"], extra)

    def error_lines(self, proc):
        return [l for l in proc.stderr_text.splitlines() if l.startswith("rootwatch: error:")]

    def assert_exit(self, proc, code):
        self.assertEqual(proc.returncode, code, "exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s"
                         % (proc.returncode, code, proc.stdout_text[-2000:], proc.stderr_text[-3000:]))

    def assert_error(self, proc, *parts):
        """Some error line holds every part (a str, or a compiled regex)."""
        for line in self.error_lines(proc):
            if all((p.search(line) if hasattr(p, "search") else p in line) for p in parts):
                return line
        self.fail("no error line with %r:\n%s" % (parts, proc.stderr_text[-3000:]))

    def assert_gaps(self, proc, server, first_attempt=1, floor=0.0):
        """The gaps between the server's arrivals fit full jitter: gap i (after try first_attempt + i)
        is below the cap for that try plus SLACK (floor: a pacing interval that may come first);
        and when -v printed the waits, each wait is below its cap and not longer than the gap."""
        gaps = server.gaps()
        for i, gap in enumerate(gaps):
            attempt = first_attempt + i
            bound = max(jitter_cap(attempt), floor) + SLACK
            self.assertLess(gap, bound, "gap %d (after attempt %d) of %.3f s is over %.3f s: %r"
                            % (i, attempt, gap, bound, gaps))
        waits = [(int(m.group(5)), int(m.group(7))) for m in RETRY_LINE.finditer(proc.stderr_text)]
        if waits:
            self.assertEqual(len(waits), len(gaps), (waits, gaps))
            for (attempt, ms), gap in zip(waits, gaps):
                self.assertLess(ms / 1000.0, jitter_cap(attempt), (attempt, ms))
                self.assertGreaterEqual(gap, ms / 1000.0 - 0.005, "the retry came before its wait: %r %r"
                                        % (waits, gaps))
        return gaps


# ----------------------------------------------------------------------------------------------


class Network(FaultCase):
    def test_refused_connection(self):
        port = awsfake.free_port()
        url = "http://127.0.0.1:%d" % port
        for verbose, env_endpoint in ((True, False), (False, True)):
            p = self.whoami(url, {"AWS_MAX_ATTEMPTS": "2"}, verbose=verbose, env_endpoint=env_endpoint)
            self.assert_exit(p, 2)
            self.assertLess(p.elapsed, 10 * SLOW, "a refused connection took %.1f s" % p.elapsed)
            self.assert_error(p, "STS GetCallerIdentity", "127.0.0.1:%d" % port,
                              re.compile(r"(?i)could(n't| not) connect"), "after 2 attempts")
            if verbose:
                tries = [m.group(5) for m in RETRY_LINE.finditer(p.stderr_text)]
                self.assertEqual(tries, ["1"], "one retry, then it gives up:\n" + p.stderr_text)

    def test_slow_service_times_out(self):
        # every answer takes 8 s; rootwatch waits 400 ms per request, twice
        with awsfake.FaultServer(default=("slow", 8, ("status", 200, STS_IDENTITY, XML))) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "2", "ROOTWATCH_AWS_TIMEOUT_MS": "400"})
            self.assert_exit(p, 2)
            self.assertLess(p.elapsed, 5 * SLOW, "a slow service held rootwatch %.1f s" % p.elapsed)
            self.assert_error(p, "STS GetCallerIdentity", "127.0.0.1:%d" % fs.port,
                              re.compile(r"(?i)time(d)? ?out"), "after 2 attempts")
            self.assertEqual(len(fs.requests), 2)
            self.assertEqual(fs.errors, [])

    def test_slow_once_then_answers(self):
        with awsfake.FaultServer([("slow", 5)], default=("status", 200, STS_IDENTITY, XML)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3", "ROOTWATCH_AWS_TIMEOUT_MS": "400"})
            self.assert_exit(p, 0)
            self.assertIn("111122223333", p.stdout_text)
            self.assertEqual(len(fs.requests), 2)

    def test_timeout_setting_is_checked(self):
        # a value that is not a number is ignored, with a warning, and the call still works
        with awsfake.FaultServer(default=("status", 200, STS_IDENTITY, XML)) as fs:
            p = self.whoami(fs.url, {"ROOTWATCH_AWS_TIMEOUT_MS": "soon"}, verbose=False)
            self.assert_exit(p, 0)
            self.assertIn("ROOTWATCH_AWS_TIMEOUT_MS", p.stderr_text)

    def test_truncated_reply_is_retried(self):
        # Content-Length says 4096, 27 bytes come, the connection closes: a network error
        with awsfake.FaultServer(default=("truncate", 4096, "<GetCallerIdentityResponse>", 200, XML)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 3)
            self.assert_error(p, "STS GetCallerIdentity", "127.0.0.1:%d" % fs.port,
                              re.compile(r"(?i)partial|remaining|closed"), "after 3 attempts")
            self.assert_gaps(p, fs)
        with awsfake.FaultServer([("truncate", 4096, "<GetCallerIdentityResponse>", 200, XML)],
                                 default=("status", 200, STS_IDENTITY, XML)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 0)
            self.assertEqual(len(fs.requests), 2)

    def test_connection_reset_is_retried(self):
        with awsfake.FaultServer([("reset",), ("close",)], default=("status", 200, STS_IDENTITY, XML)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 0)
            self.assertEqual(len(fs.requests), 3)


class ErrorReplies(FaultCase):
    def test_html_500_is_retried_then_reported(self):
        page = "<html><head><title>500 Internal Server Error</title></head><body>nginx</body></html>"
        with awsfake.FaultServer(default=("status", 500, page, {"Content-Type": "text/html"})) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 3)
            self.assert_error(p, "STS GetCallerIdentity", "HTTP 500", "after 3 attempts")
            self.assert_gaps(p, fs)

    def test_access_denied_is_not_retried(self):
        rid = "c0ffee00-1111-4222-8333-444455556666"
        body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n'
                "    <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n"
                "    <Message>User: arn:aws:iam::111122223333:user/alice is not authorized to perform: "
                "sts:GetCallerIdentity with an explicit deny</Message>\n  </Error>\n"
                "  <RequestId>%s</RequestId>\n</ErrorResponse>\n" % rid)
        with awsfake.FaultServer(default=("status", 403, body, XML)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 1, "a 403 was retried")
            line = self.assert_error(p, "STS GetCallerIdentity", "AccessDenied",
                                     "is not authorized to perform: sts:GetCallerIdentity", rid, "HTTP 403")
            self.assertNotIn("attempts", line)

    def test_expired_token_is_not_retried(self):
        body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                "<Code>ExpiredToken</Code><Message>The security token included in the request is expired"
                "</Message></Error><RequestId>e1e1e1e1-0000-4000-8000-000000000002</RequestId></ErrorResponse>")
        with awsfake.FaultServer(default=("status", 400, body, XML)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3"}, env_endpoint=True)
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 1)
            self.assert_error(p, "ExpiredToken", "is expired", "e1e1e1e1-0000-4000-8000-000000000002")

    def test_malformed_xml_on_200(self):
        with awsfake.FaultServer(default=("status", 200, "<GetCallerIdentityResponse><broken", XML)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 1)
            self.assert_error(p, "STS GetCallerIdentity", "not XML", re.compile(r"line \d+, column \d+"))

    def test_malformed_s3_listing(self):
        # HeadBucket answers (no region header: the configured one), the listing is cut short
        with awsfake.FaultServer([("status", 200, "", {})],
                                 default=("status", 200, "<ListBucketResult><Contents><Key>a", XML)) as fs:
            p = self.rw(["scan", "-v", "-f", "ndjson", "s3://rw-bucket/AWSLogs/"],
                        {"AWS_ENDPOINT_URL_S3": fs.url, "AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual([r.method for r in fs.requests], ["HEAD", "GET"])
            self.assert_error(p, "S3 ListObjectsV2", "s3://rw-bucket/AWSLogs/", "not XML",
                              re.compile(r"line \d+, column \d+"))

    def test_throttled_beyond_max_attempts(self):
        with awsfake.FaultServer(default=("throttle_xml",)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "4"})
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 4)
            line = self.assert_error(p, "STS GetCallerIdentity", "Throttling", "Rate exceeded", "after 4 attempts")
            self.assertRegex(line, r"request id [0-9A-F]{16}")
            gaps = self.assert_gaps(p, fs)
            # the waits are random, not all nothing (3 waits all under 10 ms: about 1 in 10^5)
            self.assertGreater(sum(gaps), 0.01, gaps)


class CloudTrailErrors(FaultCase):
    def json_error(self, code, message, rid):
        return ("status", 400, json.dumps({"__type": code, "message": message}),
                {"Content-Type": AMZ_JSON, "x-amzn-RequestId": rid})

    def test_json_error_with_namespace(self):
        rid = "a7a7a7a7-0000-4000-8000-000000000003"
        with awsfake.FaultServer(default=self.json_error(
                "com.amazonaws.cloudtrail.v20131101#InvalidTimeRangeException",
                "Start time must be equal to or before end time.", rid)) as fs:
            p = self.lookup(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 1)
            line = self.assert_error(p, "CloudTrail LookupEvents", "InvalidTimeRangeException",
                                     "Start time must be equal to or before end time.", rid, "HTTP 400")
            self.assertNotIn("com.amazonaws", line)

    def test_throttled_then_answers(self):
        events = awsfake.synth_events(7, root_every=3)
        with awsfake.LookupEventsServer(events, credentials={ACCESS_KEY: (SECRET, TOKEN)}) as srv:
            with awsfake.FaultServer([("throttle_json",)] * 2, default=("proxy", srv.url)) as fs:
                p = self.lookup(fs.url, {"AWS_MAX_ATTEMPTS": "3"})
                self.assert_exit(p, 1)  # root activity found
                self.assertEqual(len(rwtest.ndjson(p.stdout_text)), 2)
                self.assertEqual(len(fs.requests), 3)
                # LookupEvents is paced at 2 calls per second, retries included
                gaps = self.assert_gaps(p, fs, floor=0.5)
                for g in gaps:
                    self.assertGreaterEqual(g, 0.45, gaps)
            self.assertEqual(len(srv.calls), 1)
            self.assertEqual(srv.errors, [])
            self.assertEqual(fs.errors, [])

    def test_throttled_beyond_max_attempts(self):
        with awsfake.FaultServer(default=("throttle_json",)) as fs:
            p = self.lookup(fs.url, {"AWS_MAX_ATTEMPTS": "2"})
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 2)
            self.assert_error(p, "CloudTrail LookupEvents", "ThrottlingException", "Rate exceeded",
                              "after 2 attempts")
            self.assert_gaps(p, fs, floor=0.5)

    def test_wrong_secret(self):
        with awsfake.LookupEventsServer(awsfake.synth_events(3),
                                        credentials={ACCESS_KEY: ("the-right-secret", TOKEN)}) as srv:
            p = self.lookup(srv.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual(len(srv.requests), 1, "a signature error was retried")
            line = self.assert_error(p, "CloudTrail LookupEvents", "InvalidSignatureException", "HTTP 400")
            # the service's message quotes the canonical request (the token among its headers)
            self.assertIn("Check your AWS Secret Access Key", line)

    def test_unknown_access_key(self):
        with awsfake.LookupEventsServer(awsfake.synth_events(3),
                                        credentials={"AKIAOTHERKEY00000001": ("other", None)}) as srv:
            p = self.lookup(srv.url, {"AWS_MAX_ATTEMPTS": "3"})
            self.assert_exit(p, 2)
            self.assertEqual(len(srv.requests), 1)
            self.assert_error(p, "CloudTrail LookupEvents", "UnrecognizedClientException",
                              "security token included in the request is invalid")

    def test_expired_token(self):
        with awsfake.FaultServer(default=self.json_error(
                "ExpiredTokenException", "The security token included in the request is expired",
                "b8b8b8b8-0000-4000-8000-000000000004")) as fs:
            p = self.lookup(fs.url, {"AWS_MAX_ATTEMPTS": "3"}, verbose=False)
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 1)
            self.assert_error(p, "ExpiredTokenException", "b8b8b8b8-0000-4000-8000-000000000004")

    def test_error_message_quoting_the_token(self):
        # a service (or a proxy) that writes the session token and the secret back in its message
        msg = "bad request: X-Amz-Security-Token=%s secret=%s" % (TOKEN, SECRET)
        with awsfake.FaultServer(default=self.json_error("ValidationException", msg, "c9c9")) as fs:
            p = self.lookup(fs.url, {"AWS_MAX_ATTEMPTS": "2"})
            self.assert_exit(p, 2)
            self.assert_error(p, "ValidationException", "bad request")
        page = "<html><body>proxy says: token %s</body></html>" % TOKEN
        with awsfake.FaultServer(default=("status", 502, page, {"Content-Type": "text/html"})) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "2"})
            self.assert_exit(p, 2)
            self.assert_error(p, "HTTP 502", "proxy says")


@unittest.skipUnless(awsfake.MotoServer.available(),
                     "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
@unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed: the S3 cases cannot put a trail in moto")
class ThroughMoto(FaultCase):
    """Faults in front of moto_server: the call that finally gets through is answered by moto."""

    KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_x.json.gz"

    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        s3 = cls.moto.boto3_client("s3")
        s3.create_bucket(Bucket="rw-faults")
        s3.put_object(Bucket="rw-faults", Key=cls.KEY, Body=root_trail_gz())

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def test_sts_throttled_then_answers(self):
        with awsfake.FaultServer([("throttle_xml",)] * 3, default=("proxy", self.moto.url)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "4"})
            self.assert_exit(p, 0)
            self.assertRegex(p.stdout_text, r"Account:\s+\d{12}")
            self.assertEqual(len(fs.requests), 4)
            self.assert_gaps(p, fs)
            self.assertEqual(fs.errors, [])
        with awsfake.FaultServer([("throttle_xml",)] * 2, default=("proxy", self.moto.url)) as fs:
            p = self.whoami(fs.url, {"AWS_MAX_ATTEMPTS": "2"})  # one throttle too many
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 2)
            self.assert_error(p, "STS GetCallerIdentity", "Throttling", "after 2 attempts")

    def scan_s3(self, url, attempts):
        return self.rw(["scan", "-v", "-f", "ndjson", "s3://rw-faults/AWSLogs/"],
                       {"AWS_ENDPOINT_URL_S3": url, "AWS_MAX_ATTEMPTS": str(attempts)})

    def test_s3_slowdown_then_answers(self):
        # HeadBucket through; ListObjectsV2 and GetObject each get 2 SlowDowns first
        script = [("proxy", self.moto.url), ("slowdown",), ("slowdown",), ("proxy", self.moto.url),
                  ("slowdown",), ("slowdown",)]
        with awsfake.FaultServer(script, default=("proxy", self.moto.url)) as fs:
            p = self.scan_s3(fs.url, 3)
            self.assert_exit(p, 1)  # the trail's 2 root sign-ins
            self.assertEqual(len(rwtest.ndjson(p.stdout_text)), 2)
            self.assertEqual([(r.method, r.url_path) for r in fs.requests],
                             [("HEAD", "/rw-faults")] + [("GET", "/rw-faults")] * 3 +
                             [("GET", "/rw-faults/" + self.KEY)] * 3)
            self.assertEqual(fs.errors, [])
            # (scan -v names skipped files; it does not log retries, as aws whoami -v does)
            gaps = fs.gaps()
            for i, attempt in ((1, 1), (2, 2), (4, 1), (5, 2)):
                self.assertLess(gaps[i], jitter_cap(attempt) + SLACK, gaps)

    def test_s3_slowdown_beyond_max_attempts(self):
        with awsfake.FaultServer([("proxy", self.moto.url)], default=("slowdown",)) as fs:
            p = self.scan_s3(fs.url, 2)
            self.assert_exit(p, 2)
            self.assertEqual([r.method for r in fs.requests], ["HEAD", "GET", "GET"])
            self.assert_error(p, "s3://rw-faults/AWSLogs/", "S3 ListObjectsV2", "SlowDown",
                              "Please reduce your request rate", "HTTP 503", "after 2 attempts",
                              re.compile(r"request id [0-9A-F]{16}"))

    def test_s3_get_fails_but_is_reported(self):
        # the listing works, the object never comes: the file is named in the error
        script = [("proxy", self.moto.url), ("proxy", self.moto.url)]
        with awsfake.FaultServer(script, default=("status", 500, "oops", {"Content-Type": "text/plain"})) as fs:
            p = self.scan_s3(fs.url, 2)
            self.assert_exit(p, 2)
            self.assertEqual(len(fs.requests), 4)
            self.assert_error(p, "s3://rw-faults/" + self.KEY, "S3 GetObject", "HTTP 500", "after 2 attempts")


if __name__ == "__main__":
    rwtest.main()

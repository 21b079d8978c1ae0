"""rootwatch watch with the sns-http source (issue 13): the test acts as Amazon SNS.

It makes its own signing key and self-signed certificate (the openssl command; nothing of AWS's),
serves the certificate and the SubscribeURLs from a loopback HTTP server that stands in for
https://sns.us-east-1.amazonaws.com through the source's test_endpoint option, signs messages as
SNS does (SignatureVersion 1, SHA1withRSA, and 2, SHA256withRSA, over the fields SNS signs), and
posts them to a running `rootwatch watch`. What is checked is what a person relies on:

  - a subscription is confirmed (the SubscribeURL fetched) for an allowed topic only, and only
    when the confirmation is genuine;
  - a root event is alerted once (stdout channel) and is in the store by the time SNS gets its
    200; ordinary events are not alerted; a retried notification is not alerted twice;
  - anything forged, unsigned, of another topic, or signed by a certificate on another host is
    refused with 403 (and that certificate never fetched); a huge body with 413 before it is read;
    invalid JSON with 400; an S3 notification with 400; a slow-loris client with 408 and a closed
    connection; other paths and methods with 404 and 405; and after each the service still
    answers a genuine notification with 200;
  - SIGTERM ends it with status 0.
"""
import base64
import http.client
import http.server
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwtest  # noqa: E402
import watchtest  # noqa: E402
from watchtest import eb, store_ids, wait_until  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:%s:%s:rootwatch-alerts" % (REGION, ACCOUNT)
OTHER_TOPIC = "arn:aws:sns:%s:%s:someone-else" % (REGION, ACCOUNT)
SNS_HOST = "sns.%s.amazonaws.com" % REGION
CERT_NAME = "SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"
CERT_URL = "https://%s/%s" % (SNS_HOST, CERT_NAME)
OPENSSL = shutil.which("openssl")


class Signer:
    """A signing key and its self-signed certificate, made with the openssl command."""

    def __init__(self, workdir, name):
        self.key = os.path.join(workdir, name + ".key")
        self.cert = os.path.join(workdir, name + ".pem")
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        self.key, "-out", self.cert, "-days", "2", "-subj", "/CN=sns.amazonaws.com"],
                       check=True, capture_output=True)
        with open(self.cert, "rb") as f:
            self.pem = f.read()

    @staticmethod
    def string_to_sign(m):
        if m["Type"] == "Notification":
            keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        return "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m).encode("utf-8")

    def sign(self, m, version="2", cert_url=CERT_URL):
        m = dict(m)
        m["SignatureVersion"] = version
        m["SigningCertURL"] = cert_url
        p = subprocess.run([OPENSSL, "dgst", "-sha1" if version == "1" else "-sha256", "-sign",
                            self.key], input=self.string_to_sign(m), capture_output=True, check=True)
        m["Signature"] = base64.b64encode(p.stdout).decode()
        return m


class FakeSns:
    """The SNS host's side the endpoint reaches: the signing certificate and SubscribeURLs."""

    def __init__(self, pem):
        self.pem = pem
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                with outer.lock:
                    outer.requests.append(self.path)
                if self.path == "/" + CERT_NAME:
                    body, ctype, status = outer.pem, "application/x-pem-file", 200
                elif self.path.startswith("/?Action=ConfirmSubscription&"):
                    body = (b"<ConfirmSubscriptionResponse><ConfirmSubscriptionResult>"
                            b"<SubscriptionArn>" + TOPIC.encode() + b":1</SubscriptionArn>"
                            b"</ConfirmSubscriptionResult></ConfirmSubscriptionResponse>")
                    ctype, status = "text/xml", 200
                else:
                    body, ctype, status = b"not found", "text/plain", 404
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def seen(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Watch(watchtest.Watch):
    """rootwatch watch --config CONFIG ARGS in the background, once it listens for SNS (.port)."""

    def __init__(self, config, workdir, args=()):
        super().__init__(["--config", config] + list(args), workdir)
        self.port = self.log_port(r"listening on http://127\.0\.0\.1:(\d+)/sns", 30)
        if self.port is None:
            raise AssertionError("rootwatch watch did not start listening:\n" + self.stderr())
        self.metrics_port = self.log_port(watchtest.METRICS_RE, 0)


@unittest.skipUnless(OPENSSL, "the openssl command is missing: the test cannot sign as SNS")
class WatchSnsHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rw-snshttp-")
        cls.signer = Signer(cls.dir, "sns")
        cls.forger = Signer(cls.dir, "forger")  # a key and certificate SNS never had
        cls.sns = FakeSns(cls.signer.pem)
        cls.store = os.path.join(cls.dir, "store.db")
        config = cls.write_config(cls.dir, cls.store)
        cls.watch = Watch(config, cls.dir, ["--metrics", "127.0.0.1:0"])
        cls.seq = 0

    @classmethod
    def write_config(cls, workdir, store, listen="127.0.0.1:0"):
        config = os.path.join(workdir, "rootwatch.yaml")
        with open(config, "w") as f:
            f.write("store: %s\n"
                    "channels:\n  - name: out\n    type: stdout\n"
                    "sources:\n"
                    "  - name: sns\n"
                    "    type: sns-http\n"
                    "    listen: %s\n"
                    "    path: /sns\n"
                    "    topic_arns: [%s]\n"
                    "    max_body: 300000\n"
                    "    max_connections: 16\n"
                    "    request_timeout: 3\n"
                    "    timeout: 5\n"
                    "    test_endpoint: http://127.0.0.1:%d\n"
                    % (store, listen, TOPIC, cls.sns.port))
        return config

    @classmethod
    def tearDownClass(cls):
        try:
            cls.watch.kill()
        finally:
            cls.sns.stop()
            shutil.rmtree(cls.dir, ignore_errors=True)

    # ---- helpers ----

    def msg_id(self):
        type(self).seq += 1
        return "00000000-0000-4000-8000-%012d" % type(self).seq

    def notification(self, rec=None, message=None, topic=TOPIC, subject="AWS root activity"):
        m = {"Type": "Notification", "MessageId": self.msg_id(), "TopicArn": topic,
             "Message": message if message is not None else eb(rec),
             "Timestamp": "2026-12-06T08:00:00.123Z",
             "UnsubscribeURL": "https://%s/?Action=Unsubscribe&SubscriptionArn=%s:1" % (SNS_HOST, topic)}
        if subject is not None:
            m["Subject"] = subject
        return m

    def confirmation(self, topic=TOPIC, token=None):
        token = token or "tok%08d" % (type(self).seq + 1)
        return {"Type": "SubscriptionConfirmation", "MessageId": self.msg_id(), "Token": token,
                "TopicArn": topic,
                "Message": "You have chosen to subscribe to the topic %s.\nTo confirm the "
                           "subscription, visit the SubscribeURL included in this message." % topic,
                "SubscribeURL": "https://%s/?Action=ConfirmSubscription&TopicArn=%s&Token=%s"
                                % (SNS_HOST, topic, token),
                "Timestamp": "2026-12-06T08:00:00.000Z"}

    def post(self, body, headers=None, path="/sns", method="POST", timeout=30, port=None):
        """POSTs as SNS does; returns (status, text)."""
        if isinstance(body, dict):
            hdrs = {"x-amz-sns-message-type": body.get("Type", ""),
                    "x-amz-sns-message-id": re.sub(r"[^ -~]", "?", body.get("MessageId", "")),
                    "x-amz-sns-topic-arn": body.get("TopicArn", "")}
            body = json.dumps(body).encode()
        else:
            hdrs = {}
        hdrs["Content-Type"] = "text/plain; charset=UTF-8"
        hdrs.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", port or self.watch.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()

    def still_serving(self):
        """A genuine notification of an ordinary event is still answered 200."""
        rec = rwtest.record("user-alive-%d" % type(self).seq, who="user")
        status, text = self.post(self.signer.sign(self.notification(rec)))
        self.assertEqual(status, 200, text + self.watch.stderr()[-2000:])

    # ---- the tests (they share one running watch; each uses event IDs of its own) ----

    def test_0_configuration_refused_with_reasons(self):
        d = tempfile.mkdtemp(prefix="conf-", dir=self.dir)
        store = os.path.join(d, "store.db")
        cases = [
            ({"topic_arns": "[arn:aws:sqs:us-east-1:123456789012:q]"}, "topic_arns",
             "is not an SNS topic's ARN"),
            ({"test_endpoint": "http://198.51.100.7:8080"}, "test_endpoint", "loopback"),
            ({"listen": "8080"}, "listen", "address:port"),
            ({"listen": "example.com:8080"}, "listen", "not an IP address"),
            ({"path": "sns"}, "path", "starting with '/'"),
            ({"max_body": "100"}, "max_body", "from 1024"),
        ]
        for opts, option, text in cases:
            with self.subTest(option):
                body = {"listen": "127.0.0.1:0", "topic_arns": "[%s]" % TOPIC}
                body.update(opts)
                path = os.path.join(d, "bad.yaml")
                with open(path, "w") as f:
                    f.write("store: %s\nchannels:\n  - name: out\n    type: stdout\nsources:\n"
                            "  - name: sns\n    type: sns-http\n" % store)
                    for k, v in body.items():
                        f.write("    %s: %s\n" % (k, v))
                p = rwtest.run(["watch", "--config", path], timeout=60)
                self.assertNotEqual(p.returncode, 0, p.stderr_text)
                self.assertIn("option " + option, p.stderr_text)
                self.assertIn(text, p.stderr_text)
        # the port taken by someone else: said, and the service ends
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            path = self.write_config(d, store, "127.0.0.1:%d" % port)
            p = rwtest.run(["watch", "--config", path], timeout=60)
            self.assertNotEqual(p.returncode, 0, p.stderr_text)
            self.assertIn("cannot listen on 127.0.0.1:%d" % port, p.stderr_text)

    def test_1_subscription_confirmed_for_allowed_topic_only(self):
        before = self.sns.seen()
        c = self.signer.sign(self.confirmation(), "1")
        status, text = self.post(c)
        self.assertEqual(status, 200, text + self.watch.stderr()[-2000:])
        token = c["Token"]
        confirms = [p for p in self.sns.seen() if "Action=ConfirmSubscription" in p]
        self.assertEqual(len([p for p in confirms if "Token=" + token in p]), 1, self.sns.seen())
        self.assertIn("confirmed the subscription to " + TOPIC, self.watch.stderr())

        # another topic's confirmation, genuinely signed: refused, its SubscribeURL never visited
        other = self.signer.sign(self.confirmation(topic=OTHER_TOPIC), "2")
        status, text = self.post(other)
        self.assertEqual(status, 403, text)
        self.assertIn("not in topic_arns", text)
        # a forged confirmation of the allowed topic: refused, not visited
        forged = self.forger.sign(self.confirmation(token="forged-token"), "2")
        status, text = self.post(forged)
        self.assertEqual(status, 403, text)
        seen = self.sns.seen()
        self.assertFalse([p for p in seen if other["Token"] in p or "forged-token" in p], seen)
        self.assertEqual(len([p for p in seen if "ConfirmSubscription" in p]),
                         len([p for p in before if "ConfirmSubscription" in p]) + 1)

    def test_2_root_alerted_once_ordinary_not(self):
        roots = [rwtest.record("root-sns-v1"), rwtest.record("root-sns-v2")]
        signin = rwtest.record("root-sns-signin", source="signin.amazonaws.com", name="ConsoleLogin",
                               eventType="AwsConsoleSignIn")
        for rec, version in ((roots[0], "1"), (roots[1], "2")):
            status, text = self.post(self.signer.sign(self.notification(rec), version))
            self.assertEqual(status, 200, text + self.watch.stderr()[-2000:])
            # answered 200 only once the alert is in the store
            self.assertIn(rec["eventID"], store_ids(self.store))
        n = self.notification(message=eb(signin, "AWS Console Sign In via CloudTrail"), subject=None)
        status, text = self.post(self.signer.sign(n, "2"))
        self.assertEqual(status, 200, text)
        self.assertIn("root-sns-signin", store_ids(self.store))
        for i in range(10):
            who = "user" if i % 2 else "role"
            status, text = self.post(self.signer.sign(
                self.notification(rwtest.record("%s-sns-%d" % (who, i), who=who)), str(1 + i % 2)))
            self.assertEqual(status, 200, text)
        # SNS retries a notification it got no answer for: the same message again
        again = self.signer.sign(self.notification(roots[0]), "2")
        self.assertEqual(self.post(again)[0], 200)
        self.assertEqual(self.post(again)[0], 200)
        want = ["root-sns-signin", "root-sns-v1", "root-sns-v2"]
        self.assertTrue(wait_until(lambda: len([a for a in self.watch.alerts()
                                                if a["eventID"].startswith("root-sns-")]) >= 3, 10, step=0.1))
        got = sorted(a["eventID"] for a in self.watch.alerts() if "-sns-" in a["eventID"])
        self.assertEqual(got, want)  # each root event once, nothing else
        stored = [i for i in store_ids(self.store) if "-sns-" in i]
        self.assertEqual(sorted(stored), want)

    def test_3_forged_unsigned_other_topic_refused(self):
        rec = rwtest.record("root-forged")
        genuine = self.signer.sign(self.notification(rec), "2")
        cases = []
        # the message changed after signing: a root event made to look ordinary, or the reverse
        t = dict(genuine)
        t["Message"] = eb(rwtest.record("root-forged-2"))
        cases.append(("tampered Message", t, 403, "bad signature"))
        t = dict(genuine)
        t["Timestamp"] = "2026-12-06T08:00:01.123Z"
        cases.append(("tampered Timestamp", t, 403, "bad signature"))
        t = dict(genuine)
        t["Subject"] = "nothing to see"
        cases.append(("tampered Subject", t, 403, "bad signature"))
        t = dict(genuine)
        t["SignatureVersion"] = "1"
        cases.append(("SignatureVersion changed", t, 403, "bad signature"))
        cases.append(("signed by another key, SNS's certificate URL",
                      self.forger.sign(self.notification(rec), "1"), 403, "does not verify"))
        u = self.notification(rec)
        cases.append(("unsigned", u, 403, "unsigned"))
        u = dict(genuine)
        del u["Signature"]
        cases.append(("signature removed", u, 403, "unsigned"))
        cases.append(("version 3", dict(genuine, SignatureVersion="3"), 403, "not 1 or 2"))
        cases.append(("another topic, genuinely signed",
                      self.signer.sign(self.notification(rec, topic=OTHER_TOPIC)), 403,
                      "not in topic_arns"))
        evil = "https://evil.example/" + CERT_NAME
        cases.append(("certificate on another host", self.forger.sign(self.notification(rec), "2", evil),
                      403, "certificate URL not allowed"))
        s3bucket = "https://sns-us-east-1.s3.amazonaws.com/" + CERT_NAME
        cases.append(("certificate in an S3 bucket", self.forger.sign(self.notification(rec), "2", s3bucket),
                      403, "is not SNS's"))
        userinfo = "https://%s@evil.example/%s" % (SNS_HOST, CERT_NAME)
        cases.append(("certificate URL with user information",
                      self.forger.sign(self.notification(rec), "2", userinfo), 403, "user information"))
        cases.append(("plain http certificate URL",
                      self.forger.sign(self.notification(rec), "2", "http://%s/%s" % (SNS_HOST, CERT_NAME)),
                      403, "not an https URL"))
        n = self.notification(rec)
        n["MessageId"] = "x\nrootwatch: error: injected line\x1b[2J"
        cases.append(("a MessageId made to forge log lines", self.forger.sign(n), 403, "bad signature"))
        before = self.sns.seen()
        for what, body, status, text in cases:
            with self.subTest(what):
                got, reply = self.post(body)
                self.assertEqual(got, status, reply)
                self.assertIn(text, reply)
                self.still_serving()
        # nothing was fetched from anywhere but SNS's certificate path
        self.assertTrue(all(p == "/" + CERT_NAME for p in self.sns.seen()[len(before):]), self.sns.seen())
        self.assertNotIn("root-forged", store_ids(self.store))
        self.assertNotIn("root-forged-2", store_ids(self.store))
        self.assertIn("refused (403 bad_signature)", self.watch.stderr())
        self.assertNotIn("\nrootwatch: error: injected", self.watch.stderr())
        self.assertNotIn("\x1b", self.watch.stderr())
        # counted, by reason, for /metrics
        w = self.watch
        self.assertGreaterEqual(w.metric("rootwatch_sns_http_refused_total", source="sns",
                                         reason="bad_signature"), 5)
        self.assertGreaterEqual(w.metric("rootwatch_sns_http_refused_total", reason="unsigned"), 2)
        self.assertGreaterEqual(w.metric("rootwatch_sns_http_refused_total", reason="topic"), 1)
        self.assertGreaterEqual(w.metric("rootwatch_sns_http_refused_total",
                                         reason="certificate_url"), 4)
        self.assertGreaterEqual(w.metric("rootwatch_sns_http_requests_total", status="403"),
                                len(cases))

    def test_4_bad_input(self):
        rec = rwtest.record("root-bad-input")
        cases = [
            ("invalid JSON", b'{"Type": "Notification", "MessageId": ', 400, "not JSON"),
            ("not an object", b"[1, 2, 3]", 400, "not a JSON object"),
            ("wrong type", json.dumps({"Type": 7}).encode(), 400, "Type is a number, not a string"),
            ("unknown Type", json.dumps({"Type": "Publish"}).encode(), 400, "not a message SNS posts"),
            ("empty", b"", 400, "empty"),
        ]
        for what, body, status, text in cases:
            with self.subTest(what):
                got, reply = self.post(body)
                self.assertEqual(got, status, reply)
                self.assertIn(text, reply)
                self.still_serving()
        # a genuine notification whose Message is an S3 event notification: refused politely
        s3 = json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                      "s3": {"bucket": {"name": "trail"}, "object": {"key": "k.json.gz"}}}]})
        got, reply = self.post(self.signer.sign(self.notification(message=s3)))
        self.assertEqual(got, 400, reply)
        self.assertIn("S3 event notification", reply)
        got, reply = self.post(self.signer.sign(self.notification(message="hello")))
        self.assertEqual(got, 400, reply)
        # raw message delivery: the event alone, unsigned (SNS signs no raw message)
        got, reply = self.post(eb(rec).encode(), headers={"x-amz-sns-rawdelivery": "true",
                                                          "x-amz-sns-message-type": "Notification",
                                                          "x-amz-sns-topic-arn": TOPIC})
        self.assertEqual(got, 403, reply)
        self.assertIn("RawMessageDelivery off", reply)
        # headers that disagree with the body
        got, reply = self.post(self.signer.sign(self.notification(rec)),
                               headers={"x-amz-sns-topic-arn": OTHER_TOPIC})
        self.assertEqual(got, 400, reply)
        # other paths and methods
        self.assertEqual(self.post(b"{}", path="/other")[0], 404)
        self.assertEqual(self.post(None, method="GET")[0], 405)
        self.assertNotIn("root-bad-input", store_ids(self.store))
        self.still_serving()

    def test_5_huge_body_refused_unread(self):
        # Content-Length over max_body: 413 comes back before the body is sent
        s = socket.create_connection(("127.0.0.1", self.watch.port), timeout=10)
        try:
            s.sendall(b"POST /sns HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: 10000000\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)
        finally:
            s.close()
        # a body just over max_body, sent whole: 413 too
        big = self.signer.sign(self.notification(message="x" * 310000))
        got, reply = self.post(big)
        self.assertEqual(got, 413, reply)
        # a chunked body that grows past it: cut off
        s = socket.create_connection(("127.0.0.1", self.watch.port), timeout=10)
        try:
            s.sendall(b"POST /sns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 65536
            closed = False
            try:
                for _ in range(40):
                    s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                closed = True
            if not closed:
                s.settimeout(10)
                try:
                    data = s.recv(4096)
                    closed = data == b"" or not data.startswith(b"HTTP/1.1 200")
                except OSError:
                    closed = True
            self.assertTrue(closed)
        finally:
            s.close()
        self.still_serving()

    def test_6_slow_loris(self):
        # a client trickling its headers, a byte at a time, faster than the idle timeout (5 s):
        # answered 408 and closed once request_timeout (3 s) has passed, while genuine
        # notifications are answered meanwhile
        s = socket.create_connection(("127.0.0.1", self.watch.port), timeout=20)
        start = time.monotonic()
        reply = b""
        events = []
        headers = b"POST /sns HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200
        try:
            for i, byte in enumerate(headers):
                # as a client does: stop sending once the server has answered
                if select.select([s], [], [], 0)[0]:
                    events.append("readable after %d bytes" % i)
                    break
                try:
                    s.sendall(bytes([byte]))
                except OSError as e:
                    events.append("send after %d bytes: %s" % (i, e))
                    break
                if i == 5:
                    self.still_serving()
                time.sleep(0.1)
                if time.monotonic() - start > 12:
                    break
            s.settimeout(10)
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            except OSError as e:
                events.append("recv: %s" % e)
        finally:
            s.close()
        took = time.monotonic() - start
        self.assertTrue(reply.startswith(b"HTTP/1.1 408"), "%r after %.1f s (%s)" % (reply, time.monotonic() - start, events))
        self.assertLess(took, 10, "the slow client was cut after %.1f s" % took)
        self.assertGreaterEqual(took, 2.5)
        self.still_serving()

    def test_7_connection_limit_then_service(self):
        # max_connections (16) connections that say nothing: a 17th waits unserved while they are
        # open; they are cut with 408 once request_timeout (3 s) has passed, and the service goes on
        signed = self.signer.sign(self.notification(rwtest.record("user-limit", who="user")))
        start = time.monotonic()
        socks = [socket.create_connection(("127.0.0.1", self.watch.port), timeout=10)
                 for _ in range(16)]
        try:
            time.sleep(0.3)
            with self.assertRaises((OSError, http.client.HTTPException)):
                self.post(signed, timeout=1)
            reply = socks[0].recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 408"), reply)
            self.assertGreaterEqual(time.monotonic() - start, 2.5)
        finally:
            for s in socks:
                s.close()
        self.assertTrue(wait_until(lambda: self._serves(), 10, step=0.1), self.watch.stderr()[-2000:])
        self.still_serving()

    def _serves(self):
        try:
            rec = rwtest.record("user-limit-after", who="user")
            return self.post(self.signer.sign(self.notification(rec)), timeout=3)[0] == 200
        except (OSError, http.client.HTTPException):
            return False

    def test_8_store_busy_answers_5xx_then_recovers(self):
        # Another process holds the store's write lock: the unit whose alert cannot be stored is
        # answered 500 (SNS delivers it again), notifications arriving while the engine is full
        # are answered 503 at once, and once the lock is gone SNS's retries are alerted, each once.
        d = tempfile.mkdtemp(prefix="busy-", dir=self.dir)
        store = os.path.join(d, "store.db")
        w = Watch(self.write_config(d, store), d, ["-j", "1"])
        try:
            first = self.signer.sign(self.notification(rwtest.record("root-busy-0")))
            self.assertEqual(self.post(first, port=w.port)[0], 200, w.stderr())
            msgs = [self.signer.sign(self.notification(rwtest.record("root-busy-%d" % i)))
                    for i in range(1, 10)]
            results = {}

            def post(i):
                try:
                    results[i] = self.post(msgs[i], port=w.port, timeout=60)
                except OSError as e:
                    results[i] = (0, str(e))

            db = sqlite3.connect(store, timeout=5)
            db.execute("BEGIN EXCLUSIVE")
            threads = [threading.Thread(target=post, args=(i,)) for i in range(6)]
            for t in threads:
                t.start()
                time.sleep(0.05)
            time.sleep(1.5)  # the engine (one thread, four units) is full by now
            late = [threading.Thread(target=post, args=(i,)) for i in range(6, 9)]
            for t in late:
                t.start()
            for t in late:
                t.join()
            time.sleep(5)
            db.rollback()
            db.close()
            for t in threads:
                t.join()
            statuses = [results[i][0] for i in range(9)]
            self.assertIn(500, statuses, (results, w.stderr()[-3000:]))
            self.assertEqual([results[i][0] for i in range(6, 9)], [503] * 3, results)
            self.assertTrue(all(s in (200, 500, 503) for s in statuses), results)
            # SNS retries what was not answered 200
            for i in range(9):
                if results[i][0] != 200:
                    status, text = self.post(msgs[i], port=w.port)
                    self.assertEqual(status, 200, text + w.stderr()[-2000:])
            want = sorted("root-busy-%d" % i for i in range(10))
            self.assertEqual(sorted(store_ids(store)), want)
            self.assertTrue(wait_until(lambda: len(w.alerts()) >= len(want), 10, step=0.1))
            self.assertEqual(sorted(a["eventID"] for a in w.alerts()), want)
        finally:
            self.assertEqual(w.stop(), 0, w.stderr()[-3000:])

    def test_8c_disk_full_answers_5xx_then_recovers(self):
        # The store's disk full (a real one: a small tmpfs, filled up): a root event's notification
        # cannot be stored, so it is not answered 200 (SNS delivers it again), /healthz answers
        # 503 naming the store, the service keeps running; once space is back SNS's retry of the
        # same message is answered 200 and alerted, each root event once.
        watchtest.need_tmpfs()
        d = tempfile.mkdtemp(prefix="full-", dir=self.dir)
        mnt = os.path.join(d, "mnt")
        os.mkdir(mnt)
        self.assertIsNone(watchtest.try_mount(mnt, "4m"))
        w = None
        try:
            store = os.path.join(mnt, "store.db")
            w = Watch(self.write_config(d, store), d, ["--metrics", "127.0.0.1:0"])
            first = self.signer.sign(self.notification(rwtest.record("snsfull-root-0")))
            self.assertEqual(self.post(first, port=w.port)[0], 200, w.stderr())
            # 200 says stored; its delivery (stdout) may come just after: wait for it first
            w.wait(lambda: len(w.alerts()) >= 1, 10, "the first alert")
            filler = os.path.join(mnt, "filler")
            watchtest.fill(filler)
            second = self.signer.sign(self.notification(rwtest.record("snsfull-root-1")))
            for _ in range(2):  # and again: still refused, the service still running
                status, text = self.post(second, port=w.port, timeout=60)
                self.assertIn(status, (500, 503), text + w.stderr()[-2000:])
            self.assertIn("the disk is full", w.stderr())
            status, body, _ = w.wait(lambda: (lambda r: r if r[0] == 503 else None)(w.get("/healthz")),
                                     15, "/healthz 503")
            self.assertIn("store", body)
            self.assertEqual(sorted(a["eventID"] for a in w.alerts()), ["snsfull-root-0"])
            os.unlink(filler)
            status, text = self.post(second, port=w.port, timeout=60)
            self.assertEqual(status, 200, text + w.stderr()[-2000:])
            w.wait(lambda: len(w.alerts()) >= 2, 10, "the second alert")
            w.wait(lambda: w.get("/healthz")[0] == 200, 15, "/healthz 200 again")
            self.assertEqual(self.post(second, port=w.port)[0], 200)  # SNS delivering it once more
            time.sleep(0.5)
            self.assertEqual(sorted(a["eventID"] for a in w.alerts()), ["snsfull-root-0", "snsfull-root-1"])
            self.assertEqual(sorted(store_ids(store)), ["snsfull-root-0", "snsfull-root-1"])
            self.assertEqual(w.stop(), 0, w.stderr()[-3000:])
        finally:
            if w:
                w.kill()
            subprocess.run(["umount", "-l", mnt])

    def test_8b_sighup_reload_listens_again(self):
        # a reload stops the source and starts it anew: the port is let go and bound again, and
        # notifications are answered by the new source
        d = tempfile.mkdtemp(prefix="hup-", dir=self.dir)
        store = os.path.join(d, "store.db")
        with socket.socket() as probe:  # a free port, named in the configuration as a user would
            probe.bind(("127.0.0.1", 0))
            fixed = probe.getsockname()[1]
        w = Watch(self.write_config(d, store, "127.0.0.1:%d" % fixed), d)
        self.assertEqual(w.port, fixed)
        try:
            rec = rwtest.record("root-hup-1")
            self.assertEqual(self.post(self.signer.sign(self.notification(rec)), port=w.port)[0], 200)
            w.proc.send_signal(signal.SIGHUP)
            pat = r"listening on http://127\.0\.0\.1:(\d+)/sns"
            self.assertTrue(wait_until(lambda: len(re.findall(pat, w.stderr())) >= 2, 30, step=0.1), w.stderr())
            port = int(re.findall(pat, w.stderr())[-1])
            self.assertEqual(port, fixed)  # the same port, let go by the old source first
            rec = rwtest.record("root-hup-2")
            status, text = self.post(self.signer.sign(self.notification(rec)), port=port)
            self.assertEqual(status, 200, text + w.stderr()[-2000:])
            self.assertEqual(sorted(store_ids(store)), ["root-hup-1", "root-hup-2"])
        finally:
            self.assertEqual(w.stop(), 0, w.stderr()[-3000:])

    def test_9_sigterm_exits_0(self):
        self.still_serving()
        self.assertEqual(self.watch.stop(), 0, self.watch.stderr()[-3000:])
        err = self.watch.stderr()
        self.assertFalse(re.search(r"^rootwatch: error:", err, re.M), err[-3000:])
        self.assertIn("stopped:", err)


if __name__ == "__main__":
    rwtest.main()

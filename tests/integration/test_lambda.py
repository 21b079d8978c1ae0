"""rootwatch as the Lambda function (src/lambda, src/sources/in_lambda.c, src/cli/cmd_lambda.c).

A Lambda Runtime API written here (an awsfake.HttpServer) serves invocations to `rootwatch lambda`
and to the same binary started as `bootstrap`; moto_server holds the SNS topic, with an SQS queue
subscribed that the test reads (one message per root event, with the blog's subject), the account
alias (IAM) and the DynamoDB table of IDEMPOTENCY_TABLE.
"""
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

ACCOUNT = "123456789012"  # moto's
REGION = "us-east-1"
SECRET = "rw-lambda-secret-key-do-not-log"
PREFIX = "/2018-06-01/runtime"


class RuntimeApi(awsfake.HttpServer):
    """The Lambda Runtime API: invocations queued by invoke() are handed to `next`; what the
    function posts back is kept by request id."""

    def __init__(self):
        super().__init__()
        self.pending = queue.Queue()
        self.results = {}
        self.done = threading.Condition()
        self.init_errors = []

    def handle(self, req, h):
        path = req.url_path
        if req.method == "GET" and path == PREFIX + "/invocation/next":
            try:
                rid, event, deadline_ms, trace = self.pending.get(timeout=60)
            except queue.Empty:
                return 503, {}, "no invocation"
            body = event if isinstance(event, bytes) else json.dumps(event).encode()
            return 200, {"Lambda-Runtime-Aws-Request-Id": rid,
                         "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                         "Lambda-Runtime-Trace-Id": trace,
                         "Lambda-Runtime-Invoked-Function-Arn":
                             "arn:aws:lambda:%s:%s:function:rootwatch" % (REGION, ACCOUNT),
                         "Content-Type": "application/json"}, body
        if req.method == "POST" and path == PREFIX + "/init/error":
            with self.done:
                self.init_errors.append((req.header("Lambda-Runtime-Function-Error-Type"), req.json()))
                self.done.notify_all()
            return 202, {}, {"status": "OK"}
        parts = path[len(PREFIX):].split("/")  # "", "invocation", id, "response" | "error"
        if req.method == "POST" and len(parts) == 4 and parts[1] == "invocation" and \
                parts[3] in ("response", "error"):
            with self.done:
                self.results[parts[2]] = (parts[3], req.json(),
                                          req.header("Lambda-Runtime-Function-Error-Type"))
                self.done.notify_all()
            return 202, {}, {"status": "OK"}
        return 404, {}, "not found"

    def invoke(self, event, deadline_in_ms=30000, timeout=60):
        """Queues an invocation and waits for its result: ("response"|"error", body, error type)."""
        rid = str(uuid.uuid4())
        self.pending.put((rid, event, int(time.time() * 1000) + deadline_in_ms,
                          "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"))
        deadline = time.monotonic() + timeout
        with self.done:
            while rid not in self.results:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no result for invocation %s" % rid)
                self.done.wait(left)
            return self.results[rid]


def eventbridge(rec, detail_type="AWS API Call via CloudTrail"):
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type,
            "source": "aws." + rec["eventSource"].split(".")[0], "account": rec["recipientAccountId"],
            "time": rec["eventTime"], "region": rec["awsRegion"], "resources": [], "detail": rec}


def root_record(event_id=None, name="CreateUser", **kw):
    return rwtest.record(event_id or str(uuid.uuid4()), who="root", account=ACCOUNT, name=name, **kw)


def sns_notification(message):
    return {"Type": "Notification", "MessageId": str(uuid.uuid4()),
            "TopicArn": "arn:aws:sns:%s:%s:forwarded" % (REGION, ACCOUNT), "Subject": None,
            "Message": json.dumps(message), "Timestamp": "2026-11-20T10:00:01.000Z",
            "SignatureVersion": "1", "Signature": "x", "SigningCertURL": "https://example.com/c.pem",
            "UnsubscribeURL": "https://example.com/u"}


def sqs_batch(bodies):
    return {"Records": [{"messageId": mid, "receiptHandle": "rh-" + mid, "body": body,
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:%s:%s:root-events" % (REGION, ACCOUNT),
                         "awsRegion": REGION} for mid, body in bodies]}


def sns_event(message):
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "EventSubscriptionArn": "arn:aws:sns:%s:%s:t:1" % (REGION, ACCOUNT),
                         "Sns": {"Type": "Notification", "MessageId": "sns-" + str(uuid.uuid4()),
                                 "TopicArn": "arn:aws:sns:%s:%s:t" % (REGION, ACCOUNT),
                                 "Subject": None, "Message": json.dumps(message),
                                 "Timestamp": "2026-11-20T10:00:01.000Z", "MessageAttributes": {}}}]}


def subject(name, account="acme-prod"):
    return 'Root API call-"%s" detected in Account-"%s"' % (name, account)


@unittest.skipUnless(awsfake.MotoServer.available(),
                     "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
@unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed: the resources cannot be made")
class Lambda(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        cls.tmp = tempfile.mkdtemp(prefix="rw-lambda-")
        iam = cls.moto.boto3_client("iam")
        iam.create_account_alias(AccountAlias="acme-prod")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.sns = self.moto.boto3_client("sns", REGION)
        self.sqs = self.moto.boto3_client("sqs", REGION)
        name = "root-alerts-" + uuid.uuid4().hex[:8]
        self.topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=self.queue,
                                             AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=qarn)
        self.api = RuntimeApi().start()
        self.procs = []

    def tearDown(self):
        for p, log in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(10)
            log.close()
        self.api.stop()
        self.assertEqual(self.api.errors, [])

    def env(self, **extra):
        e = dict(self.moto.env(REGION), AWS_SECRET_ACCESS_KEY=SECRET,
                 AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % self.api.port, SNS_TOPIC_ARN=self.topic,
                 ROOTWATCH_STORE=os.path.join(self.tmp, uuid.uuid4().hex, "rootwatch.db"),
                 AWS_MAX_ATTEMPTS="2", LAMBDA_TASK_ROOT=self.tmp,
                 AWS_LAMBDA_FUNCTION_NAME="rootwatch")
        e.update(extra)
        return awsfake.clean_aws_env({k: v for k, v in e.items()})

    def start(self, binary=None, args=("lambda",), **extra):
        log = tempfile.TemporaryFile()
        p = subprocess.Popen([binary or rwtest.ROOTWATCH] + list(args), env=self.env(**extra),
                             stdout=subprocess.DEVNULL, stderr=log)
        self.procs.append((p, log))
        return p

    def log_of(self, p):
        for q, log in self.procs:
            if q is p:
                log.seek(0)
                return log.read().decode("utf-8", "replace")
        return ""

    def received(self, n, wait=3):
        out = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            r = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
            if n and len(out) >= n:
                break
        self.assertEqual(len(out), n, [b.get("Subject") for b in out])
        return out

    def ok(self, result, **want):
        kind, body, _ = result
        self.assertEqual(kind, "response", body)
        for k, v in want.items():
            self.assertEqual(body[k], v, body)
        return body

    def check_log(self, p):
        text = self.log_of(p)
        self.assertNotIn(SECRET, text)
        for mark in rwtest.SANITIZER_MARKS:
            self.assertNotIn(mark, text)
        for line in text.splitlines():
            obj = json.loads(line)  # one JSON object a line
            self.assertIn(obj["level"], ("error", "warning", "info", "debug"), line)
        return text

    # ---- the events -----------------------------------------------------------------------------

    def test_root_published_with_the_blogs_subject(self):
        p = self.start()
        rec = root_record(name="CreateAccessKey")
        self.ok(self.api.invoke(eventbridge(rec)), records=1, alerts=1, published=1, duplicates=0)
        body, = self.received(1)
        self.assertEqual(body["Subject"], subject("CreateAccessKey"))
        alert = json.loads(body["Message"])
        self.assertEqual(alert["eventID"], rec["eventID"])
        self.assertEqual(alert["event"], rec)
        # a root console sign-in, the other detail-type
        signin = root_record(name="ConsoleLogin", source="signin.amazonaws.com", eventType="AwsConsoleSignIn",
                             responseElements={"ConsoleLogin": "Success"},
                             additionalEventData={"MFAUsed": "No"})
        self.ok(self.api.invoke(eventbridge(signin, "AWS Console Sign In via CloudTrail")),
                alerts=1, published=1)
        self.assertEqual(self.received(1)[0]["Subject"], subject("ConsoleLogin"))
        text = self.check_log(p)
        self.assertIn('"requestId"', text)
        self.assertIsNone(p.poll(), "the loop goes on")

    def test_long_event_name_subject_cut_to_100(self):
        self.start()
        self.ok(self.api.invoke(eventbridge(root_record(name="Describe" + "X" * 150))), published=1)
        s = self.received(1)[0]["Subject"]
        self.assertLessEqual(len(s), 100)
        self.assertTrue(s.startswith('Root API call-"DescribeXXX'), s)

    def test_non_root_and_service_made_not_alerted(self):
        self.start()
        user = rwtest.record(str(uuid.uuid4()), who="user", account=ACCOUNT)
        self.ok(self.api.invoke(eventbridge(user)), records=1, alerts=0, published=0)
        svc = root_record()
        svc["userIdentity"]["invokedBy"] = "autoscaling.amazonaws.com"
        self.ok(self.api.invoke(eventbridge(svc)), records=1, alerts=0, published=0)
        self.received(0, wait=2)

    def test_duplicate_published_once_per_instance(self):
        p = self.start()
        ev = eventbridge(root_record())
        self.ok(self.api.invoke(ev), alerts=1, published=1, duplicates=0)
        self.ok(self.api.invoke(ev), alerts=1, published=0, duplicates=1)
        self.received(1)
        self.assertIn("published earlier by this instance", self.check_log(p))

    def test_sqs_batch_reports_only_the_bad_message(self):
        self.start()
        a, b, c = root_record(name="DeleteTrail"), root_record(name="StopLogging"), root_record()
        batch = sqs_batch([("m-a", json.dumps(eventbridge(a))),
                           ("m-bad", "this is not an event"),
                           ("m-b", json.dumps(sns_notification(eventbridge(b)))),
                           ("m-scheduled", json.dumps({"detail-type": "Scheduled Event", "detail": {}})),
                           ("m-a-again", json.dumps(eventbridge(a))),
                           ("m-c", json.dumps(eventbridge(c)))])
        body = self.ok(self.api.invoke(batch), records=4, alerts=3, published=3, duplicates=1)
        self.assertEqual(body["batchItemFailures"],
                         [{"itemIdentifier": "m-bad"}, {"itemIdentifier": "m-scheduled"}])
        subjects = sorted(m["Subject"] for m in self.received(3))
        self.assertEqual(subjects, sorted([subject("DeleteTrail"), subject("StopLogging"),
                                           subject("CreateUser")]))
        # a batch of good messages has an empty list
        body = self.ok(self.api.invoke(sqs_batch([("m-d", json.dumps(eventbridge(root_record())))])),
                       published=1)
        self.assertEqual(body["batchItemFailures"], [])
        self.received(1)

    def test_sns_event(self):
        self.start()
        self.ok(self.api.invoke(sns_event(eventbridge(root_record(name="PutBucketPolicy")))),
                records=1, alerts=1, published=1)
        self.assertEqual(self.received(1)[0]["Subject"], subject("PutBucketPolicy"))

    def test_malformed_events_are_invalid_and_the_loop_goes_on(self):
        p = self.start()
        cases = [(b"this is not JSON", "not JSON"),
                 (b"", "empty"),
                 ({"key1": "value1"}, "a JSON object with the members key1"),
                 ({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
                  "detail-type 'Scheduled Event'"),
                 ({"Records": [{"eventSource": "aws:s3", "s3": {}}]}, "eventSource 'aws:s3'"),
                 ([1, 2, 3], "an array")]
        # shapes that are nearly right, and JSON that is hard to read
        cases += [({"Records": []}, ""),
                  ({"detail-type": "AWS API Call via CloudTrail", "detail": "a string"}, ""),
                  ({"detail-type": "AWS API Call via CloudTrail"}, ""),
                  ({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": 7}}]}, ""),
                  (b"[" * 100000 + b"]" * 100000, ""),
                  (b'{"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "\xff\xfe"}}', ""),
                  (b"\x00\x01\x02 binary", ""),
                  ("null", ""), ("42", ""), ('"a string"', "")]
        for event, want in cases:
            if isinstance(event, str):
                event = event.encode()
            kind, body, etype = self.api.invoke(event)
            shown = repr(event)[:100]
            self.assertEqual(kind, "error", (shown, body))
            self.assertEqual(body["errorType"], "rootwatch.InvalidEvent", shown)
            self.assertEqual(etype, "rootwatch.InvalidEvent")
            self.assertIn(want, body["errorMessage"])
            # says what arrived, in a message a person reads (not the event copied back)
            self.assertTrue(body["errorMessage"].strip(), shown)
            self.assertLess(len(body["errorMessage"]), 2000, shown)
        self.assertIsNone(p.poll(), "the loop goes on")
        # an SQS message without a body: only it fails
        body = self.ok(self.api.invoke({"Records": [{"eventSource": "aws:sqs", "messageId": "m1"}]}),
                       records=0, published=0)
        self.assertEqual(body["batchItemFailures"], [{"itemIdentifier": "m1"}])
        self.ok(self.api.invoke(eventbridge(root_record())), published=1)
        self.received(1)
        self.assertIsNone(p.poll())
        self.check_log(p)

    def test_failing_sns_is_an_invocation_error_then_a_retry_publishes(self):
        dead = awsfake.free_port()
        p = self.start(AWS_ENDPOINT_URL_SNS="http://127.0.0.1:%d" % dead, AWS_MAX_ATTEMPTS="1")
        ev = eventbridge(root_record(name="DeleteBucket"))
        kind, body, etype = self.api.invoke(ev)
        self.assertEqual(kind, "error", body)
        self.assertEqual(body["errorType"], "rootwatch.PublishFailed")
        self.assertIn("not published", body["errorMessage"])
        self.received(0, wait=1)
        # the same instance, SNS still down: still an error (the failed delivery is not a duplicate)
        kind, body, _ = self.api.invoke(ev)
        self.assertEqual((kind, body["errorType"]), ("error", "rootwatch.PublishFailed"))
        # in an SQS batch only that message fails
        body = self.ok(self.api.invoke(sqs_batch([("m-x", json.dumps(ev))])), published=0)
        self.assertEqual(body["batchItemFailures"], [{"itemIdentifier": "m-x"}])
        self.check_log(p)

    def test_sns_outage_then_recovery_loses_no_alert(self):
        # SNS answers 503 to everything: the invocation fails (Lambda retries it), the log says
        # why in one line, the DynamoDB claim is given up; once SNS is back, the retry publishes
        # it, once
        ddb, table = self.claim_table()
        down = ("status", 503, "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable"
                "</Code><Message>Service is unavailable</Message></Error></ErrorResponse>",
                {"Content-Type": "text/xml"})
        sns = awsfake.FaultServer(default=down).start()
        self.addCleanup(sns.stop)
        p = self.start(AWS_ENDPOINT_URL_SNS=sns.url, AWS_MAX_ATTEMPTS="3", IDEMPOTENCY_TABLE=table)
        rec = root_record(name="DeactivateMFADevice")
        ev = eventbridge(rec)
        batch = sqs_batch([("m-1", json.dumps(eventbridge(root_record(name="DeleteTrail"))))])
        for attempt in range(2):  # Lambda's retry, SNS still down
            kind, body, etype = self.api.invoke(ev)
            self.assertEqual((kind, etype), ("error", "rootwatch.PublishFailed"), body)
            self.assertIn("ServiceUnavailable", body["errorMessage"])
            self.assertIn(rec["eventID"], body["errorMessage"])
        self.assertEqual(len(sns.requests_to("/", "POST")), 6)  # three tries each
        self.assertNotIn("Item", ddb.get_item(TableName=table, Key={"eventID": {"S": rec["eventID"]}}))
        body = self.ok(self.api.invoke(batch), published=0)
        self.assertEqual(body["batchItemFailures"], [{"itemIdentifier": "m-1"}])
        self.received(0, wait=1)
        text = self.check_log(p)
        lines = [json.loads(l) for l in text.splitlines()]
        why = [l for l in lines if l["level"] == "error" and rec["eventID"] in l["message"]
               and "not published" in l["message"]]
        self.assertTrue(why, text)
        self.assertIn("ServiceUnavailable", why[0]["message"])
        self.assertNotIn("testing", json.dumps([l["message"] for l in why]))  # moto's key id
        # SNS is back: Lambda's retry and the queue's redelivery publish them, once each
        sns.default = ("proxy", self.moto.url)
        self.ok(self.api.invoke(ev), records=1, alerts=1, published=1, duplicates=0)
        body = self.ok(self.api.invoke(batch), published=1)
        self.assertEqual(body["batchItemFailures"], [])
        subjects = sorted(m["Subject"] for m in self.received(2))
        self.assertEqual(subjects, sorted([subject("DeactivateMFADevice"), subject("DeleteTrail")]))
        item = ddb.get_item(TableName=table, Key={"eventID": {"S": rec["eventID"]}})["Item"]
        self.assertEqual(item["state"]["S"], "published")
        # and a third delivery of the same event is a duplicate
        self.ok(self.api.invoke(ev), published=0, duplicates=1)
        self.received(0, wait=1)

    def test_deadline_too_close_is_an_error_before_publishing(self):
        self.start(ROOTWATCH_LAMBDA_MARGIN_MS="5000")
        kind, body, _ = self.api.invoke(eventbridge(root_record()), deadline_in_ms=2000)
        self.assertEqual(kind, "error", body)
        self.assertEqual(body["errorType"], "rootwatch.Timeout")
        self.received(0, wait=1)

    def test_large_event_and_hostile_strings(self):
        self.start()
        # an event of 6 MB (Lambda's limit for a synchronous invocation): published without the
        # CloudTrail record, which is over SNS's 256 KiB
        big = root_record(name="PutBucketPolicy", requestParameters={"policy": "p" * (6 << 20)})
        self.ok(self.api.invoke(eventbridge(big)), records=1, alerts=1, published=1)
        body, = self.received(1)
        self.assertEqual(body["Subject"], subject("PutBucketPolicy"))
        alert = json.loads(body["Message"])
        self.assertIs(alert["eventOmitted"], True)
        self.assertEqual(alert["eventID"], big["eventID"])
        # control characters, quotes and non-ASCII in what the subject shows
        odd = root_record(name='Delete"\r\nBucket\u00e9\x07')
        self.ok(self.api.invoke(eventbridge(odd)), published=1)
        s = self.received(1)[0]["Subject"]
        self.assertTrue(all(0x20 <= ord(c) < 0x7f for c in s), repr(s))
        self.assertTrue(s.startswith('Root API call-"Delete'), s)

    def test_event_of_6_mb_that_is_not_an_event(self):
        # 6 MB of something else, and 6 MB of JSON cut short: refused in a short message, and the
        # function goes on
        p = self.start()
        for event in (b"x" * (6 << 20),
                      json.dumps(eventbridge(root_record(requestParameters={"p": "q" * (6 << 20)})))
                      .encode()[:6 << 20]):
            kind, body, etype = self.api.invoke(event)
            self.assertEqual((kind, etype), ("error", "rootwatch.InvalidEvent"), body)
            self.assertLess(len(body["errorMessage"]), 2000)
        self.ok(self.api.invoke(eventbridge(root_record())), published=1)
        self.received(1)
        self.assertIsNone(p.poll())
        self.check_log(p)

    def check_subjects(self, messages):
        for m in messages:
            s = m["Subject"]
            self.assertLessEqual(len(s), 100, repr(s))
            self.assertTrue(s and all(0x20 <= ord(c) < 0x7f for c in s), repr(s))
            self.assertTrue(s.startswith('Root API call-"'), repr(s))
            self.assertTrue(s.endswith('detected in Account-"acme-prod"') or len(s) == 100, repr(s))

    def test_hostile_strings_keep_the_subject_valid(self):
        # SNS takes a subject of printable ASCII without line breaks, at most 100 characters: a
        # CloudTrail record whose strings are hostile still gets one, and its alert is published
        p = self.start()
        huge = "Get" + "\u202e" * 1000 + "A" * (1 << 20)
        names = ["\u202eresUetaerC\u202c", "Del\x1b[31mete\x7f\x85Bucket",
                 "\ud800Lone\udfffSurrogates", "\r\n\r\nBcc: someone@example.com", huge,
                 "\ufeffZero\u200bWidth\u2028Line", ""]
        want = []
        for name in names:
            rec = root_record(name=name, userAgent="agent\u202e\x07\x1b" + "U" * (1 << 17),
                              sourceIPAddress="<script>\u202e")
            want.append(rec["eventID"])
            self.ok(self.api.invoke(json.dumps(eventbridge(rec)).encode()),
                    records=1, alerts=1, published=1)
        got = self.received(len(names), wait=10)
        self.assertEqual(sorted(json.loads(m["Message"])["eventID"] for m in got), sorted(want))
        self.check_subjects(got)
        # the megabyte name and the 128 KiB user agent: over SNS's 256 KiB even without the
        # record, so the alert's strings are cut rather than the alert lost
        big = [json.loads(m["Message"]) for m in got if json.loads(m["Message"]).get("stringsCut")]
        self.assertTrue(big)
        self.assertTrue(all(b["eventOmitted"] and len(b["eventName"]) <= 1024 for b in big))
        self.assertIsNone(p.poll())
        text = self.check_log(p)
        self.assertNotIn("\u202e", text)

    def test_nul_characters_in_the_record(self):
        # NULs in eventName and userAgent: CloudTrail never writes them, so the record is reported
        # (the log names the fields; the invocation is an InvalidEvent error, which keeps the event
        # in the dead-letter queue for a person) but its alert is published first, with a valid
        # subject, and a retry does not publish it again
        p = self.start()
        rec = root_record(name="Create\x00User", userAgent="agent\x00" * 100)
        ev = eventbridge(rec)
        kind, body, etype = self.api.invoke(ev)
        self.assertEqual((kind, etype), ("error", "rootwatch.InvalidEvent"), body)
        self.assertIn("published before the failure: 1", body["errorMessage"])
        got = self.received(1)
        self.check_subjects(got)
        self.assertEqual(json.loads(got[0]["Message"])["eventID"], rec["eventID"])
        text = self.check_log(p)
        self.assertIn("eventName holds 1 NUL character", text)
        self.assertIn("userAgent holds 100 NUL characters", text)
        self.assertNotIn("\x00", text)
        kind, body, _ = self.api.invoke(ev)
        self.assertIn("published before the failure: 0", body["errorMessage"])
        self.assertIn('"duplicates":1', body["errorMessage"])
        self.received(0, wait=1)
        self.assertIsNone(p.poll())

    def test_sns_throttling_is_retried(self):
        throttle = ("throttle_xml",)
        proxy = awsfake.FaultServer([throttle, throttle], default=("proxy", self.moto.url)).start()
        self.addCleanup(proxy.stop)
        self.start(AWS_ENDPOINT_URL_SNS=proxy.url, AWS_MAX_ATTEMPTS="3")
        self.ok(self.api.invoke(eventbridge(root_record())), published=1)
        self.received(1)
        self.assertEqual(len(proxy.requests), 3)
        # the invocation's trace goes on with each call, as the AWS SDKs send it in Lambda
        self.assertEqual({r.header("X-Amzn-Trace-Id") for r in proxy.requests},
                         {"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"})

    def test_runtime_api_gone_ends_the_process(self):
        p = self.start()
        self.ok(self.api.invoke(eventbridge(root_record())), published=1)
        self.received(1)
        self.api.stop()
        self.assertEqual(p.wait(60), 1)
        self.assertIn("Runtime API GET /invocation/next", self.log_of(p))

    # ---- SIGTERM (Lambda's shutdown) and SIGINT ----------------------------------------------

    def wait_for_next(self, api, n, timeout=10):
        deadline = time.monotonic() + timeout
        while len(api.requests_to(PREFIX + "/invocation/next")) < n:
            self.assertLess(time.monotonic(), deadline, "no next request")
            time.sleep(0.01)

    def test_signal_while_waiting_for_next_exits_0_at_once(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            # a Runtime API of its own: a `next` left waiting would take the other's invocation
            api = RuntimeApi().start()
            self.addCleanup(api.stop)
            p = self.start(AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % api.port)
            self.ok(api.invoke(eventbridge(root_record())), published=1)
            self.received(1)
            self.wait_for_next(api, 2)
            time.sleep(0.2)  # inside the wait, not just before it
            t0 = time.monotonic()
            p.send_signal(sig)
            self.assertEqual(p.wait(5), 0, self.log_of(p))
            self.assertLess(time.monotonic() - t0, 1.0)
            text = self.check_log(p)
            stop = [json.loads(l) for l in text.splitlines() if "stopping" in l]
            self.assertEqual(len(stop), 1, text)
            self.assertEqual(stop[0]["message"],
                             "%s while waiting for the next invocation: stopping" % sig.name)

    def test_sigterm_during_an_invocation_finishes_it_first(self):
        # SNS answers after 2 s: SIGTERM comes while the publish is in flight
        slow = awsfake.FaultServer(default=("slow", 2, ("proxy", self.moto.url))).start()
        self.addCleanup(slow.stop)
        p = self.start(AWS_ENDPOINT_URL_SNS=slow.url)
        ev = eventbridge(root_record(name="DeleteTrail"))
        result = []
        t = threading.Thread(target=lambda: result.append(self.api.invoke(ev)))
        t.start()
        deadline = time.monotonic() + 10
        while not slow.requests_to("/", "POST"):
            self.assertLess(time.monotonic(), deadline, "SNS was not called")
            time.sleep(0.01)
        p.send_signal(signal.SIGTERM)
        t.join(30)
        self.ok(result[0], records=1, alerts=1, published=1)
        self.assertEqual(p.wait(10), 0, self.log_of(p))
        self.assertEqual(self.received(1)[0]["Subject"], subject("DeleteTrail"))
        # it asked for no other invocation after the signal
        self.assertEqual(len(self.api.requests_to(PREFIX + "/invocation/next")), 1)
        text = self.check_log(p)
        self.assertIn("SIGTERM during an invocation: it was answered; stopping", text)

    def test_hung_sns_ends_the_invocation_before_its_deadline(self):
        # SNS answers nothing for 20 s: the publish is cut at the deadline, and the error is
        # posted in time (Lambda would kill a function that overran it)
        hung = awsfake.FaultServer(default=("slow", 20, ("status", 500, "late"))).start()
        self.addCleanup(hung.stop)
        self.start(AWS_ENDPOINT_URL_SNS=hung.url, ROOTWATCH_LAMBDA_MARGIN_MS="500")
        t0 = time.monotonic()
        kind, body, _ = self.api.invoke(eventbridge(root_record()), deadline_in_ms=3000)
        took = time.monotonic() - t0
        self.assertEqual(kind, "error", body)
        self.assertEqual(body["errorType"], "rootwatch.PublishFailed")
        self.assertIn("timed out", body["errorMessage"])
        self.assertLess(took, 3.0)
        self.assertGreater(took, 1.5)
        self.received(0, wait=1)

    def test_trace_id_and_function_keep_running_as_bootstrap(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        boot = os.path.join(d, "bootstrap")
        os.symlink(os.path.abspath(rwtest.ROOTWATCH), boot)
        p = self.start(binary=boot, args=())
        self.ok(self.api.invoke(eventbridge(root_record(name="CreateLoginProfile"))), published=1)
        self.assertEqual(self.received(1)[0]["Subject"], subject("CreateLoginProfile"))
        self.assertIsNone(p.poll())
        # the invocation's log line may be written just after its response is posted: wait for it
        mark = "(trace Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1)"
        deadline = time.monotonic() + 5
        while mark not in self.log_of(p) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(mark, self.check_log(p))

    @unittest.skipIf(rwtest.SANITIZED, "a sanitized build is slower and larger: not measured")
    def test_quick_start_and_small_memory(self):
        # the function fits Lambda's smallest size (128 MB) with room to spare, and starts at once
        t0 = time.monotonic()
        p = self.start()
        for _ in range(200):
            if self.api.requests_to(PREFIX + "/invocation/next"):
                break
            time.sleep(0.01)
        first_next = self.api.requests_to(PREFIX + "/invocation/next")[0].time - t0
        self.assertLess(first_next, 1.0)
        for i in range(30):
            self.ok(self.api.invoke(sqs_batch([("m%d-%d" % (i, j), json.dumps(eventbridge(root_record())))
                                               for j in range(5)])), published=5)
        self.received(150, wait=30)
        with open("/proc/%d/status" % p.pid) as f:
            hwm = [int(l.split()[1]) for l in f if l.startswith("VmHWM:")][0]
        self.assertLessEqual(hwm, 32 * 1024, "peak resident memory %d KiB" % hwm)

    # ---- init errors ----------------------------------------------------------------------------

    def init_error(self, **extra):
        p = self.start(**extra)
        self.assertEqual(p.wait(30), 1)
        self.assertEqual(len(self.api.init_errors), 1, self.log_of(p))
        etype, body = self.api.init_errors[0]
        self.assertEqual(etype, "rootwatch.InitError")
        self.assertEqual(body["errorType"], "rootwatch.InitError")
        self.check_log(p)
        return body["errorMessage"]

    def test_init_error_without_topic(self):
        self.assertIn("SNS_TOPIC_ARN is not set", self.init_error(SNS_TOPIC_ARN=None))

    def test_init_error_bad_topic(self):
        for bad in ("arn:aws:sqs:us-east-1:123456789012:queue", "root-alerts",
                    "arn:aws:sns:us-east-1:1234:t"):
            self.api.init_errors.clear()
            msg = self.init_error(SNS_TOPIC_ARN=bad)
            self.assertIn("SNS_TOPIC_ARN '%s' is not an SNS topic's ARN" % bad, msg)

    def test_init_error_names_each_variable(self):
        folder = tempfile.mkdtemp(dir=self.tmp)
        cases = [({"ROOTWATCH_LAMBDA_MARGIN_MS": "abc"}, "ROOTWATCH_LAMBDA_MARGIN_MS 'abc'"),
                 ({"ROOTWATCH_LAMBDA_MARGIN_MS": "-5"}, "ROOTWATCH_LAMBDA_MARGIN_MS '-5'"),
                 ({"ROOTWATCH_LAMBDA_MARGIN_MS": "99999999"}, "ROOTWATCH_LAMBDA_MARGIN_MS"),
                 ({"ROOTWATCH_STORE": "/proc/no-such-process/rootwatch.db"}, "ROOTWATCH_STORE"),
                 ({"ROOTWATCH_STORE": folder}, "ROOTWATCH_STORE"),
                 ({"ROOTWATCH_CONFIG": "/nonexistent/rootwatch.yaml"},
                  "ROOTWATCH_CONFIG: cannot read the configuration: /nonexistent/rootwatch.yaml"),
                 ({"IDEMPOTENCY_TABLE": "claims table"}, "IDEMPOTENCY_TABLE 'claims table'"),
                 ({"IDEMPOTENCY_TABLE": "ab"}, "IDEMPOTENCY_TABLE 'ab'"),
                 ({"AWS_REGION": "us east 1"}, 'region "us east 1" from AWS_REGION'),
                 ({"AWS_MAX_ATTEMPTS": "lots"}, '"lots" from AWS_MAX_ATTEMPTS'),
                 ({"AWS_ENDPOINT_URL_SNS": "sns.local:4566"}, "AWS_ENDPOINT_URL_SNS 'sns.local:4566'"),
                 ({"AWS_ENDPOINT_URL": "ftp://x"}, "AWS_ENDPOINT_URL 'ftp://x'"),
                 ({"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")]
        for extra, want in cases:
            self.api.init_errors.clear()
            msg = self.init_error(**extra)
            self.assertIn(want, msg, extra)
            self.assertNotIn(SECRET, msg)
        self.assertEqual(self.api.requests_to(PREFIX + "/invocation/next"), [])

    def test_without_aws_region_the_topics_region_is_used(self):
        # Lambda always sets AWS_REGION; without it the function still publishes, to the region
        # of SNS_TOPIC_ARN
        self.start(AWS_REGION=None, AWS_DEFAULT_REGION=None)
        self.ok(self.api.invoke(eventbridge(root_record(name="DeleteTrail"))), published=1)
        self.assertEqual(self.received(1)[0]["Subject"], subject("DeleteTrail"))

    def test_runtime_api_not_host_port(self):
        for bad in ("nonsense", "127.0.0.1:80/path", "http://127.0.0.1:9001", "host:port"):
            p = rwtest.run(["lambda"], env=self.env(AWS_LAMBDA_RUNTIME_API=bad))
            self.assertEqual(p.returncode, 1)
            line, = p.stderr_text.splitlines()
            self.assertEqual(json.loads(line)["level"], "error")
            self.assertIn("AWS_LAMBDA_RUNTIME_API '%s' is not HOST:PORT" % bad, line)

    def test_init_error_bad_config(self):
        path = os.path.join(self.tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write("channels:\n  - name: x\n    type: nope\n")
        self.assertIn(path, self.init_error(ROOTWATCH_CONFIG=path))

    def test_extra_channel_from_config(self):
        # a webhook channel from ROOTWATCH_CONFIG receives the alert too
        hook = awsfake.HttpServer(lambda req: (200, {}, "ok")).start()
        try:
            path = os.path.join(self.tmp, "rootwatch-%s.yaml" % uuid.uuid4().hex[:6])
            with open(path, "w") as f:
                f.write("channels:\n  - name: hook\n    type: webhook\n    url: %s/alerts\n" % hook.url)
            self.start(ROOTWATCH_CONFIG=path)
            rec = root_record()
            self.ok(self.api.invoke(eventbridge(rec)), alerts=1, published=2)
            self.received(1)
            posts = hook.requests_to("/alerts", "POST")
            self.assertEqual(len(posts), 1)
            self.assertEqual(posts[0].json()["eventID"], rec["eventID"])
        finally:
            hook.stop()

    def test_no_runtime_api(self):
        p = rwtest.run(["lambda"], env=awsfake.clean_aws_env({"SNS_TOPIC_ARN": self.topic}))
        self.assertEqual(p.returncode, 1)
        self.assertIn("AWS_LAMBDA_RUNTIME_API is not set", p.stderr_text)

    # ---- IDEMPOTENCY_TABLE ----------------------------------------------------------------------

    def claim_table(self):
        """A new IDEMPOTENCY_TABLE in moto's DynamoDB: (the client, its name)."""
        ddb = self.moto.boto3_client("dynamodb", REGION)
        table = "rootwatch-claims-" + uuid.uuid4().hex[:6]
        ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "eventID", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "eventID", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        return ddb, table

    def test_idempotency_table_across_instances(self):
        ddb, table = self.claim_table()
        # two instances (each its own store and Runtime API), the same event at once
        other = RuntimeApi().start()
        self.addCleanup(other.stop)
        self.start(IDEMPOTENCY_TABLE=table)
        self.start(IDEMPOTENCY_TABLE=table, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % other.port)
        ev = eventbridge(root_record(name="DeleteAccountPasswordPolicy"))
        results = [None, None]
        apis = [self.api, other]

        def go(i):
            results[i] = apis[i].invoke(ev)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        bodies = [self.ok(r) for r in results]
        self.assertEqual(sorted(b["published"] for b in bodies), [0, 1], bodies)
        self.assertEqual(sorted(b["duplicates"] for b in bodies), [0, 1], bodies)
        self.received(1)
        item = ddb.get_item(TableName=table, Key={"eventID": {"S": ev["detail"]["eventID"]}})["Item"]
        self.assertGreater(int(item["expiresAt"]["N"]), time.time() + 86400)
        self.assertEqual(item["state"]["S"], "published")
        # a claim left by an instance that died mid-publish: a fresh one holds, a stale one is
        # taken over
        fresh, stale = root_record(name="DeleteTrail"), root_record(name="StopLogging")
        for rec, age in ((fresh, 60), (stale, 2000)):
            ddb.put_item(TableName=table, Item={
                "eventID": {"S": rec["eventID"]}, "state": {"S": "claimed"},
                "claimedAt": {"N": str(int(time.time()) - age)},
                "expiresAt": {"N": str(int(time.time()) + 86400)}})
        self.ok(self.api.invoke(eventbridge(fresh)), published=0, duplicates=1)
        self.ok(self.api.invoke(eventbridge(stale)), published=1, duplicates=0)
        self.assertEqual(self.received(1)[0]["Subject"], subject("StopLogging"))


if __name__ == "__main__":
    rwtest.main()

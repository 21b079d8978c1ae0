"""The SNS channel (src/notify/out_sns.c) against moto_server, driven by rw_notify_tool.

A topic with an SQS queue subscribed (raw delivery off, so the queue gets SNS's envelope with the
Subject and the MessageAttributes); requests go through a recording proxy (awsfake.FaultServer)
so that the Publish request itself (MessageStructure=json, every protocol's message) and the
alias lookups can be checked, and so that AWS's errors can be scripted.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import notify_servers  # noqa: E402
import rwtest  # noqa: E402

TOOL = os.environ.get("RW_NOTIFY_TOOL", os.path.join(rwtest.REPO, "build", "tests", "rw_notify_tool"))
ACCOUNT = "123456789012"  # moto's
REGION = "eu-west-1"


def form(req):
    return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode(), keep_blank_values=True).items()}


@unittest.skipUnless(awsfake.MotoServer.available(),
                     "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
@unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed: the resources cannot be made")
class Sns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        cls.scripted = []  # answers for the next Publish requests, before moto's
        cls.proxy = awsfake.FaultServer(default=cls._answer).start()
        cls.env = awsfake.clean_aws_env(dict(cls.moto.env(REGION), AWS_ENDPOINT_URL=cls.proxy.url))
        cls.tmp = tempfile.mkdtemp(prefix="rw-sns-")

    @classmethod
    def _answer(cls, req):
        if cls.scripted and form(req).get("Action") == "Publish":
            return cls.scripted.pop(0)
        return awsfake.FaultServer._proxy(cls.moto.url, req)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.moto.stop()

    def setUp(self):
        self.sns = self.moto.boto3_client("sns", REGION)
        self.sqs = self.moto.boto3_client("sqs", REGION)
        self.iam = self.moto.boto3_client("iam")
        name = "root-alerts-" + uuid.uuid4().hex[:8]
        self.topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=self.queue,
                                             AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=qarn)
        self.proxy.clear()
        del self.scripted[:]

    def tearDown(self):
        for alias in self.iam.list_account_aliases()["AccountAliases"]:
            self.iam.delete_account_alias(AccountAlias=alias)
        self.assertEqual(self.proxy.errors, [])

    def send(self, alerts, settings=None, ok=True, args=()):
        path = notify_servers.alerts_file(os.path.join(self.tmp, uuid.uuid4().hex + ".ndjson"), alerts)
        p = subprocess.run([TOOL, "sns", json.dumps(settings or {"topic_arn": self.topic}), path] +
                           list(args), capture_output=True, text=True, env=self.env, timeout=120)
        for mark in rwtest.SANITIZER_MARKS:
            self.assertNotIn(mark, p.stderr)
        if ok:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def received(self, n):
        out = []
        for _ in range(20):
            r = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
            if len(out) >= n:
                break
        self.assertEqual(len(out), n, out)
        return out

    def calls(self, action):
        return [form(r) for r in self.proxy.requests if form(r).get("Action") == action]

    def test_subject_message_structure_and_attributes(self):
        self.iam.create_account_alias(AccountAlias="acme-prod")
        alert = notify_servers.make_alert("0b7e1c8e-0000-4000-8000-000000000001")
        self.send([alert])
        body, = self.received(1)
        self.assertEqual(body["Subject"], 'Root API call-"ConsoleLogin" detected in Account-"acme-prod"')
        # the queue gets the "sqs" variant: the alert JSON, with its CloudTrail record
        self.assertEqual(json.loads(body["Message"]), alert)
        attrs = {k: (v["Type"], v["Value"]) for k, v in body["MessageAttributes"].items()}
        self.assertEqual(attrs, {"severity": ("String", "high"), "account": ("String", ACCOUNT),
                                 "rule": ("String", "root-console-sign-in"),
                                 "eventName": ("String", "ConsoleLogin"),
                                 "eventID": ("String", alert["eventID"])})
        # the request as sent: every protocol's message
        pub, = self.calls("Publish")
        self.assertEqual(pub["MessageStructure"], "json")
        self.assertEqual(pub["TopicArn"], self.topic)
        msg = json.loads(pub["Message"])
        self.assertEqual(set(msg), {"default", "email", "email-json", "sqs", "lambda", "http", "https",
                                    "firehose"})
        self.assertEqual(msg["default"], msg["email"])
        text = msg["email"]
        self.assertTrue(text.startswith("Root console sign-in without MFA in %s (acme-prod) (high)\n"
                                        % ACCOUNT), text)
        self.assertIn("203.0.113.7", text)
        self.assertIn("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1"
                      "#/events/" + alert["eventID"], text)
        for k in ("email-json", "sqs", "lambda", "http", "https", "firehose"):
            self.assertEqual(json.loads(msg[k]), alert, k)

    def test_alias_looked_up_once_then_account_id_without_alias(self):
        self.iam.create_account_alias(AccountAlias="acme-prod")
        alerts = [notify_servers.make_alert("id-%d" % i, "CreateAccessKey") for i in range(3)]
        self.send(alerts)
        subjects = [b["Subject"] for b in self.received(3)]
        self.assertEqual(subjects, ['Root API call-"CreateAccessKey" detected in Account-"acme-prod"'] * 3)
        # cached for the process: one lookup for three alerts
        self.assertEqual(len(self.calls("ListAccountAliases")), 1)
        self.assertEqual(len(self.calls("GetCallerIdentity")), 1)
        # no alias: the account ID
        self.iam.delete_account_alias(AccountAlias="acme-prod")
        self.send([notify_servers.make_alert("id-9", "CreateAccessKey")])
        body, = self.received(1)
        self.assertEqual(body["Subject"], 'Root API call-"CreateAccessKey" detected in Account-"%s"' % ACCOUNT)

    def test_other_account_uses_its_id(self):
        # the alias of another account (an organization trail) is not the caller's to read
        self.iam.create_account_alias(AccountAlias="acme-prod")
        self.send([notify_servers.make_alert("id-other", account="999988887777")])
        body, = self.received(1)
        self.assertEqual(body["Subject"], 'Root API call-"ConsoleLogin" detected in Account-"999988887777"')
        self.assertEqual(self.calls("ListAccountAliases"), [])

    def test_alert_without_account_uses_the_callers(self):
        self.send([notify_servers.make_alert("id-noacct", account=None)])
        body, = self.received(1)
        self.assertEqual(body["Subject"], 'Root API call-"ConsoleLogin" detected in Account-"%s"' % ACCOUNT)

    def test_long_event_name_truncated_to_100(self):
        self.iam.create_account_alias(AccountAlias="acme-prod")
        name = "Describe" + "X" * 200
        self.send([notify_servers.make_alert("id-long", name)])
        body, = self.received(1)
        s = body["Subject"]
        self.assertLessEqual(len(s), 100)
        self.assertTrue(s.startswith('Root API call-"DescribeXXX'), s)
        self.assertTrue(s.endswith('..." detected in Account-"acme-prod"'), s)
        self.assertEqual(body["MessageAttributes"]["eventName"]["Value"], name)

    def test_non_ascii_and_line_breaks_sanitized(self):
        name = "Delete\r\nBucket\u00e9\u2603\x07"
        self.send([notify_servers.make_alert("id-odd", name)])
        body, = self.received(1)
        s = body["Subject"]
        self.assertTrue(all(0x20 <= ord(c) < 0x7f for c in s), repr(s))
        self.assertTrue(s.startswith('Root API call-"Delete??Bucket'), s)
        self.assertEqual(json.loads(body["Message"])["eventName"], name)
        pub, = self.calls("Publish")
        text = json.loads(pub["Message"])["default"]
        self.assertNotIn("\x07", text)
        self.assertIn("Bucket\u00e9\u2603", text)

    def test_test_notice_marked(self):
        self.send([notify_servers.make_alert("id-test")], args=["--test"])
        body, = self.received(1)
        self.assertTrue(body["Subject"].startswith('[TEST] Root API call-"ConsoleLogin"'), body["Subject"])

    def test_large_event_omitted(self):
        alert = notify_servers.make_alert("id-big", "PutBucketPolicy")
        alert["event"]["requestParameters"] = {"policy": "p" * 100000}
        self.send([alert])
        body, = self.received(1)
        got = json.loads(body["Message"])
        self.assertNotIn("event", got)
        self.assertIs(got["eventOmitted"], True)
        want = dict(alert)
        del want["event"]
        self.assertEqual({k: v for k, v in got.items() if k != "eventOmitted"}, want)
        pub, = self.calls("Publish")
        self.assertLessEqual(len(pub["Message"].encode()), 262144)
        self.assertIn("PutBucketPolicy", json.loads(pub["Message"])["email"])
        # a small event goes whole
        self.send([notify_servers.make_alert("id-small")])
        self.assertIn("event", json.loads(self.received(1)[0]["Message"]))

    def test_fifo_topic(self):
        topic = self.sns.create_topic(Name="root-alerts-%s.fifo" % uuid.uuid4().hex[:6],
                                      Attributes={"FifoTopic": "true"})["TopicArn"]
        alert = notify_servers.make_alert("f1e2d3c4-0000-4000-8000-000000000002")
        self.send([alert], {"topic_arn": topic})
        pub, = self.calls("Publish")
        self.assertEqual(pub["MessageDeduplicationId"], alert["eventID"])
        self.assertEqual(pub["MessageGroupId"], ACCOUNT)

    def test_missing_topic_is_permanent(self):
        p = self.send([notify_servers.make_alert("id-x")],
                      {"topic_arn": "arn:aws:sns:%s:%s:no-such-topic" % (REGION, ACCOUNT)}, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"^fail permanent id-x: channel test: SNS Publish: NotFound")

    def test_authorization_error_is_permanent(self):
        self.scripted.append((403, {"Content-Type": "text/xml"},
                              "<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code>"
                              "<Message>User is not authorized to perform SNS:Publish</Message></Error>"
                              "<RequestId>r-1</RequestId></ErrorResponse>"))
        p = self.send([notify_servers.make_alert("id-auth")], ok=False)
        self.assertRegex(p.stdout, r"^fail permanent id-auth: .*AuthorizationError")
        self.assertEqual(len(self.calls("Publish")), 1)  # not retried

    def test_throttling_retried_then_sent(self):
        throttle = (400, {"Content-Type": "text/xml"},
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    "<Message>Rate exceeded</Message></Error><RequestId>r-2</RequestId></ErrorResponse>")
        self.scripted.extend([throttle, throttle])
        self.send([notify_servers.make_alert("id-thr")])
        self.assertEqual(len(self.received(1)), 1)
        self.assertEqual(len(self.calls("Publish")), 3)

    def test_throttling_that_outlasts_retries_is_retryable(self):
        throttle = (400, {"Content-Type": "text/xml"},
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    "<Message>Rate exceeded</Message></Error><RequestId>r-3</RequestId></ErrorResponse>")
        self.scripted.extend([throttle] * 2)
        env = dict(self.env, AWS_MAX_ATTEMPTS="2")
        path = notify_servers.alerts_file(os.path.join(self.tmp, "thr.ndjson"),
                                          [notify_servers.make_alert("id-thr2")])
        p = subprocess.run([TOOL, "sns", json.dumps({"topic_arn": self.topic}), path],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stdout, r"^fail retryable id-thr2: .*Throttling")

    def test_bad_settings(self):
        path = notify_servers.alerts_file(os.path.join(self.tmp, "bad.ndjson"), [])
        for settings, want in (({}, "option topic_arn is required"),
                               ({"topic_arn": "arn:aws:sqs:eu-west-1:123456789012:q"}, "not a topic's ARN"),
                               ({"topic_arn": self.topic, "subject": "x"}, "unknown option 'subject'")):
            p = subprocess.run([TOOL, "sns", json.dumps(settings), path], capture_output=True,
                               text=True, env=self.env, timeout=60)
            self.assertEqual(p.returncode, 2)
            self.assertIn(want, p.stderr)


if __name__ == "__main__":
    rwtest.main()

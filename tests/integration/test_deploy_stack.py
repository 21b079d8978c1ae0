"""rootwatch deploy test (issue 12): proves a deployed hub stack end to end, against the hub stack
moto's CloudFormation creates from the real package (`rootwatch package`, uploaded to moto's S3, as
test_deploy_template.py does).

moto cannot run a Lambda function (it would need docker images and the internet), so the test puts
a proxy of its own in front of moto: an HTTP server on loopback that forwards every request to moto
except Lambda's Invoke (POST /2015-03-31/functions/NAME/invocations). For Invoke it really runs the
unzipped package's `bootstrap` against a Lambda Runtime API server written in the tests
(test_lambda.RuntimeApi), with the function's environment as moto's GetFunctionConfiguration gives
it (SNS_TOPIC_ARN, IDEMPOTENCY_TABLE) and AWS_ENDPOINT_URL pointing at moto, and answers as Lambda
does: 200 with the function's response, or with X-Amz-Function-Error: Unhandled and its error.
rootwatch's AWS_ENDPOINT_URL is the proxy. moto's SNS delivers the function's publish to an SQS
queue the test subscribes to the stack's topic.

moto answers EventBridge's TestEventPattern with an empty reply (it does not implement it):
deploy test says that step is skipped. One test has the proxy answer TestEventPattern instead, to
show that an answer is used when there is one.

What a user would check: the good stack passes (exit 0, every step printed, the test event's SNS
message in the queue, with RootwatchDeployTest in its subject); the rule in the plain ENABLED
state, a pattern that misses console sign-ins, the rule's target removed, the function publishing
to a topic that is not the stack's, the stack's topic deleted (the function fails), and a stack
that does not exist each fail at the step that names the fault, with exit status 1.
"""
import json
import os
import queue
import re
import shutil
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
from test_lambda import RuntimeApi  # noqa: E402  (the Lambda Runtime API server of the tests)

REGION = "us-east-1"
SECRET = "rw-deploy-test-secret-key-do-not-print"
STEPS = ["stack", "rule", "pattern", "eventbridge", "state", "function", "target", "permission",
         "invoke"]
INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
ALL_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


class LambdaProxy(awsfake.FaultServer):
    """Forwards everything to moto except Lambda's Invoke, which runs the unzipped package's
    bootstrap (a cold start per invocation) against a RuntimeApi. .invocations lists (function,
    event, result) of each; .test_event_pattern, when set, answers EventBridge's TestEventPattern
    instead of moto (a callable req -> (status, headers, body))."""

    def __init__(self, moto, task_root, tmp):
        super().__init__(default=self._route)
        self.moto, self.task_root, self.tmp = moto, task_root, tmp
        self.invocations = []
        self.logs = []
        self.test_event_pattern = None

    def _route(self, req):
        m = INVOKE.match(req.url_path)
        if req.method == "POST" and m:
            return self._invoke(m.group(1), req)
        if self.test_event_pattern and req.header("x-amz-target") == "AWSEvents.TestEventPattern":
            return self.test_event_pattern(req)
        return self._proxy(self.moto.url, req)

    def _environment(self, name, api):
        lam = self.moto.boto3_client("lambda", REGION)
        cfg = lam.get_function_configuration(FunctionName=name)
        env = dict(cfg.get("Environment", {}).get("Variables", {}))
        env.update(self.moto.env(REGION))  # the function's role: moto's dummy keys
        env.update(AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % api.port, LAMBDA_TASK_ROOT=self.task_root,
                   AWS_LAMBDA_FUNCTION_NAME=cfg["FunctionName"], AWS_MAX_ATTEMPTS="2",
                   ROOTWATCH_STORE=os.path.join(self.tmp, uuid.uuid4().hex, "rootwatch.db"))
        return awsfake.clean_aws_env(env)

    def _invoke(self, name, req):
        with RuntimeApi() as api:
            log = tempfile.TemporaryFile()
            p = subprocess.Popen([os.path.join(self.task_root, "bootstrap")],
                                 env=self._environment(name, api), stdout=subprocess.DEVNULL,
                                 stderr=log)
            try:
                result = self._run(api, p, req.body)
            finally:
                if p.poll() is None:
                    p.kill()
                p.wait(10)
                log.seek(0)
                self.logs.append(log.read().decode("utf-8", "replace"))
                log.close()
        self.invocations.append((name, json.loads(req.body), result))
        kind, body, _ = result
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
        if kind != "response":
            headers["X-Amz-Function-Error"] = "Unhandled"
        return 200, headers, json.dumps(body, separators=(",", ":"))  # as the function wrote it

    @staticmethod
    def _run(api, p, event):
        """Hands the event to the function: ("response"|"error", body, error type), as
        RuntimeApi.invoke, or the init error / the exit as Lambda reports them."""
        rid = str(uuid.uuid4())
        api.pending.put((rid, event, int(time.time() * 1000) + 30000,
                         "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"))
        deadline = time.monotonic() + 60
        with api.done:
            while rid not in api.results:
                if api.init_errors:
                    etype, body = api.init_errors[0]
                    return "error", body, etype
                if p.poll() is not None:
                    return "error", {"errorType": "Runtime.ExitError",
                                     "errorMessage": "the runtime exited with status %d" % p.returncode}, None
                if time.monotonic() > deadline:
                    raise AssertionError("the function did not answer within 60 s")
                api.done.wait(0.2)
            return api.results[rid]


@unittest.skipUnless(awsfake.MotoServer.available(),
                     "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
@unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed: the stack cannot be made")
class DeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("unzip") is None:
            raise unittest.SkipTest("unzip is not installed (scripts/deps.sh test): the package "
                                    "cannot be unzipped to run its bootstrap")
        cls.tmp = tempfile.mkdtemp(prefix="rw-deploy-test-")
        zip_path = os.path.join(cls.tmp, "rootwatch-lambda.zip")
        p = rwtest.run(["package", "-o", zip_path, "-q"], timeout=300)
        assert p.returncode == 0, p.stderr_text
        with open(zip_path, "rb") as f:
            cls.package = f.read()
        cls.task_root = os.path.join(cls.tmp, "task")
        subprocess.run(["unzip", "-q", zip_path, "-d", cls.task_root], check=True)
        p = rwtest.run(["deploy", "template", "--format", "json"])
        assert p.returncode == 0, p.stderr_text
        cls.template = p.stdout_text
        cls.moto = awsfake.MotoServer().start()
        cls.proxy = LambdaProxy(cls.moto, cls.task_root, cls.tmp).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.moto.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.moto.reset()
        self.proxy.invocations.clear()
        self.proxy.logs.clear()
        self.proxy.test_event_pattern = None
        s3 = self.moto.boto3_client("s3", REGION)
        s3.create_bucket(Bucket="rootwatch-packages")
        s3.put_object(Bucket="rootwatch-packages", Key="lambda/rootwatch-lambda.zip", Body=self.package)
        self.resources, self.outputs = self.create_stack("rootwatch")
        self.events = self.moto.boto3_client("events", REGION)
        self.rule = self.resources["RootActivityRule"]
        self.sqs = self.moto.boto3_client("sqs", REGION)
        self.queue = self.sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=self.queue,
                                             AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.moto.boto3_client("sns", REGION).subscribe(TopicArn=self.outputs["TopicArn"],
                                                        Protocol="sqs", Endpoint=qarn)

    def tearDown(self):
        self.assertEqual(self.proxy.errors, [])
        for log in self.proxy.logs:  # the function's stderr: a sanitized build's reports too
            for mark in rwtest.SANITIZER_MARKS:
                self.assertNotIn(mark, log)

    def create_stack(self, name):
        cfn = self.moto.boto3_client("cloudformation", REGION)
        cfn.create_stack(StackName=name, TemplateBody=self.template, Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": "LambdaS3Bucket", "ParameterValue": "rootwatch-packages"},
                                     {"ParameterKey": "LambdaS3Key",
                                      "ParameterValue": "lambda/rootwatch-lambda.zip"}])
        deadline = time.monotonic() + 60
        while True:
            st = cfn.describe_stacks(StackName=name)["Stacks"][0]
            if not st["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(st["StackStatus"], "CREATE_COMPLETE", st)
        resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in
                     cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
                     if r.get("LogicalResourceId")}
        return resources, {o["OutputKey"]: o["OutputValue"] for o in st.get("Outputs", [])}

    def deploy_test(self, stack="rootwatch"):
        env = awsfake.clean_aws_env(dict(self.moto.env(REGION), AWS_ENDPOINT_URL=self.proxy.url,
                                         AWS_SECRET_ACCESS_KEY=SECRET, AWS_MAX_ATTEMPTS="2"))
        p = rwtest.run(["deploy", "test", "--stack", stack], env=env, timeout=300)
        for text in (p.stdout_text, p.stderr_text):
            self.assertNotIn(SECRET, text)
        return p

    def steps(self, p):
        """{step: (status, text)} of the step lines, checking that they come in order."""
        out, order = {}, []
        for line in p.stdout_text.splitlines():
            m = re.match(r"^(OK|FAIL|SKIP) +(\w+) +(.*)$", line)
            if m:
                out[m.group(2)] = (m.group(1), m.group(3))
                order.append(m.group(2))
        self.assertEqual(order, STEPS[:len(order)], p.stdout_text)
        return out

    def fails_at(self, p, step):
        """deploy test stopped at step, with exit status 1, having passed the ones before."""
        self.assertEqual(p.returncode, 1, p.stdout_text + p.stderr_text)
        got = self.steps(p)
        self.assertEqual(list(got), STEPS[:STEPS.index(step) + 1], p.stdout_text)
        self.assertEqual(got[step][0], "FAIL", p.stdout_text)
        for before in STEPS[:STEPS.index(step)]:
            self.assertIn(got[before][0], ("OK", "SKIP"), p.stdout_text)
        self.assertIn("failed at step %s" % step, p.stderr_text)
        return got[step][1]

    def received(self, wait=5):
        out = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            r = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
            if out:
                break
        return out

    def test_the_stack_passes(self):
        p = self.deploy_test()
        self.assertEqual(p.returncode, 0, p.stdout_text + p.stderr_text)
        got = self.steps(p)
        self.assertEqual(list(got), STEPS)
        self.assertEqual({s for s, (status, _) in got.items() if status != "OK"}, {"eventbridge"})
        # moto does not implement TestEventPattern: skipped, saying why
        self.assertEqual(got["eventbridge"][0], "SKIP")
        self.assertIn("moto", got["eventbridge"][1])
        # each line names what was read, with ARNs
        rule_arn = self.events.describe_rule(Name=self.rule)["Arn"]
        fn_arn = self.outputs["FunctionArn"]
        self.assertIn(self.resources["RootActivityRule"], got["stack"][1])
        self.assertIn(self.outputs["TopicArn"], got["stack"][1])
        self.assertIn(rule_arn, got["rule"][1])
        self.assertIn("root console sign-in", got["pattern"][1])
        self.assertIn(ALL_EVENTS, got["state"][1])
        self.assertIn(fn_arn, got["function"][1])
        self.assertIn(fn_arn, got["target"][1])
        self.assertIn(rule_arn, got["permission"][1])
        self.assertIn("every step passed", p.stdout_text)
        # the function really ran (the package's bootstrap), on the marked test event
        self.assertEqual(len(self.proxy.invocations), 1, self.proxy.logs)
        name, event, (kind, body, _) = self.proxy.invocations[0]
        self.assertEqual(name, "rootwatch-root-activity")
        self.assertEqual(kind, "response", self.proxy.logs)
        self.assertEqual({k: body.get(k) for k in ("records", "alerts", "published", "duplicates")},
                         {"records": 1, "alerts": 1, "published": 1, "duplicates": 0}, body)
        self.assertRegex(event["detail"]["eventID"], r"^rootwatch-deploy-test-\d+-\d+$")
        self.assertEqual(event["detail"]["userIdentity"]["type"], "Root")
        self.assertIn(event["detail"]["eventID"], got["invoke"][1])
        self.assertIn('"published":1', got["invoke"][1])
        # and the subscriber got it: the test is visible as one
        msgs = self.received()
        self.assertEqual(len(msgs), 1, msgs)
        self.assertEqual(msgs[0]["TopicArn"], self.outputs["TopicArn"])
        self.assertIn('"RootwatchDeployTest"', msgs[0]["Subject"])
        alert = json.loads(msgs[0]["Message"])
        self.assertIn(event["detail"]["eventID"], json.dumps(alert))

    def test_plain_enabled_state_fails(self):
        rule = self.events.describe_rule(Name=self.rule)
        self.events.put_rule(Name=self.rule, EventPattern=rule["EventPattern"], State="ENABLED")
        self.assertEqual(self.events.describe_rule(Name=self.rule)["State"], "ENABLED")
        text = self.fails_at(self.deploy_test(), "state")
        self.assertIn("ENABLED", text)
        self.assertIn("misses root read-only calls", text)
        self.assertEqual(self.proxy.invocations, [])

    def test_disabled_rule_fails(self):
        self.events.disable_rule(Name=self.rule)
        text = self.fails_at(self.deploy_test(), "state")
        self.assertIn("DISABLED", text)

    def test_a_pattern_that_misses_sign_ins_fails(self):
        pattern = json.loads(self.events.describe_rule(Name=self.rule)["EventPattern"])
        pattern["detail-type"] = ["AWS API Call via CloudTrail"]
        self.events.put_rule(Name=self.rule, EventPattern=json.dumps(pattern), State=ALL_EVENTS)
        text = self.fails_at(self.deploy_test(), "pattern")
        self.assertIn("misses root console sign-in", text)
        self.assertNotIn("write API call", text)
        self.assertNotIn("must not", text)

    def test_a_pattern_that_lets_services_through_fails(self):
        self.events.put_rule(Name=self.rule, State=ALL_EVENTS, EventPattern=json.dumps(
            {"detail": {"userIdentity": {"type": ["Root"]}}}))
        text = self.fails_at(self.deploy_test(), "pattern")
        self.assertIn("delivers what it must not: root call invoked by an AWS service", text)
        self.assertNotIn("misses", text)

    def test_eventbridge_answers_are_used(self):
        # a TestEventPattern that says every event matches: the IAM user's and the service's calls
        # must not, so the step fails on EventBridge's word (rootwatch's matcher passed)
        def always(req):
            return 200, {"Content-Type": "application/x-amz-json-1.1"}, {"Result": True}
        self.proxy.test_event_pattern = always
        text = self.fails_at(self.deploy_test(), "eventbridge")
        self.assertIn("EventBridge TestEventPattern", text)
        self.assertIn("IAM user API call", text)
        self.assertIn("root call invoked by an AWS service", text)
        # and one that does not know the operation: skipped, and the rest goes on
        def unknown(req):
            return 400, {"Content-Type": "application/x-amz-json-1.1"}, {
                "__type": "UnknownOperationException", "message": "Unknown operation"}
        self.proxy.test_event_pattern = unknown
        p = self.deploy_test()
        self.assertEqual(p.returncode, 0, p.stdout_text + p.stderr_text)
        self.assertEqual(self.steps(p)["eventbridge"][0], "SKIP")
        self.assertIn("UnknownOperationException", self.steps(p)["eventbridge"][1])

    def test_removed_target_fails(self):
        targets = self.events.list_targets_by_rule(Rule=self.rule)["Targets"]
        self.assertEqual(len(targets), 1)
        self.events.remove_targets(Rule=self.rule, Ids=[t["Id"] for t in targets])
        text = self.fails_at(self.deploy_test(), "target")
        self.assertIn("has no target", text)
        self.assertEqual(self.proxy.invocations, [])

    def test_removed_permission_fails(self):
        lam = self.moto.boto3_client("lambda", REGION)
        policy = json.loads(lam.get_policy(FunctionName="rootwatch-root-activity")["Policy"])
        self.assertEqual(len(policy["Statement"]), 1)
        # a permission for another rule does not do
        lam.add_permission(FunctionName="rootwatch-root-activity", StatementId="other-rule",
                           Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                           SourceArn="arn:aws:events:%s:123456789012:rule/other" % REGION)
        lam.remove_permission(FunctionName="rootwatch-root-activity",
                              StatementId=policy["Statement"][0]["Sid"])
        text = self.fails_at(self.deploy_test(), "permission")
        self.assertIn("no statement of its resource policy", text)
        # and none at all
        lam.remove_permission(FunctionName="rootwatch-root-activity", StatementId="other-rule")
        text = self.fails_at(self.deploy_test(), "permission")
        self.assertIn("has no resource policy: EventBridge may not invoke it", text)
        self.assertEqual(self.proxy.invocations, [])

    def test_function_publishing_elsewhere_fails(self):
        lam = self.moto.boto3_client("lambda", REGION)
        env = lam.get_function_configuration(FunctionName="rootwatch-root-activity")["Environment"]
        other = self.outputs["TopicArn"] + "-gone"
        env["Variables"]["SNS_TOPIC_ARN"] = other
        lam.update_function_configuration(FunctionName="rootwatch-root-activity", Environment=env)
        text = self.fails_at(self.deploy_test(), "function")
        self.assertIn(other, text)
        self.assertIn("not to the stack's topic", text)

    def test_failing_function_fails(self):
        # the stack's topic is gone: the function runs, and SNS refuses its publish
        self.moto.boto3_client("sns", REGION).delete_topic(TopicArn=self.outputs["TopicArn"])
        text = self.fails_at(self.deploy_test(), "invoke")
        self.assertEqual(len(self.proxy.invocations), 1)
        self.assertEqual(self.proxy.invocations[0][2][0], "error", self.proxy.logs)
        self.assertIn("rootwatch.PublishFailed", text)
        self.assertIn("rootwatch-deploy-test-", text)

    def test_missing_stack_fails(self):
        text = self.fails_at(self.deploy_test("no-such-stack"), "stack")
        self.assertIn("no-such-stack", text)
        self.assertIn("does not exist", text)
        self.assertEqual(self.proxy.invocations, [])

class Usage(unittest.TestCase):
    def test_usage(self):
        p = rwtest.run(["deploy", "test"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--stack", p.stderr_text)
        p = rwtest.run(["deploy", "test", "--stack", "x", "extra"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("unexpected argument 'extra'", p.stderr_text)
        p = rwtest.run(["deploy", "test", "--help"])
        self.assertEqual(p.returncode, 0)
        for step in STEPS:
            self.assertIn(step, p.stdout_text)
        self.assertIn("test", rwtest.run(["deploy", "--help"]).stdout_text)


if __name__ == "__main__":
    rwtest.main()

"""rootwatch deploy template (issue 12): both variants in both formats parse to the same tree, with
intrinsic functions in their long forms only; cfn-lint finds no error in them; the rule's pattern
matches what rootwatch's built-in rules alert on (canonical root sign-in, write and read-only events)
and nothing else; the function's role allows exactly the listed actions; the parameters and their
defaults. Then moto's CloudFormation creates the hub stack (and a forwarder), and the rule's pattern
and state, the role's policy, the topic's key and the function's settings read back as the template
says. moto has no CloudFormation support for AWS::SNS::Subscription: the stack still completes and
the test says so; the subscriptions are checked in the template instead."""
import ast
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import awsfake
import rwtest

ACCOUNT = "111122223333"

try:
    import yaml
except ImportError:  # PyYAML comes with the test packages; without it the YAML checks are skipped
    yaml = None

HUB_PARAMETERS = {  # name: default (None: no default, the user must give it)
    "SNSTopicName": "rootwatch-root-activity",
    "SNSSubscriptions": "",
    "LambdaTimeout": 30,
    "LambdaS3Bucket": None,
    "LambdaS3Key": "rootwatch-lambda.zip",
    "LambdaArchitecture": "x86_64",
    "IdempotencyTable": "create",
    "FunctionName": "rootwatch-root-activity",
    "LogRetentionInDays": 365,
}

FUNCTION_ACTIONS = {"sns:Publish", "iam:ListAccountAliases", "dynamodb:PutItem", "dynamodb:DeleteItem",
                    "sqs:SendMessage", "logs:CreateLogStream", "logs:PutLogEvents"}


def template(variant="hub", fmt="json"):
    p = rwtest.run(["deploy", "template", "--variant", variant, "--format", fmt])
    assert p.returncode == 0, p.stderr_text
    return p.stdout_text


def parsed(variant="hub"):
    return json.loads(template(variant, "json"))


def statements(role):
    """The statements of a role's inline policies, with Fn::If resolved to its first branch (the
    condition true: the idempotency table created)."""
    out = []
    for pol in role["Properties"]["Policies"]:
        for st in pol["PolicyDocument"]["Statement"]:
            if "Fn::If" in st:
                st = st["Fn::If"][1]
            out.append(st)
    return out


def policy_document(doc):
    """A role policy as GetRolePolicy answers it: a dict (boto3 decodes the URL-encoded JSON), or
    text. moto (5.x) keeps the policy its CloudFormation resolved as Python's repr of the dict, not
    JSON, so that form is read too."""
    if not isinstance(doc, dict):
        try:
            doc = json.loads(doc)
        except ValueError:
            doc = ast.literal_eval(doc)
    # moto leaves an Fn::If that gives AWS::NoValue in a list as null; CloudFormation drops it
    doc["Statement"] = [st for st in doc["Statement"] if st is not None]
    return doc


def actions_of(sts):
    acts = set()
    for st in sts:
        a = st["Action"]
        acts.update([a] if isinstance(a, str) else a)
    return acts


DETAIL_TYPE = {"AwsApiCall": "AWS API Call via CloudTrail",
               "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
               "AwsConsoleAction": "AWS Console Action via CloudTrail",
               "AwsServiceEvent": "AWS Service Event via CloudTrail"}


def event(rec):
    """The EventBridge event CloudTrail's record arrives as."""
    return {"version": "0", "id": "6f1e2d3c-0000-4000-8000-" + rec["eventID"][-12:].rjust(12, "0"),
            "detail-type": DETAIL_TYPE.get(rec.get("eventType"), "AWS API Call via CloudTrail"),
            "source": "aws." + rec["eventSource"].split(".")[0], "account": ACCOUNT,
            "time": rec["eventTime"], "region": rec["awsRegion"], "resources": [], "detail": rec}


def rec(eid, who="root", **kw):
    return rwtest.record(eid, who=who, account=ACCOUNT, **kw)


# What each case is, and whether EventBridge must deliver it to rootwatch.
CASES = [
    ("root console sign-in", True,
     rec("00000000-0000-4000-8000-000000000001", source="signin.amazonaws.com", name="ConsoleLogin",
         eventType="AwsConsoleSignIn", requestParameters=None,
         responseElements={"ConsoleLogin": "Success"}, readOnly=None)),
    ("root failed console sign-in", True,
     rec("00000000-0000-4000-8000-000000000002", source="signin.amazonaws.com", name="ConsoleLogin",
         eventType="AwsConsoleSignIn", responseElements={"ConsoleLogin": "Failure"},
         readOnly=None)),
    ("root password recovery", True,
     rec("00000000-0000-4000-8000-000000000003", source="signin.amazonaws.com",
         name="PasswordRecoveryRequested", eventType="AwsConsoleSignIn", readOnly=None)),
    ("root write (access key)", True,
     rec("00000000-0000-4000-8000-000000000004", name="CreateUser")),
    ("root read-only call", True,
     rec("00000000-0000-4000-8000-000000000005", source="ec2.amazonaws.com", name="DescribeInstances",
         readOnly=True, requestParameters={})),
    ("root call through the console", True,
     rec("00000000-0000-4000-8000-000000000006", source="s3.amazonaws.com", name="ListBuckets",
         readOnly=True, userIdentity={"type": "Root", "accountId": ACCOUNT, "principalId": ACCOUNT,
                                      "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                                      "invokedBy": "signin.amazonaws.com"})),
    ("root console action", True,
     rec("00000000-0000-4000-8000-000000000007", source="health.amazonaws.com",
         name="DescribeEventAggregates", eventType="AwsConsoleAction", readOnly=True)),
    ("root call without eventType", True,
     rec("00000000-0000-4000-8000-000000000008", name="DeleteUser", eventType=None)),
    ("IAM user write", False,
     rec("00000000-0000-4000-8000-000000000009", who="user", name="CreateUser")),
    ("assumed role read-only", False,
     rec("00000000-0000-4000-8000-00000000000a", who="role", name="ListUsers", readOnly=True)),
    ("root call invoked by a service", False,
     rec("00000000-0000-4000-8000-00000000000b", source="autoscaling.amazonaws.com",
         name="CreateServiceLinkedRole",
         userIdentity={"type": "Root", "accountId": ACCOUNT, "principalId": ACCOUNT,
                       "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                       "invokedBy": "autoscaling.amazonaws.com"})),
    ("root AwsServiceEvent", False,
     rec("00000000-0000-4000-8000-00000000000c", source="sts.amazonaws.com", name="AssumeRole",
         eventType="AwsServiceEvent")),
]


class TemplateText(unittest.TestCase):
    def test_both_formats_parse_to_the_same_tree(self):
        if yaml is None:
            self.skipTest("PyYAML is not installed: the YAML form is not checked")
        for variant in ("hub", "forwarder"):
            with self.subTest(variant=variant):
                text = template(variant, "yaml")
                self.assertTrue(text.startswith("# rootwatch"), text[:100])
                # safe_load refuses tags: !Ref and friends would fail here
                self.assertEqual(yaml.safe_load(text), parsed(variant))
                self.assertIsNone(re.search(r"(^|[\s:-])!\w", text), "a short-form tag in the YAML")
                self.assertNotIn("\t", text)

    def test_json_is_the_default_tree_and_long_forms_only(self):
        for variant in ("hub", "forwarder"):
            t = parsed(variant)
            self.assertEqual(t["AWSTemplateFormatVersion"], "2010-09-09")
            text = json.dumps(t)
            self.assertNotIn("!Ref", text)
            self.assertNotIn("!GetAtt", text)
            self.assertNotIn("!Sub", text)

    def test_yaml_is_the_default_format(self):
        p = rwtest.run(["deploy", "template"])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(p.stdout_text, template("hub", "yaml"))

    def test_cfn_lint_finds_no_error(self):
        exe = shutil.which("cfn-lint")
        if exe is None:
            self.skipTest("cfn-lint is not on PATH (pip install cfn-lint): the templates are not linted")
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for variant in ("hub", "forwarder"):
                for fmt in ("yaml", "json"):
                    path = os.path.join(d, "%s.%s" % (variant, fmt))
                    with open(path, "w") as f:
                        f.write(template(variant, fmt))
                    paths.append(path)
            p = subprocess.run([exe] + paths, capture_output=True, text=True, timeout=300)
            # exit status: a bit mask, 2 errors, 4 warnings, 8 informational
            self.assertEqual(p.returncode & 2, 0, p.stdout + p.stderr)
            self.assertEqual(p.returncode, 0, "cfn-lint warned:\n" + p.stdout + p.stderr)

    def test_output_file_and_usage_errors(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "hub.json")
            p = rwtest.run(["deploy", "template", "--format", "json", "-o", out])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertEqual(p.stdout_text, "")
            with open(out) as f:
                self.assertEqual(json.load(f), parsed("hub"))
            p = rwtest.run(["deploy", "template", "-o", os.path.join(d, "no", "such", "dir")])
            self.assertEqual(p.returncode, 2)
            self.assertIn("no/such/dir", p.stderr_text)
        for args, says in ((["--format", "xml"], "yaml or json"), (["--variant", "spoke"], "hub or forwarder"),
                           (["--bogus"], "--bogus"), (["extra"], "extra")):
            p = rwtest.run(["deploy", "template"] + args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(says, p.stderr_text)
            self.assertIn("rootwatch deploy template --help", p.stderr_text)
        p = rwtest.run(["deploy", "nonsense"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("template", p.stderr_text)
        p = rwtest.run(["deploy", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("template", p.stdout_text)
        p = rwtest.run(["deploy", "template", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("--variant", p.stdout_text)


class Pattern(unittest.TestCase):
    def matches(self, pattern, ev):
        p = rwtest.run(["test-pattern", "--event-pattern", json.dumps(pattern), "--event", json.dumps(ev)])
        self.assertIn(p.returncode, (0, 1), p.stderr_text)
        return p.returncode == 0

    def test_the_rule_matches_root_activity_and_nothing_else(self):
        for variant in ("hub", "forwarder"):
            rule = parsed(variant)["Resources"]["RootActivityRule"]["Properties"]
            self.assertEqual(rule["State"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
            for what, expected, r in CASES:
                with self.subTest(variant=variant, case=what):
                    self.assertEqual(self.matches(rule["EventPattern"], event(r)), expected)

    def test_the_rule_delivers_exactly_what_scan_alerts_on(self):
        """The pattern is the union of rootwatch's built-in rules: for every case, EventBridge
        delivers the event exactly when rootwatch scan alerts on it."""
        pattern = parsed()["Resources"]["RootActivityRule"]["Properties"]["EventPattern"]
        events = [event(r) for _, _, r in CASES]
        p = rwtest.run(["scan", "--format", "ndjson", "-"],
                       stdin="".join(json.dumps(e) + "\n" for e in events).encode())
        self.assertIn(p.returncode, (0, 1), p.stderr_text)
        alerted = {a["eventID"] for a in rwtest.ndjson(p.stdout_text)}
        for (what, expected, r), ev in zip(CASES, events):
            with self.subTest(case=what):
                self.assertEqual(r["eventID"] in alerted, expected, "scan")
                self.assertEqual(self.matches(pattern, ev), expected, "the rule's pattern")


class Resources(unittest.TestCase):
    def test_parameters_and_defaults(self):
        params = parsed("hub")["Parameters"]
        self.assertEqual(set(params), set(HUB_PARAMETERS))
        for name, default in HUB_PARAMETERS.items():
            with self.subTest(parameter=name):
                if default is None:
                    self.assertNotIn("Default", params[name])
                else:
                    self.assertEqual(params[name]["Default"], default)
        self.assertEqual(params["LambdaArchitecture"]["AllowedValues"], ["x86_64", "arm64"])
        self.assertEqual(params["IdempotencyTable"]["AllowedValues"], ["create", "none"])
        self.assertEqual(params["LambdaTimeout"]["Type"], "Number")
        fwd = parsed("forwarder")["Parameters"]
        self.assertEqual(fwd, {"HubRegion": fwd["HubRegion"]})
        self.assertEqual(fwd["HubRegion"]["Default"], "us-east-1")

    def test_subscriptions_pattern(self):
        pat = re.compile(parsed("hub")["Parameters"]["SNSSubscriptions"]["AllowedPattern"])
        ok = ["", "a@example.com", "a@example.com,b@example.org",
              ",".join("u%d@example.com" % i for i in range(10))]
        bad = ["a@example.com, b@example.com", "a@example.com,", "not-an-address",
               ",".join("u%d@example.com" % i for i in range(11))]
        for s in ok:
            self.assertTrue(pat.fullmatch(s), s)
        for s in bad:
            self.assertFalse(pat.fullmatch(s), s)

    def test_subscription_conditions(self):
        """The conditions and endpoints of the subscriptions, evaluated as CloudFormation does for
        a few values of SNSSubscriptions: one subscription per address, none for an empty value."""
        t = parsed("hub")

        def ev(x, value):
            if isinstance(x, list):
                return [ev(i, value) for i in x]
            if not isinstance(x, dict):
                return x
            (fn, arg), = x.items()
            if fn == "Ref":
                return {"SNSSubscriptions": value, "IdempotencyTable": "create"}[arg]
            if fn == "Condition":
                return ev(t["Conditions"][arg], value)
            a = ev(arg, value)
            if fn == "Fn::Join":
                return a[0].join(a[1])
            if fn == "Fn::Split":
                return a[1].split(a[0])
            if fn == "Fn::Select":
                return a[1][int(a[0])]
            if fn == "Fn::Equals":
                return a[0] == a[1]
            if fn == "Fn::Not":
                return not a[0]
            raise AssertionError("unexpected function " + fn)

        addrs = ["u%d@example.com" % i for i in range(10)]
        for value, want in (("", []), ("a@example.com", ["a@example.com"]),
                            ("a@example.com,b@example.org", ["a@example.com", "b@example.org"]),
                            (",".join(addrs), addrs)):
            with self.subTest(value=value):
                got = [ev(r["Properties"]["Endpoint"], value) for r in t["Resources"].values()
                       if r.get("Condition", "").startswith("HasSubscription")
                       and ev(t["Conditions"][r["Condition"]], value)]
                self.assertEqual(got, want)

    def test_function_role_allows_exactly_the_listed_actions(self):
        t = parsed("hub")
        res = t["Resources"]
        role = res["FunctionRole"]
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual([s["Principal"] for s in trust], [{"Service": "lambda.amazonaws.com"}])
        sts = statements(role)
        self.assertEqual(actions_of(sts), FUNCTION_ACTIONS)
        by_action = {a: s for s in sts for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        self.assertTrue(all(s["Effect"] == "Allow" for s in sts))
        self.assertEqual(by_action["sns:Publish"]["Resource"], {"Ref": "Topic"})
        self.assertEqual(by_action["iam:ListAccountAliases"]["Resource"], "*")  # no resource-level form
        self.assertEqual(by_action["dynamodb:PutItem"]["Resource"], {"Fn::GetAtt": ["ClaimTable", "Arn"]})
        self.assertEqual(by_action["sqs:SendMessage"]["Resource"], {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]})
        self.assertEqual(by_action["logs:PutLogEvents"]["Resource"], {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]})
        # the table's statement only when the table is created
        raw = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        conditional = [s for s in raw if "Fn::If" in s]
        self.assertEqual(len(conditional), 1)
        self.assertEqual(conditional[0]["Fn::If"][0], "CreateIdempotencyTable")
        self.assertEqual(conditional[0]["Fn::If"][2], {"Ref": "AWS::NoValue"})
        # the forwarder's role: PutEvents on the hub's bus, nothing else
        fwd = parsed("forwarder")["Resources"]["ForwarderRole"]
        self.assertEqual(actions_of(statements(fwd)), {"events:PutEvents"})
        self.assertEqual(fwd["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
                         {"Service": "events.amazonaws.com"})

    def test_hub_resources(self):
        t = parsed("hub")
        res = t["Resources"]
        self.assertEqual(res["Topic"]["Properties"]["KmsMasterKeyId"], "alias/aws/sns")
        subs = [k for k, v in res.items() if v["Type"] == "AWS::SNS::Subscription"]
        self.assertEqual(len(subs), 10)
        for i, name in enumerate(sorted(subs, key=lambda s: int(s[len("Subscription"):]))):
            sub = res[name]
            self.assertEqual(sub["Condition"], "HasSubscription%d" % (i + 1))
            self.assertIn(sub["Condition"], t["Conditions"])
            self.assertEqual(sub["Properties"]["Protocol"], "email")
            self.assertEqual(sub["Properties"]["Endpoint"]["Fn::Select"][0], i)
        fn = res["Function"]["Properties"]
        self.assertEqual(fn["Runtime"], "provided.al2023")
        self.assertEqual(fn["Handler"], "bootstrap")
        self.assertEqual(fn["Architectures"], [{"Ref": "LambdaArchitecture"}])
        self.assertEqual(fn["Code"], {"S3Bucket": {"Ref": "LambdaS3Bucket"}, "S3Key": {"Ref": "LambdaS3Key"}})
        self.assertEqual(fn["Timeout"], {"Ref": "LambdaTimeout"})
        self.assertEqual(fn["DeadLetterConfig"], {"TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}})
        env = fn["Environment"]["Variables"]
        self.assertEqual(env["SNS_TOPIC_ARN"], {"Ref": "Topic"})
        self.assertEqual(env["IDEMPOTENCY_TABLE"],
                         {"Fn::If": ["CreateIdempotencyTable", {"Ref": "ClaimTable"}, {"Ref": "AWS::NoValue"}]})
        self.assertEqual(res["ClaimTable"]["Condition"], "CreateIdempotencyTable")
        logs = res["FunctionLogGroup"]["Properties"]
        self.assertEqual(logs["LogGroupName"], {"Fn::Sub": "/aws/lambda/${FunctionName}"})
        self.assertEqual(logs["RetentionInDays"], {"Ref": "LogRetentionInDays"})
        self.assertIn("FunctionLogGroup", res["Function"]["DependsOn"])
        rule = res["RootActivityRule"]["Properties"]
        self.assertEqual(rule["Targets"][0]["Arn"], {"Fn::GetAtt": ["Function", "Arn"]})
        perm = res["RuleInvokesFunction"]["Properties"]
        self.assertEqual(perm["Principal"], "events.amazonaws.com")
        self.assertEqual(perm["Action"], "lambda:InvokeFunction")
        self.assertEqual(perm["SourceArn"], {"Fn::GetAtt": ["RootActivityRule", "Arn"]})
        self.assertLessEqual({"TopicArn", "FunctionArn", "RuleArn"}, set(t["Outputs"]))

    def test_forwarder_resources(self):
        t = parsed("forwarder")
        self.assertEqual(set(t["Resources"]), {"ForwarderRole", "RootActivityRule", "NothingInTheHubRegion"})
        target = t["Resources"]["RootActivityRule"]["Properties"]["Targets"][0]
        self.assertEqual(target["Arn"], {"Fn::Sub": "arn:${AWS::Partition}:events:${HubRegion}:${AWS::AccountId}:event-bus/default"})
        self.assertEqual(target["RoleArn"], {"Fn::GetAtt": ["ForwarderRole", "Arn"]})
        self.assertEqual(t["Resources"]["RootActivityRule"]["Properties"]["EventPattern"],
                         parsed("hub")["Resources"]["RootActivityRule"]["Properties"]["EventPattern"])
        # nothing in the hub's own region, where the rule would send the bus's events back to it,
        # but a handle that does nothing (a stack must have a resource)
        self.assertEqual(t["Conditions"], {
            "TheHubRegion": {"Fn::Equals": [{"Ref": "HubRegion"}, {"Ref": "AWS::Region"}]},
            "NotTheHubRegion": {"Fn::Not": [{"Condition": "TheHubRegion"}]}})
        self.assertEqual({k: r["Condition"] for k, r in t["Resources"].items()},
                         {"ForwarderRole": "NotTheHubRegion", "RootActivityRule": "NotTheHubRegion",
                          "NothingInTheHubRegion": "TheHubRegion"})
        self.assertEqual(t["Resources"]["NothingInTheHubRegion"]["Type"],
                         "AWS::CloudFormation::WaitConditionHandle")


@unittest.skipUnless(awsfake.MotoServer.available() and awsfake.boto3_available(),
                     "moto_server or boto3 is absent: the stack is not created in moto (%s)"
                     % (awsfake.MotoServer.why_unavailable() or "no boto3"))
class InMoto(unittest.TestCase):
    """The hub stack created by moto's CloudFormation and read back through each service."""

    @classmethod
    def setUpClass(cls):
        # the function's code: the package rootwatch package writes, as a user uploads it (moto
        # runs no custom runtime, so any zip would do; the real one shows the two commands agree)
        cls.tmp = tempfile.mkdtemp(prefix="rw-deploy-")
        path = os.path.join(cls.tmp, "rootwatch-lambda.zip")
        p = rwtest.run(["package", "-o", path], timeout=300)
        if p.returncode == 0:
            with open(path, "rb") as f:
                cls.package = f.read()
        else:
            print("\nnote: rootwatch package failed (%s): a minimal zip stands for it"
                  % p.stderr_text.strip()[-300:], file=sys.stderr)
            cls.package = b"PK\x05\x06" + b"\0" * 18
        cls.moto = awsfake.MotoServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.moto.reset()
        s3 = self.moto.boto3_client("s3")
        s3.create_bucket(Bucket="rootwatch-packages")
        s3.put_object(Bucket="rootwatch-packages", Key="lambda/rootwatch-lambda.zip", Body=self.package)

    def moto_gap(self, actual, expected, what):
        """A property moto's CloudFormation does not implement: equal when it does, else a note."""
        if actual != expected:
            print("\nnote: moto's CloudFormation does not set the function's %s (got %r, the "
                  "template says %r): checked in the template only" % (what, actual, expected),
                  file=sys.stderr)

    def create(self, name, variant, params, region="us-east-1"):
        cfn = self.moto.boto3_client("cloudformation", region)
        cfn.create_stack(StackName=name, TemplateBody=template(variant, "json"),
                         Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        deadline = time.monotonic() + 60
        while True:
            st = cfn.describe_stacks(StackName=name)["Stacks"][0]
            if not st["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(st["StackStatus"], "CREATE_COMPLETE", "%s\n%s" % (st, self.moto.log()[-3000:]))
        resources = {r["LogicalResourceId"]: r for r in
                     cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
        outputs = {o["OutputKey"]: o["OutputValue"] for o in st.get("Outputs", [])}
        return resources, outputs

    def test_hub_stack(self):
        pattern = parsed()["Resources"]["RootActivityRule"]["Properties"]["EventPattern"]
        resources, outputs = self.create("rootwatch", "hub", {
            "LambdaS3Bucket": "rootwatch-packages", "LambdaS3Key": "lambda/rootwatch-lambda.zip",
            "SNSSubscriptions": "alice@example.com,bob@example.org", "LambdaArchitecture": "arm64",
            "FunctionName": "rootwatch-test", "LambdaTimeout": "45"})
        # the rule: the pattern and the state as the template says
        events = self.moto.boto3_client("events")
        rule_name = resources["RootActivityRule"]["PhysicalResourceId"]
        rule = events.describe_rule(Name=rule_name)
        self.assertEqual(json.loads(rule["EventPattern"]), pattern)
        self.assertEqual(rule["State"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        self.assertEqual(outputs["RuleArn"], rule["Arn"])
        targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
        self.assertEqual([t["Arn"] for t in targets], [outputs["FunctionArn"]])
        # the topic: encrypted with the AWS managed key
        sns = self.moto.boto3_client("sns")
        attrs = sns.get_topic_attributes(TopicArn=outputs["TopicArn"])["Attributes"]
        self.assertEqual(attrs["KmsMasterKeyId"], "alias/aws/sns")
        self.assertTrue(outputs["TopicArn"].endswith(":rootwatch-root-activity"))
        # the role's policy: exactly the listed actions, on this stack's resources
        iam = self.moto.boto3_client("iam")
        role_name = resources["FunctionRole"]["PhysicalResourceId"]
        names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        self.assertEqual(names, ["rootwatch-function"])
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=names[0])["PolicyDocument"]
        doc = policy_document(doc)
        sts = doc["Statement"]
        self.assertEqual(actions_of(sts), FUNCTION_ACTIONS)
        by_sid = {s["Sid"]: s for s in sts}
        self.assertEqual(by_sid["PublishToItsTopic"]["Resource"], outputs["TopicArn"])
        self.assertEqual(by_sid["SendToItsDeadLetterQueue"]["Resource"], outputs["DeadLetterQueueArn"])
        self.assertIn(":table/", by_sid["ClaimEachAlertOnce"]["Resource"])
        self.assertIn(":log-group:/aws/lambda/rootwatch-test", by_sid["WriteItsLogGroup"]["Resource"])
        self.assertEqual(iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"], [])
        # the function
        lam = self.moto.boto3_client("lambda")
        fn = lam.get_function_configuration(FunctionName="rootwatch-test")
        self.assertEqual(fn["Runtime"], "provided.al2023")
        self.assertEqual(fn["Handler"], "bootstrap")
        self.assertEqual(fn["Timeout"], 45)
        # moto's CloudFormation (5.x) passes neither Architectures nor DeadLetterConfig on to its
        # Lambda: checked here when it does, in the template (Resources.test_hub_resources) always
        self.moto_gap(fn.get("Architectures"), ["arm64"], "Architectures")
        self.moto_gap(fn.get("DeadLetterConfig"), {"TargetArn": outputs["DeadLetterQueueArn"]},
                      "DeadLetterConfig")
        env = fn["Environment"]["Variables"]
        self.assertEqual(env["SNS_TOPIC_ARN"], outputs["TopicArn"])
        self.assertEqual(env["IDEMPOTENCY_TABLE"], resources["ClaimTable"]["PhysicalResourceId"])
        self.assertEqual(fn["FunctionArn"], outputs["FunctionArn"])
        # its code is the package in LambdaS3Bucket/LambdaS3Key
        self.assertEqual(fn["CodeSize"], len(self.package))
        self.assertEqual(fn["CodeSha256"], base64.b64encode(hashlib.sha256(self.package).digest()).decode())
        # its log group, with the retention set
        logs = self.moto.boto3_client("logs")
        groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/rootwatch-test")["logGroups"]
        self.assertEqual([(g["logGroupName"], g.get("retentionInDays")) for g in groups],
                         [("/aws/lambda/rootwatch-test", 365)])
        # the idempotency table: keyed by eventID
        ddb = self.moto.boto3_client("dynamodb")
        table = ddb.describe_table(TableName=resources["ClaimTable"]["PhysicalResourceId"])["Table"]
        self.assertEqual(table["KeySchema"], [{"AttributeName": "eventID", "KeyType": "HASH"}])
        # moto's CloudFormation does not implement AWS::SNS::Subscription (it logs "No Moto
        # CloudFormation support" and lists a blank resource for each, whatever its condition), so
        # SNS has none to list; the conditions are evaluated in Resources.test_subscription_conditions
        listed = sns.list_subscriptions_by_topic(TopicArn=outputs["TopicArn"])["Subscriptions"]
        if listed:
            self.assertEqual(sorted(s["Endpoint"] for s in listed), ["alice@example.com", "bob@example.org"])
        else:
            print("\nnote: moto's CloudFormation creates no AWS::SNS::Subscription: the email "
                  "subscriptions are checked in the template only", file=sys.stderr)

    def test_hub_stack_without_the_table(self):
        resources, outputs = self.create("rootwatch-none", "hub", {
            "LambdaS3Bucket": "rootwatch-packages", "LambdaS3Key": "lambda/rootwatch-lambda.zip",
            "IdempotencyTable": "none"})
        self.assertNotIn("ClaimTable", resources)
        iam = self.moto.boto3_client("iam")
        role_name = resources["FunctionRole"]["PhysicalResourceId"]
        doc = iam.get_role_policy(RoleName=role_name, PolicyName="rootwatch-function")["PolicyDocument"]
        doc = policy_document(doc)
        self.assertEqual(actions_of(doc["Statement"]), FUNCTION_ACTIONS - {"dynamodb:PutItem", "dynamodb:DeleteItem"})
        fn = self.moto.boto3_client("lambda").get_function_configuration(FunctionName="rootwatch-root-activity")
        self.assertNotIn("IDEMPOTENCY_TABLE", fn["Environment"]["Variables"])
        self.assertEqual(fn["Timeout"], 30)

    def test_forwarder_stack(self):
        resources, outputs = self.create("rootwatch-forwarder", "forwarder", {"HubRegion": "us-east-1"},
                                         region="eu-west-1")
        events = self.moto.boto3_client("events", "eu-west-1")
        rule_name = resources["RootActivityRule"]["PhysicalResourceId"]
        rule = events.describe_rule(Name=rule_name)
        self.assertEqual(rule["State"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        self.assertEqual(json.loads(rule["EventPattern"]),
                         parsed()["Resources"]["RootActivityRule"]["Properties"]["EventPattern"])
        targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
        self.assertEqual(len(targets), 1)
        self.assertRegex(targets[0]["Arn"], r"^arn:aws:events:us-east-1:\d{12}:event-bus/default$")
        self.assertEqual(targets[0]["Arn"], outputs["HubEventBusArn"])
        iam = self.moto.boto3_client("iam")
        role_arn = targets[0]["RoleArn"]
        role_name = role_arn.rsplit("/", 1)[1]
        doc = iam.get_role_policy(RoleName=role_name, PolicyName="rootwatch-forwarder")["PolicyDocument"]
        doc = policy_document(doc)
        self.assertEqual(actions_of(doc["Statement"]), {"events:PutEvents"})
        self.assertEqual(doc["Statement"][0]["Resource"], outputs["HubEventBusArn"])

    def test_forwarder_in_the_hub_region_creates_nothing(self):
        resources, outputs = self.create("rootwatch-forwarder", "forwarder", {"HubRegion": "us-east-1"})
        self.assertEqual(self.moto.boto3_client("events").list_rules()["Rules"], [])
        self.assertNotIn("RuleArn", outputs)
        self.assertNotIn("ForwarderRole", resources)
        self.assertEqual(self.moto.boto3_client("iam").list_roles()["Roles"], [])


if __name__ == "__main__":
    rwtest.main()

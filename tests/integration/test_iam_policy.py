"""rootwatch iam-policy: the printed policy is enough and every statement of it is needed.

moto_server runs with INITIAL_NO_AUTH_ACTION_COUNT=3: its first three requests make an
administrator (user, inline policy "*", key), and from then on moto enforces IAM policies. Each
command runs as a user whose only policy is what `rootwatch iam-policy` printed: it must work; and
with each statement taken out in turn, what that statement serves must fail (AccessDenied named,
exit 2) or, for the account alias, be visibly lost (the SNS subject names the account id).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's


def policy(*args):
    p = rwtest.run(["iam-policy"] + list(args))
    if p.returncode != 0:
        raise AssertionError("iam-policy %s: exit %d\n%s" % (args, p.returncode, p.stderr))
    return json.loads(p.stdout)


def without(doc, sid):
    return dict(doc, Statement=[s for s in doc["Statement"] if s["Sid"] != sid])


class Output(unittest.TestCase):
    """What is printed, without AWS."""

    def test_every_command_prints_a_valid_policy_without_wildcard_actions(self):
        for what in ("scan", "watch", "lambda", "deploy", "audit", "deploy-apply"):
            p = rwtest.run(["iam-policy", "--for", what])
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = json.loads(p.stdout)
            self.assertEqual(doc["Version"], "2012-10-17")
            self.assertTrue(doc["Statement"], what)
            sids = [s["Sid"] for s in doc["Statement"]]
            self.assertEqual(len(sids), len(set(sids)), what)
            for s in doc["Statement"]:
                self.assertEqual(s["Effect"], "Allow")
                for a in s["Action"]:
                    self.assertRegex(a, r"^[a-z0-9-]+:[A-Za-z]+$", (what, s))
            # nothing given: placeholders, each named on stderr with the option that fills it
            for ph in set(x for s in doc["Statement"] for r in s["Resource"]
                          for x in __import__("re").findall(r"<[a-z-]+>", r)):
                self.assertIn(ph + ":", p.stderr_text, (what, p.stderr_text))

    def test_deploy_apply_policy_is_the_calls_apply_makes(self):
        """--for deploy-apply: each AWS operation src/deploy/apply.c calls has its permission, and
        nothing more is granted but what those calls imply (the tagging action of a create that
        tags, iam:PassRole for the trail's role); reads of what may be the user's on "*", every
        change scoped to apply's own names. deploy test's statements (--for deploy) are as they
        were."""
        import re
        doc = policy("--for", "deploy-apply", "--region", "eu-west-1", "--account", "111122223333")
        granted = {a: s for s in doc["Statement"] for a in s["Action"]}
        with open(os.path.join(rwtest.REPO, "src", "deploy", "apply.c")) as f:
            src = f.read()
        service = {"cloudtrail": "cloudtrail", "logs": "logs", "events": "events",
                   "configservice": "config", "sns": "sns", "cloudwatch": "cloudwatch",
                   "iam": "iam"}
        s3 = {"HeadBucket": "s3:ListBucket", "GetBucketTagging": "s3:GetBucketTagging",
              "PutBucketTagging": "s3:PutBucketTagging", "CreateBucket": "s3:CreateBucket",
              "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
              "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
              "GetBucketEncryption": "s3:GetEncryptionConfiguration",
              "PutBucketEncryption": "s3:PutEncryptionConfiguration",
              "GetBucketPolicy": "s3:GetBucketPolicy", "PutBucketPolicy": "s3:PutBucketPolicy",
              "DeleteBucket": "s3:DeleteBucket", "DeleteObject": "s3:DeleteObject"}
        needed = set()
        for svc, op in re.findall(r"&rw_aws_(\w+),\s*(?:[\w>.-]+|NULL),\s*\"(\w+)\"", src):
            if svc == "s3":
                needed.add(s3[op])
            elif svc != "sts":
                needed.add("%s:%s" % (service[svc], op))
        for svc, op in re.findall(r"jcall\(a, [\w>.-]+, &rw_aws_(\w+), \"(\w+)\"", src):
            needed.add("%s:%s" % (service[svc], op))
        for op in s3:  # S3's operations are named in apply.c's calls and tables
            if re.search(r'"%s"' % op, src):
                needed.add(s3[op])
        needed.add("s3:DeleteObject")  # rw_aws_rest in on_object
        needed.add("s3:ListBucket")    # rw_s3_list, emptying the bucket
        self.assertGreater(len(needed), 50, sorted(needed))
        implied = {"cloudtrail:AddTags", "logs:TagResource", "iam:TagRole", "iam:PassRole",
                   "sns:TagResource", "cloudwatch:TagResource", "events:TagResource",
                   "config:TagResource"}
        self.assertEqual(sorted(set(granted) - implied), sorted(needed))
        self.assertTrue(implied <= set(granted))
        for a, s in granted.items():
            if re.search(r":(Describe|List|Get)", a) and s["Resource"] == ["*"]:
                continue
            for r in s["Resource"]:
                # a Config rule's ARN holds an id AWS gives it, not its name
                self.assertRegex(r, r"rootwatch|:config-rule/\*$", (a, r))
                self.assertNotEqual(r, "*", a)
        self.assertEqual(granted["cloudtrail:CreateTrail"]["Resource"],
                         ["arn:aws:cloudtrail:eu-west-1:111122223333:trail/rootwatch"])
        self.assertEqual(granted["s3:CreateBucket"]["Resource"],
                         ["arn:aws:s3:::rootwatch-trail-111122223333-eu-west-1"])
        self.assertEqual(granted["sns:CreateTopic"]["Resource"],
                         ["arn:aws:sns:*:111122223333:rootwatch-root-activity"])
        # deploy test's policy is untouched
        self.assertEqual([s["Sid"] for s in policy("--for", "deploy")["Statement"]],
                         ["ReadStack", "ReadRule", "TestPattern", "InvokeFunction"])

    def test_audit_policy_is_exactly_the_calls_audit_makes(self):
        """--for audit: every permission src/audit names for a call it makes (the ERROR of a
        refused call names it), nothing more; each a read (Describe, Get, List) but IAM's
        GenerateCredentialReport, on "*" (what audit reads is what it looks for)."""
        import glob
        import re
        doc = policy("--for", "audit")
        actions = [a for s in doc["Statement"] for a in s["Action"]]
        self.assertEqual(len(actions), len(set(actions)))
        named = set()
        for path in glob.glob(os.path.join(rwtest.REPO, "src", "audit", "*.c")):
            with open(path) as f:
                named |= set(re.findall(r'"([a-z0-9-]+:[A-Z][A-Za-z]+)"', f.read()))
        # what eventbridge-rule-root asks of a target's resource policy, and it and alarm-root of
        # the key policy of an encrypted topic or queue: EventBridge's and CloudWatch's actions,
        # evaluated (aws/respolicy.h), not calls audit makes
        delivered = {"sns:Publish", "sqs:SendMessage", "lambda:InvokeFunction",
                     "kms:GenerateDataKey", "kms:Decrypt"}
        # a condition key a key policy is evaluated with (the service SNS or SQS calls KMS
        # through), neither a call nor an action
        named.discard("kms:ViaService")
        self.assertEqual(named & delivered, delivered)
        self.assertEqual(sorted(actions), sorted(named - delivered))
        for a in actions:
            if a not in ("iam:GenerateCredentialReport", "sts:AssumeRole"):
                self.assertRegex(a, r":(Describe|Get|List)[A-Za-z]+$")
        # audit --accounts (audit/accounts.c) assumes its role, by default rootwatch-audit, in
        # each account: the one action scoped to a resource
        self.assertEqual({r for s in doc["Statement"] for r in s["Resource"]
                          if s["Action"] != ["sts:AssumeRole"]}, {"*"})
        self.assertEqual([s["Resource"] for s in doc["Statement"]
                          if "sts:AssumeRole" in s["Action"]],
                         [["arn:aws:iam::*:role/rootwatch-audit"]])
        # the same with any option given: audit's statements are always all written
        self.assertEqual(policy("--for", "audit", "--bucket", "b"), doc)

    def test_resources_come_from_the_options(self):
        doc = policy("--for", "watch", "--queue", "https://sqs.eu-west-1.amazonaws.com/111122223333/rw",
                     "--bucket", "trail", "--prefix", "org/")
        by = {s["Sid"]: s for s in doc["Statement"]}
        self.assertEqual(sorted(by), ["QueueConsume", "TrailBucketList", "TrailBucketRead"])
        self.assertEqual(by["QueueConsume"]["Resource"], ["arn:aws:sqs:eu-west-1:111122223333:rw"])
        self.assertEqual(by["TrailBucketRead"]["Resource"], ["arn:aws:s3:::trail/org/AWSLogs/*"])
        self.assertNotIn("*", [r for s in doc["Statement"] for r in s["Resource"]])
        doc = policy("--for", "scan", "--topic", "arn:aws:sns:eu-west-1:111122223333:t")
        self.assertEqual([s["Resource"] for s in doc["Statement"] if s["Sid"] == "NotifyTopic"],
                         [["arn:aws:sns:eu-west-1:111122223333:t"]])
        doc = policy("--for", "deploy", "--stack", "rw", "--region", "eu-west-1", "--account",
                     "111122223333")
        self.assertIn("arn:aws:cloudformation:eu-west-1:111122223333:stack/rw/*",
                      json.dumps(doc))
        # the function is named by the stack's FunctionName parameter, not after the stack
        fn = [s["Resource"] for s in doc["Statement"] if "lambda:InvokeFunction" in s["Action"]]
        self.assertEqual(fn, [["arn:aws:lambda:eu-west-1:111122223333:function:"
                               "rootwatch-root-activity"]])
        doc = policy("--for", "deploy", "--stack", "rw", "--function", "rw-fn")
        self.assertIn("arn:aws:lambda:*:*:function:rw-fn", json.dumps(doc))

    def test_watch_config_adds_its_sources(self):
        """--for watch --config FILE: the sources' queues, buckets and trail prefix, event history."""
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "c.yaml")
            with open(cfg, "w") as f:
                f.write("channels:\n  - name: out\n    type: stdout\nsources:\n"
                        "  - name: q\n    type: sqs\n"
                        "    queue_url: https://sqs.eu-west-1.amazonaws.com/111122223333/rootwatch\n"
                        "  - name: trail\n    type: s3\n    bucket: acme-org-trail\n"
                        "    prefix: org/AWSLogs/o-abc123\n"
                        "  - name: hist\n    type: lookup-events\n    regions: all\n")
            doc = policy("--for", "watch", "--config", cfg)
            res = {s["Sid"]: s["Resource"] for s in doc["Statement"]}
            self.assertEqual(res, {"QueueConsume": ["arn:aws:sqs:eu-west-1:111122223333:rootwatch"],
                                   "TrailBucketList": ["arn:aws:s3:::acme-org-trail"],
                                   "TrailBucketRead": ["arn:aws:s3:::acme-org-trail/org/AWSLogs/*"],
                                   "EventHistory": ["*"], "Regions": ["*"]})
            # --prefix wins; two s3 sources under different prefixes need it
            doc = policy("--for", "watch", "--config", cfg, "--prefix", "other")
            self.assertIn("arn:aws:s3:::acme-org-trail/other/AWSLogs/*",
                          [r for s in doc["Statement"] for r in s["Resource"]])
            with open(cfg, "a") as f:
                f.write("  - name: trail2\n    type: s3\n    bucket: acme-other\n    prefix: logs\n")
            p = rwtest.run(["iam-policy", "--for", "watch", "--config", cfg])
            self.assertEqual(p.returncode, 2, p.stderr_text)
            self.assertIn("different prefixes: give --prefix", p.stderr_text)
            # --for scan takes only the channels' topics from the file
            self.assertEqual([s["Sid"] for s in policy("--for", "scan", "--config", cfg, "--bucket", "b")["Statement"]],
                             ["TrailBucketList", "TrailBucketRead"])

    def test_bad_input(self):
        for args, words in ((["--for", "nope"], "unknown command 'nope'"),
                            ([], "which command"),
                            (["--for", "watch", "--queue", "not-a-queue"], "not-a-queue"),
                            (["--for", "scan", "extra"], "unexpected argument")):
            p = rwtest.run(["iam-policy"] + args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(words, p.stderr_text, args)
            self.assertEqual(p.stdout, b"", args)

    def test_lambda_policy_is_what_the_stack_grants(self):
        """The function's role in `deploy template` and `iam-policy --for lambda` name the same
        actions, statement by statement."""
        t = json.loads(rwtest.run(["deploy", "template", "--format", "json"]).stdout)
        granted = {}
        for res in t["Resources"].values():
            if res["Type"] != "AWS::IAM::Role" or "lambda" not in json.dumps(
                    res["Properties"]["AssumeRolePolicyDocument"]):
                continue
            for pol in res["Properties"].get("Policies", []):
                for s in pol["PolicyDocument"]["Statement"]:
                    if "Fn::If" in s:  # the table's statement, when the stack creates one
                        s = s["Fn::If"][1]
                    granted[s["Sid"]] = sorted(s["Action"])
        printed = {s["Sid"]: sorted(s["Action"]) for s in policy("--for", "lambda")["Statement"]}
        self.assertEqual(len(granted), 5, granted)
        self.assertEqual(granted, printed)


@unittest.skipUnless(awsfake.MotoServer.available(),
                     "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
@unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed: the resources cannot be made")
class Enforced(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer(extra_env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"}).start()
        iam = cls.moto.boto3_client("iam")
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        cls.admin = dict(aws_access_key_id=key["AccessKeyId"],
                         aws_secret_access_key=key["SecretAccessKey"], aws_session_token=None)
        cls.iam = cls.client("iam")
        cls.iam.create_account_alias(AccountAlias="acme-prod")
        cls.bucket = "trail-%s" % uuid.uuid4().hex[:8]
        s3 = cls.client("s3")
        s3.create_bucket(Bucket=cls.bucket)
        key = "AWSLogs/%s/CloudTrail/%s/2026/11/20/%s_CloudTrail_%s_20261120T1000Z_a.json.gz" % (
            ACCOUNT, REGION, ACCOUNT, REGION)
        import gzip
        s3.put_object(Bucket=cls.bucket, Key=key, Body=gzip.compress(rwtest.trail_bytes(
            [rwtest.record("root-1", name="DeleteTrail", account=ACCOUNT),
             rwtest.record("user-1", who="user", account=ACCOUNT)])))
        sns = cls.client("sns")
        cls.topic = sns.create_topic(Name="root-alerts")["TopicArn"]
        sqs = cls.client("sqs")
        cls.queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=cls.queue,
                                        AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=cls.topic, Protocol="sqs", Endpoint=qarn)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.tmp.cleanup()

    @classmethod
    def client(cls, service):
        import boto3
        import botocore.config
        return boto3.session.Session().client(
            service, region_name=REGION, endpoint_url=cls.moto.url,
            config=botocore.config.Config(proxies={}, retries={"max_attempts": 2}), **cls.admin)

    def user_env(self, doc):
        """A new user whose only policy is doc: the environment that runs rootwatch as it.

        moto checks S3's HeadBucket as the action s3:HeadBucket, which AWS does not have (AWS
        checks s3:ListBucket, which the policy grants): where the policy lists the bucket, the
        user also gets s3:HeadBucket, for moto only.
        moto does not scope SNS calls to their topic (it checks them against the resource "*"),
        so SNS statements get the resource "*" here; that their resource is the topic given is
        checked in Output.test_resources_come_from_the_options.
        moto checks SQS's DeleteMessageBatch as the action sqs:DeleteMessageBatch, which AWS does
        not have ("You cannot set permissions explicitly for SendMessageBatch, DeleteMessageBatch,
        or ChangeMessageVisibilityBatch": sqs:DeleteMessage grants it, SQS Developer Guide, "Amazon
        SQS batch actions"): where the policy grants sqs:DeleteMessage, the user also gets
        sqs:DeleteMessageBatch, for moto only."""
        doc = json.loads(json.dumps(doc))
        for s in doc["Statement"]:
            if s["Action"] == ["s3:ListBucket"]:
                s["Action"].append("s3:HeadBucket")
            if "sqs:DeleteMessage" in s["Action"]:
                s["Action"].append("sqs:DeleteMessageBatch")
            if all(a.startswith("sns:") for a in s["Action"]):
                s["Resource"] = ["*"]
        name = "u-%s" % uuid.uuid4().hex[:8]
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="rootwatch",
                                 PolicyDocument=json.dumps(doc))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return awsfake.clean_aws_env({"AWS_ENDPOINT_URL": self.moto.url, "AWS_REGION": REGION,
                                      "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                      "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
                                      "AWS_MAX_ATTEMPTS": "1"})

    def scan(self, doc, *extra):
        return rwtest.run(["scan", "--format", "ndjson", "s3://%s" % self.bucket] + list(extra),
                          env=self.user_env(doc), timeout=120)

    def test_audit_works_under_the_policy_and_needs_each_statement(self):
        """rootwatch audit (every enabled region) under exactly `iam-policy --for audit`, in an
        account with a trail delivering to a log group, the CIS filter, an alarm sending to a
        topic with a subscriber, and a rule whose target is an SQS queue (whose policy lets the rule
        send, and which is encrypted with a KMS key whose policy lets EventBridge use it): no call
        is refused, and the checks that can pass in moto pass. With each statement taken out, a
        check is ERROR naming one of that statement's actions. (Lambda GetFunctionConfiguration
        and GetPolicy, a rule target's reads, are not reached here: the rule's target is the
        queue.)"""
        ct, logs = self.client("cloudtrail"), self.client("logs")
        logs.create_log_group(logGroupName="audit-trail")
        ct.create_trail(Name="audit", S3BucketName=self.bucket, IsMultiRegionTrail=True,
                        IncludeGlobalServiceEvents=True, EnableLogFileValidation=True,
                        CloudWatchLogsLogGroupArn="arn:aws:logs:%s:%s:log-group:audit-trail:*"
                        % (REGION, ACCOUNT),
                        CloudWatchLogsRoleArn="arn:aws:iam::%s:role/trail" % ACCOUNT)
        ct.start_logging(Name="audit")
        logs.put_metric_filter(
            logGroupName="audit-trail", filterName="root", metricTransformations=[
                {"metricName": "RootUse", "metricNamespace": "Audit", "metricValue": "1"}],
            filterPattern='{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
                          '&& $.eventType != "AwsServiceEvent" }')
        self.client("cloudwatch").put_metric_alarm(
            AlarmName="root", MetricName="RootUse", Namespace="Audit", Statistic="Sum",
            Period=300, EvaluationPeriods=1, Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[self.topic])
        events = self.client("events")
        events.put_rule(Name="root", State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                        EventPattern=json.dumps({"detail": {"userIdentity": {
                            "type": ["Root"], "invokedBy": [{"exists": False}]}}}))
        qarn = "arn:aws:sqs:%s:%s:inbox" % (REGION, ACCOUNT)
        events.put_targets(Rule="root", Targets=[{"Id": "q", "Arn": qarn}])
        # the queue lets the rule send (audit reads its policy: sqs:GetQueueAttributes), and is
        # encrypted with a key EventBridge may use (audit reads it: kms:DescribeKey, GetKeyPolicy;
        # moto drops a queue's Policy when another attribute is set alone: both in one call)
        key = self.client("kms").create_key(Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Sid": "Account", "Effect": "Allow",
                 "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Events", "Effect": "Allow",
                 "Principal": {"Service": "events.amazonaws.com"},
                 "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"}]}))
        sqs = self.client("sqs")
        sqs.set_queue_attributes(QueueUrl=self.queue, Attributes={
            "KmsMasterKeyId": key["KeyMetadata"]["Arn"], "Policy": json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage", "Resource": qarn, "Condition": {"ArnEquals": {
                        "aws:SourceArn": "arn:aws:events:%s:%s:rule/root"
                        % (REGION, ACCOUNT)}}}]})})
        self.addCleanup(sqs.set_queue_attributes, QueueUrl=self.queue,
                        Attributes={"Policy": "", "KmsMasterKeyId": ""})
        doc = policy("--for", "audit")

        def audit(d):
            # moto checks CloudWatch's calls as monitoring:ACTION (AWS: cloudwatch:ACTION)
            d = json.loads(json.dumps(d))
            for s in d["Statement"]:
                s["Action"] += ["monitoring:" + a.split(":")[1] for a in s["Action"]
                                if a.startswith("cloudwatch:")]
            p = rwtest.run(["audit", "--format", "json"], env=self.user_env(d), timeout=300)
            return p, json.loads(p.stdout)

        p, findings = audit(doc)
        self.assertEqual([(f["id"], f["region"], f["evidence"]) for f in findings
                          if f["permission"]], [])
        self.assertNotIn("AccessDenied", p.stdout_text + p.stderr_text)
        result = {(f["id"], f["region"]): f["result"] for f in findings}
        for check in ("trail-multi-region", "metric-filter-root", "alarm-root",
                      "alarm-subscribers"):
            self.assertEqual(result[(check, REGION)], "PASS", (check, findings))
        self.assertEqual(result[("eventbridge-rule-root", REGION)], "PASS",
                         [f["evidence"] for f in findings
                          if (f["id"], f["region"]) == ("eventbridge-rule-root", REGION)])
        self.assertGreater(len([k for k in result if k[0] == "eventbridge-rule-root"]), 10)
        across = ("ListOrganizationAccounts", "AssumeAuditRole")  # audit --accounts only
        for s in doc["Statement"]:
            if s["Sid"] in across:
                continue
            p, findings = audit(without(doc, s["Sid"]))
            self.assertEqual(p.returncode, 2, s["Sid"])
            named = set(f["permission"] for f in findings if f["result"] == "ERROR")
            self.assertTrue(named & set(s["Action"]), (s["Sid"], named))

        # audit --accounts: the organization's accounts listed (this account is in none, whatever
        # moto then answers), the role assumed in another account
        def across_accounts(d, *args):
            return rwtest.run(["audit", "--format", "json", "--regions", REGION, "--check",
                               "root-mfa", "--accounts"] + list(args), env=self.user_env(d),
                              timeout=120)

        p = across_accounts(doc, "org")
        self.assertNotIn("organizations:ListAccounts is missing", p.stderr_text)
        self.assertNotIn("AccessDenied", p.stderr_text)
        # moto lists no account for an account in no organization: said, not an empty report
        self.assertEqual(p.returncode, 2, p.stderr_text)
        self.assertIn("ListAccounts listed no account", p.stderr_text)
        p = across_accounts(without(doc, "ListOrganizationAccounts"), "org")
        self.assertEqual(p.returncode, 2)
        self.assertIn("permission organizations:ListAccounts is missing", p.stderr_text)
        p = across_accounts(doc, "111122223333")
        self.assertEqual([(f["id"], f["account"]) for f in json.loads(p.stdout)],
                         [("root-mfa", "111122223333")], p.stderr_text)
        p = across_accounts(without(doc, "AssumeAuditRole"), "111122223333")
        self.assertEqual(p.returncode, 2)
        [f] = json.loads(p.stdout)
        self.assertEqual((f["id"], f["result"], f["permission"]),
                         ("account-access", "ERROR", "sts:AssumeRole"))

    def test_deploy_apply_and_destroy_work_under_the_policy_and_need_each_statement(self):
        """rootwatch deploy apply, then destroy --delete-bucket, under exactly `iam-policy --for
        deploy-apply --account A --region R`, in an account with a Config recorder running (so
        that the Config rule is made): every step ends well. With each statement taken out, apply
        (or, for TrailBucketEmptied, destroy --delete-bucket of a bucket holding a log file)
        fails with a step refused by IAM. For moto: CloudWatch is checked as monitoring:ACTION,
        S3's HeadBucket as s3:HeadBucket, and every call of the services but S3 against the
        resource "*" (so those statements get "*" here: their scoping to apply's names is
        checked in Output.test_deploy_apply_policy_is_the_calls_apply_makes); the actions a
        call implies (tagging at creation, iam:PassRole for the trail's role) are not checked by
        moto."""
        ct = self.client("cloudtrail")
        for t in ct.describe_trails()["trailList"]:  # another test's trail would do the job
            ct.delete_trail(Name=t["Name"])
        cfg = self.client("config")
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": "arn:aws:iam::%s:role/config" % ACCOUNT,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": self.bucket})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
        doc = policy("--for", "deploy-apply", "--account", ACCOUNT, "--region", REGION)
        bucket = "rootwatch-trail-%s-%s" % (ACCOUNT, REGION)

        def env(d):
            d = json.loads(json.dumps(d))
            for s in d["Statement"]:
                if not all(a.startswith("s3:") for a in s["Action"]):
                    s["Resource"] = ["*"]
                s["Action"] += ["monitoring:" + a.split(":")[1] for a in s["Action"]
                                if a.startswith("cloudwatch:")]
                if "s3:ListBucket" in s["Action"]:
                    s["Action"].append("s3:HeadBucket")
            return self.user_env(d)

        def run(d, *args):
            return rwtest.run(["deploy"] + list(args), env=env(d), timeout=300)

        def apply(d):
            return run(d, "apply", "--email", "oncall@example.com")

        def destroy(d):
            return run(d, "destroy", "--delete-bucket")

        try:
            p = apply(doc)
            self.assertEqual(p.returncode, 0, p.stdout_text + p.stderr_text)
            self.assertNotRegex(p.stdout_text, r"FAILED|REFUSED|skipped +config")
            self.assertRegex(p.stdout_text, r"created +config rule")
            self.assertRegex(p.stdout_text, r"created +trail")
            self.client("s3").put_object(Bucket=bucket, Key="AWSLogs/%s/x.json.gz" % ACCOUNT,
                                         Body=b"x")
            p = destroy(without(doc, "TrailBucketEmptied"))
            self.assertEqual(p.returncode, 1, p.stdout_text + p.stderr_text)
            self.assertRegex(p.stdout_text, r"FAILED +bucket +emptying the bucket: .*(AccessDenied"
                                            r"|not authorized)")
            p = destroy(doc)
            self.assertEqual(p.returncode, 0, p.stdout_text + p.stderr_text)
            self.assertRegex(p.stdout_text, r"deleted +bucket")
            self.assertIn("destroy: nothing changed", destroy(doc).stdout_text)
            for s in doc["Statement"]:
                if s["Sid"] == "TrailBucketEmptied":
                    continue
                p = apply(without(doc, s["Sid"]))
                self.assertEqual(p.returncode, 1, (s["Sid"], p.stdout_text, p.stderr_text))
                self.assertRegex(p.stdout_text, r"(FAILED|REFUSED) .*(AccessDenied|not authorized"
                                                r"|403)", s["Sid"])
                self.assertEqual(destroy(doc).returncode, 0, s["Sid"])
        finally:
            cfg.stop_configuration_recorder(ConfigurationRecorderName="default")
            cfg.delete_delivery_channel(DeliveryChannelName="default")
            cfg.delete_configuration_recorder(ConfigurationRecorderName="default")

    def test_scan_s3_works_under_the_policy_and_needs_each_statement(self):
        doc = policy("--for", "scan", "--bucket", self.bucket)
        self.assertEqual(sorted(s["Sid"] for s in doc["Statement"]),
                         ["TrailBucketList", "TrailBucketRead"])
        p = self.scan(doc)
        self.assertEqual(p.returncode, 1, p.stderr)  # root activity found
        self.assertEqual([a["eventID"] for a in rwtest.ndjson(p.stdout)], ["root-1"])
        for sid in ("TrailBucketList", "TrailBucketRead"):
            p = self.scan(without(doc, sid))
            self.assertEqual(p.returncode, 2, (sid, p.stdout, p.stderr))
            self.assertIn("AccessDenied", p.stderr_text, sid)

    def test_scan_notify_sns_needs_publish_and_the_alias(self):
        doc = policy("--for", "scan", "--bucket", self.bucket, "--topic", self.topic)
        self.assertEqual(sorted(s["Sid"] for s in doc["Statement"]),
                         ["AccountAlias", "NotifyTopic", "TrailBucketList", "TrailBucketRead"])
        sqs = self.client("sqs")

        def run(d):
            cfg = os.path.join(self.tmp.name, "%s.yaml" % uuid.uuid4().hex[:8])
            with open(cfg, "w") as f:
                f.write("store: %s.db\nchannels:\n  - name: sns\n    type: sns\n"
                        "    topic_arn: %s\n" % (cfg, self.topic))
            p = rwtest.run(["scan", "--notify", "--notify-wait", "10s", "--config", cfg, "-q",
                            "s3://%s" % self.bucket], env=self.user_env(d), timeout=120)
            got = sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10,
                                      WaitTimeSeconds=1).get("Messages", [])
            for m in got:
                sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
            return p, [json.loads(m["Body"])["Subject"] for m in got]

        p, subjects = run(doc)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(subjects, ['Root API call-"DeleteTrail" detected in Account-"acme-prod"'])
        p, subjects = run(without(doc, "NotifyTopic"))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not authorized to perform: sns:Publish", p.stderr_text)
        self.assertEqual(subjects, [])
        p, subjects = run(without(doc, "AccountAlias"))
        self.assertEqual(subjects,
                         ['Root API call-"DeleteTrail" detected in Account-"%s"' % ACCOUNT])


    def test_watch_sqs_works_under_the_policy_and_needs_each_statement(self):
        """rootwatch watch --sqs, as a service, under exactly `iam-policy --for watch --queue URL
        --bucket B`: an EventBridge event and an S3 notification of a trail file on the queue, both
        alerted and deleted. Without QueueConsume nothing is received (AccessDenied logged, and
        /healthz says so); without TrailBucketRead the notified file cannot be fetched (AccessDenied)
        and its message stays on the queue while the EventBridge event is alerted."""
        import signal
        import time
        import urllib.error
        import urllib.request
        sqs = self.client("sqs")
        key = "AWSLogs/%s/CloudTrail/%s/2026/11/20/%s_CloudTrail_%s_20261120T1000Z_a.json.gz" % (
            ACCOUNT, REGION, ACCOUNT, REGION)

        def read(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()

        def fill(tag):
            url = sqs.create_queue(QueueName="events-%s" % tag)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({
                "version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
                "source": "aws.iam", "account": ACCOUNT, "time": "2026-11-20T10:00:00Z", "region": REGION,
                "resources": [], "detail": rwtest.record("eb-root-" + tag, name="CreateAccessKey",
                                                         account=ACCOUNT)}))
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Records": [{
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
                "eventTime": "2026-11-20T10:05:00.000Z", "eventName": "ObjectCreated:Put",
                "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": self.bucket,
                                                            "arn": "arn:aws:s3:::" + self.bucket},
                       "object": {"key": key, "size": 300}}}]}))
            return url

        def watch(d, url, until, seconds=40):
            cfg = os.path.join(self.tmp.name, "%s.yaml" % uuid.uuid4().hex[:8])
            with open(cfg, "w") as f:
                f.write("store: %s.db\nchannels:\n  - name: out\n    type: stdout\n" % cfg)
            env = dict(self.user_env(d))
            err = open(cfg + ".err", "wb")
            out = open(cfg + ".out", "wb")
            proc = subprocess.Popen([rwtest.ROOTWATCH, "watch", "--sqs", url, "--config", cfg,
                                     "--metrics", "127.0.0.1:0"], stdout=out, stderr=err, env=env,
                                    stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + seconds
            try:
                while time.monotonic() < deadline and proc.poll() is None:
                    text = read(cfg + ".err")
                    if until(text, read(cfg + ".out")):
                        break
                    time.sleep(0.2)
                text = read(cfg + ".err")
                import re
                m = re.search(r"serving http://127\.0\.0\.1:(\d+)/metrics", text)
                health = None
                if m:
                    try:
                        with urllib.request.urlopen("http://127.0.0.1:%s/healthz" % m.group(1), timeout=5) as r:
                            health = (r.status, r.read().decode())
                    except urllib.error.HTTPError as e:
                        health = (e.code, e.read().decode())
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                rc = proc.wait(timeout=60)
                err.close()
                out.close()
            return (rc, read(cfg + ".err"),
                    read(cfg + ".out"), health)

        def left(url):
            a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

        url = fill("all")
        doc = policy("--for", "watch", "--queue", url, "--bucket", self.bucket)
        self.assertEqual(sorted(s["Sid"] for s in doc["Statement"]),
                         ["QueueConsume", "TrailBucketList", "TrailBucketRead"])
        rc, err, out, health = watch(doc, url, lambda e, o: "eb-root-all" in o and '"root-1"' in o)
        self.assertEqual(rc, 0, err)
        self.assertIn("eb-root-all", out, err)
        self.assertIn('"root-1"', out, err)
        self.assertNotIn("AccessDenied", err)
        self.assertEqual(health, (200, "ok\n"), err)
        self.assertEqual(left(url), 0, "both messages deleted once stored")

        # the policy is the queue's own: another queue is refused (moto scopes SQS to the queue ARN)
        url = fill("other")
        rc, err, out, health = watch(doc, url, lambda e, o: "AccessDenied" in e, seconds=20)
        self.assertIn("not authorized to perform: sqs:ReceiveMessage", err)
        self.assertNotIn("eb-root-other", out)

        url = fill("noqueue")
        doc = policy("--for", "watch", "--queue", url, "--bucket", self.bucket)
        rc, err, out, health = watch(without(doc, "QueueConsume"), url,
                                     lambda e, o: e.count("cannot receive") >= 3)
        self.assertIn("AccessDenied", err)
        self.assertNotIn("eb-root-noqueue", out)
        self.assertEqual(health[0], 503, (health, err))
        self.assertIn("AccessDenied", health[1])

        url = fill("noread")
        doc = policy("--for", "watch", "--queue", url, "--bucket", self.bucket)
        rc, err, out, health = watch(without(doc, "TrailBucketRead"), url,
                                     lambda e, o: "eb-root-noread" in o and "AccessDenied" in e)
        self.assertEqual(rc, 0, err)
        self.assertIn("eb-root-noread", out, err)
        self.assertIn("AccessDenied", err)
        self.assertEqual(left(url), 1, "the S3 notification stays, to be received again")


if __name__ == "__main__":
    rwtest.main()

"""rootwatch deploy apply / destroy against moto (issue 14).

rootwatch talks to `Front` (awsfake.FaultServer), which records every request and forwards it to
moto, so that a test can say which API operations a run called (--dry-run: none that changes
anything). It changes one answer, where moto does not do what AWS does:
  - CloudTrail GetTrailStatus: moto's has no LatestCloudWatchLogsDeliveryTime (nothing is ever
    delivered in an emulator); Front adds one 10 minutes old when the trail is logging, so that
    audit's trail-cloudwatch-logs can pass, as test_audit.py does.
  - Config DescribeComplianceByConfigRule: not implemented by moto; Front answers COMPLIANT.
What moto cannot show, and so is not tested here:
  - an email subscription pending confirmation: moto confirms every subscription at once, so the
    read-back checks the endpoint and protocol, and audit's alarm-subscribers passes (on AWS it
    fails until a person clicks the link: apply says so);
  - that CloudTrail accepts the role and bucket policy (moto does not check them), nor IAM's
    propagation delay after CreateRole (apply retries CreateTrail for it);
  - root-mfa and root-hardware-mfa are a person's to do (moto says AccountMFAEnabled 0), and
    root-recent-use ERRORs on moto (its credential report has no <root_account> row): those and
    config-rule-root-mfa on an account without a configuration recorder (apply never creates one)
    are the checks audit is not required to pass after apply.
PutBucketEncryption, PutPublicAccessBlock and the bucket policy are read back through moto, which
stores them.
"""
import base64
import datetime
import hashlib
import json
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

ACCOUNT = "123456789012"  # moto's
REGIONS = ["us-east-1", "eu-west-1"]
EMAIL = "oncall@example.com"
TAG = {"Key": "rootwatch:managed", "Value": "true"}
BUCKET = "rootwatch-trail-%s-us-east-1" % ACCOUNT
CIS_FILTER = ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
              '$.eventType != "AwsServiceEvent" }')
ALL_MGMT = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
# the checks that need no person, which must pass after apply
NO_PERSON = ["trail-multi-region", "trail-log-validation", "trail-cloudwatch-logs",
             "metric-filter-root", "alarm-root", "alarm-subscribers", "eventbridge-rule-root",
             "root-access-keys"]
READ = re.compile(r"^(Get|List|Describe|Head|Lookup)[A-Za-z]*$")


def operation(req):
    """The API operation of a request: X-Amz-Target's, the query protocol's Action, or for S3's
    REST calls the method and the subresource ("GET ?tagging", "PUT /bucket")."""
    target = req.header("x-amz-target")
    if target:
        return target.split(".")[-1]
    if req.body and b"Action=" in req.body:
        form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    if "Action" in req.query:
        return req.query["Action"][0]
    return "%s %s" % (req.method, "?" + "&".join(sorted(req.query)) if req.query else req.url_path)


def is_read(op):
    return bool(READ.match(op)) or op.split(" ")[0] in ("GET", "HEAD") or op == "GetCallerIdentity"


class Front(awsfake.FaultServer):
    def __init__(self, moto):
        super().__init__(default=self.route)
        self.moto = moto

    def route(self, req):
        op = operation(req)
        if op == "DescribeComplianceByConfigRule":
            names = json.loads(req.body)["ConfigRuleNames"]
            return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(
                {"ComplianceByConfigRules": [{"ConfigRuleName": n,
                                              "Compliance": {"ComplianceType": "COMPLIANT"}}
                                             for n in names]})
        status, headers, body = self._proxy(self.moto.url, req)
        if op == "GetTrailStatus" and status == 200:
            doc = json.loads(body)
            if doc.get("IsLogging") and "LatestCloudWatchLogsDeliveryTime" not in doc:
                doc["LatestCloudWatchLogsDeliveryTime"] = (
                    datetime.datetime.now(datetime.timezone.utc).timestamp() - 600)
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            body = json.dumps(doc)
        return status, headers, body

    def operations(self):
        with self._lock:
            return [operation(r) for r in self.requests]


@unittest.skipUnless(awsfake.MotoServer.available() and awsfake.boto3_available(),
                     "needs moto_server and boto3")
class DeployApply(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        cls.front = Front(cls.moto).start()
        p = rwtest.run(["deploy", "template", "--format", "json"])
        assert p.returncode == 0, p.stderr_text
        cls.pattern = json.loads(p.stdout)["Resources"]["RootActivityRule"]["Properties"][
            "EventPattern"]

    @classmethod
    def tearDownClass(cls):
        cls.front.stop()
        cls.moto.stop()

    def setUp(self):
        self.moto.reset()
        self.front.clear()

    def client(self, service, region="us-east-1"):
        return self.moto.boto3_client(service, region)

    def rw(self, *args, code=None):
        env = awsfake.clean_aws_env({"AWS_ENDPOINT_URL": self.front.url,
                                     "AWS_ACCESS_KEY_ID": awsfake.DUMMY_ACCESS_KEY_ID,
                                     "AWS_SECRET_ACCESS_KEY": awsfake.DUMMY_SECRET_ACCESS_KEY,
                                     "AWS_REGION": "us-east-1"})
        self.front.clear()
        p = rwtest.run(list(args), env=env, timeout=180)
        p.ops = self.front.operations()
        with self.front._lock:
            p.requests = list(self.front.requests)
        if code is not None:
            self.assertEqual(p.returncode, code, "%s\n%s\n%s" % (args, p.stdout_text, p.stderr_text))
        return p

    def apply(self, *extra, code=0):
        return self.rw("deploy", "apply", "--email", EMAIL, "--regions", "eu-west-1", *extra,
                       code=code)

    def lines(self, p, status):
        return [line for line in p.stdout_text.splitlines() if line.startswith(status + " ")]

    def audit(self):
        p = self.rw("audit", "--format", "json", "--regions", ",".join(REGIONS))
        try:
            return {(f["id"], f["region"]): f for f in json.loads(p.stdout)}
        except ValueError:
            raise AssertionError("audit: not JSON:\n%s\n%s" % (p.stdout_text, p.stderr_text))

    def tags(self, pairs):
        return {t["Key"]: t["Value"] for t in pairs}

    # ---- apply on an empty account ---------------------------------------------------------

    def test_apply_on_an_empty_account_creates_everything_and_audit_passes(self):
        p = self.apply()
        self.assertIn("apply: 12 changes", p.stdout_text)
        self.assertEqual(len(self.lines(p, "created")), 12, p.stdout_text)
        self.assertIn("never creates one", p.stdout_text)  # the Config recorder
        self.assertIn("confirm the subscription", p.stdout_text)
        # S3's bucket settings carry Content-MD5 (AWS refuses PutBucketTagging,
        # PutPublicAccessBlock and PutBucketEncryption without it; moto does not check)
        puts = [r for r in p.requests if r.method == "PUT" and r.body and
                not r.header("x-amz-target") and b"Action=" not in r.body]
        self.assertEqual(len(puts), 4, [r.path for r in puts])
        for r in puts:
            self.assertEqual(r.header("content-md5"),
                             base64.b64encode(hashlib.md5(r.body).digest()).decode(), r.path)
        # the bucket
        s3 = self.client("s3")
        pol = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
        trail_arn = "arn:aws:cloudtrail:us-east-1:%s:trail/rootwatch" % ACCOUNT
        by_sid = {s["Sid"]: s for s in pol["Statement"]}
        self.assertEqual(by_sid["AWSCloudTrailAclCheck"]["Action"], "s3:GetBucketAcl")
        self.assertEqual(by_sid["AWSCloudTrailWrite"]["Action"], "s3:PutObject")
        self.assertEqual(by_sid["AWSCloudTrailWrite"]["Resource"],
                         "arn:aws:s3:::%s/AWSLogs/%s/*" % (BUCKET, ACCOUNT))
        for s in pol["Statement"]:
            self.assertEqual(s["Principal"], {"Service": "cloudtrail.amazonaws.com"})
            self.assertEqual(s["Condition"]["StringEquals"]["aws:SourceArn"], trail_arn)
        enc = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]
        self.assertEqual(enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
                         "AES256")
        pab = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
        self.assertEqual(set(pab.values()), {True})
        self.assertEqual(len(pab), 4)
        self.assertIn(TAG, s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"])
        # the trail
        ct = self.client("cloudtrail")
        (t,) = ct.describe_trails()["trailList"]
        self.assertEqual(t["Name"], "rootwatch")
        self.assertTrue(t["IsMultiRegionTrail"])
        self.assertTrue(t["IncludeGlobalServiceEvents"])
        self.assertTrue(t["LogFileValidationEnabled"])
        self.assertEqual(t["S3BucketName"], BUCKET)
        self.assertEqual(t["CloudWatchLogsLogGroupArn"],
                         "arn:aws:logs:us-east-1:%s:log-group:rootwatch/cloudtrail:*" % ACCOUNT)
        self.assertEqual(t["CloudWatchLogsRoleArn"],
                         "arn:aws:iam::%s:role/rootwatch-cloudtrail-logs" % ACCOUNT)
        self.assertTrue(ct.get_trail_status(Name="rootwatch")["IsLogging"])
        sel = ct.get_event_selectors(TrailName="rootwatch")["EventSelectors"]
        self.assertEqual([(s["ReadWriteType"], s["IncludeManagementEvents"]) for s in sel],
                         [("All", True)])
        self.assertIn(TAG, ct.list_tags(ResourceIdList=[t["TrailARN"]])["ResourceTagList"][0]["TagsList"])
        # the log group and the role
        logs = self.client("logs")
        (g,) = logs.describe_log_groups(logGroupNamePrefix="rootwatch/cloudtrail")["logGroups"]
        self.assertEqual(g["retentionInDays"], 90)
        self.assertEqual(logs.list_tags_log_group(logGroupName="rootwatch/cloudtrail")["tags"],
                         {"rootwatch:managed": "true"})
        iam = self.client("iam")
        role = iam.get_role(RoleName="rootwatch-cloudtrail-logs")["Role"]
        self.assertIn(TAG, role["Tags"])
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(urllib.parse.unquote(trust)) if isinstance(trust, str) else trust
        self.assertEqual(trust["Statement"][0]["Principal"], {"Service": "cloudtrail.amazonaws.com"})
        self.assertEqual(trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceArn"], trail_arn)
        rp = iam.get_role_policy(RoleName="rootwatch-cloudtrail-logs",
                                 PolicyName="rootwatch-cloudtrail-logs")["PolicyDocument"]
        rp = json.loads(urllib.parse.unquote(rp)) if isinstance(rp, str) else rp
        (st,) = rp["Statement"]
        self.assertEqual(sorted(st["Action"]), ["logs:CreateLogStream", "logs:PutLogEvents"])
        self.assertEqual(st["Resource"], "arn:aws:logs:us-east-1:%s:log-group:rootwatch/cloudtrail:"
                                         "log-stream:*" % ACCOUNT)
        # the metric filter and the alarm
        (mf,) = logs.describe_metric_filters(logGroupName="rootwatch/cloudtrail")["metricFilters"]
        self.assertEqual(mf["filterName"], "rootwatch-root-usage")
        self.assertEqual(mf["filterPattern"], CIS_FILTER)
        self.assertEqual((mf["metricTransformations"][0]["metricNamespace"],
                          mf["metricTransformations"][0]["metricName"]),
                         ("rootwatch", "RootAccountUsage"))
        cw = self.client("cloudwatch")
        (al,) = cw.describe_alarms(AlarmNames=["rootwatch-root-usage"])["MetricAlarms"]
        topic = "arn:aws:sns:us-east-1:%s:rootwatch-root-activity" % ACCOUNT
        self.assertEqual(al["AlarmActions"], [topic])
        self.assertEqual((al["Namespace"], al["MetricName"], al["Statistic"], al["Period"],
                          al["EvaluationPeriods"], al["Threshold"], al["ComparisonOperator"],
                          al["TreatMissingData"]),
                         ("rootwatch", "RootAccountUsage", "Sum", 300, 1, 1.0,
                          "GreaterThanOrEqualToThreshold", "notBreaching"))
        self.assertIn(TAG, cw.list_tags_for_resource(ResourceARN=al["AlarmArn"])["Tags"])
        # a topic, its subscription and a rule in each region
        for region in REGIONS:
            topic = "arn:aws:sns:%s:%s:rootwatch-root-activity" % (region, ACCOUNT)
            sns = self.client("sns", region)
            self.assertIn(TAG, sns.list_tags_for_resource(ResourceArn=topic)["Tags"])
            tp = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
            pubs = {s["Principal"]["Service"]: s for s in tp["Statement"]}
            rule_arn = "arn:aws:events:%s:%s:rule/rootwatch-root-activity" % (region, ACCOUNT)
            self.assertEqual(pubs["events.amazonaws.com"]["Action"], "sns:Publish")
            self.assertEqual(pubs["events.amazonaws.com"]["Condition"]["ArnEquals"]["aws:SourceArn"],
                             rule_arn)
            self.assertIn("cloudwatch.amazonaws.com", pubs)
            subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
            self.assertEqual([(s["Protocol"], s["Endpoint"]) for s in subs], [("email", EMAIL)])
            ev = self.client("events", region)
            r = ev.describe_rule(Name="rootwatch-root-activity")
            self.assertEqual(r["State"], ALL_MGMT)
            self.assertEqual(json.loads(r["EventPattern"]), self.pattern)
            self.assertEqual([(x["Id"], x["Arn"]) for x in
                              ev.list_targets_by_rule(Rule="rootwatch-root-activity")["Targets"]],
                             [("rootwatch-topic", topic)])
            self.assertIn(TAG, ev.list_tags_for_resource(ResourceARN=r["Arn"])["Tags"])
        # no Config rule: no recorder runs, and apply never creates one
        self.assertEqual(self.client("config").describe_config_rules()["ConfigRules"], [])
        # audit: every check that needs no person passes
        found = self.audit()
        for (check, region), f in found.items():
            if check in NO_PERSON:
                self.assertEqual(f["result"], "PASS", json.dumps(f, indent=1))
        for region in REGIONS:
            self.assertIn(("eventbridge-rule-root", region), found)
        # what is left is a person's: root MFA; and the recorder rootwatch does not create
        self.assertEqual(found[("root-mfa", "global")]["result"], "FAIL")
        self.assertEqual(found[("config-rule-root-mfa", "us-east-1")]["result"], "FAIL")

    def test_apply_twice_changes_nothing_and_says_so(self):
        self.apply()
        p = self.apply()
        self.assertIn("apply: nothing changed", p.stdout_text)
        self.assertEqual(self.lines(p, "created") + self.lines(p, "updated"), [], p.stdout_text)
        self.assertEqual(len(self.lines(p, "already there")), 12, p.stdout_text)
        self.assertEqual([op for op in p.ops if not is_read(op)], [])
        # a resource of its own changed behind its back is put right, and said so
        self.client("events", "eu-west-1").put_rule(Name="rootwatch-root-activity",
                                                    EventPattern=json.dumps(self.pattern),
                                                    State="ENABLED")
        self.client("logs").put_retention_policy(logGroupName="rootwatch/cloudtrail",
                                                 retentionInDays=7)
        p = self.apply()
        self.assertEqual(len(self.lines(p, "updated")), 2, p.stdout_text)
        self.assertRegex(p.stdout_text, r"updated +rule +arn:aws:events:eu-west-1:.*state ENABLED")
        self.assertEqual(self.client("events", "eu-west-1").describe_rule(
            Name="rootwatch-root-activity")["State"], ALL_MGMT)
        self.assertIn("apply: nothing changed", self.apply().stdout_text)

    def test_dry_run_calls_no_mutating_api(self):
        p = self.apply("--dry-run")
        self.assertTrue(p.ops)
        self.assertEqual([op for op in p.ops if not is_read(op)], [], p.ops)
        self.assertEqual(len(self.lines(p, "would create")), 12, p.stdout_text)
        self.assertIn("dry run: 12 changes planned, nothing changed", p.stdout_text)
        self.assertEqual(self.client("s3").list_buckets()["Buckets"], [])
        self.assertEqual(self.client("cloudtrail").describe_trails()["trailList"], [])
        self.assertEqual(self.client("sns").list_topics()["Topics"], [])
        # after apply, a dry run plans nothing; a dry destroy deletes nothing
        self.apply()
        p = self.apply("--dry-run")
        self.assertEqual(self.lines(p, "would create") + self.lines(p, "would update"), [])
        p = self.rw("deploy", "destroy", "--regions", "eu-west-1", "--dry-run", code=0)
        self.assertEqual([op for op in p.ops if not is_read(op)], [], p.ops)
        self.assertEqual(len(self.lines(p, "would delete")), 9, p.stdout_text)
        self.assertEqual(len(self.client("sns").list_topics()["Topics"]), 1)

    # ---- the user's resources --------------------------------------------------------------

    def test_a_users_resource_with_the_same_name_is_refused_and_not_touched(self):
        sns = self.client("sns")
        topic = sns.create_topic(Name="rootwatch-root-activity",
                                 Attributes={"DisplayName": "mine"})["TopicArn"]
        ev = self.client("events", "eu-west-1")
        ev.put_rule(Name="rootwatch-root-activity", EventPattern='{"source":["my.app"]}',
                    State="DISABLED")
        logs = self.client("logs")
        logs.create_log_group(logGroupName="rootwatch/cloudtrail")
        p = self.apply(code=1)
        refused = self.lines(p, "REFUSED")
        self.assertEqual(len(refused), 3, p.stdout_text)
        self.assertRegex(p.stdout_text, r"REFUSED +topic +%s exists and is not rootwatch's" % topic)
        self.assertRegex(p.stdout_text, r"REFUSED +rule +arn:aws:events:eu-west-1:.* not rootwatch's")
        self.assertRegex(p.stdout_text, r"REFUSED +log group +rootwatch/cloudtrail")
        self.assertIn("refused", p.stderr_text)
        # untouched: no tag, no subscription, no policy change, the rule as it was
        self.assertEqual(sns.list_tags_for_resource(ResourceArn=topic)["Tags"], [])
        self.assertEqual(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"], [])
        self.assertEqual(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"], "mine")
        r = ev.describe_rule(Name="rootwatch-root-activity")
        self.assertEqual((r["State"], r["EventPattern"]), ("DISABLED", '{"source":["my.app"]}'))
        self.assertEqual(ev.list_targets_by_rule(Rule="rootwatch-root-activity")["Targets"], [])
        (g,) = logs.describe_log_groups(logGroupNamePrefix="rootwatch/cloudtrail")["logGroups"]
        self.assertNotIn("retentionInDays", g)
        self.assertEqual(logs.list_tags_log_group(logGroupName="rootwatch/cloudtrail")["tags"], {})
        # nothing that depends on them was made: no trail (its log group was refused)
        self.assertEqual(self.client("cloudtrail").describe_trails()["trailList"], [])
        # destroy leaves them too
        p = self.rw("deploy", "destroy", "--regions", "eu-west-1", code=0)
        self.assertEqual(len(self.lines(p, "left")), 3, p.stdout_text)
        self.assertEqual(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"], "mine")
        self.assertEqual(ev.describe_rule(Name="rootwatch-root-activity")["State"], "DISABLED")
        self.assertEqual(len(logs.describe_log_groups(logGroupNamePrefix="rootwatch/")["logGroups"]), 1)

    def test_a_users_trail_filter_alarm_and_rule_that_do_the_job_are_left_as_they_are(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="my-trail-bucket")
        logs = self.client("logs")
        logs.create_log_group(logGroupName="my/trail")
        ct = self.client("cloudtrail")
        ct.create_trail(Name="main", S3BucketName="my-trail-bucket", IsMultiRegionTrail=True,
                        IncludeGlobalServiceEvents=True, EnableLogFileValidation=True,
                        CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:%s:log-group:my/trail:*" % ACCOUNT,
                        CloudWatchLogsRoleArn="arn:aws:iam::%s:role/my-trail-logs" % ACCOUNT)
        ct.start_logging(Name="main")
        # an equivalent filter, written otherwise than CIS's
        pattern = ('{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) '
                   '&& ($.userIdentity.type = "Root") }')
        logs.put_metric_filter(logGroupName="my/trail", filterName="root", filterPattern=pattern,
                               metricTransformations=[{"metricName": "Root", "metricNamespace": "Mine",
                                                       "metricValue": "1"}])
        sns = self.client("sns")
        mine = sns.create_topic(Name="my-alarms")["TopicArn"]
        self.client("cloudwatch").put_metric_alarm(
            AlarmName="my-root", MetricName="Root", Namespace="Mine", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[mine])
        ev = self.client("events")
        ev.put_rule(Name="my-root-rule", EventPattern=json.dumps(self.pattern), State=ALL_MGMT)
        ev.put_targets(Rule="my-root-rule", Targets=[{"Id": "1", "Arn": mine}])
        before = ct.describe_trails()["trailList"]
        p = self.apply()
        self.assertRegex(p.stdout_text, r"yours +trail +arn:aws:cloudtrail:us-east-1:%s:trail/main" % ACCOUNT)
        self.assertRegex(p.stdout_text, r"yours +log group +my/trail")
        self.assertRegex(p.stdout_text, r"yours +metric filter +root on my/trail")
        self.assertRegex(p.stdout_text, r"yours +alarm +arn:aws:cloudwatch:us-east-1:%s:alarm:my-root" % ACCOUNT)
        self.assertRegex(p.stdout_text, r"yours +rule +arn:aws:events:us-east-1:%s:rule/my-root-rule" % ACCOUNT)
        self.assertRegex(p.stdout_text, r"skipped +bucket")
        self.assertRegex(p.stdout_text, r"skipped +role")
        # made: the topics, and the rule of the region without one
        self.assertEqual(len(self.lines(p, "created")), 5, p.stdout_text)
        self.assertRegex(p.stdout_text, r"created +rule +arn:aws:events:eu-west-1:")
        # the user's resources as they were, nothing of rootwatch's beside them
        self.assertEqual(ct.describe_trails()["trailList"], before)
        self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["my-trail-bucket"])
        self.assertEqual([f["filterName"] for f in logs.describe_metric_filters()["metricFilters"]], ["root"])
        self.assertEqual([a["AlarmName"] for a in self.client("cloudwatch").describe_alarms()["MetricAlarms"]],
                         ["my-root"])
        self.assertEqual([r["Name"] for r in ev.list_rules()["Rules"]], ["my-root-rule"])
        self.assertIn("apply: nothing changed", self.apply().stdout_text)
        # destroy takes its own (topics, the eu-west-1 rule) and leaves the rest
        self.rw("deploy", "destroy", "--regions", "eu-west-1", code=0)
        self.assertEqual(ct.describe_trails()["trailList"], before)
        self.assertEqual([t["TopicArn"] for t in sns.list_topics()["Topics"]], [mine])
        self.assertEqual(self.client("events", "eu-west-1").list_rules()["Rules"], [])
        self.assertEqual([r["Name"] for r in ev.list_rules()["Rules"]], ["my-root-rule"])

    def test_a_users_trail_without_a_log_group_is_neither_changed_nor_doubled(self):
        """A trail of the user's that records root use but delivers to no log group: apply makes
        no second trail (a paid copy of every management event) and changes none of theirs; it
        says what to run, and makes what needs no log group (topics, rules)."""
        self.client("s3").create_bucket(Bucket="my-trail-bucket")
        ct = self.client("cloudtrail")
        ct.create_trail(Name="main", S3BucketName="my-trail-bucket", IsMultiRegionTrail=True,
                        IncludeGlobalServiceEvents=True)
        ct.start_logging(Name="main")
        before = ct.describe_trails()["trailList"]
        p = self.apply()
        self.assertRegex(p.stdout_text, r"yours +trail +arn:aws:cloudtrail:us-east-1:%s:trail/main" % ACCOUNT)
        self.assertRegex(p.stdout_text, r"skipped +log group +your trail .* delivers to no log group.*"
                                        r"aws cloudtrail update-trail")
        self.assertRegex(p.stdout_text, r"skipped +metric filter")
        self.assertRegex(p.stdout_text, r"skipped +alarm")
        self.assertEqual(ct.describe_trails()["trailList"], before)
        self.assertEqual(self.client("logs").describe_log_groups()["logGroups"], [])
        self.assertEqual(len(self.lines(p, "created")), 6, p.stdout_text)  # 2 topics, 2 subs, 2 rules

    # ---- destroy -------------------------------------------------------------------------

    def test_destroy_leaves_nothing_of_its_own_and_the_users_resources(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="user-data")
        sns = self.client("sns")
        user_topic = sns.create_topic(Name="user-topic")["TopicArn"]
        ev = self.client("events")
        ev.put_rule(Name="user-rule", EventPattern='{"source":["my.app"]}', State="ENABLED")
        self.client("logs").create_log_group(logGroupName="user/group")
        self.apply()
        s3.put_object(Bucket=BUCKET, Key="AWSLogs/%s/CloudTrail/x.json.gz" % ACCOUNT, Body=b"x")
        p = self.rw("deploy", "destroy", "--regions", "eu-west-1", code=0)
        self.assertIn("destroy: 9 changes", p.stdout_text)
        self.assertRegex(p.stdout_text, r"kept +bucket +s3://%s" % BUCKET)
        for region in REGIONS:
            self.assertEqual([r["Name"] for r in self.client("events", region).list_rules()["Rules"]],
                             ["user-rule"] if region == "us-east-1" else [])
            self.assertEqual([t["TopicArn"] for t in self.client("sns", region).list_topics()["Topics"]],
                             [user_topic] if region == "us-east-1" else [])
        self.assertEqual(self.client("cloudtrail").describe_trails()["trailList"], [])
        self.assertEqual([g["logGroupName"] for g in self.client("logs").describe_log_groups()["logGroups"]],
                         ["user/group"])
        self.assertEqual(self.client("cloudwatch").describe_alarms()["MetricAlarms"], [])
        self.assertNotIn("rootwatch-cloudtrail-logs",
                         [r["RoleName"] for r in self.client("iam").list_roles()["Roles"]])
        self.assertEqual(sorted(b["Name"] for b in s3.list_buckets()["Buckets"]), sorted([BUCKET, "user-data"]))
        # the bucket with its logs, only when asked
        p = self.rw("deploy", "destroy", "--regions", "eu-west-1", "--delete-bucket", code=0)
        self.assertRegex(p.stdout_text, r"deleted +bucket +s3://%s" % BUCKET)
        self.assertIn("destroy: 1 change", p.stdout_text)
        self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["user-data"])
        p = self.rw("deploy", "destroy", "--regions", "eu-west-1", "--delete-bucket", code=0)
        self.assertIn("destroy: nothing changed", p.stdout_text)

    def test_config_rule_only_where_a_recorder_records(self):
        cfg = self.client("config")
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": "arn:aws:iam::%s:role/config" % ACCOUNT,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "cfg"})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
        p = self.apply()
        self.assertRegex(p.stdout_text, r"created +config rule +rootwatch-root-account-mfa-enabled")
        (r,) = cfg.describe_config_rules()["ConfigRules"]
        self.assertEqual(r["Source"], {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"})
        self.assertIn(TAG, cfg.list_tags_for_resource(ResourceArn=r["ConfigRuleArn"])["Tags"])
        self.assertEqual(self.audit()[("config-rule-root-mfa", "us-east-1")]["result"], "PASS")
        self.assertRegex(self.apply().stdout_text, r"already there +config rule")
        self.rw("deploy", "destroy", "--regions", "eu-west-1", code=0)
        self.assertEqual(cfg.describe_config_rules()["ConfigRules"], [])
        # the recorder is the user's: left
        self.assertEqual(len(cfg.describe_configuration_recorders()["ConfigurationRecorders"]), 1)


class Usage(unittest.TestCase):
    def test_bad_options(self):
        env = awsfake.clean_aws_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
        for args, words in ((["deploy", "apply"], "--email"),
                            (["deploy", "apply", "--email", "nobody"], "not an email address"),
                            (["deploy", "apply", "--email", "a@b.c", "--delete-bucket"], "delete-bucket"),
                            (["deploy", "destroy", "--email", "a@b.c"], "email"),
                            (["deploy", "apply", "--email", "a@b.c", "--regions", "EU WEST"], "region"),
                            (["deploy", "apply", "--email", "a@b.c", "extra"], "unexpected")):
            p = rwtest.run(args, env=env)
            self.assertEqual(p.returncode, 2, (args, p.stderr_text))
            self.assertIn(words, p.stderr_text, args)

    def test_help(self):
        for sub in ("apply", "destroy"):
            p = rwtest.run(["deploy", sub, "--help"])
            self.assertEqual(p.returncode, 0)
            self.assertIn("rootwatch:managed=true", p.stdout_text)
        p = rwtest.run(["deploy", "--help"])
        self.assertIn("apply", p.stdout_text)
        self.assertIn("destroy", p.stdout_text)


if __name__ == "__main__":
    unittest.main()

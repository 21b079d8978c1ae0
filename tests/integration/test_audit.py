"""rootwatch audit against moto: two accounts, one compliant, one with each check broken in turn.

Account A is moto's default account (123456789012, the dummy keys); account B (111122223333)
is reached through STS AssumeRole, whose credentials moto ties to the role's account. Both are
set up by the tests through boto3: a bucket, a multi-region trail with log file validation
delivering to a log group, the CIS metric filter on it, an alarm on its metric sending to an SNS
topic with an email subscription, an EventBridge rule in us-east-1 and eu-west-1 in state
ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS targeting the topic, a Config recorder (running)
with the managed rule ROOT_ACCOUNT_MFA_ENABLED, and (A only) an organization whose management
account A is.

rootwatch talks to `Front`, a recorded-response server of this test's own (awsfake.FaultServer)
in front of moto, which forwards every request to moto except these, where moto does not do what
AWS does:
  - IAM GetAccountSummary: moto always says 0 for AccountMFAEnabled and AccountAccessKeysPresent;
    Front answers with the account's values (MFA on, no key, unless a test says otherwise).
  - IAM GetCredentialReport: moto's report has no <root_account> row; Front forwards to moto and
    adds that row to the report moto made (its values set by each test), and can answer
    ReportInProgress first.
  - IAM ListVirtualMFADevices: moto cannot assign a virtual device to the root user; Front
    answers with the root user's device where a test wants one (moto's answer otherwise).
  - IAM ListOrganizationsFeatures: not implemented by moto; Front answers RootCredentialsManagement
    and RootSessions enabled (or what a test says).
  - Config DescribeComplianceByConfigRule: not implemented by moto; Front answers COMPLIANT.
  - CloudTrail GetTrailStatus: moto's has no LatestCloudWatchLogsDeliveryTime; Front forwards and
    adds one 10 minutes old when the trail is logging.
  - SNS ListSubscriptionsByTopic: moto confirms every subscription at once; Front answers one
    PendingConfirmation where a test wants it.
  - CloudTrail DescribeTrails, GetTrailStatus, GetEventSelectors of a member account (B) that
    sees the organization's trail (A's): moto has no cross-account shadow trails (a member's
    DescribeTrails lists only its own), so Front adds the organization trail to B's list and
    answers GetTrailStatus and GetEventSelectors on its ARN with what moto said to A (or
    TrailNotFoundException, where a test wants it unreadable).
  - any call a test denies: 403 AccessDenied, as AWS answers it.
"""
import base64
import csv
import datetime
import io
import json
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

A = "123456789012"
B = "111122223333"
REGIONS = ["us-east-1", "eu-west-1"]
CIS_FILTER = ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
              '$.eventType != "AwsServiceEvent" }')
ROOT_PATTERN = json.dumps({"detail-type": ["AWS API Call via CloudTrail",
                                           "AWS Console Sign In via CloudTrail"],
                           "detail": {"userIdentity": {"type": ["Root"],
                                                       "invokedBy": [{"exists": False}]}}})
ALL_MGMT = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
CHECKS = ["trail-multi-region", "trail-log-validation", "trail-cloudwatch-logs",
          "metric-filter-root", "alarm-root", "alarm-subscribers", "eventbridge-rule-root",
          "root-mfa", "root-hardware-mfa", "root-access-keys", "root-recent-use",
          "config-rule-root-mfa", "org-central-root-access"]


def default_topic_policy(acct, topic):
    """SNS's own policy of a new topic (AWS's and moto's): the owner account's principals, by
    AWS:SourceOwner; it does not let EventBridge publish (AWS's documentation says to add a
    statement for events.amazonaws.com)."""
    return {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                   "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                   "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        "Resource": topic, "Condition": {"StringEquals": {"AWS:SourceOwner": acct}}}]}


def rule_arn(acct, region, name="root-activity"):
    return "arn:aws:events:%s:%s:rule/%s" % (region, acct, name)


def topic_policy(acct, topic):
    """The default policy, plus what lets the rule of each region publish (as the console adds
    it) and the alarm (CloudWatch)."""
    doc = default_topic_policy(acct, topic)
    doc["Statement"] += [
        {"Sid": "AWSEvents_root-activity", "Effect": "Allow",
         "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
         "Resource": topic,
         "Condition": {"ArnEquals": {"aws:SourceArn": [rule_arn(acct, r) for r in REGIONS]}}},
        {"Sid": "CloudWatchAlarm", "Effect": "Allow",
         "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
         "Resource": topic}]
    return doc


def iso(days_ago):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def operation(req):
    """(service-ish, operation) of a request: the JSON protocol's X-Amz-Target or the query
    protocol's Action."""
    target = req.header("x-amz-target")
    if target:
        return target.split(".")[-1]
    if req.body:
        form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return req.query.get("Action", [""])[0]


def access_key(req):
    m = re.search(r"Credential=([^/]+)/", req.header("authorization", ""))
    return m.group(1) if m else ""


def query_error(status, code, message):
    body = ('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
            '<Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>'
            '<RequestId>front-1</RequestId></ErrorResponse>' % (code, message))
    return status, {"Content-Type": "text/xml"}, body


def query_ok(action, inner):
    body = ('<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult>%s</%sResult>'
            '<ResponseMetadata><RequestId>front-1</RequestId></ResponseMetadata></%sResponse>'
            % (action, action, inner, action, action))
    return 200, {"Content-Type": "text/xml"}, body


class Front(awsfake.FaultServer):
    """moto behind, the calls the docstring names answered here, per account."""

    def __init__(self, moto):
        super().__init__(default=self.route)
        self.moto = moto
        self.keys = {}  # access key -> account
        self.reset_state()

    def reset_state(self):
        self.state = {acct: {"mfa": 1, "keys": 0, "vmfa_root": False, "pending": False,
                             "features": ["RootCredentialsManagement", "RootSessions"],
                             "root_row": {"password_last_used": iso(200),
                                          "access_key_1_last_used_date": "N/A",
                                          "access_key_2_last_used_date": "N/A"},
                             "in_progress": 0, "expired": 0, "deny": set(), "org": None}
                      for acct in (A, B)}

    def account(self, req):
        return self.keys.get(access_key(req), A)

    def forward(self, req):
        return self._proxy(self.moto.url, req)

    def route(self, req):
        op = operation(req)
        st = self.state[self.account(req)]
        if op in st["deny"]:
            if req.header("x-amz-target"):
                return 400, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(
                    {"__type": "AccessDeniedException",
                     "message": "User is not authorized to perform: %s" % op})
            return query_error(403, "AccessDenied",
                               "User: arn:aws:iam::%s:user/auditor is not authorized to perform: %s"
                               % (self.account(req), op))
        if op == "GetAccountSummary":
            entries = {"AccountMFAEnabled": st["mfa"], "AccountAccessKeysPresent": st["keys"],
                       "Users": 1, "Policies": 0}
            return query_ok(op, "<SummaryMap>%s</SummaryMap>" % "".join(
                "<entry><key>%s</key><value>%d</value></entry>" % kv for kv in entries.items()))
        if op == "GetCredentialReport":
            if st["in_progress"] > 0:
                st["in_progress"] -= 1
                return query_error(404, "ReportInProgress", "Credential report is being generated.")
            if st["expired"] > 0:
                st["expired"] -= 1
                return query_error(410, "ReportExpired", "Credential report is expired.")
            status, headers, body = self.forward(req)
            if status != 200:
                return status, headers, body
            text = body.decode()
            content = re.search(r"<Content>([^<]*)</Content>", text).group(1)
            lines = base64.b64decode(content).decode().splitlines()
            header = lines[0].split(",")
            row = dict.fromkeys(header, "N/A")
            row.update({"user": "<root_account>", "arn": "arn:aws:iam::%s:root" % self.account(req),
                        "user_creation_time": iso(2000), "password_enabled": "not_supported",
                        "mfa_active": "true" if st["mfa"] else "false",
                        "access_key_1_active": "true" if st["keys"] else "false"})
            row.update(st["root_row"])
            lines.insert(1, ",".join(row[h] for h in header))
            new = base64.b64encode(("\n".join(lines) + "\n").encode()).decode()
            text = text.replace(content, new)
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            return status, headers, text
        if op == "ListVirtualMFADevices" and st["vmfa_root"]:
            acct = self.account(req)
            return query_ok(op, "<IsTruncated>false</IsTruncated><VirtualMFADevices><member>"
                                "<SerialNumber>arn:aws:iam::%s:mfa/root-account-mfa-device</SerialNumber>"
                                "<User><Arn>arn:aws:iam::%s:root</Arn><UserId>%s</UserId></User>"
                                "<EnableDate>2024-01-01T00:00:00Z</EnableDate></member>"
                                "</VirtualMFADevices>" % (acct, acct, acct))
        if op == "ListOrganizationsFeatures":
            return query_ok(op, "<OrganizationId>o-front</OrganizationId><EnabledFeatures>%s"
                                "</EnabledFeatures>" % "".join("<member>%s</member>" % f
                                                               for f in st["features"]))
        if op == "DescribeComplianceByConfigRule":
            names = json.loads(req.body)["ConfigRuleNames"]
            return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(
                {"ComplianceByConfigRules": [{"ConfigRuleName": n,
                                              "Compliance": {"ComplianceType": "COMPLIANT"}}
                                             for n in names]})
        org = st["org"]
        if org and op == "DescribeTrails":
            trails = []
            if not org["only"]:
                status, headers, body = self.forward(req)
                trails = json.loads(body)["trailList"]
            return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(
                {"trailList": trails + [org["trail"]]})
        if org and op in ("GetTrailStatus", "GetEventSelectors"):
            name = json.loads(req.body).get("Name" if op == "GetTrailStatus" else "TrailName")
            if name == org["trail"]["TrailARN"]:
                reply = org["status" if op == "GetTrailStatus" else "selectors"]
                if reply is None:
                    return 400, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(
                        {"__type": "TrailNotFoundException",
                         "message": "Unknown trail: %s for the user: %s" % (name, B)})
                return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(reply)
        if op == "GetTrailStatus":
            status, headers, body = self.forward(req)
            if status == 200:
                doc = json.loads(body)
                if doc.get("IsLogging") and "LatestCloudWatchLogsDeliveryTime" not in doc:
                    doc["LatestCloudWatchLogsDeliveryTime"] = (
                        datetime.datetime.now(datetime.timezone.utc).timestamp() - 600)
                headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
                return status, headers, json.dumps(doc)
            return status, headers, body
        if op == "ListSubscriptionsByTopic" and st["pending"]:
            topic = urllib.parse.parse_qs(req.body.decode())["TopicArn"][0]
            body = ('<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                    '<ListSubscriptionsByTopicResult><Subscriptions><member><TopicArn>%s</TopicArn>'
                    '<Protocol>email</Protocol><SubscriptionArn>PendingConfirmation</SubscriptionArn>'
                    '<Owner>%s</Owner><Endpoint>oncall@example.com</Endpoint></member>'
                    '</Subscriptions></ListSubscriptionsByTopicResult><ResponseMetadata>'
                    '<RequestId>front-1</RequestId></ResponseMetadata>'
                    '</ListSubscriptionsByTopicResponse>' % (topic, self.account(req)))
            return 200, {"Content-Type": "text/xml"}, body
        return self.forward(req)


@unittest.skipUnless(awsfake.MotoServer.available() and awsfake.boto3_available(),
                     "needs moto_server and boto3")
class Audit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        cls.front = Front(cls.moto).start()

    @classmethod
    def tearDownClass(cls):
        cls.front.stop()
        cls.moto.stop()

    # ---- the accounts ----------------------------------------------------------------------

    def setUp(self):
        self.moto.reset()
        self.front.reset_state()
        sts = self.moto.boto3_client("sts")
        c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/auditor" % B,
                            RoleSessionName="audit")["Credentials"]
        self.creds = {A: (awsfake.DUMMY_ACCESS_KEY_ID, awsfake.DUMMY_SECRET_ACCESS_KEY, None),
                      B: (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])}
        self.front.keys = {c["AccessKeyId"]: B}
        self.assertEqual(self.client(B, "sts").get_caller_identity()["Account"], B)
        self.topics = {}
        for acct in (A, B):
            self.comply(acct)
        self.client(A, "organizations").create_organization(FeatureSet="ALL")

    _session = None

    def client(self, acct, service, region="us-east-1"):
        import boto3
        import botocore.config
        key, secret, token = self.creds[acct]
        if Audit._session is None:  # one session: its service models are loaded once
            Audit._session = boto3.session.Session()
        return Audit._session.client(
            service, region_name=region, endpoint_url=self.moto.url, aws_access_key_id=key,
            aws_secret_access_key=secret, aws_session_token=token,
            config=botocore.config.Config(proxies={}, retries={"max_attempts": 2}))

    def comply(self, acct):
        """Everything audit checks, set up as it should be."""
        s3 = self.client(acct, "s3")
        bucket = "trail-%s" % acct
        s3.create_bucket(Bucket=bucket)
        logs = self.client(acct, "logs")
        logs.create_log_group(logGroupName="cloudtrail/root")
        group_arn = "arn:aws:logs:us-east-1:%s:log-group:cloudtrail/root:*" % acct
        ct = self.client(acct, "cloudtrail")
        ct.create_trail(Name="main", S3BucketName=bucket, IsMultiRegionTrail=True,
                        IncludeGlobalServiceEvents=True, EnableLogFileValidation=True,
                        CloudWatchLogsLogGroupArn=group_arn,
                        CloudWatchLogsRoleArn="arn:aws:iam::%s:role/trail-logs" % acct)
        ct.start_logging(Name="main")
        logs.put_metric_filter(logGroupName="cloudtrail/root", filterName="RootAccountUsage",
                               filterPattern=CIS_FILTER,
                               metricTransformations=[{"metricName": "RootAccountUsage",
                                                       "metricNamespace": "CISBenchmark",
                                                       "metricValue": "1"}])
        sns = self.client(acct, "sns")
        topic = sns.create_topic(Name="root-alarms")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                 AttributeValue=json.dumps(topic_policy(acct, topic)))
        self.alarm(acct, [topic])
        for region in REGIONS:
            ev = self.client(acct, "events", region)
            ev.put_rule(Name="root-activity", EventPattern=ROOT_PATTERN, State=ALL_MGMT)
            ev.put_targets(Rule="root-activity", Targets=[{"Id": "topic", "Arn": topic}])
        cfg = self.client(acct, "config")
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": "arn:aws:iam::%s:role/config" % acct,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
        cfg.put_config_rule(ConfigRule={
            "ConfigRuleName": "root-account-mfa-enabled",
            "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"},
            "MaximumExecutionFrequency": "TwentyFour_Hours"})
        self.topics[acct] = topic

    def alarm(self, acct, actions):
        self.client(acct, "cloudwatch").put_metric_alarm(
            AlarmName="root-account-usage", MetricName="RootAccountUsage",
            Namespace="CISBenchmark", Statistic="Sum", Period=300, EvaluationPeriods=1,
            Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=actions)

    # ---- running audit ---------------------------------------------------------------------

    def audit(self, acct, *args, regions=True):
        key, secret, token = self.creds[acct]
        extra = {"AWS_ENDPOINT_URL": self.front.url, "AWS_ACCESS_KEY_ID": key,
                 "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1"}
        if token:
            extra["AWS_SESSION_TOKEN"] = token
        argv = ["audit", "--format", "json"] + (["--regions", ",".join(REGIONS)] if regions else [])
        p = rwtest.run(argv + list(args), env=awsfake.clean_aws_env(extra), timeout=120)
        try:
            p.findings = json.loads(p.stdout)
        except ValueError:
            raise AssertionError("audit %s: exit %d, not JSON:\n%s\n%s"
                                 % (acct, p.returncode, p.stdout_text[-2000:], p.stderr_text[-2000:]))
        for f in p.findings:
            self.assertEqual(f["account"], acct)
        return p

    def by_id(self, p, check, region=None):
        found = [f for f in p.findings if f["id"] == check and (region is None or f["region"] == region)]
        self.assertEqual(len(found), 1, (check, region, p.findings))
        return found[0]

    def assert_result(self, p, check, result, *words, region=None):
        f = self.by_id(p, check, region)
        self.assertEqual(f["result"], result, json.dumps(f, indent=1))
        for w in words:
            self.assertIn(w, f["evidence"], json.dumps(f, indent=1))
        if result in ("FAIL", "WARN"):
            self.assertTrue(f["fix"], f)
            self.assertTrue(f["missing"], f)
        return f

    def others_pass(self, p, *broken):
        for f in p.findings:
            if f["id"] not in broken and f["id"] != "org-central-root-access":
                self.assertEqual(f["result"], "PASS", json.dumps(f, indent=1))

    # ---- the compliant account -------------------------------------------------------------

    def test_the_compliant_account_passes_every_check(self):
        p = self.audit(A)
        self.assertEqual(p.returncode, 0, p.stderr_text + p.stdout_text)
        ids = [f["id"] for f in p.findings]
        self.assertEqual(sorted(set(ids)), sorted(CHECKS))
        self.assertEqual(ids.count("eventbridge-rule-root"), 2)  # us-east-1, eu-west-1
        for f in p.findings:
            self.assertEqual(f["result"], "PASS", json.dumps(f, indent=1))
            self.assertIsNone(f["need"])
            for key in ("id", "result", "region", "evidence", "controls", "fix"):
                self.assertIn(key, f)
        trail = "arn:aws:cloudtrail:us-east-1:%s:trail/main" % A
        self.assertEqual(self.assert_result(p, "trail-multi-region", "PASS", trail)["resource"], trail)
        self.assert_result(p, "metric-filter-root", "PASS", "RootAccountUsage", "cloudtrail/root")
        self.assert_result(p, "alarm-root", "PASS",
                           "arn:aws:cloudwatch:us-east-1:%s:alarm:root-account-usage" % A)
        self.assert_result(p, "alarm-subscribers", "PASS", "confirmed: email oncall@example.com")
        for region in REGIONS:
            self.assert_result(p, "eventbridge-rule-root", "PASS",
                               "arn:aws:events:%s:%s:rule/root-activity" % (region, A),
                               "target %s exists" % self.topics[A],
                               "its topic policy lets EventBridge publish (statement "
                               "AWSEvents_root-activity allows events.amazonaws.com sns:Publish "
                               "for aws:SourceArn %s)" % rule_arn(A, region),
                               "confirmed subscription: email oncall@example.com",
                               region=region)
        self.assert_result(p, "root-recent-use", "PASS", "password_last_used", "200 days ago")
        self.assert_result(p, "config-rule-root-mfa", "PASS", "COMPLIANT", "is recording")
        self.assert_result(p, "org-central-root-access", "PASS", "RootCredentialsManagement")
        self.assertEqual(self.by_id(p, "metric-filter-root")["controls"],
                         ["CIS-1.4.0 4.3", "CIS-3.0.0 4.3", "CIS-5.0.0 4.3",
                          "SecurityHub CloudWatch.1"])
        self.assertIn("SecurityHub IAM.9", self.by_id(p, "root-mfa")["controls"])
        # account B, set up the same way, passes too, but is no organization's management account
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        self.assert_result(p, "org-central-root-access", "NOT_APPLICABLE")
        self.others_pass(p)

    # ---- account B, each check broken in turn ----------------------------------------------

    def test_no_trail(self):
        self.client(B, "cloudtrail").delete_trail(Name="main")
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(self.assert_result(p, "trail-multi-region", "FAIL", "lists no trail",
                                            B)["need"], "trail")
        for c in ("trail-log-validation", "trail-cloudwatch-logs", "metric-filter-root",
                  "alarm-root", "alarm-subscribers"):
            self.assert_result(p, c, "FAIL")
        self.others_pass(p, "trail-multi-region", "trail-log-validation", "trail-cloudwatch-logs",
                         "metric-filter-root", "alarm-root", "alarm-subscribers")
        # A still passes: the accounts are apart
        self.assertEqual(self.audit(A).returncode, 0)

    def test_single_region_trail(self):
        self.client(B, "cloudtrail").update_trail(Name="main", IsMultiRegionTrail=False)
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "trail-multi-region", "FAIL", "single-region",
                               "arn:aws:cloudtrail:us-east-1:%s:trail/main" % B)
        self.assertIn("--is-multi-region-trail", f["fix"])
        self.assertEqual(f["need"], "trail-settings")

    def test_logging_stopped(self):
        self.client(B, "cloudtrail").stop_logging(Name="main")
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "trail-multi-region", "FAIL", "not logging (IsLogging false)")
        self.assertIn("start-logging", f["fix"])
        self.assertEqual(f["need"], "trail-logging")
        self.assertNotIn("single-region", f["evidence"])

    def test_log_file_validation_off_is_a_warning(self):
        self.client(B, "cloudtrail").update_trail(Name="main", EnableLogFileValidation=False)
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)  # WARN fails nothing
        f = self.assert_result(p, "trail-log-validation", "WARN", "LogFileValidationEnabled false")
        self.assertIn("--enable-log-file-validation", f["fix"])
        self.others_pass(p, "trail-log-validation")

    def test_trail_without_cloudwatch_logs(self):
        self.client(B, "cloudtrail").update_trail(Name="main", CloudWatchLogsLogGroupArn="",
                                                  CloudWatchLogsRoleArn="")
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        self.assert_result(p, "trail-cloudwatch-logs", "FAIL", "delivers to no CloudWatch Logs")
        self.assert_result(p, "metric-filter-root", "FAIL")
        self.assert_result(p, "alarm-root", "FAIL")

    def test_look_alike_filter_that_misses_sign_ins(self):
        # Prowler's regular expression passes this one: every clause it looks for is there
        logs = self.client(B, "logs")
        # moto adds a filter of the same name beside the old one (AWS replaces it): delete first
        logs.delete_metric_filter(logGroupName="cloudtrail/root", filterName="RootAccountUsage")
        pattern = ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
                   '$.eventType != "AwsServiceEvent" && $.eventType = "AwsApiCall" }')
        logs.put_metric_filter(logGroupName="cloudtrail/root", filterName="RootAccountUsage",
                               filterPattern=pattern,
                               metricTransformations=[{"metricName": "RootAccountUsage",
                                                       "metricNamespace": "CISBenchmark",
                                                       "metricValue": "1"}])
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "metric-filter-root", "FAIL", "filter RootAccountUsage",
                               "misses root console sign-in")
        self.assertIn("put-metric-filter", f["fix"])
        self.assertIn("cloudtrail/root", f["missing"])
        self.assertEqual(f["need"], "metric-filter")
        self.assert_result(p, "alarm-root", "FAIL", "see metric-filter-root")
        self.others_pass(p, "metric-filter-root", "alarm-root", "alarm-subscribers")
        # the fix's own pattern, put in place of the look-alike, passes
        fixed = re.search(r"--filter-pattern '([^']+)'", f["fix"]).group(1)
        logs.delete_metric_filter(logGroupName="cloudtrail/root", filterName="RootAccountUsage")
        logs.put_metric_filter(logGroupName="cloudtrail/root", filterName="RootAccountUsage",
                               filterPattern=fixed,
                               metricTransformations=[{"metricName": "RootAccountUsage",
                                                       "metricNamespace": "CISBenchmark",
                                                       "metricValue": "1"}])
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        self.assert_result(p, "metric-filter-root", "PASS", fixed)

    def test_equivalent_filter_passes(self):
        # the clauses in another order, each in parentheses: the same events, so PASS
        logs = self.client(B, "logs")
        logs.delete_metric_filter(logGroupName="cloudtrail/root", filterName="RootAccountUsage")
        logs.put_metric_filter(
            logGroupName="cloudtrail/root", filterName="RootAccountUsage",
            filterPattern=('{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT '
                           'EXISTS) && ($.userIdentity.type = "Root") }'),
            metricTransformations=[{"metricName": "RootAccountUsage",
                                    "metricNamespace": "CISBenchmark", "metricValue": "1"}])
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        self.assert_result(p, "metric-filter-root", "PASS", "1 metric filter read",
                           '($.userIdentity.type = "Root") }')

    def test_filter_in_another_log_group(self):
        logs = self.client(B, "logs")
        logs.delete_metric_filter(logGroupName="cloudtrail/root", filterName="RootAccountUsage")
        logs.create_log_group(logGroupName="other-group")
        logs.put_metric_filter(logGroupName="other-group", filterName="RootElsewhere",
                               filterPattern=CIS_FILTER,
                               metricTransformations=[{"metricName": "RootAccountUsage",
                                                       "metricNamespace": "CISBenchmark",
                                                       "metricValue": "1"}])
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        self.assert_result(p, "metric-filter-root", "FAIL",
                           "filter RootElsewhere catches root use but is on log group other-group")

    def test_alarm_without_action(self):
        self.alarm(B, [])
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "alarm-root", "FAIL", "no SNS topic among its alarm actions",
                               "arn:aws:cloudwatch:us-east-1:%s:alarm:root-account-usage" % B)
        self.assertIn("--alarm-actions", f["fix"])
        self.assert_result(p, "alarm-subscribers", "FAIL", "see alarm-root")
        self.others_pass(p, "alarm-root", "alarm-subscribers")

    def test_topic_without_subscriber(self):
        sns = self.client(B, "sns")
        for s in sns.list_subscriptions_by_topic(TopicArn=self.topics[B])["Subscriptions"]:
            sns.unsubscribe(SubscriptionArn=s["SubscriptionArn"])
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        self.assert_result(p, "alarm-subscribers", "FAIL", "no subscription at all", self.topics[B])
        # the rule's target is that topic: what the rule sends there reaches no one either
        for region in REGIONS:
            f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                                   "topic %s has no confirmed subscription, so what the rule "
                                   "sends there reaches no one (no subscription at all)"
                                   % self.topics[B], region=region)
            self.assertNotIn("topic policy does not", f["evidence"])
            self.assertEqual(f["need"], "eventbridge-rule")
            self.assertEqual(f["resource"], rule_arn(B, region))
            self.assertIn("a confirmed subscription to topic %s" % self.topics[B], f["missing"])
            self.assertIn("aws sns subscribe --region us-east-1 --topic-arn %s --protocol email"
                          % self.topics[B], f["fix"])
        self.others_pass(p, "alarm-subscribers", "eventbridge-rule-root")

    def test_topic_with_a_subscription_pending_confirmation(self):
        self.front.state[B]["pending"] = True
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "alarm-subscribers", "FAIL", "no confirmed subscriber",
                               "pending confirmation", "email oncall@example.com", self.topics[B])
        self.assertIn("confirm", f["fix"])
        self.assertEqual(f["need"], "person:subscription-confirmation")
        self.assertNotIn("confirmed: ", f["evidence"])
        for region in REGIONS:
            f = self.assert_result(p, "eventbridge-rule-root", "FAIL", self.topics[B],
                                   "has no confirmed subscription",
                                   "pending confirmation: email oncall@example.com",
                                   region=region)
            self.assertEqual(f["need"], "person:subscription-confirmation")
            self.assertIn("a person must confirm the subscription of email oncall@example.com",
                          f["fix"])
        self.others_pass(p, "alarm-subscribers", "eventbridge-rule-root")
        # run alone (--check), it reads the alarms itself and reports itself only
        p = self.audit(B, "--check", "alarm-subscribers")
        self.assertEqual(p.returncode, 1)
        self.assertEqual([f["id"] for f in p.findings], ["alarm-subscribers"])
        self.assert_result(p, "alarm-subscribers", "FAIL", "email oncall@example.com")

    def test_rule_in_the_wrong_state(self):
        self.client(B, "events", "eu-west-1").put_rule(Name="root-activity",
                                                       EventPattern=ROOT_PATTERN, State="ENABLED")
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                               "arn:aws:events:eu-west-1:%s:rule/root-activity" % B,
                               "its state is ENABLED, not " + ALL_MGMT, "read-only",
                               region="eu-west-1")
        self.assertIn("--state " + ALL_MGMT, f["fix"])
        self.assertEqual(f["need"], "eventbridge-rule")
        self.assert_result(p, "eventbridge-rule-root", "PASS", region="us-east-1")

    def test_rule_whose_pattern_misses_sign_ins_or_has_no_live_target(self):
        ev = self.client(B, "events")
        ev.put_rule(Name="root-activity", State=ALL_MGMT, EventPattern=json.dumps(
            {"detail-type": ["AWS API Call via CloudTrail"],
             "detail": {"userIdentity": {"type": ["Root"]}}}))
        p = self.audit(B)
        f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                               "misses root console sign-in (ConsoleLogin)",
                               "matches what it must not: root call invoked by an AWS service",
                               region="us-east-1")
        # the fix's own pattern passes
        fixed = re.search(r"--event-pattern '([^']+)'", f["fix"]).group(1)
        ev.put_rule(Name="root-activity", EventPattern=fixed, State=ALL_MGMT)
        self.assert_result(self.audit(B), "eventbridge-rule-root", "PASS", region="us-east-1")
        ev.remove_targets(Rule="root-activity", Ids=["topic"])
        ev.put_targets(Rule="root-activity", Targets=[{
            "Id": "gone", "Arn": "arn:aws:sns:us-east-1:%s:deleted-topic" % B}])
        p = self.audit(B)
        self.assert_result(p, "eventbridge-rule-root", "FAIL",
                           "target arn:aws:sns:us-east-1:%s:deleted-topic does not exist" % B,
                           region="us-east-1")

    def test_rule_target_topic_whose_policy_refuses_eventbridge(self):
        """The rule is right and its topic exists, but the topic's policy is SNS's default one,
        which does not let EventBridge publish: every root event would be dropped. FAIL in each
        region, naming the topic, the rule and the missing grant; the fix's statement, added to
        the policy, makes it pass."""
        sns = self.client(B, "sns")
        topic = self.topics[B]
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                 AttributeValue=json.dumps(default_topic_policy(B, topic)))
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        for region in REGIONS:
            rule = rule_arn(B, region)
            f = self.assert_result(
                p, "eventbridge-rule-root", "FAIL",
                "rule %s: its pattern catches every canonical root event" % rule,
                "target %s exists but its topic policy does not let EventBridge call sns:Publish: "
                "no statement allows events.amazonaws.com sns:Publish for aws:SourceArn %s"
                % (topic, rule),
                # why the default statement is no grant
                "statement __default_statement_ID allows it only under condition StringEquals "
                "AWS:SourceOwner",
                region=region)
            self.assertNotIn("confirmed subscription", f["evidence"])
            self.assertEqual(f["resource"], rule)
            self.assertEqual(f["need"], "eventbridge-rule")
            self.assertIn("a statement of the topic policy of %s allowing events.amazonaws.com "
                          "sns:Publish for aws:SourceArn %s" % (topic, rule), f["missing"])
            self.assertIn("aws sns set-topic-attributes --region us-east-1 --topic-arn %s "
                          "--attribute-name Policy" % topic, f["fix"])
        # the rest of the account is fine
        self.others_pass(p, "eventbridge-rule-root")
        # the fix: its statement added (for each region's rule), the rule passes again
        policy = default_topic_policy(B, topic)
        for region in REGIONS:
            fix = self.by_id(p, "eventbridge-rule-root", region)["fix"]
            stmt = json.loads(re.search(r"the statement (\{.*?\}\}\}) \(", fix).group(1))
            self.assertEqual(stmt["Principal"], {"Service": "events.amazonaws.com"})
            stmt["Sid"] += region.replace("-", "")
            policy["Statement"].append(stmt)
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                 AttributeValue=json.dumps(policy))
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        self.assert_result(p, "eventbridge-rule-root", "PASS", "statement AllowEventBridgeRule",
                           region="eu-west-1")

    def test_rule_target_topic_policy_for_another_rule_or_with_a_deny(self):
        sns = self.client(B, "sns")
        topic = self.topics[B]
        policy = default_topic_policy(B, topic)
        other = rule_arn(B, "us-east-1", "something-else")
        policy["Statement"].append({
            "Sid": "OtherRule", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "SNS:Publish", "Resource": topic,
            "Condition": {"ArnLike": {"aws:SourceArn": other}}})
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                 AttributeValue=json.dumps(policy))
        p = self.audit(B, "--check", "eventbridge-rule-root")
        self.assertEqual(p.returncode, 1)
        self.assert_result(p, "eventbridge-rule-root", "FAIL", topic,
                           "statement OtherRule allows events.amazonaws.com sns:Publish only where "
                           "condition ArnLike aws:SourceArn \"%s\" holds" % other,
                           region="us-east-1")
        # a grant that is right, with a Deny beside it: the Deny wins
        policy = topic_policy(B, topic)
        policy["Statement"].append({
            "Sid": "NoServices", "Effect": "Deny", "Principal": "*", "Action": "sns:*",
            "Resource": topic,
            "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:events:*"}}})
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                 AttributeValue=json.dumps(policy))
        p = self.audit(B, "--check", "eventbridge-rule-root")
        self.assertEqual(p.returncode, 1)
        for region in REGIONS:
            f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                                   "statement NoServices (Deny) denies events.amazonaws.com "
                                   "sns:Publish for aws:SourceArn %s" % rule_arn(B, region),
                                   region=region)
            self.assertIn("and no Deny statement refusing it", f["missing"])

    def test_rule_targets_queue_and_function(self):
        """SQS: the queue policy must let EventBridge send; Lambda: the function's policy
        (AddPermission) must let it invoke. Without: FAIL naming the target and the grant."""
        ev = self.client(B, "events")
        rule = rule_arn(B, "us-east-1")
        ev.remove_targets(Rule="root-activity", Ids=["topic"])
        sqs = self.client(B, "sqs")
        url = sqs.create_queue(QueueName="root-events")["QueueUrl"]
        queue = "arn:aws:sqs:us-east-1:%s:root-events" % B
        ev.put_targets(Rule="root-activity", Targets=[{"Id": "q", "Arn": queue}])
        p = self.audit(B, "--check", "eventbridge-rule-root")
        f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                               "target %s has no queue policy, so EventBridge may not call "
                               "sqs:SendMessage on it" % queue, region="us-east-1")
        # the queue's URL as GetQueueUrl answered rootwatch: moto writes the host it was asked
        # on, Front's, not the one boto3 here talks to
        self.assertRegex(f["fix"], r"aws sqs set-queue-attributes --region us-east-1 --queue-url "
                                   r"http://127\.0\.0\.1:\d+/%s/root-events --attributes" % B)
        self.assertIn('"Action":"sqs:SendMessage","Resource":"%s"' % queue, f["fix"])
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Sid": "events", "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": queue,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]})})
        p = self.audit(B, "--check", "eventbridge-rule-root")
        self.assert_result(p, "eventbridge-rule-root", "PASS", "target %s exists" % queue,
                           "its queue policy lets EventBridge send (statement events allows",
                           region="us-east-1")
        # a Lambda function
        ev.remove_targets(Rule="root-activity", Ids=["q"])
        role = self.client(B, "iam").create_role(
            RoleName="fn", AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        lam = self.client(B, "lambda")
        zipped = io.BytesIO()
        import zipfile
        with zipfile.ZipFile(zipped, "w") as z:
            z.writestr("bootstrap", "#!/bin/sh\n")
        fn = lam.create_function(FunctionName="root-fn", Runtime="provided.al2023", Role=role,
                                 Handler="bootstrap", Code={"ZipFile": zipped.getvalue()})
        fn = fn["FunctionArn"]
        ev.put_targets(Rule="root-activity", Targets=[{"Id": "fn", "Arn": fn}])
        p = self.audit(B, "--check", "eventbridge-rule-root")
        f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                               "target %s has no resource policy, so EventBridge may not call "
                               "lambda:InvokeFunction on it" % fn, region="us-east-1")
        self.assertIn("aws lambda add-permission --region us-east-1 --function-name %s "
                      "--statement-id rootwatch-eventbridge --action lambda:InvokeFunction "
                      "--principal events.amazonaws.com --source-arn %s" % (fn, rule), f["fix"])
        # a permission for another rule does not do
        lam.add_permission(FunctionName="root-fn", StatementId="other",
                           Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                           SourceArn=rule_arn(B, "us-east-1", "other"))
        p = self.audit(B, "--check", "eventbridge-rule-root")
        self.assert_result(p, "eventbridge-rule-root", "FAIL",
                           "target %s exists but its resource policy does not let EventBridge "
                           "call lambda:InvokeFunction" % fn, "statement other allows",
                           region="us-east-1")
        # the fix's command, as add-permission
        lam.add_permission(FunctionName="root-fn", StatementId="rootwatch-eventbridge",
                           Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                           SourceArn=rule)
        p = self.audit(B, "--check", "eventbridge-rule-root")
        self.assert_result(p, "eventbridge-rule-root", "PASS", "target %s exists" % fn,
                           "its resource policy lets EventBridge invoke it (statement "
                           "rootwatch-eventbridge allows", region="us-east-1")

    # ---- encrypted topics and queues --------------------------------------------------------

    def kms_key(self, acct, *statements):
        """A customer managed key with KMS's default policy (the account's own statement, which
        grants no service anything) and statements, named alias/root-alerts."""
        kms = self.client(acct, "kms")
        default = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                   "Principal": {"AWS": "arn:aws:iam::%s:root" % acct}, "Action": "kms:*",
                   "Resource": "*"}
        key = kms.create_key(Description="root alerts", Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [default] + list(statements)}))["KeyMetadata"]
        kms.create_alias(AliasName="alias/root-alerts", TargetKeyId=key["KeyId"])
        return key["Arn"]

    def test_topic_encrypted_with_a_key_that_refuses_eventbridge_and_cloudwatch(self):
        """The topic (the rules' target and the alarm's) is encrypted with a customer managed key
        whose policy is KMS's default: neither EventBridge nor CloudWatch may use it, so SNS drops
        what they send. FAIL naming the topic, the key and the grant; the fixes' statements added
        to the key policy make both pass."""
        sns = self.client(B, "sns")
        topic = self.topics[B]
        key = self.kms_key(B)
        sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId",
                                 AttributeValue="alias/root-alerts")
        p = self.audit(B)
        self.assertEqual(p.returncode, 1, p.stdout_text)
        for region in REGIONS:
            f = self.assert_result(
                p, "eventbridge-rule-root", "FAIL",
                "target %s: it is encrypted with KMS key %s (KmsMasterKeyId alias/root-alerts), "
                "whose key policy does not let events.amazonaws.com use kms:GenerateDataKey* and "
                "kms:Decrypt: no statement allows events.amazonaws.com kms:GenerateDataKey for "
                "aws:SourceArn %s" % (topic, key, rule_arn(B, region)),
                "every delivery is dropped", region=region)
            self.assertNotIn("topic policy does not", f["evidence"])
            self.assertEqual(f["need"], "eventbridge-rule")
            self.assertIn("a statement of the key policy of %s allowing events.amazonaws.com "
                          "kms:GenerateDataKey* and kms:Decrypt" % key, f["missing"])
            self.assertIn("aws kms put-key-policy --region us-east-1 --key-id %s --policy-name "
                          "default" % key, f["fix"])
        f = self.assert_result(p, "alarm-root", "FAIL",
                               "its topic's KMS key does not let CloudWatch publish",
                               "topic %s of alarm arn:aws:cloudwatch:us-east-1:%s:alarm:"
                               "root-account-usage: it is encrypted with KMS key %s"
                               % (topic, B, key),
                               "does not let cloudwatch.amazonaws.com use")
        self.assertEqual(f["need"], "alarm")
        self.assertIn("cloudwatch.amazonaws.com", f["missing"])
        self.assert_result(p, "alarm-subscribers", "FAIL", "see alarm-root")
        self.others_pass(p, "eventbridge-rule-root", "alarm-root", "alarm-subscribers")
        # the fixes: their statements added to the key policy
        kms = self.client(B, "kms")
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        for fix in (self.by_id(p, "eventbridge-rule-root", "us-east-1")["fix"],
                    self.by_id(p, "alarm-root")["fix"]):
            stmt = json.loads(re.search(r"the statement (\{.*?\"Resource\":\"\*\"\})",
                                        fix).group(1))
            self.assertEqual(stmt["Action"], ["kms:GenerateDataKey*", "kms:Decrypt"])
            policy["Statement"].append(stmt)
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        for region in REGIONS:
            self.assert_result(p, "eventbridge-rule-root", "PASS",
                               "its KMS key %s lets events.amazonaws.com use it (statement "
                               "AllowEventBridgeToUseTheKey allows events.amazonaws.com "
                               "kms:GenerateDataKey" % key, region=region)
        self.assert_result(p, "alarm-root", "PASS",
                           "its KMS key %s lets cloudwatch.amazonaws.com use it (statement "
                           "AllowCloudWatchToUseTheKey allows" % key)
        self.others_pass(p)

    def test_topic_encrypted_with_the_aws_managed_key(self):
        """alias/aws/sns: AWS's own policy, which no one can change, never lets EventBridge or
        CloudWatch use the key. FAIL saying so, without a KMS call; the fix is a key of one's
        own."""
        topic = self.topics[B]
        self.client(B, "sns").set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId",
                                                   AttributeValue="alias/aws/sns")
        self.front.clear()
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        for region in REGIONS:
            f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                                   "target %s: it is encrypted with the AWS managed key "
                                   "alias/aws/sns" % topic, "never events.amazonaws.com",
                                   region=region)
            self.assertIn("aws kms create-key", f["fix"])
            self.assertIn("--attribute-name KmsMasterKeyId", f["fix"])
        f = self.assert_result(p, "alarm-root", "FAIL", "the AWS managed key alias/aws/sns",
                               "never cloudwatch.amazonaws.com")
        self.assertIn("AllowCloudWatchToUseTheKey", f["fix"])
        self.assertEqual([operation(r) for r in self.front.requests
                          if operation(r) in ("DescribeKey", "GetKeyPolicy")], [])

    def test_queue_encrypted_with_a_key_that_refuses_eventbridge(self):
        ev = self.client(B, "events")
        rule = rule_arn(B, "us-east-1")
        ev.remove_targets(Rule="root-activity", Ids=["topic"])
        sqs = self.client(B, "sqs")
        queue = "arn:aws:sqs:us-east-1:%s:root-events" % B
        key = self.kms_key(B)
        url = sqs.create_queue(QueueName="root-events", Attributes={
            "KmsMasterKeyId": key, "Policy": json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "events", "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                    "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]})}
        )["QueueUrl"]
        ev.put_targets(Rule="root-activity", Targets=[{"Id": "q", "Arn": queue}])
        p = self.audit(B, "--check", "eventbridge-rule-root")
        f = self.assert_result(p, "eventbridge-rule-root", "FAIL",
                               "target %s: it is encrypted with KMS key %s (KmsMasterKeyId %s), "
                               "whose key policy does not let events.amazonaws.com use"
                               % (queue, key, key), region="us-east-1")
        self.assertNotIn("queue policy does not", f["evidence"])
        stmt = json.loads(re.search(r"the statement (\{.*?\"Resource\":\"\*\"\})",
                                    f["fix"]).group(1))
        kms = self.client(B, "kms")
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        policy["Statement"].append(stmt)
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
        p = self.audit(B, "--check", "eventbridge-rule-root")
        self.assert_result(p, "eventbridge-rule-root", "PASS",
                           "its queue policy lets EventBridge send (statement events allows",
                           "its KMS key %s lets events.amazonaws.com use it" % key,
                           region="us-east-1")
        self.assertTrue(url)

    def test_every_enabled_region_without_regions(self):
        p = self.audit(B, regions=False)
        regions = sorted(f["region"] for f in p.findings if f["id"] == "eventbridge-rule-root")
        self.assertGreater(len(regions), 10)  # moto's DescribeRegions
        self.assertIn("ap-southeast-2", regions)
        for f in p.findings:
            if f["id"] == "eventbridge-rule-root":
                self.assertEqual(f["result"], "PASS" if f["region"] in REGIONS else "FAIL", f)
        self.assertEqual(p.returncode, 1)

    def test_root_access_key_present(self):
        self.front.state[B]["keys"] = 1
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "root-access-keys", "FAIL", "AccountAccessKeysPresent 1",
                               "arn:aws:iam::%s:root" % B)
        self.assertEqual(f["need"], "person:root-access-keys")
        self.others_pass(p, "root-access-keys")

    def test_virtual_mfa_for_root(self):
        self.front.state[B]["vmfa_root"] = True
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        self.assert_result(p, "root-hardware-mfa", "FAIL", "virtual device",
                           "arn:aws:iam::%s:mfa/root-account-mfa-device" % B)
        self.assert_result(p, "root-mfa", "PASS")
        self.others_pass(p, "root-hardware-mfa")

    def test_no_root_mfa(self):
        self.front.state[B]["mfa"] = 0
        p = self.audit(B)
        self.assert_result(p, "root-mfa", "FAIL", "AccountMFAEnabled 0")
        self.assert_result(p, "root-hardware-mfa", "FAIL", "no MFA at all")

    def test_root_used_recently_and_the_report_in_progress(self):
        st = self.front.state[B]
        st["root_row"] = {"password_last_used": "no_information",
                          "access_key_1_last_used_date": iso(3),
                          "access_key_2_last_used_date": "N/A"}
        st["in_progress"] = 2  # ReportInProgress twice, then the report
        st["expired"] = 1  # then ReportExpired once: a new report is generated
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "root-recent-use", "FAIL", "within the last 90 days",
                               "access key 1 on", "no_information (not used since October 2014")
        self.assertEqual((st["in_progress"], st["expired"]), (0, 0))
        ops = [operation(r) for r in self.front.requests if "Credential" in operation(r)]
        self.assertEqual(ops[-6:], ["GenerateCredentialReport", "GetCredentialReport",
                                    "GetCredentialReport", "GetCredentialReport",
                                    "GenerateCredentialReport", "GetCredentialReport"])
        p = self.audit(B, "--days", "2")
        self.assert_result(p, "root-recent-use", "PASS", "not used within the last 2 days",
                           "3 days ago")
        self.assertNotIn("password", f["fix"])

    def test_access_denied_on_one_check(self):
        self.front.state[B]["deny"] = {"ListVirtualMFADevices"}
        p = self.audit(B)
        self.assertEqual(p.returncode, 2, p.stdout_text)
        f = self.by_id(p, "root-hardware-mfa")
        self.assertEqual(f["result"], "ERROR")
        self.assertEqual(f["permission"], "iam:ListVirtualMFADevices")
        self.assertIn("permission iam:ListVirtualMFADevices is missing", f["evidence"])
        self.assertIn("iam:ListVirtualMFADevices", p.stderr_text)
        self.others_pass(p, "root-hardware-mfa")  # every other check still ran, and passed
        self.assertEqual(sorted(set(x["id"] for x in p.findings)), sorted(CHECKS))
        # a JSON-protocol call refused: that check (and what needs its reading) only
        self.front.state[B]["deny"] = {"DescribeMetricFilters"}
        p = self.audit(B)
        self.assertEqual(p.returncode, 2)
        for c in ("metric-filter-root", "alarm-root", "alarm-subscribers"):
            f = self.by_id(p, c)
            self.assertEqual((f["result"], f["permission"]), ("ERROR", "logs:DescribeMetricFilters"))
        self.others_pass(p, "metric-filter-root", "alarm-root", "alarm-subscribers")

    def test_config_rule_missing_and_recorder_stopped(self):
        cfg = self.client(B, "config")
        cfg.stop_configuration_recorder(ConfigurationRecorderName="default")
        p = self.audit(B)
        self.assert_result(p, "config-rule-root-mfa", "FAIL", "not recording")
        cfg.delete_config_rule(ConfigRuleName="root-account-mfa-enabled")
        p = self.audit(B)
        self.assert_result(p, "config-rule-root-mfa", "FAIL", "no rule with source identifier "
                           "ROOT_ACCOUNT_MFA_ENABLED")

    def test_central_root_access_not_enabled(self):
        self.front.state[A]["features"] = ["RootSessions"]
        p = self.audit(A)
        f = self.assert_result(p, "org-central-root-access", "FAIL",
                               "RootCredentialsManagement not enabled")
        self.assertIn("enable-organizations-root-credentials-management", f["fix"])

    # ---- organization trails ---------------------------------------------------------------

    LOG_CHECKS = ("trail-cloudwatch-logs", "metric-filter-root", "alarm-root", "alarm-subscribers")

    def org_trail(self, only=True, readable=True, logging=True, logs=True):
        """A's trail made the organization's (A is the management account), and B, a member,
        shown it as AWS shows a member the organization trail (through Front: see the docstring).
        only: B's own trail is deleted; readable: GetTrailStatus and GetEventSelectors on the
        ARN answer (else TrailNotFoundException); logs: the trail names its log group."""
        ct = self.client(A, "cloudtrail")
        ct.update_trail(Name="main", IsOrganizationTrail=True)
        trail = ct.describe_trails()["trailList"][0]
        self.assertTrue(trail["IsOrganizationTrail"])
        if not logs:
            trail.pop("CloudWatchLogsLogGroupArn")
            trail.pop("CloudWatchLogsRoleArn", None)
        selectors = ct.get_event_selectors(TrailName="main")
        selectors.pop("ResponseMetadata", None)
        status = {"IsLogging": logging,
                  "LatestCloudWatchLogsDeliveryTime":
                      datetime.datetime.now(datetime.timezone.utc).timestamp() - 600}
        self.front.state[B]["org"] = {"trail": trail, "only": only,
                                      "status": status if readable else None,
                                      "selectors": selectors if readable else None}
        own = self.client(B, "cloudtrail")  # moto itself: B's own trails
        if only and own.describe_trails()["trailList"]:
            own.delete_trail(Name="main")
        return trail["TrailARN"]

    def covered(self, trail, group="arn:aws:logs:us-east-1:%s:log-group:cloudtrail/root:*" % A):
        return ("covered by organization trail %s of management account %s: its log group (%s), "
                "metric filter and alarm are in that account; run rootwatch audit there"
                % (trail, A, group))

    def test_member_account_covered_by_the_organization_trail(self):
        """B's only trail is the organization's, made in A: trail-multi-region judges it (PASS,
        named); the checks built on its log group are A's to make, NOT_APPLICABLE naming A, and
        none of B's filters or alarms is read. A's audit judges the same trail fully, and fails
        where A's filter is missing while B's stays NOT_APPLICABLE."""
        trail = self.org_trail()
        self.front.clear()
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        f = self.assert_result(p, "trail-multi-region", "PASS",
                               "organization trail %s (home us-east-1, of management account %s"
                               % (trail, A), "multi-region, logging")
        self.assertEqual(f["resource"], trail)
        self.assert_result(p, "trail-log-validation", "PASS", "organization trail %s" % trail)
        for c in self.LOG_CHECKS:
            f = self.assert_result(p, c, "NOT_APPLICABLE", self.covered(trail))
            self.assertEqual(f["resource"], trail)
            self.assertIn("rootwatch audit with credentials of management account %s" % A, f["fix"])
        ops = [operation(r) for r in self.front.requests]
        self.assertNotIn("DescribeMetricFilters", ops)
        self.assertNotIn("DescribeAlarmsForMetric", ops)
        self.others_pass(p, *self.LOG_CHECKS)
        # the management account: its own organization trail, judged as any trail of its own
        p = self.audit(A)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        self.others_pass(p)
        self.assert_result(p, "trail-multi-region", "PASS",
                           "organization trail %s (home us-east-1, this account's, for the whole "
                           "organization)" % trail)
        self.assert_result(p, "metric-filter-root", "PASS", "cloudtrail/root", trail)
        self.client(A, "logs").delete_metric_filter(logGroupName="cloudtrail/root",
                                                    filterName="RootAccountUsage")
        p = self.audit(A)
        self.assertEqual(p.returncode, 1)
        self.assert_result(p, "metric-filter-root", "FAIL", "no metric filter")
        self.assert_result(p, "alarm-root", "FAIL")
        p = self.audit(B)
        self.assertEqual(p.returncode, 0)
        self.assert_result(p, "metric-filter-root", "NOT_APPLICABLE", self.covered(trail))

    def test_member_account_that_cannot_read_the_organization_trail(self):
        trail = self.org_trail(readable=False)
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        f = self.assert_result(p, "trail-multi-region", "WARN",
                               "organization trail %s (home us-east-1) of management account %s is "
                               "multi-region with global service events (DescribeTrails), but "
                               "whether it is logging and which events it selects could not be "
                               "read from this account: " % (trail, A),
                               "TrailNotFoundException")
        self.assertEqual(f["need"], "person:management-account")
        self.assertIn("rootwatch audit with credentials of management account %s" % A, f["fix"])
        self.assertIsNone(f["permission"])
        for c in self.LOG_CHECKS:
            self.assert_result(p, c, "NOT_APPLICABLE", self.covered(trail))
        self.others_pass(p, "trail-multi-region", *self.LOG_CHECKS)

    def test_member_account_whose_organization_trail_has_no_log_group_or_is_not_logging(self):
        trail = self.org_trail(logs=False)
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        f = self.assert_result(p, "trail-cloudwatch-logs", "WARN",
                               "covered by organization trail %s of management account %s, which "
                               "delivers to no CloudWatch Logs log group" % (trail, A))
        self.assertEqual(f["need"], "person:management-account")
        self.assertIn("in management account %s: aws cloudtrail update-trail" % A, f["fix"])
        for c in self.LOG_CHECKS[1:]:
            self.assert_result(p, c, "NOT_APPLICABLE",
                               "covered by organization trail %s of management account %s: its "
                               "log group (it names none: see trail-cloudwatch-logs)" % (trail, A))
        # the organization trail stops logging: nothing records B's root use, FAIL in B too,
        # with what can be done in A and in B
        trail = self.org_trail(logging=False)
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        f = self.assert_result(p, "trail-multi-region", "FAIL",
                               "organization trail %s of management account %s: not logging "
                               "(IsLogging false)" % (trail, A))
        self.assertIn("in management account %s: aws cloudtrail start-logging --name %s"
                      % (A, trail), f["fix"])
        self.assertIn("or, in this account: ", f["fix"])
        self.assertEqual(f["need"], "trail")
        for c in self.LOG_CHECKS:
            self.assert_result(p, c, "FAIL")

    def test_member_account_with_a_trail_of_its_own_beside_the_organization_trail(self):
        """B's own good trail with its own log group: judged as without the organization trail."""
        trail = self.org_trail(only=False)
        p = self.audit(B)
        self.assertEqual(p.returncode, 0, p.stdout_text)
        self.others_pass(p)
        self.assert_result(p, "trail-multi-region", "PASS",
                           "trail arn:aws:cloudtrail:us-east-1:%s:trail/main (home us-east-1)" % B,
                           "organization trail %s of management account %s: also good"
                           % (trail, A))
        self.assert_result(p, "trail-cloudwatch-logs", "PASS",
                           "log group arn:aws:logs:us-east-1:%s:log-group:cloudtrail/root" % B)
        self.client(B, "logs").delete_metric_filter(logGroupName="cloudtrail/root",
                                                    filterName="RootAccountUsage")
        p = self.audit(B)
        self.assertEqual(p.returncode, 1)
        self.assert_result(p, "metric-filter-root", "FAIL", "no metric filter")

    # ---- the output formats ----------------------------------------------------------------

    def test_formats(self):
        self.front.state[B]["keys"] = 1
        key, secret, token = self.creds[B]
        env = awsfake.clean_aws_env({"AWS_ENDPOINT_URL": self.front.url, "AWS_ACCESS_KEY_ID": key,
                                     "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token,
                                     "AWS_REGION": "us-east-1"})
        base = ["audit", "--regions", "us-east-1"]
        p = rwtest.run(base + ["--format", "csv"], env=env)
        self.assertEqual(p.returncode, 1)
        rows = list(csv.DictReader(io.StringIO(p.stdout_text)))
        self.assertEqual(len(rows), len(CHECKS))
        row = [r for r in rows if r["id"] == "root-access-keys"][0]
        self.assertEqual((row["result"], row["account"]), ("FAIL", B))
        self.assertIn("SecurityHub IAM.4", row["controls"])
        p = rwtest.run(base + ["--format", "sarif"], env=env)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["version"], "2.1.0")
        run = doc["runs"][0]
        rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
        self.assertEqual(sorted(rules), sorted(CHECKS))
        res = [r for r in run["results"] if r["ruleId"] == "root-access-keys"][0]
        self.assertEqual((res["kind"], res["level"]), ("fail", "error"))
        self.assertEqual(rules[res["ruleIndex"]], "root-access-keys")
        self.assertEqual(res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
                         "arn:aws:iam::%s:root" % B)
        passed = [r for r in run["results"] if r["ruleId"] == "root-mfa"][0]
        self.assertEqual((passed["kind"], passed["level"]), ("pass", "none"))
        self.assertTrue(run["invocations"][0]["executionSuccessful"])
        # a refused call: a result of kind review, and a tool execution notification
        self.front.state[B]["deny"] = {"ListVirtualMFADevices"}
        p = rwtest.run(base + ["--format", "sarif"], env=env)
        self.assertEqual(p.returncode, 2)
        denied = json.loads(p.stdout)
        run2 = denied["runs"][0]
        res = [r for r in run2["results"] if r["ruleId"] == "root-hardware-mfa"][0]
        self.assertEqual((res["kind"], res["level"]), ("review", "none"))
        self.assertEqual(res["properties"]["permission"], "iam:ListVirtualMFADevices")
        inv = run2["invocations"][0]
        self.assertFalse(inv["executionSuccessful"])
        self.assertEqual([n["associatedRule"]["id"] for n in inv["toolExecutionNotifications"]],
                         ["root-hardware-mfa"])
        self.front.state[B]["deny"] = set()
        # against the SARIF 2.1.0 JSON schema where a copy is at hand (none is kept here): e.g.
        # the one npm's @microsoft/jest-sarif ships, lib/schemas/sarif-2.1.0-rtm.5.json
        schema = os.environ.get("RW_SARIF_SCHEMA")
        if schema:
            import jsonschema
            with open(schema) as f:
                schema = json.load(f)
            jsonschema.validate(doc, schema)
            jsonschema.validate(denied, schema)
        p = rwtest.run(base, env=env)  # not a terminal: JSON, as scan's NDJSON
        self.assertEqual(len(json.loads(p.stdout)), len(CHECKS))
        p = rwtest.run(base + ["--format", "table"], env=env)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout_text, r"(?m)^FAIL +root-access-keys +global ")
        self.assertRegex(p.stdout_text, r"(?m)^PASS +root-mfa +global ")
        self.assertIn("fix: ", p.stdout_text)
        self.assertIn("%d findings: %d PASS, 1 FAIL, 0 WARN, 1 NOT_APPLICABLE, 0 ERROR"
                      % (len(CHECKS), len(CHECKS) - 2), p.stdout_text)


class Usage(unittest.TestCase):
    def test_bad_options(self):
        for args, words in ((["--format", "xml"], "--format takes table, json, csv or sarif"),
                            (["--days", "0"], "--days takes a number"),
                            (["--check", "nope"], "unknown check 'nope'"),
                            (["--regions", "us east"], "is not a region name")):
            env = awsfake.clean_aws_env({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
                                         "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
            p = rwtest.run(["audit"] + args, env=env)
            self.assertEqual(p.returncode, 2, (args, p.stderr_text))
            self.assertIn(words, p.stderr_text)

    def test_list_checks(self):
        p = rwtest.run(["audit", "--list-checks"])
        self.assertEqual(p.returncode, 0)
        for c in CHECKS:
            self.assertRegex(p.stdout_text, r"(?m)^%s " % re.escape(c))


if __name__ == "__main__":
    unittest.main()

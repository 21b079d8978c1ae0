"""The AWS client's protocols and pagination, against moto_server.

Resources are made with boto3 (the reference client), then read back through rootwatch's client
(the test tool rw_aws_tool): the query protocol (IAM, STS, SNS, SQS, CloudWatch, EC2), the JSON
protocol (CloudTrail, CloudWatch Logs, EventBridge, Config) and REST-XML (S3), with the pagination
helpers following NextToken / Marker / nextToken over several pages.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

TOOL = os.environ.get("RW_AWS_TOOL", os.path.join(rwtest.REPO, "build", "tests", "rw_aws_tool"))


@unittest.skipUnless(awsfake.MotoServer.available(),
                     "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())
@unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed: the resources cannot be made")
class Protocols(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        cls.env = awsfake.clean_aws_env(cls.moto.env("eu-west-1"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def tool(self, *args, ok=True):
        p = subprocess.run([TOOL] + list(args), capture_output=True, text=True, env=self.env, timeout=120)
        for mark in rwtest.SANITIZER_MARKS:
            self.assertNotIn(mark, p.stderr)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def client(self, name):
        return self.moto.boto3_client(name, region="eu-west-1")

    def test_query_iam_global_and_paged(self):
        iam = self.client("iam")
        iam.create_account_alias(AccountAlias="acme-prod")
        out = self.tool("query", "iam", "ListAccountAliases").stdout
        self.assertIn("ListAccountAliasesResult/AccountAliases/member=acme-prod", out)
        names = ["role-%02d" % i for i in range(7)]
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        for n in names:
            iam.create_role(RoleName=n, AssumeRolePolicyDocument=trust)
        out = self.tool("query-pages", "iam", "ListRoles", "Marker", "ListRolesResult/Marker", "RoleName",
                        "MaxItems=2").stdout.split()
        self.assertEqual(out[-1], "pages=4")
        self.assertEqual(sorted(out[:-1]), names)

    def test_query_sts_sns_sqs_cloudwatch_ec2(self):
        out = self.tool("query", "sts", "GetCallerIdentity").stdout
        self.assertIn("GetCallerIdentityResult/Account=123456789012", out)
        sns = self.client("sns")
        arns = sorted(sns.create_topic(Name="root-alerts-%d" % i)["TopicArn"] for i in range(3))
        out = self.tool("query-pages", "sns", "ListTopics", "NextToken", "ListTopicsResult/NextToken",
                        "TopicArn").stdout.split()
        self.assertEqual(sorted(out[:-1]), arns)
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName="root-events")["QueueUrl"]
        out = self.tool("query", "sqs", "ListQueues").stdout
        self.assertIn(url.rsplit("/", 1)[1], out)
        cw = self.client("cloudwatch")
        cw.put_metric_alarm(AlarmName="RootAccountUsage", MetricName="RootAccountUsageCount",
                            Namespace="CISBenchmark", Statistic="Sum", Period=300, EvaluationPeriods=1,
                            Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
        out = self.tool("query", "monitoring", "DescribeAlarms").stdout
        self.assertIn("AlarmName=RootAccountUsage", out)
        out = self.tool("query", "ec2", "DescribeRegions").stdout
        self.assertIn("regionName=eu-west-1", out)

    def test_json_protocols_and_paging(self):
        logs = self.client("logs")
        groups = ["/rootwatch/group-%d" % i for i in range(5)]
        for g in groups:
            logs.create_log_group(logGroupName=g)
        out = self.tool("json-pages", "logs", "DescribeLogGroups", '{"limit": 2, "logGroupNamePrefix": "/rootwatch/"}',
                        "nextToken", "nextToken").stdout.splitlines()
        self.assertEqual(out[-1], "pages=3")
        got = [g["logGroupName"] for line in out[:-1] for g in json.loads(line)["logGroups"]]
        self.assertEqual(got, groups)
        events = self.client("events")
        events.put_rule(Name="root-activity", EventPattern=json.dumps(
            {"detail-type": ["AWS Console Sign In via CloudTrail"], "detail": {"userIdentity": {"type": ["Root"]}}}))
        reply = json.loads(self.tool("json", "events", "ListRules", "{}").stdout)
        self.assertIn("root-activity", [r["Name"] for r in reply["Rules"]])
        s3 = self.client("s3")
        s3.create_bucket(Bucket="trail-bucket-protocols", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        ct = self.client("cloudtrail")
        ct.create_trail(Name="org-trail", S3BucketName="trail-bucket-protocols", IsMultiRegionTrail=True)
        reply = json.loads(self.tool("json", "cloudtrail", "DescribeTrails", "{}").stdout)
        self.assertEqual([t["Name"] for t in reply["trailList"]], ["org-trail"])
        self.assertTrue(reply["trailList"][0]["IsMultiRegionTrail"])
        cfg = self.client("config")
        cfg.put_config_rule(ConfigRule={"ConfigRuleName": "root-account-mfa-enabled",
                                        "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}})
        reply = json.loads(self.tool("json", "config", "DescribeConfigRules", "{}").stdout)
        self.assertEqual([r["ConfigRuleName"] for r in reply["ConfigRules"]], ["root-account-mfa-enabled"])

    def test_rest_s3_and_errors(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="rest-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket="rest-bucket", Key="a b/ü+c.json", Body=b'{"Records": []}')
        p = self.tool("rest", "s3", "GetObject", "GET", "/rest-bucket/a%20b/%C3%BC%2Bc.json", "")
        self.assertEqual(p.stdout.splitlines(), ["200", '{"Records": []}'])
        p = self.tool("rest", "s3", "GetObject", "GET", "/rest-bucket/missing.json", "", ok=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("S3 GetObject: NoSuchKey", p.stderr)
        self.assertIn("HTTP 404", p.stderr)
        p = self.tool("json", "logs", "DescribeLogStreams", '{"logGroupName": "/nope"}', ok=False)
        self.assertIn("CloudWatch Logs DescribeLogStreams: ResourceNotFoundException", p.stderr)
        p = self.tool("query", "iam", "GetUser", "UserName=nobody", ok=False)
        self.assertIn("IAM GetUser: NoSuchEntity", p.stderr)


if __name__ == "__main__":
    rwtest.main()

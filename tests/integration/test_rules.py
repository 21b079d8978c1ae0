"""Rules: user rule files with scan --rules / --no-builtin, exceptions and their time windows,
several rules firing on one event, bad rule files, rootwatch rules list|check, and test-pattern's
inputs and exit codes."""
import json
import os
import tempfile
import unittest

import rwtest

ACCOUNT = "111122223333"


def record(eid, name="ListRoles", ident=None, t="2026-11-20T10:00:00Z", source="iam.amazonaws.com", **extra):
    r = {"eventVersion": "1.09", "userIdentity": ident or {"type": "IAMUser", "userName": "alice",
                                                           "accountId": ACCOUNT, "arn": "arn:aws:iam::%s:user/alice" % ACCOUNT},
         "eventTime": t, "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
         "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2", "eventID": eid, "readOnly": False,
         "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT}
    r.update(extra)
    return r


def role(name):
    return {"type": "AssumedRole", "accountId": ACCOUNT, "arn": "arn:aws:sts::%s:assumed-role/%s/s" % (ACCOUNT, name),
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": name}}}


ROOT = {"type": "Root", "accountId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT, "accessKeyId": "AKIAEXAMPLE"}

BREAK_GLASS = """
rules:
  - id: break-glass
    title: Break-glass role used
    severity: critical
    description: emergency only
    pattern:
      detail:
        userIdentity:
          sessionContext:
            sessionIssuer:
              userName: [BreakGlass]
  - id: iam-users
    title: IAM user created
    severity: medium
    pattern: '{"source": ["aws.iam"], "detail": {"eventName": ["CreateUser"]}}'
    exceptions:
      - reason: onboarding window
        from: 2026-11-20T09:00:00Z
        expires: 2026-11-20T11:00:00Z
        pattern:
          detail:
            userIdentity:
              sessionContext:
                sessionIssuer:
                  userName: [onboarding-bot]
"""


class Rules(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def trail(self, records, name="trail.json"):
        return self.write(name, json.dumps({"Records": records}))

    def scan(self, args, rc):
        p = rwtest.run(["scan", "-f", "ndjson", "--summary"] + args)
        self.assertEqual(p.returncode, rc, p.stderr_text)
        # alerts are the JSON lines; the summary lines follow them ("summary: ...")
        alerts = [json.loads(l) for l in p.stdout_text.splitlines() if l.startswith("{")]
        return p, {a["eventID"]: a for a in alerts}

    def test_user_rules_with_and_without_builtin(self):
        rules = self.write("rules.yaml", BREAK_GLASS)
        trail = self.trail([
            record("bg", "ListRoles", role("BreakGlass")),
            record("other-role", "ListRoles", role("ci-deployer")),
            record("root", "ListBuckets", ROOT, source="s3.amazonaws.com"),
            record("create", "CreateUser", role("someone")),
        ])
        p, a = self.scan(["--rules", rules, trail], 1)
        self.assertEqual(sorted(a), ["bg", "create", "root"])
        self.assertEqual(a["bg"]["rule"], "break-glass")
        self.assertEqual(a["bg"]["rules"], ["break-glass"])
        self.assertEqual(a["bg"]["severity"], "critical")
        self.assertEqual(a["bg"]["reasons"], ["rule break-glass: Break-glass role used"])
        self.assertEqual(a["create"]["rule"], "iam-users")
        self.assertEqual(a["create"]["severity"], "medium")
        self.assertEqual(a["root"]["rule"], "root-api-call")
        self.assertEqual(a["root"]["severity"], "critical")  # a root access key
        p, a = self.scan(["--no-builtin", "--rules", rules, trail], 1)
        self.assertEqual(sorted(a), ["bg", "create"])
        p = rwtest.run(["scan", "--no-builtin", trail])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--no-builtin needs --rules", p.stderr_text)

    def test_several_rules_on_one_event_make_one_alert(self):
        rules = self.write("rules.yaml", """
rules:
  - id: any-root-iam
    title: Root in IAM
    severity: low
    pattern: {source: [aws.iam], detail: {userIdentity: {type: [Root]}}}
""")
        trail = self.trail([record("r1", "CreateUser", ROOT)])
        p, a = self.scan(["--rules", rules, trail], 1)
        self.assertEqual(list(a), ["r1"])
        self.assertEqual(a["r1"]["rules"], ["root-api-call", "any-root-iam"])
        self.assertEqual(a["r1"]["rule"], "root-api-call")  # the most severe: critical
        self.assertEqual(a["r1"]["severity"], "critical")
        self.assertIn("rule any-root-iam: Root in IAM", a["r1"]["reasons"])

    def test_exception_window(self):
        rules = self.write("rules.yaml", BREAK_GLASS)
        bot = role("onboarding-bot")
        trail = self.trail([
            record("in-window", "CreateUser", bot, t="2026-11-20T10:00:00Z"),
            record("before", "CreateUser", bot, t="2026-11-20T08:59:59Z"),
            record("at-expiry", "CreateUser", bot, t="2026-11-20T11:00:00Z"),
            record("other-user", "CreateUser", role("alice"), t="2026-11-20T10:00:00Z"),
        ])
        p, a = self.scan(["--no-builtin", "--rules", rules, trail], 1)
        self.assertEqual(sorted(a), ["at-expiry", "before", "other-user"])
        self.assertIn("1 held back by rule exceptions", p.stdout_text)

    def test_only_held_back_events_exit_zero(self):
        rules = self.write("rules.yaml", BREAK_GLASS)
        trail = self.trail([record("in-window", "CreateUser", role("onboarding-bot"))])
        p, a = self.scan(["--no-builtin", "--rules", rules, trail], 0)
        self.assertEqual(a, {})
        self.assertIn("1 held back by rule exceptions", p.stdout_text)

    def test_bad_rule_files_name_file_line_column_and_rule(self):
        bad = self.write("bad.yaml", """rules:
  - id: ok-rule
    title: fine
    severity: high
    pattern: {detail: {eventName: [X]}}
  - id: empty-list
    title: t
    severity: high
    pattern:
      detail:
        eventName: []
  - id: bad-severity
    title: t
    severity: urgent
    pattern: {detail: {eventName: [X]}}
  - id: typo
    title: t
    severity: high
    pattren: {detail: {eventName: [X]}}
  - id: ok-rule
    title: again
    severity: low
    pattern: '{"detail": {"eventName": [{"numeric": 10}]}}'
""")
        trail = self.trail([record("root", "ListBuckets", ROOT)])
        p = rwtest.run(["scan", "--rules", bad, trail])
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout_text, "", "nothing is scanned with broken rules")
        err = p.stderr_text
        self.assertIn(bad + ":11:20: rule 'empty-list': pattern: Event pattern is not valid. Reason: Empty arrays are not allowed", err)
        self.assertIn(bad + ":14:15: rule 'bad-severity': severity 'urgent'", err)
        self.assertIn("rule 'typo': unknown key 'pattren'", err)
        self.assertIn("rule 'typo': 'pattern' is missing", err)
        self.assertIn("rule 'ok-rule': the id is already used by the rule from " + bad + ":2", err)
        self.assertIn("Reason: Value of numeric must be an array.", err)
        c = rwtest.run(["rules", "check", bad])
        self.assertEqual(c.returncode, 2)
        self.assertEqual(c.stderr_text, err)
        for text, msg in [("rules: [", "YAML"), ("rules: 5", "'rules' must be a list"),
                          ("- just: a list\n", "'id' is missing"), ("{}", "needs a 'rules' list"),
                          ("rules: []", "holds no rule")]:
            with self.subTest(text=text):
                c = rwtest.run(["rules", "check", self.write("x.yaml", text)])
                self.assertEqual(c.returncode, 2)
                self.assertIn(msg, c.stderr_text)
        c = rwtest.run(["rules", "check", os.path.join(self.tmp.name, "missing.yaml")])
        self.assertEqual(c.returncode, 2)
        self.assertIn("cannot read the rule file", c.stderr_text)

    def test_rules_list(self):
        p = rwtest.run(["rules", "list"])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        lines = p.stdout_text.splitlines()
        self.assertTrue(lines[0].startswith("ID"))
        ids = [l.split()[0] for l in lines[1:]]
        self.assertEqual(ids, ["root-console-sign-in", "root-sign-in-event", "root-api-call"])
        rules = self.write("rules.yaml", BREAK_GLASS)
        p = rwtest.run(["rules", "list", "--rules", rules, "--format", "json"])
        listed = json.loads(p.stdout_text)
        self.assertEqual([r["id"] for r in listed],
                         ["root-console-sign-in", "root-sign-in-event", "root-api-call", "break-glass", "iam-users"])
        self.assertEqual(listed[0]["severity"], "auto")
        self.assertEqual(listed[0]["source"], "built-in")
        self.assertEqual(listed[0]["pattern"]["detail"]["userIdentity"]["type"], ["Root"])
        self.assertEqual(listed[3]["source"], rules + ":3")
        self.assertEqual(listed[4]["exceptions"][0]["reason"], "onboarding window")
        self.assertEqual(listed[4]["exceptions"][0]["from"], "2026-11-20T09:00:00Z")
        self.assertEqual(listed[4]["pattern"], {"source": ["aws.iam"], "detail": {"eventName": ["CreateUser"]}})
        p = rwtest.run(["rules", "list", "--no-builtin", "--rules", rules, "-v"])
        self.assertIn('pattern: {"detail":{"userIdentity":', p.stdout_text)
        self.assertIn("exception: onboarding window", p.stdout_text)

    def test_builtin_patterns_deploy_as_is(self):
        # each built-in pattern, given to test-pattern, agrees with the scan on real-looking events
        listed = json.loads(rwtest.run(["rules", "list", "--format", "json"]).stdout_text)
        events = {
            "root-console-sign-in": dict(record("a", "ConsoleLogin", ROOT, source="signin.amazonaws.com"), eventType="AwsConsoleSignIn"),
            "root-sign-in-event": dict(record("b", "PasswordRecoveryRequested", ROOT, source="signin.amazonaws.com"), eventType="AwsConsoleSignIn"),
            "root-api-call": record("c", "CreateUser", ROOT),
        }
        for rule in listed:
            for name, rec in events.items():
                ev = {"version": "0", "id": "x", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
                      "account": ACCOUNT, "time": rec["eventTime"], "region": "us-east-1", "resources": [], "detail": rec}
                with self.subTest(rule=rule["id"], event=name):
                    p = rwtest.run(["test-pattern", "--event-pattern", json.dumps(rule["pattern"]), "--event", json.dumps(ev)])
                    self.assertEqual(p.returncode, 0 if rule["id"] == name else 1, p.stderr_text)

    def test_console_invoked_root_calls_alert_and_service_ones_are_counted(self):
        # CIS's filter drops every root event with userIdentity.invokedBy, taking them all for AWS
        # services acting on the account's behalf. AWS records what a person does in the console
        # with invokedBy (and userAgent) signin.amazonaws.com: for the root user that is the person
        # signed in, and rootwatch alerts it. Events services make stay out, counted by service.
        def root(by):
            return dict(ROOT, accessKeyId="ASIAEXAMPLESESSION01", invokedBy=by, sessionContext={
                "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "true"}})

        def by_service(eid, by, name="DescribeInstances"):
            return record(eid, name, root(by), source="ec2.amazonaws.com", userAgent=by, sourceIPAddress=by,
                          readOnly=name.startswith("Describe"))

        console = record("console-key", "CreateAccessKey", root("signin.amazonaws.com"),
                         userAgent="signin.amazonaws.com", requestParameters=None,
                         responseElements={"accessKey": {"accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active"}})
        services = [by_service("as-1", "autoscaling.amazonaws.com", "RunInstances"),
                    by_service("as-2", "autoscaling.amazonaws.com", "TerminateInstances"),
                    by_service("as-3", "autoscaling.amazonaws.com"),
                    by_service("support-1", "support.amazonaws.com"),
                    by_service("ta-1", "trustedadvisor.amazonaws.com"),
                    by_service("as-1", "autoscaling.amazonaws.com", "RunInstances")]  # delivered twice
        trail = self.trail([console] + services)
        p, a = self.scan([trail], 1)
        self.assertEqual(list(a), ["console-key"])
        self.assertEqual(a["console-key"]["rule"], "root-api-call")
        self.assertEqual(a["console-key"]["severity"], "critical")
        self.assertEqual(a["console-key"]["credential"], "console_session")
        self.assertIn("made through the AWS console (userIdentity.invokedBy signin.amazonaws.com): CIS's filter, "
                      "which drops every root event with invokedBy, misses it", a["console-key"]["reasons"])
        self.assertIn("summary: root events made by AWS services on the account's behalf, not alerted: "
                      "autoscaling.amazonaws.com 3, support.amazonaws.com 1, trustedadvisor.amazonaws.com 1\n",
                      p.stdout_text)
        self.assertIn("summary: 1 alert\n", p.stdout_text)
        self.assertNotIn("problem", p.stdout_text + p.stderr_text)
        # console.amazonaws.com (the user agent AWS documents for the root user at the console) too
        alt = dict(console, eventID="console-ui", userIdentity=root("console.amazonaws.com"))
        p, a = self.scan([self.trail([alt], "alt.json")], 1)
        self.assertEqual(list(a), ["console-ui"])
        self.assertNotIn("made by AWS services", p.stdout_text)
        # only services: exit 0, and still said
        p, a = self.scan([self.trail(services, "services.json")], 0)
        self.assertEqual(a, {})
        self.assertIn("not alerted: autoscaling.amazonaws.com 3, support.amazonaws.com 1, "
                      "trustedadvisor.amazonaws.com 1\n", p.stdout_text)
        # EventBridge gives the same answers with the built-in pattern, deployed as it is
        pattern = [r for r in json.loads(rwtest.run(["rules", "list", "--format", "json"]).stdout_text)
                   if r["id"] == "root-api-call"][0]["pattern"]
        for rec, want in [(console, 0), (alt, 0)] + [(s, 1) for s in services]:
            ev = {"version": "0", "id": "x", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
                  "account": ACCOUNT, "time": rec["eventTime"], "region": "us-east-1", "resources": [], "detail": rec}
            with self.subTest(event=rec["eventID"], invokedBy=rec["userIdentity"]["invokedBy"]):
                p = rwtest.run(["test-pattern", "--event-pattern", json.dumps(pattern), "--event", json.dumps(ev)])
                self.assertEqual(p.returncode, want, p.stdout_text + p.stderr_text)

    def test_rule_without_literal_warns_and_still_works(self):
        rules = self.write("rules.yaml", """
rules:
  - id: numeric-only
    title: Long sessions
    severity: low
    pattern: {detail: {requestParameters: {durationSeconds: [{numeric: [">", 40000]}]}}}
""")
        trail = self.trail([record("long", "AssumeRole", requestParameters={"durationSeconds": 43200}),
                            record("short", "AssumeRole", requestParameters={"durationSeconds": 900})])
        p, a = self.scan(["--no-builtin", "--rules", rules, trail], 1)
        self.assertEqual(list(a), ["long"])
        self.assertIn("rule 'numeric-only' can match without any fixed text", p.stderr_text)


class TestPattern(unittest.TestCase):
    EVENT = {"id": "1", "detail-type": "d", "source": "aws.iam", "account": ACCOUNT,
             "time": "2026-11-20T10:00:00Z", "region": "us-east-1", "detail": {"eventName": "CreateUser"}}

    def test_inputs_and_exit_codes(self):
        with tempfile.TemporaryDirectory() as d:
            pf = os.path.join(d, "p.json")
            with open(pf, "w") as f:
                json.dump({"detail": {"eventName": ["CreateUser"]}}, f)
            ev = json.dumps(self.EVENT)
            p = rwtest.run(["test-pattern", "--event-pattern", "@" + pf, "--event", ev])
            self.assertEqual((p.returncode, json.loads(p.stdout_text)), (0, {"Result": True}))
            p = rwtest.run(["test-pattern", "--event-pattern", "file://" + pf, "--event", "@-"],
                           stdin=json.dumps(dict(self.EVENT, detail={"eventName": "DeleteUser"})).encode())
            self.assertEqual((p.returncode, json.loads(p.stdout_text)), (1, {"Result": False}))
            p = rwtest.run(["test-pattern", "--event-pattern", '{"a": 1}', "--event", ev])
            self.assertEqual(p.returncode, 2)
            self.assertEqual(p.stderr_text.strip(), 'An error occurred (InvalidEventPatternException) when calling the '
                             'TestEventPattern operation: Event pattern is not valid. Reason: "a" must be an object or an array')
            p = rwtest.run(["test-pattern", "--event-pattern", "@" + pf, "--event", '{"id": "1"}'])
            self.assertEqual(p.returncode, 2)
            self.assertIn("(ValidationException)", p.stderr_text)
            self.assertIn("Parameter Event is not valid.", p.stderr_text)
            p = rwtest.run(["test-pattern", "--event-pattern", "@" + pf,
                            "--event", json.dumps(dict(self.EVENT, time="yesterday"))])
            self.assertEqual(p.returncode, 2)
            self.assertIn("Reason: Invalid time.", p.stderr_text)
            p = rwtest.run(["test-pattern", "--event-pattern", "@" + os.path.join(d, "none.json"), "--event", ev])
            self.assertEqual(p.returncode, 2)
            self.assertIn("none.json", p.stderr_text)
            p = rwtest.run(["test-pattern", "--event", ev])
            self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    rwtest.main()

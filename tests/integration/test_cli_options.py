"""-v, -vv and -q mean the same in every command (issue 11), through src/cli/common.h: every command
and subcommand takes them and its --help says so; -v says what is loaded and skipped (info), -vv
adds debug details, -q leaves errors only (no warnings, no summary); -v and -q count against each
other; a bad option is a usage error told the same way everywhere (the message, then "Try
'rootwatch COMMAND --help'.", exit status 2).

Needs the Python standard library only (the AWS case answers STS with a local fake)."""
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

TIMEOUT = 120

# every command line that parses options: (the words before the options, the command its usage
# errors name)
FORMS = [
    (["scan"], "scan"),
    (["test-pattern"], "test-pattern"),
    (["test-filter"], "test-filter"),
    (["rules", "list"], "rules"),
    (["rules", "check"], "rules"),
    (["aws", "whoami"], "aws whoami"),
    (["notify", "test"], "notify"),
    (["notify", "flush"], "notify"),
    (["notify", "check"], "notify"),
    (["notify", "channels"], "notify"),
    (["alerts", "list"], "alerts"),
    (["alerts", "show"], "alerts"),
]

STS_IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/alice</Arn>"
    "<UserId>AIDAOPTIONSEXAMPLE001</UserId><Account>111122223333</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>4b3c4f1e-0000-4000-8000-000000000002</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>")

# a rule file whose exception has expired: loading it warns
EXPIRED = """rules:
  - id: old-window
    title: IAM users created
    severity: high
    pattern:
      source: [aws.iam]
      detail:
        eventName: [CreateUser]
    exceptions:
      - reason: a window long past
        from: 2020-01-01T00:00:00Z
        expires: 2020-01-02T00:00:00Z
        pattern:
          detail:
            userIdentity:
              type: [AssumedRole]
"""


def levels(stderr_text):
    """The levels of rootwatch's log lines, in order."""
    out = []
    for line in stderr_text.splitlines():
        if line.startswith("rootwatch: "):
            out.append(line.split(":")[1].strip())
    return out


class Options(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="rw-cli-options-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return path

    def test_help_says_so(self):
        for words, _ in FORMS:
            with self.subTest(form=words):
                p = rwtest.run(words + ["--help"], timeout=TIMEOUT)
                self.assertEqual(p.returncode, 0, p.stderr_text)
                for opt in ("-v, --verbose", "-q, --quiet", "-vv", "-h, --help"):
                    self.assertIn(opt, p.stdout_text)
        p = rwtest.run(["--help"], timeout=TIMEOUT)
        self.assertIn("Every command takes -v", p.stdout_text)

    def test_every_form_takes_them(self):
        # parsed before --help: each is known to every command line
        for words, _ in FORMS:
            for flags in (["-v"], ["-vv"], ["-q"], ["--verbose", "--verbose"], ["--quiet"], ["-v", "-q"]):
                with self.subTest(form=words, flags=flags):
                    p = rwtest.run(words + flags + ["--help"], timeout=TIMEOUT)
                    self.assertEqual(p.returncode, 0, p.stderr_text)
                    self.assertEqual(p.stderr_text, "")
                    self.assertTrue(p.stdout_text.startswith("usage: rootwatch"), p.stdout_text[:200])

    def test_bad_options_told_alike(self):
        for words, cmd in FORMS:
            for bad, says in ((["--no-such-option"], "unknown option '--no-such-option'"),
                              (["-Z"], "unknown option '-Z'"),
                              (["--quiet=yes"], "option '--quiet' takes no value"),
                              (["--verbose=2"], "option '--verbose' takes no value")):
                with self.subTest(form=words, bad=bad):
                    p = rwtest.run(words + bad, timeout=TIMEOUT)
                    self.assertEqual(p.returncode, 2, p.stderr_text)
                    self.assertEqual(p.stdout_text, "")
                    self.assertIn("rootwatch: error: " + says, p.stderr_text)
                    self.assertIn("Try 'rootwatch %s --help'." % cmd, p.stderr_text)

    def test_rules_check_levels(self):
        rules = self.write("expired.yaml", EXPIRED)
        p = rwtest.run(["rules", "check", rules], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(levels(p.stderr_text), ["warning"], p.stderr_text)
        self.assertIn("expired", p.stderr_text)
        p = rwtest.run(["rules", "check", "-q", rules], timeout=TIMEOUT)
        self.assertEqual((p.returncode, p.stderr_text), (0, ""), "-q: errors only")
        self.assertEqual(p.stdout_text, "1 rule: valid\n")
        p = rwtest.run(["rules", "check", "-v", rules], timeout=TIMEOUT)
        self.assertEqual(levels(p.stderr_text), ["warning", "info"], p.stderr_text)
        self.assertIn("1 rule loaded from %s" % rules, p.stderr_text)
        p = rwtest.run(["rules", "check", "-q", "-v", rules], timeout=TIMEOUT)
        self.assertEqual(levels(p.stderr_text), ["warning"], "-q and -v count against each other")
        # errors are never quietened
        p = rwtest.run(["rules", "check", "-q", os.path.join(self.dir, "missing.yaml")], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 2)
        self.assertIn("rootwatch: error:", p.stderr_text)

    def test_scan_levels(self):
        trail = self.write("trail.json", rwtest.trail_bytes([rwtest.record("opt-root-1")]))
        rules = self.write("expired.yaml", EXPIRED)
        p = rwtest.run(["scan", "-f", "ndjson", "--rules", rules, trail], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertIn("warning", levels(p.stderr_text))
        self.assertIn("summary:", p.stderr_text)
        p = rwtest.run(["scan", "-q", "-f", "ndjson", "--rules", rules, trail], timeout=TIMEOUT)
        self.assertEqual((p.returncode, p.stderr_text), (1, ""), "-q: no warning, no summary")
        self.assertEqual([a["eventID"] for a in rwtest.ndjson(p.stdout_text)], ["opt-root-1"])
        p = rwtest.run(["scan", "-v", "-f", "ndjson", "--rules", rules, trail], timeout=TIMEOUT)
        self.assertRegex(p.stderr_text, r"rootwatch: info: \d+ rules loaded from the built-in rules, %s\n"
                         % re.escape(rules))
        self.assertNotIn("debug", levels(p.stderr_text))
        p = rwtest.run(["scan", "-vv", "-f", "ndjson", trail], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertIn("info", levels(p.stderr_text))

    def test_aws_whoami_levels(self):
        # -v: each retry (info); -vv: where the credentials were found too (debug); before, -v
        # was debug in aws and info elsewhere
        env = awsfake.clean_aws_env({"AWS_ACCESS_KEY_ID": "AKIAOPTIONSTEST00001",
                                     "AWS_SECRET_ACCESS_KEY": "options/secret/key/0123456789abcdef",
                                     "AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "2"})
        XML = {"Content-Type": "text/xml"}
        for flags, want in (([], []), (["-v"], ["info"]), (["-vv"], ["debug", "info"]), (["-q"], [])):
            with self.subTest(flags=flags):
                with awsfake.FaultServer([("status", 503, "busy", {})],
                                         default=("status", 200, STS_IDENTITY, XML)) as fs:
                    p = rwtest.run(["aws", "whoami", "--endpoint-url", fs.url] + flags, env=env,
                                   timeout=TIMEOUT)
                self.assertEqual(p.returncode, 0, p.stderr_text)
                self.assertIn("111122223333", p.stdout_text)
                self.assertEqual(sorted(set(levels(p.stderr_text))), want, p.stderr_text)
                if "info" in want:
                    self.assertRegex(p.stderr_text, r"rootwatch: info: STS GetCallerIdentity: .*attempt 1 of 2")
                if "debug" in want:
                    self.assertIn("rootwatch: debug: AWS credentials from", p.stderr_text)
                self.assertNotIn("options/secret/key", p.stderr_text + p.stdout_text)

    def test_aws_whoami_quiet_hides_warnings(self):
        env = awsfake.clean_aws_env({"AWS_ACCESS_KEY_ID": "AKIAOPTIONSTEST00001",
                                     "AWS_SECRET_ACCESS_KEY": "options/secret/key/0123456789abcdef",
                                     "AWS_REGION": "us-east-1", "ROOTWATCH_AWS_TIMEOUT_MS": "soon"})
        with awsfake.FaultServer(default=("status", 200, STS_IDENTITY, {"Content-Type": "text/xml"})) as fs:
            p = rwtest.run(["aws", "whoami", "--endpoint-url", fs.url], env=env, timeout=TIMEOUT)
            self.assertEqual(levels(p.stderr_text), ["warning"], p.stderr_text)
            p = rwtest.run(["aws", "whoami", "-q", "--endpoint-url", fs.url], env=env, timeout=TIMEOUT)
            self.assertEqual((p.returncode, p.stderr_text), (0, ""))

    def test_notify_levels(self):
        cfg = self.write("notify.yaml", "channels:\n  - name: term\n    type: stdout\n")
        p = rwtest.run(["notify", "check", "--config", cfg], timeout=TIMEOUT)
        self.assertEqual((p.returncode, p.stderr_text), (0, ""))
        p = rwtest.run(["notify", "check", "-v", "--config", cfg], timeout=TIMEOUT)
        self.assertIn("rootwatch: info: %s: channel term (stdout)" % cfg, p.stderr_text)
        p = rwtest.run(["notify", "check", "-q", "-v", "--config", cfg], timeout=TIMEOUT)
        self.assertEqual(p.stderr_text, "")

    def test_alerts_levels(self):
        store = os.path.join(self.dir, "store.db")
        cfg = self.write("notify.yaml", "channels:\n  - name: term\n    type: stdout\n")
        trail = self.write("trail.json", rwtest.trail_bytes([rwtest.record("opt-root-2")]))
        p = rwtest.run(["scan", "-q", "-f", "ndjson", "--notify", "--config", cfg, "--store", store, trail],
                       timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        p = rwtest.run(["alerts", "list", "--store", store], timeout=TIMEOUT)
        self.assertEqual((p.returncode, p.stderr_text), (0, ""))
        self.assertIn("term:sent", p.stdout_text)
        p = rwtest.run(["alerts", "show", "opt-root-2", "-v", "--store", store], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertIn("rootwatch: info: the store read: %s" % store, p.stderr_text)


if __name__ == "__main__":
    rwtest.main()

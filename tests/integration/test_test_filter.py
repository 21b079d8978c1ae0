"""rootwatch test-filter (issue 14): a CloudWatch Logs filter pattern against a log event, or
against the canonical root cases of audit's metric-filter-root check (docs/audit.md).

Exit codes: 0 match (root cases: all right), 1 no match (some wrong), 2 invalid pattern, unreadable
event, usage error."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwtest  # noqa: E402

CIS = ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
       '$.eventType != "AwsServiceEvent" }')
ROOT_CALL = ('{"userIdentity":{"type":"Root","accountId":"111122223333"},'
             '"eventType":"AwsApiCall","eventName":"ListBuckets"}')


class TestFilter(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(data)
        return path

    def test_event_match_and_no_match(self):
        p = rwtest.run(["test-filter", "--pattern", CIS, "--event", ROOT_CALL])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(p.stdout_text, "match (json pattern)\n")
        p = rwtest.run(["test-filter", "-p", CIS, "-e",
                        ROOT_CALL.replace('"Root"', '"IAMUser"')])
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertEqual(p.stdout_text, "no match (json pattern)\n")

    def test_not_equal_on_a_missing_field(self):
        # AWS's own test (DataBiosphere/azul#5884): != does not match a record without the field
        pat = ('{($.errorCode = "AccessDenied") && '
               '($.userIdentity.invokedBy != "cloudfront.amazonaws.com")}')
        ev = '{"errorCode": "AccessDenied", "userIdentity": {"accountId": "anonymous"}}'
        p = rwtest.run(["test-filter", "-p", pat, "-e", ev])
        self.assertEqual(p.returncode, 1, p.stdout_text + p.stderr_text)

    def test_files_and_stdin(self):
        pat = self.write("pattern.txt", CIS + "\n")
        ev = self.write("record.json", ROOT_CALL + "\n")
        p = rwtest.run(["test-filter", "--pattern", "@" + pat, "--event", "@" + ev])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        p = rwtest.run(["test-filter", "--pattern", "file://" + pat, "--event", "-"],
                       stdin=ROOT_CALL.encode())
        self.assertEqual(p.returncode, 0, p.stderr_text)
        p = rwtest.run(["test-filter", "-p", "[w1=ERROR, w2]", "-e", "-"], stdin=b"ERROR message\n")
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(p.stdout_text, "match (space-delimited pattern)\n")
        p = rwtest.run(["test-filter", "-p", "?ERROR ?WARN", "-e", "INFO message"])
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertEqual(p.stdout_text, "no match (terms pattern)\n")
        p = rwtest.run(["test-filter", "-p", "x", "-e", "@" + os.path.join(self.tmp.name, "none")])
        self.assertEqual(p.returncode, 2)
        self.assertIn("No such file", p.stderr_text)

    def test_root_cases(self):
        p = rwtest.run(["test-filter", "--pattern", CIS, "--root-cases"])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertIn("PASS: catches every canonical root case", p.stdout_text)
        self.assertEqual(p.stdout_text.count("\nok "), 6, p.stdout_text)  # 7 lines, the first too
        self.assertNotIn("WRONG", p.stdout_text)
        # clause order and spacing do not matter
        p = rwtest.run(["test-filter", "--root-cases", "--pattern",
                        '{$.eventType!=AwsServiceEvent&&($.userIdentity.invokedBy NOT EXISTS)'
                        '&&$.userIdentity.type=Root}'])
        self.assertEqual(p.returncode, 0, p.stdout_text)
        # a look-alike that Prowler's regular expression accepts
        p = rwtest.run(["test-filter", "--root-cases", "--pattern",
                        '{ $.userIdentity.type = "Root" || $.userIdentity.invokedBy NOT EXISTS && '
                        '$.eventType != "AwsServiceEvent" }'])
        self.assertEqual(p.returncode, 1, p.stdout_text)
        self.assertIn("WRONG IAM user call", p.stdout_text)
        self.assertIn("FAIL: matches root call made by an AWS service (invokedBy); matches "
                      "AwsServiceEvent with a root identity; matches IAM user call; matches "
                      "assumed-role call", p.stdout_text)
        # sign-ins only
        p = rwtest.run(["test-filter", "--root-cases", "--pattern", "{ $.eventName = ConsoleLogin }"])
        self.assertEqual(p.returncode, 1, p.stdout_text)
        self.assertIn("FAIL: misses root API call (write); misses root read-only call",
                      p.stdout_text)

    def test_invalid_pattern(self):
        p = rwtest.run(["test-filter", "-p", "{ $.a = }", "-e", "{}"])
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout_text, "")
        self.assertIn("invalid filter pattern: offset 8: expected a value", p.stderr_text)
        p = rwtest.run(["test-filter", "-p", "{ $.a = " + "x" * 1100 + " }", "--root-cases"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("over AWS's limit of 1024", p.stderr_text)

    def test_usage(self):
        for args in (["test-filter"], ["test-filter", "-p", "x"],
                     ["test-filter", "-p", "x", "-e", "y", "--root-cases"],
                     ["test-filter", "-p", "x", "-e", "y", "extra"]):
            with self.subTest(args=args):
                p = rwtest.run(args)
                self.assertEqual(p.returncode, 2)
                self.assertIn("Try 'rootwatch test-filter --help'.", p.stderr_text)
        p = rwtest.run(["test-filter", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("--root-cases", p.stdout_text)
        p = rwtest.run(["--help"])
        self.assertIn("test-filter", p.stdout_text)


if __name__ == "__main__":
    unittest.main()

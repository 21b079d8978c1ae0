"""rootwatch audit --accounts against moto: an organization of four accounts and one closed.

Account A (moto's default, 123456789012) is the management account and runs the audit; moto's
Organizations makes the members (create_account), and STS AssumeRole into any of them gives
credentials of that account. The members: one compliant (set up as test_audit.py's compliant
account is, with its helpers), one broken (its metric filter deleted, root MFA off), one without
the audit role, one closed (SUSPENDED: not audited). A is compliant too.

rootwatch talks to test_audit.py's Front (moto behind it, the calls its docstring names answered
by it), which here also:
  - answers STS AssumeRole of the account without the role with 403 AccessDenied, as AWS does
    (moto lets any role be assumed, existing or not), and ties the keys moto gives for the
    others to their account (Front answers per account);
  - holds the per-account state test_audit.py's Front keeps for A and B for every account;
  - answers Organizations ListAccounts two accounts a page (moto's, with NextToken), so that the
    five accounts take three pages.
"""
import copy
import csv
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
import test_audit  # noqa: E402  (its Front and compliant-account helpers; not its tests)

A = test_audit.A
REGIONS = test_audit.REGIONS
ROLE = "rootwatch-audit"


class OrgFront(test_audit.Front):
    def __init__(self, moto):
        self.no_role = set()
        self.list_pages = 0
        super().__init__(moto)

    def reset_state(self):
        super().reset_state()
        template = copy.deepcopy(self.state[A])
        self.state = _States(self.state, template)

    def route(self, req):
        op = test_audit.operation(req)
        if op == "ListAccounts" and op not in self.state[self.account(req)]["deny"]:
            start = int(json.loads(req.body or b"{}").get("NextToken", "0"))
            # moto's list (the caller is A, moto's default account), with dates as AWS sends them
            org = self.moto.boto3_client("organizations")
            accounts = [dict(a, JoinedTimestamp=a["JoinedTimestamp"].timestamp())
                        for pg in org.get_paginator("list_accounts").paginate()
                        for a in pg["Accounts"]]
            page = {"Accounts": accounts[start:start + 2]}
            if start + 2 < len(accounts):
                page["NextToken"] = str(start + 2)
            self.list_pages += 1
            return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(page)
        if op == "AssumeRole":
            form = urllib.parse.parse_qs(req.body.decode())
            role = form["RoleArn"][0]
            acct = role.split(":")[4]
            if acct in self.no_role:
                return test_audit.query_error(
                    403, "AccessDenied",
                    "User: arn:aws:iam::%s:user/auditor is not authorized to perform: "
                    "sts:AssumeRole on resource: %s" % (self.account(req), role))
            status, headers, body = self.forward(req)
            m = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", body)
            if status == 200 and m:
                self.keys[m.group(1).decode()] = acct
            return status, headers, body
        return super().route(req)


class _States(dict):
    """Front's per-account state, made for an account at its first request."""

    def __init__(self, states, template):
        super().__init__(states)
        self.template = template

    def __missing__(self, acct):
        self[acct] = copy.deepcopy(self.template)
        return self[acct]


class _Accounts:
    """What test_audit.Audit's compliant-account helpers need: credentials per account, moto."""
    client = test_audit.Audit.client
    comply = test_audit.Audit.comply
    alarm = test_audit.Audit.alarm

    def __init__(self, moto):
        self.moto = moto
        self.creds = {A: (awsfake.DUMMY_ACCESS_KEY_ID, awsfake.DUMMY_SECRET_ACCESS_KEY, None)}
        self.topics = {}


@unittest.skipUnless(awsfake.MotoServer.available() and awsfake.boto3_available(),
                     "needs moto_server and boto3")
class AuditOrganization(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfake.MotoServer().start()
        cls.front = OrgFront(cls.moto).start()
        h = cls.h = _Accounts(cls.moto)
        org = h.client(A, "organizations")
        org.create_organization(FeatureSet="ALL")
        ids = {}
        for name in ("compliant", "broken", "no-role", "closed"):
            st = org.create_account(Email="%s@example.com" % name, AccountName=name)
            ids[name] = st["CreateAccountStatus"]["AccountId"]
        cls.C, cls.D, cls.N, cls.X = (ids[n] for n in ("compliant", "broken", "no-role", "closed"))
        org.close_account(AccountId=cls.X)
        sts = cls.moto.boto3_client("sts")
        for acct in (cls.C, cls.D):
            c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/setup" % acct,
                                RoleSessionName="setup")["Credentials"]
            h.creds[acct] = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
            cls.front.keys[c["AccessKeyId"]] = acct
        for acct in (A, cls.C, cls.D):
            h.comply(acct)
        # the broken account: no metric filter, and root MFA off
        h.client(cls.D, "logs").delete_metric_filter(logGroupName="cloudtrail/root",
                                                     filterName="RootAccountUsage")
        cls.front.state[cls.D]["mfa"] = 0
        cls.front.no_role.add(cls.N)

    @classmethod
    def tearDownClass(cls):
        cls.front.stop()
        cls.moto.stop()

    def audit(self, *args, fmt="json"):
        extra = {"AWS_ENDPOINT_URL": self.front.url,
                 "AWS_ACCESS_KEY_ID": awsfake.DUMMY_ACCESS_KEY_ID,
                 "AWS_SECRET_ACCESS_KEY": awsfake.DUMMY_SECRET_ACCESS_KEY,
                 "AWS_REGION": "us-east-1"}
        argv = ["audit", "--format", fmt, "--regions", ",".join(REGIONS)] + list(args)
        return rwtest.run(argv, env=awsfake.clean_aws_env(extra), timeout=120)

    def role(self, acct):
        return "arn:aws:iam::%s:role/%s" % (acct, ROLE)

    def matrix(self, text):
        """The summary matrix's rows: account -> (name, PASS, FAIL, WARN, NA, ERROR, failing)."""
        rows = {}
        lines = text[text.index("Accounts, worst first:"):].splitlines()
        for line in lines[3:]:
            m = re.match(r"(\d{12}|total)\s+(\S*)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*(.*)$",
                         line)
            if not m:
                break
            rows[m.group(1)] = (m.group(2),) + tuple(int(m.group(i)) for i in range(3, 8)) + (
                m.group(8),)
        return rows, [line.split()[0] for line in lines[3:] if re.match(r"\d{12} ", line)]

    def test_organization_table(self):
        pages = self.front.list_pages
        p = self.audit("--accounts", "org", fmt="table")  # --role rootwatch-audit, the default
        self.assertEqual(self.front.list_pages - pages, 3)  # five accounts, two a page
        out = p.stdout_text
        # the account without the role makes the run exit 2; the others still ran
        self.assertEqual(p.returncode, 2, p.stderr_text + out)
        self.assertIn("rootwatch audit of account %s (no-role), through role %s"
                      % (self.N, self.role(self.N)), out)
        self.assertIn("rootwatch audit of account %s (broken), through role %s"
                      % (self.D, self.role(self.D)), out)
        self.assertIn("rootwatch audit of account %s (compliant), through role %s"
                      % (self.C, self.role(self.C)), out)
        self.assertIn("rootwatch audit of account %s (closed): SUSPENDED, not audited" % self.X,
                      out)
        self.assertRegex(out, r"rootwatch audit of account %s \([^)]*\), with the caller's "
                              r"credentials" % A)
        self.assertRegex(out, r"ERROR\s+account-access\s+global")
        self.assertIn("role %s could not be assumed" % self.role(self.N), out)
        self.assertIn("not authorized to perform: sts:AssumeRole", out)

        rows, order = self.matrix(out)
        # worst first: the ERROR, then the FAILs, then the rest
        self.assertEqual(order[:2], [self.N, self.D], out)
        self.assertEqual(set(order), {A, self.C, self.D, self.N, self.X})
        self.assertEqual(rows[self.N][1:6], (0, 0, 0, 0, 1))
        self.assertEqual(rows[self.N][6], "ERROR: account-access")
        name, npass, nfail, nwarn, nna, nerr, failing = rows[self.D]
        self.assertEqual(name, "broken")
        self.assertEqual((nfail, nerr), (len(failing.split(", ")), 0), out)
        for check in ("metric-filter-root", "root-mfa"):
            self.assertIn(check, failing.split(", "))
        for acct in (A, self.C):
            self.assertEqual(rows[acct][2:6:3], (0, 0), out)  # no FAIL, no ERROR
            self.assertEqual(rows[acct][6], "")
            self.assertGreaterEqual(rows[acct][1], 13)
        self.assertEqual(rows[self.X][1:6], (0, 0, 0, 1, 0))
        self.assertEqual(rows[self.X][6], "(SUSPENDED: not audited)")
        self.assertEqual(rows["total"][1:6],
                         tuple(sum(rows[a][k] for a in order) for k in range(1, 6)))
        self.assertIn("5 accounts: 1 with ERROR, 1 with FAIL, 2 passed, 1 not audited", out)

    def test_organization_json_and_csv_carry_the_account(self):
        p = self.audit("--accounts", "org", "--role", ROLE)
        self.assertEqual(p.returncode, 2, p.stderr_text)
        findings = json.loads(p.stdout)
        by = {}
        for f in findings:
            by.setdefault(f["account"], []).append(f)
        self.assertEqual(set(by), {A, self.C, self.D, self.N, self.X})
        self.assertEqual([f["result"] for f in by[self.N]], ["ERROR"])
        err = by[self.N][0]
        self.assertEqual(err["id"], "account-access")
        self.assertEqual(err["resource"], self.role(self.N))
        self.assertEqual(err["permission"], "sts:AssumeRole")
        self.assertIn("AccessDenied", err["evidence"])
        for acct in (A, self.C):
            bad = [f for f in by[acct] if f["result"] in ("FAIL", "ERROR")]
            self.assertEqual(bad, [], acct)
        failed = {f["id"] for f in by[self.D] if f["result"] == "FAIL"}
        self.assertTrue({"metric-filter-root", "root-mfa"} <= failed, failed)
        self.assertEqual([f["result"] for f in by[self.X]], ["NOT_APPLICABLE"])
        self.assertIn("SUSPENDED", by[self.X][0]["evidence"])
        # the matrix goes to stderr with a machine format
        self.assertIn("5 accounts: 1 with ERROR, 1 with FAIL, 2 passed", p.stderr_text)

    def test_explicit_list_with_an_arn_template_and_csv(self):
        p = self.audit("--accounts", "%s,%s" % (self.C, self.D), "--role",
                       "arn:aws:iam::{account}:role/%s" % ROLE, "--external-id", "x-1",
                       fmt="csv")
        self.assertEqual(p.returncode, 1, p.stderr_text)
        rows = list(csv.DictReader(io.StringIO(p.stdout_text)))
        self.assertEqual({r["account"] for r in rows}, {self.C, self.D})
        self.assertTrue(all(r["account"] for r in rows))
        self.assertEqual([r for r in rows if r["account"] == self.C and
                          r["result"] in ("FAIL", "ERROR")], [])
        self.assertIn("metric-filter-root", {r["id"] for r in rows
                                             if r["account"] == self.D and r["result"] == "FAIL"})

    def test_compliant_member_alone_exits_0(self):
        p = self.audit("--accounts", self.C, "--role", ROLE, fmt="table")
        self.assertEqual(p.returncode, 0, p.stderr_text + p.stdout_text)
        self.assertIn("1 account: 0 with ERROR, 0 with FAIL, 1 passed", p.stdout_text)

    def test_role_template_naming_another_account_is_an_error(self):
        # a template whose {account} is not where the account id goes: the role assumed is C's,
        # so what was read is C's and is not reported as D's; D is said not to be audited
        p = self.audit("--accounts", self.D, "--role", "arn:aws:iam::%s:role/audit-{account}" % self.C,
                       "--check", "root-mfa")
        self.assertEqual(p.returncode, 2, p.stderr_text)
        findings = json.loads(p.stdout_text)
        [err] = [f for f in findings if f["id"] == "account-access"]
        self.assertEqual(err["result"], "ERROR")
        self.assertIn("gave credentials of account %s (STS GetCallerIdentity), not of account %s"
                      % (self.C, self.D), err["evidence"])
        self.assertIn("account %s was not audited" % self.D, err["evidence"])
        self.assertEqual([(f["id"], f["account"]) for f in findings], [("account-access", self.D)])

    def test_list_accounts_refused(self):
        self.front.state[A]["deny"].add("ListAccounts")
        try:
            p = self.audit("--accounts", "org", "--role", ROLE, fmt="table")
        finally:
            self.front.state[A]["deny"].discard("ListAccounts")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout_text, "")
        self.assertIn("organizations:ListAccounts", p.stderr_text)

    def test_usage(self):
        for args, words in ((["--role", ROLE], "--role is for --accounts"),
                            (["--external-id", "x"], "--external-id is for --accounts"),
                            (["--accounts", "org,%s" % A], "not an account id"),
                            (["--accounts", "12345", "--role", ROLE], "not an account id"),
                            (["--accounts", "org", "--role", "arn:aws:iam::1:role/x"],
                             "must name {account}")):
            p = rwtest.run(["audit"] + args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(words, p.stderr_text, args)


if __name__ == "__main__":
    unittest.main()

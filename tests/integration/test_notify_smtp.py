"""The SMTP channel (src/notify/out_smtp.c) against a real SMTP server started by the test
(notify_servers.SmtpServer), driven by rw_notify_tool: plain SMTP to loopback, STARTTLS and smtps://
with a private CA, AUTH, several recipients, the MIME structure, and what is retried.
"""
import email.header
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import notify_servers  # noqa: E402
import rwtest  # noqa: E402
from notify_servers import SmtpServer, make_alert  # noqa: E402

TOOL = os.environ.get("RW_NOTIFY_TOOL", os.path.join(rwtest.REPO, "build", "tests", "rw_notify_tool"))
PASSWORD = "s3cret-Pa55word"


class Smtp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rw-smtp-")
        cls.certs = notify_servers.make_certs(cls.tmp) if notify_servers.openssl_available() else None
        # no proxy may come between libcurl and the servers
        cls.env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def need_tls(self):
        if not self.certs:
            self.skipTest("the openssl command is not installed: no test certificates")

    def send(self, settings, alerts=None, ok=True, args=()):
        alerts = alerts if alerts is not None else [make_alert("7f3a2c10-0000-4000-8000-00000000000a")]
        path = notify_servers.alerts_file(os.path.join(self.tmp, uuid.uuid4().hex + ".ndjson"), alerts)
        p = subprocess.run([TOOL, "smtp", json.dumps(settings), path] + list(args),
                           capture_output=True, text=True, env=self.env, timeout=120)
        for mark in rwtest.SANITIZER_MARKS:
            self.assertNotIn(mark, p.stderr)
        if ok:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def base(self, server, **kw):
        s = {"url": server.url(), "starttls": False, "from": "rootwatch@example.com",
             "to": "security@example.com"}
        s.update(kw)
        return s

    def test_plain_to_loopback_multipart(self):
        with SmtpServer() as srv:
            alert = make_alert("7f3a2c10-0000-4000-8000-00000000000b", "CreateAccessKey",
                               severity="critical")
            self.send(self.base(srv, **{"from": "Root Watch <rootwatch@example.com>"}), [alert])
            m, = srv.wait(1)
            self.assertEqual(srv.errors, [])
            self.assertFalse(m.tls)
            self.assertEqual(m.mail_from, "rootwatch@example.com")
            self.assertEqual(m.rcpt_tos, ["security@example.com"])
            e = m.email
            self.assertEqual(e["Subject"], "Root API call CreateAccessKey in 123456789012 (critical)")
            self.assertEqual(e["From"], "Root Watch <rootwatch@example.com>")
            self.assertEqual(e["To"], "security@example.com")
            self.assertEqual(e["Message-ID"], "<%s.rootwatch@example.com>" % alert["eventID"])
            self.assertEqual(e["X-Rootwatch-Event-Id"], alert["eventID"])
            self.assertEqual(e["X-Rootwatch-Severity"], "critical")
            self.assertEqual(e["Date"], "Thu, 20 Nov 2025 10:00:00 +0000")  # rw_notify_tool's clock
            self.assertEqual(e.get_content_type(), "multipart/alternative")
            parts = list(e.iter_parts())
            self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
            for p in parts:
                self.assertEqual(p.get_content_charset(), "utf-8")
                self.assertIn(p["Content-Transfer-Encoding"], ("quoted-printable", "base64"))
            # the parts as a mail reader shows them (the wire's CRLF as line feeds)
            text, html = (p.get_content().replace("\r\n", "\n") for p in parts)
            self.assertTrue(text.startswith("Root API call CreateAccessKey in 123456789012 (critical)\n"))
            self.assertIn("iam.amazonaws.com:CreateAccessKey", text)
            self.assertIn("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1"
                          "#/events/" + alert["eventID"], text)
            self.assertIn("<table>", html)
            self.assertIn('href="https://eu-west-1.console.aws.amazon.com/', html)
            # lines stay within SMTP's limits, CRLF everywhere
            for line in m.data.split(b"\r\n"):
                self.assertLessEqual(len(line), 78, line)
                self.assertNotIn(b"\n", line)

    def test_same_event_same_message(self):
        # a repeated delivery is the same message (Message-ID, Date): mail systems see a repeat
        with SmtpServer() as srv:
            a = make_alert("7f3a2c10-0000-4000-8000-00000000000c")
            self.send(self.base(srv), [a])
            self.send(self.base(srv), [a], args=["--attempt", "2"])
            m1, m2 = srv.wait(2)
            self.assertEqual(m1.data, m2.data)

    def test_non_ascii_subject_and_body(self):
        with SmtpServer() as srv:
            name = "Delete\u00e9\u2603Bucket\r\nBcc: evil@example.com"
            alert = make_alert("7f3a2c10-0000-4000-8000-00000000000d", name,
                               userAgent="Mozilla/5.0 (X11; \u65e5\u672c\u8a9e)" + " x" * 60)
            self.send(self.base(srv), [alert])
            m, = srv.wait(1)
            e = m.email
            self.assertIsNone(e["Bcc"])  # no header injection
            self.assertIn(b"Subject: =?UTF-8?B?", m.data)
            subject = str(email.header.make_header(email.header.decode_header(e["Subject"])))
            self.assertEqual(subject, "Root API call Delete\u00e9\u2603Bucket? Bcc: evil@example.com in "
                             "123456789012 (high)")
            text = e.get_body(("plain",)).get_content().replace("\r\n", "\n")
            self.assertIn("\u65e5\u672c\u8a9e", text)
            self.assertIn(" x" * 60, text.replace("\n", ""))
            self.assertNotIn(b"\xe6", m.data)  # 7-bit on the wire

    def test_several_recipients(self):
        with SmtpServer() as srv:
            to = ["a@example.com", "B\u00e9atrice <b@example.org>", "\"Sec, Team\" <c@example.net>"]
            self.send(self.base(srv, to=to))
            m, = srv.wait(1)
            self.assertEqual(m.rcpt_tos, ["a@example.com", "b@example.org", "c@example.net"])
            addrs = [a.addr_spec for a in m.email["To"].addresses]
            self.assertEqual(addrs, ["a@example.com", "b@example.org", "c@example.net"])
            self.assertEqual([a.display_name for a in m.email["To"].addresses],
                             ["", "B\u00e9atrice", "Sec, Team"])

    def test_starttls_with_private_ca_and_auth(self):
        self.need_tls()
        with SmtpServer(tls="starttls", certs=self.certs, users={"alerts": PASSWORD},
                        require_auth=True) as srv:
            self.send({"url": srv.url(), "ca_file": self.certs.ca, "username": "alerts",
                       "password": PASSWORD, "from": "rootwatch@example.com", "to": "sec@example.com"})
            m, = srv.wait(1)
            self.assertTrue(m.tls)
            self.assertEqual(m.auth_user, "alerts")
            self.assertEqual(srv.auth_log, [(srv.auth_log[0][0], "alerts", True)])
            self.assertIn("STARTTLS", srv.commands)

    def test_smtps_implicit_tls(self):
        self.need_tls()
        with SmtpServer(tls="implicit", certs=self.certs) as srv:
            self.send({"url": srv.url("smtps"), "ca_file": self.certs.ca,
                       "from": "rootwatch@example.com", "to": "sec@example.com"})
            m, = srv.wait(1)
            self.assertTrue(m.tls)

    def test_untrusted_certificate_refused(self):
        self.need_tls()
        with SmtpServer(tls="starttls", certs=self.certs) as srv:
            p = self.send({"url": srv.url(), "from": "rootwatch@example.com", "to": "sec@example.com"},
                          ok=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("fail retryable", p.stdout)
            self.assertIn("certificate", p.stdout)
            self.assertEqual(srv.messages, [])

    def test_starttls_required(self):
        # a server that offers no STARTTLS is not sent to in clear text
        with SmtpServer() as srv:
            p = self.send({"url": srv.url(), "from": "rootwatch@example.com", "to": "sec@example.com"},
                          ok=False)
            self.assertIn("fail permanent", p.stdout)
            self.assertEqual(srv.messages, [])

    def test_auth_failure_permanent_without_password(self):
        self.need_tls()
        with SmtpServer(tls="starttls", certs=self.certs, users={"alerts": PASSWORD},
                        require_auth=True) as srv:
            wrong = "Wr0ng-" + PASSWORD
            p = self.send({"url": srv.url(), "ca_file": self.certs.ca, "username": "alerts",
                           "password": wrong, "from": "rootwatch@example.com", "to": "sec@example.com"},
                          ok=False)
            self.assertEqual(p.returncode, 1)
            self.assertRegex(p.stdout, r"^fail permanent .*authentication refused.*535")
            self.assertNotIn(wrong, p.stdout + p.stderr)
            self.assertNotIn(PASSWORD, p.stdout + p.stderr)
            self.assertEqual(srv.messages, [])
            self.assertEqual(srv.auth_log[-1][1:], ("alerts", False))

    def test_password_from_environment(self):
        self.need_tls()
        with SmtpServer(tls="starttls", certs=self.certs, users={"alerts": PASSWORD},
                        require_auth=True) as srv:
            env = dict(self.env, RW_TEST_SMTP_PASSWORD=PASSWORD)
            path = notify_servers.alerts_file(os.path.join(self.tmp, "env.ndjson"),
                                              [make_alert("id-env")])
            settings = {"url": srv.url(), "ca_file": self.certs.ca, "username": "alerts",
                        "password": "env:RW_TEST_SMTP_PASSWORD", "from": "rootwatch@example.com",
                        "to": "sec@example.com"}
            p = subprocess.run([TOOL, "smtp", json.dumps(settings), path], capture_output=True,
                               text=True, env=env, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(len(srv.wait(1)), 1)

    def test_temporary_failures_retryable(self):
        for stage, action in (("rcpt", 451), ("mail", 451), ("end", 452), ("greeting", 421),
                              ("data", "drop"), ("end", "drop")):
            with self.subTest(stage=stage, action=action), SmtpServer() as srv:
                srv.fail(stage, action)
                p = self.send(self.base(srv), ok=False)
                self.assertEqual(p.returncode, 1)
                self.assertRegex(p.stdout, r"^fail retryable ")
                if action != "drop":
                    self.assertIn(str(action), p.stdout)
                self.assertEqual(srv.messages, [])
                # the next try goes through
                self.send(self.base(srv))
                self.assertEqual(len(srv.wait(1)), 1)

    def test_permanent_failures(self):
        for stage, action in (("rcpt", 550), ("end", 550), ("mail", 554), ("greeting", 554)):
            with self.subTest(stage=stage, action=action), SmtpServer() as srv:
                srv.fail(stage, action)
                p = self.send(self.base(srv), ok=False)
                self.assertEqual(p.returncode, 1)
                self.assertRegex(p.stdout, r"^fail permanent .*%d" % action)
                self.assertEqual(srv.messages, [])

    def test_unknown_recipient_permanent(self):
        with SmtpServer(reject_rcpt=["gone@example.com"]) as srv:
            p = self.send(self.base(srv, to=["sec@example.com", "gone@example.com"]), ok=False)
            self.assertRegex(p.stdout, r"^fail permanent .*550 5\.1\.1")

    def test_refused_connection_retryable(self):
        with SmtpServer() as srv:
            url = srv.url()
        p = self.send({"url": url, "starttls": False, "from": "rootwatch@example.com",
                       "to": "sec@example.com"}, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"^fail retryable .*SMTP to 127\.0\.0\.1:\d+")

    def test_bad_settings(self):
        path = notify_servers.alerts_file(os.path.join(self.tmp, "none.ndjson"), [])
        cases = (
            ({"url": "smtp://mail.example.com:25", "starttls": False, "from": "a@example.com",
              "to": "b@example.com"}, "only to a loopback address"),
            ({"url": "http://127.0.0.1:25", "from": "a@example.com", "to": "b@example.com"},
             "smtps:// or smtp://"),
            ({"url": "smtps://u:p@mail.example.com", "from": "a@example.com", "to": "b@example.com"},
             "not in the URL"),
            ({"url": "smtps://mail.example.com", "from": "not an address", "to": "b@example.com"},
             "option from"),
            ({"url": "smtps://mail.example.com", "from": "a@example.com", "to": ["b@example.com", "x\r\ny"]},
             "option to"),
            ({"url": "smtps://mail.example.com", "from": "a@example.com", "to": "b@example.com",
              "username": "u"}, "username and password go together"),
            ({"url": "smtps://mail.example.com", "from": "a@example.com"}, "option to is required"),
            ({"url": "smtps://mail.example.com", "from": "a@example.com", "to": "b@example.com",
              "ca_file": "/nonexistent/ca.pem"}, "option ca_file"),
        )
        for settings, want in cases:
            with self.subTest(want=want):
                p = subprocess.run([TOOL, "smtp", json.dumps(settings), path], capture_output=True,
                                   text=True, env=self.env, timeout=60)
                self.assertEqual(p.returncode, 2, p.stdout)
                self.assertIn(want, p.stderr)
                self.assertNotIn(":p@", p.stderr)


if __name__ == "__main__":
    rwtest.main()

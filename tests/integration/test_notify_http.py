"""The HTTP channels (webhook, slack, teams, pagerduty) through the command line: `notify test` and
`scan --notify` against receivers on loopback (awsfake.HttpServer / FaultServer).

What a user checks: each service gets the payload it documents (a signed webhook the receiver can
verify with the snippet of docs/notify-channels-http.md; Slack Block Kit; a Teams Adaptive Card;
a PagerDuty Events API v2 trigger deduplicated by the eventID); refusals and temporary failures
are told apart and explained; no secret (URL tokens, the signing secret, the routing key) ever
appears in the output; plain http is refused except to loopback.
"""
import hashlib
import hmac
import json
import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

SIGNING_SECRET = "whsec-http-channels-0123456789"
URL_TOKEN = "T0KEN-abcdef-0123456789"
ROUTING_KEY = "R0123456789abcdef0123456789abcde"
SECRETS = (SIGNING_SECRET, URL_TOKEN, ROUTING_KEY)


def verify(secret, headers, body, tolerance=300):
    """The receiver's check of docs/notify-channels-http.md: HMAC-SHA256 of "<timestamp>.<body>"
    with the shared secret, compared in constant time, and a timestamp no older than tolerance."""
    ts = headers.get("x-rootwatch-timestamp", "")
    sig = headers.get("x-rootwatch-signature", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance:
        return False
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + mac, sig)


def dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


class NotifyHttp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rw-notify-http-")
        self.store = os.path.join(self.dir, "rootwatch.db")
        self.env = awsfake.clean_aws_env({"ROOTWATCH_NOTIFY_BACKOFF_MS": "50",
                                          "RW_SIGNING_SECRET": SIGNING_SECRET,
                                          "RW_ROUTING_KEY": ROUTING_KEY})

    def config(self, channels):
        path = os.path.join(self.dir, "rootwatch.yaml")
        with open(path, "w") as f:
            f.write("channels:\n" + "".join(channels))
        return path

    def run_rw(self, args):
        p = rwtest.run(args, env=self.env, timeout=300)
        for s in SECRETS:
            self.assertNotIn(s, p.stdout_text + p.stderr_text)
        return p

    # the four channels, each pointed at a receiver
    @staticmethod
    def webhook(url, name="hook"):
        return ("  - name: %s\n    type: webhook\n    url: %s/hook/%s\n    secret: env:RW_SIGNING_SECRET\n"
                "    headers: ['X-Team: secops']\n" % (name, url, URL_TOKEN))

    @staticmethod
    def slack(url):
        return ("  - name: chat\n    type: slack\n    webhook_url: %s/services/T0/B0/%s\n"
                "    account_aliases: ['000000000000=sandbox']\n" % (url, URL_TOKEN))

    @staticmethod
    def teams(url):
        return ("  - name: teams\n    type: teams\n    webhook_url: %s/workflows/1/invoke?sig=%s\n"
                % (url, URL_TOKEN))

    @staticmethod
    def pagerduty(url):
        return ("  - name: oncall\n    type: pagerduty\n    routing_key: env:RW_ROUTING_KEY\n"
                "    url: %s/v2/enqueue\n" % url)

    def test_notify_test_every_type(self):
        pd_ok = (202, {}, {"status": "success", "message": "Event processed", "dedup_key": "x"})
        with awsfake.HttpServer(lambda r: (200, {}, b"")) as hook, \
                awsfake.HttpServer(lambda r: (200, {}, b"ok")) as slack, \
                awsfake.HttpServer(lambda r: (202, {}, b"")) as teams, \
                awsfake.HttpServer(lambda r: pd_ok) as pd:
            cfg = self.config([self.webhook(hook.url), self.slack(slack.url), self.teams(teams.url),
                               self.pagerduty(pd.url)])
            p = self.run_rw(["notify", "test", "--config", cfg])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            for name in ("hook (webhook)", "chat (slack)", "teams (teams)", "oncall (pagerduty)"):
                self.assertIn(name + ": sent", p.stderr_text)

            # the webhook: the alert JSON, marked as a test, signed
            self.assertEqual(len(hook.requests), 1)
            r = hook.requests[0]
            self.assertEqual(r.method, "POST")
            self.assertEqual(r.path, "/hook/" + URL_TOKEN)
            self.assertEqual(r.header("content-type"), "application/json")
            self.assertTrue(r.header("user-agent").startswith("rootwatch/"))
            self.assertEqual(r.header("x-team"), "secops")
            alert = r.json()
            self.assertIs(alert["test"], True)
            self.assertEqual(r.header("x-rootwatch-event-id"), alert["eventID"])
            self.assertTrue(verify(SIGNING_SECRET, r.headers, r.body))
            self.assertFalse(verify("another secret", r.headers, r.body))
            self.assertFalse(verify(SIGNING_SECRET, r.headers, r.body + b" "))

            # Slack: Block Kit, with the text fallback and the alias
            m = slack.requests[0].json()
            self.assertIn("[TEST]", m["text"])
            types = [b["type"] for b in m["blocks"]]
            self.assertEqual(types[0], "header")
            self.assertIn("context", types)
            self.assertIn("actions", types)
            fields = [f["text"] for b in m["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
            self.assertIn("*Account*\n000000000000 (sandbox)", fields)
            self.assertTrue(any(f.startswith("*Severity*\n:red_circle: high") for f in fields), fields)
            button = [b for b in m["blocks"] if b["type"] == "actions"][0]["elements"][0]
            self.assertEqual(button["text"]["text"], "View in CloudTrail")
            self.assertTrue(button["url"].startswith(
                "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/"))

            # Teams: an Adaptive Card 1.4 in a message
            m = teams.requests[0].json()
            self.assertEqual(m["type"], "message")
            att = m["attachments"][0]
            self.assertEqual(att["contentType"], "application/vnd.microsoft.card.adaptive")
            card = att["content"]
            self.assertEqual((card["type"], card["version"]), ("AdaptiveCard", "1.4"))
            self.assertEqual(card["body"][0]["color"], "attention")  # high
            self.assertIn("FactSet", [b["type"] for b in card["body"]])
            self.assertEqual(card["actions"][0]["type"], "Action.OpenUrl")

            # PagerDuty: a trigger deduplicated by the eventID
            m = pd.requests[0].json()
            self.assertEqual(m["routing_key"], ROUTING_KEY)
            self.assertEqual(m["event_action"], "trigger")
            self.assertEqual(m["dedup_key"], alert["eventID"])
            self.assertEqual(m["payload"]["severity"], "error")  # high
            self.assertEqual(m["payload"]["source"], "aws:000000000000")
            self.assertTrue(m["payload"]["summary"].startswith("[TEST] "))
            self.assertNotIn("event", m["payload"]["custom_details"])
            self.assertIs(m["payload"]["custom_details"]["test"], True)
            self.assertEqual(m["client"], "rootwatch")

    def test_scan_notify_webhook_and_pagerduty(self):
        corpus = rwtest.ctgen(1, 73, root_per_mb=6)
        truth = set(rwtest.truth(corpus))
        self.assertTrue(truth)
        with awsfake.HttpServer(lambda r: (204, {}, b"")) as hook, \
                awsfake.HttpServer(lambda r: (202, {}, {"status": "success"})) as pd:
            cfg = self.config([self.webhook(hook.url), self.pagerduty(pd.url)])
            p = self.run_rw(["scan", "--format", "ndjson", "--notify", "--config", cfg, "--store", self.store,
                             os.path.join(corpus, "AWSLogs")])
            self.assertEqual(p.returncode, 1, p.stderr_text)
            alerts = {a["eventID"]: a for a in rwtest.ndjson(p.stdout_text)}
            self.assertEqual(set(alerts), truth)
            got = {}
            for r in hook.requests:
                body = r.json()
                self.assertTrue(verify(SIGNING_SECRET, r.headers, r.body))
                self.assertEqual(r.header("x-rootwatch-event-id"), body["eventID"])
                self.assertNotIn("test", body)
                got[body["eventID"]] = body
            self.assertEqual(set(got), truth)
            self.assertEqual(len(hook.requests), len(truth), "each alert once")
            sev = {"critical": "critical", "high": "error", "medium": "warning", "low": "info"}
            keys = []
            for r in pd.requests:
                m = r.json()
                keys.append(m["dedup_key"])
                a = alerts[m["dedup_key"]]
                self.assertEqual(m["payload"]["severity"], sev[a["severity"]])
                self.assertEqual(m["payload"]["timestamp"], a["eventTime"])
                self.assertEqual(m["payload"]["group"], a["account"])
                self.assertEqual(m["payload"]["class"], a["kind"])
                self.assertEqual(m["links"][0]["text"], "CloudTrail event")
                self.assertIn(a["eventID"], m["links"][0]["href"])
            self.assertEqual(sorted(keys), sorted(truth))

    def test_failures_told_apart(self):
        pd_400 = {"status": "invalid event", "message": "Event object is invalid",
                  "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"]}
        with awsfake.FaultServer(default=("status", 500, "upstream down, token " + URL_TOKEN, {})) as hook, \
                awsfake.FaultServer(default=("status", 400, "invalid_payload", {})) as slack, \
                awsfake.FaultServer(default=("status", 429, "slow down", {"Retry-After": "7"})) as teams, \
                awsfake.FaultServer(default=("status", 400, pd_400, {})) as pd:
            cfg = self.config([self.webhook(hook.url), self.slack(slack.url), self.teams(teams.url),
                               self.pagerduty(pd.url), self.webhook(dead_url(), "gone")])
            p = self.run_rw(["notify", "test", "--config", cfg])
            self.assertEqual(p.returncode, 2, p.stderr_text)
            lines = {l.split(":")[1].strip(): l for l in p.stderr_text.splitlines()
                     if l.startswith("notify test:")}
            self.assertIn("HTTP 500: upstream down, token [redacted]", lines["hook (webhook)"])
            self.assertIn("(a temporary failure)", lines["hook (webhook)"])
            self.assertIn("HTTP 400: invalid_payload", lines["chat (slack)"])
            self.assertNotIn("temporary", lines["chat (slack)"])
            self.assertIn("HTTP 429", lines["teams (teams)"])
            self.assertIn("Retry-After: 7", lines["teams (teams)"])
            self.assertIn("(a temporary failure)", lines["teams (teams)"])
            self.assertIn("HTTP 400: Event object is invalid: Length of 'routing_key' is incorrect",
                          lines["oncall (pagerduty)"])
            self.assertNotIn("temporary", lines["oncall (pagerduty)"])
            self.assertIn("(a temporary failure)", lines["gone (webhook)"])
            # messages name the host, never the path where the token is
            self.assertIn("http://127.0.0.1:%d" % hook.port, lines["hook (webhook)"])

    def test_plain_http_refused(self):
        for ch in (self.webhook("http://example.com"), self.slack("http://example.com"),
                   self.teams("http://example.com"), self.pagerduty("http://example.com")):
            with self.subTest(ch=ch.split("\n")[1]):
                cfg = self.config([ch])
                p = self.run_rw(["notify", "test", "--config", cfg])
                self.assertEqual(p.returncode, 2, p.stderr_text)
                self.assertIn("must be https://", p.stderr_text)
                self.assertNotIn("example.com", p.stderr_text)


if __name__ == "__main__":
    rwtest.main()

"""No secret of a notification configuration ever reaches rootwatch's output (issue 15, defect 1).

`notify check` printed the webhook's `headers` values in clear (X-Api-Key: APIKEYSECRET), and
showed a URL with credentials in it (https://user:PW@example.com/...) as "https:///...", losing
the host. What is shown of an option now comes from its type in the channel's option table alone
(docs/notify.md, "What rootwatch shows of a configuration").

The test walks EVERY channel type and every option `rootwatch notify channels --format json` marks
secret, gives each a distinctive value (a URL: a password in its user information, a token in its
path and one in its query; headers: a key and a bearer token), and runs what a user runs:
`notify check`, `notify test` against receivers that refuse and echo back what they were sent (a
careless server), and against a port where nothing listens, configurations with an error in them,
`scan --notify`, and all of them with -v. None of the values may appear in any output. A URL with
user information shows its host, and header names are shown.
"""
import base64
import json
import os
import socket
import socketserver
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

# The options that are secrets today: each must be typed so (a new one is found by its name too).
KNOWN_SECRETS = {("webhook", "url"), ("webhook", "secret"), ("webhook", "headers"),
                 ("slack", "webhook_url"), ("teams", "webhook_url"), ("pagerduty", "routing_key"),
                 ("smtp", "password")}
SECRET_WORDS = ("secret", "password", "passwd", "token", "key", "webhook", "header", "credential",
                "auth", "cookie")
NOT_SECRET = {("sns", "topic_arn")}  # "...arn" holds no secret, whatever its words


class EchoSmtp:
    """An SMTP server that refuses every login and quotes the password it got in its refusal (as a
    careless server might): "535 5.7.8 wrong password PASSWORD for USER"."""

    class Handler(socketserver.StreamRequestHandler):
        def send(self, line):
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def readline(self):
            line = self.rfile.readline(65536)
            if not line:
                raise EOFError
            return line.rstrip(b"\r\n").decode("utf-8", "replace")

        def handle(self):
            try:
                self.send("220 leaky-smtp ESMTP")
                while True:
                    verb, _, arg = self.readline().partition(" ")
                    verb = verb.upper()
                    if verb == "EHLO":
                        self.send("250-leaky-smtp")
                        self.send("250 AUTH PLAIN LOGIN")
                    elif verb == "AUTH":
                        mech, _, blob = arg.partition(" ")
                        if mech.upper() == "PLAIN":
                            if not blob:
                                self.send("334 ")
                                blob = self.readline()
                            _, user, password = base64.b64decode(blob).decode().split("\0")
                        else:
                            if not blob:
                                self.send("334 VXNlcm5hbWU6")
                                blob = self.readline()
                            user = base64.b64decode(blob).decode()
                            self.send("334 UGFzc3dvcmQ6")
                            password = base64.b64decode(self.readline()).decode()
                        self.server.owner.passwords.append(password)
                        self.send("535 5.7.8 wrong password %s for %s" % (password, user))
                    elif verb == "QUIT":
                        self.send("221 bye")
                        return
                    else:
                        self.send("250 ok")
            except (EOFError, OSError, ValueError):
                return

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    def __enter__(self):
        self.passwords = []
        self.server = self.Server(("127.0.0.1", 0), self.Handler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def channel_types():
    """`notify channels --format json`: [{type, options: [{name, type, secret, list, ...}]}]."""
    p = rwtest.run(["notify", "channels", "--format", "json"])
    assert p.returncode == 0, p.stderr_text
    return json.loads(p.stdout_text)


class Secrets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.types = channel_types()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rw-notify-secrets-")
        self.store = os.path.join(self.dir, "rootwatch.db")
        self.tokens = []  # every distinctive piece of every secret: none may be shown
        self.urls = {}    # (type, option) -> the host[:port] a check must still show
        self.env = awsfake.clean_aws_env({"ROOTWATCH_NOTIFY_BACKOFF_MS": "50",
                                          "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                                          "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                          "AWS_REGION": "us-east-1"})

    def token(self, kind, t, o):
        """A distinctive value, remembered for the grep."""
        v = "LEAK%s-%s-%s-%04d" % (kind, t, o.replace("_", ""), len(self.tokens))
        self.tokens.append(v)
        return v

    # ---- a configuration with every secret option of every type set ----

    def base(self, t, smtp, dead):
        """What a channel of type t needs besides its secret options. Every type rootwatch has must
        be here: a new type fails this test until its secrets are thought about."""
        bases = {
            "stdout": {"format": "json"},
            "sns": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:root-alerts"},
            "smtp": {"url": "smtp://127.0.0.1:%d" % smtp, "starttls": False, "username": "leak-user",
                     "from": "rootwatch@example.com", "to": "security@example.com"},
            "syslog": {"address": "tcp://127.0.0.1:%d" % dead, "timeout_ms": 1000},
            "webhook": {}, "slack": {}, "teams": {}, "pagerduty": {},
        }
        self.assertIn(t, bases, "a channel type this test does not know: add it, with its secrets")
        return dict(bases[t])

    def value(self, t, o, http):
        """A distinctive value for option o (a dict from notify channels) of type t."""
        name, kind = o["name"], o["type"]
        if kind == "secret":
            return self.token("S", t, name)
        if kind in ("url", "secret-url"):
            # the user information's password, a token in the path and one in the query
            pw, path, query = self.token("P", t, name), self.token("T", t, name), self.token("Q", t, name)
            # what libcurl sends of the user information (Authorization: Basic), which a careless
            # receiver may quote back
            self.tokens.append(base64.b64encode(("leak-user:" + pw).encode()).decode())
            self.urls[(t, name)] = http
            return "http://leak-user:%s@%s/hooks/%s?sig=%s" % (pw, http, path, query)
        if kind == "headers":
            return ["X-Leak-Key: %s" % self.token("H", t, name),
                    "Authorization: Bearer %s" % self.token("B", t, name)]
        self.fail("option %s of %s: a secret type this test cannot make a value of: %s" % (name, t, kind))

    def channels(self, http, smtp, dead, extra=None):
        """One channel of each type, every secret option and every URL option set: a list of
        (name, type, {option: value})."""
        out = []
        for ty in self.types:
            t = ty["type"]
            opts = self.base(t, smtp, dead)
            for o in ty["options"]:
                if o["secret"] or o["type"] == "url":
                    opts[o["name"]] = self.value(t, o, http)
            opts["max_attempts"] = 1
            opts.update((extra or {}).get(t, {}))
            out.append(("leak-" + t, t, opts))
        return out

    def write(self, chans, tail="", name="rootwatch.yaml"):
        """The configuration, with some secrets given as env:NAME and file:PATH (read at load)."""
        lines = ["store: %s" % self.store, "channels:"]
        for i, (cname, t, opts) in enumerate(chans):
            lines.append("  - name: %s" % cname)
            lines.append("    type: %s" % t)
            for k, v in opts.items():
                if isinstance(v, str) and v.startswith("LEAKS-") and i % 3 == 1:
                    var = "RW_LEAK_%d_%s" % (i, k.upper())
                    self.env[var] = v
                    v = "env:" + var
                elif isinstance(v, str) and v.startswith("LEAKS-") and i % 3 == 2:
                    path = os.path.join(self.dir, "secret-%d-%s" % (i, k))
                    with open(path, "w") as f:
                        f.write(v + "\n")
                    v = "file:" + path
                lines.append("    %s: %s" % (k, json.dumps(v)))
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n" + tail)
        return path

    def run_rw(self, args, **kw):
        p = rwtest.run(args, env=self.env, timeout=300, **kw)
        self.assert_no_secret(p, args)
        return p

    def assert_no_secret(self, p, args):
        out = p.stdout_text + p.stderr_text
        for tok in self.tokens:
            self.assertNotIn(tok, out, "rootwatch %s showed a secret:\n%s" % (" ".join(args), out[-6000:]))

    # ---- the tests ----

    def test_types_mark_their_secrets(self):
        seen = set()
        for ty in self.types:
            for o in ty["options"]:
                key = (ty["type"], o["name"])
                seen.add(key)
                if key in KNOWN_SECRETS:
                    self.assertTrue(o["secret"], "%s %s holds a secret: give it a secret type" % key)
                words = [w for w in SECRET_WORDS if w in o["name"].lower()]
                if words and key not in NOT_SECRET:
                    self.assertTrue(o["secret"], "%s %s looks like a secret (%s): type it so" % (key + (words,)))
                self.assertEqual(o["secret"], o["type"] in ("secret", "secret-url", "headers"), key)
        self.assertTrue(KNOWN_SECRETS <= seen, KNOWN_SECRETS - seen)
        # and the text listing names the same types
        p = self.run_rw(["notify", "channels"])
        self.assertRegex(p.stdout_text, r"\n  headers +headers ")
        self.assertRegex(p.stdout_text, r"\n  webhook_url +secret-url ")

    def test_check_shows_no_secret_but_the_hosts(self):
        with awsfake.HttpServer(lambda r: (200, {}, b"ok")) as hook:
            http = "127.0.0.1:%d" % hook.port
            cfg = self.write(self.channels(http, 25, awsfake.free_port()))
            for args in (["notify", "check", "--config", cfg], ["notify", "check", "-v", "--config", cfg]):
                p = self.run_rw(args)
                self.assertEqual(p.returncode, 0, p.stderr_text)
                out = p.stdout_text + p.stderr_text
                self.assertIn("%d channels" % len(self.types), p.stdout_text)
                # a URL shows scheme://host:port and no more; the user information never
                for (t, o) in self.urls:
                    self.assertIn("%s: http://%s/..." % (o, http), out, (t, o))
                self.assertNotIn("leak-user:", out)
                self.assertNotIn("https:///", out)
                self.assertNotIn("http:///", out)
                # header names are shown, their values are not
                self.assertIn("headers: X-Leak-Key: (secret), Authorization: (secret)", out)
                self.assertIn("secret: (secret)", out)
                self.assertIn("routing_key: (secret)", out)
                self.assertIn("password: (secret)", out)
            # -v logs each channel's options, shown the same way
            self.assertIn("channel leak-webhook (webhook): url: http://%s/...; secret: (secret); "
                          "headers: X-Leak-Key: (secret), Authorization: (secret)" % http, p.stderr_text)

    def test_notify_test_against_receivers_that_refuse(self):
        echoed = []

        def careless(req):
            # a refusal that quotes what it was sent: the path and query, our headers, the body
            text = "refused %s %s %s %s" % (req.path, req.header("x-leak-key", ""),
                                             req.header("authorization", ""), req.body[:100].decode("utf-8", "replace"))
            echoed.append(text)
            return 401, {"Content-Type": "text/plain"}, text.encode()

        dead = awsfake.free_port()
        with awsfake.HttpServer(careless) as hook, EchoSmtp() as smtp:
            http = "127.0.0.1:%d" % hook.port
            self.env["AWS_ENDPOINT_URL"] = hook.url  # SNS: refused the same way
            cfg = self.write(self.channels(http, smtp.port, dead))
            for v in ([], ["-v"]):
                p = self.run_rw(["notify", "test", "--config", cfg] + v)
                self.assertEqual(p.returncode, 2, p.stderr_text)
                for t in ("webhook", "slack", "teams", "pagerduty"):
                    self.assertRegex(p.stderr_text, r"leak-%s \(%s\): FAILED: .*HTTP 401: refused .*\[redacted\]"
                                     % (t, t))
                self.assertIn("leak-smtp (smtp): FAILED", p.stderr_text)
                self.assertIn("authentication refused", p.stderr_text)
                self.assertIn("[redacted] for leak-user", p.stderr_text)  # the password taken out
                self.assertIn("leak-syslog (syslog): FAILED", p.stderr_text)
                self.assertIn("leak-stdout (stdout): sent", p.stdout_text + p.stderr_text)
            # the receivers did echo the secrets back: the test can see a leak
            self.assertTrue(any(tok in "".join(echoed) for tok in self.tokens))
            self.assertTrue(smtp.passwords and all(pw in self.tokens for pw in smtp.passwords))

            # the same with nothing listening where the HTTP channels send
            cfg = self.write(self.channels("127.0.0.1:%d" % dead, smtp.port, dead), name="dead.yaml")
            p = self.run_rw(["notify", "test", "-v", "--config", cfg])
            self.assertEqual(p.returncode, 2, p.stderr_text)
            self.assertRegex(p.stderr_text, r"leak-webhook \(webhook\): FAILED: .*127\.0\.0\.1:%d" % dead)

    def test_scan_notify_logs(self):
        # the delivery engine's messages (-v: each attempt) through the same refusals
        echo = lambda r: (403, {}, ("no: %s %s" % (r.path, r.header("x-leak-key", ""))).encode())  # noqa: E731
        with awsfake.HttpServer(echo) as hook, EchoSmtp() as smtp:
            self.env["AWS_ENDPOINT_URL"] = hook.url
            cfg = self.write(self.channels("127.0.0.1:%d" % hook.port, smtp.port, awsfake.free_port()))
            trail = os.path.join(self.dir, "trail.json")
            with open(trail, "wb") as f:
                f.write(rwtest.trail_bytes([rwtest.record("4c1e2a77-0000-4000-8000-00000000leak")]))
            p = self.run_rw(["scan", "-v", "--notify", "--notify-wait", "20s", "--config", cfg,
                             "--store", self.store, trail])
            self.assertEqual(p.returncode, 2, p.stderr_text)
            self.assertIn("notify: channel leak-webhook", p.stderr_text)
            self.assertIn("[redacted]", p.stderr_text)
            p = self.run_rw(["alerts", "show", "4c1e2a77-0000-4000-8000-00000000leak", "--store", self.store])
            self.assertIn("leak-webhook", p.stdout_text)

    def test_configurations_with_errors(self):
        http, dead = "127.0.0.1:%d" % awsfake.free_port(), awsfake.free_port()
        timeouts = {t["type"]: {"timeout_ms": 1} for t in self.types
                    if any(o["name"] == "timeout_ms" for o in t["options"])}
        every = {t["type"]: {} for t in self.types}
        cases = [
            ("an unknown option", {t: {"colour": "red"} for t in every}, "", "unknown option 'colour'"),
            ("max_attempts out of range", {t: {"max_attempts": 0} for t in every}, "", "max_attempts"),
            ("a timeout the channel refuses", timeouts, "", "timeout_ms"),
            ("a name used twice", {}, "  - name: leak-stdout\n    type: stdout\n", "used twice"),
            ("broken YAML at the end", {}, "  - name: [unclosed\n", "rootwatch.yaml:"),
        ]
        for what, extra, tail, want in cases:
            with self.subTest(what):
                for t in every:  # each type's secrets before the error in its channel
                    for key, value in extra.get(t, {}).items():
                        chans = [c for c in self.channels(http, 25, dead, {t: {key: value}}) if c[1] == t]
                        cfg = self.write(chans)
                        for args in (["notify", "check"], ["notify", "test", "-v"]):
                            p = self.run_rw(args + ["--config", cfg])
                            self.assertEqual(p.returncode, 2, (t, p.stderr_text))
                            self.assertIn(want, p.stderr_text)
                if not extra:
                    cfg = self.write(self.channels(http, 25, dead), tail=tail)
                    for args in (["notify", "check"], ["notify", "test", "-v"]):
                        p = self.run_rw(args + ["--config", cfg])
                        self.assertEqual(p.returncode, 2, p.stderr_text)
                        self.assertIn(want, p.stderr_text)


if __name__ == "__main__":
    rwtest.main()

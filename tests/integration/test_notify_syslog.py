"""The syslog channel (src/notify/out_syslog.c) against receivers started by the test
(notify_servers.SyslogReceiver: UDP, TCP with octet counting, a unix datagram socket), driven by
rw_notify_tool: each message is parsed as RFC 5424 (PRI, MSGID, structured data and its escaping).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import notify_servers  # noqa: E402
import rwtest  # noqa: E402
from notify_servers import SyslogReceiver, make_alert, parse_rfc5424  # noqa: E402

TOOL = os.environ.get("RW_NOTIFY_TOOL", os.path.join(rwtest.REPO, "build", "tests", "rw_notify_tool"))
SD_ID = "rootwatch@32473"


class Syslog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rw-syslog-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def send(self, settings, alerts, ok=True, args=()):
        path = notify_servers.alerts_file(os.path.join(self.tmp, uuid.uuid4().hex + ".ndjson"), alerts)
        p = subprocess.run([TOOL, "syslog", json.dumps(settings), path] + list(args),
                           capture_output=True, text=True, timeout=120)
        for mark in rwtest.SANITIZER_MARKS:
            self.assertNotIn(mark, p.stderr)
        if ok:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def check_message(self, raw, alert, facility=4, severity=3, hostname=None, app="rootwatch"):
        m = parse_rfc5424(raw)
        self.assertEqual(m["pri"], facility * 8 + severity)
        self.assertEqual(m["version"], "1")
        self.assertRegex(m["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(m["timestamp"], "2025-11-20T10:00:00.000Z")  # rw_notify_tool's clock
        if hostname:
            self.assertEqual(m["hostname"], hostname)
        self.assertEqual(m["app_name"], app)
        self.assertRegex(m["procid"], r"^\d+$")
        self.assertEqual(m["msgid"], "root-activity")
        (sd_id, params), = m["sd"]
        self.assertEqual(sd_id, SD_ID)
        p = dict(params)
        self.assertEqual([k for k, _ in params[:4]], ["eventID", "account", "rule", "severity"])
        for k in ("eventID", "account", "rule", "severity", "eventName", "region", "eventTime"):
            self.assertEqual(p[k], alert[k], k)
        self.assertEqual(p["sourceIP"], alert["sourceIPAddress"])
        self.assertTrue(m["bom"])
        return m

    def test_udp(self):
        with SyslogReceiver("udp") as r:
            alert = make_alert("5c1d0e2f-0000-4000-8000-000000000001", "CreateAccessKey",
                               severity="critical")
            self.send({"address": r.address, "hostname": "host-1.example.com"}, [alert])
            raw, = r.wait(1)
            m = self.check_message(raw, alert, severity=2, hostname="host-1.example.com")
            self.assertEqual(m["text"], "Root API call CreateAccessKey in 123456789012 (critical)")

    def test_severity_mapping_and_facility(self):
        with SyslogReceiver("udp") as r:
            sevs = {"critical": 2, "high": 3, "medium": 4, "low": 5}
            alerts = [make_alert("id-%s" % s, severity=s) for s in sevs]
            self.send({"address": r.address}, alerts)
            got = [parse_rfc5424(x) for x in r.wait(4)]
            self.assertEqual([(m["facility"], m["severity"]) for m in got], [(4, v) for v in sevs.values()])
        for facility, code in (("authpriv", 10), ("local3", 19), ("security", 4), ("13", 13)):
            with SyslogReceiver("udp") as r:
                self.send({"address": r.address, "facility": facility}, [make_alert("id-f")])
                self.assertEqual(parse_rfc5424(r.wait(1)[0])["pri"], code * 8 + 3)

    def test_structured_data_escaping(self):
        with SyslogReceiver("udp") as r:
            name = 'Weird"Name]\\With\u00e9\nbreak'
            alert = make_alert("id-esc", name, rule='my"rule]', account="123456789012")
            self.send({"address": r.address}, [alert])
            raw, = r.wait(1)
            self.assertIn(b'eventName="Weird\\"Name\\]\\\\With\xc3\xa9?break"', raw)
            self.assertIn(b'rule="my\\"rule\\]"', raw)
            m = parse_rfc5424(raw)
            p = dict(m["sd"][0][1])
            self.assertEqual(p["eventName"], 'Weird"Name]\\With\u00e9?break')
            self.assertEqual(p["rule"], 'my"rule]')
            self.assertNotIn(b"\n", raw)
            self.assertIn("Weird\"Name]\\With\u00e9?break", m["text"])

    def test_tcp_octet_counting_one_connection(self):
        with SyslogReceiver("tcp") as r:
            alerts = [make_alert("id-t%d" % i, severity="medium") for i in range(3)]
            self.send({"address": r.address}, alerts)
            got = r.wait(3)
            self.assertEqual(len(got), 3)
            for raw, a in zip(got, alerts):
                self.check_message(raw, a, severity=4)
            self.assertEqual(r.framing_errors, [])
            self.assertEqual(r.connections, 1)

    def test_tcp_reconnects_when_the_server_closed(self):
        with SyslogReceiver("tcp", close_after=1) as r:
            alerts = [make_alert("id-r%d" % i) for i in range(3)]
            p = self.send({"address": r.address}, alerts, args=["--interval-ms", "300"])
            self.assertEqual(p.stdout.count("ok "), 3, p.stdout)
            got = r.wait(3)
            self.assertEqual([dict(parse_rfc5424(x)["sd"][0][1])["eventID"] for x in got],
                             ["id-r0", "id-r1", "id-r2"])
            self.assertEqual(r.connections, 3)

    def test_tcp_down_is_retryable(self):
        with SyslogReceiver("tcp") as r:
            address = r.address
        p = self.send({"address": address}, [make_alert("id-down")], ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"^fail retryable id-down: channel test: syslog: cannot connect to "
                                   r"127\.0\.0\.1:\d+")

    def test_unix_socket(self):
        path = os.path.join(self.tmp, "log.sock")
        with SyslogReceiver("unix", path=path) as r:
            alert = make_alert("id-unix", severity="low")
            self.send({"address": "unix:" + path, "app_name": "rw-test"}, [alert])
            raw, = r.wait(1)
            self.check_message(raw, alert, severity=5, app="rw-test")
        p = self.send({"address": "unix:" + path}, [make_alert("id-gone")], ok=False)
        self.assertRegex(p.stdout, r"^fail retryable id-gone: .*cannot reach")

    def test_test_notice(self):
        with SyslogReceiver("udp") as r:
            self.send({"address": r.address}, [make_alert("id-test")], args=["--test"])
            m = parse_rfc5424(r.wait(1)[0])
            self.assertIn(("test", "true"), m["sd"][0][1])
            self.assertTrue(m["text"].startswith("[TEST] "))

    def test_bad_settings(self):
        path = notify_servers.alerts_file(os.path.join(self.tmp, "none.ndjson"), [])
        for settings, want in (({"address": "http://127.0.0.1:514"}, "option address"),
                               ({"address": "udp://127.0.0.1:99999"}, "option address"),
                               ({"address": "tcp://[::1"}, "option address"),
                               ({"facility": "nope"}, "option facility"),
                               ({"facility": "24"}, "option facility"),
                               ({"app_name": "has space"}, "option app_name"),
                               ({"app_name": "x" * 49}, "option app_name")):
            with self.subTest(settings=settings):
                p = subprocess.run([TOOL, "syslog", json.dumps(settings), path], capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(p.returncode, 2, p.stdout)
                self.assertIn(want, p.stderr)
                self.assertTrue(re.search(r"channel test", p.stderr))


if __name__ == "__main__":
    rwtest.main()

"""Servers that notification channels talk to, for rootwatch's integration tests (a library; it
holds no test itself). Python's standard library only (plus the `openssl` command for test
certificates); everything listens on 127.0.0.1 and runs in daemon threads while a `with` block runs.

make_certs(dirpath) -> Certs
    A private CA and a server certificate for localhost and 127.0.0.1 signed by it, made with the
    openssl command: .ca (the CA's PEM, for rootwatch's ca_file), .cert, .key (the server's).
    openssl_available() says whether the command exists.

SmtpServer(tls=None, certs=None, users=None, require_auth=False, reject_rcpt=())
    An SMTP server (RFC 5321) on a port of its own.
      tls          None (plain), "starttls" (offers STARTTLS), "implicit" (TLS from the start, as
                   smtps:// on port 465); needs certs
      users        {"user": "password"} for AUTH PLAIN and AUTH LOGIN (offered only after
                   STARTTLS when tls is "starttls"); a wrong pair gets 535 5.7.8
      require_auth MAIL FROM before AUTH gets 530 5.7.0
      reject_rcpt  addresses that RCPT TO refuses with 550 5.1.1
    Commands: EHLO, HELO, STARTTLS, AUTH PLAIN, AUTH LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
      .url(scheme="smtp")   "smtp://127.0.0.1:PORT"
      .messages    every message accepted, as Received: .mail_from, .rcpt_tos, .data (bytes, as
                   sent, dot-stuffing undone), .tls, .auth_user, .email (parsed with the email
                   package, policy.default)
      .auth_log    [(mechanism, user, accepted)]
      .commands    every command line received (AUTH arguments replaced by "***")
      .sessions    how many connections were accepted
      .fail(stage, action, times=1)
                   the next `times` arrivals at stage get action instead of the normal reply.
                   stage: "greeting", "ehlo", "mail", "rcpt", "data" (the DATA command), "end" (the
                   end of the message); action: a reply code (421, 451, 550 ...) with a fitting
                   text, a "CODE text" string, or "drop" (the connection is closed at once)
      .wait(n, timeout=10)  waits until n messages were accepted; returns them
      .errors      exceptions the server's handlers raised (tests should assert it is empty)

SyslogReceiver(proto="udp", path=None, close_after=None)
    A syslog collector: proto "udp" (one message per datagram), "tcp" (octet-counting framing,
    RFC 6587; a message without a length prefix is recorded in .framing_errors) or "unix" (a
    datagram socket at path).
      .address     what rootwatch's address option takes: udp://127.0.0.1:PORT, tcp://..., unix:PATH
      .messages    every message (bytes), in order of arrival
      .connections how many TCP connections were accepted
      close_after  TCP: the receiver closes each connection after that many messages
      .drop_connections()  closes the TCP connections that are open (the next write fails or finds
                   the connection closed)
      .wait(n, timeout=10)

make_alert(event_id, event_name="ConsoleLogin", account="123456789012", **fields) -> dict
    An alert as `rootwatch scan` writes it (docs/alert-schema.md), with its CloudTrail record under
    "event"; fields are set last (None values included). alerts_file(path, alerts) writes NDJSON.

parse_rfc5424(msg) -> dict
    pri, facility, severity, version, timestamp, hostname, app_name, procid, msgid,
    sd [(sd_id, [(name, value)])] with escapes undone, msg (bytes after the structured data),
    bom (whether MSG starts with the UTF-8 BOM), text (MSG decoded, BOM removed).
"""
import base64
import collections
import email
import email.policy
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import traceback

__all__ = ["Certs", "make_certs", "openssl_available", "SmtpServer", "Received", "SyslogReceiver",
           "parse_rfc5424", "make_alert", "alerts_file"]


# ----------------------------------------------------------------------------------------------
# Alerts

def make_alert(event_id, event_name="ConsoleLogin", account="123456789012", **fields):
    signin = event_name == "ConsoleLogin"
    event = {"eventVersion": "1.09",
             "userIdentity": {"type": "Root", "principalId": account,
                              "arn": "arn:aws:iam::%s:root" % account, "accountId": account},
             "eventTime": "2026-11-20T10:00:00Z",
             "eventSource": "signin.amazonaws.com" if signin else "iam.amazonaws.com",
             "eventName": event_name, "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.7",
             "userAgent": "Mozilla/5.0", "eventID": event_id,
             "eventType": "AwsConsoleSignIn" if signin else "AwsApiCall",
             "recipientAccountId": account}
    alert = {"eventID": event_id, "eventTime": "2026-11-20T10:00:00Z", "account": account,
             "region": "eu-west-1", "eventSource": event["eventSource"], "eventName": event_name,
             "sourceIPAddress": "203.0.113.7", "userAgent": "Mozilla/5.0",
             "kind": "console_login" if signin else "api_call", "outcome": "success",
             "mfa": False, "credential": None if signin else "console_session",
             "accessKeyId": None, "readOnly": False, "errorCode": None, "errorMessage": None,
             "sensitive": False, "severity": "high",
             "reasons": ["root console sign-in without MFA" if signin
                         else "root call %s" % event_name],
             "rule": "root-console-sign-in" if signin else "root-api-call",
             "rules": ["root-console-sign-in" if signin else "root-api-call"],
             "source": {"file": "trail.json", "offset": 0}, "event": event}
    alert.update(fields)
    return alert


def alerts_file(path, alerts):
    with open(path, "w", encoding="utf-8") as f:
        for a in alerts:
            f.write(json.dumps(a, separators=(",", ":"), ensure_ascii=False) + "\n")
    return path


# ----------------------------------------------------------------------------------------------
# Certificates

Certs = collections.namedtuple("Certs", "ca cert key")


def openssl_available():
    return shutil.which("openssl") is not None


def make_certs(dirpath):
    """A CA and a server certificate (localhost, 127.0.0.1, ::1) signed by it, in dirpath."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=dirpath)

    ca_key, ca = os.path.join(dirpath, "ca.key"), os.path.join(dirpath, "ca.pem")
    key, csr = os.path.join(dirpath, "server.key"), os.path.join(dirpath, "server.csr")
    cert, ext = os.path.join(dirpath, "server.pem"), os.path.join(dirpath, "server.ext")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=rootwatch test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
        "-days", "2", "-extfile", ext)
    return Certs(ca, cert, key)


# ----------------------------------------------------------------------------------------------
# SMTP

class Received:
    def __init__(self, mail_from, rcpt_tos, data, tls, auth_user):
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.data = data
        self.tls = tls
        self.auth_user = auth_user
        self._email = None

    @property
    def email(self):
        if self._email is None:
            self._email = email.message_from_bytes(self.data, policy=email.policy.default)
        return self._email

    def __repr__(self):
        return "Received(from=%r, to=%r, %d bytes)" % (self.mail_from, self.rcpt_tos, len(self.data))


REPLIES = {421: "421 4.3.2 Service not available, closing transmission channel",
           450: "450 4.2.1 Mailbox busy, try again later",
           451: "451 4.3.0 Local error in processing, try again later",
           452: "452 4.3.1 Insufficient system storage",
           454: "454 4.7.0 Temporary authentication failure",
           535: "535 5.7.8 Authentication credentials invalid",
           550: "550 5.7.1 Message refused by policy",
           552: "552 5.3.4 Message too big",
           554: "554 5.7.1 Transaction failed"}


class _Drop(Exception):
    pass


class _SmtpHandler(socketserver.BaseRequestHandler):
    def setup(self):
        self.sock = self.request
        self.sock.settimeout(30)
        self.rfile = self.sock.makefile("rb")
        self.tls = False
        self.auth_user = None
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpt = []

    def finish(self):
        for f in (self.rfile, self.sock):
            try:
                f.close()
            except OSError:
                pass

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self):
        line = self.rfile.readline(65536)
        if not line:
            raise _Drop()
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    def failure(self, stage):
        """Sends the scripted failure for stage, if there is one; True when it did."""
        action = self.server.owner._take_failure(stage)
        if action is None:
            return False
        if action == "drop":
            raise _Drop()
        if isinstance(action, int):
            action = REPLIES.get(action, "%d %s" % (action, "4.0.0 Try again later" if action < 500
                                                    else "5.0.0 Refused"))
        self.send(action)
        if action.startswith("421"):
            raise _Drop()
        return True

    def handle(self):
        owner = self.server.owner
        with owner._lock:
            owner.sessions += 1
        try:
            if owner.tls == "implicit":
                self.start_tls()
            if self.failure("greeting"):
                return
            self.send("220 rootwatch-test ESMTP ready")
            while True:
                line = self.readline()
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                with owner._lock:
                    owner.commands.append("AUTH %s ***" % arg.split(" ")[0] if verb == "AUTH"
                                          else line)
                if verb == "EHLO":
                    if self.failure("ehlo"):
                        continue
                    self.reset()
                    caps = ["rootwatch-test", "8BITMIME", "SIZE 10485760"]
                    if owner.tls == "starttls" and not self.tls:
                        caps.append("STARTTLS")
                    if owner.users is not None and (owner.tls != "starttls" or self.tls):
                        caps.append("AUTH PLAIN LOGIN")
                    for c in caps[:-1]:
                        self.send("250-" + c)
                    self.send("250 " + caps[-1])
                elif verb == "HELO":
                    self.reset()
                    self.send("250 rootwatch-test")
                elif verb == "STARTTLS":
                    if owner.tls != "starttls" or self.tls:
                        self.send("503 5.5.1 TLS not available")
                        continue
                    self.send("220 2.0.0 Ready to start TLS")
                    self.start_tls()
                    self.reset()
                    self.auth_user = None
                elif verb == "AUTH":
                    self.auth(arg)
                elif verb == "MAIL":
                    if owner.require_auth and not self.auth_user:
                        self.send("530 5.7.0 Authentication required")
                        continue
                    if self.failure("mail"):
                        continue
                    if not arg.upper().startswith("FROM:"):
                        self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
                        continue
                    self.reset()
                    self.mail_from = _path(arg[5:])
                    self.send("250 2.1.0 OK")
                elif verb == "RCPT":
                    if self.mail_from is None:
                        self.send("503 5.5.1 MAIL first")
                        continue
                    if self.failure("rcpt"):
                        continue
                    if not arg.upper().startswith("TO:"):
                        self.send("501 5.5.4 Syntax: RCPT TO:<address>")
                        continue
                    addr = _path(arg[3:])
                    if addr in owner.reject_rcpt:
                        self.send("550 5.1.1 No such user here")
                        continue
                    self.rcpt.append(addr)
                    self.send("250 2.1.5 OK")
                elif verb == "DATA":
                    if not self.rcpt:
                        self.send("503 5.5.1 RCPT first")
                        continue
                    if self.failure("data"):
                        continue
                    self.send("354 End data with <CR><LF>.<CR><LF>")
                    data = self.read_data()
                    if self.failure("end"):
                        self.reset()
                        continue
                    with owner._lock:
                        owner.messages.append(Received(self.mail_from, self.rcpt, data, self.tls,
                                                       self.auth_user))
                        owner._cond.notify_all()
                    self.send("250 2.0.0 OK queued")
                    self.reset()
                elif verb == "RSET":
                    self.reset()
                    self.send("250 2.0.0 OK")
                elif verb == "NOOP":
                    self.send("250 2.0.0 OK")
                elif verb == "QUIT":
                    self.send("221 2.0.0 Bye")
                    return
                else:
                    self.send("502 5.5.2 Command not recognized")
        except (_Drop, ConnectionError, socket.timeout, ssl.SSLError, OSError):
            pass
        except Exception:  # a bug in the fake: the test must see it
            with owner._lock:
                owner.errors.append(traceback.format_exc())

    def start_tls(self):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.server.owner.certs.cert, self.server.owner.certs.key)
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.rfile = self.sock.makefile("rb")
        self.tls = True

    def read_data(self):
        lines = []
        while True:
            line = self.rfile.readline(1 << 20)
            if not line:
                raise _Drop()
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b".."):
                line = line[1:]
            lines.append(line)
        return b"".join(lines)

    def auth(self, arg):
        owner = self.server.owner
        parts = arg.split(" ")
        mech = parts[0].upper()
        if owner.users is None or (owner.tls == "starttls" and not self.tls):
            self.send("503 5.5.1 AUTH not available")
            return
        try:
            if mech == "PLAIN":
                if len(parts) > 1:
                    blob = parts[1]
                else:
                    self.send("334 ")
                    blob = self.readline()
                fields = base64.b64decode(blob).split(b"\0")
                user, password = fields[1].decode(), fields[2].decode()
            elif mech == "LOGIN":
                if len(parts) > 1:
                    user = base64.b64decode(parts[1]).decode()
                else:
                    self.send("334 VXNlcm5hbWU6")
                    user = base64.b64decode(self.readline()).decode()
                self.send("334 UGFzc3dvcmQ6")
                password = base64.b64decode(self.readline()).decode()
            else:
                self.send("504 5.5.4 Unrecognized authentication type")
                return
        except (ValueError, IndexError, UnicodeDecodeError):
            self.send("501 5.5.2 Cannot decode the response")
            return
        ok = owner.users.get(user) == password
        with owner._lock:
            owner.auth_log.append((mech, user, ok))
        if ok:
            self.auth_user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self.send("535 5.7.8 Authentication credentials invalid")


def _path(s):
    """The address of "<a@b> SIZE=..." (or of a bare a@b)."""
    s = s.strip()
    if s.startswith("<"):
        return s[1:s.index(">")]
    return s.split(" ")[0]


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpServer:
    def __init__(self, tls=None, certs=None, users=None, require_auth=False, reject_rcpt=()):
        if tls and not certs:
            raise ValueError("TLS needs certs (make_certs)")
        self.tls = tls
        self.certs = certs
        self.users = users
        self.require_auth = require_auth
        self.reject_rcpt = set(reject_rcpt)
        self.messages = []
        self.auth_log = []
        self.commands = []
        self.errors = []
        self.sessions = 0
        self._failures = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._server = None
        self.port = None

    def url(self, scheme="smtp"):
        return "%s://127.0.0.1:%d" % (scheme, self.port)

    def fail(self, stage, action, times=1):
        with self._lock:
            for _ in range(times):
                self._failures.append((stage, action))

    def _take_failure(self, stage):
        with self._lock:
            for i, (s, a) in enumerate(self._failures):
                if s == stage:
                    del self._failures[i]
                    return a
        return None

    def wait(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < n and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self.messages)

    def start(self):
        self._server = _TcpServer(("127.0.0.1", 0), _SmtpHandler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ----------------------------------------------------------------------------------------------
# syslog

class SyslogReceiver:
    def __init__(self, proto="udp", path=None, close_after=None):
        if proto not in ("udp", "tcp", "unix"):
            raise ValueError(proto)
        self.proto = proto
        self.path = path
        self.close_after = close_after
        self.messages = []
        self.framing_errors = []
        self.connections = 0
        self._conns = set()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._sock = None
        self._thread = None
        self._stop = False
        self.port = None

    @property
    def address(self):
        if self.proto == "unix":
            return "unix:" + self.path
        return "%s://127.0.0.1:%d" % (self.proto, self.port)

    def _add(self, msg):
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()

    def wait(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < n and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self.messages)

    def start(self):
        if self.proto == "udp":
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.bind(("127.0.0.1", 0))
            self.port = self._sock.getsockname()[1]
            target = self._datagrams
        elif self.proto == "unix":
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.bind(self.path)
            target = self._datagrams
        else:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind(("127.0.0.1", 0))
            self._sock.listen(16)
            self.port = self._sock.getsockname()[1]
            target = self._accept
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()
        return self

    def _datagrams(self):
        while not self._stop:
            try:
                data = self._sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self._add(data)

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._conns.add(conn)
            threading.Thread(target=self._read_stream, args=(conn,), daemon=True).start()

    def _read_stream(self, conn):
        buf = b""
        got = 0
        conn.settimeout(0.1)
        try:
            while not self._stop and (self.close_after is None or got < self.close_after):
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                buf += chunk
                while buf:
                    sp = buf.find(b" ")
                    if sp < 0:
                        break
                    if not buf[:sp].isdigit():
                        with self._lock:
                            self.framing_errors.append(buf)
                        buf = b""
                        break
                    n = int(buf[:sp])
                    if len(buf) < sp + 1 + n:
                        break
                    self._add(buf[sp + 1:sp + 1 + n])
                    got += 1
                    buf = buf[sp + 1 + n:]
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def drop_connections(self):
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        # the thread first: a socket closed while another thread polls it stays open (and
        # accepting) until that poll returns
        self._stop = True
        if self._thread:
            self._thread.join()
            self._thread = None
        if self._sock:
            self._sock.close()
            self._sock = None
        self.drop_connections()
        if self.proto == "unix" and self.path and os.path.exists(self.path):
            os.unlink(self.path)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def parse_rfc5424(msg):
    """Parses one RFC 5424 message (bytes); raises ValueError when it is not one."""
    if not msg.startswith(b"<"):
        raise ValueError("no PRI")
    end = msg.index(b">")
    pri = int(msg[1:end])
    rest = msg[end + 1:]
    fields = []
    for _ in range(6):  # VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
        sp = rest.index(b" ")
        fields.append(rest[:sp].decode("ascii"))
        rest = rest[sp + 1:]
    sd = []
    if rest.startswith(b"-"):
        rest = rest[1:]
    else:
        while rest.startswith(b"["):
            i = 1
            while rest[i:i + 1] not in (b" ", b"]", b""):
                i += 1
            sd_id = rest[1:i].decode("ascii")
            params = []
            while rest[i:i + 1] == b" ":
                eq = rest.index(b"=", i)
                name = rest[i + 1:eq].decode("ascii")
                if rest[eq + 1:eq + 2] != b'"':
                    raise ValueError("PARAM-VALUE without quotes")
                k = eq + 2
                value = bytearray()
                while True:
                    c = rest[k:k + 1]
                    if not c:
                        raise ValueError("unterminated PARAM-VALUE")
                    if c == b"\\" and rest[k + 1:k + 2] in (b'"', b"\\", b"]"):
                        value += rest[k + 1:k + 2]
                        k += 2
                        continue
                    if c == b'"':
                        break
                    if c == b"]":
                        raise ValueError("an unescaped ] in PARAM-VALUE")
                    value += c
                    k += 1
                params.append((name, value.decode("utf-8")))
                i = k + 1
            if rest[i:i + 1] != b"]":
                raise ValueError("SD-ELEMENT not closed")
            sd.append((sd_id, params))
            rest = rest[i + 1:]
    if rest.startswith(b" "):
        rest = rest[1:]
    bom = rest.startswith(b"\xef\xbb\xbf")
    text = (rest[3:] if bom else rest).decode("utf-8")
    return {"pri": pri, "facility": pri // 8, "severity": pri % 8, "version": fields[0],
            "timestamp": fields[1], "hostname": fields[2], "app_name": fields[3],
            "procid": fields[4], "msgid": fields[5], "sd": sd, "msg": rest, "bom": bom,
            "text": text}

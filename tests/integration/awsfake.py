"""Fake AWS endpoints for rootwatch's integration tests (a library; it holds no test itself).

Everything here listens on 127.0.0.1 only and uses the Python standard library, except MotoServer
(the moto_server executable) and the boto3 helpers. A test that needs a missing tool must skip,
saying so:

    if not awsfake.MotoServer.available():
        self.skipTest("moto_server not installed: " + awsfake.MotoServer.why_unavailable())

Environments
  clean_aws_env(extra=None, home=None)
      A copy of os.environ without any AWS_* variable nor proxy setting, HOME pointed at an empty
      folder and AWS_EC2_METADATA_DISABLED=true, plus extra: rootwatch never sees the machine's
      real credentials, profiles or instance metadata.
  write_aws_files(dirpath, config_text, credentials_text)
      Writes dirpath/config and dirpath/credentials; returns {AWS_CONFIG_FILE,
      AWS_SHARED_CREDENTIALS_FILE} pointing at them.
  free_port()
      A TCP port on 127.0.0.1 that nothing listens on (for a moment).
  http_request(method, url, body=None, headers=None, timeout=10)
      One HTTP exchange without proxies that never raises on an HTTP error status:
      (status, headers dict with lower-case names, body bytes).

MotoServer
  The moto_server executable (AWS emulators for S3, STS, ...) on a free port for the duration of a
  `with` block: .url, .port, .reset() (forgets every bucket, object ...), .env(region) for
  rootwatch, .boto3_client(service, region) for preparing data, .log() (what it printed).

HttpServer -- the framework under the fakes below
  A ThreadingHTTPServer on 127.0.0.1 (a port of its own) served by a daemon thread while a `with`
  block runs: .url, .port, .requests (every request, in order of arrival, as Request tuples
  (method, path, headers, body) that also carry .time, .query, .raw_headers), .errors (exceptions
  the fake raised: tests should assert it is empty). It speaks HTTP/1.1 with keep-alive, as
  libcurl does, reads bodies sent with Content-Length or chunked, and answers Expect: 100-continue.
  Give it handler(req) -> (status, headers, body), or subclass it and override handle().

ImdsServer
  EC2 instance metadata with IMDSv2 tokens, handing out an instance role's credentials, with
  switches for IMDSv1-only hosts (fail_token_put) and counters for caching tests.

ContainerCredsServer
  The ECS / EKS Pod Identity credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) with an
  optional authorization token.

LookupEventsServer
  CloudTrail's LookupEvents over the JSON 1.1 protocol: events per region (the region taken from
  the SigV4 credential scope), pages of MaxResults with opaque NextTokens, StartTime / EndTime and
  LookupAttributes filters, AWS's errors, scripted throttling, AWS's 2 calls per second per region
  limit (with a record of every call so that tests can check the client's pacing), and optional
  verification of the SigV4 signature itself. load_lookup_events() reads ctgen.py's
  lookup-events.json; synth_events() makes any number of events.

FaultServer
  An HTTP server that answers each request with the next scripted action (an error status,
  throttling as AWS words it, a slow, truncated, closed or reset answer), then with a default
  action (a fixed answer, or forwarding to another server such as MotoServer). Every arrival time
  is recorded, so that tests can check retries and their backoff.

sigv4_verify(req, secrets, service=None, max_skew=900)
  Checks a request's AWS Signature Version 4 (Authorization header) independently of the client
  that signed it; used by LookupEventsServer(credentials=...), usable on any recorded Request.
"""
import atexit
import base64
import collections
import datetime as dt
import decimal
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import socketserver
import struct
import subprocess
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

__all__ = [
    "DUMMY_ACCESS_KEY_ID", "DUMMY_SECRET_ACCESS_KEY", "free_port", "http_request", "clean_aws_env",
    "write_aws_files", "boto3_available", "MotoServer", "Request", "HttpServer", "ImdsServer",
    "ContainerCredsServer", "LookupEventsServer", "FaultServer", "load_lookup_events",
    "synth_events", "sigv4_verify", "iso8601", "parse_time",
]

DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy",
                   "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "NO_PROXY")


# ----------------------------------------------------------------------------------------------
# Small helpers


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on at the moment of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_time(value):
    """Epoch seconds (float) from a datetime, a number, or an ISO 8601 string ("...Z")."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value).strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.timestamp()


def iso8601(value):
    """"2026-11-20T10:00:00Z" for a datetime, epoch seconds or an ISO string (UTC, no fraction)."""
    t = dt.datetime.fromtimestamp(int(parse_time(value)), dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_json_number(x):
    """A number as AWS's Java-based JSON services write timestamps: 1763596805 -> "1.763596805E9",
    1763596805.25 -> "1.76359680525E9" (Java's Double.toString)."""
    x = float(x)
    if x == 0:
        return "0.0"
    sign, digits, exp = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    e10 = len(digits) - 1 + exp  # the decimal exponent of the first digit
    s = "".join(map(str, digits))
    if 1e-3 <= abs(x) < 1e7:
        return repr(x)
    return "%s%s.%sE%d" % ("-" if x < 0 else "", s[0], s[1:] or "0", e10)


def http_request(method, url, body=None, headers=None, timeout=10):
    """One HTTP exchange without proxies: (status, {lower-case name: value}, body bytes). HTTP
    error statuses are returned, not raised; network failures raise (URLError, http.client
    errors, OSError). A dict or list body is sent as JSON."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


_temp_homes = []


def _remove_temp_homes():
    for d in _temp_homes:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_remove_temp_homes)


def clean_aws_env(extra=None, home=None):
    """A copy of os.environ fit to run rootwatch against fakes: every AWS_* variable and every
    proxy setting removed (libcurl would send loopback requests through a proxy), HOME pointed at
    home (an empty folder made for the purpose, removed at exit, when None) so that ~/.aws is not
    the user's, AWS_EC2_METADATA_DISABLED=true so that nothing asks the real instance metadata;
    then extra (a dict; a None value removes that variable)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in PROXY_VARIABLES}
    if home is None:
        home = tempfile.mkdtemp(prefix="rw-home-")
        _temp_homes.append(home)
    env["HOME"] = home
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["RW_CLEAN_ENV"] = "1"  # rwtest.run: use this environment as it is, add nothing back
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def write_aws_files(dirpath, config_text, credentials_text):
    """Writes dirpath/config and dirpath/credentials (mode 0600) and returns the environment that
    points rootwatch at them: {"AWS_CONFIG_FILE": ..., "AWS_SHARED_CREDENTIALS_FILE": ...}. A None
    text writes no file (and removes an earlier one); the variable still points there, so that
    the user's ~/.aws is never read instead."""
    os.makedirs(dirpath, exist_ok=True)
    paths = {"AWS_CONFIG_FILE": os.path.join(dirpath, "config"),
             "AWS_SHARED_CREDENTIALS_FILE": os.path.join(dirpath, "credentials")}
    for var, text in (("AWS_CONFIG_FILE", config_text), ("AWS_SHARED_CREDENTIALS_FILE", credentials_text)):
        path = paths[var]
        if text is None:
            if os.path.exists(path):
                os.unlink(path)
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
    return paths


def boto3_available():
    """Can boto3 be imported?"""
    try:
        import boto3  # noqa: F401
        return True
    except ImportError:
        return False


# ----------------------------------------------------------------------------------------------
# moto_server


class MotoServer:
    """moto_server on 127.0.0.1 and a free port, for the duration of a `with` block.

    MotoServer(port=None, startup_timeout=60, extra_env=None)
      extra_env          more environment for moto_server (INITIAL_NO_AUTH_ACTION_COUNT: IAM
                         policies enforced after that many requests)
      .url, .port        where it listens (set once started)
      .reset()           POST /moto-api/reset: every emulated resource is forgotten
      .env(region)       environment for rootwatch: AWS_ENDPOINT_URL and the dummy keys
      .boto3_client(service, region="us-east-1", **kw)   a boto3 client for it (dummy keys)
      .log()             what moto_server printed (for failure messages)
    MotoServer.available() says whether the executable exists; why_unavailable() says why not.
    """

    def __init__(self, port=None, startup_timeout=60, extra_env=None):
        self.port = port
        self.extra_env = dict(extra_env or {})
        self.startup_timeout = startup_timeout
        self.proc = None
        self._log = None

    @staticmethod
    def executable():
        return shutil.which("moto_server")

    @classmethod
    def available(cls):
        return cls.executable() is not None

    @classmethod
    def why_unavailable(cls):
        if cls.available():
            return ""
        return "no moto_server on PATH (pip install 'moto[server]')"

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        exe = self.executable()
        if exe is None:
            raise RuntimeError("moto_server not installed: " + self.why_unavailable())
        fixed = self.port is not None
        for attempt in range(3):
            if not fixed:
                self.port = free_port()
            self._close_log()
            self._log = tempfile.TemporaryFile()
            env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
            env.update(self.extra_env)
            self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(self.port)],
                                         stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
            if self._wait_ready():
                return self
            log = self.log()
            self.stop()
            self._close_log()
            if fixed or "in use" not in log.lower():  # only a lost race for the port is retried
                break
        raise RuntimeError("moto_server did not start on port %d:\n%s" % (self.port, log[-4000:]))

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                status, _, _ = http_request("GET", self.url + "/moto-api/", timeout=2)
                if status < 500:
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        return False

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self.proc = None

    def log(self):
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def reset(self):
        status, _, body = http_request("POST", self.url + "/moto-api/reset")
        if status != 200:
            raise RuntimeError("moto reset: HTTP %d %r" % (status, body[:200]))

    def env(self, region="us-east-1"):
        """Variables that send rootwatch (every service) to this server with moto's dummy keys."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY, "AWS_REGION": region}

    def boto3_client(self, service, region="us-east-1", **kw):
        import boto3
        import botocore.config
        kw.setdefault("config", botocore.config.Config(proxies={}, retries={"max_attempts": 2}))
        return boto3.session.Session().client(
            service, region_name=region, endpoint_url=self.url, aws_access_key_id=DUMMY_ACCESS_KEY_ID,
            aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY, aws_session_token="testing", **kw)

    def __enter__(self):
        return self.start()

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def __exit__(self, *exc):
        self.stop()
        self._close_log()


# ----------------------------------------------------------------------------------------------
# The HTTP server framework


class Request(collections.namedtuple("Request", "method path headers body")):
    """One request as it arrived: method, path (as sent, query included), headers (a dict with
    lower-case names; repeated headers joined with ","), body (bytes). Also:
      .time         time.monotonic() at arrival (before the body was read)
      .url_path     the path without the query; .query: {name: [values]} (decoded)
      .raw_headers  [(name, value)] as sent, in order
      .client       (address, port) of the client
    """

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def server_bind(self):
        # HTTPServer.server_bind asks DNS for the host's name (socket.getfqdn): slow where DNS is.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # a client that hangs up (timeouts, tests of slow answers) is normal; anything else is a
        # bug of the fake, kept for the test to see rather than printed
        import sys
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            self.owner._error(traceback.format_exc())


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl uses
    timeout = 30                    # an idle connection's thread ends after this
    server_version = "awsfake"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        self.server.owner._connection(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.owner._connection(self.connection, False)

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _dispatch(self):
        owner = self.server.owner
        arrived = time.monotonic()
        body = self._read_body()
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = headers[k] + "," + v if k in headers else v
        req = Request(self.command, self.path, headers, body)
        req.time = arrived
        split = urllib.parse.urlsplit(self.path)
        req.url_path = split.path
        req.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        req.raw_headers = list(self.headers.items())
        req.client = self.client_address
        owner._record(req)
        try:
            result = owner.handle(req, self)
        except Exception:  # a bug in the fake: answer 500 and keep it for the test to see
            owner._error(traceback.format_exc())
            result = (500, {"Content-Type": "text/plain"}, "awsfake: the fake server failed")
        if result is not None:
            send_response(self, *result)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _dispatch


def send_response(handler, status, headers=None, body=b""):
    """Writes a whole answer on handler: a dict or list body is sent as JSON, a str as UTF-8.
    Content-Length is always set (HEAD gets the length but no body)."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    elif isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    handler.send_response(status)
    for k, v in headers.items():
        if k.lower() != "content-length":
            handler.send_header(k, str(v))
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD" and body:
        handler.wfile.write(body)
    handler.wfile.flush()


class HttpServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 for the duration of a `with` block (or start() and
    stop()).

    HttpServer(handler=None)
      handler(req) -> (status, headers dict, body) answers each Request (a dict or list body is
      sent as JSON); without one (and without a subclass's handle()) every request gets 404.
    Subclasses override handle(req, h) -> (status, headers, body), or write on h (the
    BaseHTTPRequestHandler) themselves and return None.
      .url ("http://127.0.0.1:PORT"), .port
      .requests  every Request so far, in order of arrival (thread-safe; see also requests_to())
      .errors    tracebacks of exceptions the fake raised (those requests got a 500)
      .clear()   forgets the requests (and errors)
    """

    def __init__(self, handler=None):
        self._handler = handler
        self._lock = threading.RLock()
        self.requests = []
        self.errors = []
        self._httpd = None
        self._thread = None
        self._conns = set()
        self.port = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self._httpd = _ThreadingServer(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="%s:%d" % (type(self).__name__, self.port), daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening and closes the connections kept alive, so that a client finds the
        server gone rather than talking on to an idle handler thread."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
            self._httpd = None
            with self._lock:
                conns = list(self._conns)
            for c in conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _record(self, req):
        with self._lock:
            self.requests.append(req)

    def _connection(self, conn, opened):
        with self._lock:
            if opened:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _error(self, text):
        with self._lock:
            self.errors.append(text)

    def clear(self):
        with self._lock:
            self.requests.clear()
            self.errors.clear()

    def requests_to(self, path, method=None):
        """The requests whose path (query excluded) is path (and whose method is method)."""
        with self._lock:
            return [r for r in self.requests
                    if r.url_path == path and (method is None or r.method == method)]

    def handle(self, req, h):
        if self._handler is not None:
            return self._handler(req)
        return 404, {"Content-Type": "text/plain"}, "not found"


# ----------------------------------------------------------------------------------------------
# EC2 instance metadata (IMDSv2)


def _expiration(value, default_seconds):
    if value is None:
        return iso8601(time.time() + default_seconds)
    return value if isinstance(value, str) else iso8601(value)


class ImdsServer(HttpServer):
    """EC2 instance metadata (IMDSv2) that hands out an instance role's credentials.

    ImdsServer(access_key_id="ASIAIMDSEXAMPLE00001", secret_access_key="imds-secret",
               token="imds-session-token", expiration=None, role="rootwatch-instance-role",
               require_token=True, fail_token_put=False, region="us-east-1",
               account="111122223333", delay=0)
      expiration: a datetime, epoch seconds or "2026-...Z" (default: 6 hours from now).
      require_token: GETs without X-aws-ec2-metadata-token get 401 (IMDSv2 only); False lets
        them through (IMDSv1) while tokens still work.
      fail_token_put: False, or the status the token PUT gets (True means 403; 404 and 405 are
        what hosts without IMDSv2 or proxies in the way answer). Use with require_token=False.
      delay: seconds every answer waits (timeouts).
    Routes: PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds, 1..21600; a
      request with X-Forwarded-For gets 403, as on EC2); GET /latest/meta-data/iam/security-
      credentials/ (the role's name), .../security-credentials/ROLE (the JSON credentials),
      /latest/meta-data/iam/info, /latest/meta-data/placement/region,
      /latest/dynamic/instance-identity/document. Anything else: 404.
      A GET with an unknown or expired token gets 401.
    Attributes: .counts (collections.Counter: "token" PUTs, "role" listings, "credentials"
      fetches, "unauthorized" 401s, "v1" tokenless GETs served), .tokens {token: expiry},
      .set_credentials(...) changes what later fetches get, .env() for rootwatch.
    """

    API_TOKEN = "/latest/api/token"
    CREDS = "/latest/meta-data/iam/security-credentials"

    def __init__(self, access_key_id="ASIAIMDSEXAMPLE00001", secret_access_key="imds-secret",
                 token="imds-session-token", expiration=None, role="rootwatch-instance-role",
                 require_token=True, fail_token_put=False, region="us-east-1", account="111122223333",
                 delay=0):
        super().__init__()
        self.role = role
        self.require_token = require_token
        self.fail_token_put = 403 if fail_token_put is True else fail_token_put
        self.region = region
        self.account = account
        self.delay = delay
        self.counts = collections.Counter()
        self.tokens = {}
        self.set_credentials(access_key_id, secret_access_key, token, expiration)

    def set_credentials(self, access_key_id, secret_access_key, token, expiration=None):
        with self._lock:
            self.credentials = {
                "Code": "Success", "LastUpdated": iso8601(time.time()), "Type": "AWS-HMAC",
                "AccessKeyId": access_key_id, "SecretAccessKey": secret_access_key, "Token": token,
                "Expiration": _expiration(expiration, 6 * 3600)}

    def env(self):
        """Variables that point rootwatch's IMDS client here (and undo clean_aws_env's switch)."""
        return {"AWS_EC2_METADATA_SERVICE_ENDPOINT": self.url, "AWS_EC2_METADATA_DISABLED": "false"}

    def handle(self, req, h):
        if self.delay:
            time.sleep(self.delay)
        text = {"Content-Type": "text/plain"}
        path = req.url_path
        with self._lock:
            if path == self.API_TOKEN:
                if req.method != "PUT":
                    return 405, text, ""
                self.counts["token"] += 1
                if self.fail_token_put:
                    return self.fail_token_put, text, ""
                if "x-forwarded-for" in req.headers:
                    return 403, text, ""
                ttl = req.header("x-aws-ec2-metadata-token-ttl-seconds")
                if ttl is None or not ttl.strip().isdigit() or not 1 <= int(ttl) <= 21600:
                    return 400, text, ""
                tok = "AQAEA" + base64.urlsafe_b64encode(os.urandom(33)).decode()
                self.tokens[tok] = time.monotonic() + int(ttl)
                return 200, {"Content-Type": "text/plain", "X-aws-ec2-metadata-token-ttl-seconds": ttl.strip()}, tok
            if req.method not in ("GET", "HEAD"):
                return 405, text, ""
            tok = req.header("x-aws-ec2-metadata-token")
            if tok is not None:
                if self.tokens.get(tok, 0) < time.monotonic():
                    self.counts["unauthorized"] += 1
                    return 401, text, ""
            elif self.require_token:
                self.counts["unauthorized"] += 1
                return 401, text, ""
            else:
                self.counts["v1"] += 1
            if path in (self.CREDS, self.CREDS + "/"):
                self.counts["role"] += 1
                return 200, text, self.role
            if path.startswith(self.CREDS + "/"):
                if path[len(self.CREDS) + 1:] != self.role:
                    return 404, text, ""
                self.counts["credentials"] += 1
                return 200, text, json.dumps(self.credentials, indent=2, separators=(",", " : "))
            if path == "/latest/meta-data/iam/info":
                return 200, text, json.dumps({
                    "Code": "Success", "LastUpdated": self.credentials["LastUpdated"],
                    "InstanceProfileArn": "arn:aws:iam::%s:instance-profile/%s" % (self.account, self.role),
                    "InstanceProfileId": "AIPAEXAMPLE0000000001"}, indent=2)
            if path == "/latest/meta-data/placement/region":
                return 200, text, self.region
            if path == "/latest/dynamic/instance-identity/document":
                return 200, text, json.dumps({
                    "accountId": self.account, "region": self.region, "instanceId": "i-0123456789abcdef0",
                    "availabilityZone": self.region + "a", "architecture": "x86_64"}, indent=2)
            return 404, text, ""


# ----------------------------------------------------------------------------------------------
# ECS / EKS container credentials


class ContainerCredsServer(HttpServer):
    """The container credentials endpoint of ECS tasks and EKS Pod Identity.

    ContainerCredsServer(access_key_id="ASIACONTAINEREXAMPLE", secret_access_key="container-secret",
                         token="container-session-token", expiration=None,
                         role_arn="arn:aws:iam::111122223333:role/rootwatch-task",
                         path="/v2/credentials/rootwatch-test", auth_token=None, fail_with=None)
      GET path (query ignored) answers {"AccessKeyId", "SecretAccessKey", "Token", "Expiration",
      "RoleArn"}; other paths get 404, other methods 405. With auth_token, a request whose
      Authorization header is not exactly auth_token gets 401. fail_with: a status every request
      gets instead (500, 503 ...).
      .full_uri, .counts (Counter: "credentials", "unauthorized"), .set_credentials(...),
      .env(token_file=None): AWS_CONTAINER_CREDENTIALS_FULL_URI, and the token as
      AWS_CONTAINER_AUTHORIZATION_TOKEN, or written to token_file and named by
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS Pod Identity's way).
    """

    def __init__(self, access_key_id="ASIACONTAINEREXAMPLE", secret_access_key="container-secret",
                 token="container-session-token", expiration=None,
                 role_arn="arn:aws:iam::111122223333:role/rootwatch-task",
                 path="/v2/credentials/rootwatch-test", auth_token=None, fail_with=None):
        super().__init__()
        self.path = path
        self.auth_token = auth_token
        self.fail_with = fail_with
        self.role_arn = role_arn
        self.counts = collections.Counter()
        self.set_credentials(access_key_id, secret_access_key, token, expiration)

    def set_credentials(self, access_key_id, secret_access_key, token, expiration=None):
        with self._lock:
            self.credentials = {"AccessKeyId": access_key_id, "SecretAccessKey": secret_access_key,
                                "Token": token, "Expiration": _expiration(expiration, 6 * 3600),
                                "RoleArn": self.role_arn}

    @property
    def full_uri(self):
        return self.url + self.path

    def env(self, token_file=None):
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.full_uri}
        if self.auth_token is not None:
            if token_file:
                with open(token_file, "w") as f:
                    f.write(self.auth_token)
                env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = token_file
            else:
                env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = self.auth_token
        return env

    def handle(self, req, h):
        with self._lock:
            if self.fail_with:
                return self.fail_with, {"Content-Type": "application/json"}, {"message": "failure"}
            if req.url_path != self.path:
                return 404, {"Content-Type": "application/json"}, {"message": "not found"}
            if req.method != "GET":
                return 405, {"Content-Type": "application/json"}, {"message": "method not allowed"}
            if self.auth_token is not None and req.header("authorization") != self.auth_token:
                self.counts["unauthorized"] += 1
                return 401, {"Content-Type": "application/json"}, {"message": "unauthorized"}
            self.counts["credentials"] += 1
            return 200, {"Content-Type": "application/json"}, dict(self.credentials)


# ----------------------------------------------------------------------------------------------
# SigV4 verification


_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request"
                      r"\s*,\s*SignedHeaders=([a-z0-9;._-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$")


def parse_authorization(value):
    """The parts of a SigV4 Authorization header as a dict (access_key, date, region, service,
    signed_headers list, signature), or None when it is not one."""
    m = _AUTH_RE.match(value or "")
    if not m:
        return None
    return {"access_key": m.group(1), "date": m.group(2), "region": m.group(3), "service": m.group(4),
            "signed_headers": m.group(5).split(";"), "signature": m.group(6)}


def _uri_encode(s, keep_slash=False):
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def canonical_request(req, signed_headers, s3=False):
    """SigV4's canonical request for a recorded Request (the path and query as sent)."""
    split = urllib.parse.urlsplit(req.path)
    path = split.path or "/"
    if not s3:  # other services: dot segments removed, then the (already encoded) path encoded again
        segs = []
        for seg in path.split("/")[1:]:
            if seg == "..":
                if segs:
                    segs.pop()
            elif seg != ".":
                segs.append(seg)
        path = "/" + "/".join(_uri_encode(seg) for seg in segs)
    pairs = []
    if split.query:
        for part in split.query.split("&"):
            k, _, v = part.partition("=")
            pairs.append((_uri_encode(urllib.parse.unquote(k)), _uri_encode(urllib.parse.unquote(v))))
    query = "&".join("%s=%s" % kv for kv in sorted(pairs))
    values = collections.OrderedDict()
    for k, v in req.raw_headers:
        values.setdefault(k.lower(), []).append(" ".join(v.strip().split()))
    lines = []
    for name in signed_headers:
        if name not in values:
            return None  # a signed header that was not sent
        lines.append("%s:%s\n" % (name, ",".join(values[name])))
    payload = req.headers.get("x-amz-content-sha256") or hashlib.sha256(req.body).hexdigest()
    return "\n".join([req.method, path, query, "".join(lines), ";".join(signed_headers), payload])


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sigv4_verify(req, secrets, service=None, max_skew=900, now=None):
    """Checks a Request's SigV4 Authorization header. secrets: {access key id: secret} or
    {access key id: (secret, session token)} (the token must then come as X-Amz-Security-Token).
    Returns (None, None) when the signature is right, else (AWS error code, message):
    MissingAuthenticationTokenException, IncompleteSignatureException, UnrecognizedClientException,
    InvalidSignatureException (which also covers a clock skewed more than max_skew seconds)."""
    auth = req.header("authorization")
    if not auth:
        return "MissingAuthenticationTokenException", "Request is missing Authentication Token"
    a = parse_authorization(auth)
    if a is None:
        return "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' " \
                                               "and 'SignedHeaders' parameters. Authorization=%s" % auth[:40]
    if service and a["service"] != service:
        return "InvalidSignatureException", "Credential should be scoped to correct service: '%s'." % service
    amz_date = req.header("x-amz-date")
    if not amz_date or not re.match(r"^\d{8}T\d{6}Z$", amz_date):
        return "IncompleteSignatureException", "Authorization header requires existence of either a " \
                                               "'X-Amz-Date' or a 'Date' header."
    if amz_date[:8] != a["date"]:
        return "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 " \
                                            "version of date from HTTP: '%s' != '%s'" % (a["date"], amz_date[:8])
    if "host" not in a["signed_headers"]:
        return "InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization."
    if max_skew is not None:
        t = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
        if abs((now if now is not None else time.time()) - t) > max_skew:
            return "InvalidSignatureException", "Signature expired: %s is now earlier or later than the " \
                                                "allowed %d seconds." % (amz_date, max_skew)
    if a["access_key"] not in secrets:
        return "UnrecognizedClientException", "The security token included in the request is invalid."
    secret = secrets[a["access_key"]]
    if isinstance(secret, (tuple, list)):
        secret, token = secret
        if token is not None and req.header("x-amz-security-token") != token:
            return "UnrecognizedClientException", "The security token included in the request is invalid."
    creq = canonical_request(req, a["signed_headers"], s3=a["service"] == "s3")
    if creq is None:
        return "InvalidSignatureException", "A header named in SignedHeaders was not sent."
    scope = "%s/%s/%s/aws4_request" % (a["date"], a["region"], a["service"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    key = _hmac(("AWS4" + secret).encode("utf-8"), a["date"])
    for part in (a["region"], a["service"], "aws4_request"):
        key = _hmac(key, part)
    want = hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, a["signature"]):
        return "InvalidSignatureException", (
            "The request signature we calculated does not match the signature you provided. Check your "
            "AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n"
            "The Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should "
            "have been\n'%s'\n" % (creq, sts))
    return None, None


# ----------------------------------------------------------------------------------------------
# CloudTrail LookupEvents


def load_lookup_events(path, account=None):
    """Events of a LookupEvents response file as ctgen.py writes it (OUT/lookup-events.json:
    {"Events": [{"EventId", "EventName", "ReadOnly", "EventTime", "EventSource", "Resources",
    "CloudTrailEvent": "<json>", "Username"?, "AccessKeyId"?}]}), grouped by the awsRegion of each
    CloudTrailEvent: {region: [event, ...]}. path: the file or ctgen's OUT folder. account: keep
    only the events of that account (recipientAccountId), as one account's LookupEvents would."""
    if os.path.isdir(path):
        path = os.path.join(path, "lookup-events.json")
    with open(path) as f:
        events = json.load(f)["Events"]
    out = {}
    for ev in events:
        rec = json.loads(ev["CloudTrailEvent"])
        if account is not None and rec.get("recipientAccountId") != account:
            continue
        out.setdefault(rec.get("awsRegion", "us-east-1"), []).append(ev)
    return out


def synth_events(count, region="us-east-1", start="2026-11-20T00:00:00Z", step_seconds=60,
                 root_every=0, account="111122223333", name="DescribeInstances",
                 source="ec2.amazonaws.com"):
    """count LookupEvents events, one every step_seconds from start, ctgen's shape. Every
    root_every-th one (when > 0) is a root user's ConsoleLogin; the others are an IAM user's
    read-only calls (name, source). EventIds are deterministic ("00000000-...-<region>-<i>")."""
    t0 = parse_time(start)
    out = []
    for i in range(count):
        root = root_every > 0 and (i + 1) % root_every == 0
        t = iso8601(t0 + i * step_seconds)
        eid = str(uuid.uuid5(uuid.NAMESPACE_URL, "awsfake/%s/%s/%d" % (account, region, i)))
        if root:
            ident = {"type": "Root", "principalId": account, "arn": "arn:aws:iam::%s:root" % account,
                     "accountId": account}
            ev_name, ev_source, ro, user = "ConsoleLogin", "signin.amazonaws.com", False, "root"
        else:
            ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLE%09d" % i,
                     "arn": "arn:aws:iam::%s:user/alice" % account, "accountId": account,
                     "accessKeyId": "AKIAEXAMPLE%09d" % i, "userName": "alice"}
            ev_name, ev_source, ro, user = name, source, True, "alice"
        rec = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": t, "eventSource": ev_source,
               "eventName": ev_name, "awsRegion": region, "sourceIPAddress": "198.51.100.7",
               "userAgent": "awsfake", "requestParameters": None, "responseElements": None,
               "requestID": eid, "eventID": eid, "readOnly": ro, "eventType": "AwsApiCall",
               "managementEvent": True, "recipientAccountId": account, "eventCategory": "Management"}
        ev = {"EventId": eid, "EventName": ev_name, "ReadOnly": str(ro).lower(), "EventTime": t,
              "EventSource": ev_source, "Resources": [], "Username": user,
              "CloudTrailEvent": json.dumps(rec, separators=(",", ":"))}
        if "accessKeyId" in ident:
            ev["AccessKeyId"] = ident["accessKeyId"]
        out.append(ev)
    return out


LookupCall = collections.namedtuple("LookupCall", "time region params status error events")
LookupCall.__doc__ = """One LookupEvents call: time (monotonic), region, params (the request's JSON
or None), status (HTTP), error (AWS's error code or None), events (how many were returned)."""


class LookupEventsServer(HttpServer):
    """CloudTrail LookupEvents (JSON 1.1 protocol) with an event set per region.

    LookupEventsServer(events, throttle_every=0, rate_limit=None, rate_window=1.0,
                       rate_slack=0.02, credentials=None, event_time="aws", empty_page_every=0,
                       qualified_errors=False)
      events: {region: [event, ...]} (see load_lookup_events, synth_events) or a list served in
        every region. Regions without events answer no events. Events are served newest first.
      throttle_every: every Nth call (N, 2N, ...) gets 400 ThrottlingException "Rate exceeded".
      rate_limit: calls per rate_window seconds allowed per region (AWS: 2 per second); a call
        beyond gets ThrottlingException and is listed in .rate_violations. The window is shortened
        by rate_slack seconds so that a client pacing itself exactly is not failed by jitter.
      credentials: None (any well-formed SigV4 Authorization is accepted) or {access key id:
        secret} / {access key id: (secret, session token)} to verify signatures (sigv4_verify).
      event_time: how EventTime is written: "aws" (as AWS does, 1.763596805E9), "epoch"
        (1763596805) or "iso" (the string in the events, as ctgen writes it).
      empty_page_every: every Nth answered page (N >= 2) has no events but a NextToken, as
        CloudTrail sometimes answers: clients must keep paging.
      qualified_errors: write __type with its namespace, as AWS's servers may
        ("com.amazon.coral.service#ThrottlingException",
        "com.amazonaws.cloudtrail.v20131101#InvalidNextTokenException"): clients must take the part
        after '#'.

    Requests: POST / with X-Amz-Target com.amazonaws.cloudtrail.v20131101.
      CloudTrail_20131101.LookupEvents and Content-Type application/x-amz-json-1.1. Body members:
      MaxResults (1..50, default 50), NextToken, StartTime / EndTime (epoch seconds; both ends
      inclusive), LookupAttributes (at most one of EventId, EventName, ReadOnly, Username,
      EventSource, AccessKeyId, ResourceType, ResourceName; exact match), EventCategory ("insight"
      answers no events). A NextToken must come with the same parameters (MaxResults aside).
    Errors (HTTP 400, {"__type": code, "message": ...}): MissingAuthenticationTokenException,
      IncompleteSignatureException, InvalidSignatureException, UnrecognizedClientException,
      UnknownOperationException, SerializationException, InvalidMaxResultsException,
      InvalidTimeRangeException, InvalidLookupAttributesException, InvalidEventCategoryException,
      InvalidNextTokenException, ThrottlingException.

    Attributes: .calls (LookupCall for every request that reached the operation, throttled ones
      included), .call_times {region: [monotonic times]}, .throttled [(time, region, reason)],
      .rate_violations [(time, region, calls in window)], max_calls_in_window(region, window),
      returned_ids(region=None) (every EventId served), .env() for rootwatch.
    """

    TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
    CORAL_ERRORS = ("MissingAuthenticationTokenException", "IncompleteSignatureException",
                    "InvalidSignatureException", "UnrecognizedClientException", "UnknownOperationException",
                    "SerializationException", "ThrottlingException")
    ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "EventSource", "AccessKeyId",
                      "ResourceType", "ResourceName")

    def __init__(self, events, throttle_every=0, rate_limit=None, rate_window=1.0, rate_slack=0.02,
                 credentials=None, event_time="aws", empty_page_every=0, qualified_errors=False):
        super().__init__()
        self.qualified_errors = qualified_errors
        if event_time not in ("aws", "epoch", "iso"):
            raise ValueError("event_time: aws, epoch or iso")
        if empty_page_every == 1:
            raise ValueError("empty_page_every=1 would never serve an event")
        self._all_regions = None
        if isinstance(events, dict):
            self.events = {r: self._sorted(evs) for r, evs in events.items()}
        else:
            self._all_regions = self._sorted(events)
            self.events = {}
        self.throttle_every = throttle_every
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.rate_slack = rate_slack
        self.credentials = credentials
        self.event_time = event_time
        self.empty_page_every = empty_page_every
        self._secret = os.urandom(16)
        self.calls = []
        self.call_times = collections.defaultdict(list)
        self.throttled = []
        self.rate_violations = []
        self._served_ids = collections.defaultdict(list)
        self._pages = 0

    @staticmethod
    def _sorted(events):
        # newest first, as CloudTrail answers; ties keep their order
        return sorted(((parse_time(ev["EventTime"]), ev) for ev in events), key=lambda p: -p[0])

    def events_of(self, region):
        """[(epoch, event)] served in region, newest first."""
        if self._all_regions is not None:
            return self._all_regions
        return self.events.get(region, [])

    def env(self):
        return {"AWS_ENDPOINT_URL_CLOUDTRAIL": self.url}

    def max_calls_in_window(self, region=None, window=1.0):
        """The most calls (throttled ones included) that arrived in any window seconds (half-open)
        in region (None: the busiest region)."""
        with self._lock:
            regions = [region] if region is not None else list(self.call_times)
            best = 0
            for r in regions:
                ts = sorted(self.call_times.get(r, []))
                j = 0
                for i, t in enumerate(ts):
                    while ts[j] <= t - window:
                        j += 1
                    best = max(best, i - j + 1)
            return best

    def returned_ids(self, region=None):
        with self._lock:
            if region is not None:
                return list(self._served_ids.get(region, []))
            return [e for ids in self._served_ids.values() for e in ids]

    def _token(self, region, offset, fingerprint):
        payload = json.dumps({"r": region, "o": offset, "q": fingerprint, "n": os.urandom(4).hex()},
                             separators=(",", ":")).encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def _untoken(self, token):
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            mac, payload = raw[:12], raw[12:]
            if not hmac.compare_digest(mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]):
                return None
            return json.loads(payload)
        except (ValueError, TypeError):
            return None

    def _time_json(self, ev):
        if self.event_time == "iso":
            return json.dumps(ev["EventTime"])
        t = parse_time(ev["EventTime"])
        if self.event_time == "epoch":
            return str(int(t)) if t == int(t) else repr(t)
        return aws_json_number(t)

    def _events_json(self, events, token):
        # written by hand so that EventTime can be a number in AWS's own notation
        parts = []
        for ev in events:
            members = ['"EventTime":' + self._time_json(ev)]
            members += ["%s:%s" % (json.dumps(k), json.dumps(v)) for k, v in ev.items() if k != "EventTime"]
            parts.append("{" + ",".join(members) + "}")
        body = '{"Events":[' + ",".join(parts) + "]"
        if token:
            body += ',"NextToken":' + json.dumps(token)
        return body + "}"

    def handle(self, req, h):
        now = time.monotonic()
        rid = str(uuid.uuid4())

        def error(code, message, status=400, region=None, params=None):
            if region is not None:
                self.calls.append(LookupCall(now, region, params, status, code, 0))
            typ = code
            if self.qualified_errors:
                typ = ("com.amazon.coral.service#" if code in self.CORAL_ERRORS
                       else "com.amazonaws.cloudtrail.v20131101#") + code
            return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid}, \
                json.dumps({"__type": typ, "message": message})

        with self._lock:
            if req.method != "POST" or req.url_path != "/":
                return error("UnknownOperationException", "Only POST / is served here", status=404)
            if self.credentials is not None:
                code, msg = sigv4_verify(req, self.credentials, service="cloudtrail")
                if code:
                    return error(code, msg)
            auth = req.header("authorization")
            if not auth:
                return error("MissingAuthenticationTokenException", "Request is missing Authentication Token")
            a = parse_authorization(auth)
            if a is None:
                return error("IncompleteSignatureException", "Authorization header requires 'Credential', "
                             "'Signature' and 'SignedHeaders' parameters.")
            if a["service"] != "cloudtrail":
                return error("InvalidSignatureException", "Credential should be scoped to correct service: "
                             "'cloudtrail'.")
            if not req.header("x-amz-date"):
                return error("IncompleteSignatureException", "Authorization header requires existence of "
                             "either a 'X-Amz-Date' or a 'Date' header.")
            region = a["region"]
            target = req.header("x-amz-target")
            if target != self.TARGET:
                return error("UnknownOperationException", "Unknown operation %s" % target)
            ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
            if ctype != "application/x-amz-json-1.1":
                return error("UnknownOperationException", "Unexpected Content-Type %r" % ctype)
            try:
                params = json.loads(req.body.decode("utf-8") or "{}")
                if not isinstance(params, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                return error("SerializationException", "Malformed JSON body: %s" % e)

            # throttling, before anything is served
            self.call_times[region].append(now)
            nth = len(self.calls) + 1
            if self.throttle_every and nth % self.throttle_every == 0:
                self.throttled.append((now, region, "throttle_every"))
                return error("ThrottlingException", "Rate exceeded", region=region, params=params)
            if self.rate_limit is not None:
                window = self.rate_window - self.rate_slack
                recent = sum(1 for t in self.call_times[region] if t > now - window)
                if recent > self.rate_limit:
                    self.rate_violations.append((now, region, recent))
                    self.throttled.append((now, region, "rate_limit"))
                    return error("ThrottlingException", "Rate exceeded", region=region, params=params)

            def bad(code, message):
                return error(code, message, region=region, params=params)

            n = params.get("MaxResults", 50)
            if isinstance(n, bool) or not isinstance(n, int):
                return bad("SerializationException", "MaxResults must be an integer")
            if not 1 <= n <= 50:
                return bad("InvalidMaxResultsException", "Value %r for MaxResults is invalid; the valid "
                           "range is 1 to 50." % n)
            times = {}
            for k in ("StartTime", "EndTime"):
                if k in params:
                    v = params[k]
                    if isinstance(v, bool) or not isinstance(v, (int, float)):
                        return bad("SerializationException", "%s must be a number of epoch seconds, "
                                   "not %r" % (k, v))
                    times[k] = float(v)
            if "StartTime" in times and "EndTime" in times and times["StartTime"] > times["EndTime"]:
                return bad("InvalidTimeRangeException", "Start time must be equal to or before end time.")
            attrs = params.get("LookupAttributes") or []
            if not isinstance(attrs, list) or len(attrs) > 1:
                return bad("InvalidLookupAttributesException", "You can specify only one lookup attribute.")
            for at in attrs:
                if not isinstance(at, dict) or at.get("AttributeKey") not in self.ATTRIBUTE_KEYS \
                        or not isinstance(at.get("AttributeValue"), str) or not at["AttributeValue"]:
                    return bad("InvalidLookupAttributesException", "Invalid lookup attribute %r" % (at,))
            category = params.get("EventCategory")
            if category is not None and category != "insight":
                return bad("InvalidEventCategoryException", "Invalid event category %r" % (category,))
            fingerprint = hashlib.sha256(json.dumps(
                [region, times.get("StartTime"), times.get("EndTime"), attrs, category],
                sort_keys=True).encode()).hexdigest()[:16]
            offset = 0
            if "NextToken" in params:
                tok = self._untoken(str(params["NextToken"]))
                if tok is None or tok.get("q") != fingerprint or tok.get("r") != region:
                    return bad("InvalidNextTokenException", "Invalid NextToken.")
                offset = tok["o"]

            selected = []
            if category is None:
                for t, ev in self.events_of(region):
                    if "StartTime" in times and t < times["StartTime"]:
                        continue
                    if "EndTime" in times and t > times["EndTime"]:
                        continue
                    if attrs and not self._matches(ev, attrs[0]["AttributeKey"], attrs[0]["AttributeValue"]):
                        continue
                    selected.append(ev)
            self._pages += 1
            if self.empty_page_every and self._pages % self.empty_page_every == 0 and offset < len(selected):
                page, nxt = [], offset
            else:
                page = selected[offset:offset + n]
                nxt = offset + len(page)
            token = self._token(region, nxt, fingerprint) if nxt < len(selected) else None
            self.calls.append(LookupCall(now, region, params, 200, None, len(page)))
            self._served_ids[region].extend(ev["EventId"] for ev in page)
            return 200, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid}, \
                self._events_json(page, token)

    @staticmethod
    def _matches(ev, key, value):
        if key in ("ResourceType", "ResourceName"):
            return any(r.get(key) == value for r in ev.get("Resources") or [])
        return str(ev.get(key)) == value


# ----------------------------------------------------------------------------------------------
# Scripted faults


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
               "trailer", "transfer-encoding", "upgrade", "content-length"}


def _request_id():
    return uuid.uuid4().hex[:16].upper()


class FaultServer(HttpServer):
    """An HTTP server that answers each request with the next action of a script, then with a
    default action once the script is exhausted.

    FaultServer(actions=(), default=("status", 200, "", {}))
    Actions (tuples; or a callable req -> (status, headers, body)):
      ("status", code, body[, headers])   that answer (a dict or list body is sent as JSON)
      ("slow", seconds[, action])         waits, then does action (default: the default action)
      ("truncate", declared_len, sent_body[, status[, headers]])
                                          declares Content-Length: declared_len, sends sent_body
                                          (shorter), then closes the connection
      ("close",)                          closes the connection without answering
      ("reset",)                          resets the connection (TCP RST) without answering
      ("throttle_xml"[, style])           400 Throttling "Rate exceeded" as XML: style "query"
                                          (<ErrorResponse><Error><Type>Sender</Type><Code>...,
                                          STS, IAM, SNS ...; the default) or "s3" (<Error><Code>)
      ("throttle_json",)                  400 {"__type": "ThrottlingException", "message": "Rate exceeded"}
      ("slowdown",)                       503 S3 SlowDown XML
      ("proxy", url)                      forwards the request (method, path, headers, body) to
                                          url (e.g. MotoServer.url) and relays the answer
    Attributes: .actions (the remaining script; push(*actions) adds to it), .default,
      .served [(time, action name)], arrival_times() (monotonic, one per request), gaps()
      (seconds between consecutive arrivals).
    """

    def __init__(self, actions=(), default=("status", 200, "", {})):
        super().__init__()
        self.actions = collections.deque(actions)
        self.default = default
        self.served = []

    def push(self, *actions):
        with self._lock:
            self.actions.extend(actions)

    def arrival_times(self):
        with self._lock:
            return [r.time for r in self.requests]

    def gaps(self):
        t = self.arrival_times()
        return [b - a for a, b in zip(t, t[1:])]

    def handle(self, req, h):
        with self._lock:
            action = self.actions.popleft() if self.actions else self.default
            name = getattr(action, "__name__", "callable") if callable(action) else action[0]
            self.served.append((req.time, name))
        return self._perform(action, req, h)

    def _perform(self, action, req, h):
        if callable(action):
            return action(req)
        kind = action[0]
        if kind == "status":
            return action[1], (action[3] if len(action) > 3 else {}), action[2]
        if kind == "slow":
            time.sleep(action[1])
            return self._perform(action[2] if len(action) > 2 else self.default, req, h)
        if kind == "truncate":
            declared, sent = action[1], action[2]
            sent = sent.encode() if isinstance(sent, str) else sent
            h.send_response(action[3] if len(action) > 3 else 200)
            for k, v in (action[4] if len(action) > 4 else {}).items():
                h.send_header(k, str(v))
            h.send_header("Content-Length", str(declared))
            h.end_headers()
            h.wfile.write(sent)
            h.wfile.flush()
            h.close_connection = True
            return None
        if kind == "close":
            h.close_connection = True
            return None
        if kind == "reset":
            h.close_connection = True
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return None
        if kind == "throttle_xml":
            rid = _request_id()
            if (action[1] if len(action) > 1 else "query") == "s3":
                body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>Throttling</Code>'
                        '<Message>Rate exceeded</Message><RequestId>%s</RequestId><HostId>awsfake</HostId>'
                        '</Error>' % rid)
            else:
                body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n'
                        '    <Type>Sender</Type>\n    <Code>Throttling</Code>\n    <Message>Rate exceeded'
                        '</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n' % rid)
            return 400, {"Content-Type": "text/xml", "x-amzn-RequestId": rid, "x-amz-request-id": rid}, body
        if kind == "throttle_json":
            rid = _request_id()
            return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid}, \
                json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
        if kind == "slowdown":
            rid = _request_id()
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please '
                    'reduce your request rate.</Message><RequestId>%s</RequestId><HostId>awsfake</HostId>'
                    '</Error>' % rid)
            return 503, {"Content-Type": "application/xml", "x-amz-request-id": rid}, body
        if kind == "proxy":
            return self._proxy(action[1], req)
        raise ValueError("FaultServer: unknown action %r" % (action,))

    @staticmethod
    def _proxy(url, req):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        try:
            headers = {k: v for k, v in req.raw_headers if k.lower() not in _HOP_BY_HOP}
            conn.request(req.method, req.path, body=req.body if req.body or req.method in ("PUT", "POST") else None,
                         headers=headers)
            r = conn.getresponse()
            body = r.read()
            out = {k: v for k, v in r.getheaders() if k.lower() not in _HOP_BY_HOP
                   and k.lower() not in ("date", "server")}
            return r.status, out, body
        finally:
            conn.close()


# ----------------------------------------------------------------------------------------------
# Self-check: python3 tests/integration/awsfake.py


def _self_check():  # noqa: C901 -- a linear script
    import sys
    import unittest.mock

    def check(cond, what):
        if not cond:
            raise AssertionError(what)

    def read(path):
        with open(path) as f:
            return f.read()

    # environments
    with tempfile.TemporaryDirectory() as d:
        with unittest.mock.patch.dict(os.environ, {"AWS_PROFILE": "real", "AWS_SECRET_ACCESS_KEY": "x",
                                                   "https_proxy": "http://proxy:3128"}):
            env = clean_aws_env({"AWS_REGION": "eu-west-1"}, home=d)
        check(not [k for k in env if k.startswith("AWS_") and k not in ("AWS_REGION", "AWS_EC2_METADATA_DISABLED")],
              "clean_aws_env left AWS variables")
        check(env["HOME"] == d and env["AWS_EC2_METADATA_DISABLED"] == "true" and "https_proxy" not in env,
              "clean_aws_env")
        files = write_aws_files(os.path.join(d, "aws"), "[default]\nregion = eu-west-1\n",
                                "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n")
        check(read(files["AWS_CONFIG_FILE"]).startswith("[default]"), "config file")
        check(os.stat(files["AWS_SHARED_CREDENTIALS_FILE"]).st_mode & 0o777 == 0o600, "credentials mode")
    check(os.path.isdir(clean_aws_env()["HOME"]), "temporary HOME")
    p = free_port()
    check(1024 <= p < 65536, "free_port")
    print("environments OK")

    # the framework
    with HttpServer(lambda req: (200, {"X-Echo": req.method}, {"path": req.path, "len": len(req.body)})) as s:
        st, hd, body = http_request("POST", s.url + "/a/b?x=1", body=b"hello", headers={"X-Test": "1"})
        check(st == 200 and hd["x-echo"] == "POST" and json.loads(body) == {"path": "/a/b?x=1", "len": 5}, "echo")
        m, path, headers, b = s.requests[0]
        check((m, path, headers["x-test"], b) == ("POST", "/a/b?x=1", "1", b"hello"), "recorded request")
        check(s.requests[0].query == {"x": ["1"]} and s.requests_to("/a/b", "POST"), "query")
        # keep-alive and chunked bodies
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
        for i in range(3):
            conn.request("PUT", "/c%d" % i, body=iter([b"ab", b"cde"]), encode_chunked=True,
                         headers={"Transfer-Encoding": "chunked"})
            r = conn.getresponse()
            check(json.loads(r.read())["len"] == 5, "chunked body")
        check(not s.errors, s.errors)
    try:  # stop() closed the connection kept alive
        conn.request("GET", "/after")
        conn.getresponse()
        check(False, "a stopped server answered")
    except (http.client.HTTPException, OSError):
        pass
    conn.close()
    print("HttpServer OK")

    # IMDSv2
    with ImdsServer(access_key_id="ASIAI", secret_access_key="sec", token="tok",
                    expiration="2026-12-01T00:00:00Z") as imds:
        st, hd, tok = http_request("PUT", imds.url + "/latest/api/token",
                                   headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
        check(st == 200 and tok and hd["x-aws-ec2-metadata-token-ttl-seconds"] == "21600", "token")
        auth = {"X-aws-ec2-metadata-token": tok.decode()}
        st, _, role = http_request("GET", imds.url + ImdsServer.CREDS + "/", headers=auth)
        check(st == 200 and role == b"rootwatch-instance-role", "role")
        st, _, body = http_request("GET", imds.url + ImdsServer.CREDS + "/" + role.decode(), headers=auth)
        c = json.loads(body)
        check(st == 200 and c["Code"] == "Success" and c["AccessKeyId"] == "ASIAI" and c["Token"] == "tok"
              and c["Expiration"] == "2026-12-01T00:00:00Z" and c["Type"] == "AWS-HMAC", "credentials")
        check(http_request("GET", imds.url + ImdsServer.CREDS + "/")[0] == 401, "tokenless 401")
        check(http_request("GET", imds.url + ImdsServer.CREDS + "/",
                           headers={"X-aws-ec2-metadata-token": "bogus"})[0] == 401, "bad token 401")
        check(http_request("PUT", imds.url + "/latest/api/token")[0] == 400, "ttl required")
        check(http_request("GET", imds.url + ImdsServer.CREDS + "/nope", headers=auth)[0] == 404, "unknown role")
        check(http_request("GET", imds.url + "/latest/meta-data/placement/region", headers=auth)[2] == b"us-east-1",
              "region")
        check(imds.counts == {"token": 2, "role": 1, "credentials": 1, "unauthorized": 2}, imds.counts)
        check(not imds.errors, imds.errors)
    with ImdsServer(require_token=False, fail_token_put=405) as imds:
        check(http_request("PUT", imds.url + "/latest/api/token",
                           headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})[0] == 405, "fail_token_put")
        st, _, role = http_request("GET", imds.url + ImdsServer.CREDS + "/")
        check(st == 200 and imds.counts["v1"] == 1, "IMDSv1")
        check(imds.env()["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == imds.url, "imds env")
    print("ImdsServer OK")

    # container credentials
    with ContainerCredsServer(auth_token="Bearer s3cret") as cs:
        check(http_request("GET", cs.full_uri)[0] == 401, "container 401")
        st, _, body = http_request("GET", cs.full_uri, headers={"Authorization": "Bearer s3cret"})
        c = json.loads(body)
        check(st == 200 and set(c) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"},
              "container credentials")
        check(http_request("GET", cs.url + "/other", headers={"Authorization": "Bearer s3cret"})[0] == 404, "404")
        with tempfile.TemporaryDirectory() as d:
            e = cs.env(token_file=os.path.join(d, "token"))
            check(read(e["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]) == "Bearer s3cret", "token file")
        check(cs.counts == {"credentials": 1, "unauthorized": 1}, cs.counts)
    with ContainerCredsServer() as cs:
        check(http_request("GET", cs.full_uri)[0] == 200, "container without token")
    print("ContainerCredsServer OK")

    # LookupEvents
    check(aws_json_number(1763596805) == "1.763596805E9" and aws_json_number(1.5e9 + 0.25) == "1.50000000025E9",
          "aws_json_number")
    events = {"us-east-1": synth_events(120, "us-east-1", root_every=10),
              "eu-west-1": synth_events(7, "eu-west-1")}
    ctgen = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "tools", "ctgen.py")
    with tempfile.TemporaryDirectory() as d:
        if os.path.exists(ctgen):
            subprocess.run([sys.executable, ctgen, d, "--mb", "2", "--seed", "5"], check=True, capture_output=True)
            loaded = load_lookup_events(d)
            total = sum(map(len, loaded.values()))
            check(total == len(json.loads(read(os.path.join(d, "lookup-events.json")))["Events"]) and total > 0,
                  "load_lookup_events")
            events["ap-southeast-2"] = [ev for evs in loaded.values() for ev in evs]

    def raw_call(srv, body, region="us-east-1", auth=True, target=LookupEventsServer.TARGET):
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target,
                   "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}
        if auth:
            headers["Authorization"] = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s/%s/cloudtrail/aws4_request, "
                                        "SignedHeaders=host;x-amz-date, Signature=%s"
                                        % (headers["X-Amz-Date"][:8], region, "0" * 64))
        st, _, b = http_request("POST", srv.url + "/", body=body, headers=headers)
        return st, json.loads(b)

    with LookupEventsServer(events) as srv:
        st, r = raw_call(srv, {"MaxResults": 50})
        check(st == 200 and len(r["Events"]) == 50 and "NextToken" in r, "first page")
        check(isinstance(r["Events"][0]["EventTime"], float), "EventTime is a number")
        check(r["Events"][0]["EventTime"] >= r["Events"][-1]["EventTime"], "newest first")
        seen = [e["EventId"] for e in r["Events"]]
        while "NextToken" in r:
            st, r = raw_call(srv, {"MaxResults": 50, "NextToken": r["NextToken"]})
            check(st == 200, r)
            seen += [e["EventId"] for e in r["Events"]]
        check(sorted(seen) == sorted(e["EventId"] for e in events["us-east-1"]), "all pages")
        st, r = raw_call(srv, {}, region="eu-west-1")
        check(len(r["Events"]) == 7 and "NextToken" not in r, "per region")
        check(raw_call(srv, {}, region="sa-east-1")[1] == {"Events": []}, "empty region")
        t0 = parse_time("2026-11-20T00:00:00Z")
        st, r = raw_call(srv, {"StartTime": t0 + 600, "EndTime": t0 + 1200})
        check(len(r["Events"]) == 11, "time range (inclusive) %d" % len(r["Events"]))
        st, r = raw_call(srv, {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "root"}]})
        check(len(r["Events"]) == 12, "Username=root")
        st, r = raw_call(srv, {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}],
                               "MaxResults": 5})
        nt = r["NextToken"]
        check(raw_call(srv, {"MaxResults": 5, "NextToken": nt})[1]["__type"] == "InvalidNextTokenException",
              "token bound to its parameters")
        check(raw_call(srv, {"NextToken": "garbage"}) == (400, {"__type": "InvalidNextTokenException",
                                                               "message": "Invalid NextToken."}), "bad token")
        check(raw_call(srv, {"MaxResults": 51})[1]["__type"] == "InvalidMaxResultsException", "MaxResults")
        check(raw_call(srv, {"StartTime": 5, "EndTime": 1})[1]["__type"] == "InvalidTimeRangeException", "range")
        check(raw_call(srv, {"LookupAttributes": [{"AttributeKey": "Nope", "AttributeValue": "x"}]})[1]["__type"]
              == "InvalidLookupAttributesException", "attribute key")
        check(raw_call(srv, {}, auth=False) == (400, {"__type": "MissingAuthenticationTokenException",
                                                     "message": "Request is missing Authentication Token"}),
              "no auth")
        check(raw_call(srv, {}, target="CloudTrail_20131101.DescribeTrails")[1]["__type"]
              == "UnknownOperationException", "target")
        check(not srv.errors, srv.errors)
        srv.qualified_errors = True
        check(raw_call(srv, {"NextToken": "x"})[1]["__type"]
              == "com.amazonaws.cloudtrail.v20131101#InvalidNextTokenException", "qualified __type")

    with LookupEventsServer(events, event_time="iso", throttle_every=3, empty_page_every=2) as srv:
        codes = [raw_call(srv, {"MaxResults": 50})[1].get("__type") for _ in range(6)]
        check(codes == [None, None, "ThrottlingException"] * 2, codes)
        check([c.events for c in srv.calls if c.status == 200] == [50, 0, 50, 0], "empty pages")
        st, r = raw_call(srv, {}, region="eu-west-1")  # the 5th answered page
        check(len(r["Events"]) == 7 and "NextToken" not in r, "whole page")
        st, r = raw_call(srv, {}, region="eu-west-1")  # the 6th: empty, with a token
        check(r["Events"] == [] and "NextToken" in r, "empty page")
        r_token = r["NextToken"]
        st, r = raw_call(srv, {"NextToken": r["NextToken"]}, region="eu-west-1")
        check(r == {"__type": "ThrottlingException", "message": "Rate exceeded"}, "the 9th call throttled")
        st, r = raw_call(srv, {"NextToken": r_token}, region="eu-west-1")
        check(len(r["Events"]) == 7 and r["Events"][0]["EventTime"].endswith("Z"), "iso EventTime")

    with LookupEventsServer(events, rate_limit=2) as srv:
        codes = [raw_call(srv, {"MaxResults": 1})[1].get("__type") for _ in range(3)]
        check(codes == [None, None, "ThrottlingException"] and len(srv.rate_violations) == 1, codes)
        check(raw_call(srv, {"MaxResults": 1}, region="eu-west-1")[0] == 200, "the limit is per region")
        check(srv.max_calls_in_window("us-east-1") == 3, "max_calls_in_window")
        time.sleep(1.0)
        check(raw_call(srv, {"MaxResults": 1})[0] == 200, "the window moves")

    if boto3_available():
        import boto3
        import botocore.auth
        import botocore.awsrequest
        import botocore.config
        import botocore.credentials
        # botocore's own client against the fake: paging, filters, retries on ThrottlingException,
        # and SigV4 verification of what botocore signed
        with LookupEventsServer(events, throttle_every=2, credentials={"AKIDBOTO": ("botosecret", "botosession")}) as srv:
            ct = boto3.session.Session().client(
                "cloudtrail", region_name="us-east-1", endpoint_url=srv.url, aws_access_key_id="AKIDBOTO",
                aws_secret_access_key="botosecret", aws_session_token="botosession",
                config=botocore.config.Config(proxies={}, retries={"mode": "standard", "max_attempts": 5}))
            got = [e["EventId"] for page in ct.get_paginator("lookup_events").paginate(
                PaginationConfig={"PageSize": 50}) for e in page["Events"]]
            check(sorted(got) == sorted(e["EventId"] for e in events["us-east-1"]), "boto3 paging")
            check(len(srv.throttled) >= 1, "throttled and retried")
            r = ct.lookup_events(StartTime=dt.datetime(2026, 11, 20, 0, 10, tzinfo=dt.timezone.utc),
                                 EndTime=dt.datetime(2026, 11, 20, 0, 20, tzinfo=dt.timezone.utc))
            check(len(r["Events"]) == 11 and isinstance(r["Events"][0]["EventTime"], dt.datetime), "boto3 range")
            bad = boto3.session.Session().client(
                "cloudtrail", region_name="us-east-1", endpoint_url=srv.url, aws_access_key_id="AKIDBOTO",
                aws_secret_access_key="wrong", aws_session_token="botosession",
                config=botocore.config.Config(proxies={}, retries={"max_attempts": 1}))
            try:
                bad.lookup_events()
                check(False, "a wrong secret was accepted")
            except bad.exceptions.ClientError as e:
                check(e.response["Error"]["Code"] == "InvalidSignatureException", e)
            check(not srv.errors, srv.errors)
        # sigv4_verify against botocore's signer: a path and a query that need encoding, untidy headers
        creds = botocore.credentials.Credentials("AKIDV", "secretv")
        areq = botocore.awsrequest.AWSRequest(
            method="GET", url="http://127.0.0.1:1/a%20b/c?b=2&a=x%2Fy&a=1&empty=",
            headers={"X-Odd": "  two   spaces  ", "Content-Type": "text/plain"}, data=b"")
        botocore.auth.SigV4Auth(creds, "logs", "eu-west-1").add_auth(areq)
        prep = areq.prepare()
        split = urllib.parse.urlsplit(prep.url)
        raw = [("Host", split.netloc)] + list(prep.headers.items())
        fake = Request("GET", split.path + "?" + split.query, {k.lower(): v for k, v in raw}, b"")
        fake.raw_headers = raw
        check(sigv4_verify(fake, {"AKIDV": "secretv"}) == (None, None), "sigv4_verify agrees with botocore")
        check(sigv4_verify(fake, {"AKIDV": "other"})[0] == "InvalidSignatureException", "sigv4_verify rejects")
        print("LookupEventsServer OK (with boto3)")
    else:
        print("LookupEventsServer OK (boto3 absent: its checks skipped)")

    # faults
    with HttpServer(lambda req: (200, {"X-Upstream": "1"}, b"upstream:" + req.body)) as up:
        script = [("status", 500, "boom"), ("slow", 0.3), ("truncate", 100, "short"), ("close",), ("reset",),
                  ("throttle_xml",), ("throttle_xml", "s3"), ("throttle_json",), ("slowdown",),
                  ("proxy", up.url), lambda req: (418, {}, "teapot")]
        with FaultServer(script, default=("status", 200, "fine", {"Content-Type": "text/plain"})) as fs:
            u = fs.url + "/x"
            check(http_request("GET", u)[::2] == (500, b"boom"), "status")
            t = time.monotonic()
            check(http_request("GET", u)[::2] == (200, b"fine") and time.monotonic() - t >= 0.3, "slow")
            for what in ("truncate", "close", "reset"):
                try:
                    http_request("GET", u)
                    check(False, what + " answered")
                except (http.client.HTTPException, OSError):
                    pass
            st, _, b = http_request("GET", u)
            check(st == 400 and b"<Code>Throttling</Code>" in b and b"<Type>Sender</Type>" in b, "throttle_xml")
            st, _, b = http_request("GET", u)
            check(st == 400 and b.count(b"<Error>") == 1 and b"ErrorResponse" not in b, "throttle_xml s3")
            st, _, b = http_request("GET", u)
            check(st == 400 and json.loads(b)["__type"] == "ThrottlingException", "throttle_json")
            st, _, b = http_request("GET", u)
            check(st == 503 and b"<Code>SlowDown</Code>" in b, "slowdown")
            st, hd, b = http_request("PUT", u, body=b"data")
            check(st == 200 and b == b"upstream:data" and hd.get("x-upstream") == "1", "proxy")
            check(http_request("GET", u)[0] == 418, "callable action")
            check(http_request("GET", u)[::2] == (200, b"fine"), "default")
            check(len(fs.arrival_times()) == 12 and fs.gaps()[1] >= 0.3, "arrival times")
            check([k for _, k in fs.served][:4] == ["status", "slow", "truncate", "close"], fs.served)
            check(not fs.errors and not up.errors, fs.errors + up.errors)
    print("FaultServer OK")

    if MotoServer.available() and boto3_available():
        with MotoServer() as moto:
            s3 = moto.boto3_client("s3")
            s3.create_bucket(Bucket="rw-trail")
            s3.put_object(Bucket="rw-trail", Key="AWSLogs/1/CloudTrail/x.json.gz", Body=b"{}")
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rw-trail")["Contents"]]
            check(keys == ["AWSLogs/1/CloudTrail/x.json.gz"], keys)
            ident = moto.boto3_client("sts").get_caller_identity()
            check(ident["Account"].isdigit(), ident)
            # through a FaultServer that throttles first: botocore retries, the object arrives
            with FaultServer([("slowdown",)], default=("proxy", moto.url)) as fs:
                import boto3
                import botocore.config
                c = boto3.session.Session().client(
                    "s3", region_name="us-east-1", endpoint_url=fs.url, aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                    config=botocore.config.Config(proxies={}, retries={"mode": "standard", "max_attempts": 3}))
                body = c.get_object(Bucket="rw-trail", Key="AWSLogs/1/CloudTrail/x.json.gz")["Body"].read()
                check(body == b"{}" and len(fs.requests) == 2, "proxy to moto with a retry")
            moto.reset()
            check(not s3.list_buckets()["Buckets"], "reset")
        check(moto.proc is None, "moto stopped")
        print("MotoServer OK")
    else:
        print("MotoServer skipped: " + (MotoServer.why_unavailable() or "boto3 absent"))
    print("OK")


if __name__ == "__main__":
    _self_check()

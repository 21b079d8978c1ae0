"""What the integration tests of `rootwatch watch` (test_watch_*.py) share (a library; it holds no
test itself). It is found beside them: each test file puts its own folder first on sys.path.

Watch(args, workdir, env=None, name="watch")
    `rootwatch watch ARGS` in the background, its stdout and stderr in workdir/NAME.out and .err
    (a long run fills no pipe).
      .proc        the subprocess.Popen; .rc the exit status once stop() has it
      .stdout(), .stderr(), .alerts() (stdout as NDJSON), .alerted_ids()
      .log_port(pattern, timeout, step=0.1)
                   the port (group 1 of pattern) once the log names it; None if the process ends
                   or timeout s pass first
      .wait(test, timeout, what)
                   test() until it is true (returned), failing when the process ends meanwhile or
                   after timeout s (times SLOW); .wait_alerted(event_id, timeout)
      .get(path, method="GET"), .metrics(), .metric(name, **labels)
                   /healthz and /metrics of --metrics (at .metrics_port)
      .units_read()  the count of the last log line, "stopped: N units read"
      .send_signal(sig), .stop(sig=SIGTERM, timeout=60) (its exit status, failing on a sanitizer
                   report), .kill() (for a tearDown)
Service(args, workdir, env=None)
    A Watch of `rootwatch watch -j 2 ARGS`, ARGS holding --metrics 127.0.0.1:0, once it serves
    /metrics.

WatchCase, DirWatchCase, SqsWatchCase
    unittest.TestCase bases: a folder of the test's own (self.dir, named after PREFIX) holding
    the store (self.store), the processes it started (self.watches) killed at the end;
    config(sources, channels=None) writes a configuration, watch(config, *args, env=None,
    name="watch") starts a Watch of it, service(args) a Service. DirWatchCase adds a watched folder
    (self.folder) and drop(); SqsWatchCase a moto_server for the class (self.moto, self.sqs,
    self.s3, self.env), its queues and put_noted() (a trail file and its S3 notification).

eb(rec), store_ids(path), wait_until(pred, timeout), utc(t), sqs_source(name, url, **opts),
queue_left(sqs, url), recording_hook(), parse_prometheus(text), value(samples, name, **labels),
needs_moto(what), try_mount(path, size), fill(path) (a file system full), need_tmpfs()
"""
import gzip
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import awsfake
import rwtest

SLOW = 3 if rwtest.SANITIZED else 1  # the sanitized build is slower: waits are longer
METRICS_RE = r"metrics: serving http://127\.0\.0\.1:(\d+)/metrics"
STDOUT_CHANNEL = "  - name: out\n    type: stdout\n"


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def eb(rec, detail_type="AWS API Call via CloudTrail"):
    """A CloudTrail record as EventBridge delivers it to a rule's target (and SNS carries it in
    its Message)."""
    return json.dumps({"version": "0", "id": "eb-" + rec["eventID"], "detail-type": detail_type,
                       "source": "aws." + rec["eventSource"].split(".")[0],
                       "account": rec["recipientAccountId"], "time": rec["eventTime"],
                       "region": rec["awsRegion"], "resources": [], "detail": rec})


def store_ids(path):
    """The eventIDs in a store, with how many times each is there (the schema says once); none
    while there is no store."""
    if not os.path.exists(path):
        return []
    db = sqlite3.connect(path, timeout=30)
    try:
        return [r[0] for r in db.execute("SELECT event_id FROM alerts")]
    finally:
        db.close()


def wait_until(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def write_config(path, store, sources, channels=None):
    """A configuration: the store, channels (the stdout one by default), sources (YAML text)."""
    with open(path, "w") as f:
        f.write("store: %s\nchannels:\n%ssources:\n%s" % (store, channels or STDOUT_CHANNEL, sources))
    return path


def sqs_source(name, url, **opts):
    """An sqs source's YAML; wait_seconds 1 unless opts say otherwise."""
    opts.setdefault("wait_seconds", 1)
    text = "  - name: %s\n    type: sqs\n    queue_url: %s\n" % (name, url)
    for k, v in opts.items():
        text += "    %s: %s\n" % (k, v)
    return text


def queue_left(sqs, url):
    """The messages of a queue, visible or not."""
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def recording_hook():
    """A webhook receiver's handler (for awsfake.HttpServer) that answers 200 and records the
    x-rootwatch-event-id of every request: (handler, the IDs, the lock that guards them)."""
    lock = threading.Lock()
    got = []

    def hook(req):
        with lock:
            got.append(req.header("x-rootwatch-event-id"))
        return 200, {}, b""

    return hook, got, lock


def parse_prometheus(text):
    """{(name, frozenset(labels)): value} from Prometheus text format 0.0.4; fails on a bad line."""
    samples = {}
    types = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = line_re.match(line)
        if not m:
            raise AssertionError("not a Prometheus sample line: %r" % line)
        labels = {}
        if m.group(3):
            rest = m.group(3)
            pos = 0
            while pos < len(rest):
                lm = label_re.match(rest, pos)
                if not lm:
                    raise AssertionError("bad labels in %r" % line)
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        v = m.group(4)
        samples[(m.group(1), frozenset(labels.items()))] = float(v.replace("+Inf", "inf"))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def needs_moto(what="the queues"):
    """Skips a test (or a class of them) where moto_server or boto3 is missing."""
    def decorate(test):
        test = unittest.skipUnless(awsfake.boto3_available(),
                                   "boto3 is not installed: %s cannot be set up" % what)(test)
        return unittest.skipUnless(awsfake.MotoServer.available(),
                                   "moto_server is not installed: %s" % awsfake.MotoServer.why_unavailable())(test)
    return decorate


def try_mount(path, size):
    """Mounts a tmpfs of size at path; None when it worked, else why not."""
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path],
                       capture_output=True, text=True)
    return None if p.returncode == 0 else (p.stderr.strip() or "mount exited %d" % p.returncode)


def fill(path):
    """Writes zeros to path until the file system is full."""
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass


def need_tmpfs():
    """Raises SkipTest, saying why, unless a tmpfs can be mounted here (to be filled up: a real
    full disk needs root or CAP_SYS_ADMIN)."""
    probe = tempfile.mkdtemp(prefix="rw-watch-mount-")
    why = try_mount(probe, "1m")
    if why is None:
        subprocess.run(["umount", probe], check=True)
    os.rmdir(probe)
    if why is not None:
        raise unittest.SkipTest("cannot mount a tmpfs to fill up (needs root or CAP_SYS_ADMIN; "
                                "a container without it): " + why)


class Watch:
    """rootwatch watch in the background; its output in files (a long run fills no pipe)."""

    def __init__(self, args, workdir, env=None, name="watch"):
        self.out_path = os.path.join(workdir, name + ".out")
        self.err_path = os.path.join(workdir, name + ".err")
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([rwtest.ROOTWATCH, "watch"] + list(args), env=env,
                                     stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        self.rc = None
        self.metrics_port = None

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alerts(self):
        return rwtest.ndjson(self.stdout())

    def alerted_ids(self):
        return [a["eventID"] for a in self.alerts()]

    def log_port(self, pattern, timeout, step=0.1):
        end = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.stderr())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None or time.monotonic() >= end:
                return None
            time.sleep(step)

    def wait(self, test, timeout, what):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("rootwatch watch ended (%s) while waiting for %s:\n%s"
                                     % (self.proc.returncode, what, self.stderr()[-4000:]))
            last = test()
            if last:
                return last
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s; stdout:\n%s\nstderr:\n%s"
                             % (what, self.stdout()[-3000:], self.stderr()[-4000:]))

    def wait_alerted(self, event_id, timeout):
        self.wait(lambda: event_id in self.alerted_ids(), timeout, "the alert of " + event_id)

    def get(self, path, method="GET"):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.metrics_port, path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def metrics(self):
        """/metrics, parsed: (samples, types) as parse_prometheus gives them."""
        status, body, headers = self.get("/metrics")
        assert status == 200, (status, body)
        assert headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"), headers
        return parse_prometheus(body)

    def metric(self, name, **labels):
        """The sum of the samples of name whose labels include these."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.metrics()[0].items() if n == name and want <= set(ls))

    def units_read(self):
        m = re.search(r"stopped: (\d+) units read", self.stderr())
        if not m:
            raise AssertionError("no summary line:\n" + self.stderr()[-3000:])
        return int(m.group(1))

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("rootwatch watch did not stop within %d s after %s:\n%s"
                                 % (timeout, sig, self.stderr()[-3000:]))
        self.out.close()
        self.err.close()
        err = self.stderr()
        for mark in rwtest.SANITIZER_MARKS:
            if mark in err:
                raise AssertionError("sanitizer report:\n" + err[-4000:])
        return self.rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()


class Service(Watch):
    """rootwatch watch -j 2 ARGS, ARGS holding --metrics 127.0.0.1:0: started once it serves
    /metrics (at .metrics_port)."""

    def __init__(self, args, workdir, env=None, name="watch"):
        super().__init__(["-j", "2"] + list(args), workdir, env, name)
        self.metrics_port = self.log_port(METRICS_RE, 10 * SLOW, step=0.05)
        if self.metrics_port is None:
            self.proc.kill()
            raise AssertionError("no metrics address in the log:\n" + self.stderr())


class WatchCase(unittest.TestCase):
    """A folder of the test's own (self.dir) holding the store (self.store); the rootwatch watch
    processes started through it (self.watches) are killed at the end if still running."""

    PREFIX = "rw-watch-"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=self.PREFIX)
        self.store = os.path.join(self.dir, "store.db")
        self.watches = []

    def tearDown(self):
        for w in self.watches:
            w.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, sources, channels=None, name="rootwatch.yaml"):
        return write_config(os.path.join(self.dir, name), self.store, sources, channels)

    def watch(self, config, *args, env=None, name="watch"):
        """rootwatch watch --config CONFIG ARGS."""
        w = Watch(["--config", config] + list(args), self.dir, env, name)
        self.watches.append(w)
        return w

    def service(self, args):
        """rootwatch watch -j 2 ARGS with /metrics (Service), in this environment."""
        s = Service(args, self.dir)
        self.watches.append(s)
        return s


class DirWatchCase(WatchCase):
    """A WatchCase with a folder for the dir source (self.folder) and drop() to write to it."""

    def setUp(self):
        super().setUp()
        self.folder = os.path.join(self.dir, "exports")
        os.mkdir(self.folder)

    def drop(self, name, records):
        """Writes a trail file as an exporter would: to a dot-file, then renamed into place."""
        tmp = os.path.join(self.folder, "." + name)
        with open(tmp, "wb") as f:
            f.write(gzip.compress(rwtest.trail_bytes(records)))
        os.rename(tmp, os.path.join(self.folder, name))


class SqsWatchCase(WatchCase):
    """A WatchCase with moto_server started once for the class: self.moto, its SQS and S3 clients
    (self.sqs, self.s3) and the environment that points rootwatch at it (self.env, the one
    watch() uses unless told otherwise). Subclasses carry needs_moto()."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto = awsfake.MotoServer().start()
        cls.sqs = cls.moto.boto3_client("sqs")
        cls.s3 = cls.moto.boto3_client("s3")
        cls.env = awsfake.clean_aws_env(cls.moto.env("us-east-1"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        super().tearDownClass()

    sqs_source = staticmethod(sqs_source)

    def watch(self, config, *args, env=None, name="watch"):
        return super().watch(config, *args, env=env or self.env, name=name)

    def queue(self, name, **attrs):
        """A queue (VisibilityTimeout 5 unless attrs say otherwise): (its URL, its ARN)."""
        attrs.setdefault("VisibilityTimeout", "5")
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def send(self, url, bodies):
        for i in range(0, len(bodies), 10):
            entries = [{"Id": str(k), "MessageBody": b} for k, b in enumerate(bodies[i:i + 10])]
            r = self.sqs.send_message_batch(QueueUrl=url, Entries=entries)
            self.assertFalse(r.get("Failed"), r.get("Failed"))

    def left(self, url):
        return queue_left(self.sqs, url)

    def put_noted(self, url, bucket, name, records):
        """A trail file NAME.json.gz of records in a new bucket, and the S3 notification of it on
        the queue at url: the file's key."""
        self.s3.create_bucket(Bucket=bucket)
        key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/%s.json.gz" % name
        self.s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(rwtest.trail_bytes(records)))
        note = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                             "eventName": "ObjectCreated:Put",
                             "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 300}}}]}
        self.send(url, [json.dumps(note)])
        return key

#!/usr/bin/env python3
"""The benchmark of rootwatch watch's SQS path (issue 13, "Scale, proven"): `rootwatch watch --sqs
QUEUE_URL --config FILE` against moto's SQS on loopback (moto_server), beside a plain boto3
consumer doing the same work on the same machine (bench/watch_py_consumer.py). The alerts of both
go to a webhook receiver written here (loopback, kept-alive, TCP_NODELAY) that records the arrival
time of each eventID.

Events are ctgen's (tools/ctgen.py): realistic CloudTrail records of several accounts and regions,
the root ones and the traps (records that look like root activity without being it) from its
ground truth, each sent as EventBridge delivers it to a rule's target (ctgen.envelope), with a
fresh eventID per message so that nothing is deduplicated away.

  speed   throughput: the consumer started and idle, then N messages fed (SendMessageBatch) so
          that the queue stays about DEPTH visible messages deep (Feeder: stock moto cannot serve
          a deep queue), the time until the queue is empty and every root alert has arrived at the
          receiver; events per second = N / time. RUNS runs of each consumer, interleaved, and of
          a bare boto3 loop (receive and delete only: the floor every consumer stands on), peak
          resident memory of each consumer (VmHWM), the CPU time of the consumer and of
          moto_server. Latency: the consumer idle on its long poll, RATE events per second
          sent for SECONDS seconds (SendMessage each), the time from SendMessage's return (the
          event is in the queue) to the alert's arrival at the receiver, per root event.
  soak    rootwatch watch for SOAK_MINUTES with SOAK_RATE events per second, its resident size
          (VmRSS) sampled every 30 s: at the start (after a warm-up minute), at the end, the max;
          every root alert must have arrived exactly once and nothing else.

Results go to bench/.data/watch-speed.json and watch-soak.json; the "watch" section of
docs/benchmarks.md is written from both (a part not run this time is taken from its file, with
its own date and commit).

Usage: watch_bench.py BUILD_DIR
  env: PARTS="speed soak" N=3000 RUNS=3 ROOT_EVERY=50 DEPTH=30 RATE=50 SECONDS=30 LAT_ROOT_EVERY=5
       SOAK_MINUTES=30 SOAK_RATE=20 SOAK_ROOT_EVERY=20 NOTE=...
"""
import glob
import gzip
import http.server
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "tools"))
sys.path.insert(0, HERE)
import awsfake  # noqa: E402
import ctgen  # noqa: E402
from bench.docsection import write_section  # noqa: E402

DATA = os.path.join(HERE, "bench", ".data")
REGION = "us-east-1"
PYCONSUMER = os.path.join(HERE, "bench", "watch_py_consumer.py")


def log(msg):
    sys.stderr.write("watch_bench: %s\n" % msg)
    sys.stderr.flush()


def env_int(name, default):
    return int(os.environ.get(name, default))


# ---- events ----

class Events:
    """ctgen's records, split into root ones (its truth) and the rest (ordinary ones and traps);
    make() hands out EventBridge bodies with fresh eventIDs."""

    def __init__(self, tmp):
        out = os.path.join(tmp, "ctgen")
        subprocess.run([sys.executable, os.path.join(HERE, "tools", "ctgen.py"), out, "--mb", "12",
                        "--seed", "13", "--root-per-mb", "10", "--traps-per-mb", "8"], check=True,
                       stdout=subprocess.DEVNULL)
        truth = {json.loads(l)["eventID"] for l in open(os.path.join(out, "truth.jsonl")) if l.strip()}
        self.root, self.other = [], []
        for path in sorted(glob.glob(os.path.join(out, "AWSLogs", "**", "*.json.gz"), recursive=True)):
            if "CloudTrail-Digest" in path:
                continue
            for rec in json.loads(gzip.decompress(open(path, "rb").read()))["Records"]:
                rec.pop("__trap", None)
                (self.root if rec["eventID"] in truth else self.other).append(rec)
        self.ntraps = sum(1 for l in open(os.path.join(out, "traps.jsonl")) if l.strip())
        self.i = 0
        shutil.rmtree(out, ignore_errors=True)
        if not self.root or not self.other:
            raise SystemExit("watch_bench: ctgen gave no root or no ordinary records")

    def make(self, root):
        """(eventID, body)"""
        self.i += 1
        pool = self.root if root else self.other
        rec = dict(pool[self.i % len(pool)])
        eid = str(uuid.uuid4())
        rec["eventID"] = eid
        return eid, json.dumps(ctgen.envelope(rec), separators=(",", ":"))


# ---- the webhook receiver ----

class Receiver:
    """HTTP/1.1 on loopback: every POST's eventID (X-Rootwatch-Event-Id, else the body's) and the
    time.time() of its arrival."""

    def __init__(self):
        rcv = self
        self.lock = threading.Condition()
        self.arrivals = {}  # eventID -> [time, ...]
        self.posts = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                eid = self.headers.get("X-Rootwatch-Event-Id")
                if not eid:
                    try:
                        a = json.loads(body)
                        eid = a.get("eventID") or (a.get("alert") or {}).get("eventID")
                    except ValueError:
                        eid = None
                with rcv.lock:
                    rcv.posts += 1
                    rcv.arrivals.setdefault(eid, []).append(now)
                    rcv.lock.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/alerts" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self):
        with self.lock:
            self.arrivals = {}
            self.posts = 0

    def have_all(self, ids):
        with self.lock:
            return all(i in self.arrivals for i in ids)

    def wait_all(self, ids, timeout):
        end = time.monotonic() + timeout
        with self.lock:
            while not all(i in self.arrivals for i in ids):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 1))
        return True

    def check(self, ids):
        """(missing, duplicated, unexpected) against the root eventIDs sent."""
        with self.lock:
            arr = dict(self.arrivals)
        ids = set(ids)
        return ([i for i in ids if i not in arr], [i for i, t in arr.items() if len(t) > 1],
                [i for i in arr if i not in ids])

    def first(self, eid):
        with self.lock:
            return self.arrivals[eid][0]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---- processes ----

def cpu_seconds(pid):
    """utime + stime of a process (its threads included), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


class Consumer:
    """One consumer process: rootwatch watch --sqs URL --config FILE, or the boto3 one (kind
    "python", "floor", "floor-batch")."""

    def __init__(self, kind, build, moto, qurl, receiver, tmp, batch=False):
        self.kind = kind
        self.dir = tempfile.mkdtemp(dir=tmp, prefix=kind + "-")
        self.err_path = os.path.join(self.dir, "stderr")
        self.err = open(self.err_path, "wb")
        env = awsfake.clean_aws_env(moto.env(REGION))
        if kind == "rootwatch":
            self.store = os.path.join(self.dir, "store", "rootwatch.db")
            cfg = os.path.join(self.dir, "rootwatch.yaml")
            with open(cfg, "w") as f:
                f.write("store: %s\nchannels:\n  - name: hook\n    type: webhook\n    url: %s\n"
                        % (self.store, receiver.url))
            argv = [os.path.join(build, "rootwatch"), "watch", "--sqs", qurl, "--config", cfg]
        else:
            self.store = os.path.join(self.dir, "alerts.db")
            argv = [sys.executable, PYCONSUMER, "--endpoint", moto.url, "--queue-url", qurl]
            argv += {"python": ["--db", self.store, "--webhook", receiver.url], "floor": ["--floor"],
                     "floor-batch": ["--floor-batch"]}[kind]
            if batch and kind == "python":
                argv.append("--delete-batch")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=self.err,
                                  stdin=subprocess.DEVNULL)

    def rss(self):
        return status_kib(self.p.pid, "VmRSS")

    def hwm(self):
        return status_kib(self.p.pid, "VmHWM")

    def stop(self, wake=None):
        """SIGTERM; wake() (one ordinary message sent) ends the long poll in progress, which both
        consumers finish before they look at the stop."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            if wake:
                time.sleep(0.2)
                wake()
        try:
            rc = self.p.wait(60)  # a stop is seen between two long polls: up to 20 s
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        self.err.close()
        return rc

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def new_queue(sqs, name):
    return sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]


def left(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                "ApproximateNumberOfMessagesNotVisible"])
    a = a["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# ---- speed: throughput and latency ----

def rootwatch_batches_deletes(build):
    """Whether the rootwatch measured deletes with DeleteMessageBatch (the boto3 consumer mirrors it)."""
    with open(os.path.join(build, "rootwatch"), "rb") as f:
        return b"DeleteMessageBatch" in f.read()


class Feeder:
    """Keeps the queue DEPTH messages deep (visible ones) until every body is sent: stock moto's
    ReceiveMessage costs time in proportion to the depth of the queue for every message it returns
    (moto 5.2's retention check computes every queue attribute, ApproximateNumberOfMessages among
    them, once per message), so a preloaded queue of thousands measures that and nothing else."""

    def __init__(self, moto, url, bodies, depth):
        self.sqs = moto.boto3_client("sqs", REGION)
        self.url, self.bodies, self.depth = url, bodies, depth
        self.sent = 0
        self.polls = 0
        self.done = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def fill(self, want):
        while want > 0 and self.sent < len(self.bodies):
            part = self.bodies[self.sent:self.sent + min(10, want)]
            r = self.sqs.send_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(k), "MessageBody": b} for k, b in enumerate(part)])
            if r.get("Failed"):
                raise RuntimeError("SendMessageBatch failed: %s" % r["Failed"][:2])
            self.sent += len(part)
            want -= len(part)

    def run(self):
        try:
            while self.sent < len(self.bodies):
                a = self.sqs.get_queue_attributes(QueueUrl=self.url,
                                                  AttributeNames=["ApproximateNumberOfMessages"])
                self.polls += 1
                have = int(a["Attributes"]["ApproximateNumberOfMessages"])
                if have < self.depth:
                    self.fill(self.depth - have)
                else:
                    time.sleep(0.01)
        except Exception as e:  # noqa: BLE001 - said by the run
            self.error = e
        self.done.set()


def throughput_run(kind, build, moto, sqs, receiver, events, n, root_every, depth, batch, tmp):
    url = new_queue(sqs, "tp-%s-%s" % (kind, uuid.uuid4().hex[:8]))
    roots, bodies = [], []
    for i in range(n):
        root = kind not in ("floor", "floor-batch") and i % root_every == root_every // 2
        eid, body = events.make(root)
        bodies.append(body)
        if root:
            roots.append(eid)
    feeder = Feeder(moto, url, bodies, depth)
    receiver.reset()
    c = Consumer(kind, build, moto, url, receiver, tmp, batch)
    time.sleep(3)  # started (boto3 imported, the store open) and waiting on its long poll
    cpu0, moto0 = cpu_seconds(c.p.pid), cpu_seconds(moto.proc.pid)
    t0 = time.monotonic()
    feeder.fill(depth)
    feeder.thread.start()
    hwm = 0
    while True:
        time.sleep(0.1)
        if c.p.poll() is not None:
            raise SystemExit("watch_bench: %s exited (%s):\n%s" % (kind, c.p.returncode, c.stderr()[-3000:]))
        if feeder.error:
            raise SystemExit("watch_bench: %s: the feeder failed: %s" % (kind, feeder.error))
        hwm = max(hwm, c.hwm() or 0)
        if feeder.done.is_set() and receiver.have_all(roots) and left(sqs, url) == 0:
            break
        if time.monotonic() - t0 > 900:
            raise SystemExit("watch_bench: %s did not empty the queue in 15 minutes (%d left)\n%s"
                             % (kind, left(sqs, url), c.stderr()[-3000:]))
    took = time.monotonic() - t0
    cpu, moto_cpu = cpu_seconds(c.p.pid) - cpu0, cpu_seconds(moto.proc.pid) - moto0
    hwm = max(hwm, c.hwm() or 0)
    time.sleep(0.5)  # a duplicate delivery would arrive by now
    rc = c.stop(wake=lambda: sqs.send_message(QueueUrl=url, MessageBody=events.make(False)[1]))
    missing, dup, extra = receiver.check(roots)
    if rc != 0 or missing or dup or extra:
        raise SystemExit("watch_bench: %s: exit %s, %d root alerts missing, %d twice, %d unexpected\n%s"
                         % (kind, rc, len(missing), len(dup), len(extra), c.stderr()[-3000:]))
    recv = {}
    for line in c.stderr().splitlines():
        if line.startswith("watch_py_consumer: {"):
            recv = json.loads(line.split(": ", 1)[1])
    sqs.delete_queue(QueueUrl=url)
    return {"kind": kind, "n": n, "roots": len(roots), "seconds": took, "per_second": n / took,
            "receive_ms_p50": recv.get("receive_ms_p50"), "messages_per_receive": recv.get("messages_per_receive"),
            "hwm_kib": hwm, "depth": depth, "feeder_polls": feeder.polls, "cpu_seconds": cpu,
            "moto_cpu_seconds": moto_cpu}


def latency_run(kind, build, moto, sqs, receiver, events, rate, seconds, root_every, batch, tmp):
    url = new_queue(sqs, "lat-%s-%s" % (kind, uuid.uuid4().hex[:8]))
    receiver.reset()
    c = Consumer(kind, build, moto, url, receiver, tmp, batch)
    time.sleep(3)  # started and waiting on its long poll
    sent = {}
    called = {}
    call_ms = []
    total = rate * seconds
    plan = [events.make(i % root_every == 0) + (i % root_every == 0,) for i in range(total)]
    t0 = time.monotonic()
    late = 0
    for i, (eid, body, root) in enumerate(plan):
        due = t0 + i / rate
        d = due - time.monotonic()
        if d > 0:
            time.sleep(d)
        elif d < -0.05:
            late += 1
        a = time.time()
        sqs.send_message(QueueUrl=url, MessageBody=body)
        b = time.time()
        call_ms.append((b - a) * 1000)
        if root:
            sent[eid] = b
            called[eid] = a
    send_s = time.monotonic() - t0
    ok = receiver.wait_all(list(sent), 120)
    end = time.monotonic() + 60
    while left(sqs, url) and time.monotonic() < end:
        time.sleep(0.25)
    time.sleep(0.5)
    hwm = c.hwm() or 0
    rc = c.stop(wake=lambda: sqs.send_message(QueueUrl=url, MessageBody=events.make(False)[1]))
    missing, dup, extra = receiver.check(list(sent))
    if not ok or rc != 0 or missing or dup or extra:
        raise SystemExit("watch_bench: latency %s: exit %s, %d root alerts missing, %d twice, %d unexpected\n%s"
                         % (kind, rc, len(missing), len(dup), len(extra), c.stderr()[-3000:]))
    lat = [(receiver.first(e) - t) * 1000 for e, t in sent.items()]
    lat_call = [(receiver.first(e) - t) * 1000 for e, t in called.items()]
    sqs.delete_queue(QueueUrl=url)
    return {"kind": kind, "rate": rate, "seconds": seconds, "sent": total, "roots": len(sent),
            "send_seconds": send_s, "late_sends": late, "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99),
            "max_ms": max(lat), "send_call_ms_p50": pct(call_ms, 0.5), "latencies_ms": lat,
            "latencies_from_call_ms": lat_call,
            "hwm_kib": hwm}


def speed(build, tmp):
    n = env_int("N", 3000)
    runs = env_int("RUNS", 3)
    root_every = env_int("ROOT_EVERY", 50)
    depth = env_int("DEPTH", 30)
    batch = rootwatch_batches_deletes(build)
    rate = env_int("RATE", 50)
    seconds = env_int("SECONDS", 30)
    lat_root_every = env_int("LAT_ROOT_EVERY", 5)
    started = time.gmtime()
    load_before = os.getloadavg()
    commit = git_commit()
    events = Events(tmp)
    rows = []
    with awsfake.MotoServer() as moto:
        sqs = moto.boto3_client("sqs", REGION)
        receiver = Receiver()
        try:
            for r in range(runs):  # interleaved, so that each sees the same machine
                for kind in ("rootwatch", "python", "floor", "floor-batch"):
                    log("throughput, %s, run %d of %d (%d events)" % (kind, r + 1, runs, n))
                    row = throughput_run(kind, build, moto, sqs, receiver, events, n, root_every, depth,
                                         batch, tmp)
                    log("  %.0f events/s, %.1f s, peak RSS %.1f MB" % (row["per_second"], row["seconds"],
                                                                       row["hwm_kib"] / 1024))
                    rows.append(dict(row, run=r, part="throughput"))
            for r in range(runs):
                for kind in ("rootwatch", "python"):
                    log("latency, %s, run %d of %d (%d/s for %d s)" % (kind, r + 1, runs, rate, seconds))
                    row = latency_run(kind, build, moto, sqs, receiver, events, rate, seconds,
                                      lat_root_every, batch, tmp)
                    log("  p50 %.1f ms, p99 %.1f ms over %d root events" % (row["p50_ms"], row["p99_ms"],
                                                                           row["roots"]))
                    rows.append(dict(row, run=r, part="latency"))
        finally:
            receiver.stop()
    import moto as motomod
    res = {"date": time.strftime("%Y-%m-%d %H:%M UTC", started), "commit": commit,
           "load_before": load_before[0], "load_after": os.getloadavg()[0],
           "settings": {"N": n, "RUNS": runs, "ROOT_EVERY": root_every, "DEPTH": depth, "RATE": rate,
                        "SECONDS": seconds, "LAT_ROOT_EVERY": lat_root_every},
           "delete_batch": batch, "build": os.path.realpath(build), "built_from": built_from(build),
           "binary_time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(
               os.path.join(build, "rootwatch")))),
           "moto": motomod.__version__, "pool": {"root": len(events.root), "other": len(events.other),
                                                 "traps": events.ntraps},
           "rows": rows}
    return res


# ---- soak ----

def soak(build, tmp):
    minutes = float(os.environ.get("SOAK_MINUTES", "30"))
    rate = env_int("SOAK_RATE", 20)
    root_every = env_int("SOAK_ROOT_EVERY", 20)
    started = time.gmtime()
    load_before = os.getloadavg()
    commit = git_commit()
    events = Events(tmp)
    with awsfake.MotoServer() as moto:
        sqs = moto.boto3_client("sqs", REGION)
        receiver = Receiver()
        url = new_queue(sqs, "soak")
        c = Consumer("rootwatch", build, moto, url, receiver, tmp)
        time.sleep(2)
        samples = []  # (seconds since the start, VmRSS KiB, VmHWM KiB, moto's VmRSS KiB)
        stop = threading.Event()

        def sampler():
            t0 = time.monotonic()
            while True:
                try:
                    samples.append((time.monotonic() - t0, c.rss(), c.hwm(), status_kib(moto.proc.pid, "VmRSS")))
                except OSError:
                    return
                if stop.wait(30):
                    samples.append((time.monotonic() - t0, c.rss(), c.hwm(), status_kib(moto.proc.pid, "VmRSS")))
                    return
        th = threading.Thread(target=sampler, daemon=True)
        th.start()
        sent = {}
        total = int(rate * minutes * 60)
        t0 = time.monotonic()
        late = 0
        for i in range(total):
            root = i % root_every == 0
            eid, body = events.make(root)
            d = t0 + i / rate - time.monotonic()
            if d > 0:
                time.sleep(d)
            elif d < -0.5:
                late += 1
            for attempt in range(5):
                try:
                    sqs.send_message(QueueUrl=url, MessageBody=body)
                    break
                except Exception as e:  # noqa: BLE001 - a loaded moto may drop one; say so
                    log("soak: SendMessage failed (%s), again" % e)
                    time.sleep(0.5)
            else:
                raise SystemExit("watch_bench: soak: SendMessage keeps failing")
            if root:
                sent[eid] = time.time()
            if i and i % (rate * 300) == 0:
                log("soak: %d of %d events sent, RSS %.1f MB" % (i, total, (c.rss() or 0) / 1024))
            if c.p.poll() is not None:
                raise SystemExit("watch_bench: soak: rootwatch exited (%s)\n%s" % (c.p.returncode, c.stderr()[-3000:]))
        ok = receiver.wait_all(list(sent), 120)
        end = time.monotonic() + 60
        while left(sqs, url) and time.monotonic() < end:
            time.sleep(0.5)
        queue_left = left(sqs, url)
        time.sleep(1)
        stop.set()
        th.join()
        rc = c.stop(wake=lambda: sqs.send_message(QueueUrl=url, MessageBody=events.make(False)[1]))
        missing, dup, extra = receiver.check(list(sent))
        lat = [(receiver.first(e) - t) * 1000 for e, t in sent.items() if e in receiver.arrivals]
        store_bytes = sum(os.path.getsize(p) for p in glob.glob(c.store + "*"))
        errors = [l for l in c.stderr().splitlines() if " error: " in l or " warning: " in l]
        receiver.stop()
    res = {"date": time.strftime("%Y-%m-%d %H:%M UTC", started), "commit": commit,
           "load_before": load_before[0], "load_after": os.getloadavg()[0],
           "settings": {"SOAK_MINUTES": minutes, "SOAK_RATE": rate, "SOAK_ROOT_EVERY": root_every},
           "build": os.path.realpath(build), "delete_batch": rootwatch_batches_deletes(build),
           "built_from": built_from(build),
           "binary_time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(
               os.path.join(build, "rootwatch")))),
           "sent": total, "roots": len(sent), "late_sends": late, "missing": len(missing),
           "duplicated": len(dup), "unexpected": len(extra), "queue_left": queue_left, "exit": rc,
           "all_arrived": ok, "samples": samples, "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99),
           "max_ms": max(lat) if lat else None, "store_bytes": store_bytes,
           "log_problems": errors[:20], "nlog_problems": len(errors)}
    if not ok or missing or dup or extra or rc != 0:
        log("soak: FAILED: %s" % {k: res[k] for k in ("missing", "duplicated", "unexpected", "exit",
                                                          "queue_left")})
    return res


# ---- the report ----

def built_from(build):
    """The source folder of a build when it is not this checkout (a `git archive` of a commit,
    say), else None."""
    try:
        for line in open(os.path.join(build, "CMakeCache.txt")):
            if line.startswith("CMAKE_HOME_DIRECTORY:"):
                src = line.split("=", 1)[1].strip()
                return None if os.path.realpath(src) == os.path.realpath(HERE) else src
    except OSError:
        pass
    return None


def git_commit():
    return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def cpu_name():
    try:
        return [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except Exception:  # noqa: BLE001
        return "unknown"


def origin(r):
    """What was measured: this checkout's commit, or the folder the build was made from."""
    if r.get("built_from"):
        return "rootwatch built %s from %s; the checkout at %s" % (r.get("binary_time", "?"), r["built_from"],
                                                                   r["commit"])
    return "commit %s, rootwatch built %s" % (r["commit"], r.get("binary_time", "?"))


def mb(kib):
    return kib / 1024


def speed_text(s):
    rows = s["rows"]
    st = s["settings"]
    med = statistics.median

    def tp(kind, key="per_second"):
        return [r[key] for r in rows if r["part"] == "throughput" and r["kind"] == kind]

    def lt(kind, key):
        return [r[key] for r in rows if r["part"] == "latency" and r["kind"] == kind]

    def pooled(kind, key="latencies_ms"):
        return [x for r in rows if r["part"] == "latency" and r["kind"] == kind for x in r[key]]

    def cpu(kind):  # the share of the run's wall time the process was on a CPU, and moto's
        return (med([r["cpu_seconds"] / r["seconds"] for r in rows if r["part"] == "throughput" and r["kind"] == kind]),
                med([r["moto_cpu_seconds"] / r["seconds"] for r in rows if r["part"] == "throughput" and r["kind"] == kind]))

    rw, py, fl, fb = (med(tp(k)) for k in ("rootwatch", "python", "floor", "floor-batch"))
    rw_lat, py_lat = pooled("rootwatch"), pooled("python")
    rw_call, py_call = pooled("rootwatch", "latencies_from_call_ms"), pooled("python", "latencies_from_call_ms")
    roots = tp("rootwatch", "roots")[0]
    given = ["%s=%s" % (k, v) for k, v in st.items()]
    build = s.get("build", "")
    if build and build != os.path.realpath(os.path.join(HERE, "build")):
        given.insert(0, "BUILD=%s" % build)
    cmd = " ".join(given + ["PARTS=speed", "bench/watch_bench.sh"])
    runs = st["RUNS"]
    fmt = lambda v: ", ".join("%.0f" % x for x in v)  # noqa: E731
    dele = ("DeleteMessageBatch" if s.get("delete_batch") else "DeleteMessage, one call per message")
    same = "floor-batch" if s.get("delete_batch") else "floor"
    fs = med(tp(same))
    cols = {k: cpu(k) for k in ("rootwatch", "python", "floor", "floor-batch")}
    c = lambda k: "%.0f%% / %.0f%%" % (cols[k][0] * 100, cols[k][1] * 100)  # noqa: E731
    return f"""### Throughput and latency

`{cmd}` ({s['date']}, {origin(s)}; load average {s['load_before']:.1f} before, {s['load_after']:.1f} after).
Events: {s['pool']['root']} root records and {s['pool']['other']} others ({s['pool']['traps']} of them
traps: root-looking records that must not alert) from `tools/ctgen.py`, each sent with a fresh
eventID as EventBridge delivers CloudTrail events to a rule's target. Moto {s['moto']}. The rootwatch
measured deletes with {dele}, and the boto3 consumer does the same.

Throughput: {st['N']:,} messages a run, 1 in {st['ROOT_EVERY']} root ({roots} root alerts), the consumer
started first and idle on its long poll, then the messages fed so that the queue stays about
{st['DEPTH']} visible messages deep (SendMessageBatch, topped up every 10 ms), until the queue is empty
and every root alert has arrived; events per second = {st['N']:,} / that time. Not preloaded: stock moto's
ReceiveMessage spends time in proportion to the queue's depth for every message it hands out (its
retention check, `is_message_valid_based_on_retention_period`, computes every attribute of the queue,
ApproximateNumberOfMessages among them, once per message: seen with cProfile, 12 clock reads per
message in the queue per message returned). With 1,000 messages preloaded one receive of 10 took about
1 s and every consumer, the bare loop included, ran at about 11 events per second; 20,000 preloaded
would be some twenty times slower again, so a preloaded run measures moto and nothing else. CPU is the share of the run's wall time
the consumer, and moto_server, were on a CPU (2 cores: 100% is one core).

| {st['N']:,} messages, queue ~{st['DEPTH']} deep | events per second (median of {runs}) | runs | peak RSS (VmHWM, median) | CPU: consumer / moto |
|---|---|---|---|---|
| `rootwatch watch --sqs URL --config FILE` (webhook channel, store in a temp folder) | **{rw:,.0f}** | {fmt(tp('rootwatch'))} | {mb(med(tp('rootwatch', 'hwm_kib'))):.1f} MB | {c('rootwatch')} |
| boto3 consumer (bench/watch_py_consumer.py) | **{py:,.0f}** | {fmt(tp('python'))} | {mb(med(tp('python', 'hwm_kib'))):.1f} MB | {c('python')} |
| moto and a bare boto3 loop: receive (10), DeleteMessage each, nothing else | {fl:,.0f} | {fmt(tp('floor'))} | | {c('floor')} |
| moto and a bare boto3 loop: receive (10), one DeleteMessageBatch | {fb:,.0f} | {fmt(tp('floor-batch'))} | | {c('floor-batch')} |

rootwatch / boto3 consumer: **{rw / py:.2f}x**; rootwatch / the bare loop making the same calls: {rw / fs:.2f}x.

Latency: the consumer idle on its long poll, {st['RATE']} events per second sent for {st['SECONDS']} s (SendMessage
each, 1 in {st['LAT_ROOT_EVERY']} root), from SendMessage's return (the event is in the queue) to the
alert's arrival at the webhook receiver; in brackets, from the start of the SendMessage call.

| {st['RATE']} events/s | median | p99 | max | root events ({runs} runs pooled) |
|---|---|---|---|---|
| rootwatch watch | **{pct(rw_lat, 0.5):.1f} ms** ({pct(rw_call, 0.5):.1f}) | **{pct(rw_lat, 0.99):.1f} ms** ({pct(rw_call, 0.99):.1f}) | {max(rw_lat):.0f} ms | {len(rw_lat)} |
| boto3 consumer | {pct(py_lat, 0.5):.1f} ms ({pct(py_call, 0.5):.1f}) | {pct(py_lat, 0.99):.1f} ms ({pct(py_call, 0.99):.1f}) | {max(py_lat):.0f} ms | {len(py_lat)} |

Per-run medians, rootwatch: {", ".join("%.1f" % x for x in lt('rootwatch', 'p50_ms'))} ms (p99 {", ".join("%.1f" % x for x in lt('rootwatch', 'p99_ms'))});
boto3: {", ".join("%.1f" % x for x in lt('python', 'p50_ms'))} ms (p99 {", ".join("%.1f" % x for x in lt('python', 'p99_ms'))}).
A SendMessage call took {med(lt('rootwatch', 'send_call_ms_p50') + lt('python', 'send_call_ms_p50')):.1f} ms (median): moto wakes the waiting
long poll as it adds the message, so the consumer's work overlaps the end of the sender's call, and
the latency from its return is mostly the consumer's own (parse, store, the POST; rootwatch's from its
channel thread).
"""


def soak_text(k):
    st = k["settings"]
    smp = [x for x in k["samples"] if x[1]]
    warm = [x for x in smp if x[0] >= 60] or smp
    start, end = warm[0], smp[-1]
    mx = max(x[1] for x in smp)
    mx_after = max(x[1] for x in warm)
    given = ["%s=%s" % (a, (int(b) if float(b).is_integer() else b)) for a, b in st.items()]
    if k.get("build") and k["build"] != os.path.realpath(os.path.join(HERE, "build")):
        given.insert(0, "BUILD=%s" % k["build"])
    cmd = " ".join(given + ["PARTS=soak", "bench/watch_bench.sh"])
    verdict = ("every one of the {r} root alerts arrived exactly once, nothing else arrived, the queue "
               "was empty and rootwatch exited 0 on SIGTERM").format(r=k["roots"])
    if k["missing"] or k["duplicated"] or k["unexpected"] or k["exit"] != 0 or k["queue_left"]:
        verdict = ("NOT clean: {m} root alerts missing, {d} arrived more than once, {u} unexpected, "
                   "{q} messages left, exit {e}").format(m=k["missing"], d=k["duplicated"],
                                                        u=k["unexpected"], q=k["queue_left"], e=k["exit"])
    growth = (end[1] - start[1]) / 1024
    half = min(smp, key=lambda x: abs(x[0] - end[0] / 2))
    late_growth = (end[1] - half[1]) / 1024
    trace = ", ".join("%.1f" % mb(x[1]) for x in smp[::max(1, len(smp) // 12)])
    return f"""### Soak: memory over {st['SOAK_MINUTES']:g} minutes

`{cmd}` ({k['date']}, {origin(k)}; load average {k['load_before']:.1f} before, {k['load_after']:.1f} after).
One `rootwatch watch --sqs URL` for {st['SOAK_MINUTES']:g} minutes, {st['SOAK_RATE']} events a second
(SendMessage each; 1 in {st['SOAK_ROOT_EVERY']} root: {k['sent']:,} events, {k['roots']:,} root alerts), resident
size (VmRSS) sampled every 30 s.

| resident size | rootwatch |
|---|---|
| at the start (after the first minute) | **{mb(start[1]):.1f} MB** |
| at the end ({end[0] / 60:.0f} min) | **{mb(end[1]):.1f} MB** ({growth:+.2f} MB; {late_growth:+.2f} MB over the second half) |
| max after the first minute / overall | {mb(mx_after):.1f} MB / {mb(mx):.1f} MB |
| moto_server, start and end, for scale | {mb(start[3]):.0f} MB, {mb(end[3]):.0f} MB |

Samples (MB, every {max(1, len(smp) // 12) * 0.5:g} min): {trace}. Store at the end: {k['store_bytes'] / 1e6:.1f} MB
(SQLite and its WAL). The growth is in the first half and levels off: consistent with SQLite's page
cache (bounded, 2 MB by default) filling as the store grows; not looked into further. Alerts: {verdict}. Latency over the soak, SendMessage's return to arrival:
median {k['p50_ms']:.1f} ms, p99 {k['p99_ms']:.1f} ms, max {k['max_ms']:.0f} ms. Warnings and errors
in rootwatch's log: {k['nlog_problems']}.
"""


def write_doc(speed_res, soak_res, note):
    parts = []
    head = f"""## rootwatch watch: the SQS path against moto, beside a boto3 consumer

Written by `bench/watch_bench.sh` (bench/watch_bench.py; the boto3 consumer is
bench/watch_py_consumer.py). {cpu_name()}, {os.cpu_count()} cores, shared with other work: single
runs are noisy, so medians and ratios are the figures to read, not absolute rates{"; " + note if note else ""}.
Everything runs on loopback on one machine: moto_server (SQS), the consumer, a webhook receiver in
the benchmark (Python, kept-alive, recording each eventID's arrival time) and the sender.

The boto3 consumer does per message what rootwatch's sqs source does: long-poll ReceiveMessage (10
at a time, 20 s), parse the EventBridge event, the root test (userIdentity.type Root, no invokedBy,
eventType not AwsServiceEvent), for a root event an INSERT on a unique eventID in SQLite (WAL,
synchronous=NORMAL, as rootwatch's store) then the POST then the delivery state written, and
the delete once the alert is stored, as rootwatch deletes (DeleteMessage per message, or
DeleteMessageBatch when the rootwatch measured batches its deletes: said below). It does not do what rootwatch also does: S3 notifications and SNS
wrappers, poison messages, retries and an outbox that survives a crash, dedup across sources,
metrics and logs; it is single-threaded. rootwatch delivers from its outbox on a channel thread.
"""
    parts.append(head)
    if speed_res:
        parts.append(speed_text(speed_res))
    if soak_res:
        parts.append(soak_text(soak_res))
    if speed_res:
        parts.append(findings(speed_res))
    text = "\n".join(parts)
    write_section(text, "watch")
    return text


def findings(s):
    rows = s["rows"]
    med = statistics.median

    def col(kind, key):
        v = [r[key] for r in rows if r["part"] == "throughput" and r["kind"] == kind and r.get(key) is not None]
        return med(v) if v else None

    def share(kind, key):
        return med([r[key] / r["seconds"] for r in rows if r["part"] == "throughput" and r["kind"] == kind])

    rw, py = col("rootwatch", "per_second"), col("python", "per_second")
    same = "floor-batch" if s.get("delete_batch") else "floor"
    fs, fl, fb = col(same, "per_second"), col("floor", "per_second"), col("floor-batch", "per_second")
    rw_cpu, moto_cpu = share("rootwatch", "cpu_seconds"), share("rootwatch", "moto_cpu_seconds")
    py_cpu = share("python", "cpu_seconds")
    us_per_event = med([r["cpu_seconds"] / r["n"] * 1e6 for r in rows
                        if r["part"] == "throughput" and r["kind"] == "rootwatch"])
    py_us = med([r["cpu_seconds"] / r["n"] * 1e6 for r in rows
                 if r["part"] == "throughput" and r["kind"] == "python"])
    recv_ms, per_recv = col(same, "receive_ms_p50"), col(same, "messages_per_receive")
    out = ["### Reading it", ""]
    if rw_cpu < 0.25:
        out.append(
            f"The emulator is the bottleneck, not rootwatch. rootwatch was on a CPU {rw_cpu:.0%} of the time "
            f"it took to empty the queue ({us_per_event:.0f} us of CPU per event: receiving, parsing, the root "
            f"test, storing, posting, deleting), the boto3 consumer {py_cpu:.0%} ({py_us:.0f} us per event), "
            f"moto_server {moto_cpu:.0%} (one Python process, serving the consumer and the feeder: "
            + ("about all of the one core its interpreter lock lets it use"
               if moto_cpu >= 0.8 else
               "the two cores are shared with the feeder, the receiver and other people's work, so its "
               "answers wait for a CPU too, and it is short of a full core")
            + "). Each consumer spends the run waiting on moto: one "
            f"ReceiveMessage in flight at a time"
            + (f"; in the bare loop a receive took {recv_ms:.0f} ms (median) for {per_recv:.1f} messages, "
               f"{per_recv / recv_ms * 1000:,.0f} events per second for receiving alone"
               if recv_ms and per_recv else "")
            + ". Against SQS itself a receive is a round trip of some milliseconds to another machine: the "
              "same reasoning (messages per receive / its round trip) bounds one receive loop there, and "
              "rootwatch's CPU per event says that a process has room for many times this rate; more "
              "processes on the queue (competing consumers) add receive loops.")
    else:
        out.append(
            f"rootwatch was on a CPU {rw_cpu:.0%} of the run and moto_server {moto_cpu:.0%}: "
            f"{us_per_event:.0f} us of rootwatch's CPU per event (the boto3 consumer: {py_us:.0f} us, {py_cpu:.0%}).")
    out.append("")
    out.append(
        f"rootwatch is {rw / py:.2f} times as fast as the boto3 consumer and {rw / fs:.2f} times the bare "
        f"boto3 loop making the same calls. The bare loop is not moto alone but moto plus boto3's own cost "
        f"per call (signing, parsing, on the same two cores), which rootwatch's C client does not pay, and "
        f"rootwatch receives on one thread while others store, post and delete, so its calls overlap. "
        + (f"Batching deletes is worth it here: the bare loop makes {fb:,.0f} events per second with "
           f"DeleteMessageBatch against {fl:,.0f} with a DeleteMessage per message."
           if fl and fb else ""))
    out.append("")
    return "\n".join(out)


def main():
    build = sys.argv[1]
    parts = os.environ.get("PARTS", "speed soak").split()
    note = os.environ.get("NOTE", "")
    os.makedirs(DATA, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="rw-watch-bench-")
    speed_path, soak_path = os.path.join(DATA, "watch-speed.json"), os.path.join(DATA, "watch-soak.json")
    try:
        if "speed" in parts:
            res = speed(build, tmp)
            with open(speed_path, "w") as f:
                json.dump(res, f)
        if "soak" in parts:
            res = soak(build, tmp)
            with open(soak_path, "w") as f:
                json.dump(res, f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sp = json.load(open(speed_path)) if os.path.exists(speed_path) else None
    sk = json.load(open(soak_path)) if os.path.exists(soak_path) else None
    print(write_doc(sp, sk, note))


if __name__ == "__main__":
    main()

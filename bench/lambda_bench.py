#!/usr/bin/env python3
"""The Lambda function's benchmark (issue 12): rootwatch's deployment package (`rootwatch package`,
unzipped) run as Lambda runs it, its `bootstrap` started with only the variables Lambda sets, against
a Lambda Runtime API written here and SNS on moto (moto_server on loopback). Measured side by side,
in one run, on one machine:

  start     process start to the first `GET /2018-06-01/runtime/invocation/next` (a cold start:
            an empty /tmp store), against `python3 -c 'import boto3'` (the import of the blog's
            Python function, interpreter start included), START_RUNS times each, interleaved;
  rate      invocations per second, one bootstrap process per run serving N EventBridge events
            handed out as fast as it asks: root events (each a new eventID: one SNS Publish to
            moto each, moto delivering to a subscribed SQS queue) and non-root events (nothing
            published), RUNS runs each;
  memory    the peak resident memory (VmHWM) of each bootstrap process at the end of its run.

Medians are reported (the machine may be shared and noisy), with the ratio of the start medians.
Writes the "lambda" section of docs/benchmarks.md.

Usage: lambda_bench.py BUILD_DIR   (env: START_RUNS=21 RUNS=3 ROOT_N=300 NONROOT_N=2000 NOTE=...)
"""
import http.server
import json
import os
import platform
import queue
import re
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
sys.path.insert(0, HERE)
import awsfake  # noqa: E402
from bench.docsection import write_section  # noqa: E402

ACCOUNT = "123456789012"  # moto's
REGION = "us-east-1"
PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    """The Lambda Runtime API on loopback (HTTP/1.1, kept-alive connections, as Lambda's): events
    put() are handed to `next` in order; what the function posts back is counted."""

    def __init__(self):
        api = self
        self.events = queue.Queue()
        self.next_times = []  # time.monotonic() of each `next` request's arrival
        self.results = {}
        self.cond = threading.Condition()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def setup(self):
                super().setup()
                # headers and body go out in separate writes: without this, Nagle's algorithm and
                # the client's delayed ACK hold each answer back 40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def reply(self, status, body, headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                now = time.monotonic()
                if self.path != PREFIX + "/invocation/next":
                    return self.reply(404, b"not found")
                with api.cond:
                    api.next_times.append(now)
                    api.cond.notify_all()
                try:
                    rid, body = api.events.get(timeout=300)
                except queue.Empty:
                    return self.reply(503, b"no invocation")
                self.reply(200, body, [("Lambda-Runtime-Aws-Request-Id", rid),
                                       ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000)),
                                       ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"),
                                       ("Lambda-Runtime-Invoked-Function-Arn",
                                        "arn:aws:lambda:%s:%s:function:rootwatch" % (REGION, ACCOUNT)),
                                       ("Content-Type", "application/json")])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(PREFIX):].split("/")
                if len(parts) == 4 and parts[1] == "invocation":
                    with api.cond:
                        api.results[parts[2]] = (parts[3], json.loads(body or b"null"))
                        api.cond.notify_all()
                elif self.path == PREFIX + "/init/error":
                    with api.cond:
                        api.results["init"] = ("init", json.loads(body or b"null"))
                        api.cond.notify_all()
                self.reply(202, b'{"status":"OK"}', [("Content-Type", "application/json")])

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


def record(root):
    eid = str(uuid.uuid4())
    if root:
        ident = {"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                 "accountId": ACCOUNT, "accessKeyId": "AKIAIOSFODNN7EXAMPLE"}
    else:
        ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001", "userName": "alice",
                 "arn": "arn:aws:iam::%s:user/alice" % ACCOUNT, "accountId": ACCOUNT,
                 "accessKeyId": "AKIAEXAMPLEUSERKEY01"}
    return {"eventVersion": "1.09", "userIdentity": ident, "eventTime": "2026-11-20T10:00:00Z",
            "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": REGION,
            "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15.30 Python/3.11.8",
            "requestParameters": {"userName": "bob"}, "responseElements": None,
            "requestID": "req-" + eid, "eventID": eid, "readOnly": False, "eventType": "AwsApiCall",
            "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management"}


def eventbridge(rec):
    return json.dumps({"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
                       "source": "aws.iam", "account": ACCOUNT, "time": rec["eventTime"],
                       "region": REGION, "resources": [], "detail": rec}).encode()


def lambda_env(api, pkg, moto, topic, tmp):
    """What Lambda sets (provided.al2023), plus the endpoint of moto; nothing else."""
    store = tempfile.mkdtemp(dir=tmp)
    return {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % api.port, "LAMBDA_TASK_ROOT": pkg,
            "AWS_LAMBDA_FUNCTION_NAME": "rootwatch", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": ":UTC", "HOME": store,
            "SNS_TOPIC_ARN": topic, "AWS_ENDPOINT_URL": moto.url,
            "ROOTWATCH_STORE": os.path.join(store, "rootwatch", "rootwatch.db")}


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return [int(l.split()[1]) for l in f if l.startswith("VmHWM:")][0]


def stop(p):
    p.send_signal(signal.SIGTERM)  # Lambda's shutdown: exits 0 (an idle instance)
    try:
        return p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def start_run(pkg, moto, topic, tmp, log):
    """Seconds from the process start to its first `next`."""
    api = RuntimeApi()
    try:
        env = lambda_env(api, pkg, moto, topic, tmp)
        t0 = time.monotonic()
        p = subprocess.Popen([os.path.join(pkg, "bootstrap")], env=env, stdout=subprocess.DEVNULL,
                             stderr=log, cwd=pkg)
        ok = api.wait(lambda: api.next_times or "init" in api.results, 30)
        took = api.next_times[0] - t0 if api.next_times else None
        rc = stop(p)
        if not ok or took is None or rc != 0:
            raise SystemExit("lambda_bench: bootstrap did not reach `next` (status %s, init %s)"
                             % (rc, api.results.get("init")))
        return took
    finally:
        api.stop()


def python_run(python):
    t0 = time.monotonic()
    subprocess.run([python, "-c", "import boto3"], check=True, env={"PATH": os.environ.get("PATH", ""),
                   "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"})
    return time.monotonic() - t0


def floor_run(pkg):
    """Seconds to load the program and every library of the package and exit (bootstrap's own
    command line, running `rootwatch --version`): what any start of this package costs."""
    loader = [f for f in os.listdir(os.path.join(pkg, "lib")) if f.startswith("ld-linux")][0]
    t0 = time.monotonic()
    subprocess.run([os.path.join(pkg, "lib", loader), "--inhibit-cache", "--library-path",
                    os.path.join(pkg, "lib"), os.path.join(pkg, "bin", "rootwatch"), "--version"],
                   check=True, stdout=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    return time.monotonic() - t0


def inside_ms(log_path):
    """The milliseconds rootwatch took for each invocation, from its own log (its one line a
    invocation: the handler and posting the answer), the first (which looks the alias up and
    opens the connection to SNS) left out."""
    out = []
    with open(log_path) as f:
        for line in f:
            m = re.match(r"invocation done in (\d+) ms", json.loads(line).get("message", ""))
            if m:
                out.append(int(m.group(1)))
    return out[1:]


def rate_run(pkg, moto, topic, tmp, root, n):
    """(invocations per second, VmHWM KiB, [ms inside rootwatch]) of one bootstrap serving n
    events."""
    api = RuntimeApi()
    log_path = os.path.join(tmp, "bootstrap-%s.log" % uuid.uuid4().hex[:8])
    log = open(log_path, "wb")
    try:
        p = subprocess.Popen([os.path.join(pkg, "bootstrap")], env=lambda_env(api, pkg, moto, topic, tmp),
                             stdout=subprocess.DEVNULL, stderr=log, cwd=pkg)
        if not api.wait(lambda: api.next_times, 30):
            raise SystemExit("lambda_bench: bootstrap did not start")
        events = [(str(uuid.uuid4()), eventbridge(record(root))) for _ in range(n)]
        t0 = time.monotonic()
        for e in events:
            api.events.put(e)
        if not api.wait(lambda: len(api.results) >= n, 600):
            raise SystemExit("lambda_bench: %d of %d invocations answered" % (len(api.results), n))
        took = time.monotonic() - t0
        hwm = hwm_kib(p.pid)
        rc = stop(p)
        want = 1 if root else 0
        bad = [r for r in api.results.values() if r[0] != "response" or r[1].get("published") != want
               or r[1].get("alerts") != want]
        if bad or rc != 0:
            raise SystemExit("lambda_bench: wrong answers (%d), status %s: %s" % (len(bad), rc, bad[:3]))
        log.close()
        return n / took, hwm, inside_ms(log_path)
    finally:
        log.close()
        api.stop()


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def main():
    build = sys.argv[1]
    start_runs = int(os.environ.get("START_RUNS", "21"))
    runs = int(os.environ.get("RUNS", "3"))
    root_n = int(os.environ.get("ROOT_N", "300"))
    nonroot_n = int(os.environ.get("NONROOT_N", "2000"))
    note = os.environ.get("NOTE", "")
    # the interpreter itself, not a wrapper that finds it (pyenv's shims are shell scripts): the
    # one running this benchmark, which has boto3
    python = os.path.realpath(sys.executable)
    rootwatch = os.path.join(build, "rootwatch")
    load_before = os.getloadavg()
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="rw-lambda-bench-")
    log = open(os.path.join(tmp, "bootstrap.log"), "wb")
    try:
        zpath = os.path.join(tmp, "rootwatch-lambda.zip")
        subprocess.run([rootwatch, "package", "-q", "-o", zpath], check=True)
        pkg = os.path.join(tmp, "package")
        subprocess.run(["unzip", "-q", zpath, "-d", pkg], check=True)
        zip_mb = os.path.getsize(zpath) / 1e6
        nlib = len(os.listdir(os.path.join(pkg, "lib")))
        curl_note = (" (the C library, and the libraries Debian's libcurl brings: GnuTLS, Kerberos, "
                     "LDAP and SSH among them, through librtmp and libldap)"
                     if os.path.exists(os.path.join(pkg, "lib", "libcurl.so.4")) else
                     " (the C library and what rootwatch-lambda links: OpenSSL's libssl and "
                     "libcrypto, SQLite, expat, libyaml, libdeflate, zlib; no libcurl: its HTTP is "
                     "src/util/http_lite.c)")
        with awsfake.MotoServer() as moto:
            sns = moto.boto3_client("sns", REGION)
            sqs = moto.boto3_client("sqs", REGION)
            topic = sns.create_topic(Name="rootwatch-root-activity")["TopicArn"]
            qurl = sqs.create_queue(QueueName="root-alerts")["QueueUrl"]
            qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
            sys.stderr.write("lambda_bench: start, %d runs each\n" % start_runs)
            boot, py, floor = [], [], []
            for _ in range(start_runs):  # interleaved, so that all see the same machine
                boot.append(start_run(pkg, moto, topic, tmp, log))
                py.append(python_run(python))
                floor.append(floor_run(pkg))
            py_rss = int(subprocess.run(
                [python, "-c", "import boto3, resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                capture_output=True, text=True, check=True).stdout)
            rates = {True: [], False: []}
            hwms = []
            inside = {True: [], False: []}
            published = 0
            for i in range(runs):
                for root, n in ((True, root_n), (False, nonroot_n)):
                    sys.stderr.write("lambda_bench: %s events, run %d of %d\n"
                                     % ("root" if root else "non-root", i + 1, runs))
                    r, h, ms = rate_run(pkg, moto, topic, tmp, root, n)
                    rates[root].append(r)
                    hwms.append(h)
                    inside[root] += ms
                    # what moto's SNS delivered to the queue (one message per root event), taken
                    # out after each run so that every run finds moto as the first did
                    while True:
                        got = sqs.receive_message(QueueUrl=qurl, MaxNumberOfMessages=10).get("Messages", [])
                        if not got:
                            break
                        published += len(got)
                        sqs.delete_message_batch(QueueUrl=qurl, Entries=[
                            {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)])
    except BaseException:
        sys.stderr.write("lambda_bench: the package, the store and bootstrap's logs are kept in %s\n" % tmp)
        raise
    finally:
        log.close()
    shutil.rmtree(tmp, ignore_errors=True)  # the unzipped package, the stores, the logs
    load_after = os.getloadavg()

    boot_ms, py_ms = statistics.median(boot) * 1000, statistics.median(py) * 1000
    ratio = py_ms / boot_ms
    floor_ms = statistics.median(floor) * 1000
    root_rate, nonroot_rate = statistics.median(rates[True]), statistics.median(rates[False])
    peak = max(hwms) / 1024
    cpu = "unknown"
    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except Exception:
        pass
    import boto3
    import moto
    # the command as it was run: the settings given, then the script
    given = ["%s=%s" % (k, os.environ[k]) for k in ("START_RUNS", "RUNS", "ROOT_N", "NONROOT_N")
             if k in os.environ]
    if os.path.realpath(build) != os.path.realpath(os.path.join(HERE, "build")):
        given.insert(0, "BUILD=%s" % build)
    cmd = " ".join(given + ["bench/lambda_bench.sh"])
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = f"""## Lambda function: cold start, invocations per second, memory

`{cmd}` ({date}, commit {commit}, {cpu}, {os.cpu_count()} cores; load average
{load_before[0]:.1f} before, {load_after[0]:.1f} after{"; " + note if note else ""}).
The package `rootwatch package` writes ({zip_mb:.1f} MB zipped), unzipped, its `bootstrap` started
with only the variables Lambda sets (an empty store in /tmp: a cold start), against a Lambda Runtime
API written in the benchmark (bench/lambda_bench.py, Python, loopback, kept-alive connections) and
SNS on moto {moto.__version__} (moto_server on loopback, delivering to a subscribed SQS queue).
Medians: the machine is shared, so single runs are noisy.

| measure | rootwatch (bootstrap) | Python | ratio |
|---|---|---|---|
| process start to the first `next` request ({start_runs} runs each, interleaved) | **{boot_ms:.1f} ms** (min {min(boot) * 1000:.1f}, max {max(boot) * 1000:.1f}) | `python3 -c 'import boto3'` (boto3 {boto3.__version__}, Python {platform.python_version()}, {python}): {py_ms:.0f} ms (min {min(py) * 1000:.0f}, max {max(py) * 1000:.0f}) | **{ratio:.0f}x** |
| the floor: loading the program and the {nlib} files of `lib/`, then exiting (`rootwatch --version` through the bundled loader, {start_runs} runs) | {floor_ms:.1f} ms | | {py_ms / floor_ms:.0f}x |
| peak resident memory | **{peak:.1f} MB** (VmHWM, the largest of {len(hwms)} processes) | {py_rss / 1024:.1f} MB with boto3 imported, before any work (ru_maxrss) | |

| invocations through the Runtime API ({runs} runs, one process each) | per second (median) | runs | inside rootwatch, median (p90) |
|---|---|---|---|
| root events (each a new eventID: one SNS Publish to moto), {root_n} a run | **{root_rate:,.0f}** | {", ".join("%.0f" % r for r in rates[True])} | {statistics.median(inside[True]):.0f} ms ({pct(inside[True], 0.9):.0f} ms) |
| non-root events (nothing published), {nonroot_n} a run | **{nonroot_rate:,.0f}** | {", ".join("%.0f" % r for r in rates[False])} | {statistics.median(inside[False]):.0f} ms ({pct(inside[False], 0.9):.0f} ms) |

"Inside rootwatch" is the time rootwatch's own log gives each invocation (the event read, the
alert stored and published, the answer posted; whole milliseconds), the first of each process left
out (it looks the account alias up, connects to SNS and, for a root event, opens the store).

Targets: start at least 50 times faster than the blog function's import
({'met' if ratio >= 50 else 'NOT met'}: {ratio:.0f}x), and peak memory at most 32 MB so that the
function fits Lambda's smallest size, 128 MB ({'met' if peak <= 32 else 'NOT met'}: {peak:.1f} MB).

The start is bounded below by loading the package itself: {floor_ms:.1f} ms to map the program and
the {nlib} files of `lib/`{curl_note}
and exit, so that even a start doing nothing else would be only {py_ms / floor_ms:.0f} times faster than this
import; the rest, about {max(boot_ms - floor_ms, 0):.1f} ms (a difference of two medians, so only roughly), is bootstrap's
shell, rootwatch's own init (the rules, the SNS channel, the credentials, a check of the store's
file in /tmp, which SQLite opens only at the first alert) and the first connection.

Every invocation was answered with the right summary, and moto's SNS delivered {published} messages
for the {runs * root_n} root events. The Python side is the import alone: the blog's function still
has to create its clients and make its calls after it. The invocation rates measure rootwatch,
the Python Runtime API server and moto together on two shared cores: the non-root rate is bounded
mostly by the Runtime API round trips (a `next` and a `response` each), the root rate by moto's SNS
Publish; on Lambda, SNS answers in milliseconds from another machine.
"""
    head = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    if head != commit:
        sys.stderr.write("lambda_bench: HEAD moved during the run (%s, now %s)\n" % (commit, head))
    write_section(text, "lambda")
    print(text)


if __name__ == "__main__":
    main()

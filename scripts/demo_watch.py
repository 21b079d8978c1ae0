#!/usr/bin/env python3
"""The real-time half of the quick-start demo (scripts/demo.sh): rootwatch watch as a service.

    scripts/demo_watch.py BUILD_DIR

Starts `rootwatch watch` on a watched folder (the dir source: no AWS, no network) with the
terminal channel of examples/demo.yaml, the demo's store and /metrics on a free loopback port;
drops a CloudTrail file with root actions and one with ordinary activity into the folder, as a
trail exporter would (written aside, then renamed in); shows the alerts arriving on the terminal
and how long they took; reads a few lines of /metrics; stops the service with SIGTERM and shows
that it stopped cleanly (exit status 0). Only Python's standard library is used.
"""
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

ACCOUNT = "123456789012"


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def record(who, name, source, t, **extra):
    if who == "root":
        ident = {"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                 "accountId": ACCOUNT}
    else:
        ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEDEMO00001", "userName": "alice",
                 "arn": "arn:aws:iam::%s:user/alice" % ACCOUNT, "accountId": ACCOUNT,
                 "accessKeyId": "AKIAEXAMPLEDEMOKEY01"}
    rec = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": utc(t), "eventSource": source,
           "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
           "userAgent": "aws-cli/2.15.30", "requestParameters": None, "responseElements": None,
           "eventID": str(uuid.uuid4()), "readOnly": False, "eventType": "AwsApiCall",
           "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    rec.update(extra)
    return rec


def trail_name(t, tag):
    return "%s_CloudTrail_us-east-1_%s_%s.json.gz" % (ACCOUNT, time.strftime("%Y%m%dT%H%MZ", time.gmtime(t)), tag)


def drop(folder, name, records):
    """Written aside (a dot-file, which the dir source passes over), then renamed in: whole."""
    tmp = os.path.join(folder, "." + name)
    with open(tmp, "wb") as f:
        f.write(gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode()))
    os.rename(tmp, os.path.join(folder, name))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    rw = os.path.join(build, "rootwatch")
    demo = os.path.join(build, "demo")
    folder = os.path.join(demo, "incoming")
    store = os.path.join(demo, "rootwatch.db")
    cfg = os.path.join(demo, "watch.yaml")
    log = os.path.join(demo, "watch.log")
    out = os.path.join(demo, "watch.out")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    with open("examples/demo.yaml") as f:
        channels = f.read()
    with open(cfg, "w") as f:
        f.write("# scripts/demo_watch.py: the channels of examples/demo.yaml, and one source\n"
                + channels + "sources:\n  - name: incoming\n    type: dir\n    path: %s\n" % folder)
    print("%s: the terminal channel of examples/demo.yaml, and a source:" % cfg)
    print("  sources: [{name: incoming, type: dir, path: %s}]" % folder)
    args = ["watch", "--config", cfg, "--store", store, "--metrics", "127.0.0.1:0"]
    print("$ rootwatch %s 2> %s &" % (" ".join(args), log))
    sys.stdout.flush()
    with open(out, "wb") as o, open(log, "wb") as e:
        proc = subprocess.Popen([rw] + args, stdout=o, stderr=e, stdin=subprocess.DEVNULL)

    def logged():
        with open(log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def alerts():
        with open(out, encoding="utf-8", errors="replace") as f:
            return [l for l in f.read().splitlines() if l.startswith("ROOT ALERT")]

    def metrics(port):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            return r.read().decode()

    def wait(test, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                sys.exit("rootwatch watch ended (exit status %s) while waiting for %s:\n%s"
                         % (proc.returncode, what, logged()))
            v = test()
            if v:
                return v
            time.sleep(0.05)
        proc.kill()
        sys.exit("rootwatch watch: no %s after %d s:\n%s" % (what, seconds, logged()))

    try:
        port = int(wait(lambda: (re.findall(r"serving http://127\.0\.0\.1:(\d+)/metrics", logged()) or [0])[0],
                        20, "metrics address"))
        # the folder is being watched once its first look is done
        wait(lambda: re.search(r'rootwatch_source_polls_total\{source="incoming",type="dir"\} [1-9]',
                               metrics(port)), 20, "first look at the folder")
        print("(running as process %d; /metrics and /healthz on http://127.0.0.1:%d)" % (proc.pid, port))
        now = time.time()
        root = [record("user", "ListBuckets", "s3.amazonaws.com", now - 30, readOnly=True),
                record("root", "ConsoleLogin", "signin.amazonaws.com", now - 20, eventType="AwsConsoleSignIn",
                       responseElements={"ConsoleLogin": "Success"},
                       additionalEventData={"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"}),
                record("root", "CreateAccessKey", "iam.amazonaws.com", now - 10),
                record("user", "DescribeInstances", "ec2.amazonaws.com", now - 5, readOnly=True)]
        ordinary = [record("user", n, s, now - 15 + i, readOnly=True) for i, (n, s) in enumerate(
            [("GetObject", "s3.amazonaws.com"), ("DescribeVolumes", "ec2.amazonaws.com"),
             ("GetUser", "iam.amazonaws.com"), ("ListFunctions20150331", "lambda.amazonaws.com")])]
        a, b = trail_name(now, "a1b2"), trail_name(now, "c3d4")
        t0 = time.monotonic()
        drop(folder, a, root)
        drop(folder, b, ordinary)
        print("dropped %s: %d records, 2 of them root (a console sign-in without MFA, an access key made)"
              % (a, len(root)))
        print("dropped %s: %d records of an IAM user, none root" % (b, len(ordinary)))
        got = wait(lambda: alerts() if len(alerts()) >= 2 else None, 20, "alerts")
        took = time.monotonic() - t0
        for line in got:
            print(line)
        # the ordinary file is read too (its records are counted), and alerts nothing
        m = wait(lambda: (lambda t: t if re.search(r'rootwatch_source_events_total\{source="incoming",type="dir"\} %d\b'
                                                   % (len(root) + len(ordinary)), t) else None)(metrics(port)),
                 20, "every record read")
        print("(%d alerts on the terminal %.1f s after the files landed; none for the ordinary file)" % (len(got), took))
        print("$ curl -s http://127.0.0.1:%d/metrics | grep -E 'events_total|alerts_total|lag_seconds_(sum|count)'" % port)
        for line in m.splitlines():
            if re.match(r"rootwatch_(source_events_total|alerts_total|alert_lag_seconds_(sum|count))", line):
                print(line)
        print("$ kill -TERM %d" % proc.pid)
        sys.stdout.flush()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
        for line in logged().splitlines():
            if "SIGTERM" in line or "stopped:" in line:
                print(line)
        print("(exit status %d: stopped cleanly, nothing in hand lost)" % rc)
        if rc != 0:
            print(logged(), file=sys.stderr)
            return 1
        return 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())

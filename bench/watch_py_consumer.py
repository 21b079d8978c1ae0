#!/usr/bin/env python3
"""The plain boto3 consumer that bench/watch_bench.py sets beside `rootwatch watch --sqs` (issue 13):
what a user would write instead, doing the same work per message as rootwatch's sqs source.

  loop: ReceiveMessage (long polling, WaitTimeSeconds=20, MaxNumberOfMessages=10), then for each
  message: json-parse the body as an EventBridge event, apply the root test to its "detail"
  (userIdentity.type == "Root", no userIdentity.invokedBy, eventType != "AwsServiceEvent"); for
  a root event record the alert durably (SQLite, WAL, synchronous=NORMAL as rootwatch's store:
  INSERT OR IGNORE on a unique eventID, one transaction), POST it as JSON to the webhook (kept-alive
  http.client) if it was new, mark it sent (a second transaction, as rootwatch's outbox does);
  then delete the message: DeleteMessage, one call per message, or with --delete-batch one
  DeleteMessageBatch for the messages of a receive (watch_bench.py picks the one the rootwatch
  being measured uses: src/sources/in_sqs.c deletes a message once its alerts are stored).

What it does not do, that rootwatch does: S3 notifications, SNS-wrapped bodies, poison-message
handling (max_receives), retries with backoff and an outbox retried after a crash (a failed POST
here is only counted), dedup of records without an eventID, metrics, logs, rules beyond the one
test, several threads. It is single-threaded: one message at a time.

  --delete-batch DeleteMessageBatch once per receive instead of DeleteMessage per message
  --floor        moto alone: receive and delete only (no parsing, no store, no POST)
  --floor-batch  the same with DeleteMessageBatch (one call per receive)

Usage: watch_py_consumer.py --endpoint URL --queue-url URL [--db FILE --webhook URL] [--floor|--floor-batch]
Runs until SIGTERM (seen between two receives)."""
import argparse
import http.client
import json
import signal
import sqlite3
import sys
import time
import urllib.parse

import boto3
import botocore.config

stop = False


def on_term(signum, frame):
    global stop
    stop = True


def is_root(rec):
    ident = rec.get("userIdentity") or {}
    return (isinstance(ident, dict) and ident.get("type") == "Root" and "invokedBy" not in ident
            and rec.get("eventType") != "AwsServiceEvent")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--queue-url", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--db")
    ap.add_argument("--webhook")
    ap.add_argument("--wait", type=int, default=20)
    ap.add_argument("--floor", action="store_true")
    ap.add_argument("--floor-batch", action="store_true")
    ap.add_argument("--delete-batch", action="store_true")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    sqs = boto3.session.Session().client(
        "sqs", region_name=a.region, endpoint_url=a.endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(proxies={}, retries={"max_attempts": 5, "mode": "standard"}))
    db = conn = None
    if not (a.floor or a.floor_batch):
        db = sqlite3.connect(a.db, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS alerts (event_id TEXT PRIMARY KEY, alert TEXT NOT NULL,"
                   " state TEXT NOT NULL DEFAULT 'pending')")
        hook = urllib.parse.urlsplit(a.webhook)
        conn = http.client.HTTPConnection(hook.hostname, hook.port, timeout=10)
    failed_posts = 0
    receive_ms = []  # the round trip of each receive that returned messages
    while not stop:
        t = time.monotonic()
        got = sqs.receive_message(QueueUrl=a.queue_url, MaxNumberOfMessages=10,
                                  WaitTimeSeconds=a.wait).get("Messages", [])
        if got:
            receive_ms.append(((time.monotonic() - t) * 1000, len(got)))
        if a.floor_batch or (a.delete_batch and a.floor):
            if got:
                sqs.delete_message_batch(QueueUrl=a.queue_url, Entries=[
                    {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)])
            continue
        for m in got:
            if not a.floor:
                try:
                    ev = json.loads(m["Body"])
                    rec = ev.get("detail") if isinstance(ev, dict) else None
                except ValueError:
                    rec = None
                if isinstance(rec, dict) and is_root(rec):
                    eid = rec.get("eventID")
                    alert = json.dumps({"eventID": eid, "eventName": rec.get("eventName"),
                                        "account": rec.get("recipientAccountId"),
                                        "eventTime": rec.get("eventTime"), "record": rec})
                    db.execute("BEGIN IMMEDIATE")
                    new = db.execute("INSERT OR IGNORE INTO alerts (event_id, alert) VALUES (?, ?)",
                                     (eid, alert)).rowcount == 1
                    db.execute("COMMIT")
                    if new:
                        try:
                            conn.request("POST", a.webhook, body=alert.encode(),
                                         headers={"Content-Type": "application/json"})
                            r = conn.getresponse()
                            r.read()
                            ok = 200 <= r.status < 300
                        except (OSError, http.client.HTTPException):
                            conn.close()
                            ok = False
                        if not ok:
                            failed_posts += 1
                        db.execute("BEGIN IMMEDIATE")
                        db.execute("UPDATE alerts SET state = ? WHERE event_id = ?",
                                   ("sent" if ok else "failed", eid))
                        db.execute("COMMIT")
            if not a.delete_batch:
                sqs.delete_message(QueueUrl=a.queue_url, ReceiptHandle=m["ReceiptHandle"])
        if a.delete_batch and got:
            sqs.delete_message_batch(QueueUrl=a.queue_url, Entries=[
                {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)])
    if failed_posts:
        sys.stderr.write("watch_py_consumer: %d POSTs failed\n" % failed_posts)
    if receive_ms:
        ms = sorted(x[0] for x in receive_ms)
        sys.stderr.write("watch_py_consumer: %s\n" % json.dumps(
            {"receives": len(ms), "receive_ms_p50": ms[len(ms) // 2],
             "messages_per_receive": sum(x[1] for x in receive_ms) / len(ms)}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The baseline for bench/notify_bench.sh: what a user's own script would do to send alerts to a
webhook: one http.client connection kept alive, one POST of JSON per alert, no store, no retries.
Starts its own receiver (a thread, like notify_bench.c's) and prints one JSON line."""
import http.client
import http.server
import json
import socket
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
got = [0]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms stalls

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        got[0] += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
alerts = [json.dumps({"eventID": "bench-%06d" % i, "eventName": "CreateAccessKey", "account": "111122223333",
                      "severity": "critical", "event": {"userIdentity": {"type": "Root"}}}).encode()
          for i in range(N)]
conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1])
t0 = time.monotonic()
for body in alerts:
    conn.request("POST", "/hook", body, {"Content-Type": "application/json"})
    conn.getresponse().read()
secs = time.monotonic() - t0
print(json.dumps({"alerts": N, "seconds": round(secs, 3), "alerts_per_second": round(N / secs)}))

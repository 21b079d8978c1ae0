"""util/http.h's TLS path against a real TLS server (issue 12), through both implementations:
util/http.c (libcurl: rw_http_tool) and util/http_lite.c (libssl: rw_http_tool_lite, the HTTP of
rootwatch-lambda). The server is Python's ssl module with a certificate for "localhost" from a CA
made here and given through AWS_CA_BUNDLE:
  - the right name and the CA: the GETs pass, kept-alive on one connection (chunked and
    Content-Length bodies);
  - a name the certificate does not carry (https://127.0.0.1, the same server): refused;
  - a certificate from a CA nobody named (AWS_CA_BUNDLE holds another CA): refused;
  - an expired certificate from the right CA: refused;
  - a plain http server behind an https URL: a failure, no response;
and both implementations say the same (the error codes agree).
"""
import http.server
import os
import shutil
import socketserver
import ssl
import subprocess
import tempfile
import threading
import unittest

import rwtest

TOOLS = os.path.join(os.path.dirname(rwtest.ROOTWATCH), "tests")
CURL_TOOL = os.path.join(TOOLS, "rw_http_tool")
LITE_TOOL = os.path.join(TOOLS, "rw_http_tool_lite")


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".pem", "-days", "2", "-subj", "/CN=rootwatch test " + name,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_expired_leaf(d, ca, name):
    """A certificate for localhost from ca that expired in 2020 (the cryptography package)."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    with open(os.path.join(d, ca + ".key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(d, ca + ".pem"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2020, 1, 2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(ca_key, hashes.SHA256()))
    with open(os.path.join(d, name + ".key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(d, name + ".pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def make_leaf(d, ca, name, days="2"):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=localhost", cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-extfile", name + ".ext", "-days", days,
            cwd=d)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.server.requests += 1
        if self.path.startswith("/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"chunked ", b"over TLS\n", b"x" * 5000):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            body = b"hello over TLS\n" + b"y" * 3000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, certfile=None, keyfile=None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests = 0
        self.connections = 0
        self.ctx = None
        if certfile:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(certfile, keyfile)

    def get_request(self):
        sock, addr = super().get_request()
        self.connections += 1
        if self.ctx:
            sock.settimeout(5)
            try:
                sock = self.ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                raise
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # refused handshakes are what some tests are about


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return server


class TLS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in (CURL_TOOL, LITE_TOOL):
            if not os.path.exists(tool):
                raise unittest.SkipTest("%s is not built" % tool)
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl command to make the certificates")
        cls.d = tempfile.mkdtemp(prefix="rw-http-tls-")
        make_ca(cls.d, "ca")
        make_ca(cls.d, "otherca")
        make_leaf(cls.d, "ca", "good")
        p = lambda n: os.path.join(cls.d, n)
        cls.good = serve(Server(p("good.pem"), p("good.key")))
        cls.expired = None
        try:
            make_expired_leaf(cls.d, "ca", "old")
            cls.expired = serve(Server(p("old.pem"), p("old.key")))
        except ImportError:
            pass  # no cryptography package: that one test is skipped
        cls.plain = serve(Server())

    @classmethod
    def tearDownClass(cls):
        for s in (cls.good, cls.expired, cls.plain):
            if s:
                s.shutdown()
                s.server_close()

    def get(self, tool, urls, ca="ca.pem"):
        env = dict(os.environ)
        env["AWS_CA_BUNDLE"] = os.path.join(self.d, ca)
        for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "SSL_CERT_FILE"):
            env.pop(k, None)
        return subprocess.run([tool] + urls, env=env, capture_output=True, text=True, timeout=60)

    def both(self, urls, ca="ca.pem"):
        return {name: self.get(tool, urls, ca) for name, tool in
                (("curl", CURL_TOOL), ("lite", LITE_TOOL))}

    def test_good_certificate_kept_alive(self):
        port = self.good.server_address[1]
        urls = ["https://localhost:%d/one" % port, "https://localhost:%d/chunked" % port,
                "https://localhost:%d/three?x=1" % port]
        for name, p in self.both(urls).items():
            self.assertEqual(p.returncode, 0, name + ": " + p.stderr)
            lines = p.stdout.splitlines()
            self.assertEqual(lines[0], "200 3015 hello over TLS", name)
            self.assertEqual(lines[1], "200 5017 chunked over TLS", name)
            self.assertEqual(lines[2], "200 3015 hello over TLS", name)
        # the lite tool's three GETs go over one connection
        before = self.good.connections
        p = self.get(LITE_TOOL, urls)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.good.connections - before, 1, "three GETs, one connection")

    def test_wrong_host_name_refused(self):
        port = self.good.server_address[1]
        for name, p in self.both(["https://127.0.0.1:%d/x" % port]).items():
            self.assertEqual(p.returncode, 2, name + ": " + p.stdout)
            self.assertIn("https://127.0.0.1:%d" % port, p.stderr, name)
            self.assertEqual(p.stdout, "", name)
        lite = self.get(LITE_TOOL, ["https://127.0.0.1:%d/x" % port]).stderr
        self.assertRegex(lite, r"certificate|match", lite)

    def test_unknown_ca_refused(self):
        port = self.good.server_address[1]
        res = self.both(["https://localhost:%d/x" % port], ca="otherca.pem")
        for name, p in res.items():
            self.assertEqual(p.returncode, 2, name + ": " + p.stdout)
            self.assertIn("https://localhost:%d" % port, p.stderr, name)
        self.assertIn("certificate", res["lite"].stderr)
        # the same error code from both
        self.assertEqual(res["curl"].stderr.split(":")[0], res["lite"].stderr.split(":")[0])

    def test_expired_certificate_refused(self):
        if not self.expired:
            self.skipTest("no cryptography package to make an expired certificate")
        port = self.expired.server_address[1]
        for name, p in self.both(["https://localhost:%d/x" % port]).items():
            self.assertEqual(p.returncode, 2, name + ": " + p.stdout)
        self.assertIn("expired", self.get(LITE_TOOL, ["https://localhost:%d/x" % port]).stderr)

    def test_missing_ca_bundle(self):
        port = self.good.server_address[1]
        for name, p in self.both(["https://localhost:%d/x" % port], ca="nonexistent.pem").items():
            self.assertEqual(p.returncode, 2, name + ": " + p.stdout)

    def test_plain_server_behind_https(self):
        port = self.plain.server_address[1]
        res = self.both(["https://localhost:%d/x" % port])
        for name, p in res.items():
            self.assertEqual(p.returncode, 2, name + ": " + p.stdout)
            self.assertEqual(p.stderr.split(":")[0], "temporary failure", name + ": " + p.stderr)
        self.assertEqual(res["curl"].stderr.split(":")[0], res["lite"].stderr.split(":")[0])


if __name__ == "__main__":
    rwtest.main()

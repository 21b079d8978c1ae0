"""rootwatch package: the Lambda deployment zip (docs/lambda.md, "The package").

Lambda's provided.al2023 has glibc 2.34; Debian 12's libraries need 2.36 (libexpat.so.1 needs
arc4random_buf@GLIBC_2.36). The package bundles the dynamic loader and the C library with the rest
and starts rootwatch through that loader. This test holds it to that:

  - version_problems() is the test's own check, independent of rootwatch's: it unzips a package,
    reads every ELF file's symbol version needs with readelf, and refuses any that neither a
    bundled file defines nor, for what is not bundled, glibc 2.34 could; and a bootstrap that
    would not start the program through the bundled loader when the C library is bundled. It is
    shown to refuse a zip holding Debian's libexpat without Debian's libc.
  - the unzipped package starts with an empty environment (no library path), and the loader's own
    trace shows that every library it loads comes from the zip; once `rootwatch lambda` exists it
    serves an invocation from a Runtime API server written here.
  - two builds give the same bytes; bootstrap is 0755 in the zip and after unzip.
"""
import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
import threading
import unittest
import unittest.mock
import zipfile

import awsfake
import rwtest

GLIBC_ON_LAMBDA = (2, 34)  # provided.al2023
# the libraries of glibc itself: what a system with glibc 2.34 provides when the zip does not
GLIBC_SONAMES = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
                 "libresolv.so.2", "libutil.so.1", "libanl.so.1", "ld-linux-x86-64.so.2",
                 "ld-linux-aarch64.so.1"}
NATIVE = "arm64" if os.uname().machine == "aarch64" else "x86_64"
OTHER = "x86_64" if NATIVE == "arm64" else "arm64"
LOADER = "ld-linux-aarch64.so.1" if NATIVE == "arm64" else "ld-linux-x86-64.so.2"
REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"


def readelf(args, path):
    return subprocess.run(["readelf", "--wide"] + args + [path], capture_output=True, text=True,
                          check=True).stdout


def elf_versions(path):
    """(soname or None, needed sonames, defined versions, [(file, version, weak)] needed)."""
    dyn = readelf(["-d"], path)
    soname = re.search(r"Library soname: \[([^\]]+)\]", dyn)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    defs, needs, section, cur = set(), [], None, None
    for line in readelf(["-V"], path).splitlines():
        if line.startswith("Version definition section"):
            section = "def"
        elif line.startswith("Version needs section"):
            section = "need"
        elif line.startswith("Version symbols section"):
            section = None
        elif section == "def":
            m = re.search(r"Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)", line)
            if m and m.group(1) != "BASE":
                defs.add(m.group(2))
        elif section == "need":
            m = re.search(r"File: (\S+)", line)
            if m:
                cur = m.group(1)
                continue
            m = re.search(r"Name: (\S+)\s+Flags: (\S+)", line)
            if m and cur:
                needs.append((cur, m.group(1), "WEAK" in m.group(2)))
    return soname.group(1) if soname else None, needed, defs, needs


def glibc_tuple(version):
    m = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?", version)
    return tuple(int(x) for x in m.groups() if x is not None) if m else None


def extract(zip_path, dest):
    """Unzips as Lambda does, keeping the Unix modes stored in the zip."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            out = z.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o7777
            if mode:
                os.chmod(out, mode)


def version_problems(zip_path):
    """What would keep the package from starting on a system with glibc 2.34 only: a list of
    messages, empty when none."""
    problems = []
    with tempfile.TemporaryDirectory() as d:
        extract(zip_path, d)
        elves = {}
        for root, _, files in os.walk(d):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        elves[os.path.relpath(path, d)] = elf_versions(path)
        provided = {}  # soname -> versions defined, for every bundled library
        for rel, (soname, _, defs, _) in elves.items():
            provided[soname or os.path.basename(rel)] = defs
            provided.setdefault(os.path.basename(rel), defs)
        for rel, (_, needed, _, needs) in sorted(elves.items()):
            for lib in needed:
                if lib not in provided and lib not in GLIBC_SONAMES:
                    problems.append("%s needs %s, which neither the zip nor glibc has" % (rel, lib))
            for lib, version, weak in needs:
                if weak:
                    continue
                if lib in provided:
                    if version not in provided[lib]:
                        problems.append("%s needs %s of %s, which the bundled %s does not define"
                                        % (rel, version, lib, lib))
                    continue
                v = glibc_tuple(version)
                if v is None or v > GLIBC_ON_LAMBDA:
                    problems.append("%s needs %s of %s, which is not in the zip and newer than "
                                    "glibc %d.%d" % ((rel, version, lib) + GLIBC_ON_LAMBDA))
        # a bundled C library is used only if the program is started through the bundled loader
        if "libc.so.6" in provided:
            boot = os.path.join(d, "bootstrap")
            text = ""
            if os.path.exists(boot):
                with open(boot) as f:
                    text = f.read()
            loaders = [r for r in elves if os.path.basename(r).startswith("ld-linux")]
            if not loaders or not any(l in text for l in loaders) or "--library-path" not in text:
                problems.append("the zip bundles libc.so.6 but bootstrap does not start the "
                                "program through the bundled loader with --library-path")
    return problems


def aarch64_elf(needed=("libc.so.6", "libcurl.so.4"), interp=b"/lib/ld-linux-aarch64.so.1"):
    """A minimal arm64 ELF program: one PT_LOAD, PT_INTERP, PT_DYNAMIC with DT_NEEDED."""
    base = 0x400000
    ph_off, ph_n = 64, 3
    interp_off = ph_off + 56 * ph_n
    interp = interp + b"\0"
    str_off = interp_off + len(interp)
    strtab = b"\0"
    idx = []
    for n in needed:
        idx.append(len(strtab))
        strtab += n.encode() + b"\0"
    dyn_off = (str_off + len(strtab) + 7) & ~7
    dyn = b"".join(struct.pack("<qQ", 1, i) for i in idx)
    dyn += struct.pack("<qQ", 5, base + str_off) + struct.pack("<qQ", 10, len(strtab))
    dyn += struct.pack("<qQ", 0, 0)
    total = dyn_off + len(dyn)
    ehdr = struct.pack("<4sBBBB8sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, b"\0" * 8, 3, 183, 1, 0,
                       ph_off, 0, 0, 64, 56, ph_n, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, total, total, 0x1000)
    ph += struct.pack("<IIQQQQQQ", 3, 4, interp_off, base + interp_off, base + interp_off,
                      len(interp), len(interp), 1)
    ph += struct.pack("<IIQQQQQQ", 2, 6, dyn_off, base + dyn_off, base + dyn_off, len(dyn),
                      len(dyn), 8)
    out = ehdr + ph + interp + strtab
    out += b"\0" * (dyn_off - len(out)) + dyn
    assert len(out) == total
    return out


class RuntimeApi(awsfake.HttpServer):
    """The Lambda Runtime API: hands out the events queued, records responses and errors; a
    `next` with nothing queued waits until the test ends."""

    def __init__(self, events):
        super().__init__()
        self.events = list(events)
        self.done = threading.Event()
        self.answered = threading.Event()

    def handle(self, req, h):
        p = req.url_path
        if req.method == "GET" and p == "/2018-06-01/runtime/invocation/next":
            with self._lock:
                ev = self.events.pop(0) if self.events else None
            if ev is None:
                self.done.wait(30)
                return 500, {}, b""
            rid, body = ev
            return 200, {"Lambda-Runtime-Aws-Request-Id": rid,
                         "Lambda-Runtime-Deadline-Ms": "%d" % (int(__import__("time").time() * 1000) + 30000),
                         "Lambda-Runtime-Invoked-Function-Arn":
                             "arn:aws:lambda:us-east-1:111122223333:function:rootwatch",
                         "Lambda-Runtime-Trace-Id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700"}, body
        if req.method == "POST" and (p.endswith("/response") or p.endswith("/error")):
            self.answered.set()
            return 202, {}, {"status": "OK"}
        if req.method == "POST" and p.endswith("/init/error"):
            self.answered.set()
            return 202, {}, {"status": "OK"}
        return 404, {}, b""


def invoke(d, event, env, boot=None, wait=60):
    """Runs the unzipped bootstrap of folder d (or the program boot) against a Runtime API server
    that hands it one event; returns (the POSTs it made, its stderr, whether it answered within
    wait seconds). env is the whole environment: nothing of the test's own is added but what
    Lambda sets (LAMBDA_TASK_ROOT, AWS_LAMBDA_RUNTIME_API) and the instance's store."""
    with RuntimeApi([(REQUEST_ID, event)]) as api:
        env = dict(env, LAMBDA_TASK_ROOT=d, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % api.port,
                   ROOTWATCH_STORE=os.path.join(d, "state", "rootwatch.db"))
        p = subprocess.Popen([boot or os.path.join(d, "bootstrap")], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            answered = api.answered.wait(wait)
        finally:
            api.done.set()
            p.kill()
            _, err = p.communicate(timeout=30)
        return ([r for r in api.requests if r.method == "POST"], err.decode("utf-8", "replace"),
                answered)


def eventbridge_event(rec):
    """A CloudTrail record as EventBridge hands it to the function."""
    return rwtest.json.dumps({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
        "account": rec["recipientAccountId"], "time": rec["eventTime"], "region": "us-east-1",
        "resources": [], "detail": rec}).encode()


def publish_through_moto(test, alias, event_id, run):
    """A root event published by the unzipped package to moto's SNS and delivered to a subscribed
    SQS queue: run(event, env) invokes the package (returning its Runtime API posts and stderr);
    asserts one response, its summary (1 record, 1 alert, 1 published) and the subject SQS got."""
    with awsfake.MotoServer() as moto:
        moto.boto3_client("iam").create_account_alias(AccountAlias=alias)
        sns, sqs = moto.boto3_client("sns"), moto.boto3_client("sqs")
        topic = sns.create_topic(Name="root-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="root-alerts")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
        env = dict(moto.env("us-east-1"), SNS_TOPIC_ARN=topic, AWS_REGION="us-east-1")
        env = {k: v for k, v in env.items() if not k.startswith("LD_")}
        posts, err = run(eventbridge_event(rwtest.record(event_id, account="123456789012")), env)
        test.assertEqual([r.url_path for r in posts],
                         ["/2018-06-01/runtime/invocation/%s/response" % REQUEST_ID], err)
        body = rwtest.json.loads(posts[0].body)
        test.assertEqual((body["records"], body["alerts"], body["published"]), (1, 1, 1), body)
        msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=2).get("Messages", [])
        test.assertEqual(len(msgs), 1, msgs)
        test.assertEqual(rwtest.json.loads(msgs[0]["Body"])["Subject"],
                         'Root API call-"CreateUser" detected in Account-"%s"' % alias)


def loader_trace_problems(stderr, root):
    """What the loader's LD_DEBUG=libs trace (stderr) shows loaded or tried outside folder root,
    from the first line that names root on (the shell's own libraries come before): a list of
    messages, empty when none; and the libraries initialised from root."""
    lines = stderr.splitlines()
    first = next((i for i, l in enumerate(lines) if root in l), None)
    if first is None:
        return ["the loader's trace never names %s" % root], []
    inits = [l.split("calling init:")[1].strip() for l in lines[first:] if "calling init:" in l]
    problems = ["loaded from outside the package: " + p for p in inits
                if not p.startswith(root + "/")]
    for l in lines[first:]:
        m = re.search(r"trying file=(\S+)", l)
        if m and not m.group(1).startswith(root + "/"):
            problems.append("tried outside the package: " + l.strip())
    return problems, inits


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rw-package-")
        cls.zip = os.path.join(cls.tmp, "rootwatch-lambda.zip")
        cls.res = rwtest.run(["package", "-o", cls.zip])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.res.returncode, 0, self.res.stderr_text)

    def test_prints_size_architecture_and_what_is_bundled(self):
        out = self.res.stdout_text
        size = os.path.getsize(self.zip)
        self.assertIn("(%d bytes)" % size, out)
        self.assertIn("architecture %s" % NATIVE, out)
        with zipfile.ZipFile(self.zip) as z:
            names = z.namelist()
        for n in names:
            self.assertRegex(out, r"\n  %s " % re.escape(n))
        self.assertEqual(names[0], "bootstrap")
        self.assertIn("bin/rootwatch", names)
        for lib in (LOADER, "libc.so.6", "libexpat.so.1", "libssl.so.3", "libcrypto.so.3"):
            self.assertIn("lib/" + lib, names)
        self.assertRegex(out, r"lib/libc\.so\.6 .*the C library \(glibc 2\.\d+\)")
        # the program is rootwatch-lambda, built beside rootwatch (issue 12): no libcurl, and none
        # of the libraries libcurl brings, nor libmicrohttpd
        lean = os.path.join(os.path.dirname(rwtest.ROOTWATCH), "rootwatch-lambda")
        self.assertRegex(out, r"\n  bin/rootwatch .*%s" % re.escape(os.path.realpath(lean)))
        for lib in ("libcurl.so.4", "libgnutls.so.30", "libldap-2.5.so.0", "libmicrohttpd.so.12"):
            self.assertNotIn("lib/" + lib, names)
        # the sanitizer build's program also needs the sanitizers' runtimes (libasan, libubsan and
        # the C++ and gcc runtimes they bring), which a release package never holds
        runtimes = ("lib/libasan.", "lib/libubsan.", "lib/libstdc++.", "lib/libgcc_s.")
        libs = [n for n in names if n.startswith("lib/")
                and not (rwtest.SANITIZED and n.startswith(runtimes))]
        self.assertLessEqual(len(libs), 12, names)
        # what ldd lists (but the vDSO) is bundled: the two ways of finding libraries agree
        ldd = subprocess.run(["ldd", lean], capture_output=True, text=True).stdout
        for line in ldd.splitlines():
            name = line.split()[0]
            if "vdso" not in name:
                self.assertIn("lib/" + os.path.basename(name), names, line)

    def test_same_build_same_bytes(self):
        other = os.path.join(self.tmp, "again.zip")
        p = rwtest.run(["package", "-q", "-o", other])
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(p.stdout_text.count("\n"), 1, p.stdout_text)  # -q: the one line
        with open(self.zip, "rb") as a, open(other, "rb") as b:
            self.assertTrue(a.read() == b.read(), "two builds of the package differ")

    def test_modes(self):
        with zipfile.ZipFile(self.zip) as z:
            for info in z.infolist():
                mode = info.external_attr >> 16
                self.assertTrue(stat.S_ISREG(mode), info.filename)
                want = 0o755 if info.filename in ("bootstrap", "bin/rootwatch", "lib/" + LOADER) else 0o644
                self.assertEqual(stat.S_IMODE(mode), want, info.filename)
                self.assertEqual(info.create_system, 3, info.filename)  # made by Unix
            self.assertIsNone(z.testzip())
        listing = subprocess.run(["unzip", "-Z", self.zip], capture_output=True, text=True).stdout
        self.assertRegex(listing, r"(?m)^-rwxr-xr-x .* bootstrap$")

    def test_symbol_versions_hold_on_glibc_2_34(self):
        self.assertEqual(version_problems(self.zip), [])

    def test_check_refuses_debian_libexpat_without_debian_libc(self):
        bad = os.path.join(self.tmp, "expat-only.zip")
        expat = os.path.realpath("/lib/%s-linux-gnu/libexpat.so.1"
                                 % ("aarch64" if NATIVE == "arm64" else "x86_64"))
        with zipfile.ZipFile(bad, "w") as z:
            z.write(expat, "lib/libexpat.so.1")
        problems = version_problems(bad)
        self.assertTrue(any("libexpat.so.1 needs GLIBC_2.36 of libc.so.6" in p for p in problems),
                        problems)
        # the real package less its C library (the loader kept) is refused too
        nolibc = os.path.join(self.tmp, "no-libc.zip")
        with zipfile.ZipFile(self.zip) as src, zipfile.ZipFile(nolibc, "w") as dst:
            for info in src.infolist():
                if info.filename not in ("lib/libc.so.6", "lib/libm.so.6"):
                    dst.writestr(info, src.read(info))
        problems = version_problems(nolibc)
        self.assertTrue(any("GLIBC_2.3" in p and "newer than glibc 2.34" in p for p in problems),
                        problems)
        # and a bootstrap that starts the program without the bundled loader
        direct = os.path.join(self.tmp, "direct.zip")
        with zipfile.ZipFile(self.zip) as src, zipfile.ZipFile(direct, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == "bootstrap":
                    data = b'#!/bin/sh\nexec "$LAMBDA_TASK_ROOT/bin/rootwatch" lambda "$@"\n'
                dst.writestr(info, data)
        self.assertTrue(any("bundled loader" in p for p in version_problems(direct)))

    def _unzipped(self):
        d = tempfile.mkdtemp(prefix="task-", dir=self.tmp)
        # unzip(1), as a user would: it restores the modes from the zip
        subprocess.run(["unzip", "-q", self.zip, "-d", d], check=True)
        self.assertTrue(os.access(os.path.join(d, "bootstrap"), os.X_OK))
        return d

    def _lambda_exists(self):
        p = rwtest.run(["lambda", "--help"])
        return "unknown command" not in p.stderr_text

    def test_starts_with_empty_library_path(self):
        d = self._unzipped()
        boot = os.path.join(d, "bootstrap")
        with open(boot) as f:
            text = f.read()
        self.assertIn(' lambda "$@"', text)
        # the same start, asking for --version: bootstrap's exec line without the command name
        version = os.path.join(d, "bootstrap-version")
        with open(version, "w") as f:
            f.write(text.replace(' lambda "$@"', ' "$@"'))
        os.chmod(version, 0o755)
        env = {"LAMBDA_TASK_ROOT": d, "LD_DEBUG": "libs"}
        p = subprocess.run([version, "--version"], env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^rootwatch \d+\.\d+")
        # the loader's trace: from the first line that names the package (the shell's own
        # libraries come before), every library loaded and every file tried is in the package
        problems, inits = loader_trace_problems(p.stderr, d)
        self.assertIn(os.path.join(d, "lib", "libc.so.6"), inits)
        self.assertIn(os.path.join(d, "lib", "libexpat.so.1"), inits)
        self.assertEqual(problems, [])
        # started from elsewhere, without LAMBDA_TASK_ROOT: it finds its folder itself
        p = subprocess.run([version, "--version"], env={}, capture_output=True, text=True,
                           cwd="/", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def _invoke(self, d, event, env):
        posts, err, answered = invoke(d, event, env)
        self.assertTrue(answered, err)
        return posts, err

    @staticmethod
    def _event(rec):
        return eventbridge_event(rec)

    def test_serves_an_invocation(self):
        if not self._lambda_exists():
            self.skipTest("rootwatch lambda does not exist yet: the start is tested with --version")
        d = self._unzipped()
        # the environment is only what Lambda sets: no library path, no PATH
        env = {"SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:%s:rootwatch" % rwtest.ACCOUNT,
               "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
               "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
        posts, err = self._invoke(d, self._event(rwtest.record("pkg-nonroot-1", who="user")), env)
        self.assertEqual([r.url_path for r in posts],
                         ["/2018-06-01/runtime/invocation/%s/response" % REQUEST_ID],
                         [(r.url_path, r.body) for r in posts])
        self.assertEqual(rwtest.json.loads(posts[0].body)["alerts"], 0, posts[0].body)

    @unittest.skipUnless(awsfake.MotoServer.available(), "moto_server is not installed")
    @unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed")
    def test_publishes_a_root_alert_from_the_package(self):
        """The bundled OpenSSL (http_lite) and expat at work: a root event published to moto's SNS,
        delivered to a subscribed SQS queue."""
        if not self._lambda_exists():
            self.skipTest("rootwatch lambda does not exist yet")
        d = self._unzipped()
        publish_through_moto(self, "acme-pkg", "pkg-root-1",
                             lambda event, env: self._invoke(d, event, env))


class PackageOptionsTest(unittest.TestCase):
    def test_other_architecture_without_a_build_says_how_to_get_one(self):
        with tempfile.TemporaryDirectory() as d:
            # a copy of the program, alone in a folder: a build of the other architecture beside
            # the build under test (../build-arm64, test_package_arm64.py) is not found from there
            os.mkdir(os.path.join(d, "bin"))
            alone = os.path.join(d, "bin", "rootwatch")
            shutil.copy2(rwtest.ROOTWATCH, alone)
            out = os.path.join(d, "x.zip")
            with unittest.mock.patch.object(rwtest, "ROOTWATCH", alone):
                p = rwtest.run(["package", "--arch", OTHER, "-o", out])
            os.unlink(alone)
            os.rmdir(os.path.join(d, "bin"))
            self.assertEqual(p.returncode, 2, p.stdout_text)
            self.assertIn("no %s build of rootwatch" % OTHER, p.stderr_text)
            self.assertIn("gcc-%s-linux-gnu" % ("aarch64" if OTHER == "arm64" else "x86-64"),
                          p.stderr_text)
            self.assertIn("docs/lambda.md", p.stderr_text)
            self.assertFalse(os.listdir(d))

    def test_foreign_binary_is_read_without_running_it(self):
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "rootwatch-arm64")
            with open(prog, "wb") as f:
                f.write(aarch64_elf())
            out = os.path.join(d, "x.zip")
            p = rwtest.run(["package", "--arch", "x86_64", "--binary", prog, "-o", out])
            self.assertEqual(p.returncode, 2)
            self.assertIn("is built for arm64, not x86_64", p.stderr_text)
            if NATIVE == "arm64" or os.path.exists("/usr/lib/aarch64-linux-gnu/libc.so.6"):
                return  # the arm64 libraries are here: nothing to miss
            p = rwtest.run(["package", "--arch", "arm64", "--binary", prog, "-o", out])
            self.assertEqual(p.returncode, 2)
            self.assertIn("ld-linux-aarch64.so.1", p.stderr_text)
            self.assertIn("not found for arm64", p.stderr_text)
            self.assertIn("dpkg --add-architecture arm64", p.stderr_text)
            self.assertFalse(os.path.exists(out))

    def test_damaged_elf_files_are_refused_not_crashed_on(self):
        """The ELF reader checks every offset against the file's size: truncated and damaged
        programs are refused with a message (exit 2), never read out of bounds (the ASan build
        runs this too)."""
        import random
        rnd = random.Random(12)
        good = aarch64_elf()
        variants = [good[:n] for n in (3, 4, 20, 63, 64, 100, 231, 232, 250, len(good) - 1)]
        for _ in range(40):
            b = bytearray(good)
            for _ in range(rnd.randint(1, 4)):
                i = rnd.randrange(16, len(b))
                b[i] = rnd.randrange(256)
            variants.append(bytes(b))
        with open(rwtest.ROOTWATCH, "rb") as f:
            real = f.read()
        variants += [real[:n] for n in (64, 4096, len(real) // 2)]
        with tempfile.TemporaryDirectory() as d:
            prog, out = os.path.join(d, "prog"), os.path.join(d, "x.zip")
            for i, v in enumerate(variants):
                with open(prog, "wb") as f:
                    f.write(v)
                p = rwtest.run(["package", "--binary", prog, "-o", out])
                self.assertIn(p.returncode, (0, 2), (i, p.stderr_text))
                if p.returncode == 2:
                    self.assertIn("rootwatch: error:", p.stderr_text, i)
                    self.assertFalse(os.path.exists(out), i)
                elif os.path.exists(out):
                    # a damage that leaves a valid program is packaged (the arm64 one too, where
                    # Debian's arm64 libraries are installed): the next variant starts afresh
                    os.unlink(out)

    def test_config_is_bundled_as_rootwatch_yaml(self):
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "notify.yaml")
            with open(conf, "w") as f:
                f.write("channels:\n  - name: out\n    type: stdout\n")
            out = os.path.join(d, "x.zip")
            p = rwtest.run(["package", "--config", conf, "-o", out])
            self.assertEqual(p.returncode, 0, p.stderr_text)
            self.assertIn("rootwatch.yaml", p.stdout_text)
            with zipfile.ZipFile(out) as z:
                info = z.getinfo("rootwatch.yaml")
                self.assertEqual(stat.S_IMODE(info.external_attr >> 16), 0o644)
                with open(conf, "rb") as f:
                    self.assertEqual(z.read(info), f.read())
            p = rwtest.run(["package", "--config", os.path.join(d, "none.yaml"), "-o", out + "2"])
            self.assertEqual(p.returncode, 2)
            self.assertIn("none.yaml", p.stderr_text)
            self.assertFalse(os.path.exists(out + "2"))

    def test_usage_errors(self):
        p = rwtest.run(["package", "--arch", "sparc"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown architecture 'sparc'", p.stderr_text)
        p = rwtest.run(["package", "extra"])
        self.assertEqual(p.returncode, 2)
        p = rwtest.run(["package", "--binary", "/nonexistent/rootwatch", "-o", "/tmp/rw-never.zip"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent/rootwatch", p.stderr_text)

    def test_help(self):
        p = rwtest.run(["package", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("--arch", p.stdout_text)


class LeanProgramTest(unittest.TestCase):
    """rootwatch-lambda, the program the package holds (issue 12): the lambda command alone, no
    libcurl, and an smtp channel (libcurl's SMTP) refused at init, naming the configuration."""

    lean = os.path.join(os.path.dirname(rwtest.ROOTWATCH), "rootwatch-lambda")

    def setUp(self):
        if not os.path.exists(self.lean):
            self.skipTest("no rootwatch-lambda beside %s" % rwtest.ROOTWATCH)

    def test_no_libcurl_and_lambda_only(self):
        needed = readelf(["-d"], self.lean)
        self.assertIn("libssl.so.3", needed)
        for lib in ("libcurl", "libmicrohttpd", "libgnutls"):
            self.assertNotIn(lib, needed)
        p = subprocess.run([self.lean, "scan", "x"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("lambda command only", p.stderr)
        p = subprocess.run([self.lean, "--version"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("no libcurl", p.stdout)

    def test_smtp_channel_is_an_init_error(self):
        d = tempfile.mkdtemp(prefix="rw-lean-")
        conf = os.path.join(d, "rootwatch.yaml")
        with open(conf, "w") as f:
            f.write("channels:\n  - name: mail\n    type: smtp\n"
                    "    url: smtps://smtp.example.com:465\n    from: rootwatch@example.com\n"
                    "    to: [ops@example.com]\n")
        env = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1", "AWS_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:root-alerts",
               "ROOTWATCH_CONFIG": conf, "ROOTWATCH_STORE": os.path.join(d, "s", "rootwatch.db"),
               "PATH": "/usr/bin:/bin"}
        p = subprocess.run([self.lean, "lambda"], env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"cannot start: ROOTWATCH_CONFIG: .*rootwatch.yaml:2:.*channel "
                                   r"mail: the smtp channel is not available in the Lambda")
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    rwtest.main()

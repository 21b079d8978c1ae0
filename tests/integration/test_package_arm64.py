"""rootwatch package --arch arm64 on an x86_64 machine, run under qemu (docs/lambda.md, "The other
architecture").

The arm64 package is written by the build under test from an arm64 build of rootwatch found where
the packager looks (../build-arm64/rootwatch-lambda beside the build under test, and the other
places of docs/lambda.md), and held to what test_package.py holds the native one to:

  - every ELF file in it is built for arm64 (AArch64), the bundled loader is
    ld-linux-aarch64.so.1 and bootstrap starts the program through it;
  - no file needs a symbol version that neither the zip provides nor, for a library not in the
    zip, glibc 2.34 does (test_package.version_problems, with readelf); the check refuses Debian's
    arm64 libexpat without Debian's arm64 libc;
  - unzipped, its bootstrap starts under qemu-aarch64 with an empty environment, the loader's own
    trace (LD_DEBUG=libs) shows every library coming from the zip, and it serves an invocation
    from a Runtime API server (a non-root event: records 1, alerts 0) and, with moto_server, a root
    event whose alert reaches SNS.

Without a binfmt_misc handler for arm64 (none in a container like the one this was written in),
bootstrap cannot exec the arm64 loader itself; so the test runs a copy of bootstrap whose exec line
is prefixed with qemu-aarch64, checked to differ from the packaged one in that one place only.

Skipped, saying why, on an arm64 machine (the native package is test_package.py's), and when an
arm64 build of rootwatch, the arm64 libraries or qemu are absent, as on a machine with only
scripts/deps.sh's packages: the test does not build rootwatch for arm64 itself (a cross build on
every run, half a minute or more); build it once as docs/lambda.md says, beside the build under
test, and again after changing the code (the test prints which program it packaged, and its age).
"""
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import zipfile

import awsfake
import rwtest
import test_package as tp

EM_AARCH64 = 183
BUILD_DIR = os.path.dirname(os.path.abspath(rwtest.ROOTWATCH))
ARM64_BUILD = os.path.normpath(os.path.join(BUILD_DIR, "..", "build-arm64"))
HOW_TO_BUILD = ("build it once, with Debian's cross toolchain (docs/lambda.md, \"The other "
                "architecture\"): cmake -S . -B %s -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake "
                "-DRW_TESTS=OFF && cmake --build %s" % (ARM64_BUILD, ARM64_BUILD))
LOADER = "lib/ld-linux-aarch64.so.1"
EXEC = 'exec "$root/%s"' % LOADER


def find_qemu():
    for name in ("qemu-aarch64", "qemu-aarch64-static"):
        path = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/local/bin")
        if path:
            return path
    return None


def elf_machine(path):
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little")


class Arm64PackageTest(unittest.TestCase):
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rw-package-arm64-")
        cls.zip = os.path.join(cls.tmp, "rootwatch-lambda-arm64.zip")
        cls.qemu = find_qemu()
        cls.res = None
        if tp.NATIVE == "arm64":
            cls.skip_reason = ("this machine is arm64: its package is the native one, tested by "
                               "test_package.py")
            return
        cls.res = rwtest.run(["package", "--arch", "arm64", "-o", cls.zip], timeout=300)
        err = cls.res.stderr_text
        if cls.res.returncode == 2 and "no arm64 build of rootwatch" in err:
            cls.skip_reason = ("no arm64 build of rootwatch beside the build under test (none in "
                               "%s); the test does not build one (a cross build on every run, "
                               "half a minute or more): %s" % (ARM64_BUILD, HOW_TO_BUILD))
        elif cls.res.returncode == 2 and "not found for arm64" in err:
            cls.skip_reason = ("the arm64 libraries are not installed (dpkg --add-architecture "
                               "arm64 and the :arm64 packages of docs/lambda.md): %s"
                               % err.strip().splitlines()[-1])
        elif cls.res.returncode == 0:
            program = [l for l in cls.res.stdout_text.splitlines() if "  bin/rootwatch " in l]
            source = program[0].rsplit(" from ", 1)[-1] if program else "?"
            age = (time.time() - os.path.getmtime(source)) / 60 if os.path.exists(source) else -1
            print("arm64 package of %s (built %.0f minutes ago), %d bytes"
                  % (source, age, os.path.getsize(cls.zip)))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        self.assertEqual(self.res.returncode, 0, self.res.stderr_text)

    def need_qemu(self):
        if not self.qemu:
            self.skipTest("qemu-aarch64 is not installed (apt-get install qemu-user-static, or "
                          "qemu-user): the arm64 package cannot be started here; its files and "
                          "symbol versions are checked without it")

    # ---- what is in the zip ----------------------------------------------------------------

    def test_every_file_is_arm64_and_started_through_the_arm64_loader(self):
        out = self.res.stdout_text
        self.assertIn("architecture arm64", out)
        self.assertIn("(%d bytes)" % os.path.getsize(self.zip), out)
        self.assertRegex(out, r"\n  bin/rootwatch .* from .*/rootwatch(-lambda)?(-arm64)?\n")
        d = tempfile.mkdtemp(prefix="files-", dir=self.tmp)
        tp.extract(self.zip, d)
        names = sorted(os.path.relpath(os.path.join(r, f), d)
                       for r, _, fs in os.walk(d) for f in fs)
        for lib in (LOADER, "lib/libc.so.6", "lib/libexpat.so.1", "lib/libssl.so.3",
                    "lib/libcrypto.so.3", "lib/libgcc_s.so.1"):
            self.assertIn(lib, names)
        self.assertNotIn("lib/ld-linux-x86-64.so.2", names)
        elves = [n for n in names if elf_machine(os.path.join(d, n)) is not None]
        self.assertEqual(sorted(elves), sorted(n for n in names if n.startswith(("bin/", "lib/"))))
        for n in elves:
            self.assertEqual(elf_machine(os.path.join(d, n)), EM_AARCH64, n)
        with open(os.path.join(d, "bootstrap")) as f:
            self.assertIn(EXEC + ' --inhibit-cache --library-path "$root/lib" "$root/bin/rootwatch" '
                          'lambda "$@"', f.read())

    def test_symbol_versions_hold_on_glibc_2_34(self):
        self.assertEqual(tp.version_problems(self.zip), [])

    def test_check_refuses_arm64_libexpat_without_arm64_libc(self):
        """The test's own check sees arm64 files as it sees the native ones: Debian's arm64
        libexpat needs arc4random_buf@GLIBC_2.36 too."""
        bad = os.path.join(self.tmp, "expat-only.zip")
        with zipfile.ZipFile(self.zip) as src, zipfile.ZipFile(bad, "w") as dst:
            dst.writestr("lib/libexpat.so.1", src.read("lib/libexpat.so.1"))
        problems = tp.version_problems(bad)
        self.assertTrue(any("libexpat.so.1 needs GLIBC_2.36 of libc.so.6" in p for p in problems),
                        problems)

    # ---- started under qemu ----------------------------------------------------------------

    def unzipped_for_qemu(self):
        """The package unzipped, with bootstrap-qemu beside bootstrap: the same script but for its
        exec line, which runs the bundled loader under qemu (binfmt_misc would do that for the
        packaged bootstrap, where it is registered)."""
        d = tempfile.mkdtemp(prefix="task-", dir=self.tmp)
        tp.extract(self.zip, d)
        boot = os.path.join(d, "bootstrap")
        self.assertTrue(os.access(boot, os.X_OK))
        with open(boot) as f:
            text = f.read()
        self.assertEqual(text.count(EXEC), 1, text)
        qtext = text.replace(EXEC, 'exec "%s" "$root/%s"' % (self.qemu, LOADER))
        old, new = text.splitlines(), qtext.splitlines()
        self.assertEqual(len(old), len(new))
        self.assertEqual([i for i, (a, b) in enumerate(zip(old, new)) if a != b],
                         [i for i, l in enumerate(old) if l.startswith(EXEC)])
        qboot = os.path.join(d, "bootstrap-qemu")
        with open(qboot, "w") as f:
            f.write(qtext)
        os.chmod(qboot, 0o755)
        return d, qboot, qtext

    def test_starts_under_qemu_with_empty_environment(self):
        self.need_qemu()
        d, _, qtext = self.unzipped_for_qemu()
        # bootstrap's start, asking for --version (as test_package.py does for the native one)
        version = os.path.join(d, "bootstrap-version")
        with open(version, "w") as f:
            f.write(qtext.replace(' lambda "$@"', ' "$@"'))
        os.chmod(version, 0o755)
        p = subprocess.run([version, "--version"], env={"LAMBDA_TASK_ROOT": d, "LD_DEBUG": "libs"},
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^rootwatch \d+\.\d+")
        problems, inits = tp.loader_trace_problems(p.stderr, d)
        self.assertEqual(problems, [])
        for lib in ("ld-linux-aarch64.so.1", "libc.so.6", "libexpat.so.1", "libssl.so.3",
                    "libcrypto.so.3", "libsqlite3.so.0"):
            self.assertIn(os.path.join(d, "lib", lib), inits)
        self.assertIn("transferring control: %s" % os.path.join(d, "bin", "rootwatch"), p.stderr)
        # started from elsewhere, without LAMBDA_TASK_ROOT or any other variable
        p = subprocess.run([version, "--version"], env={}, capture_output=True, text=True,
                           cwd="/", timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^rootwatch \d+\.\d+")

    def test_serves_an_invocation_under_qemu(self):
        self.need_qemu()
        d, qboot, _ = self.unzipped_for_qemu()
        # what Lambda sets (and the test's store, in d): no library path, no PATH
        env = {"SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:%s:rootwatch" % rwtest.ACCOUNT,
               "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
               "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
        posts, err, answered = tp.invoke(
            d, tp.eventbridge_event(rwtest.record("pkg-arm64-nonroot-1", who="user")), env,
            boot=qboot, wait=120)
        self.assertTrue(answered, err)
        self.assertEqual([r.url_path for r in posts],
                         ["/2018-06-01/runtime/invocation/%s/response" % tp.REQUEST_ID],
                         [(r.url_path, r.body) for r in posts])
        body = rwtest.json.loads(posts[0].body)
        self.assertEqual((body["records"], body["alerts"]), (1, 0), body)

    @unittest.skipUnless(awsfake.MotoServer.available(), "moto_server is not installed")
    @unittest.skipUnless(awsfake.boto3_available(), "boto3 is not installed")
    def test_publishes_a_root_alert_under_qemu(self):
        """The arm64 OpenSSL (signing) and expat (SNS's XML answer) at work: a root event
        published to moto's SNS, delivered to a subscribed SQS queue."""
        self.need_qemu()
        d, qboot, _ = self.unzipped_for_qemu()

        def run(event, env):
            posts, err, answered = tp.invoke(d, event, env, boot=qboot, wait=120)
            self.assertTrue(answered, err)
            return posts, err

        tp.publish_through_moto(self, "acme-arm64", "pkg-arm64-root-1", run)


if __name__ == "__main__":
    rwtest.main()

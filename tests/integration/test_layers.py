"""The layer check (cmake/check_layers.cmake, rules RW_LAYERS in CMakeLists.txt): the build fails,
naming the file and the rule, when a module includes a header of a module it may not use, when a
file of src/aws includes one above it in RW_FILE_ORDER_aws, or when a module's library uses a
symbol of a module it may not use; the real tree passes."""
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

import rwtest

REPO = rwtest.REPO
SCRIPT = os.path.join(REPO, "cmake", "check_layers.cmake")
CMAKE = shutil.which("cmake")


def run(args, cwd=None, timeout=300):
    p = subprocess.run(args, cwd=cwd, capture_output=True, timeout=timeout)
    p.out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    return p


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


RULES = """\
set(RW_LAYERS "util:;aws: util;store: util;report: util;notify: aws store util;main: notify")
set(RW_FILE_ORDER_aws "creds;provider;client;chain")
"""


@unittest.skipUnless(CMAKE, "cmake is not installed")
class FakeTree(unittest.TestCase):
    """The checker run by hand on small trees with rules of their own."""

    def setUp(self):
        os.makedirs(rwtest.WORK, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="layers-", dir=rwtest.WORK)
        self.src = os.path.join(self.dir, "src")
        self.rules = os.path.join(self.dir, "rules.cmake")
        write(self.rules, RULES)
        write(os.path.join(self.src, "util/buf.h"), '#include <stddef.h>\n')
        write(os.path.join(self.src, "aws/creds.h"), '#include "util/buf.h"\n')
        write(os.path.join(self.src, "aws/provider.h"), '#include "aws/creds.h"\n')
        write(os.path.join(self.src, "aws/client.c"), '#include "aws/provider.h"\n#include "util/buf.h"\n')
        write(os.path.join(self.src, "aws/chain.c"), '#include "aws/client.h"\n')
        write(os.path.join(self.src, "aws/s3.c"), '#include "aws/chain.h"\n')
        write(os.path.join(self.src, "store/store.c"), '#include <sqlite3.h>\n#include "util/buf.h"\n')
        write(os.path.join(self.src, "notify/notify.c"),
              '#include "aws/client.h"\n#include "store/store.h"\n#include "util/buf.h"\n')
        write(os.path.join(self.src, "main.c"), '#include "notify/notify.h"\n')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self, mode="includes", rules=None, **defs):
        args = [CMAKE, "-DRW_LAYERS_FILE=" + (rules or self.rules), "-DMODE=" + mode,
                "-DSRC=" + self.src, "-DSTAMP=" + os.path.join(self.dir, "stamp")]
        args += ["-D%s=%s" % kv for kv in defs.items()]
        return run(args + ["-P", SCRIPT])

    def plant(self, rel, line):
        with open(os.path.join(self.src, rel), "a") as f:
            f.write(line + "\n")

    def assert_fails(self, p, *lines):
        self.assertNotEqual(p.returncode, 0, p.out)
        for line in lines:
            self.assertIn(line, p.out)
        self.assertIn("the wrong way", p.out)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "stamp")))

    def test_clean_tree_passes_and_stamps(self):
        p = self.check()
        self.assertEqual(p.returncode, 0, p.out)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "stamp")))

    def test_upward_include_named_with_file_line_and_rule(self):
        self.plant("aws/s3.c", '#include "notify/notify.h"')
        self.plant("util/buf.h", '#include "aws/creds.h"')
        self.plant("store/store.c", '#include "aws/creds.h"')
        p = self.check()
        self.assert_fails(p, "src/aws/s3.c:2 includes notify/notify.h: aws may use only util",
                          "src/util/buf.h:2 includes aws/creds.h: util may use no other module",
                          "src/store/store.c:3 includes aws/creds.h: store may use only util",
                          "3 dependencies point the wrong way")

    def test_main_and_a_sideways_arrow(self):
        self.plant("main.c", '#include "aws/client.h"')
        self.plant("notify/notify.c", '#include "report/table.h"')
        p = self.check()
        self.assert_fails(p, "src/main.c:2 includes aws/client.h: main may use only notify",
                          "src/notify/notify.c:4 includes report/table.h: notify may use only aws, "
                          "store and util")
        self.assertNotIn("src/aws/", p.out)

    def test_angle_brackets_and_relative_paths_count(self):
        self.plant("aws/client.c", "#include <notify/notify.h>")
        write(os.path.join(self.src, "notify/notify.h"), "")
        self.plant("aws/s3.c", '#include "../notify/notify.h"')
        p = self.check()
        self.assert_fails(p, "src/aws/client.c:3 includes notify/notify.h: aws may use only util",
                          "src/aws/s3.c:2 includes notify/notify.h: aws may use only util")

    def test_unknown_module(self):
        write(os.path.join(self.src, "extra/x.c"), "")
        self.plant("aws/s3.c", '#include "nowhere/x.h"')
        p = self.check()
        self.assert_fails(p, "src/extra/ is not a module",
                          "src/aws/s3.c:2 includes nowhere/x.h: nowhere is not a module of src/")

    def test_file_order_within_a_module(self):
        self.plant("aws/client.c", '#include "aws/chain.h"')
        self.plant("aws/provider.h", '#include "aws/s3.h"')
        p = self.check()
        self.assert_fails(
            p,
            "src/aws/client.c:3 includes aws/chain.h: in aws, client may use only creds, provider, "
            "client (RW_FILE_ORDER_aws in CMakeLists.txt)",
            "src/aws/provider.h:2 includes aws/s3.h: in aws, provider may use only creds, provider")
        # a file no level names is above them all: s3.c may include anything of aws
        self.assertNotIn("src/aws/s3.c", p.out)

    def test_rules_must_point_down(self):
        bad = os.path.join(self.dir, "bad.cmake")
        write(bad, 'set(RW_LAYERS "util: aws;aws: util")\n')
        p = self.check(rules=bad)
        self.assertNotEqual(p.returncode, 0, p.out)
        self.assertIn("RW_LAYERS: util may use aws, which is not below it", p.out)
        write(bad, 'set(RW_LAYERS "util:;aws: util aws")\n')
        p = self.check(rules=bad)
        self.assertNotEqual(p.returncode, 0, p.out)
        self.assertIn("RW_LAYERS: aws may not use itself", p.out)

    @unittest.skipUnless(shutil.which("cc") and shutil.which("ar") and shutil.which("nm"),
                         "cc, ar or nm is missing")
    def test_links_upward_symbol(self):
        """A call through a local declaration has no include to catch: the libraries' symbols do."""
        objs = os.path.join(self.dir, "obj")
        os.makedirs(objs)
        srcs = {
            "util": {"buf.c": "int rw_buf_init(void) { return 0; }\n"},
            "aws": {"client.c": "int rw_buf_init(void);\nint rw_notify_send(void);\n"
                                "int rw_aws_call(void) { return rw_buf_init() + rw_notify_send(); }\n"},
            "store": {"store.c": "int rw_store_put(void) { return 1; }\n"},
            "notify": {"notify.c": "int rw_aws_call(void);\nint rw_store_put(void);\n"
                                   "int rw_notify_send(void) { return rw_aws_call() + rw_store_put(); }\n"},
        }
        archives = []
        for mod, files in srcs.items():
            members = []
            for name, text in files.items():
                c = os.path.join(self.src, mod, name)
                write(c, text)
                o = os.path.join(objs, name + ".o")
                p = run(["cc", "-c", "-o", o, c])
                self.assertEqual(p.returncode, 0, p.out)
                members.append(o)
            lib = os.path.join(objs, "librw_%s.a" % mod)
            p = run(["ar", "rcs", lib] + members)
            self.assertEqual(p.returncode, 0, p.out)
            archives.append("%s=%s" % (mod, lib))
        p = self.check("links", NM=shutil.which("nm"), ARCHIVES=";".join(archives))
        self.assert_fails(p, "src/aws/client.c uses rw_notify_send, defined in notify: aws may use only util")
        self.assertNotIn("rw_buf_init", p.out)
        self.assertNotIn("notify.c", p.out)
        self.assertIn("1 dependency points the wrong way", p.out)


@unittest.skipUnless(CMAKE, "cmake is not installed")
class RealTree(unittest.TestCase):
    """A copy of the project, configured as a user would: the build's own check target passes on
    the real tree and fails when an upward include is planted."""

    @classmethod
    def setUpClass(cls):
        os.makedirs(rwtest.WORK, exist_ok=True)
        cls.dir = tempfile.mkdtemp(prefix="layers-real-", dir=rwtest.WORK)
        cls.top = os.path.join(cls.dir, "project")
        os.makedirs(cls.top)
        shutil.copy(os.path.join(REPO, "CMakeLists.txt"), cls.top)
        shutil.copytree(os.path.join(REPO, "cmake"), os.path.join(cls.top, "cmake"))
        shutil.copytree(os.path.join(REPO, "src"), os.path.join(cls.top, "src"))
        cls.build = os.path.join(cls.dir, "build")
        p = run([CMAKE, "-S", cls.top, "-B", cls.build, "-DRW_TESTS=OFF", "-DRW_FUZZ=OFF",
                 "-DRW_SANITIZE=OFF"])
        if p.returncode != 0:
            raise AssertionError("configuring a copy of the project failed:\n" + p.out[-4000:])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def build_check(self):
        return run([CMAKE, "--build", self.build, "--target", "rw_layers_includes"])

    def planted(self, rel, after, line):
        """Inserts line after the first line starting with after; returns a function that undoes it."""
        path = os.path.join(self.top, "src", rel)
        with open(path) as f:
            original = f.read()
        lines = original.split("\n")
        at = next(i for i, l in enumerate(lines) if l.startswith(after))
        lines.insert(at + 1, line)
        with open(path, "w") as f:
            f.write("\n".join(lines))

        def undo():
            with open(path, "w") as f:
                f.write(original)
        self.addCleanup(undo)
        return at + 2, undo

    def test_real_tree_passes_then_planted_include_fails_the_build(self):
        p = self.build_check()
        self.assertEqual(p.returncode, 0, p.out[-4000:])
        lineno, undo = self.planted("aws/s3.c", "#include", '#include "notify/notify.h"')
        p = self.build_check()
        self.assertNotEqual(p.returncode, 0, p.out[-4000:])
        self.assertIn("src/aws/s3.c:%d includes notify/notify.h: aws may use only util" % lineno, p.out)
        # it keeps failing until the include goes (no stamp was left behind)
        p = self.build_check()
        self.assertNotEqual(p.returncode, 0, p.out[-4000:])
        undo()
        p = self.build_check()
        self.assertEqual(p.returncode, 0, p.out[-4000:])

    def test_aws_client_may_not_include_the_chain(self):
        lineno, _ = self.planted("aws/client.c", "#include", '#include "aws/provider_chain.h"')
        p = self.build_check()
        self.assertNotEqual(p.returncode, 0, p.out[-4000:])
        self.assertIn("src/aws/client.c:%d includes aws/provider_chain.h: in aws, client may use only "
                      % lineno, p.out)

    def test_util_may_not_include_aws(self):
        lineno, _ = self.planted("util/http.h", "#include", '#include "aws/sigv4.h"')
        p = self.build_check()
        self.assertNotEqual(p.returncode, 0, p.out[-4000:])
        self.assertIn("src/util/http.h:%d includes aws/sigv4.h: util may use no other module" % lineno,
                      p.out)


if __name__ == "__main__":
    rwtest.main()

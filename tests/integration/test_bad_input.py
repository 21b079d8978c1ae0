"""rootwatch scan on damaged, odd and hostile input.

Each case is checked the way a user would check it: rootwatch does not crash or hang (every run
has a time limit), it says on standard error which file is bad and at which byte (rootwatch:
error: PATH: [decompressed] byte N: message), every other input given in the same run is still
read and its root activity still reported, and the exit status is 2. Good files sit before and
after the bad one in every run. Inputs are generated here, in a temporary folder; the large ones
are streamed through a pipe and never written whole."""
import gzip
import json
import os
import re
import random
import shutil
import subprocess
import tempfile
import unittest
import zlib

import rwtest

SLOW = 5 if rwtest.SANITIZED else 1
TIMEOUT = 60 * SLOW
BIG = (64 << 20) if rwtest.SANITIZED else (200 << 20)  # larger than the 16 MiB record limit
RSS_LIMIT_KB = 150 * 1024
DEEP = 100000

def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


def records_text(recs, head='{"Records":[', tail="]}"):
    """The text of a trail file, and where each record starts and ends in it."""
    parts, spans, pos = [head], [], len(head)
    for i, rec in enumerate(recs):
        if i:
            parts.append(",")
            pos += 1
        t = dumps(rec)
        spans.append((pos, pos + len(t)))
        parts.append(t)
        pos += len(t)
    parts.append(tail)
    return "".join(parts).encode(), spans


def big_record_chunks(root, size, ndjson=False):
    """A record of about size bytes, as chunks: a requestParameters string of 'x' holds the bulk."""
    rec = rwtest.record("big-record", who="root" if root else "user",
                        requestParameters={"policyDocument": "@BULK@"})
    if not root:
        rec["userIdentity"]["userName"] = "bulk-user"
    head, tail = dumps(rec).split("@BULK@")
    if not ndjson:
        head, tail = '{"Records":[' + head, tail + "]}"
    block = b"x" * (1 << 20)

    def gen():
        yield head.encode()
        for _ in range(size >> 20):
            yield block
        yield tail.encode()

    return gen


class BadInput(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rw-bad-input-")
        self.addCleanup(self.cleanup)
        # a good file before the bad one and another after it, each with one root event (and an
        # ordinary one that must not alert)
        self.before = self.write("before.json", rwtest.trail_bytes(
            [rwtest.record("ordinary-before", who="user"), rwtest.record("good-before")]))
        self.after = self.write("after.json.gz", gzip.compress(rwtest.trail_bytes(
            [rwtest.record("good-after", region="eu-west-1"), rwtest.record("ordinary-after", who="role")])))

    def cleanup(self):
        for root, dirs, files in os.walk(self.dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def scan_beside(self, bad, stdin=None, args=(), rc=2, measured=False, run_kw=None, blame=None):
        """Scans before.json, the bad input, after.json.gz; checks the exit status, that both good
        files' root events are reported (and nothing else from them), and that only the bad input
        (or blame, a file in it) is blamed. Returns (process, eventIDs reported, [(offset, message)]
        for the bad input)."""
        argv = ["scan", "-f", "ndjson", *args, self.before, bad, self.after]
        if measured:
            p = rwtest.run_measured(argv, stdin=stdin, timeout=TIMEOUT, **(run_kw or {}))
        else:
            p = rwtest.run(argv, stdin=stdin, timeout=TIMEOUT)
        self.assertEqual(p.returncode, rc, p.stderr_text[-3000:])
        ids = [a["eventID"] for a in rwtest.ndjson(p.stdout_text)]
        self.assertIn("good-before", ids, "the file before the bad one was read")
        self.assertIn("good-after", ids, "the file after the bad one was read")
        self.assertNotIn("ordinary-before", ids)
        self.assertNotIn("ordinary-after", ids)
        shown = blame or ("(standard input)" if bad == "-" else bad)
        probs = rwtest.problems(p.stderr_text)
        others = [x for x in probs if x[0] != shown]
        self.assertEqual(others, [], "only the bad input is blamed:\n" + p.stderr_text[-3000:])
        mine = [(off, msg) for path, off, msg in probs if path == shown]
        if rc == 2:
            self.assertTrue(mine, "an error names %s:\n%s" % (shown, p.stderr_text[-3000:]))
        return p, ids, mine

    def assert_offsets(self, mine):
        located = [(o, m) for o, m in mine if not m.endswith("more problems not shown")]
        self.assertTrue(located)
        self.assertTrue(all(o is not None for o, _ in located), "every error gives a byte offset: %s" % mine)

    # ---- gzip ---------------------------------------------------------------------------------

    def gz_trail(self, n=300):
        recs = [rwtest.record("gz-root-%03d" % i) if i % 3 == 0 else
                rwtest.record("gz-user-%03d" % i, who="user") for i in range(n)]
        body, spans = records_text(recs)
        return recs, body, spans, gzip.compress(body, 6)

    def test_truncated_gzip(self):
        recs, body, spans, gz = self.gz_trail()
        for name, keep in [("in the header", 5), ("early", 40), ("half way", len(gz) // 2),
                           ("in the trailer", len(gz) - 4)]:
            cut = gz[:keep]
            # what can be had back from the bytes that are there
            avail = len(zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut))
            whole = [i for i, (s, e) in enumerate(spans) if e <= avail]
            expected = {recs[i]["eventID"] for i in whole if recs[i]["userIdentity"]["type"] == "Root"}
            first_cut = len(whole)  # the record the cut falls in, if any
            for via in ("file", "stdin"):
                with self.subTest(cut=name, via=via):
                    if via == "file":
                        p, ids, mine = self.scan_beside(self.write("trunc.json.gz", cut))
                    else:
                        p, ids, mine = self.scan_beside("-", stdin=cut)
                    self.assertEqual({i for i in ids if i.startswith("gz-")}, expected,
                                     "every record before the cut is reported, and no other")
                    self.assert_offsets(mine)
                    self.assertIn("decompressed byte", p.stderr_text)
                    self.assertTrue(any("truncated" in m for _, m in mine), mine)
                    if first_cut < len(spans) and avail > spans[first_cut][0]:
                        self.assertIn(spans[first_cut][0], [o for o, _ in mine],
                                      "the incomplete record is located")

    def test_corrupt_gzip(self):
        recs, body, spans, gz = self.gz_trail()
        roots = {r["eventID"] for r in recs if r["userIdentity"]["type"] == "Root"}
        mid = bytearray(gz)
        mid[len(gz) // 2:len(gz) // 2 + 40] = b"\x55" * 40
        crc = bytearray(gz)
        crc[-8] ^= 0xFF
        method = bytearray(gz)
        method[2] = 9
        rng = random.Random(7)
        noise = b"\x1f\x8b" + bytes(rng.getrandbits(8) for _ in range(4096))
        for name, data in [("damaged deflate data", mid), ("wrong CRC", crc),
                           ("unknown method", method), ("gzip magic then noise", noise)]:
            with self.subTest(case=name):
                p, ids, mine = self.scan_beside(self.write("corrupt.json.gz", bytes(data)))
                self.assert_offsets(mine)
                self.assertTrue(any("gzip" in m for _, m in mine), mine)
                mine_ids = {i for i in ids if i.startswith("gz-")}
                self.assertLessEqual(mine_ids, roots, "nothing is made up from damaged data")
                if name == "wrong CRC":  # every byte came out: all is reported, and the damage too
                    self.assertEqual(mine_ids, roots)
                    gzip_errors = [o for o, m in mine if "gzip" in m]
                    self.assertEqual(gzip_errors, [len(body)], "located at the end of the data")

    def test_trailing_garbage_after_gzip(self):
        recs, body, spans, gz = self.gz_trail()
        roots = {r["eventID"] for r in recs if r["userIdentity"]["type"] == "Root"}
        for name, tail in [("text", b"this is not gzip\n"), ("zero padding", b"\0" * 512),
                           ("half a gzip header", b"\x1f")]:
            for via in ("file", "stdin"):
                with self.subTest(tail=name, via=via):
                    data = gz + tail
                    if via == "file":
                        p, ids, mine = self.scan_beside(self.write("garbage.json.gz", data))
                    else:
                        p, ids, mine = self.scan_beside("-", stdin=data)
                    self.assertEqual({i for i in ids if i.startswith("gz-")}, roots)
                    self.assert_offsets(mine)
                    self.assertTrue(any("after the end of the gzip stream" in m or "truncated" in m
                                        for _, m in mine), mine)
                    self.assertIn(len(body), [o for o, _ in mine], "located where the data ends")

    # ---- malformed JSON -----------------------------------------------------------------------

    def test_malformed_record_in_records_array(self):
        # a record whose structure is sound but whose JSON is not (a bad literal, a missing ':'):
        # it is located, and the records after it are still read
        good1, good2 = rwtest.record("array-root-1"), rwtest.record("array-root-2")
        bad_lit = dumps(rwtest.record("array-bad-1")).replace('"readOnly":false', '"readOnly":fals')
        bad_colon = dumps(rwtest.record("array-bad-2")).replace('"eventName":', '"eventName" ')
        for name, bad in [("bad literal", bad_lit), ("missing colon", bad_colon)]:
            with self.subTest(case=name):
                head = '{"Records":[' + dumps(good1) + ","
                text = head + bad + "," + dumps(good2) + "]}"
                p, ids, mine = self.scan_beside(self.write("malformed.json", text.encode()))
                self.assertIn("array-root-1", ids)
                self.assertIn("array-root-2", ids, "the record after the bad one is read")
                self.assertFalse([i for i in ids if i.startswith("array-bad")])
                self.assert_offsets(mine)
                start, end = len(head), len(head) + len(bad)
                self.assertTrue(any(start <= o < end and "malformed" in m for o, m in mine), mine)

    def test_broken_structure_in_records_array(self):
        # a break the array cannot be delimited past (a missing comma between records): the
        # records before it are reported, the error is located and says the rest is not read
        good1, good2 = rwtest.record("struct-root-1"), rwtest.record("struct-root-2")
        head = '{"Records":[' + dumps(good1)
        text = head + " " + dumps(good2) + "]}"
        p, ids, mine = self.scan_beside(self.write("nocomma.json", text.encode()))
        self.assertIn("struct-root-1", ids)
        self.assert_offsets(mine)
        self.assertEqual([o for o, _ in mine], [len(head) + 1])
        self.assertIn("not read", mine[0][1])

    def test_malformed_ndjson_lines(self):
        # in NDJSON a bad line costs that line only: the lines after it are still read
        lines, bad_starts = [], []

        def add(text, bad=False):
            start = sum(len(x) + 1 for x in lines)
            if bad:
                bad_starts.append(start)
            lines.append(text)

        add(dumps(rwtest.record("nd-root-1")))
        add(dumps(rwtest.record("nd-bad-literal")).replace('"readOnly":false', '"readOnly":nul'), True)
        add(dumps(rwtest.record("nd-root-2")))
        add("this line is not JSON at all", True)
        add(dumps(rwtest.record("nd-root-3")))
        add(dumps(rwtest.record("nd-cut"))[:150], True)  # cut inside a string of userIdentity
        add(dumps(rwtest.record("nd-root-4")))
        add(dumps(rwtest.record("nd-no-brace"))[:-1], True)  # the closing brace is missing
        add(dumps(rwtest.record("nd-root-5")))
        add(dumps(rwtest.record("nd-cut-2"))[:40], True)  # cut inside "eventVersion"
        add(dumps(rwtest.record("nd-root-6")))
        data = ("\n".join(lines) + "\n").encode()
        p, ids, mine = self.scan_beside(self.write("lines.ndjson", data))
        self.assertEqual([i for i in ids if i.startswith("nd-")],
                         ["nd-root-%d" % k for k in range(1, 7)], p.stderr_text)
        self.assert_offsets(mine)
        for start, end in zip(bad_starts, [data.index(b"\n", s) for s in bad_starts]):
            self.assertTrue(any(start <= o <= end for o, _ in mine),
                            "the bad line at byte %d is located: %s" % (start, mine))
        for o, _ in mine:
            self.assertTrue(any(s <= o <= data.index(b"\n", s) for s in bad_starts),
                            "no good line is blamed: %s" % mine)

    def test_ndjson_first_line_cut(self):
        # a file that starts in the middle of a line (log rotation, a partial copy, tail -c): the
        # lines after it are read, and the cut line is reported, named or found in a folder
        full = dumps(rwtest.record("first-cut"))
        rest = [dumps(rwtest.record("after-cut-1")), dumps(rwtest.record("after-cut-2"))]
        for name, head in [("cut in a string", full[200:]), ("cut before a nested object",
                                                            full[full.index('{"type"'):]),
                           ("a line that is not JSON", "not json")]:
            data = ("\n".join([head] + rest) + "\n").encode()
            for where in ("named", "in a folder"):
                with self.subTest(case=name, where=where):
                    path = self.write(os.path.join("cut", "part.ndjson"), data)
                    p, ids, mine = self.scan_beside(path if where == "named" else os.path.dirname(path),
                                                    blame=path)
                    self.assertIn("after-cut-1", ids)
                    self.assertIn("after-cut-2", ids)
                    self.assertEqual([o for o, _ in mine], [0], p.stderr_text)
                    self.assertIn("line 1 is not a CloudTrail record", mine[0][1])

    def test_ndjson_line_cut_anywhere(self):
        # a line cut at any byte (a partial write, a truncated copy) never takes the next line
        # with it, whatever the NDJSON flavour: plain records, EventBridge events, CloudWatch Logs
        # lines with a timestamp before each record
        def eb(rec):
            return {"version": "0", "id": "e-" + rec["eventID"], "detail-type": "AWS API Call via CloudTrail",
                    "source": "aws.iam", "account": rec["recipientAccountId"], "time": rec["eventTime"],
                    "region": rec["awsRegion"], "resources": [], "detail": rec}

        flavours = {"records": (lambda r: dumps(r)),
                    "eventbridge": (lambda r: dumps(eb(r))),
                    "cloudwatch": (lambda r: "2026-11-20T10:00:00.123Z " + dumps(r))}
        step = 13 * SLOW
        for flavour, line in flavours.items():
            cut_line = line(rwtest.record("cut-victim"))
            failures = []
            for k in range(1, len(cut_line), step):
                data = "\n".join([line(rwtest.record("cut-first")), cut_line[:k],
                                  line(rwtest.record("cut-next"))]) + "\n"
                p = rwtest.run(["scan", "-q", "-f", "ndjson", "-"], stdin=data.encode(), timeout=TIMEOUT)
                ids = [a["eventID"] for a in rwtest.ndjson(p.stdout_text)]
                probs = rwtest.problems(p.stderr_text)
                start = len(line(rwtest.record("cut-first"))) + 1
                if (p.returncode != 2 or ids != ["cut-first", "cut-next"] or not probs or
                        any(o is None or not start <= o <= start + k for _, o, _ in probs)):
                    failures.append((k, cut_line[max(0, k - 12):k], p.returncode, ids, p.stderr_text[:300]))
            with self.subTest(flavour=flavour):
                self.assertEqual(failures, [], "cut points that lose the next line or blame it")

    # ---- lines that are not records -----------------------------------------------------------

    @staticmethod
    def lower_keys(rec):
        return dumps(rec).replace('"eventName"', '"eventname"').replace(
            '"userIdentity"', '"useridentity"').replace('"eventVersion"', '"eventversion"')

    def ndjson_with_junk(self, junk_first):
        """An NDJSON file of 125 records, 12 of them root activity, and lines that are not records
        (two with lower-case member names, one of them root activity, and a line of text; blank
        lines between) first or last. Returns (data, the root eventIDs, [(offset, line number) of
        each line that is not a record])."""
        junk = [self.lower_keys(rwtest.record("lc-root")), self.lower_keys(rwtest.record("lc-user", who="user")),
                "", "a line of text, not JSON", "   "]
        recs = [rwtest.record("nd-root-%03d" % i) if i % 10 == 5 else rwtest.record("nd-user-%03d" % i, who="user")
                for i in range(125)]
        lines = (junk + [dumps(r) for r in recs]) if junk_first else ([dumps(r) for r in recs] + junk)
        data, spans, pos = b"", [], 0
        for n, line in enumerate(lines, 1):
            if line in junk and line.strip():
                spans.append((pos, n))
            data += line.encode() + b"\n"
            pos = len(data)
        return data, [r["eventID"] for r in recs if r["eventID"].startswith("nd-root")], spans

    def test_ndjson_lines_that_are_not_records_first(self):
        # issue 15, defect 7: the first two lines decided that the whole file was not CloudTrail
        # and none of its 12 root events was found. Now each line is judged: those that are not
        # records are problems (file, byte, line number), the others are read, wherever they are.
        for first in (True, False):
            with self.subTest(junk_first=first):
                data, roots, spans = self.ndjson_with_junk(first)
                p, ids, mine = self.scan_beside(self.write("lines.ndjson", data))
                self.assertEqual([i for i in ids if i.startswith("nd-")], roots, p.stderr_text)
                self.assertEqual(len(roots), 12)
                self.assertNotIn("lc-root", ids, "a line that is not a record is not alerted")
                self.assertEqual([o for o, _ in mine], [o for o, _ in spans], p.stderr_text)
                for (o, m), (_, n) in zip(mine, spans):
                    if first:  # held until the first record, then named with their line numbers
                        self.assertIn("line %d is not a CloudTrail record" % n, m)
                    else:
                        self.assertTrue("not a CloudTrail record" in m or "malformed" in m, m)
                self.assertIn("may be root activity", mine[0][1], "the root-looking line says so")
                self.assertIn("3 files read (3 CloudTrail (1 with problems), 0 failed)", p.stderr_text,
                              "read, with problems: not failed")

    def test_only_lines_that_are_not_records(self):
        # a file none of whose lines is a record is not CloudTrail: said when named, skipped and
        # counted in a folder; never counted as failed
        data, _, _ = self.ndjson_with_junk(True)
        only = b"\n".join(x for x in data.split(b"\n") if not x.startswith(b'{"eventVersion"')) + b"\n"
        self.assertIn(b"eventversion", only)
        with self.subTest(where="named"):
            path = self.write("junk.ndjson", only)
            p, ids, mine = self.scan_beside(path)
            self.assertEqual(mine, [(None, "not CloudTrail data (no CloudTrail records, EventBridge "
                                           "events or LookupEvents response found)")])
            self.assertIn("(2 CloudTrail, 1 not CloudTrail skipped, 0 failed)", p.stderr_text)
        with self.subTest(where="in a folder"):
            folder = os.path.join(self.dir, "junk-folder")
            self.write("junk-folder/junk.ndjson", only)
            p, ids, mine = self.scan_beside(folder, rc=1)
            self.assertEqual(mine, [])
            self.assertIn("(2 CloudTrail, 1 not CloudTrail skipped, 0 failed)", p.stderr_text)

    def test_record_problems_do_not_fail_the_file(self):
        # a root record without an eventTime, or with one that is not a time, is read, alerted and
        # reported; the file is not counted as failed (it was read whole), the exit status is 2
        recs = [rwtest.record("no-time", eventTime=None), rwtest.record("bad-time", eventTime="yesterday"),
                rwtest.record("fine")]
        body, spans = records_text(recs)
        p, ids, mine = self.scan_beside(self.write("times.json", body))
        self.assertEqual([i for i in ids if i in ("no-time", "bad-time", "fine")], ["no-time", "bad-time", "fine"])
        self.assertTrue(any(o == spans[0][0] and "eventTime" in m for o, m in mine), mine)
        self.assertTrue(any(o == spans[1][0] and "eventTime" in m for o, m in mine), mine)
        self.assertIn("3 files read (3 CloudTrail (1 with problems), 0 failed)", p.stderr_text)
        self.assertNotIn("1 failed", p.stderr_text)

    def test_records_that_are_not_objects(self):
        root = rwtest.record("not-obj-root")
        elems = ["1", '"Root"', "[1,2,3]", "null", "true", '{"Records":"x"}']
        head = '{"Records":['
        text, starts, pos = head, [], len(head)
        for e in elems:
            starts.append(pos)
            text += e + ","
            pos += len(e) + 1
        text += dumps(root) + "]}"
        p, ids, mine = self.scan_beside(self.write("notobj.json", text.encode()))
        self.assertIn("not-obj-root", ids)
        self.assert_offsets(mine)
        for s in starts[:5]:
            self.assertIn(s, [o for o, _ in mine], "each element that is not an object is located")
        # and as NDJSON lines
        first = dumps(rwtest.record("not-obj-nd-1"))
        nd = "\n".join([first, '"a string"', "42", "[1,2]", "null", dumps(rwtest.record("not-obj-nd-2"))]) + "\n"
        p, ids, mine = self.scan_beside(self.write("notobj.ndjson", nd.encode()))
        self.assertIn("not-obj-nd-1", ids)
        self.assertIn("not-obj-nd-2", ids)
        self.assert_offsets(mine)
        self.assertEqual(sorted({o for o, _ in mine})[:3], [len(first) + 1, len(first) + 12, len(first) + 16])
        self.assertGreaterEqual(len(mine), 4)

    # ---- fields of the wrong type -------------------------------------------------------------

    def wrong_type(self, rec, needle, alerted):
        good = rwtest.record("wt-next")
        body, spans = records_text([rec, good])
        p, ids, mine = self.scan_beside(self.write("wrongtype.json", body))
        self.assertIn("wt-next", ids, "the record after it is read")
        self.assert_offsets(mine)
        self.assertTrue(any(needle in m and o == spans[0][0] for o, m in mine),
                        "the problem is named, at the record's first byte: %s" % mine)
        alerts = [a for a in rwtest.ndjson(p.stdout_text) if a["eventID"] == rec["eventID"]]
        self.assertEqual(len(alerts), 1 if alerted else 0, "alerted" if alerted else "not alerted")
        return alerts

    def test_user_identity_is_a_string(self):
        # whose identity cannot be told: not an alert, but said, at the record
        self.wrong_type(rwtest.record("wt-ui-string", userIdentity="Root"), "userIdentity is a string",
                        alerted=False)

    def test_user_identity_type_is_a_number(self):
        rec = rwtest.record("wt-type-number")
        rec["userIdentity"]["type"] = 7
        rec["userIdentity"]["userName"] = "Root"  # so that the record is parsed at all
        self.wrong_type(rec, "userIdentity.type is a number", alerted=False)

    def test_user_identity_type_of_every_other_type(self):
        # issue 15, defect 9: every type but a string is said alike, at the record's first byte.
        # (The difference reported in the issue -- a number unsaid, an array said -- came from the
        # prefilter, not from here: a record is parsed only when it holds text the rules look for,
        # "Root"; ["Root"] holds it, 7 does not. These records hold it elsewhere, in userName.)
        for value, name, alerted in [(7, "a number", False), (["Root"], "an array", True),
                                     ({"v": "Root"}, "an object", False), (True, "a boolean", False),
                                     (None, "null", False)]:
            with self.subTest(type=name):
                rec = rwtest.record("wt-type-" + name.split()[-1])
                rec["userIdentity"]["type"] = value
                rec["userIdentity"]["userName"] = "Root"
                self.wrong_type(rec, "userIdentity.type is %s, expected a string" % name, alerted=alerted)

    def test_event_time_is_a_number(self):
        rec = rwtest.record("wt-time-number", eventTime=1763632800)
        alerts = self.wrong_type(rec, "eventTime is a number", alerted=True)
        self.assertIsNone(alerts[0]["eventTime"])
        self.assertEqual(alerts[0]["event"]["eventTime"], 1763632800, "the record is kept as it was")

    def test_root_record_without_event_id(self):
        # never dropped, never merged: each gets an id derived from its content, marked as derived,
        # with a warning that names the record (a warning: every record was read and alerted)
        a, b = rwtest.record("x", eventID=None), rwtest.record("y", eventID=None, eventName="DeleteTrail",
                                                                 eventSource="cloudtrail.amazonaws.com")
        c = rwtest.record("z", eventID="", eventName="StopLogging", eventSource="cloudtrail.amazonaws.com")
        body, spans = records_text([a, b, c, rwtest.record("wt-next")])
        path = self.write("noid.json", body)
        p, ids, mine = self.scan_beside(path, rc=1)
        alerts = [x for x in rwtest.ndjson(p.stdout_text) if x["eventIDDerived"]]
        self.assertEqual(sorted(x["eventName"] for x in alerts), ["CreateUser", "DeleteTrail", "StopLogging"],
                         "all still alerted (records without an eventID are never merged)")
        self.assertEqual(len({x["eventID"] for x in alerts}), 3)
        self.assertTrue(all(x["eventID"].startswith("rw-sha256:") for x in alerts))
        self.assertIn("wt-next", ids)
        self.assertEqual(mine, [], "no error: the records were read in full")
        warned = re.findall(r"rootwatch: warning: (.*?): byte (\d+): root activity, but (.*?): it is identified as",
                            p.stderr_text)
        self.assertEqual([(w[0], int(w[1])) for w in warned], [(path, s) for s, _ in spans[:3]])
        self.assertEqual([w[2] for w in warned], ["the record has no eventID"] * 2 + ["its eventID is empty"])
        # the same records again: the same ids (a re-scan is deduplicated by them)
        p2 = rwtest.run(["scan", "-f", "ndjson", path], timeout=TIMEOUT)
        self.assertEqual(sorted(x["eventID"] for x in rwtest.ndjson(p2.stdout_text) if x["eventIDDerived"]),
                         sorted(x["eventID"] for x in alerts))

    # ---- empty input --------------------------------------------------------------------------

    def test_empty_file_alone(self):
        # the first input a reader thread sees is empty (it once crashed on its unset buffer)
        path = self.write("alone.json", b"")
        for jobs in ("1", "3"):
            with self.subTest(jobs=jobs):
                p = rwtest.run(["scan", "-j", jobs, path], timeout=TIMEOUT)
                self.assertEqual(p.returncode, 2, p.stderr_text)
                self.assertEqual(rwtest.problems(p.stderr_text), [(path, None, "empty: no data")])

    def test_empty_files_in_a_folder_are_skipped(self):
        # an empty file found in a folder (a .gitkeep, say) holds nothing: skipped and counted
        folder = os.path.join(self.dir, "logs")
        self.write("logs/.gitkeep", b"")
        self.write("logs/a.json.gz", b"")
        self.write("logs/trail.json", rwtest.trail_bytes([rwtest.record("logs-root")]))
        p = rwtest.run(["scan", "-f", "ndjson", folder], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertEqual(rwtest.problems(p.stderr_text), [])
        self.assertIn("2 empty, 0 failed", p.stderr_text)

    def test_empty_files(self):
        for name, data in [("empty.json", b""), ("empty.json.gz", b""),
                           ("nothing.json.gz", gzip.compress(b""))]:
            with self.subTest(file=name):
                p, ids, mine = self.scan_beside(self.write(name, data))
                self.assertTrue(any("empty" in m or "no data" in m for _, m in mine), mine)
        with self.subTest(file="standard input"):
            p, ids, mine = self.scan_beside("-", stdin=b"")
            self.assertTrue(any("empty" in m for _, m in mine), mine)

    def test_huge_line_of_whitespace(self):
        size = BIG // 4
        p, ids, mine = self.scan_beside("-", stdin=(b" " * (1 << 20) for _ in range(size >> 20)),
                                        measured=True)
        self.assertTrue(any("empty" in m or "no data" in m for _, m in mine), mine)
        if not rwtest.SANITIZED:
            self.assertLess(p.maxrss_kb, RSS_LIMIT_KB)

    # ---- records larger than the limit -------------------------------------------------------

    def test_200mb_record_bounded_memory(self):
        cases = [("not root, in a Records array", False, False, 12, "cannot be root activity"),
                 ("root, in a Records array", True, False, 12, "may be root activity"),
                 ("root, as an NDJSON line", True, True, 0, "may be root activity")]
        for name, root, nd, offset, says in cases:
            with self.subTest(case=name, via="pipe"):
                p, ids, mine = self.scan_beside("-", stdin=big_record_chunks(root, BIG, nd)(), measured=True)
                self.assertNotIn("big-record", ids)
                self.assertEqual([o for o, _ in mine], [offset], mine)
                self.assertIn("larger than the limit", mine[0][1])
                self.assertIn(says, mine[0][1])
                if not rwtest.SANITIZED:
                    self.assertLess(p.maxrss_kb, RSS_LIMIT_KB, "peak memory, in kB")
        with self.subTest(case="root, gzip file"):
            z = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            path = os.path.join(self.dir, "big.json.gz")
            with open(path, "wb") as f:
                for chunk in big_record_chunks(True, BIG)():
                    f.write(z.compress(chunk))
                f.write(z.flush())
            p, ids, mine = self.scan_beside(path, measured=True)
            self.assertEqual([o for o, _ in mine], [12], mine)
            self.assertIn("may be root activity", mine[0][1])
            self.assertIn("decompressed byte 12", p.stderr_text)
            if not rwtest.SANITIZED:
                self.assertLess(p.maxrss_kb, RSS_LIMIT_KB)

    # ---- deep nesting -------------------------------------------------------------------------

    def test_deep_nesting(self):
        arrays = "[" * DEEP + "]" * DEEP
        objects = '{"a":' * DEEP + "1" + "}" * DEEP
        for name, deep in [("arrays", arrays), ("objects", objects)]:
            with self.subTest(nesting=name, root=True):
                rec = rwtest.record("deep-root", requestParameters={"x": "@DEEP@"})
                text = dumps(rec).replace('"@DEEP@"', deep)
                head = '{"Records":['
                body = (head + text + "," + dumps(rwtest.record("deep-next")) + "]}").encode()
                p, ids, mine = self.scan_beside(self.write("deep.json", body))
                self.assertIn("deep-next", ids, "the record after it is read")
                self.assertNotIn("deep-root", ids)
                self.assertEqual(len(mine), 1, mine)
                # issue 15, defect 9: located at the record's start, every offset labelled
                # ("byte 1072: malformed record (nesting deeper than 512 levels at byte 797)")
                self.assertEqual(mine[0][0], len(head), "at the record's first byte")
                m = re.search(r"^malformed record starting here: nesting deeper than 512 levels at byte (\d+), "
                              r"counted from the record's first byte;", mine[0][1])
                self.assertTrue(m, mine[0][1])
                self.assertIn(text[int(m[1])], "[{", "the offset in the record is an opening bracket")
                before = text[:int(m[1])]
                depth = sum(before.count(c) for c in "[{") - sum(before.count(c) for c in "]}")
                self.assertEqual(depth, 512, "the bracket that opens level 513")
                self.assertIn("may be root activity", mine[0][1])
            with self.subTest(nesting=name, root=False):
                rec = rwtest.record("deep-user", who="user", requestParameters={"x": "@DEEP@"})
                text = dumps(rec).replace('"@DEEP@"', deep)
                body = ('{"Records":[' + text + "," + dumps(rwtest.record("deep-next")) + "]}").encode()
                p, ids, mine = self.scan_beside(self.write("deep.json", body), rc=1)
                self.assertIn("deep-next", ids)
                self.assertEqual(mine, [], "not root: nothing to say")
        with self.subTest(nesting="never closed"):
            text = dumps(rwtest.record("deep-open", requestParameters={"x": "@DEEP@"})).replace(
                '"@DEEP@"', "[" * DEEP)
            p, ids, mine = self.scan_beside(self.write("deep-open.json", ('{"Records":[' + text).encode()))
            self.assertEqual([o for o, _ in mine], [12], mine)
            self.assertIn("may be root activity", mine[0][1])
        with self.subTest(nesting="a whole file"):
            p, ids, mine = self.scan_beside(self.write("deep-file.json", arrays.encode()))
            self.assert_offsets(mine)

    # ---- invalid UTF-8 ------------------------------------------------------------------------

    def test_invalid_utf8_in_root_record(self):
        rec = dumps(rwtest.record("utf8-root", userAgent="@UA@")).encode()
        rec = rec.replace(b"@UA@", b"curl \xff\xfe overlong \xc0\xaf surrogate \xed\xa0\x80 cut \xe2\x82")
        head = b'{"Records":['
        p, ids, mine = self.scan_beside(self.write("utf8.json", head + rec + b"]}"))
        self.assertIn("utf8-root", ids, "the alert is still produced")
        self.assertEqual([o for o, m in mine if "UTF-8" in m], [len(head)], mine)
        p.stdout.decode("utf-8")  # the output is valid UTF-8 (raises if not)
        alert = [a for a in rwtest.ndjson(p.stdout_text) if a["eventID"] == "utf8-root"][0]
        self.assertIn("\ufffd", alert["userAgent"])
        self.assertTrue(alert["userAgent"].startswith("curl "))

    # ---- files that cannot be read ------------------------------------------------------------

    def test_unreadable_file_and_folder(self):
        # as root, permissions do not stop reads: the run then drops to the user nobody
        preexec = None
        if os.geteuid() == 0:
            def preexec():
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            probe = subprocess.run(["true"], preexec_fn=preexec, capture_output=True) \
                if shutil.which("true") else None
            if probe is None or probe.returncode != 0:
                self.skipTest("running as root and cannot drop to nobody: chmod 000 blocks nothing")
        os.chmod(self.dir, 0o755)
        for f in (self.before, self.after):
            os.chmod(f, 0o644)
        secret = self.write("secret.json", rwtest.trail_bytes([rwtest.record("secret-root")]))
        os.chmod(secret, 0)
        tree = os.path.join(self.dir, "tree")
        self.write("tree/a.json", rwtest.trail_bytes([rwtest.record("tree-root")]))
        self.write("tree/locked/b.json", rwtest.trail_bytes([rwtest.record("locked-root")]))
        for root, dirs, files in os.walk(tree):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        os.chmod(os.path.join(tree, "locked"), 0)
        argv = ["scan", "-f", "ndjson", self.before, secret, tree, self.after]
        binary = None
        if preexec: # nobody may not reach the build (a clone under /root): run a copy of it
            binary = os.path.join(self.dir, "rootwatch-copy")
            shutil.copy2(rwtest.ROOTWATCH, binary)
            os.chmod(binary, 0o755)
        p = rwtest.run_measured(argv, timeout=TIMEOUT, cwd=self.dir, preexec_fn=preexec, binary=binary)
        self.assertEqual(p.returncode, 2, p.stderr_text)
        ids = [a["eventID"] for a in rwtest.ndjson(p.stdout_text)]
        self.assertEqual(ids, ["good-before", "tree-root", "good-after"])
        probs = {path: msg for path, off, msg in rwtest.problems(p.stderr_text)}
        self.assertIn(secret, probs)
        self.assertIn("Permission denied", probs[secret])
        self.assertIn(os.path.join(tree, "locked"), probs)
        self.assertIn("2 failed", p.stderr_text)

    def test_nonexistent_path(self):
        missing = os.path.join(self.dir, "no-such-dir", "missing.json.gz")
        p, ids, mine = self.scan_beside(missing)
        self.assertTrue(any("No such file" in m for _, m in mine), mine)

    def test_named_fifo_with_a_writer(self):
        # a named pipe given on the command line is read like standard input
        fifo = os.path.join(self.dir, "pipe.json")
        os.mkfifo(fifo)
        writer = subprocess.Popen(["sh", "-c", 'cat > "$1"', "sh", fifo], stdin=subprocess.PIPE)
        writer.stdin.write(rwtest.trail_bytes([rwtest.record("fifo-root")]))
        writer.stdin.close()
        p = rwtest.run(["scan", "-q", "-f", "ndjson", self.before, fifo, self.after], timeout=TIMEOUT)
        writer.wait(timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1, p.stderr_text)
        self.assertEqual([a["eventID"] for a in rwtest.ndjson(p.stdout_text)],
                         ["good-before", "fifo-root", "good-after"])

    # ---- not CloudTrail -----------------------------------------------------------------------

    def test_binary_garbage(self):
        rng = random.Random(42)
        noise = bytes(rng.getrandbits(8) for _ in range(1 << 20))
        for name, data, says in [("noise", b"\x00" + noise, "not CloudTrail"),
                                 # no line of it is a record: what it starts with does not matter
                                 ("noise after a brace", b"{" + noise, "not CloudTrail"),
                                 ("noise after a bracket", b"[" + noise, "")]:
            with self.subTest(case=name):
                p, ids, mine = self.scan_beside(self.write("garbage.bin", data))
                self.assertTrue(any(says in m for _, m in mine), mine)
                if says != "not CloudTrail":
                    self.assert_offsets(mine)

    def test_not_cloudtrail_named_vs_in_a_folder(self):
        other = json.dumps({"hello": "world", "items": [1, 2, 3]}).encode()
        with self.subTest(where="named"):
            path = self.write("settings.json", other)
            p, ids, mine = self.scan_beside(path)
            self.assertTrue(any("not CloudTrail" in m for _, m in mine), mine)
        with self.subTest(where="in a folder"):
            folder = os.path.join(self.dir, "folder")
            self.write("folder/settings.json", other)
            self.write("folder/notes.txt", b"just some notes\n")
            self.write("folder/trail.json", rwtest.trail_bytes([rwtest.record("folder-root")]))
            p, ids, mine = self.scan_beside(folder, rc=1)
            self.assertIn("folder-root", ids)
            self.assertEqual(mine, [])
            self.assertNotIn(os.path.join(folder, "settings.json"), p.stderr_text)
            self.assertIn("2 not CloudTrail skipped", p.stderr_text, "skipped, and counted")
            self.assertIn("0 failed", p.stderr_text)
            p = rwtest.run(["scan", "-v", "-f", "ndjson", folder], timeout=TIMEOUT)
            self.assertEqual(p.returncode, 1)
            self.assertIn(os.path.join(folder, "settings.json") + ": skipped: not CloudTrail data",
                          p.stderr_text, "-v names what was skipped")

    # ---- look-alikes --------------------------------------------------------------------------

    def lookalikes(self):
        out = []
        r = rwtest.record("la-nested-params", who="role", source="events.amazonaws.com",
                          name="TestEventPattern",
                          requestParameters={"event": {"detail": {"userIdentity": {"type": "Root"},
                                                                  "eventName": "ConsoleLogin"}},
                                             "userIdentity": {"type": "Root"}})
        out.append(r)
        r = rwtest.record("la-role-named-root", who="role", source="iam.amazonaws.com", name="ListRoles")
        r["userIdentity"]["arn"] = "arn:aws:sts::%s:assumed-role/Root/admin" % rwtest.ACCOUNT
        r["userIdentity"]["sessionContext"]["sessionIssuer"].update(
            userName="Root", arn="arn:aws:iam::%s:role/Root" % rwtest.ACCOUNT, type="Role")
        out.append(r)
        r = rwtest.record("la-user-named-root", who="user", source="ec2.amazonaws.com",
                          name="DescribeInstances")
        r["userIdentity"].update(userName="root", arn="arn:aws:iam::%s:user/root" % rwtest.ACCOUNT)
        out.append(r)
        r = rwtest.record("la-user-root-login", who="user", source="signin.amazonaws.com",
                          name="ConsoleLogin", responseElements={"ConsoleLogin": "Success"},
                          additionalEventData={"MFAUsed": "No"}, eventType="AwsConsoleSignIn")
        r["userIdentity"].update(userName="Root", arn="arn:aws:iam::%s:user/Root" % rwtest.ACCOUNT)
        out.append(r)
        r = rwtest.record("la-invoked-by", source="ec2.amazonaws.com", name="DescribeInstances")
        r["userIdentity"]["invokedBy"] = "support.amazonaws.com"
        out.append(r)
        out.append(rwtest.record("la-service-event", source="kms.amazonaws.com", name="RotateKey",
                                 eventType="AwsServiceEvent"))
        r = rwtest.record("la-lowercase-type")
        r["userIdentity"]["type"] = "root"
        out.append(r)
        out.append(rwtest.record("la-in-strings", who="role", source="sns.amazonaws.com", name="Publish",
                                 userAgent='Root "Root" {"type":"Root"}',
                                 requestParameters={"message": json.dumps({"userIdentity": {"type": "Root"}}),
                                                    "subject": 'Root API call-"ConsoleLogin" detected'}))
        out.append(rwtest.record("la-org-roots", who="role", source="organizations.amazonaws.com",
                                 name="ListRoots", responseElements={"roots": [
                                     {"id": "r-ab12", "name": "Root", "type": "Root",
                                      "arn": "arn:aws:organizations::%s:root/o-x/r-ab12" % rwtest.ACCOUNT}]}))
        r = rwtest.record("la-other-account", source="s3.amazonaws.com", name="GetBucketAcl")
        r["userIdentity"] = {"type": "AWSAccount", "principalId": "999988887777",
                             "accountId": "999988887777", "arn": "arn:aws:iam::999988887777:root"}
        out.append(r)
        return out

    def test_lookalikes_never_alerted(self):
        recs = self.lookalikes()
        envelope = [{"version": "0", "id": "x-" + r["eventID"], "detail-type": "AWS API Call via CloudTrail",
                     "source": "aws.iam", "account": rwtest.ACCOUNT, "time": r["eventTime"],
                     "region": r["awsRegion"], "resources": [], "detail": r} for r in recs]
        forms = {"trail.json": rwtest.trail_bytes(recs),
                 "records.ndjson": ("\n".join(map(dumps, recs)) + "\n").encode(),
                 "eventbridge.ndjson": ("\n".join(map(dumps, envelope)) + "\n").encode(),
                 "lookup.json": dumps({"Events": [{"EventId": r["eventID"], "CloudTrailEvent": dumps(r)}
                                                  for r in recs]}).encode()}
        for name, data in forms.items():
            with self.subTest(form=name):
                path = self.write(name, data)
                p = rwtest.run(["scan", "-f", "ndjson", path], timeout=TIMEOUT)
                self.assertEqual(p.returncode, 0, p.stdout_text + p.stderr_text)
                self.assertEqual(p.stdout_text, "")
                self.assertEqual(rwtest.problems(p.stderr_text), [])
                self.assertIn("%d records" % len(recs), p.stderr_text, "every record was read")

    def test_lookalikes_in_a_ctgen_trail(self):
        corpus = rwtest.ctgen(2, 5, root_per_mb=0, traps_per_mb=30)
        self.assertGreater(len(rwtest.traps(corpus)), 20)
        p = rwtest.run(["scan", "-f", "ndjson", corpus], timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(p.stdout_text, "")
        self.assertEqual(rwtest.problems(p.stderr_text), [])

    def test_repeated_user_identity_is_not_silent(self):
        """A record with two userIdentity members, the first Root and the last not, is alerted
        and the repetition is reported (exit 2): root activity cannot hide behind a second
        userIdentity."""
        rec = dumps(rwtest.record("dup-identity"))
        text = rec[:-1] + ',"userIdentity":{"type":"IAMUser","userName":"alice"}}'
        path = self.write("dup-identity.json", ('{"Records":[' + text + "]}").encode())
        p = rwtest.run(["scan", "-f", "ndjson", path], timeout=TIMEOUT)
        ids = [a["eventID"] for a in rwtest.ndjson(p.stdout_text)]
        said = [m for _, _, m in rwtest.problems(p.stderr_text) if "userIdentity" in m]
        self.assertEqual(p.returncode, 2, p.stderr_text)
        self.assertIn("dup-identity", ids)
        self.assertTrue(said, p.stderr_text)

    def test_escaped_root_is_still_root(self):
        # the converse: the same identity written with JSON escapes is root, and is reported
        text = dumps(rwtest.record("escaped-root")).replace('"type":"Root"', '"type":"\\u0052oot"')
        p, ids, mine = self.scan_beside(self.write("escaped.json", ('{"Records":[' + text + "]}").encode()),
                                        rc=1)
        self.assertIn("escaped-root", ids)
        self.assertEqual(mine, [])


if __name__ == "__main__":
    rwtest.main()

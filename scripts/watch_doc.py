#!/usr/bin/env python3
"""Copies `rootwatch watch --list-sources` into docs/watch.md, between its BEGIN and END lines.

    scripts/watch_doc.py [ROOTWATCH]        (default: build/rootwatch)
    scripts/watch_doc.py --check [ROOTWATCH]   exit 1 when docs/watch.md differs (the test uses it)

The source types' option tables (src/sources/in_*.c) are what the configuration is checked with;
the documentation is made from them rather than written twice.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(HERE, "docs", "watch.md")
BEGIN = "<!-- BEGIN rootwatch watch --list-sources (scripts/watch_doc.py) -->"
END = "<!-- END rootwatch watch --list-sources -->"


def render(rootwatch):
    out = subprocess.run([rootwatch, "watch", "--list-sources"], capture_output=True, text=True, check=True).stdout
    return "%s\n```\n%s```\n%s" % (BEGIN, out, END)


def main():
    args = sys.argv[1:]
    check = bool(args) and args[0] == "--check"
    if check:
        args = args[1:]
    rootwatch = args[0] if args else os.path.join(HERE, "build", "rootwatch")
    with open(DOC) as f:
        doc = f.read()
    m = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), doc, re.S)
    if not m:
        sys.exit("%s: no %s ... %s section" % (DOC, BEGIN, END))
    new = doc[:m.start()] + render(rootwatch) + doc[m.end():]
    if check:
        if new != doc:
            print("%s is not what `rootwatch watch --list-sources` prints: run scripts/watch_doc.py" % DOC)
            return 1
        return 0
    if new != doc:
        with open(DOC, "w") as f:
            f.write(new)
        print("%s: updated" % DOC)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/bin/sh
# The quick-start demo, on an embedded default that needs no AWS account: a sample CloudTrail
# trail (tools/ctgen.py, seeded) is scanned; each root action is notified through the terminal
# channel (examples/demo.yaml) and kept in a store under the build folder; the store is read back;
# a second scan of the same trail notifies nothing twice. Then the real-time path: rootwatch watch
# as a service on a watched folder (scripts/demo_watch.py), CloudTrail files dropped into it, the
# alerts on the terminal within a second, kept in the same store, the service stopped with SIGTERM.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
rw="$build/rootwatch"
demo="$build/demo"
trail="$demo/trail"
store="$demo/rootwatch.db"
say() { printf '\n== %s\n' "$*"; }
show() { # prints the command as a user would type it, then runs it
    printf '$ rootwatch'
    printf ' %s' "$@"
    printf '\n'
    "$rw" "$@"
}

echo "rootwatch demo: every root action in a CloudTrail trail found, told to a person once, and kept;"
echo "then the same in real time, as a service."
say "1. Build"
scripts/build.sh "$build" rootwatch
say "2. A sample trail"
if [ ! -f "$trail/manifest.json" ]; then
    python3 tools/ctgen.py "$trail" --mb 2 --seed 2026 --root-per-mb 2 --traps-per-mb 3 >/dev/null
fi
python3 - "$trail" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
print("%s: %d CloudTrail files, %d records from %d accounts (tools/ctgen.py); %d of them root actions,"
      % (sys.argv[1], m["files"], m["records"], len(m["accounts"]), m["truth"]))
print("and %d look-alikes that are not root activity (an IAM user named root, a service acting as root...)"
      % m["traps"])
PY
rm -f "$store" "$store-wal" "$store-shm" "$store.lock"
say "3. Scan it; notify through the terminal channel; keep the alerts in $store"
echo "\$ rootwatch scan --notify --config examples/demo.yaml --store $store -f ndjson $trail/AWSLogs > $demo/alerts.ndjson"
set +e
"$rw" scan --notify --config examples/demo.yaml --store "$store" -f ndjson "$trail/AWSLogs" \
    >"$demo/stdout.tmp" 2>"$demo/stderr.tmp"
rc=$?
set -e
# standard output holds the channel's lines and the scan's NDJSON: show the lines, keep the JSON
grep -v '^{' "$demo/stdout.tmp" || true
grep '^{' "$demo/stdout.tmp" >"$demo/alerts.ndjson" || true
cat "$demo/stderr.tmp"
rm -f "$demo/stdout.tmp" "$demo/stderr.tmp"
[ "$rc" -le 1 ] || exit "$rc"
echo "(exit status $rc: 0 no root activity, 1 root activity found, 2 a problem)"
say "4. What the store holds"
show alerts list --store "$store"
say "5. The same trail again: nothing is notified twice"
echo "\$ rootwatch scan --notify --config examples/demo.yaml --store $store -q -f ndjson $trail/AWSLogs > /dev/null"
set +e
"$rw" scan --notify --config examples/demo.yaml --store "$store" -q -f ndjson "$trail/AWSLogs" >/dev/null
set -e
say "6. Real time: rootwatch watch on a folder; CloudTrail files dropped into it"
python3 scripts/demo_watch.py "$build"
say "7. The store holds the new alerts too"
show alerts list --store "$store" --limit 2
echo
echo "Next: docs/watch.md (SQS, SNS, S3, event history; systemd, metrics), docs/notify.md (email,"
echo "Slack, Teams, PagerDuty, SNS, webhooks), docs/aws.md (scan s3:// and event history), README.md."

#!/bin/sh
# make demo-aws: the real-time path through AWS's own machinery, in moto (the AWS emulator; no AWS
# account). An SQS queue and an EventBridge rule are set up with the AWS CLI as docs/watch.md says
# (the rule's pattern is rootwatch deploy template's); rootwatch watch reads the queue; CloudTrail
# events are put on the default event bus as CloudTrail puts them; the rule lets only the root
# events through to the queue; rootwatch tells them on the terminal, keeps them in the store and
# deletes their messages; SIGTERM stops it. Needs moto_server and the AWS CLI:
#   pip install 'moto[server]' awscli
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
for tool in moto_server aws python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "make demo-aws needs $tool (moto, the AWS emulator, and the AWS CLI): pip install 'moto[server]' awscli" >&2
        exit 2
    fi
done
rw="$build/rootwatch"
demo="$build/demo-aws"
say() { printf '\n== %s\n' "$*"; }
run() { # prints the command as a user would type it, then runs it
    printf '$'
    printf ' %s' "$@"
    printf '\n'
    "$@"
}

echo "rootwatch demo-aws: root events through an EventBridge rule and an SQS queue (in moto) to rootwatch watch."
say "1. Build"
scripts/build.sh "$build" rootwatch
rm -rf "$demo"
mkdir -p "$demo"

# moto on a free loopback port; everything AWS goes there, with moto's dummy credentials
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy \
    moto_server -H 127.0.0.1 -p "$port" >"$demo/moto.log" 2>&1 &
moto=$!
watch=""
cleanup() {
    if [ -n "$watch" ]; then kill "$watch" 2>/dev/null || true; fi
    kill "$moto" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
unset AWS_PROFILE AWS_SESSION_TOKEN HTTP_PROXY HTTPS_PROXY http_proxy https_proxy 2>/dev/null || true
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/moto-api/" % sys.argv[1], timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("moto_server did not start")
PY
# the AWS CLI older than 1.29/2.13 ignores AWS_ENDPOINT_URL: every aws command here is told
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
echo "moto_server on http://127.0.0.1:$port (AWS_ENDPOINT_URL, and aws --endpoint-url; account 123456789012)"

say "2. The queue and the rule (docs/watch.md, \"Setting up AWS\")"
queue_url=$(aws sqs create-queue --queue-name rootwatch --query QueueUrl --output text)
echo "\$ aws sqs create-queue --queue-name rootwatch     # $queue_url"
queue_arn=arn:aws:sqs:us-east-1:123456789012:rootwatch
cat >"$demo/root-pattern.json" <<'EOF'
{
  "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
                  "AWS Console Action via CloudTrail"],
  "detail": {
    "userIdentity": {"type": ["Root"],
                     "invokedBy": [{"exists": false}, "signin.amazonaws.com", "console.amazonaws.com"]},
    "eventType": [{"anything-but": "AwsServiceEvent"}, {"exists": false}]
  }
}
EOF
rule_arn=$(aws events put-rule --name rootwatch-root-activity --event-pattern "file://$demo/root-pattern.json" \
    --state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS --query RuleArn --output text)
echo "\$ aws events put-rule --name rootwatch-root-activity --event-pattern file://$demo/root-pattern.json \\"
echo "      --state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS     # the pattern of rootwatch deploy template"
policy=$(printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"%s","Condition":{"ArnEquals":{"aws:SourceArn":"%s"}}}]}' "$queue_arn" "$rule_arn")
aws sqs set-queue-attributes --queue-url "$queue_url" --attributes "{\"Policy\":$(printf '%s' "$policy" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))')}"
echo "\$ aws sqs set-queue-attributes --queue-url $queue_url --attributes Policy=...   # events.amazonaws.com may send"
run aws events put-targets --rule rootwatch-root-activity --targets "Id=rootwatch,Arn=$queue_arn" --output text \
    --query FailedEntryCount

say "3. rootwatch watch reads the queue"
cat >"$demo/watch.yaml" <<EOF
# the terminal channel of examples/demo.yaml, and the queue (long polls of 2 s: a quick stop here;
# the default, 20 s, costs fewer requests)
$(grep -v '^#' examples/demo.yaml)
sources:
  - name: trail-queue
    type: sqs
    queue_url: $queue_url
    wait_seconds: 2
EOF
sed -n '/^sources:/,$p' "$demo/watch.yaml"
echo "\$ rootwatch watch --config $demo/watch.yaml --store $demo/rootwatch.db --metrics 127.0.0.1:0 2> $demo/watch.log &"
"$rw" watch --config "$demo/watch.yaml" --store "$demo/rootwatch.db" --metrics 127.0.0.1:0 \
    >"$demo/watch.out" 2>"$demo/watch.log" &
watch=$!

say "4. CloudTrail events on the default event bus, as CloudTrail puts them"
python3 - "$demo" "$rw" "$watch" <<'PY'
import json, os, re, subprocess, sys, time, urllib.request, uuid
demo, rw, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
ACCOUNT = "123456789012"

def log():
    with open(os.path.join(demo, "watch.log"), encoding="utf-8", errors="replace") as f:
        return f.read()

def wait(test, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit("rootwatch watch ended while waiting for %s:\n%s" % (what, log()))
        v = test()
        if v:
            return v
        time.sleep(0.1)
    sys.exit("no %s after %d s:\n%s" % (what, seconds, log()))

wait(lambda: "receiving from" in log(), 30, "receiving")
now = time.time()
def rec(who, name, source, **extra):
    ident = ({"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT, "accountId": ACCOUNT}
             if who == "root" else
             {"type": "IAMUser", "principalId": "AIDAEXAMPLEDEMO00001", "userName": "alice",
              "arn": "arn:aws:iam::%s:user/alice" % ACCOUNT, "accountId": ACCOUNT})
    r = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3)),
         "eventSource": source, "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
         "eventID": str(uuid.uuid4()), "eventType": "AwsApiCall", "readOnly": False, "managementEvent": True,
         "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    r.update(extra)
    return r
events = [
    ("AWS API Call via CloudTrail", "aws.iam", rec("root", "CreateAccessKey", "iam.amazonaws.com")),
    ("AWS Console Sign In via CloudTrail", "aws.signin",
     rec("root", "ConsoleLogin", "signin.amazonaws.com", eventType="AwsConsoleSignIn",
         responseElements={"ConsoleLogin": "Success"}, additionalEventData={"MFAUsed": "No"})),
    ("AWS API Call via CloudTrail", "aws.s3", rec("user", "ListBuckets", "s3.amazonaws.com", readOnly=True)),
    ("AWS API Call via CloudTrail", "aws.ec2", rec("user", "RunInstances", "ec2.amazonaws.com")),
]
entries = [{"Source": src, "DetailType": dt, "Detail": json.dumps(r), "EventBusName": "default"}
           for dt, src, r in events]
with open(os.path.join(demo, "events.json"), "w") as f:
    json.dump(entries, f)
print("$ aws events put-events --entries file://%s/events.json" % demo)
print("  (4 events: a root access key made, a root console sign-in without MFA, two calls of an IAM user)")
sys.stdout.flush()
t0 = time.monotonic()
subprocess.run(["aws", "--endpoint-url", os.environ["AWS_ENDPOINT_URL"], "events", "put-events", "--entries", "file://%s/events.json" % demo,
                "--query", "FailedEntryCount", "--output", "text"], check=True, stdout=subprocess.DEVNULL)
def alerts():
    with open(os.path.join(demo, "watch.out"), encoding="utf-8", errors="replace") as f:
        got = [l for l in f.read().splitlines() if l.startswith("ROOT ALERT")]
    return got if len(got) >= 2 else None
got = wait(alerts, 30, "alerts")
took = time.monotonic() - t0
for l in got:
    print(l)
print("(%d alerts on the terminal %.1f s after PutEvents: the rule let the root events through, and only them)"
      % (len(got), took))
port = re.search(r"serving http://127\.0\.0\.1:(\d+)/metrics", log()).group(1)
def deleted():
    m = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5).read().decode()
    return re.search(r'rootwatch_sqs_deleted_total\{source="[^"]*",type="sqs"\} 2\b', m)
wait(deleted, 10, "the messages deleted")
print("(both messages deleted from the queue once their alerts were stored: rootwatch_sqs_deleted_total 2)")
PY
n=$(aws sqs get-queue-attributes --queue-url "$queue_url" \
    --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible \
    --query 'Attributes.[ApproximateNumberOfMessages,ApproximateNumberOfMessagesNotVisible]' --output text)
echo "\$ aws sqs get-queue-attributes --queue-url $queue_url ...   # visible, in flight: $n"

say "5. Stop it (SIGTERM), and what the store holds"
echo "\$ kill -TERM $watch"
kill -TERM "$watch"
set +e
wait "$watch"
rc=$?
set -e
watch=""
grep -E 'SIGTERM|stopped:' "$demo/watch.log" || true
echo "(exit status $rc)"
echo "\$ rootwatch alerts list --store $demo/rootwatch.db"
"$rw" alerts list --store "$demo/rootwatch.db"
[ "$rc" -eq 0 ]

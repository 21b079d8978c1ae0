"""The AWS credential chain end to end: credentials from each source reach a working call.

Every test runs `rootwatch aws whoami --format json` (STS GetCallerIdentity) against moto_server,
through a recording proxy (StsProxy) that keeps every request (to check what was signed with
which key and which STS parameters were sent) and every secret that moto handed out. The sources:

  1. environment keys (with and without AWS_SESSION_TOKEN; half of a pair is an error)
  2. the shared files: default profile, AWS_PROFILE, --profile (which beats environment keys,
     while AWS_PROFILE does not), keys in the config file, the profile's region, a missing profile
  3. role_arn with source_profile or credential_source (STS AssumeRole with external_id,
     role_session_name, duration_seconds), chains, loops, bad durations
  4. credential_process (Version 1 JSON; failing and garbage-printing processes), and its bounds:
     a time limit (hanging, SIGTERM-ignoring, stdout-closing processes), an output limit, its
     whole process group stopped, a prompt on the terminal still answered
  5. web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)
  6. container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI, authorization token or token file)
  7. EC2 instance metadata (IMDSv2, IMDSv1 fallback, AWS_EC2_METADATA_DISABLED)
  8. nothing anywhere: the error lists every place looked at
  9. on every run, no secret access key, session token or authorization token in the output
 10. malformed credentials and config files: the error names the file and the line

The environment is built from scratch for each run (awsfake.clean_aws_env, and the files always
point into a folder of the test's own), so that the machine's real credentials never take part.
Skipped when moto_server is not installed.
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfake  # noqa: E402
import rwtest  # noqa: E402

ACCOUNT = "123456789012"  # moto's default account
TIMEOUT = 120 if rwtest.SANITIZED else 60

# Secrets that must never be printed (the values of every key pair and token the tests use);
# StsProxy adds those moto hands out.
SECRETS = set()


def secret(value):
    SECRETS.add(value)
    return value


ENV_AK, ENV_SK = "AKIAENVEXAMPLE000001", secret("env-secret-Zq8xWv3Rt6yU")
ENV_TOKEN = secret("env-session-token-Hj5Kl9Mn2Bv4")
DEV_AK, DEV_SK = "AKIADEVEXAMPLE000001", secret("dev-secret-Pp0Oo9Ii8Uu7")
DEF_AK, DEF_SK = "AKIADEFEXAMPLE000001", secret("default-secret-Aa1Ss2Dd3Ff4")
CFG_AK, CFG_SK = "AKIACFGEXAMPLE000001", secret("config-secret-Gg5Hh6Jj7Kk8")
BASE_AK, BASE_SK = "AKIABASEEXAMPLE00001", secret("base-secret-Ll9Zz0Xx1Cc2")
PROC_AK, PROC_SK = "ASIAPROCEXAMPLE00001", secret("proc-secret-Vv3Bb4Nn5Mm6")
PROC_TOKEN = secret("proc-session-token-Qq7Ww8Ee9Rr0")
WEB_TOKEN = secret("eyJhbGciOiJSUzI1NiJ9.web-identity-token.Tt1Yy2Uu3")
IMDS_SK, IMDS_TOKEN = secret("imds-secret-Ii4Oo5Pp6"), secret("imds-session-token-Aa7Ss8Dd9")
CONT_SK, CONT_TOKEN = secret("container-secret-Ff0Gg1Hh2"), secret("container-token-Jj3Kk4Ll5")
CONT_AUTH = secret("container-auth-Zz6Xx7Cc8Vv9")


class StsProxy(awsfake.HttpServer):
    """Forwards every request to moto and keeps it (.requests), and adds every secret key and
    session token in moto's answers to SECRETS."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def handle(self, req, h):
        status, headers, body = awsfake.FaultServer._proxy(self.target, req)
        text = body.decode("utf-8", "replace")
        for tag in ("SecretAccessKey", "SessionToken"):
            for value in re.findall(r"<%s>([^<]+)</%s>" % (tag, tag), text):
                SECRETS.add(value)
        return status, headers, body

    def calls(self, action=None):
        """[(action, form parameters dict, access key id that signed it or None, request)]."""
        out = []
        with self._lock:
            reqs = list(self.requests)
        for r in reqs:
            form = {k: v[0] for k, v in urllib.parse.parse_qs(r.body.decode(), keep_blank_values=True).items()}
            auth = awsfake.parse_authorization(r.header("authorization"))
            act = form.get("Action")
            if action is None or act == action:
                out.append((act, form, auth["access_key"] if auth else None, r))
        return out


_moto = None
_proxy = None


def setUpModule():
    global _moto, _proxy
    if not awsfake.MotoServer.available():
        raise unittest.SkipTest("moto_server not installed: " + awsfake.MotoServer.why_unavailable())
    if not os.path.exists(rwtest.ROOTWATCH):
        raise unittest.SkipTest("rootwatch binary not found at %s (set ROOTWATCH)" % rwtest.ROOTWATCH)
    _moto = awsfake.MotoServer().start()
    _proxy = StsProxy(_moto.url).start()


def tearDownModule():
    if _proxy is not None:
        _proxy.stop()
    if _moto is not None:
        _moto.stop()


class Base(unittest.TestCase):
    """One moto_server (and its recording proxy) for the whole module; a folder per test for the
    AWS files, scripts and tokens."""

    @classmethod
    def setUpClass(cls):
        cls.moto, cls.proxy = _moto, _proxy

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rw-creds-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.files = awsfake.write_aws_files(os.path.join(self.dir, "aws"), None, None)
        self.proxy.clear()

    def tearDown(self):
        self.assertEqual(self.proxy.errors, [], "the recording proxy failed")

    # -- helpers --

    def write_files(self, config=None, credentials=None):
        self.files = awsfake.write_aws_files(os.path.join(self.dir, "aws"), config, credentials)
        return self.files

    def path(self, name):
        return os.path.join(self.dir, name)

    def script(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, os.stat(p).st_mode | stat.S_IXUSR)
        return p

    def run_rw(self, args, env=None, endpoint="env", timeout=TIMEOUT):
        """Runs rootwatch with exactly a clean environment plus env (never the caller's AWS_*
        variables: rwtest.run would merge os.environ back in). endpoint: "env" sets
        AWS_ENDPOINT_URL to the proxy, "option" passes --endpoint-url, None neither."""
        extra = dict(self.files)
        if endpoint == "env":
            extra["AWS_ENDPOINT_URL"] = self.proxy.url
        extra.update(env or {})
        e = awsfake.clean_aws_env(extra, home=self.home)
        args = list(args)
        if endpoint == "option":
            args += ["--endpoint-url", self.proxy.url]
        started = time.monotonic()
        p = subprocess.run([rwtest.ROOTWATCH] + args, capture_output=True, timeout=timeout, env=e)
        p.elapsed = time.monotonic() - started
        p.stdout_text = p.stdout.decode("utf-8", "replace")
        p.stderr_text = p.stderr.decode("utf-8", "replace")
        rwtest._check_sanitizer(p, args)
        self.assert_no_secrets(p)
        return p

    def assert_no_secrets(self, p):
        for s in sorted(SECRETS):
            for name, text in (("stdout", p.stdout_text), ("stderr", p.stderr_text)):
                if s in text:
                    self.fail("a secret (%s...) appears in rootwatch's %s:\n%s" % (s[:6], name, text))

    def whoami(self, env=None, args=(), endpoint="env", fmt="json"):
        """Runs `aws whoami`; expects success; returns the parsed JSON (and keeps the run in
        self.last)."""
        p = self.run_rw(["aws", "whoami", "--format", fmt] + list(args), env, endpoint)
        self.last = p
        self.assertEqual(p.returncode, 0, "aws whoami failed:\n" + p.stderr_text)
        if fmt != "json":
            return p.stdout_text
        try:
            return json.loads(p.stdout_text)
        except ValueError:
            self.fail("aws whoami --format json printed no JSON:\n" + p.stdout_text)

    def whoami_fails(self, env=None, args=(), endpoint="env", *needles):
        """Runs `aws whoami`; expects exit 2 with every needle (regex) in stderr; returns stderr."""
        p = self.run_rw(["aws", "whoami", "--format", "json"] + list(args), env, endpoint)
        self.last = p
        self.assertEqual(p.returncode, 2, "expected exit 2:\nstdout:\n%s\nstderr:\n%s"
                         % (p.stdout_text, p.stderr_text))
        self.assertEqual(p.stdout_text, "", "nothing on stdout when it fails")
        self.assertIn("rootwatch: error:", p.stderr_text)
        for n in needles:
            self.assertRegex(p.stderr_text, n)
        return p.stderr_text

    def assert_caller_signed_with(self, access_key, token=None):
        """The GetCallerIdentity call was signed with access_key (and carried token)."""
        calls = self.proxy.calls("GetCallerIdentity")
        self.assertEqual(len(calls), 1, [c[:3] for c in calls])
        _, _, ak, req = calls[0]
        self.assertEqual(ak, access_key)
        self.assertEqual(req.header("x-amz-security-token"), token)

    def assert_masked(self, out, access_key):
        self.assertEqual(out["AccessKeyId"], "*" * (len(access_key) - 4) + access_key[-4:])


# ----------------------------------------------------------------------------------------------
# 1. environment


class TestEnvironment(Base):
    def test_keys(self):
        out = self.whoami({"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertEqual(out["Account"], ACCOUNT)
        self.assertTrue(out["Arn"].startswith("arn:aws:sts::%s:" % ACCOUNT), out)
        self.assertIn("environment", out["CredentialSource"])
        self.assertIsNone(out["Expiration"])
        self.assert_masked(out, ENV_AK)
        self.assert_caller_signed_with(ENV_AK)

    def test_keys_with_session_token(self):
        out = self.whoami({"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK,
                           "AWS_SESSION_TOKEN": ENV_TOKEN}, endpoint="option")
        self.assertIn("environment", out["CredentialSource"])
        self.assert_caller_signed_with(ENV_AK, ENV_TOKEN)

    def test_text_format(self):
        text = self.whoami({"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK,
                            "AWS_SESSION_TOKEN": ENV_TOKEN, "AWS_REGION": "eu-central-1"}, fmt="text")
        self.assertRegex(text, r"(?m)^Account: +%s$" % ACCOUNT)
        self.assertRegex(text, r"(?m)^Credentials: +environment")
        self.assertRegex(text, r"(?m)^Access key: +\*+0001 \(temporary")
        self.assertRegex(text, r"(?m)^Profile: +default$")
        self.assertRegex(text, r"(?m)^Region: +eu-central-1 \(AWS_REGION\)$")

    def test_only_access_key(self):
        err = self.whoami_fails({"AWS_ACCESS_KEY_ID": ENV_AK}, (), "env",
                                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        self.assertEqual(self.proxy.calls(), [], "no AWS call without credentials")
        self.assertEqual(err.count("rootwatch: error:"), 1, err)

    def test_only_secret_key(self):
        self.whoami_fails({"AWS_SECRET_ACCESS_KEY": ENV_SK}, (), "env",
                          "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        self.assertEqual(self.proxy.calls(), [])

    def test_half_pair_is_not_skipped_for_a_profile(self):
        # a half-set pair is a mistake to report, not a reason to fall through to the files
        self.write_files(credentials="[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                         % (DEF_AK, DEF_SK))
        self.whoami_fails({"AWS_ACCESS_KEY_ID": ENV_AK}, (), "env", "AWS_SECRET_ACCESS_KEY is not")


# ----------------------------------------------------------------------------------------------
# 2. shared files: static keys, profiles, region


CREDENTIALS = """\
[default]
aws_access_key_id = {def_ak}
aws_secret_access_key = {def_sk}

[dev]
aws_access_key_id = {dev_ak}
aws_secret_access_key = {dev_sk}
""".format(def_ak=DEF_AK, def_sk=DEF_SK, dev_ak=DEV_AK, dev_sk=DEV_SK)

CONFIG = """\
[default]
region = us-west-2

[profile dev]
region = eu-west-2

[profile cfgkeys]
aws_access_key_id = {cfg_ak}
aws_secret_access_key = {cfg_sk}
region = ap-southeast-2
""".format(cfg_ak=CFG_AK, cfg_sk=CFG_SK)


class TestSharedFiles(Base):
    def setUp(self):
        super().setUp()
        self.write_files(CONFIG, CREDENTIALS)
        self.cred_path = self.files["AWS_SHARED_CREDENTIALS_FILE"]
        self.config_path = self.files["AWS_CONFIG_FILE"]

    def test_default_profile(self):
        out = self.whoami()
        self.assertEqual(out["Profile"], "default")
        self.assertEqual(out["CredentialSource"], "profile default (%s)" % self.cred_path)
        self.assertEqual((out["Region"], out["RegionSource"]), ("us-west-2", "profile default"))
        self.assert_masked(out, DEF_AK)
        self.assert_caller_signed_with(DEF_AK)

    def test_files_from_home(self):
        # without AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE: ~/.aws (HOME is the test's)
        os.makedirs(os.path.join(self.home, ".aws"))
        for name, text in (("config", CONFIG), ("credentials", CREDENTIALS)):
            with open(os.path.join(self.home, ".aws", name), "w") as f:
                f.write(text)
        self.files = {}
        out = self.whoami({"AWS_PROFILE": "dev"})
        self.assertEqual(out["CredentialSource"],
                         "profile dev (%s)" % os.path.join(self.home, ".aws", "credentials"))
        self.assertEqual(out["Region"], "eu-west-2")

    def test_aws_profile(self):
        out = self.whoami({"AWS_PROFILE": "dev"})
        self.assertEqual(out["Profile"], "dev")
        self.assertEqual(out["CredentialSource"], "profile dev (%s)" % self.cred_path)
        self.assert_caller_signed_with(DEV_AK)

    def test_region_from_profile(self):
        out = self.whoami({"AWS_PROFILE": "dev"})
        self.assertEqual((out["Region"], out["RegionSource"]), ("eu-west-2", "profile dev"))
        auth = awsfake.parse_authorization(self.proxy.calls("GetCallerIdentity")[0][3].header("authorization"))
        self.assertEqual((auth["region"], auth["service"]), ("eu-west-2", "sts"))
        # the environment and --region beat the profile's region
        out = self.whoami({"AWS_PROFILE": "dev", "AWS_DEFAULT_REGION": "ca-central-1"})
        self.assertEqual((out["Region"], out["RegionSource"]), ("ca-central-1", "AWS_DEFAULT_REGION"))
        out = self.whoami({"AWS_PROFILE": "dev", "AWS_REGION": "sa-east-1"}, ["--region", "eu-north-1"])
        self.assertEqual((out["Region"], out["RegionSource"]), ("eu-north-1", "--region"))

    def test_aws_profile_does_not_beat_env_keys(self):
        out = self.whoami({"AWS_PROFILE": "dev", "AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertIn("environment", out["CredentialSource"])
        self.assertEqual(out["Profile"], "dev")
        self.assertEqual(out["Region"], "eu-west-2", "the profile still gives the region")
        self.assert_caller_signed_with(ENV_AK)

    def test_option_profile_beats_env_keys(self):
        out = self.whoami({"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK,
                           "AWS_SESSION_TOKEN": ENV_TOKEN}, ["--profile", "dev"])
        self.assertEqual(out["CredentialSource"], "profile dev (%s)" % self.cred_path)
        self.assert_caller_signed_with(DEV_AK)

    def test_option_profile_beats_env_keys_when_aws_profile_names_it_too(self):
        out = self.whoami({"AWS_PROFILE": "dev", "AWS_ACCESS_KEY_ID": ENV_AK,
                           "AWS_SECRET_ACCESS_KEY": ENV_SK}, ["--profile", "dev"])
        self.assertEqual(out["CredentialSource"], "profile dev (%s)" % self.cred_path)
        self.assert_caller_signed_with(DEV_AK)

    def test_option_profile_beats_aws_profile(self):
        out = self.whoami({"AWS_PROFILE": "dev"}, ["--profile", "default"])
        self.assertEqual(out["Profile"], "default")
        self.assert_caller_signed_with(DEF_AK)

    def test_keys_in_config_file(self):
        out = self.whoami({"AWS_PROFILE": "cfgkeys"})
        self.assertEqual(out["CredentialSource"], "profile cfgkeys (%s)" % self.config_path)
        self.assertEqual((out["Region"], out["RegionSource"]), ("ap-southeast-2", "profile cfgkeys"))
        self.assert_caller_signed_with(CFG_AK)

    def test_credentials_file_beats_config_file(self):
        # the SDKs read a profile's keys from the credentials file first
        config = CONFIG.replace("[profile dev]\nregion = eu-west-2\n",
                                "[profile dev]\nregion = eu-west-2\naws_access_key_id = %s\n"
                                "aws_secret_access_key = %s\n" % (CFG_AK, CFG_SK))
        self.assertIn(CFG_AK, config)
        self.write_files(config, CREDENTIALS)
        out = self.whoami({"AWS_PROFILE": "dev"})
        self.assertEqual(out["CredentialSource"], "profile dev (%s)" % self.cred_path)
        self.assert_caller_signed_with(DEV_AK)

    def test_missing_profile_option(self):
        err = self.whoami_fails(None, ["--profile", "nosuch"], "env", r"profile nosuch not found",
                                re.escape(self.config_path), re.escape(self.cred_path))
        self.assertEqual(self.proxy.calls(), [])
        self.assertEqual(err.count("rootwatch: error:"), 1, err)

    def test_missing_profile_env(self):
        self.whoami_fails({"AWS_PROFILE": "nosuch", "AWS_ACCESS_KEY_ID": ENV_AK,
                           "AWS_SECRET_ACCESS_KEY": ENV_SK}, (), "env", r"profile nosuch not found",
                          re.escape(self.config_path), re.escape(self.cred_path))

    def test_profile_without_keys(self):
        self.write_files("[profile empty]\nregion = eu-west-1\n", CREDENTIALS)
        self.whoami_fails(None, ["--profile", "empty"], "env", r"profile empty: no credentials in",
                          re.escape(self.config_path))
        self.assertEqual(self.proxy.calls(), [])

    def test_profile_with_half_a_key_pair(self):
        self.write_files(None, "[half]\naws_secret_access_key = %s\n" % DEV_SK)
        self.whoami_fails(None, ["--profile", "half"], "env",
                          r"profile half: aws_secret_access_key is set but aws_access_key_id is not")


# ----------------------------------------------------------------------------------------------
# 3. role_arn: AssumeRole through moto's STS


ROLE_CONFIG = """\
[profile ops]
role_arn = arn:aws:iam::{acct}:role/ops
source_profile = base
role_session_name = rw-ops-session
external_id = ext-7f3a
duration_seconds = 1800
region = eu-west-1

[profile plain]
role_arn = arn:aws:iam::{acct}:role/plain
source_profile = base

[profile chained]
role_arn = arn:aws:iam::{acct}:role/second
source_profile = ops
role_session_name = rw-second

[profile fromenv]
role_arn = arn:aws:iam::{acct}:role/fromenv
credential_source = Environment
role_session_name = rw-env

[profile loop-a]
role_arn = arn:aws:iam::{acct}:role/a
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::{acct}:role/b
source_profile = loop-a

[profile self-loop]
role_arn = arn:aws:iam::{acct}:role/self
source_profile = self-loop

[profile shortdur]
role_arn = arn:aws:iam::{acct}:role/x
source_profile = base
duration_seconds = 60

[profile wordsdur]
role_arn = arn:aws:iam::{acct}:role/x
source_profile = base
duration_seconds = one hour

[profile nosource]
role_arn = arn:aws:iam::{acct}:role/x

[profile badsource]
role_arn = arn:aws:iam::{acct}:role/x
credential_source = Somewhere

[profile emptysource]
role_arn = arn:aws:iam::{acct}:role/x
source_profile = nothing-here

[profile nothing-here]
region = us-east-1
""".format(acct=ACCOUNT)

ROLE_CREDENTIALS = """\
[base]
aws_access_key_id = {ak}
aws_secret_access_key = {sk}
""".format(ak=BASE_AK, sk=BASE_SK)


class TestAssumeRole(Base):
    def setUp(self):
        super().setUp()
        self.write_files(ROLE_CONFIG, ROLE_CREDENTIALS)
        self.cred_path = self.files["AWS_SHARED_CREDENTIALS_FILE"]

    def assume_calls(self):
        return self.proxy.calls("AssumeRole")

    def test_source_profile(self):
        out = self.whoami(None, ["--profile", "plain"])
        self.assertRegex(out["Arn"], r"^arn:aws:sts::%s:assumed-role/plain/[^/]+$" % ACCOUNT)
        src = out["CredentialSource"]
        self.assertIn("role arn:aws:iam::%s:role/plain" % ACCOUNT, src)
        self.assertIn("profile base", src)
        self.assertIsNotNone(out["Expiration"])
        calls = self.assume_calls()
        self.assertEqual(len(calls), 1)
        _, form, ak, _ = calls[0]
        self.assertEqual(ak, BASE_AK, "AssumeRole is signed with the source profile's keys")
        self.assertEqual(form["RoleArn"], "arn:aws:iam::%s:role/plain" % ACCOUNT)
        self.assertTrue(form.get("RoleSessionName"), "a session name is always sent")
        self.assertNotIn("ExternalId", form)
        self.assertNotIn("DurationSeconds", form)
        # GetCallerIdentity is signed with the role's temporary keys
        gci = self.proxy.calls("GetCallerIdentity")
        self.assertEqual(len(gci), 1)
        self.assertTrue(gci[0][2].startswith("ASIA"), gci[0][2])
        self.assertIsNotNone(gci[0][3].header("x-amz-security-token"))

    def test_assume_role_parameters(self):
        t0 = time.time()
        out = self.whoami({"AWS_PROFILE": "ops"})
        self.assertEqual(out["Arn"], "arn:aws:sts::%s:assumed-role/ops/rw-ops-session" % ACCOUNT)
        self.assertEqual((out["Region"], out["RegionSource"]), ("eu-west-1", "profile ops"))
        _, form, ak, req = self.assume_calls()[0]
        self.assertEqual(ak, BASE_AK)
        self.assertEqual(form["RoleSessionName"], "rw-ops-session")
        self.assertEqual(form["ExternalId"], "ext-7f3a")
        self.assertEqual(form["DurationSeconds"], "1800")
        self.assertEqual(form["Version"], "2011-06-15")
        self.assertEqual(awsfake.parse_authorization(req.header("authorization"))["region"], "eu-west-1")
        # moto gives credentials for DurationSeconds
        left = awsfake.parse_time(out["Expiration"]) - t0
        self.assertTrue(1700 < left < 1900, "expires in %d s, not ~1800" % left)

    def test_credential_source_environment(self):
        out = self.whoami({"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK,
                           "AWS_SESSION_TOKEN": ENV_TOKEN}, ["--profile", "fromenv"])
        self.assertEqual(out["Arn"], "arn:aws:sts::%s:assumed-role/fromenv/rw-env" % ACCOUNT)
        self.assertIn("role arn:aws:iam::%s:role/fromenv" % ACCOUNT, out["CredentialSource"])
        self.assertIn("environment", out["CredentialSource"])
        _, _, ak, req = self.assume_calls()[0]
        self.assertEqual(ak, ENV_AK)
        self.assertEqual(req.header("x-amz-security-token"), ENV_TOKEN)

    def test_credential_source_environment_without_keys(self):
        self.whoami_fails(None, ["--profile", "fromenv"], "env",
                          r"profile fromenv: credential_source Environment gave nothing",
                          r"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        self.assertEqual(self.proxy.calls(), [])

    def test_chained_source_profiles(self):
        out = self.whoami(None, ["--profile", "chained"])
        self.assertEqual(out["Arn"], "arn:aws:sts::%s:assumed-role/second/rw-second" % ACCOUNT)
        self.assertIn("role arn:aws:iam::%s:role/second" % ACCOUNT, out["CredentialSource"])
        self.assertIn("role arn:aws:iam::%s:role/ops" % ACCOUNT, out["CredentialSource"])
        self.assertIn("profile base", out["CredentialSource"])
        calls = self.assume_calls()
        self.assertEqual([c[1]["RoleArn"].rsplit("/", 1)[1] for c in calls], ["ops", "second"])
        self.assertEqual(calls[0][2], BASE_AK)
        self.assertTrue(calls[1][2].startswith("ASIA"), "the second hop is signed with the first role's keys")
        self.assertIsNotNone(calls[1][3].header("x-amz-security-token"))
        # the first hop keeps its own settings
        self.assertEqual(calls[0][1]["ExternalId"], "ext-7f3a")
        self.assertNotIn("ExternalId", calls[1][1])

    def test_source_profile_loop(self):
        err = self.whoami_fails(None, ["--profile", "loop-a"], "env", r"loop", r"loop-a", r"loop-b")
        self.assertEqual(self.proxy.calls(), [], "no STS call for a loop")
        self.assertLess(len(err), 1000, err)

    def test_source_profile_is_itself_without_keys(self):
        self.whoami_fails(None, ["--profile", "self-loop"], "env", r"profile self-loop")
        self.assertEqual(self.proxy.calls(), [])

    def test_bad_duration_seconds(self):
        for profile, value in (("shortdur", "60"), ("wordsdur", "one hour")):
            with self.subTest(profile=profile):
                self.proxy.clear()
                self.whoami_fails(None, ["--profile", profile], "env",
                                  r"profile %s: duration_seconds %s is not" % (profile, value), r"900")
                self.assertEqual(self.proxy.calls(), [])

    def test_role_without_source(self):
        self.whoami_fails(None, ["--profile", "nosource"], "env",
                          r"profile nosource: role_arn needs .*source_profile.*credential_source")

    def test_unknown_credential_source(self):
        self.whoami_fails(None, ["--profile", "badsource"], "env",
                          r"credential_source Somewhere is not one of Environment")

    def test_source_profile_without_credentials(self):
        self.whoami_fails(None, ["--profile", "emptysource"], "env",
                          r"profile emptysource: source_profile nothing-here has no credentials")

    def test_source_profile_missing(self):
        self.write_files(ROLE_CONFIG.replace("source_profile = nothing-here", "source_profile = ghost"),
                         ROLE_CREDENTIALS)
        self.whoami_fails(None, ["--profile", "emptysource"], "env", r"ghost")

    def test_sts_refuses(self):
        # AssumeRole refused by STS: the error says which profile and role, and STS's words
        fault = awsfake.FaultServer([("status", 403,
                                      '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>'
                                      '<Message>not allowed to assume</Message></Error></ErrorResponse>',
                                      {"Content-Type": "text/xml"})], default=("proxy", self.moto.url))
        with fault:
            self.whoami_fails({"AWS_ENDPOINT_URL": fault.url}, ["--profile", "plain"], "env",
                              r"profile plain: assuming role arn:aws:iam::%s:role/plain" % ACCOUNT,
                              r"AccessDenied")


# ----------------------------------------------------------------------------------------------
# 4. credential_process


class TestCredentialProcess(Base):
    def process(self, body, exit_code=0, stderr_text=""):
        p = self.script("creds.py", "import sys\nsys.stdout.write(%r)\nsys.stderr.write(%r)\nsys.exit(%d)\n"
                        % (body, stderr_text, exit_code))
        self.write_files("[default]\ncredential_process = \"%s\" \"%s\"\nregion = us-east-2\n"
                         % (sys.executable, p), None)

    def test_version1_with_expiration(self):
        exp = awsfake.iso8601(time.time() + 3600)
        self.process(json.dumps({"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK,
                                 "SessionToken": PROC_TOKEN, "Expiration": exp}))
        out = self.whoami()
        self.assertEqual(out["CredentialSource"], "profile default (credential_process)")
        self.assertEqual(out["Expiration"], exp)
        self.assert_caller_signed_with(PROC_AK, PROC_TOKEN)

    def test_version1_without_expiration(self):
        self.process(json.dumps({"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK}))
        out = self.whoami(None, endpoint="option")
        self.assertIn("credential_process", out["CredentialSource"])
        self.assertIsNone(out["Expiration"])
        self.assert_caller_signed_with(PROC_AK)

    def test_named_profile(self):
        p = self.script("creds.sh", "#!/bin/sh\nprintf '%%s' '%s'\n" % json.dumps(
            {"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK}))
        self.write_files("[profile tool]\ncredential_process = %s\n" % p, None)
        out = self.whoami(None, ["--profile", "tool"])
        self.assertEqual(out["CredentialSource"], "profile tool (credential_process)")

    def test_runs_once(self):
        # the credentials are cached for the run: the process is not run for every use
        count = self.path("count")
        p = self.script("counting.sh", "#!/bin/sh\necho run >> '%s'\nprintf '%%s' '%s'\n" % (count, json.dumps(
            {"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK, "SessionToken": PROC_TOKEN,
             "Expiration": awsfake.iso8601(time.time() + 3600)})))
        self.write_files("[default]\ncredential_process = %s\n" % p, None)
        self.whoami()
        with open(count) as f:
            self.assertEqual(f.read().count("run"), 1)

    def test_expired(self):
        exp = awsfake.iso8601(time.time() - 60)
        self.process(json.dumps({"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK,
                                 "SessionToken": PROC_TOKEN, "Expiration": exp}))
        self.whoami_fails(None, (), "env", r"credential_process", r"expired at %s" % exp)
        self.assertEqual(self.proxy.calls(), [])

    def test_failing_process(self):
        self.process("", exit_code=1, stderr_text="token expired, run login\n")
        err = self.whoami_fails(None, (), "env", r"credential_process", r"exit status 1")
        self.assertIn("token expired, run login", err, "the process's own error output is shown")
        self.assertEqual(self.proxy.calls(), [])

    def test_failing_process_that_printed_credentials(self):
        self.process(json.dumps({"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK}),
                     exit_code=3)
        self.whoami_fails(None, (), "env", r"credential_process", r"exit status 3")

    def test_garbage(self):
        self.process("this is not json " + PROC_SK)
        self.whoami_fails(None, (), "env", r"profile default: credential_process", r"not JSON")

    def test_missing_secret(self):
        self.process(json.dumps({"Version": 1, "AccessKeyId": PROC_AK}))
        self.whoami_fails(None, (), "env", r"credential_process", r"SecretAccessKey")

    def test_wrong_version(self):
        self.process(json.dumps({"Version": 2, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK}))
        self.whoami_fails(None, (), "env", r"credential_process", r"Version")

    def test_bad_expiration(self):
        self.process(json.dumps({"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK,
                                 "Expiration": "tomorrow"}))
        self.whoami_fails(None, (), "env", r"credential_process", r"Expiration")

    def test_command_not_found(self):
        self.write_files("[default]\ncredential_process = %s\n" % self.path("no-such-tool"), None)
        self.whoami_fails(None, (), "env", r"credential_process", r"exit status 127")


class TestCredentialProcessBounds(Base):
    """A credential_process runs within a time limit and an output limit, in a process group of
    its own that is stopped whole (SIGTERM, then SIGKILL) when it passes either, so that nothing
    of it outlives rootwatch. Each script records "PID PGID" lines in self.pids_file."""

    LIMIT_MS = 1000
    BOUND_S = 10  # the limit, the 2 s grace before SIGKILL, and room for a busy machine
    RUN_TIMEOUT = 30  # a run that hangs (the code before the bounds) fails here, not later

    def setUp(self):
        super().setUp()
        self.pids_file = self.path("pids")
        self.addCleanup(self.kill_recorded)

    # a job that never ends, recorded (started in the background and waited for, so that a run
    # of the code before the bounds, which leaves it behind, can still be cleaned up by pid)
    SLEEP = 'sleep 1000 &\necho "$! bg" >> "$PIDS"'

    def profile(self, name, body, settings=""):
        """[profile name] whose credential_process is a shell script: a line recording its own pid
        and process group, then body ($PIDS names the record, for background jobs)."""
        script = self.script(name + ".sh", "#!/bin/sh\nPIDS='%s'\n"
                             "echo \"$$ $(cut -d' ' -f5 /proc/$$/stat)\" >> \"$PIDS\"\n%s\n"
                             % (self.pids_file, body))
        self.write_files("[profile %s]\ncredential_process = %s\n%s" % (name, script, settings), None)

    def recorded(self):
        """[(pid, pgid or None)] that the scripts recorded."""
        if not os.path.exists(self.pids_file):
            return []
        out = []
        with open(self.pids_file) as f:
            for line in f:
                parts = line.split()
                if parts:
                    out.append((int(parts[0]), int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None))
        return out

    @staticmethod
    def state(pid):
        """The process's state letter, or None when it is gone. A zombie ("Z") has ended: where
        init does not reap orphans, theirs stay."""
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return None

    @classmethod
    def alive(cls, pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return cls.state(pid) not in (None, "Z", "X")

    @classmethod
    def group_members(cls, pgid):
        """The live processes of a process group."""
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                out.append(int(name))
        return out

    def assert_nothing_left(self):
        rec = self.recorded()
        self.assertTrue(rec, "the credential process ran and recorded its pid")
        for pid, pgid in rec:
            self.assertFalse(self.alive(pid), "process %d of the credential process is still alive "
                             "(state %s)" % (pid, self.state(pid)))
            if pgid is not None:
                self.assertNotEqual(pgid, os.getpgid(0), "the credential process has a group of its own")
                self.assertEqual(self.group_members(pgid), [], "its process group %d is gone" % pgid)

    def kill_recorded(self):
        # whatever a failing run left behind (the processes these tests started), by pid
        for pid, _ in self.recorded():
            if self.alive(pid):
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass

    def run_bounded(self, profile, env=None, limit_ms=LIMIT_MS):
        e = {"ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS": str(limit_ms)} if limit_ms else {}
        e.update(env or {})
        p = self.run_rw(["aws", "whoami", "--format", "json", "--profile", profile], e,
                        timeout=self.RUN_TIMEOUT)
        self.last = p
        return p

    def assert_fails(self, p, *needles):
        self.assertEqual(p.returncode, 2, "stdout:\n%s\nstderr:\n%s" % (p.stdout_text, p.stderr_text))
        self.assertEqual(p.stdout_text, "")
        for n in needles:
            self.assertRegex(p.stderr_text, n)
        self.assertEqual(self.proxy.calls(), [], "no AWS call without credentials")

    def test_hanging_process_times_out(self):
        # the case: a process (and a background job of it) that never ends
        self.profile("hang", "%s\n%s\nwait" % (self.SLEEP, self.SLEEP))
        p = self.run_bounded("hang")
        self.assert_fails(p, r"profile hang: credential_process did not finish within 1 s "
                             r"\(ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS\)", r"stopped")
        self.assertGreaterEqual(p.elapsed, 0.9, "not before the limit")
        self.assertLess(p.elapsed, self.BOUND_S, p.stderr_text)
        self.assertEqual(len(self.recorded()), 3)
        self.assert_nothing_left()

    def test_process_ignoring_sigterm_is_killed(self):
        # SIGTERM ignored by the script and, inherited, by its background job: SIGKILL ends both
        self.profile("stubborn", "trap '' TERM\n%s\nwhile :; do sleep 1; done" % self.SLEEP)
        p = self.run_bounded("stubborn")
        self.assert_fails(p, r"profile stubborn: credential_process did not finish within 1 s",
                          r"SIGTERM, then SIGKILL")
        self.assertLess(p.elapsed, self.BOUND_S, p.stderr_text)
        self.assert_nothing_left()

    def test_process_that_closes_its_output_and_keeps_running(self):
        self.profile("closer", "exec >&-\n%s\nwait" % self.SLEEP)
        p = self.run_bounded("closer")
        self.assert_fails(p, r"profile closer: credential_process did not finish within 1 s")
        self.assertLess(p.elapsed, self.BOUND_S, p.stderr_text)
        self.assert_nothing_left()

    def test_huge_output_is_refused(self):
        # refused as soon as the output passes the limit: well before the time limit (30 s here),
        # whether the process then hangs or goes on printing forever
        for name, body in (("bigthenhang", "head -c 3000000 /dev/zero\n%s\nwait" % self.SLEEP),
                           ("endless", "while :; do echo 0123456789abcdef0123456789abcdef; done"),
                           ("bigthenexit", "head -c 2000000 /dev/zero | tr '\\0' x")):
            with self.subTest(name=name):
                self.profile(name, body)
                p = self.run_bounded(name, limit_ms=30000)
                self.assert_fails(p, r"profile %s: credential_process printed more than 1 MiB on its "
                                     r"standard output" % name)
                self.assertNotIn("did not finish", p.stderr_text)
                self.assertLess(p.elapsed, self.BOUND_S, p.stderr_text)
                self.assert_nothing_left()

    def test_limit_from_the_profile(self):
        self.profile("slow", "%s\nwait" % self.SLEEP, "credential_process_timeout_ms = 1000\n")
        p = self.run_bounded("slow", limit_ms=None)
        self.assert_fails(p, r"profile slow: credential_process did not finish within 1 s "
                             r"\(credential_process_timeout_ms of profile slow\)")
        self.assertLess(p.elapsed, self.BOUND_S, p.stderr_text)
        self.assert_nothing_left()
        # the environment beats the profile
        p = self.run_bounded("slow", limit_ms=1500)
        self.assert_fails(p, r"did not finish within 1500 ms \(ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS\)")
        self.assert_nothing_left()

    def test_bad_limit(self):
        self.profile("fine", "printf '%%s' '%s'" % json.dumps(
            {"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK}),
            "credential_process_timeout_ms = soon\n")
        p = self.run_bounded("fine", limit_ms=None)
        self.assert_fails(p, r"credential_process_timeout_ms of profile fine \"soon\" is not a number "
                             r"of milliseconds")
        for value in ("-5", "1e3", "3600001"):
            p = self.run_bounded("fine", limit_ms=value)
            self.assert_fails(p, r"ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS \"%s\" is not a number" % value)
        self.assertEqual(self.recorded(), [], "the process is not run with a limit that makes no sense")

    def test_background_job_is_stopped_after_success(self):
        # the credentials come, and the job the process left behind (holding its output open) is
        # stopped rather than waited for
        self.profile("leaver", "%s\nprintf '%%s' '%s'" % (self.SLEEP, json.dumps(
            {"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK})))
        p = self.run_bounded("leaver", limit_ms=30000)
        self.assertEqual(p.returncode, 0, p.stderr_text)
        self.assertEqual(json.loads(p.stdout_text)["CredentialSource"], "profile leaver (credential_process)")
        self.assertRegex(p.stderr_text, r"profile leaver: credential_process left processes running")
        self.assertLess(p.elapsed, self.BOUND_S, p.stderr_text)
        self.assert_nothing_left()

    def test_prompt_on_the_terminal(self):
        # a helper that asks for an MFA code on /dev/tty still works from its own process group:
        # rootwatch hands the terminal to it and takes it back (with TOSTOP set, a background
        # writer would be stopped: the helper's prompt, or rootwatch's output if it did not take
        # the terminal back)
        import pty
        import select
        self.profile("mfa", "printf 'MFA code: ' > /dev/tty\nread code < /dev/tty\n"
                     "[ \"$code\" = 123456 ] || exit 9\nprintf '%%s' '%s'" % json.dumps(
                         {"Version": 1, "AccessKeyId": PROC_AK, "SecretAccessKey": PROC_SK}))
        extra = dict(self.files, AWS_ENDPOINT_URL=self.proxy.url,
                     ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS="20000")
        env = awsfake.clean_aws_env(extra, home=self.home)
        argv = ["/bin/sh", "-c", 'stty tostop && exec "$0" "$@"', rwtest.ROOTWATCH,
                "aws", "whoami", "--format", "json", "--profile", "mfa"]
        pid, fd = pty.fork()
        if pid == 0:  # a session of its own, the pty its terminal, its group the foreground job
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        out, answered, deadline = b"", False, time.monotonic() + self.RUN_TIMEOUT
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if not ready:
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: every process of the terminal is gone
                    break
                if not chunk:
                    break
                out += chunk
                if not answered and b"MFA code: " in out:
                    os.write(fd, b"123456\n")
                    answered = True
            # the terminal closes as rootwatch exits, a moment before its exit can be waited for
            done, status = os.waitpid(pid, os.WNOHANG)
            while not done and time.monotonic() < deadline:
                time.sleep(0.05)
                done, status = os.waitpid(pid, os.WNOHANG)
            if not done:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                self.fail("rootwatch did not finish (stopped in the background?):\n%s"
                          % out.decode("utf-8", "replace"))
        finally:
            os.close(fd)
        text = out.decode("utf-8", "replace")
        for mark in rwtest.SANITIZER_MARKS:
            self.assertNotIn(mark, text)
        self.assertTrue(answered, text)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, text)
        self.assertIn("profile mfa (credential_process)", text)
        self.assert_caller_signed_with(PROC_AK)
        self.assert_nothing_left()


# ----------------------------------------------------------------------------------------------
# 5. web identity


class TestWebIdentity(Base):
    ROLE = "arn:aws:iam::%s:role/web-role" % ACCOUNT

    def token_file(self):
        p = self.path("web-token")
        with open(p, "w") as f:
            f.write(WEB_TOKEN + "\n")
        return p

    def test_env(self):
        tf = self.token_file()
        out = self.whoami({"AWS_WEB_IDENTITY_TOKEN_FILE": tf, "AWS_ROLE_ARN": self.ROLE,
                           "AWS_ROLE_SESSION_NAME": "rw-web"})
        self.assertEqual(out["Arn"], "arn:aws:sts::%s:assumed-role/web-role/rw-web" % ACCOUNT)
        self.assertIn("web identity", out["CredentialSource"])
        self.assertIn(tf, out["CredentialSource"])
        calls = self.proxy.calls("AssumeRoleWithWebIdentity")
        self.assertEqual(len(calls), 1)
        _, form, ak, req = calls[0]
        self.assertIsNone(ak, "AssumeRoleWithWebIdentity is not signed")
        self.assertIsNone(req.header("authorization"))
        self.assertEqual(form["WebIdentityToken"], WEB_TOKEN, "the token without its line break")
        self.assertEqual((form["RoleArn"], form["RoleSessionName"]), (self.ROLE, "rw-web"))

    def test_env_without_session_name(self):
        out = self.whoami({"AWS_WEB_IDENTITY_TOKEN_FILE": self.token_file(), "AWS_ROLE_ARN": self.ROLE})
        self.assertRegex(out["Arn"], r"^arn:aws:sts::%s:assumed-role/web-role/[\w+=,.@-]{2,64}$" % ACCOUNT)

    def test_env_keys_come_first(self):
        out = self.whoami({"AWS_WEB_IDENTITY_TOKEN_FILE": self.token_file(), "AWS_ROLE_ARN": self.ROLE,
                           "AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertIn("environment", out["CredentialSource"])
        self.assertEqual(self.proxy.calls("AssumeRoleWithWebIdentity"), [])

    def test_web_identity_comes_before_the_files(self):
        self.write_files(None, CREDENTIALS)
        out = self.whoami({"AWS_WEB_IDENTITY_TOKEN_FILE": self.token_file(), "AWS_ROLE_ARN": self.ROLE})
        self.assertIn("web identity", out["CredentialSource"])

    def test_profile(self):
        self.write_files("[profile web]\nrole_arn = %s\nweb_identity_token_file = %s\n"
                         "role_session_name = rw-prof\n" % (self.ROLE, self.token_file()), None)
        out = self.whoami(None, ["--profile", "web"])
        self.assertEqual(out["Arn"], "arn:aws:sts::%s:assumed-role/web-role/rw-prof" % ACCOUNT)

    def test_missing_token_file(self):
        missing = self.path("no-such-token")
        self.whoami_fails({"AWS_WEB_IDENTITY_TOKEN_FILE": missing, "AWS_ROLE_ARN": self.ROLE}, (), "env",
                          r"web identity", re.escape(missing), r"No such file")
        self.assertEqual(self.proxy.calls(), [])

    def test_role_arn_without_token_file(self):
        # AWS_ROLE_ARN alone is not web identity: the chain goes on (and finds nothing here)
        err = self.whoami_fails({"AWS_ROLE_ARN": self.ROLE}, (), "env",
                                r"web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set")
        self.assertIn("no AWS credentials found", err)


# ----------------------------------------------------------------------------------------------
# 6. container credentials


class TestContainer(Base):
    def server(self, **kw):
        srv = awsfake.ContainerCredsServer(secret_access_key=CONT_SK, token=CONT_TOKEN, **kw)
        srv.start()
        self.addCleanup(srv.stop)
        return srv

    def check(self, srv, out):
        self.assertEqual(out["CredentialSource"], "container credentials (%s)" % srv.full_uri)
        self.assertIsNotNone(out["Expiration"])
        self.assert_caller_signed_with(srv.credentials["AccessKeyId"], CONT_TOKEN)
        self.assertEqual(srv.errors, [])

    def test_full_uri(self):
        srv = self.server()
        out = self.whoami(srv.env())
        self.check(srv, out)
        self.assertEqual(srv.counts["credentials"], 1)
        self.assertIsNone(srv.requests[0].header("authorization"))

    def test_auth_token(self):
        srv = self.server(auth_token=CONT_AUTH)
        self.check(srv, self.whoami(srv.env()))
        self.assertEqual([r.header("authorization") for r in srv.requests], [CONT_AUTH])

    def test_auth_token_file(self):
        srv = self.server(auth_token=CONT_AUTH)
        env = srv.env(token_file=self.path("eks-token"))
        self.assertIn("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", env)
        # the file wins over the variable (the SDKs' rule)
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = secret("a-stale-token-Qw3Er4")
        self.check(srv, self.whoami(env))
        self.assertEqual(srv.counts["unauthorized"], 0)

    def test_wrong_token(self):
        srv = self.server(auth_token=CONT_AUTH)
        env = srv.env()
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = secret("wrong-token-Ty5Ui6")
        self.whoami_fails(env, (), "env", r"container credentials", r"HTTP 401",
                          r"authorization token was refused")
        self.assertGreaterEqual(srv.counts["unauthorized"], 1)
        self.assertEqual(self.proxy.calls(), [])

    def test_missing_token_file(self):
        srv = self.server(auth_token=CONT_AUTH)
        missing = self.path("no-token-here")
        env = srv.env()
        del env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = missing
        self.whoami_fails(env, (), "env", r"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", re.escape(missing))
        self.assertEqual(srv.requests, [])

    def test_server_error(self):
        srv = self.server(fail_with=500)
        self.whoami_fails(srv.env(), (), "env", r"container credentials", re.escape(srv.full_uri))

    def test_non_loopback_http_refused(self):
        for uri in ("http://example.com/creds", "http://192.0.2.10/creds",
                    "http://169.254.170.2.example.com/creds", "http://169.254.170.2:80@example.com/creds",
                    "http://169.254.169.254/latest/meta-data/iam/security-credentials/x"):
            with self.subTest(uri=uri):
                p = self.run_rw(["aws", "whoami", "--format", "json"],
                                {"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri,
                                 "AWS_CONTAINER_AUTHORIZATION_TOKEN": CONT_AUTH})
                self.assertEqual(p.returncode, 2, p.stderr_text)
                self.assertRegex(p.stderr_text, r"https")
                self.assertRegex(p.stderr_text, r"loopback")
                # refused before any connection: no DNS lookup nor connect timeout
                # (three connection attempts would take 6 s: 3 x the 2 s timeout)
                self.assertLess(p.elapsed, 4.5, p.stderr_text)
        self.assertEqual(self.proxy.calls(), [])

    def test_before_instance_metadata(self):
        srv = self.server()
        imds = awsfake.ImdsServer()
        with imds:
            env = dict(srv.env(), **imds.env())
            self.check(srv, self.whoami(env))
        self.assertEqual(imds.requests, [])

    def test_after_the_files(self):
        srv = self.server()
        self.write_files(None, CREDENTIALS)
        out = self.whoami(srv.env())
        self.assertIn("profile default", out["CredentialSource"])
        self.assertEqual(srv.requests, [])


# ----------------------------------------------------------------------------------------------
# 7. EC2 instance metadata


class TestImds(Base):
    def server(self, **kw):
        srv = awsfake.ImdsServer(secret_access_key=IMDS_SK, token=IMDS_TOKEN, **kw)
        srv.start()
        self.addCleanup(srv.stop)
        return srv

    def cred_gets(self, srv):
        return [r for r in srv.requests if r.url_path.startswith(srv.CREDS)]

    def test_imdsv2(self):
        srv = self.server()
        out = self.whoami(srv.env())
        self.assertEqual(out["CredentialSource"], "instance metadata (IMDSv2, role %s)" % srv.role)
        self.assertIsNotNone(out["Expiration"])
        self.assert_caller_signed_with(srv.credentials["AccessKeyId"], IMDS_TOKEN)
        self.assertEqual(srv.counts["token"], 1, "one token PUT")
        put = srv.requests[0]
        self.assertEqual((put.method, put.url_path), ("PUT", srv.API_TOKEN))
        self.assertTrue(put.header("x-aws-ec2-metadata-token-ttl-seconds"))
        gets = self.cred_gets(srv)
        self.assertEqual(len(gets), 2, [r.path for r in gets])
        for r in gets:
            self.assertEqual(r.method, "GET")
            self.assertIn(r.header("x-aws-ec2-metadata-token"), srv.tokens)
        self.assertEqual(srv.counts["unauthorized"], 0)
        self.assertEqual(srv.counts["v1"], 0)
        self.assertEqual(srv.errors, [])

    def test_imdsv1_fallback(self):
        for status in (403, 404, 405):
            with self.subTest(status=status):
                self.proxy.clear()
                srv = self.server(require_token=False, fail_token_put=status)
                out = self.whoami(srv.env())
                self.assertEqual(out["CredentialSource"], "instance metadata (IMDSv1, role %s)" % srv.role)
                self.assertEqual(srv.counts["token"], 1)
                gets = self.cred_gets(srv)
                self.assertEqual(len(gets), 2)
                self.assertTrue(all(r.header("x-aws-ec2-metadata-token") is None for r in gets))
                self.assertEqual(srv.counts["v1"], 2)
                self.assert_caller_signed_with(srv.credentials["AccessKeyId"], IMDS_TOKEN)

    def test_imdsv1_disabled(self):
        srv = self.server(require_token=False, fail_token_put=403)
        env = srv.env()
        env["AWS_EC2_METADATA_V1_DISABLED"] = "true"
        self.whoami_fails(env, (), "env", r"instance metadata", r"IMDSv1 is disabled")
        self.assertEqual(self.cred_gets(srv), [])

    def test_disabled(self):
        srv = self.server()
        env = srv.env()
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        self.whoami_fails(env, (), "env", r"instance metadata: AWS_EC2_METADATA_DISABLED is true")
        self.assertEqual(srv.requests, [], "nothing asked of the instance metadata")

    def test_unusable_role_name(self):
        srv = self.server(role="")
        self.whoami_fails(srv.env(), (), "env", r"instance metadata: the role name .* is not usable")
        self.assertEqual(srv.counts["credentials"], 0)

    def test_no_answer(self):
        port = awsfake.free_port()
        err = self.whoami_fails({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:%d" % port,
                                 "AWS_EC2_METADATA_DISABLED": "false"}, (), "env",
                                r"instance metadata: no answer from http://127.0.0.1:%d" % port)
        self.assertIn("no AWS credentials found", err)


# ----------------------------------------------------------------------------------------------
# 8. nothing configured


class TestNothing(Base):
    def test_lists_every_place(self):
        err = self.whoami_fails(None, (), "env", r"no AWS credentials found")
        for needle in ("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                       "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                       "profile default: no credentials in %s or %s" % (
                           self.files["AWS_CONFIG_FILE"], self.files["AWS_SHARED_CREDENTIALS_FILE"]),
                       "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI "
                       "are not set",
                       "instance metadata: AWS_EC2_METADATA_DISABLED is true"):
            self.assertIn(needle, err)
        self.assertEqual(self.proxy.calls(), [])

    def test_default_files_in_home(self):
        self.files = {}
        err = self.whoami_fails(None, (), "env", r"no AWS credentials found")
        self.assertIn(os.path.join(self.home, ".aws", "config"), err)
        self.assertIn(os.path.join(self.home, ".aws", "credentials"), err)

    def test_unknown_option(self):
        p = self.run_rw(["aws", "whoami", "--bogus"], {"AWS_ACCESS_KEY_ID": ENV_AK,
                                                       "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertEqual(p.returncode, 2)
        self.assertIn("--bogus", p.stderr_text)


# ----------------------------------------------------------------------------------------------
# 10. malformed files


class TestMalformedFiles(Base):
    def check(self, config, credentials, which, line, *needles):
        self.write_files(config, credentials)
        path = self.files[which]
        p = self.run_rw(["aws", "whoami", "--format", "json"],
                        {"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertEqual(p.returncode, 2, p.stdout_text + p.stderr_text)
        self.assertIn("%s:%d:" % (path, line), p.stderr_text)
        for n in needles:
            self.assertRegex(p.stderr_text, n)
        self.assertEqual(self.proxy.calls(), [])
        return p.stderr_text

    def test_line_without_equals_outside_a_section(self):
        self.check(None, "this line has no equals sign\n[default]\naws_access_key_id = x\n",
                   "AWS_SHARED_CREDENTIALS_FILE", 1)

    def test_setting_before_any_section(self):
        self.check("region = us-east-1\n[default]\n", None, "AWS_CONFIG_FILE", 1, r"before any \[section\]")

    def test_garbage_line_in_a_section(self):
        err = self.check(None, "[default]\naws_access_key_id = %s\n%s\n" % (DEF_AK, DEF_SK),
                         "AWS_SHARED_CREDENTIALS_FILE", 3)
        self.assertNotIn(DEF_SK, err)

    def test_secret_without_equals(self):
        # the line's text (a secret) is not quoted in the error
        self.check(None, "[default]\naws_access_key_id = %s\naws_secret_access_key %s\n" % (DEF_AK, DEF_SK),
                   "AWS_SHARED_CREDENTIALS_FILE", 3)

    def test_unclosed_section(self):
        self.check("[default]\nregion = us-east-1\n\n[profile dev\nregion = eu-west-1\n", None,
                   "AWS_CONFIG_FILE", 4, r"without '\]'")

    def test_duplicate_key(self):
        self.check(None, "[default]\naws_access_key_id = a\naws_access_key_id = b\n",
                   "AWS_SHARED_CREDENTIALS_FILE", 3, r"appears twice")

    def test_binary_garbage(self):
        self.write_files(None, None)
        with open(self.files["AWS_CONFIG_FILE"], "wb") as f:
            f.write(b"[default]\nregion = us-east-1\n\x00\x01\x02\xff garbage\n")
        p = self.run_rw(["aws", "whoami"], {"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertEqual(p.returncode, 2)
        self.assertIn("%s:3:" % self.files["AWS_CONFIG_FILE"], p.stderr_text)

    def test_unreadable_file(self):
        self.write_files(None, None)
        os.mkdir(self.files["AWS_CONFIG_FILE"])  # unreadable as a file, even by root
        p = self.run_rw(["aws", "whoami"], {"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertEqual(p.returncode, 2)
        self.assertIn(self.files["AWS_CONFIG_FILE"], p.stderr_text)

    def test_bad_region_in_profile(self):
        self.write_files("[default]\nregion = not a region!\n", None)
        p = self.run_rw(["aws", "whoami"], {"AWS_ACCESS_KEY_ID": ENV_AK, "AWS_SECRET_ACCESS_KEY": ENV_SK})
        self.assertEqual(p.returncode, 2)
        self.assertIn("profile default", p.stderr_text)


if __name__ == "__main__":
    os.makedirs(rwtest.WORK, exist_ok=True)
    rwtest.main()

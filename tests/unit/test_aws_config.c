/* Unit tests for src/aws/config.c: the INI files, the settings' order, partitions and endpoints. */
#include "rwtest.h"

#include <unistd.h>

#include "aws/config.h"
#include "util/err.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static const char *const aws_vars[] = {
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_MAX_ATTEMPTS",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    "AWS_ENDPOINT_URL_CONFIG_SERVICE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};

static char tmpdir[64];
static char config_path[128], creds_path[128];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Every test starts with no AWS variable set and both files pointing into an empty folder. */
static int setup(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof aws_vars / sizeof aws_vars[0]; i++) unsetenv(aws_vars[i]);
    strcpy(tmpdir, "/tmp/rwtest_awscfg_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    snprintf(config_path, sizeof config_path, "%s/config", tmpdir);
    snprintf(creds_path, sizeof creds_path, "%s/credentials", tmpdir);
    setenv("AWS_CONFIG_FILE", config_path, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", creds_path, 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(config_path);
    unlink(creds_path);
    rmdir(tmpdir);
    return 0;
}

static rw_ini *ini_ok(const char *text) {
    rw_ini *ini = NULL;
    int rc = rw_ini_parse(&ini, text, strlen(text), "test.ini");
    if (rc != RW_OK) fail_msg("parsing failed: %s", rw_error_last());
    assert_non_null(ini);
    return ini;
}

static void ini_fails(const char *text, const char *msg) {
    rw_ini *ini = (rw_ini *)0x1;
    int rc = rw_ini_parse(&ini, text, strlen(text), "/home/u/.aws/config");
    if (rc != RW_EINVAL) fail_msg("expected RW_EINVAL for '%s', got %d", text, rc);
    assert_null(ini);
    assert_contains(rw_error_last(), msg);
}

static rw_aws_config *load_ok(const rw_aws_opts *opts) {
    rw_aws_config *c = NULL;
    int rc = rw_aws_config_load(&c, opts);
    if (rc != RW_OK) fail_msg("loading failed: %s", rw_error_last());
    assert_non_null(c);
    return c;
}

static void endpoint_is(const rw_aws_config *c, const char *service, const char *region,
                        const char *want) {
    char *got = rw_aws_endpoint(c, service, region);
    if (!got || strcmp(got, want) != 0)
        fail_msg("endpoint of %s in %s: expected %s, got %s", service, region ? region : "(null)",
                 want, got ? got : "(null)");
    free(got);
}

/* ---- INI ------------------------------------------------------------------------------------ */

static void test_ini_basic(void **state) {
    (void)state;
    rw_ini *ini = ini_ok("# a comment\n"
                         "; another\n"
                         "\n"
                         "[default]\n"
                         "region = us-west-2\n"
                         "output=json\n"
                         "  # an indented comment\n"
                         "Aws_Access_Key_Id = AKIDEXAMPLE\n"
                         "colon: separated\n"
                         "url = https://x.example/?a=b\n"
                         "inline = value # not a comment\n"
                         "empty =\n"
                         "\n"
                         "[profile   dev]\r\n"
                         "region = eu-west-1\r\n"
                         "[profile \"quoted\"]\n"
                         "region = ap-south-1\n"
                         "[sso-session corp]\n"
                         "sso_region = us-east-1\n");
    assert_true(rw_ini_has_section(ini, "default"));
    assert_true(rw_ini_has_section(ini, "profile dev"));
    assert_true(rw_ini_has_section(ini, "profile quoted"));
    assert_true(rw_ini_has_section(ini, "sso-session corp"));
    assert_false(rw_ini_has_section(ini, "dev"));
    assert_false(rw_ini_has_section(NULL, "dev"));
    assert_string_equal(rw_ini_get(ini, "default", "region"), "us-west-2");
    assert_string_equal(rw_ini_get(ini, "default", "output"), "json");
    /* keys are case-insensitive */
    assert_string_equal(rw_ini_get(ini, "default", "aws_access_key_id"), "AKIDEXAMPLE");
    assert_string_equal(rw_ini_get(ini, "default", "AWS_ACCESS_KEY_ID"), "AKIDEXAMPLE");
    assert_string_equal(rw_ini_get(ini, "default", "colon"), "separated");
    assert_string_equal(rw_ini_get(ini, "default", "url"), "https://x.example/?a=b");
    assert_string_equal(rw_ini_get(ini, "default", "inline"), "value # not a comment");
    assert_string_equal(rw_ini_get(ini, "default", "empty"), "");
    assert_string_equal(rw_ini_get(ini, "profile dev", "region"), "eu-west-1");
    assert_string_equal(rw_ini_get(ini, "profile quoted", "region"), "ap-south-1");
    assert_string_equal(rw_ini_get(ini, "sso-session corp", "sso_region"), "us-east-1");
    assert_null(rw_ini_get(ini, "default", "missing"));
    assert_null(rw_ini_get(ini, "nosuch", "region"));
    rw_ini_free(ini);

    ini = ini_ok("");
    assert_false(rw_ini_has_section(ini, "default"));
    rw_ini_free(ini);
    /* a byte order mark, no final newline */
    ini = ini_ok("\xEF\xBB\xBF[default]\nregion=x");
    assert_string_equal(rw_ini_get(ini, "default", "region"), "x");
    rw_ini_free(ini);
    rw_ini_free(NULL);
}

static void test_ini_nested(void **state) {
    (void)state;
    rw_ini *ini = ini_ok("[profile dev]\n"
                         "s3 =\n"
                         "  addressing_style = path\n"
                         "  # a comment inside\n"
                         "\n"
                         "  signature_version=s3v4\n"
                         "region = us-east-2\n"
                         "multi = first\n"
                         "   second\n"
                         "\tthird\n"
                         "[services local]\n"
                         "sqs =\n"
                         "    endpoint_url = http://127.0.0.1:4566\n");
    assert_string_equal(rw_ini_get(ini, "profile dev", "s3.addressing_style"), "path");
    assert_string_equal(rw_ini_get(ini, "profile dev", "s3.signature_version"), "s3v4");
    assert_string_equal(rw_ini_get(ini, "profile dev", "region"), "us-east-2");
    assert_string_equal(rw_ini_get(ini, "profile dev", "multi"), "first\nsecond\nthird");
    assert_string_equal(rw_ini_get(ini, "services local", "sqs.endpoint_url"),
                        "http://127.0.0.1:4566");
    rw_ini_free(ini);
}

static void test_ini_malformed(void **state) {
    (void)state;
    ini_fails("[default]\nregion = x\nthis line has no separator\n", "/home/u/.aws/config:3:");
    ini_fails("region = x\n", "/home/u/.aws/config:1: a setting before any [section]");
    ini_fails("\n\n[default\nregion = x\n", "/home/u/.aws/config:3: a section header without ']'");
    ini_fails("[]\n", ":1: a section without a name");
    ini_fails("[default]\n= x\n", ":2:");
    ini_fails("[default]\ns3 =\n  addressing_style path\n", ":3: expected \"key = value\"");
    ini_fails("[default]\na = 1\n[dev]\n[default]\n", ":4: section [default] appears twice");
    ini_fails("[default]\na = 1\nA = 2\n", ":3: key \"a\" appears twice");
}

static void test_ini_load(void **state) {
    (void)state;
    rw_ini *ini = NULL;
    /* a missing file is empty */
    assert_int_equal(rw_ini_load(&ini, config_path), RW_OK);
    assert_non_null(ini);
    assert_false(rw_ini_has_section(ini, "default"));
    rw_ini_free(ini);

    write_file(config_path, "[default]\nregion = us-west-1\n\n[profile x]\nbroken\n");
    assert_int_equal(rw_ini_load(&ini, config_path), RW_EINVAL);
    assert_null(ini);
    char want[160];
    snprintf(want, sizeof want, "%s:5:", config_path);
    assert_contains(rw_error_last(), want);

    /* a folder is not a file */
    assert_int_equal(rw_ini_load(&ini, tmpdir), RW_EINVAL);
    assert_contains(rw_error_last(), tmpdir);
}

/* ---- settings ------------------------------------------------------------------------------- */

static void test_config_defaults(void **state) {
    (void)state;
    rw_aws_config *c = load_ok(NULL);
    assert_string_equal(c->profile, "default");
    assert_false(c->profile_explicit);
    assert_null(c->region);
    assert_null(c->region_source);
    assert_null(c->endpoint_url);
    assert_int_equal(c->max_attempts, 5);
    assert_string_equal(c->config_path, config_path);
    assert_string_equal(c->credentials_path, creds_path);
    assert_null(rw_aws_config_get(c, "region"));
    rw_aws_config_free(c);
    rw_aws_config_free(NULL);

    /* without the variables: ~/.aws/ */
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", tmpdir, 1);
    c = load_ok(NULL);
    char want[160];
    snprintf(want, sizeof want, "%s/.aws/config", tmpdir);
    assert_string_equal(c->config_path, want);
    snprintf(want, sizeof want, "%s/.aws/credentials", tmpdir);
    assert_string_equal(c->credentials_path, want);
    rw_aws_config_free(c);
    /* "~/" in a variable is the home folder */
    setenv("AWS_CONFIG_FILE", "~/cfg", 1);
    c = load_ok(NULL);
    snprintf(want, sizeof want, "%s/cfg", tmpdir);
    assert_string_equal(c->config_path, want);
    rw_aws_config_free(c);
    if (home) {
        setenv("HOME", home, 1);
        free(home);
    } else {
        unsetenv("HOME");
    }
}

static void test_config_profiles_and_regions(void **state) {
    (void)state;
    write_file(config_path, "[default]\n"
                            "region = us-west-2\n"
                            "max_attempts = 7\n"
                            "[profile dev]\n"
                            "region = eu-central-1\n"
                            "role_arn = arn:aws:iam::1:role/r\n"
                            "source_profile = base\n"
                            "shared = from-config\n"
                            "[profile cnprof]\n"
                            "region = cn-north-1\n");
    write_file(creds_path, "[default]\n"
                           "aws_access_key_id = AKID\n"
                           "[dev]\n"
                           "shared = from-credentials\n"
                           "only_creds = yes\n"
                           "[base]\n"
                           "aws_access_key_id = BASEKEY\n");

    rw_aws_config *c = load_ok(NULL);
    assert_string_equal(c->profile, "default");
    assert_string_equal(c->region, "us-west-2");
    assert_string_equal(c->region_source, "profile default");
    assert_int_equal(c->max_attempts, 7);
    assert_string_equal(rw_aws_config_get(c, "aws_access_key_id"), "AKID");
    assert_string_equal(rw_aws_profile_get(c, "base", "aws_access_key_id"), "BASEKEY");
    assert_string_equal(rw_aws_profile_get(c, "dev", "source_profile"), "base");
    assert_null(rw_aws_profile_get(c, "nosuch", "region"));
    rw_aws_config_free(c);

    /* --profile: config first, then credentials */
    rw_aws_opts o = {.profile = "dev"};
    c = load_ok(&o);
    assert_string_equal(c->profile, "dev");
    assert_true(c->profile_explicit);
    assert_string_equal(c->region, "eu-central-1");
    assert_string_equal(c->region_source, "profile dev");
    assert_int_equal(c->max_attempts, 5);
    assert_string_equal(rw_aws_config_get(c, "shared"), "from-config");
    assert_string_equal(rw_aws_config_get(c, "only_creds"), "yes");
    rw_aws_config_free(c);

    /* AWS_PROFILE, and the order of the region's sources */
    setenv("AWS_PROFILE", "dev", 1);
    setenv("AWS_DEFAULT_REGION", "ap-northeast-1", 1);
    c = load_ok(NULL);
    assert_string_equal(c->profile, "dev");
    assert_true(c->profile_explicit);
    assert_string_equal(c->region, "ap-northeast-1");
    assert_string_equal(c->region_source, "AWS_DEFAULT_REGION");
    rw_aws_config_free(c);
    setenv("AWS_REGION", "sa-east-1", 1);
    c = load_ok(NULL);
    assert_string_equal(c->region, "sa-east-1");
    assert_string_equal(c->region_source, "AWS_REGION");
    rw_aws_config_free(c);
    rw_aws_opts o2 = {.region = "us-gov-west-1", .profile = "cnprof"};
    c = load_ok(&o2); /* --profile beats AWS_PROFILE, --region beats every variable */
    assert_string_equal(c->profile, "cnprof");
    assert_string_equal(c->region, "us-gov-west-1");
    assert_string_equal(c->region_source, "--region");
    rw_aws_config_free(c);

    /* a profile only in the credentials file exists */
    setenv("AWS_PROFILE", "base", 1);
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    c = load_ok(NULL);
    assert_string_equal(c->profile, "base");
    assert_null(c->region);
    rw_aws_config_free(c);

    /* a named profile that exists nowhere */
    setenv("AWS_PROFILE", "ghost", 1);
    rw_aws_config *bad = (rw_aws_config *)0x1;
    assert_int_equal(rw_aws_config_load(&bad, NULL), RW_EINVAL);
    assert_null(bad);
    char want[400];
    snprintf(want, sizeof want, "profile ghost not found in %s and %s", config_path, creds_path);
    assert_contains(rw_error_last(), want);
    rw_aws_opts o3 = {.profile = "nope"};
    assert_int_equal(rw_aws_config_load(&bad, &o3), RW_EINVAL);
    assert_contains(rw_error_last(), "profile nope not found");
    /* "default" named explicitly must exist too; unnamed it need not */
    unsetenv("AWS_PROFILE");
    unlink(config_path);
    unlink(creds_path);
    rw_aws_opts o4 = {.profile = "default"};
    assert_int_equal(rw_aws_config_load(&bad, &o4), RW_EINVAL);
    c = load_ok(NULL);
    rw_aws_config_free(c);
}

static void test_config_default_profile_spellings(void **state) {
    (void)state;
    write_file(config_path, "[profile default]\nregion = eu-west-3\n");
    rw_aws_config *c = load_ok(NULL);
    assert_string_equal(c->region, "eu-west-3");
    rw_aws_config_free(c);
    rw_aws_opts o = {.profile = "default"};
    c = load_ok(&o);
    assert_string_equal(c->region, "eu-west-3");
    rw_aws_config_free(c);
}

static void test_config_errors(void **state) {
    (void)state;
    rw_aws_config *c = NULL;
    /* a malformed file names itself and the line */
    write_file(config_path, "[default]\nregion = us-east-1\nnonsense\n");
    assert_int_equal(rw_aws_config_load(&c, NULL), RW_EINVAL);
    assert_null(c);
    char want[200];
    snprintf(want, sizeof want, "%s:3:", config_path);
    assert_contains(rw_error_last(), want);
    write_file(config_path, "[default]\n");
    write_file(creds_path, "[default]\naws_access_key_id\n");
    assert_int_equal(rw_aws_config_load(&c, NULL), RW_EINVAL);
    snprintf(want, sizeof want, "%s:2:", creds_path);
    assert_contains(rw_error_last(), want);
    write_file(creds_path, "");

    /* max_attempts */
    setenv("AWS_MAX_ATTEMPTS", "3", 1);
    c = load_ok(NULL);
    assert_int_equal(c->max_attempts, 3);
    rw_aws_config_free(c);
    const char *bad[] = {"0", "21", "x", "5x", "-1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("AWS_MAX_ATTEMPTS", bad[i], 1);
        int rc = rw_aws_config_load(&c, NULL);
        if (!*bad[i]) { /* an empty variable is unset */
            assert_int_equal(rc, RW_OK);
            rw_aws_config_free(c);
            continue;
        }
        assert_int_equal(rc, RW_EINVAL);
        assert_contains(rw_error_last(), "AWS_MAX_ATTEMPTS");
    }
    unsetenv("AWS_MAX_ATTEMPTS");
    write_file(config_path, "[default]\nmax_attempts = 100\n");
    assert_int_equal(rw_aws_config_load(&c, NULL), RW_EINVAL);
    assert_contains(rw_error_last(), "profile default");
    write_file(config_path, "[default]\nmax_attempts = 20\n");
    c = load_ok(NULL);
    assert_int_equal(c->max_attempts, 20);
    rw_aws_config_free(c);

    /* a region that could not be part of a host name */
    setenv("AWS_REGION", "us-east-1.evil.example/", 1);
    assert_int_equal(rw_aws_config_load(&c, NULL), RW_EINVAL);
    assert_contains(rw_error_last(), "AWS_REGION");
}

/* ---- partitions and endpoints --------------------------------------------------------------- */

static void test_partitions(void **state) {
    (void)state;
    assert_string_equal(rw_aws_partition("us-east-1"), "aws");
    assert_string_equal(rw_aws_partition("eu-west-1"), "aws");
    assert_string_equal(rw_aws_partition("cn-north-1"), "aws-cn");
    assert_string_equal(rw_aws_partition("cn-northwest-1"), "aws-cn");
    assert_string_equal(rw_aws_partition("us-gov-west-1"), "aws-us-gov");
    assert_string_equal(rw_aws_partition("us-gov-east-1"), "aws-us-gov");
    assert_string_equal(rw_aws_partition(NULL), "aws");
}

static void test_endpoint_defaults(void **state) {
    (void)state;
    rw_aws_config *c = load_ok(NULL);
    endpoint_is(c, "s3", "us-west-2", "https://s3.us-west-2.amazonaws.com");
    endpoint_is(c, "sts", "eu-west-1", "https://sts.eu-west-1.amazonaws.com");
    endpoint_is(c, "sqs", "us-east-1", "https://sqs.us-east-1.amazonaws.com");
    endpoint_is(c, "logs", "ap-south-1", "https://logs.ap-south-1.amazonaws.com");
    endpoint_is(c, "monitoring", "us-east-2", "https://monitoring.us-east-2.amazonaws.com");
    endpoint_is(c, "iam", "eu-west-1", "https://iam.amazonaws.com");
    endpoint_is(c, "s3", NULL, "https://s3.us-east-1.amazonaws.com");
    /* China */
    endpoint_is(c, "s3", "cn-north-1", "https://s3.cn-north-1.amazonaws.com.cn");
    endpoint_is(c, "sts", "cn-northwest-1", "https://sts.cn-northwest-1.amazonaws.com.cn");
    endpoint_is(c, "iam", "cn-northwest-1", "https://iam.cn-north-1.amazonaws.com.cn");
    /* GovCloud */
    endpoint_is(c, "cloudtrail", "us-gov-west-1", "https://cloudtrail.us-gov-west-1.amazonaws.com");
    endpoint_is(c, "iam", "us-gov-west-1", "https://iam.us-gov.amazonaws.com");
    endpoint_is(c, "organizations", "us-west-2", "https://organizations.us-east-1.amazonaws.com");
    rw_aws_config_free(c);
    /* without a configuration at all */
    endpoint_is(NULL, "events", "eu-north-1", "https://events.eu-north-1.amazonaws.com");
}

static void test_endpoint_order(void **state) {
    (void)state;
    write_file(config_path, "[default]\n"
                            "endpoint_url = http://127.0.0.1:5000/\n"
                            "[profile svc]\n"
                            "services = local\n"
                            "endpoint_url = http://127.0.0.1:5001\n"
                            "[services local]\n"
                            "sqs =\n"
                            "  endpoint_url = http://127.0.0.1:5002\n"
                            "cloudwatch_logs =\n"
                            "  endpoint_url = http://127.0.0.1:5003\n"
                            "[profile ignoring]\n"
                            "endpoint_url = http://127.0.0.1:5004\n"
                            "ignore_configured_endpoint_urls = true\n");

    /* the profile's endpoint_url, its trailing '/' dropped */
    rw_aws_config *c = load_ok(NULL);
    endpoint_is(c, "s3", "us-east-1", "http://127.0.0.1:5000");
    /* AWS_ENDPOINT_URL beats the profile */
    setenv("AWS_ENDPOINT_URL", "http://localhost:6000//", 1);
    endpoint_is(c, "s3", "us-east-1", "http://localhost:6000");
    endpoint_is(c, "sts", "us-east-1", "http://localhost:6000");
    /* the service's own variable beats AWS_ENDPOINT_URL */
    setenv("AWS_ENDPOINT_URL_S3", "http://localhost:7000/", 1);
    setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://localhost:7001", 1);
    setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", "http://localhost:7002", 1);
    endpoint_is(c, "s3", "us-east-1", "http://localhost:7000");
    endpoint_is(c, "logs", "us-east-1", "http://localhost:7001");
    endpoint_is(c, "config", "us-east-1", "http://localhost:7002");
    endpoint_is(c, "sts", "us-east-1", "http://localhost:6000");
    /* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: only the defaults */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    endpoint_is(c, "s3", "us-east-1", "https://s3.us-east-1.amazonaws.com");
    endpoint_is(c, "sts", "cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
    endpoint_is(c, "s3", "us-east-1", "http://localhost:7000");
    rw_aws_config_free(c);

    /* --endpoint-url beats everything, even AWS_IGNORE_CONFIGURED_ENDPOINT_URLS */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
    rw_aws_opts o = {.endpoint_url = "http://127.0.0.1:9999/"};
    c = load_ok(&o);
    assert_string_equal(c->endpoint_url, "http://127.0.0.1:9999");
    endpoint_is(c, "s3", "us-east-1", "http://127.0.0.1:9999");
    endpoint_is(c, "iam", "cn-north-1", "http://127.0.0.1:9999");
    rw_aws_config_free(c);

    /* a profile's services section beats its endpoint_url */
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
    unsetenv("AWS_ENDPOINT_URL_CONFIG_SERVICE");
    rw_aws_opts o2 = {.profile = "svc"};
    c = load_ok(&o2);
    endpoint_is(c, "sqs", "us-east-1", "http://127.0.0.1:5002");
    endpoint_is(c, "logs", "us-east-1", "http://127.0.0.1:5003");
    endpoint_is(c, "sns", "us-east-1", "http://127.0.0.1:5001");
    rw_aws_config_free(c);

    /* the profile's ignore_configured_endpoint_urls */
    rw_aws_opts o3 = {.profile = "ignoring"};
    c = load_ok(&o3);
    endpoint_is(c, "sns", "us-east-1", "https://sns.us-east-1.amazonaws.com");
    rw_aws_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ini_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_profiles_and_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_default_profile_spellings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

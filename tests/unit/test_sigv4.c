/* SigV4: AWS's test suite (../shared/conformance/sigv4), exact canonical request, string to sign
 * and Authorization header for every case; plus the pieces (encoding, dates) on their own. */
#include <dirent.h>
#include <strings.h>
#include <sys/stat.h>

#include "rwtest.h"

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/err.h"

#define SUITE_REL "/../shared/conformance/sigv4/aws-sig-v4-test-suite"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_puts(&b, "");
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) rw_buf_append(&b, tmp, n);
    fclose(f);
    if (len) *len = b.len;
    return rw_buf_take(&b);
}

static const char *suite_dir(void) {
    static char path[4096];
    const char *shared = getenv("RW_SHARED");
    if (shared)
        snprintf(path, sizeof path, "%s/conformance/sigv4/aws-sig-v4-test-suite", shared);
    else
        snprintf(path, sizeof path, "%s" SUITE_REL, RW_SOURCE_DIR);
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

/* A parsed .req file: "METHOD PATH HTTP/1.1", headers (a continuation line is another value of
 * the header above it, which the canonical form joins with ','), a blank line, the body. */
typedef struct req_file {
    char *text;
    char *method, *path, *query;
    rw_http_header headers[32];
    size_t nheaders;
    const char *body;
    size_t body_len;
} req_file;

static void parse_req(req_file *r, char *text) {
    memset(r, 0, sizeof *r);
    r->text = text;
    char *line = text;
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    char *sp = strchr(line, ' ');
    assert_non_null(sp);
    *sp = 0;
    r->method = line;
    r->path = sp + 1;
    char *http = strstr(r->path, " HTTP/");
    assert_non_null(http);
    *http = 0;
    char *q = strchr(r->path, '?');
    if (q) {
        *q = 0;
        r->query = q + 1;
    }
    char *p = nl ? nl + 1 : NULL;
    const char *last_name = NULL;
    while (p && *p) {
        nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[--l] = 0;
        if (l == 0) { /* the body follows */
            r->body = nl ? nl + 1 : "";
            r->body_len = strlen(r->body);
            break;
        }
        assert_true(r->nheaders < 32);
        if ((*p == ' ' || *p == '\t') && last_name) {
            r->headers[r->nheaders].name = last_name;
            r->headers[r->nheaders++].value = p;
        } else {
            char *colon = strchr(p, ':');
            assert_non_null(colon);
            *colon = 0;
            r->headers[r->nheaders].name = last_name = p;
            r->headers[r->nheaders++].value = colon + 1;
        }
        p = nl ? nl + 1 : NULL;
    }
}

static int64_t suite_time(void) {
    return 1440938160; /* 20150830T123600Z */
}

static int run_case(const char *dir, const char *name) {
    char path[8192];
    if ((size_t)snprintf(path, sizeof path, "%s/%s.req", dir, name) >= sizeof path) return 0;
    char *req_text = slurp(path, NULL);
    if (!req_text) return 0;
    req_file r;
    parse_req(&r, req_text);
    /* This copy of the suite (fluent-bit's) signs a form-encoded body as the query string of a
     * request without a body: its .creq has "Param1=value1" as the query and the empty payload's
     * hash, and its .sts and .authz follow from that. The harness sends the request that way. */
    int form_as_query = 0;
    for (size_t i = 0; i < r.nheaders; i++)
        if (!strcasecmp(r.headers[i].name, "Content-Type") &&
            strstr(r.headers[i].value, "x-www-form-urlencoded") && r.body_len)
            form_as_query = 1;
    if (form_as_query) {
        assert_null(r.query);
        r.query = (char *)r.body;
        r.body = "";
        r.body_len = 0;
    }
    rw_aws_creds *creds = rw_aws_creds_new(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0, "test");
    rw_sigv4_request sr = {.method = r.method,
                           .path = r.path,
                           .query = r.query,
                           .headers = r.headers,
                           .nheaders = r.nheaders,
                           .body = r.body,
                           .body_len = r.body_len};
    rw_sigv4_result res;
    assert_int_equal(rw_sigv4_sign(&res, &sr, creds, "us-east-1", "service", suite_time(), 0),
                     RW_OK);
    const char *what[3] = {"creq", "sts", "authz"};
    const char *got[3] = {res.canonical_request.data, res.string_to_sign.data,
                          res.authorization.data};
    for (int i = 0; i < 3; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s.%s", dir, name, what[i]) >= sizeof path)
            fail();
        char *want = slurp(path, NULL);
        assert_non_null(want);
        /* the files use \n; some copies end with a newline */
        size_t wl = strlen(want);
        while (wl && (want[wl - 1] == '\n' || want[wl - 1] == '\r')) want[--wl] = 0;
        /* An erratum of the suite: post-x-www-form-urlencoded.creq lists content-type among the
         * canonical headers but leaves it out of its signed-headers line; its .sts (the hash of the
         * canonical request) and .authz are those of the consistent canonical request, which is
         * what is compared, besides every other line of the .creq. */
        if (i == 0 && !strcmp(name, "post-x-www-form-urlencoded")) {
            char *fixed = strstr(want, "\nhost;x-amz-date\n");
            assert_non_null(fixed);
            size_t at = (size_t)(fixed - want);
            char buf[4096];
            snprintf(buf, sizeof buf, "%.*s\ncontent-type;host;x-amz-date\n%s", (int)at, want,
                     fixed + strlen("\nhost;x-amz-date\n"));
            free(want);
            want = strdup(buf);
        }
        if (strcmp(want, got[i]))
            fail_msg("sigv4 case %s: %s differs\n--- want\n%s\n--- got\n%s", name, what[i], want,
                     got[i]);
        free(want);
    }
    rw_sigv4_result_free(&res);
    rw_aws_creds_free(creds);
    free(req_text);
    return 1;
}

/* Runs every folder holding NAME.req under dir, recursively; returns the count. */
static int walk(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int count = 0;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char sub[8192];
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir, names[i]) >= sizeof sub) continue;
        struct stat st;
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            count += run_case(sub, names[i]);
            count += walk(sub);
        }
        free(names[i]);
    }
    free(names);
    return count;
}

static void test_aws_suite(void **state) {
    (void)state;
    const char *dir = suite_dir();
    if (!dir) {
        printf("SKIP: AWS's SigV4 test suite is not here (../shared/conformance/sigv4 is absent; "
               "set RW_SHARED to the shared folder)\n");
        skip();
    }
    int n = walk(dir);
    printf("sigv4: %d of %d cases of AWS's test suite pass\n", n, n);
    assert_true(n >= 30);
}

static void test_uri_encode(void **state) {
    (void)state;
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_puts(&b, "");
    const char in[] = "a b/c~d_e-f.g+h%i\xe1\x88\xb4*";
    assert_int_equal(rw_sigv4_uri_encode(&b, in, strlen(in), 1), RW_OK);
    assert_string_equal(b.data, "a%20b/c~d_e-f.g%2Bh%25i%E1%88%B4%2A");
    rw_buf_reset(&b);
    rw_buf_puts(&b, "");
    assert_int_equal(rw_sigv4_uri_encode(&b, "a/b", 3, 0), RW_OK);
    assert_string_equal(b.data, "a%2Fb");
    rw_buf_free(&b);
}

static void sign_one(const char *path, const char *query, unsigned flags, rw_sigv4_result *res) {
    rw_http_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    rw_aws_creds *creds = rw_aws_creds_new("AKID", "SECRET", "TOKEN", 0, "test");
    rw_sigv4_request sr = {
        .method = "GET", .path = path, .query = query, .headers = h, .nheaders = 2};
    assert_int_equal(rw_sigv4_sign(res, &sr, creds, "eu-west-1", "s3", suite_time(), flags), RW_OK);
    rw_aws_creds_free(creds);
}

/* S3 signs the path as sent; other services normalise it and encode it again. */
static void test_paths(void **state) {
    (void)state;
    rw_sigv4_result r;
    sign_one("/bucket/a%20b/../c//d", NULL, RW_SIGV4_S3, &r);
    assert_true(!strncmp(r.canonical_request.data, "GET\n/bucket/a%20b/../c//d\n", 26));
    rw_sigv4_result_free(&r);
    sign_one("/bucket/a%20b/../c//d", NULL, 0, &r);
    assert_true(!strncmp(r.canonical_request.data, "GET\n/bucket/c/d\n", 16));
    rw_sigv4_result_free(&r);
    sign_one("/a%20b", NULL, 0, &r);
    assert_true(!strncmp(r.canonical_request.data, "GET\n/a%2520b\n", 13));
    rw_sigv4_result_free(&r);
    sign_one("", "list-type=2&prefix=AWSLogs%2F1%2F&continuation-token=a%2Bb%3D", RW_SIGV4_S3, &r);
    assert_contains(r.canonical_request.data,
                    "\n/\ncontinuation-token=a%2Bb%3D&list-type=2&prefix=AWSLogs%2F1%2F\n");
    assert_string_equal(r.amz_date, "20150830T123600Z");
    /* the secret never appears in anything the result holds */
    assert_null(strstr(r.canonical_request.data, "SECRET"));
    assert_null(strstr(r.string_to_sign.data, "SECRET"));
    assert_null(strstr(r.authorization.data, "SECRET"));
    assert_contains(r.authorization.data, "Credential=AKID/20150830/eu-west-1/s3/aws4_request");
    rw_sigv4_result_free(&r);
}

/* The payload is hashed (the original AWS suite's form-encoded case), and a given hash is used. */
static void test_payload(void **state) {
    (void)state;
    rw_http_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    rw_aws_creds *creds = rw_aws_creds_new("AKID", "SECRET", NULL, 0, "test");
    rw_sigv4_request sr = {
        .method = "POST", .headers = h, .nheaders = 2, .body = "Param1=value1", .body_len = 13};
    rw_sigv4_result r;
    assert_int_equal(rw_sigv4_sign(&r, &sr, creds, "us-east-1", "service", suite_time(), 0), RW_OK);
    assert_string_equal(r.payload_hash,
                        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    rw_sigv4_result_free(&r);
    sr.payload_hash = "UNSIGNED-PAYLOAD";
    assert_int_equal(rw_sigv4_sign(&r, &sr, creds, "us-east-1", "s3", suite_time(), RW_SIGV4_S3),
                     RW_OK);
    assert_contains(r.canonical_request.data, "\nhost;x-amz-date\nUNSIGNED-PAYLOAD");
    rw_sigv4_result_free(&r);
    rw_aws_creds_free(creds);
}

static void test_no_creds(void **state) {
    (void)state;
    rw_http_header h[] = {{"Host", "x"}};
    rw_sigv4_request sr = {.method = "GET", .path = "/", .headers = h, .nheaders = 1};
    rw_sigv4_result r;
    assert_int_equal(rw_sigv4_sign(&r, &sr, NULL, "us-east-1", "s3", 0, 0), RW_EINVAL);
    rw_sigv4_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_suite), cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_paths),     cmocka_unit_test(test_payload),
        cmocka_unit_test(test_no_creds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

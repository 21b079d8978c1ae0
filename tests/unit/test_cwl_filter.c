/* Unit tests for src/rules/cwl_filter.c: CloudWatch Logs filter patterns (issue 14).
 *
 * AWS's documented examples ("Filter pattern syntax for metric filters, subscription filters,
 * filter log events and Live Tail", and the older "Filter and Pattern Syntax" page), each with the
 * events the documentation says it matches or not; the behaviour AWS showed where the docs are
 * silent (a != on a missing field, DataBiosphere/azul issue 5884); the CIS root-use filter and its
 * rewrites against the canonical root cases, look-alikes failing with the case named; errors. */
#include "rwtest.h"

#include "rules/cwl_filter.h"
#include "util/buf.h"
#include "util/err.h"

/* does pattern match the message? (the pattern must compile) */
static bool m(const char *pattern, const char *msg) {
    rw_cwl_filter *f = NULL;
    if (rw_cwl_filter_compile(&f, pattern, strlen(pattern)) != RW_OK)
        fail_msg("pattern %s: %s", pattern, rw_error_last());
    bool r = rw_cwl_filter_match_line(f, msg, strlen(msg));
    rw_cwl_filter_free(f);
    return r;
}

#define MATCH(p, e)                                                                                \
    do {                                                                                           \
        if (!m(p, e)) fail_msg("%s should match %s", p, e);                                        \
    } while (0)
#define NO_MATCH(p, e)                                                                             \
    do {                                                                                           \
        if (m(p, e)) fail_msg("%s should not match %s", p, e);                                     \
    } while (0)

/* the compile error of pattern (it must fail) */
static const char *err_of(const char *pattern) {
    static char msg[512];
    rw_cwl_filter *f = NULL;
    if (rw_cwl_filter_compile(&f, pattern, strlen(pattern)) == RW_OK) {
        rw_cwl_filter_free(f);
        fail_msg("pattern %s compiled; expected an error", pattern);
    }
    snprintf(msg, sizeof msg, "%s", rw_error_last());
    return msg;
}

/* the wrong cases' description for pattern */
static uint32_t wrong_of(const char *pattern, char *desc, size_t cap) {
    rw_cwl_filter *f = NULL;
    if (rw_cwl_filter_compile(&f, pattern, strlen(pattern)) != RW_OK)
        fail_msg("pattern %s: %s", pattern, rw_error_last());
    uint32_t w = rw_cwl_filter_root_wrong(f);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_cwl_root_wrong_describe(&b, w);
    snprintf(desc, cap, "%s", b.data ? b.data : "");
    rw_buf_free(&b);
    rw_cwl_filter_free(f);
    return w;
}

/* ---- AWS's JSON examples ---- */

static const char doc_event[] =
    "{\"eventType\": \"UpdateTrail\", \"sourceIPAddress\": \"111.111.111.111\", "
    "\"arrayKey\": [\"value\", \"another value\"], \"objectList\": [{\"name\": \"a\", \"id\": 1}, "
    "{\"name\": \"b\", \"id\": 2}], \"SomeObject\": null, \"ThisFlag\": true}";

static void test_docs_json_examples(void **state) {
    (void)state;
    /* "The following filters would match" */
    MATCH("{ $.eventType = \"UpdateTrail\" }", doc_event);
    MATCH("{ $.sourceIPAddress != 123.123.* }", doc_event);
    MATCH("{ $.arrayKey[0] = \"value\" }", doc_event);
    MATCH("{ $.objectList[1].id = 2 }", doc_event);
    MATCH("{ $.SomeObject IS NULL }", doc_event);
    MATCH("{ $.SomeOtherObject NOT EXISTS }", doc_event);
    MATCH("{ $.ThisFlag IS TRUE }", doc_event);
    /* and what they say would not */
    NO_MATCH("{ $.eventType = \"updatetrail\" }", doc_event); /* case sensitive */
    NO_MATCH("{ $.sourceIPAddress != 111.111.* }", doc_event);
    MATCH("{ $.sourceIPAddress = 111.111.* }", doc_event);
    NO_MATCH("{ $.arrayKey[1] = \"value\" }", doc_event);
    NO_MATCH("{ $.eventType[0] = \"UpdateTrail\" }", doc_event); /* not an array: false */
    NO_MATCH("{ $.objectList[0].id = 2 }", doc_event);
    NO_MATCH("{ $.objectList[2].id = 2 }", doc_event);
    NO_MATCH("{ $.objectList[1].nope = 2 }", doc_event);
    NO_MATCH("{ $.ThisFlag IS FALSE }", doc_event);
    NO_MATCH("{ $.SomeObject NOT EXISTS }", doc_event); /* set to null is not absent */
    NO_MATCH("{ $.SomeOtherObject IS NULL }", doc_event);
    NO_MATCH("{ $.eventType NOT EXISTS }", doc_event);
    MATCH("{ $.ThisFlag2 NOT EXISTS }", doc_event);
    /* OR in JSON filters: {$.foo = bar} matches 1, {$.foo = baz } 2, both with || */
    MATCH("{$.foo = bar}", "{\"foo\": \"bar\"}");
    NO_MATCH("{$.foo = bar}", "{\"foo\": \"baz\"}");
    MATCH("{$.foo = baz }", "{\"foo\": \"baz\"}");
    MATCH("{$.foo = bar || $.foo = baz }", "{\"foo\": \"bar\"}");
    MATCH("{$.foo = bar || $.foo = baz }", "{\"foo\": \"baz\"}");
    NO_MATCH("{$.foo = bar || $.foo = baz }", "{\"foo\": \"qux\"}");
    /* wildcards at the ends; a star inside is a literal star */
    MATCH("{ $.e = *Event }", "{\"e\":\"PutEvent\"}");
    MATCH("{ $.e = *Event }", "{\"e\":\"GetEvent\"}");
    NO_MATCH("{ $.e = *Event }", "{\"e\":\"EventId\"}");
    MATCH("{ $.e = Event* }", "{\"e\":\"EventId\"}");
    MATCH("{ $.e = Event* }", "{\"e\":\"EventName\"}");
    NO_MATCH("{ $.e = Ev*ent }", "{\"e\":\"Event\"}");
    MATCH("{ $.e = Ev*ent }", "{\"e\":\"Ev*ent\"}");
    MATCH("{ $.e = \"*vEn*\" }", "{\"e\":\"PutvEnt\"}");
    /* wildcard selectors: the condition holds for some member or element */
    MATCH("{ $.arrayKey[*] = \"another value\" }", doc_event);
    NO_MATCH("{ $.arrayKey[*] = \"third value\" }", doc_event);
    MATCH("{ $.objectList[*].id = 2 }", doc_event);
    MATCH("{ $.objectList[*].name = b && $.objectList[*].id = 1 }", doc_event);
    NO_MATCH("{ $.objectList[*].id > 2 }", doc_event);
    MATCH("{ $.* = \"UpdateTrail\" }", doc_event);
    MATCH("{ $.objectList.*.id = 1 }", doc_event);
    MATCH("{ $.* IS NULL }", doc_event);
    MATCH("{ $.objectList[*].nope NOT EXISTS }", doc_event);
    NO_MATCH("{ $.objectList[*].id NOT EXISTS }", doc_event);
    MATCH("{ $.users[*] != 1 }", "{\"users\": [1, 2, 3]}"); /* 2 is not 1 */
    NO_MATCH("{ $.users[*] != 1 }", "{\"users\": [1, 1]}");
    NO_MATCH("{ $.users[*] = 1 }", "{\"users\": []}");
    MATCH("{ $.users[*] NOT EXISTS }", "{\"users\": []}");
    NO_MATCH("{ $.eventType[*] = UpdateTrail }", doc_event); /* not an array or object */
    /* a bracketed name spells what '.' cannot */
    MATCH("{ $.['a.b'] = x && $[\"c d\"].e = 1 && $.f['@g'] = y }",
          "{\"a.b\":\"x\",\"c d\":{\"e\":1},\"f\":{\"@g\":\"y\"}}");
    /* $.latency = * (the docs' metric value example; CDK's exists() is = "*") */
    MATCH("{ $.latency = * }", "{\"latency\": 42}");
    MATCH("{ $.latency = \"*\" }", "{\"latency\": \"slow\"}");
    NO_MATCH("{ $.latency = * }", "{\"other\": 42}");
}

static const char compound_event[] =
    "{\"user\": {\"id\": 1, \"email\": \"John.Stiles@example.com\"}, \"users\": [{\"id\": 2, "
    "\"email\": \"John.Doe@example.com\"}, {\"id\": 3, \"email\": \"Jane.Doe@example.com\"}], "
    "\"actions\": [\"GET\", \"PUT\", \"DELETE\"], \"coordinates\": [[0, 1, 2], [4, 5, 6], "
    "[7, 8, 9]]}";

static void test_docs_compound(void **state) {
    (void)state;
    MATCH("{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", compound_event);
    NO_MATCH("{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }",
             compound_event);
    /* && binds tighter than || */
    MATCH("{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch && "
          "$.actions[2] = nomatch }",
          compound_event);
    NO_MATCH("{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch) && "
             "$.actions[2] = nomatch }",
             compound_event);
    MATCH("{ $.coordinates[0][1] = 1 && $.coordinates[2][2] = 9 }", compound_event);
    MATCH("{ $.actions[2] = \"DELETE\" }", compound_event);
    /* special considerations: a selector on an array or object matches neither = nor != */
    NO_MATCH("{$.users = 1}", "{\"users\": [1, 2, 3]}");
    NO_MATCH("{$.users != 1}", "{\"users\": [1, 2, 3]}");
    NO_MATCH("{$.user != 1}", compound_event);
    NO_MATCH("{$.user = *}", compound_event);
}

static void test_docs_numbers(void **state) {
    (void)state;
    const char *ev = "{\"latency\": 500, \"numbers\": [0.001, 2], \"errorCode\": 400, "
                     "\"processes\": [{}, {}, {}, {}, {\"averageRuntime\": 55.5}]}";
    MATCH("{ $.latency >= 500 }", ev);
    NO_MATCH("{ $.latency > 500 }", ev);
    MATCH("{ $.numbers[0] < 10e3 }", ev);
    MATCH("{ $.numbers[0] < 10e-3 }", ev);
    NO_MATCH("{ $.numbers[1] < 10e-3 }", ev);
    MATCH("{ $.processes[4].averageRuntime <= 55.5 }", ev);
    NO_MATCH("{ $.processes[4].averageRuntime < 55.5 }", ev);
    MATCH("{ $.errorCode = 400 }", ev);
    MATCH("{ $.errorCode = 400.0 }", ev); /* compared as numbers */
    MATCH("{ $.errorCode != 500 }", ev);
    NO_MATCH("{ $.errorCode != 400 }", ev);
    MATCH("{ $.latency > +100 }", ev);
    MATCH("{ $.latency > -1 }", ev);
    MATCH("{ $.errorCode = 4* }", ev); /* a string pattern on a number's text */
    /* a number held as a string compares as a number [chosen] */
    MATCH("{ $.recipientAccountId = 123456789012 }", "{\"recipientAccountId\":\"123456789012\"}");
    MATCH("{ $.n >= 10 }", "{\"n\":\"12\"}");
    NO_MATCH("{ $.n >= 10 }", "{\"n\":\"twelve\"}");
    NO_MATCH("{ $.n >= 10 }", "{\"n\":true}");
    NO_MATCH("{ $.n < 10 }", "{}");
}

/* the behaviour of each operator on missing, null, boolean, array and object values */
static void test_types(void **state) {
    (void)state;
    /* DataBiosphere/azul issue 5884: AWS's own test of this filter on this event: no match */
    NO_MATCH("{($.errorCode = \"AccessDenied\") && ($.userIdentity.invokedBy != "
             "\"cloudfront.amazonaws.com\")}",
             "{\"errorCode\": \"AccessDenied\", \"userIdentity\": {\"accountId\": \"anonymous\"}}");
    MATCH("{($.errorCode = \"AccessDenied\") && ($.userIdentity.invokedBy != "
          "\"cloudfront.amazonaws.com\")}",
          "{\"errorCode\": \"AccessDenied\", \"userIdentity\": {\"invokedBy\": "
          "\"x.amazonaws.com\"}}");
    /* the workaround azul used (PR 8228) */
    MATCH("{($.userIdentity.invokedBy NOT EXISTS) || ($.userIdentity.invokedBy != \"a\")}",
          "{\"userIdentity\": {}}");
    const char *ev = "{\"s\":\"x\",\"n\":1,\"z\":null,\"t\":true,\"f\":false,\"a\":[\"x\"],"
                     "\"o\":{\"k\":\"x\"}}";
    static const char *const none[] = {"$.missing", "$.z", "$.t",   "$.f",
                                       "$.a",       "$.o", "$.s.k", "$.a.k"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        char p[128];
        snprintf(p, sizeof p, "{ %s = x }", none[i]);
        NO_MATCH(p, ev);
        snprintf(p, sizeof p, "{ %s != x }", none[i]);
        NO_MATCH(p, ev);
        snprintf(p, sizeof p, "{ %s = * }", none[i]);
        NO_MATCH(p, ev);
        snprintf(p, sizeof p, "{ %s > 0 }", none[i]);
        NO_MATCH(p, ev);
    }
    MATCH("{ $.s != y }", ev);
    MATCH("{ $.n != 2 }", ev);
    MATCH("{ $.s.k NOT EXISTS }", ev); /* a path through a string leads nowhere */
    MATCH("{ $.a[1] NOT EXISTS }", ev);
    NO_MATCH("{ $.a[0] NOT EXISTS }", ev);
    MATCH("{ $.o.k = x }", ev);
    MATCH("{ $.f IS FALSE }", ev);
    NO_MATCH("{ $.s IS TRUE }", "{\"s\":\"true\"}"); /* only the literal true */
    NO_MATCH("{ $.z IS FALSE }", ev);
    /* keywords in any case [chosen] */
    MATCH("{ $.t is true && $.missing not exists }", ev);
    /* a JSON pattern on a message that is not JSON matches nothing */
    NO_MATCH("{ $.a NOT EXISTS }", "not json at all");
    NO_MATCH("{ $.a NOT EXISTS }", "[1,2]");
    /* escaping in quoted strings: \" and \\ [CDK quoteTerm] */
    MATCH("{ $.q = \"say \\\"hi\\\" \\\\ bye\" }", "{\"q\":\"say \\\"hi\\\" \\\\ bye\"}");
    MATCH("{ $.q = \"a b@c$d\" }", "{\"q\":\"a b@c$d\"}");
    /* names with '-' and '_' */
    MATCH("{ $.x-amz_id = abc }", "{\"x-amz_id\":\"abc\"}");
    /* whitespace is free between tokens, none needed */
    MATCH("{$.s=x&&$.n=1||$.missing=q}", ev);
    MATCH("{\n\t$.s = x\n}", ev);
    MATCH("{ $.t IS\n\t TRUE && $.missing NOT   EXISTS }", ev);
    assert_contains(err_of("{ $.t ISTRUE }"), "offset 6: expected an operator");
    assert_contains(err_of("{ $.t IS TRUEX }"), "offset 9: expected TRUE, FALSE or NULL");
    assert_contains(err_of("{ $ .s = x }"), "offset 3: expected '.' and a property name");
}

static void test_regex(void **state) {
    (void)state;
    MATCH("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST");
    MATCH("%AUTHORIZED%", "[SUCCESS 200] AUTHORIZED REQUEST");
    NO_MATCH("%AUTHORIZED%", "[ERROR 404] NOT FOUND");
    MATCH("%colou?r%", "the color");
    MATCH("%colou?r%", "the colour");
    MATCH("%gray|grey%", "greyhound");
    MATCH("%10\\.10\\.0\\.1%", "from 10.10.0.1 to");
    NO_MATCH("%10\\.10\\.0\\.1%", "from 10x10x0x1 to");
    MATCH("%^ERROR%", "ERROR x");
    NO_MATCH("%^ERROR%", "x ERROR");
    MATCH("%[0-9]{3}$%", "code 404");
    NO_MATCH("%^[0-9]{3}$%", "code 404");
    MATCH("%^a.+z$%", "abcz");
    NO_MATCH("%^a.+z$%", "az");
    MATCH("{ $.eventName = %^Delete[A-Za-z]+$% }", "{\"eventName\":\"DeleteBucket\"}");
    NO_MATCH("{ $.eventName = %^Delete[A-Za-z]+$% }", "{\"eventName\":\"PutDeleteMarker\"}");
    MATCH("{ $.eventName != %^Delete% }", "{\"eventName\":\"PutBucket\"}");
    assert_contains(err_of("%(a)%"), "parentheses are not supported");
    assert_contains(err_of("%abc"), "is not closed");
    assert_contains(err_of("%a{2,1}%"), "offset 2");
}

/* terms on the raw message [AWS docs, "Matching terms in unstructured log events"] */
static void test_docs_terms(void **state) {
    (void)state;
    MATCH("", "anything");
    MATCH("\"\"", "anything");
    MATCH("ERROR", "[ERROR] A fatal exception has occurred");
    MATCH("ERROR", "Exiting with ERRORCODE: -1");
    MATCH("\"ERROR\"", "Exiting with ERRORCODE: -1");
    NO_MATCH("\"ERROR\" - \"Exiting\"", "Exiting with ERRORCODE: -1");
    MATCH("\"ERROR\" - \"Exiting\"", "[ERROR] A fatal exception has occurred");
    /* the older page writes the same example as ERROR -Exiting */
    NO_MATCH("ERROR -Exiting", "Exiting with ERRORCODE: -1");
    MATCH("ERROR -Exiting", "[ERROR] A fatal exception has occurred");
    MATCH("ERROR Exception", "[ERROR] Caught IllegalArgumentException");
    MATCH("ERROR Exception", "[ERROR] Unhandled Exception");
    NO_MATCH("ERROR Exception", "[ERROR] Unhandled");
    MATCH("Failed to process the request", "[WARN] Failed to process the request");
    MATCH("Failed to process the request",
          "[ERROR] Unable to continue: Failed to process the request");
    MATCH("\"Failed to process the request\"", "[WARN] Failed to process the request");
    NO_MATCH("\"Failed to process the request\"", "[WARN] the request Failed to process");
    /* ERROR matches 1 and 2; ?ERROR ?WARN all three; ERROR WARN only 1; ERROR -WARN only 2 */
    const char *e1 = "ERROR WARN message", *e2 = "ERROR message", *e3 = "WARN message";
    MATCH("ERROR", e1);
    MATCH("ERROR", e2);
    NO_MATCH("ERROR", e3);
    MATCH("?ERROR ?WARN", e1);
    MATCH("?ERROR ?WARN", e2);
    MATCH("?ERROR ?WARN", e3);
    NO_MATCH("?ERROR ?WARN", "INFO message");
    MATCH("ERROR WARN", e1);
    NO_MATCH("ERROR WARN", e2);
    NO_MATCH("ERROR WARN", e3);
    NO_MATCH("ERROR -WARN", e1);
    MATCH("ERROR -WARN", e2);
    NO_MATCH("ERROR -WARN", e3);
    /* CDK anyTermGroup: ?"ERROR" "MainThread" ?"WARN" "Deadlock" */
    const char *g = "?\"ERROR\" \"MainThread\" ?\"WARN\" \"Deadlock\"";
    MATCH(g, "ERROR in MainThread");
    MATCH(g, "WARN Deadlock found");
    NO_MATCH(g, "ERROR Deadlock");
    /* case sensitive */
    NO_MATCH("error", "ERROR");
    /* a JSON record is a message like any other */
    MATCH("\"\\\"type\\\":\\\"Root\\\"\"", "{\"userIdentity\":{\"type\":\"Root\"}}");
}

static void test_docs_delimited(void **state) {
    (void)state;
    const char *e1 = "ERROR WARN message", *e2 = "ERROR message", *e3 = "WARN message";
    MATCH("[w1=ERROR, w2]", e2);
    NO_MATCH("[w1=ERROR, w2]", e1);
    NO_MATCH("[w1=ERROR, w2]", e3);
    MATCH("[w1=ERROR || w1=WARN, w2]", e2);
    MATCH("[w1=ERROR || w1=WARN, w2]", e3);
    NO_MATCH("[w1=ERROR || w1=WARN, w2]", e1);
    MATCH("[w1!=ERROR&&w1!=WARN, w2, w3]", "INFO a message");
    NO_MATCH("[w1!=ERROR&&w1!=WARN, w2, w3]", e1);
    const char *a1 =
        "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 1534";
    const char *a2 =
        "127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] \"GET /apache_pb.gif HTTP/1.0\" 500 5324";
    const char *a3 =
        "127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] \"GET /index.html HTTP/1.0\" 404 4355";
    MATCH("[ip, user, username, timestamp, request, status_code, bytes]", a1);
    MATCH("[..., status_code, bytes]", a1);
    MATCH("[ip, user, ..., status_code, bytes]", a1);
    MATCH("[ip, user, ...]", a1);
    NO_MATCH("[ip, user, username]", a1);
    MATCH("[ip, user, username, timestamp, request, status_code, bytes > 1000]", a1);
    NO_MATCH("[ip, user, username, timestamp, request, status_code, bytes > 5000]", a1);
    MATCH("[ip, user, username, timestamp, request, status_code = 200, bytes]", a1);
    NO_MATCH("[ip, user, username, timestamp, request, status_code = 200, bytes]", a2);
    MATCH("[ip, user, username, timestamp, request, status_code = 4*, bytes]", a3);
    NO_MATCH("[ip, user, username, timestamp, request, status_code = 4*, bytes]", a1);
    MATCH("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", a3);
    NO_MATCH("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", a2);
    MATCH("[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000, bytes]", a3);
    MATCH("[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, "
          "bytes]",
          a3);
    NO_MATCH("[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, "
             "bytes]",
             a1);
    MATCH("[..., request=*.html*, status_code=4*,]", a3);
    NO_MATCH("[..., request=*.html*, status_code=4*,]", a1);
    assert_contains(err_of("[a, ..., b, ...]"), "only one '...'");
    assert_contains(err_of("[a, b"), "expected ',' or ']'");
}

/* ---- the CIS filter, its rewrites and look-alikes ---- */

static const char cis[] = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS "
                          "&& $.eventType != \"AwsServiceEvent\" }";

static void test_root_cases_cis(void **state) {
    (void)state;
    char d[512];
    static const char *const pass[] = {
        cis,
        /* CIS 1.4.0 writes it without spaces inside the braces */
        "{$.userIdentity.type=\"Root\" && $.userIdentity.invokedBy NOT EXISTS && "
        "$.eventType!=\"AwsServiceEvent\"}",
        /* clause order */
        "{ $.eventType != \"AwsServiceEvent\" && $.userIdentity.invokedBy NOT EXISTS && "
        "$.userIdentity.type = \"Root\" }",
        "{ $.userIdentity.invokedBy NOT EXISTS && $.eventType != AwsServiceEvent && "
        "$.userIdentity.type = Root }",
        /* parentheses */
        "{ ($.userIdentity.type = \"Root\") && ($.userIdentity.invokedBy NOT EXISTS) && "
        "($.eventType != \"AwsServiceEvent\") }",
        "{ (($.userIdentity.type = Root) && (($.userIdentity.invokedBy NOT EXISTS))) && "
        "$.eventType != \"AwsServiceEvent\" }",
        /* spacing, bare values, lower-case keywords */
        "{$.userIdentity.type=Root&&$.userIdentity.invokedBy not exists&&"
        "$.eventType!=AwsServiceEvent}",
        "  {\n  $.userIdentity.type = \"Root\"\n  && $.userIdentity.invokedBy NOT EXISTS\n  && "
        "$.eventType != \"AwsServiceEvent\"\n}\n",
        /* equivalent on every CloudTrail record: no userIdentity.type but Root starts with Root */
        "{ $.userIdentity.type = Root* && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "
        "AwsServiceEvent }",
        /* the event types that remain, named */
        "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && "
        "($.eventType = \"AwsApiCall\" || $.eventType = \"AwsConsoleSignIn\") }",
        /* the ARN instead of the type */
        "{ $.userIdentity.arn = \"*:root\" && $.userIdentity.invokedBy NOT EXISTS && "
        "$.eventType != \"AwsServiceEvent\" }",
        /* CDK's rendering of all(stringValue(...), notExists(...), stringValue(...)) */
        "{ ($.userIdentity.type = \"Root\") && ($.userIdentity.invokedBy NOT EXISTS) && "
        "($.eventType != \"AwsServiceEvent\") }",
    };
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        uint32_t w = wrong_of(pass[i], d, sizeof d);
        if (w) fail_msg("%s should pass: %s", pass[i], d);
        assert_string_equal(d, "catches every canonical root case");
    }
}

static void test_root_cases_lookalikes(void **state) {
    (void)state;
    char d[512];
    static const char *const t[][2] = {
        /* no invokedBy clause */
        {"{ $.userIdentity.type = \"Root\" && $.eventType != \"AwsServiceEvent\" }",
         "matches root call made by an AWS service (invokedBy)"},
        /* no eventType clause */
        {"{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS }",
         "matches AwsServiceEvent with a root identity"},
        /* only the type */
        {"{ $.userIdentity.type = \"Root\" }", "matches root call made by an AWS service "
                                               "(invokedBy); matches AwsServiceEvent with a root "
                                               "identity"},
        /* lower case: filters are case sensitive */
        {"{ $.userIdentity.type = \"root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType "
         "!= \"AwsServiceEvent\" }",
         "misses root API call (write); misses root console sign-in; misses root read-only call"},
        /* Root as a prefix of nothing */
        {"{ $.userIdentity.type = *Roots && $.userIdentity.invokedBy NOT EXISTS && $.eventType "
         "!= \"AwsServiceEvent\" }",
         "misses root API call (write)"},
        /* a wildcard that takes in every identity */
        {"{ $.userIdentity.type = * && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "
         "\"AwsServiceEvent\" }",
         "matches IAM user call; matches assumed-role call"},
        {"{ $.userIdentity.type = *o* && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "
         "\"AwsServiceEvent\" }",
         "matches assumed-role call"},
        /* only sign-ins */
        {"{ $.eventName = ConsoleLogin }",
         "misses root API call (write); misses root read-only call"},
        {"{ $.userIdentity.type = \"Root\" && $.eventName = \"ConsoleLogin\" }",
         "misses root API call (write); misses root read-only call"},
        /* writes only */
        {"{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType "
         "!= \"AwsServiceEvent\" && $.readOnly IS FALSE }",
         "misses root read-only call"},
        /* anything but an IAM user */
        {"{ $.userIdentity.type != \"IAMUser\" && $.userIdentity.invokedBy NOT EXISTS && "
         "$.eventType != \"AwsServiceEvent\" }",
         "matches assumed-role call"},
        /* Prowler's regular expression accepts these: clause order kept, meaning lost */
        {"{ $.userIdentity.type = \"Root\" || $.userIdentity.invokedBy NOT EXISTS && $.eventType "
         "!= \"AwsServiceEvent\" }",
         "matches root call made by an AWS service (invokedBy); matches AwsServiceEvent with a "
         "root identity; matches IAM user call; matches assumed-role call"},
        {"{ $.userIdentity.type = \"RootUser\" && $.userIdentity.invokedBy NOT EXISTS && "
         "$.eventType != \"AwsServiceEvent\" }",
         "misses root API call (write)"},
        {"{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType "
         "!= \"AwsServiceEvents\" }",
         "matches AwsServiceEvent with a root identity"},
        {"{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType "
         "!= \"AwsServiceEvent\" && $.eventName = \"ConsoleLogin\" }",
         "misses root API call (write)"},
        /* a star inside a value is a literal star, not a wildcard */
        {"{ $.userIdentity.arn = \"arn:aws:iam::*:root\" && $.userIdentity.invokedBy NOT EXISTS "
         "&& $.eventType != \"AwsServiceEvent\" }",
         "misses root API call (write); misses root console sign-in; misses root read-only call"},
        /* the wrong field */
        {"{ $.userIdentity.Type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType "
         "!= \"AwsServiceEvent\" }",
         "misses root API call (write)"},
        /* text patterns are evaluated on the record's text */
        {"Root", "matches"},
        {"\"\\\"type\\\":\\\"Root\\\"\" -invokedBy -AwsServiceEvent", ""},
        /* everything */
        {"", "matches root call made by an AWS service (invokedBy)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint32_t w = wrong_of(t[i][0], d, sizeof d);
        if (!t[i][1][0]) {
            /* a text pattern that happens to be right on the canonical records */
            if (w) fail_msg("%s: %s", t[i][0], d);
            continue;
        }
        if (!w) fail_msg("%s should fail the root cases", t[i][0]);
        if (!strstr(d, t[i][1])) fail_msg("%s: expected \"%s\" in \"%s\"", t[i][0], t[i][1], d);
    }
    /* the canonical cases are what the header says */
    assert_int_equal(rw_cwl_root_ncases, 7);
    size_t must = 0;
    for (size_t i = 0; i < rw_cwl_root_ncases; i++) must += rw_cwl_root_cases[i].must_match;
    assert_int_equal(must, 3);
}

/* ---- errors and limits ---- */

static void test_errors(void **state) {
    (void)state;
    static const char *const t[][2] = {
        {"{ $.a = }", "offset 8: expected a value"},
        {"{ $.a }", "offset 6: expected an operator (=, !=, <, <=, >, >=, IS TRUE, IS FALSE, IS "
                    "NULL, NOT EXISTS) after $.a, found '}'"},
        {"{ $.a = 1", "offset 9: expected '&&', '||' or '}', found the end of the pattern"},
        {"{ a = 1 }", "offset 2: expected a selector starting with '$'"},
        {"{ $a = 1 }", "offset 3: expected '.' and a property name after '$'"},
        {"{ $. = 1 }", "offset 4: expected a property name"},
        {"{ $.a[x] = 1 }", "offset 6: expected an array index"},
        {"{ $[0] = 1 }", "offset 3: an array index must follow a property"},
        {"{ $.a[* = 1 }", "offset 7: expected ']' after '[*'"},
        {"{ $.a['b = 1 }", "offset 6: a property name opened with ' at offset 6 is not closed"},
        {"{ $.a['b' = 1 }", "offset 9: expected ']' after the property name"},
        {"{ $.a[] = 1 }", "offset 6: expected an array index [NUMBER], [*] or ['name']"},
        {"{ $.a == 1 }", "offset 6: '==' is not an operator"},
        {"{ $.a > abc }", "offset 8: the operator > compares numbers"},
        {"{ $.a IS }", "offset 9: expected TRUE, FALSE or NULL after IS"},
        {"{ $.a NOT }", "offset 10: expected EXISTS after NOT"},
        {"{ $.a EXISTS }", "offset 6: EXISTS is not in CloudWatch Logs' syntax"},
        {"{ $.a = \"x }", "offset 8: a string opened with '\"' at offset 8 is not closed"},
        {"{ ($.a = 1 }", "offset 11: expected ')' to close the '(' at offset 2, found '}'"},
        {"{ $.a = 1 } x", "offset 12: unexpected 'x' after the closing '}'"},
        {"{ $.a = 1 &&  }", "offset 14: expected a selector"},
        {"{ $.a = x@y }", "offset 9: the character '@' must be inside double quotes"},
        {"{ }", "offset 2: expected a selector"},
        {"ERROR -", "offset 6: expected a term after '-'"},
        {"\"abc", "offset 0: a string opened with '\"' at offset 0 is not closed"},
        {"{ $.a = $x }", "offset 8: the character '$' must be inside double quotes"},
        {"{ $.a = caf\xc3\xa9 }", "offset 11: non-ASCII characters must be inside double quotes"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *e = err_of(t[i][0]);
        if (!strstr(e, t[i][1])) fail_msg("%s: expected \"%s\" in \"%s\"", t[i][0], t[i][1], e);
        assert_contains(e, "filter pattern: offset ");
    }
}

static void test_limits(void **state) {
    (void)state;
    rwt_str s = {0};
    rwt_adds(&s, "{ $.a = \"");
    while (s.n < 1023) rwt_adds(&s, "x");
    rwt_adds(&s, "\"");
    /* 1024 characters: still too long with the closing brace (1025) */
    rwt_adds(&s, "}");
    rw_cwl_filter *f = NULL;
    assert_int_equal(rw_cwl_filter_compile(&f, s.p, s.n), RW_ELIMIT);
    assert_contains(rw_error_last(), "1025 characters, over AWS's limit of 1024");
    /* 1024 exactly compiles */
    s.p[s.n - 3] = '"';
    s.p[s.n - 2] = '}';
    assert_int_equal(rw_cwl_filter_compile(&f, s.p, s.n - 1), RW_OK);
    rw_cwl_filter_free(f);
    /* characters, not bytes: 600 two-byte characters are 600 */
    rwt_free(&s);
    memset(&s, 0, sizeof s);
    rwt_adds(&s, "{ $.a = \"");
    for (int i = 0; i < 600; i++) rwt_adds(&s, "\xc3\xa9");
    rwt_adds(&s, "\" }");
    assert_int_equal(rw_cwl_filter_compile(&f, s.p, s.n), RW_OK);
    rw_cwl_filter_free(f);
    rwt_free(&s);
    /* nesting */
    memset(&s, 0, sizeof s);
    rwt_adds(&s, "{ ");
    for (int i = 0; i < RW_CWL_MAX_DEPTH + 1; i++) rwt_adds(&s, "(");
    rwt_adds(&s, "$.a = 1");
    for (int i = 0; i < RW_CWL_MAX_DEPTH + 1; i++) rwt_adds(&s, ")");
    rwt_adds(&s, " }");
    assert_int_equal(rw_cwl_filter_compile(&f, s.p, s.n), RW_ELIMIT);
    assert_contains(rw_error_last(), "parentheses nested deeper than");
    rwt_free(&s);
    memset(&s, 0, sizeof s);
    rwt_adds(&s, "{ ");
    for (int i = 0; i < RW_CWL_MAX_DEPTH; i++) rwt_adds(&s, "(");
    rwt_adds(&s, "$.a = 1");
    for (int i = 0; i < RW_CWL_MAX_DEPTH; i++) rwt_adds(&s, ")");
    rwt_adds(&s, " }");
    assert_int_equal(rw_cwl_filter_compile(&f, s.p, s.n), RW_OK);
    assert_true(rw_cwl_filter_match_line(f, "{\"a\":1}", 7));
    rw_cwl_filter_free(f);
    rwt_free(&s);
    /* a NUL byte */
    assert_int_equal(rw_cwl_filter_compile(&f, "a\0b", 3), RW_EINVAL);
    assert_contains(rw_error_last(), "offset 1: a NUL byte");
}

/* matching a parsed event equals matching its text */
static void test_match_tree(void **state) {
    (void)state;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    for (size_t i = 0; i < rw_cwl_root_ncases; i++) {
        const char *r = rw_cwl_root_cases[i].record;
        assert_int_equal(rw_json_doc_parse(doc, r, strlen(r)), RW_OK);
        static const char *const pats[] = {cis, "Root", "[a]", "", "{ $.eventName = %Login$% }"};
        for (size_t k = 0; k < sizeof pats / sizeof pats[0]; k++) {
            rw_cwl_filter *f = NULL;
            assert_int_equal(rw_cwl_filter_compile(&f, pats[k], strlen(pats[k])), RW_OK);
            assert_int_equal(rw_cwl_filter_match(f, rw_json_doc_root(doc)),
                             rw_cwl_filter_match_line(f, r, strlen(r)));
            rw_cwl_filter_free(f);
        }
    }
    rw_json_doc_free(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_json_examples),
        cmocka_unit_test(test_docs_compound),
        cmocka_unit_test(test_docs_numbers),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_docs_terms),
        cmocka_unit_test(test_docs_delimited),
        cmocka_unit_test(test_root_cases_cis),
        cmocka_unit_test(test_root_cases_lookalikes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_match_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

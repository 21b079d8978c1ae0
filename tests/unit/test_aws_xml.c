/* Unit tests for src/aws/xml.c: AWS's XML replies as trees. */
#include "rwtest.h"

#include "aws/xml.h"
#include "util/err.h"

static rw_xml *parse_ok(const char *s) {
    rw_xml *x = NULL;
    int rc = rw_xml_parse(&x, s, strlen(s));
    if (rc != RW_OK) fail_msg("parsing failed: %s", rw_error_last());
    assert_non_null(x);
    return x;
}

static void test_list_objects_v2(void **state) {
    (void)state;
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>trail-bucket</Name><Prefix>AWSLogs/</Prefix><KeyCount>2</KeyCount>"
        "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
        "NextContinuationToken>"
        "<Contents><Key>AWSLogs/1/a.json.gz</Key><LastModified>2024-01-02T03:04:05.000Z</"
        "LastModified><ETag>&quot;abc&quot;</ETag><Size>123</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        "<Contents><Key>AWSLogs/1/b&amp;c.json.gz</Key><Size>456</Size></Contents>"
        "<CommonPrefixes><Prefix>AWSLogs/2/</Prefix></CommonPrefixes>"
        "</ListBucketResult>";
    rw_xml *root = parse_ok(doc);
    assert_string_equal(root->name, "ListBucketResult");
    /* components match children: the root's own name does not */
    assert_null(rw_xml_find(root, "ListBucketResult"));
    assert_ptr_equal(rw_xml_find(root, ""), root);
    assert_string_equal(rw_xml_text(root, "Name"), "trail-bucket");
    assert_string_equal(rw_xml_text(root, "IsTruncated"), "true");
    assert_string_equal(rw_xml_text(root, "NextContinuationToken"),
                        "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    assert_string_equal(rw_xml_text(root, "Contents/Key"), "AWSLogs/1/a.json.gz");
    assert_string_equal(rw_xml_text(root, "Contents/ETag"), "\"abc\"");
    assert_string_equal(rw_xml_text(root, "CommonPrefixes/Prefix"), "AWSLogs/2/");
    assert_null(rw_xml_text(root, "Contents/Nope"));
    assert_null(rw_xml_text(root, "Contents/"));
    assert_null(rw_xml_text(root, "/Contents"));
    assert_null(rw_xml_find(NULL, "Contents"));

    const char *keys[] = {"AWSLogs/1/a.json.gz", "AWSLogs/1/b&c.json.gz"};
    const char *sizes[] = {"123", "456"};
    int n = 0;
    for (const rw_xml *c = rw_xml_find(root, "Contents"); c; c = rw_xml_next(c, "Contents")) {
        assert_true(n < 2);
        assert_string_equal(rw_xml_text(c, "Key"), keys[n]);
        assert_string_equal(rw_xml_text(c, "Size"), sizes[n]);
        n++;
    }
    assert_int_equal(n, 2);
    /* a NULL name means the element's own */
    const rw_xml *first = rw_xml_find(root, "Contents");
    assert_ptr_equal(rw_xml_next(first, NULL), first->next);
    assert_null(rw_xml_next(first->next, NULL));
    assert_null(rw_xml_next(NULL, "Contents"));
    /* an element's text is its own character data, not its children's */
    assert_string_equal(first->text, "");
    assert_int_equal(first->text_len, 0);
    rw_xml_free(root);
}

static void test_sts_caller_identity(void **state) {
    (void)state;
    const char *doc =
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <GetCallerIdentityResult>\n"
        "    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>\n"
        "    <UserId>AIDAEXAMPLE</UserId>\n"
        "    <Account>123456789012</Account>\n"
        "  </GetCallerIdentityResult>\n"
        "  <ResponseMetadata>\n"
        "    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</GetCallerIdentityResponse>\n";
    rw_xml *root = parse_ok(doc);
    assert_string_equal(root->name, "GetCallerIdentityResponse");
    assert_string_equal(rw_xml_text(root, "GetCallerIdentityResult/Account"), "123456789012");
    assert_string_equal(rw_xml_text(root, "GetCallerIdentityResult/Arn"),
                        "arn:aws:iam::123456789012:user/Alice");
    assert_string_equal(rw_xml_text(root, "ResponseMetadata/RequestId"),
                        "01234567-89ab-cdef-0123-456789abcdef");
    const rw_xml *acct = rw_xml_find(root, "GetCallerIdentityResult/Account");
    assert_int_equal(acct->text_len, 12);
    rw_xml_free(root);
}

static void test_error_response(void **state) {
    (void)state;
    const char *doc = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                      "<Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
                      "<Message>The user with name x cannot be found.</Message></Error>"
                      "<RequestId>rid</RequestId></ErrorResponse>";
    rw_xml *root = parse_ok(doc);
    assert_string_equal(rw_xml_text(root, "Error/Code"), "NoSuchEntity");
    assert_string_equal(rw_xml_text(root, "Error/Message"),
                        "The user with name x cannot be found.");
    assert_string_equal(rw_xml_text(root, "RequestId"), "rid");
    rw_xml_free(root);

    /* S3's: the root is <Error> */
    root = parse_ok("<Error><Code>NoSuchBucket</Code><BucketName>b</BucketName></Error>");
    assert_string_equal(rw_xml_text(root, "Code"), "NoSuchBucket");
    rw_xml_free(root);
}

static void test_namespace_prefixes(void **state) {
    (void)state;
    rw_xml *root = parse_ok("<a:Root xmlns:a=\"urn:x\" xmlns:b=\"urn:y\">"
                            "<b:Item attr=\"1\">one</b:Item><Item>two</Item></a:Root>");
    assert_string_equal(root->name, "Root");
    const rw_xml *i = rw_xml_find(root, "Item");
    assert_non_null(i);
    assert_string_equal(i->text, "one");
    i = rw_xml_next(i, "Item");
    assert_non_null(i);
    assert_string_equal(i->text, "two");
    rw_xml_free(root);
}

static void test_text_pieces(void **state) {
    (void)state;
    /* character data split by entities, CDATA and children is joined */
    rw_xml *root = parse_ok("<R>a&lt;b<![CDATA[<c>]]><X>in</X>d&#x20AC;</R>");
    assert_string_equal(root->text, "a<b<c>d\xE2\x82\xAC");
    assert_int_equal(root->text_len, strlen("a<b<c>d\xE2\x82\xAC"));
    assert_string_equal(rw_xml_text(root, "X"), "in");
    rw_xml_free(root);
}

static void test_malformed(void **state) {
    (void)state;
    rw_xml *x = (rw_xml *)0x1;
    const char *doc = "<A>\n  <B>text</C>\n</A>";
    assert_int_equal(rw_xml_parse(&x, doc, strlen(doc)), RW_EINVAL);
    assert_null(x);
    assert_contains(rw_error_last(), "line 2");
    assert_contains(rw_error_last(), "column 12");
    assert_contains(rw_error_last(), "mismatched tag");

    assert_int_equal(rw_xml_parse(&x, "", 0), RW_EINVAL);
    assert_contains(rw_error_last(), "line 1");
    assert_int_equal(rw_xml_parse(&x, "<A>", 3), RW_EINVAL);
    assert_int_equal(rw_xml_parse(&x, "<A/><B/>", 8), RW_EINVAL);
    assert_contains(rw_error_last(), "junk after document element");
    assert_int_equal(rw_xml_parse(&x, "<A>&bogus;</A>", 14), RW_EINVAL);
    assert_contains(rw_error_last(), "undefined entity");
    /* a truncated document (the length cuts it) */
    assert_int_equal(rw_xml_parse(&x, "<A><B>x</B></A>", 10), RW_EINVAL);
    assert_null(x);
}

static void test_entities_refused(void **state) {
    (void)state;
    const char *doc = "<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE lolz [\n"
                      "  <!ENTITY lol \"lol\">\n"
                      "  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
                      "]>\n"
                      "<lolz>&lol2;</lolz>";
    rw_xml *x = NULL;
    assert_int_equal(rw_xml_parse(&x, doc, strlen(doc)), RW_EINVAL);
    assert_null(x);
    assert_contains(rw_error_last(), "entity");
    assert_contains(rw_error_last(), "line 3");
}

static void test_depth_limit(void **state) {
    (void)state;
    for (int depth = 255; depth <= 257; depth++) {
        rwt_str s = {0};
        for (int i = 0; i < depth; i++) rwt_adds(&s, "<a>");
        rwt_adds(&s, "deep");
        for (int i = 0; i < depth; i++) rwt_adds(&s, "</a>");
        rw_xml *x = NULL;
        int rc = rw_xml_parse(&x, s.p, s.n);
        if (depth <= 256) {
            if (rc != RW_OK) fail_msg("depth %d: %s", depth, rw_error_last());
            const rw_xml *d = x;
            while (d->child) d = d->child;
            assert_string_equal(d->text, "deep");
            rw_xml_free(x);
        } else {
            assert_int_equal(rc, RW_ELIMIT);
            assert_null(x);
            assert_contains(rw_error_last(), "too deeply");
            assert_contains(rw_error_last(), "line 1");
        }
        rwt_free(&s);
    }
    /* many siblings are fine: only nesting is limited */
    rwt_str s = {0};
    rwt_adds(&s, "<r>");
    for (int i = 0; i < 10000; i++) rwt_addf(&s, "<i>%d</i>", i);
    rwt_adds(&s, "</r>");
    rw_xml *x = parse_ok(s.p);
    int n = 0;
    for (const rw_xml *c = rw_xml_find(x, "i"); c; c = rw_xml_next(c, "i")) n++;
    assert_int_equal(n, 10000);
    rw_xml_free(x);
    rwt_free(&s);
    rw_xml_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_objects_v2),  cmocka_unit_test(test_sts_caller_identity),
        cmocka_unit_test(test_error_response),   cmocka_unit_test(test_namespace_prefixes),
        cmocka_unit_test(test_text_pieces),      cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_entities_refused), cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

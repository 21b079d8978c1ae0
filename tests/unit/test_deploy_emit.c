/* Unit tests for src/deploy/emit.c and template.c: what the YAML and JSON writers produce reads
 * back (through libyaml, util/yaml.c, and the JSON parser) as the very tree written, for strings
 * that YAML would otherwise read as something else; and the templates round-trip whole. */
#include "rwtest.h"

#include "deploy/emit.h"
#include "deploy/template.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/yaml.h"

/* Strings a careless YAML writer gets wrong: booleans and nulls of YAML 1.1, numbers, dates,
 * indicators, comments, colons, quotes, escapes, spaces at the ends, UTF-8, control characters. */
static const char *const tricky[] = {
    "",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "~",
    "Null",
    "0",
    "30",
    "-1",
    "1.5",
    "1e3",
    "0x1F",
    "0o17",
    ".inf",
    ".NaN",
    "2010-09-09",
    "12:30:00",
    "-",
    "- x",
    "?",
    "? x",
    ":",
    "a:",
    "a: b",
    "a:b",
    "Fn::GetAtt",
    "AWS::Region",
    "#",
    "a #b",
    "a#b",
    "&anchor",
    "*alias",
    "!Ref",
    "!!str",
    "%TAG",
    "@x",
    "`x`",
    "|",
    ">",
    "'",
    "\"",
    "'quoted'",
    "{}",
    "[]",
    "{a: 1}",
    "[1, 2]",
    ",",
    " lead",
    "trail ",
    "two  spaces",
    "tab\there",
    "line\nbreak",
    "back\\slash",
    "nul\x01ctl",
    "d\xc3\xa9tail",
    "\xe2\x80\xa8",
    "/aws/lambda/${FunctionName}",
    "arn:${AWS::Partition}:events:${HubRegion}",
    "*",
    "^$|^[^\\s,@]+@[^\\s,@]+$",
    "\x7f",
    "\xc2\x85",
    "\xc2\x9b",
    "\xe2\x80\xa9",
    "\xef\xbb\xbf",
    "\xef\xbf\xbd",
    "\xf0\x9f\x98\x80",
    "\xc2\xa0nbsp",
    "---",
    "...",
    "=",
    "<<",
};
#define N_TRICKY (sizeof tricky / sizeof tricky[0])

static rw_json *str(rw_json_doc *d, const char *s) {
    rw_json *n = rw_json_doc_node(d, RW_JSON_STRING, s, strlen(s), 0);
    assert_non_null(n);
    return n;
}

static void append(rw_json_doc *d, rw_json *parent, rw_json *child, const char *key) {
    assert_true(rw_json_doc_append(d, parent, child, key, key ? strlen(key) : 0));
}

/* Compact JSON of v, for comparing trees. */
static char *compact(const rw_json *v) {
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_json_write(&b, v), RW_OK);
    return rw_buf_take(&b);
}

/* Writes root both ways, reads each back and compares with root. */
static void round_trip(const rw_json *root) {
    char *want = compact(root);
    rw_buf y, j;
    rw_buf_init(&y, 0);
    rw_buf_init(&j, 0);
    assert_int_equal(rw_deploy_emit_yaml(&y, root), RW_OK);
    assert_int_equal(rw_deploy_emit_json(&j, root), RW_OK);
    rw_json_doc *back = rw_json_doc_new(NULL);
    size_t off = 0;
    if (rw_yaml_parse(back, y.data, y.len, &off) != RW_OK)
        fail_msg("the YAML does not parse at byte %zu: %s\n%s", off, rw_error_last(), y.data);
    char *got = compact(rw_json_doc_root(back));
    if (strcmp(got, want)) fail_msg("YAML read back as\n%s\nnot\n%s\nfrom\n%s", got, want, y.data);
    free(got);
    if (rw_json_doc_parse(back, j.data, j.len) != RW_OK)
        fail_msg("the JSON does not parse: %s\n%s", rw_error_last(), j.data);
    got = compact(rw_json_doc_root(back));
    assert_string_equal(got, want);
    assert_int_equal(j.data[j.len - 1], '\n');
    free(got);
    rw_json_doc_free(back);
    rw_buf_free(&y);
    rw_buf_free(&j);
    free(want);
}

static void tricky_strings_read_back_as_written(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *root = rw_json_doc_node(d, RW_JSON_OBJECT, NULL, 0, 0);
    rw_json *list = rw_json_doc_node(d, RW_JSON_ARRAY, NULL, 0, 0);
    for (size_t i = 0; i < N_TRICKY; i++) {
        append(d, root, str(d, tricky[i]), tricky[i]); /* as a key and as a value */
        append(d, list, str(d, tricky[i]), NULL);
    }
    append(d, root, list, "list");
    rw_json_doc_set_root(d, root);
    round_trip(root);
    rw_json_doc_free(d);
}

static void nesting_and_scalars_read_back(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    static const char text[] =
        "{\"a\":[[1,[\"x\",{}],[]],{\"b\":{\"c\":[{\"d\":true,\"e\":false},null]}}],"
        "\"empty\":{},\"none\":[],\"n\":-12.5e3,\"z\":0,\"t\":true,\"f\":false,\"u\":null,"
        "\"obj_in_list\":[{\"k\":\"v\",\"l\":[\"w\"]},{\"only\":{}}]}";
    assert_int_equal(rw_json_doc_parse(d, text, sizeof text - 1), RW_OK);
    round_trip(rw_json_doc_root(d));
    /* a scalar as the whole document */
    assert_int_equal(rw_json_doc_parse(d, "\"yes\"", 5), RW_OK);
    round_trip(rw_json_doc_root(d));
    rw_json_doc_free(d);
}

static void yaml_is_plain_where_it_can_be(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    static const char text[] = "{\"Type\":\"AWS::SNS::Topic\",\"Ref\":\"Topic\",\"K\":\"yes\","
                               "\"V\":\"2010-09-09\",\"L\":[\"a b\"]}";
    assert_int_equal(rw_json_doc_parse(d, text, sizeof text - 1), RW_OK);
    rw_buf y;
    rw_buf_init(&y, 0);
    assert_int_equal(rw_deploy_emit_yaml(&y, rw_json_doc_root(d)), RW_OK);
    assert_string_equal(y.data, "Type: AWS::SNS::Topic\n"
                                "Ref: Topic\n"
                                "K: \"yes\"\n"
                                "V: \"2010-09-09\"\n"
                                "L:\n"
                                "  - \"a b\"\n");
    rw_buf_free(&y);
    rw_json_doc_free(d);
}

static void templates_read_back_whole(void **state) {
    (void)state;
    for (int v = RW_DEPLOY_HUB; v <= RW_DEPLOY_FORWARDER; v++) {
        rw_json_doc *d = rw_json_doc_new(NULL);
        assert_int_equal(rw_deploy_template_build(d, (rw_deploy_variant)v), RW_OK);
        round_trip(rw_json_doc_root(d));
        rw_json_doc_free(d);
    }
}

static void a_template_that_does_not_fit_fails_cleanly(void **state) {
    (void)state;
    rw_json_opts o = {.max_memory = 4096};
    rw_json_doc *d = rw_json_doc_new(&o);
    assert_int_equal(rw_deploy_template_build(d, RW_DEPLOY_HUB), RW_ELIMIT);
    assert_null(rw_json_doc_root(d));
    rw_json_doc_free(d);
}

static void invalid_utf8_is_refused(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *root = rw_json_doc_node(d, RW_JSON_ARRAY, NULL, 0, 0);
    append(d, root, str(d, "caf\xe9 \xed\xa0\x80"), NULL); /* Latin-1; a surrogate */
    rw_buf y;
    rw_buf_init(&y, 0);
    assert_int_equal(rw_deploy_emit_yaml(&y, root), RW_EINVAL);
    assert_non_null(strstr(rw_error_last(), "not UTF-8"));
    rw_buf_free(&y);
    rw_json_doc_free(d);
}

static void variants_by_name(void **state) {
    (void)state;
    rw_deploy_variant v;
    assert_int_equal(rw_deploy_variant_parse(&v, "forwarder"), RW_OK);
    assert_int_equal(v, RW_DEPLOY_FORWARDER);
    assert_string_equal(rw_deploy_variant_name(v), "forwarder");
    assert_int_equal(rw_deploy_variant_parse(&v, "hub"), RW_OK);
    assert_int_equal(v, RW_DEPLOY_HUB);
    assert_int_equal(rw_deploy_variant_parse(&v, "Hub"), RW_EINVAL);
    assert_non_null(strstr(rw_error_last(), "hub or forwarder"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tricky_strings_read_back_as_written),
        cmocka_unit_test(nesting_and_scalars_read_back),
        cmocka_unit_test(yaml_is_plain_where_it_can_be),
        cmocka_unit_test(templates_read_back_whole),
        cmocka_unit_test(a_template_that_does_not_fit_fails_cleanly),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(variants_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

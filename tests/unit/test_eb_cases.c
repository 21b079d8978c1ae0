/* Unit tests for src/rules/eb_cases.c, the events `rootwatch deploy test` checks a rule with:
 * each is an event TestEventPattern accepts, the hub template's own pattern answers each as the
 * case says, and the test event sent to the function is one the rule delivers, marked as a test. */
#include "rwtest.h"

#include "rules/eb_cases.h"
#include "deploy/template.h"
#include "rules/pattern.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define ACCOUNT "111122223333"
#define NOW 1796545086 /* 2026-12-06T08:18:06Z */

static rw_pattern *template_pattern(void) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_json *p = rw_deploy_root_pattern(doc);
    assert_non_null(p);
    rw_pattern *out = NULL;
    assert_int_equal(rw_pattern_compile_json(&out, p, NULL), RW_OK);
    rw_json_doc_free(doc);
    return out;
}

static rw_pattern *compile(const char *text) {
    rw_pattern *out = NULL;
    assert_int_equal(rw_pattern_compile(&out, text, strlen(text), NULL), RW_OK);
    return out;
}

/* Does p match case i's event? (The event must be one TestEventPattern accepts.) */
static bool matches(const rw_pattern *p, size_t i) {
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_eb_case_event(&b, &rw_eb_root_cases[i], ACCOUNT, "us-east-1", NOW, NULL),
                     RW_OK);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(doc, b.data, b.len), RW_OK);
    assert_int_equal(rw_pattern_check_event(rw_json_doc_root(doc)), RW_OK);
    bool m = rw_pattern_matches(p, rw_json_doc_root(doc));
    rw_json_doc_free(doc);
    rw_buf_free(&b);
    return m;
}

static void the_template_answers_every_case_right(void **state) {
    (void)state;
    rw_pattern *p = template_pattern();
    size_t must = 0;
    for (size_t i = 0; i < rw_eb_root_ncases; i++) {
        assert_true(matches(p, i) == rw_eb_root_cases[i].must_match);
        must += rw_eb_root_cases[i].must_match;
    }
    /* sign-in, write, read-only; IAM user, invokedBy */
    assert_int_equal(rw_eb_root_ncases, 5);
    assert_int_equal(must, 3);
    rw_pattern_free(p);
}

static void a_pattern_without_sign_ins_misses_only_the_sign_in(void **state) {
    (void)state;
    rw_pattern *p =
        compile("{\"detail-type\":[\"AWS API Call via CloudTrail\"],\"detail\":{\"userIdentity\":{"
                "\"type\":[\"Root\"],\"invokedBy\":[{\"exists\":false}]}}}");
    for (size_t i = 0; i < rw_eb_root_ncases; i++) {
        bool sign_in = !strcmp(rw_eb_root_cases[i].event_name, "ConsoleLogin");
        assert_true(matches(p, i) == (rw_eb_root_cases[i].must_match && !sign_in));
    }
    rw_pattern_free(p);
    /* and one that lets any root event through delivers the service's call too */
    p = compile("{\"detail\":{\"userIdentity\":{\"type\":[\"Root\"]}}}");
    for (size_t i = 0; i < rw_eb_root_ncases; i++)
        assert_true(matches(p, i) == !!strcmp(rw_eb_root_cases[i].identity, "IAMUser"));
    rw_pattern_free(p);
}

static void the_test_event_is_delivered_and_marked(void **state) {
    (void)state;
    rw_buf b;
    rw_buf_init(&b, 0);
    char id[96];
    assert_int_equal(rw_eb_test_event(&b, ACCOUNT, "eu-west-1", NOW, 4242, id, sizeof id), RW_OK);
    assert_string_equal(id, "rootwatch-deploy-test-1796545086-4242");
    rw_json_doc *doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(doc, b.data, b.len), RW_OK);
    const rw_json *e = rw_json_doc_root(doc);
    assert_int_equal(rw_pattern_check_event(e), RW_OK);
    rw_pattern *p = template_pattern();
    assert_true(rw_pattern_matches(p, e));
    rw_pattern_free(p);
    const rw_json *d = rw_json_get(e, "detail");
    assert_string_equal(rw_json_get_str(d, "eventID"), id);
    assert_string_equal(rw_json_get_str(d, "eventName"), "RootwatchDeployTest");
    assert_string_equal(rw_json_get_str(d, "awsRegion"), "eu-west-1");
    assert_string_equal(rw_json_get_str(e, "region"), "eu-west-1");
    assert_string_equal(rw_json_get_str(e, "account"), ACCOUNT);
    assert_string_equal(rw_json_get_str(e, "time"), "2026-12-06T08:18:06Z");
    assert_string_equal(rw_json_path(d, "userIdentity.type")->str, "Root");
    assert_null(rw_json_path(d, "userIdentity.invokedBy"));
    assert_non_null(strstr(rw_json_path(d, "requestParameters.note")->str, "no root user"));
    rw_json_doc_free(doc);
    rw_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_template_answers_every_case_right),
        cmocka_unit_test(a_pattern_without_sign_ins_misses_only_the_sign_in),
        cmocka_unit_test(the_test_event_is_delivered_and_marked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

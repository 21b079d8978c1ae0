/* Unit tests for src/audit/output.c and the exit status of rootwatch audit: a report built by
 * hand, written as JSON (parsed back), CSV (quoting), SARIF (kinds and levels) and a table. */
#include "rwtest.h"

#include <stdlib.h>

#include "audit/audit.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

static const char *const controls[] = {"CIS-1.4.0 4.3", "SecurityHub CloudWatch.1", NULL};
static const char *const none[] = {NULL};

static void add(rw_audit_report *r, const char *id, rw_audit_result res, const char *evidence,
                const char *fix, const char *permission) {
    r->v = rw_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    rw_audit_finding *f = &r->v[r->n++];
    memset(f, 0, sizeof *f);
    f->id = id;
    f->title = "a title";
    f->controls = !strcmp(id, "metric-filter-root") ? controls : none;
    f->result = res;
    f->region = rw_xstrdup("us-east-1");
    f->resource = rw_xstrdup("arn:aws:logs:us-east-1:111122223333:log-group:g:*");
    f->evidence = rw_xstrdup(evidence);
    f->fix = fix ? rw_xstrdup(fix) : NULL;
    f->permission = permission ? rw_xstrdup(permission) : NULL;
}

static void sample(rw_audit_report *r) {
    memset(r, 0, sizeof *r);
    r->account = rw_xstrdup("111122223333");
    add(r, "metric-filter-root", RW_AUDIT_FAIL,
        "filter \"x\", on g: misses root console sign-in\nsecond line",
        "aws logs put-metric-filter --filter-pattern '{ $.a = \"b\" }'", NULL);
    add(r, "root-mfa", RW_AUDIT_PASS, "AccountMFAEnabled 1", NULL, NULL);
    add(r, "trail-log-validation", RW_AUDIT_WARN, "off", "aws cloudtrail update-trail", NULL);
    add(r, "org-central-root-access", RW_AUDIT_NOT_APPLICABLE, "no organization", NULL, NULL);
}

static void exit_status(void **state) {
    (void)state;
    rw_audit_report r;
    sample(&r);
    assert_int_equal(rw_audit_exit_status(&r), 1);
    r.v[0].result = RW_AUDIT_PASS;
    assert_int_equal(rw_audit_exit_status(&r), 0); /* WARN and NOT_APPLICABLE fail nothing */
    r.v[1].result = RW_AUDIT_ERROR;
    r.v[0].result = RW_AUDIT_FAIL;
    assert_int_equal(rw_audit_exit_status(&r), 2); /* ERROR wins over FAIL */
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_audit_summary(&b, &r);
    assert_string_equal(b.data, "4 findings: 0 PASS, 1 FAIL, 1 WARN, 1 NOT_APPLICABLE, 1 ERROR");
    rw_buf_free(&b);
    rw_audit_report_free(&r);
}

static void json_round_trip(void **state) {
    (void)state;
    rw_audit_report r;
    sample(&r);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_audit_write(&b, &r, RW_AUDIT_JSON, r.account, 0);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(doc, b.data, b.len), RW_OK);
    const rw_json *list = rw_json_doc_root(doc);
    assert_int_equal(list->type, RW_JSON_ARRAY);
    assert_int_equal(list->len, 4);
    const rw_json *f = list->child;
    assert_string_equal(rw_json_get_str(f, "id"), "metric-filter-root");
    assert_string_equal(rw_json_get_str(f, "result"), "FAIL");
    assert_string_equal(rw_json_get_str(f, "region"), "us-east-1");
    assert_string_equal(rw_json_get_str(f, "account"), "111122223333");
    assert_string_equal(rw_json_get_str(f, "evidence"),
                        "filter \"x\", on g: misses root console sign-in\nsecond line");
    const rw_json *c = rw_json_get(f, "controls");
    assert_int_equal(c->len, 2);
    assert_string_equal(c->child->next->str, "SecurityHub CloudWatch.1");
    assert_int_equal(rw_json_get(f->next, "fix")->type, RW_JSON_NULL);
    assert_int_equal(rw_json_get(f->next, "controls")->len, 0);
    rw_json_doc_free(doc);
    rw_buf_free(&b);
    rw_audit_report_free(&r);
}

static void csv_quoting(void **state) {
    (void)state;
    rw_audit_report r;
    sample(&r);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_audit_write(&b, &r, RW_AUDIT_CSV, r.account, 0);
    const char *want_head =
        "id,result,region,account,controls,resource,evidence,missing,fix,"
        "permission,need\r\nmetric-filter-root,FAIL,us-east-1,111122223333,"
        "CIS-1.4.0 4.3; SecurityHub CloudWatch.1,"
        "arn:aws:logs:us-east-1:111122223333:log-group:g:*,"
        "\"filter \"\"x\"\", on g: misses root console sign-in\nsecond line\",,"
        "\"aws logs put-metric-filter --filter-pattern '{ $.a = \"\"b\"\" }'\",,"
        "\r\nroot-mfa,PASS,";
    assert_memory_equal(b.data, want_head, strlen(want_head));
    rw_buf_free(&b);
    rw_audit_report_free(&r);
}

static void sarif_kinds(void **state) {
    (void)state;
    rw_audit_report r;
    sample(&r);
    add(&r, "root-hardware-mfa", RW_AUDIT_ERROR, "permission iam:ListVirtualMFADevices is missing",
        NULL, "iam:ListVirtualMFADevices");
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_audit_write(&b, &r, RW_AUDIT_SARIF, r.account, 0);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    assert_int_equal(rw_json_doc_parse(doc, b.data, b.len), RW_OK);
    const rw_json *root = rw_json_doc_root(doc);
    assert_string_equal(rw_json_get_str(root, "version"), "2.1.0");
    const rw_json *run = rw_json_get(root, "runs")->child;
    const rw_json *rules = rw_json_path(run, "tool.driver.rules");
    const rw_audit_check_info *checks;
    assert_int_equal(rules->len, rw_audit_checks(&checks));
    static const char *const want[][3] = {{"metric-filter-root", "fail", "error"},
                                          {"root-mfa", "pass", "none"},
                                          {"trail-log-validation", "fail", "warning"},
                                          {"org-central-root-access", "notApplicable", "none"},
                                          {"root-hardware-mfa", "review", "none"}};
    size_t i = 0;
    for (const rw_json *x = rw_json_get(run, "results")->child; x; x = x->next, i++) {
        assert_string_equal(rw_json_get_str(x, "ruleId"), want[i][0]);
        assert_string_equal(rw_json_get_str(x, "kind"), want[i][1]);
        assert_string_equal(rw_json_get_str(x, "level"), want[i][2]);
        /* ruleIndex points at the rule of that id */
        size_t idx = (size_t)rw_json_get(x, "ruleIndex")->num;
        const rw_json *rule = rules->child;
        for (size_t k = 0; k < idx; k++) rule = rule->next;
        assert_string_equal(rw_json_get_str(rule, "id"), want[i][0]);
    }
    assert_int_equal(i, 5);
    const rw_json *inv = rw_json_get(run, "invocations")->child;
    assert_int_equal(rw_json_get(inv, "executionSuccessful")->type, RW_JSON_FALSE);
    assert_int_equal(rw_json_get(inv, "toolExecutionNotifications")->len, 1);
    rw_json_doc_free(doc);
    rw_buf_free(&b);
    rw_audit_report_free(&r);
}

static void table_wraps(void **state) {
    (void)state;
    rw_audit_report r;
    sample(&r);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_audit_write(&b, &r, RW_AUDIT_TABLE, r.account, 60);
    assert_non_null(strstr(b.data, "rootwatch audit of account 111122223333\n"));
    assert_non_null(strstr(b.data, "\nFAIL           metric-filter-root      us-east-1      "
                                   "CIS-1.4.0 4.3, SecurityHub CloudWatch.1\n"));
    assert_non_null(strstr(b.data, "      fix: aws logs put-metric-filter"));
    /* no fix line for a PASS, and lines of evidence and fix kept within the width */
    for (const char *l = b.data; *l;) {
        const char *e = strchr(l, '\n');
        if (!strncmp(l, "      ", 6)) assert_true(e - l <= 60);
        l = e + 1;
    }
    rw_buf_free(&b);
    rw_audit_format f;
    assert_int_equal(rw_audit_format_parse(&f, "sarif"), RW_OK);
    assert_int_equal(f, RW_AUDIT_SARIF);
    assert_int_equal(rw_audit_format_parse(&f, "xml"), RW_EINVAL);
    rw_audit_report_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exit_status), cmocka_unit_test(json_round_trip),
        cmocka_unit_test(csv_quoting), cmocka_unit_test(sarif_kinds),
        cmocka_unit_test(table_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

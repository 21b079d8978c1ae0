/* eventbridge-rule-root (docs/audit.md): in us-east-1 and in every region in use, an EventBridge
 * rule whose pattern rootwatch's own matcher finds catching every canonical root event
 * (rules/eb_cases.h, the cases `rootwatch deploy test` uses), in the state that delivers
 * read-only calls, with a target that exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "rules/eb_cases.h"
#include "rules/pattern.h"
#include "util/err.h"
#include "util/xmalloc.h"

#define ALL_MANAGEMENT_EVENTS "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
#define ROOT_PATTERN                                                                               \
    "{\"detail-type\":[\"AWS API Call via CloudTrail\",\"AWS Console Sign In via CloudTrail\"],"   \
    "\"detail\":{\"userIdentity\":{\"type\":[\"Root\"],\"invokedBy\":[{\"exists\":false}]}}}"

/* clang-format off */
static const rw_aws_service lambda = {"lambda", "Lambda", "lambda", RW_AWS_REST_XML, NULL, NULL, NULL, 0};
/* clang-format on */

typedef struct rule {
    char *name, *arn, *state;
    uint32_t wrong;
} rule;

typedef struct rules_read {
    rw_audit_ctx *a;
    const char *region;
    rule *v;
    size_t n;
    size_t seen;
} rules_read;

static uint32_t must_mask(void) {
    uint32_t m = 0;
    for (size_t i = 0; i < rw_eb_root_ncases; i++)
        if (rw_eb_root_cases[i].must_match) m |= 1u << i;
    return m;
}

static int on_rules(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)number, (void)raw, (void)len;
    rules_read *r = ctx;
    const rw_json *list = rw_json_get(reply, "Rules");
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next) {
        const char *name = rw_json_get_str(x, "Name"), *arn = rw_json_get_str(x, "Arn");
        const char *pattern = rw_json_get_str(x, "EventPattern");
        const char *state = rw_json_get_str(x, "State");
        if (!name || !arn) continue;
        r->seen++;
        if (!pattern) continue; /* a scheduled rule */
        rw_pattern *p = NULL;
        rw_pattern_error pe;
        uint32_t wrong = must_mask();
        if (rw_pattern_compile(&p, pattern, strlen(pattern), &pe) == RW_OK)
            wrong = rw_eb_pattern_root_wrong(p, r->a->account, r->region, r->a->o->now);
        rw_pattern_free(p);
        /* rules that catch no root case at all are not about root use: not named */
        if ((wrong & must_mask()) == must_mask()) continue;
        r->v = rw_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
        r->v[r->n++] =
            (rule){rw_xstrdup(name), rw_xstrdup(arn), rw_xstrdup(state ? state : "?"), wrong};
    }
    return 0;
}

/* Does target arn exist? 1 yes, 0 no, -1 the call failed (f set to ERROR); how in *how. */
static int target_exists(rw_audit_ctx *a, rw_audit_finding *f, const char *arn, const char **how) {
    char *svc = rw_audit_arn_field(arn, 2), *region = rw_audit_arn_field(arn, 3);
    char *acct = rw_audit_arn_field(arn, 4), *res = rw_audit_arn_field(arn, 5);
    int out = 1;
    *how = "not checked for this service";
    if (!strcmp(svc, "sns")) {
        *how = "SNS GetTopicAttributes";
        const char *params[] = {"TopicArn", arn, NULL};
        rw_xml *x = NULL;
        if (rw_aws_query(a->c, &rw_aws_sns, region, "GetTopicAttributes", params, &x) != RW_OK) {
            if (strstr(rw_aws_client_error(a->c)->code, "NotFound"))
                out = 0;
            else
                rw_audit_call_error(a->c, f, "sns:GetTopicAttributes", "SNS GetTopicAttributes"),
                    out = -1;
        }
        rw_xml_free(x);
    } else if (!strcmp(svc, "sqs")) {
        *how = "SQS GetQueueUrl";
        const char *params[] = {"QueueName", res, "QueueOwnerAWSAccountId", acct, NULL};
        rw_xml *x = NULL;
        if (rw_aws_query(a->c, &rw_aws_sqs, region, "GetQueueUrl", params, &x) != RW_OK) {
            if (strstr(rw_aws_client_error(a->c)->code, "NonExistentQueue") ||
                strstr(rw_aws_client_error(a->c)->code, "QueueDoesNotExist"))
                out = 0;
            else
                rw_audit_call_error(a->c, f, "sqs:GetQueueUrl", "SQS GetQueueUrl"), out = -1;
        }
        rw_xml_free(x);
    } else if (!strcmp(svc, "lambda")) {
        *how = "Lambda GetFunctionConfiguration";
        rw_buf path;
        rw_buf_init(&path, 0);
        rw_buf_puts(&path, "/2015-03-31/functions/");
        rw_sigv4_uri_encode(&path, arn, strlen(arn), 0);
        rw_buf_puts(&path, "/configuration");
        rw_http_response r;
        rw_http_response_init(&r);
        int rc = rw_aws_rest(a->c, &lambda, region, "GetFunctionConfiguration", "GET", path.data,
                             NULL, NULL, 0, &r);
        if (rc == RW_ENOTFOUND)
            out = 0;
        else if (rc != RW_OK)
            rw_audit_call_error(a->c, f, "lambda:GetFunctionConfiguration",
                                "Lambda GetFunctionConfiguration"),
                out = -1;
        rw_http_response_free(&r);
        rw_buf_free(&path);
    }
    free(svc);
    free(region);
    free(acct);
    free(res);
    return out;
}

typedef struct targets {
    char **arns;
} targets;

static int on_targets(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)number, (void)raw, (void)len;
    targets *t = ctx;
    const rw_json *list = rw_json_get(reply, "Targets");
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next) {
        const char *arn = rw_json_get_str(x, "Arn");
        if (arn) rw_audit_list_add(&t->arns, arn);
    }
    return 0;
}

static void check_region(rw_audit_ctx *a, const rw_audit_check *chk, const char *region) {
    rw_audit_finding *f = rw_audit_add(a, chk, region);
    rules_read r = {.a = a, .region = region};
    rw_buf ev;
    rw_buf_init(&ev, 0);
    if (rw_aws_json_pages(a->c, &rw_aws_events, region, "ListRules", "{}", "NextToken", "NextToken",
                          on_rules, &r) != RW_OK) {
        rw_audit_call_error(a->c, f, "events:ListRules", "EventBridge ListRules");
        goto out;
    }
    const rule *pass = NULL;
    const char *pass_target = NULL, *pass_how = NULL;
    char **keep = NULL;
    for (size_t i = 0; i < r.n && !pass; i++) {
        const rule *x = &r.v[i];
        rw_buf_printf(&ev, "; rule %s: ", x->arn);
        if (x->wrong) {
            rw_buf misses, extra;
            rw_buf_init(&misses, 0);
            rw_buf_init(&extra, 0);
            rw_eb_root_wrong_lists(x->wrong, &misses, &extra);
            rw_buf_printf(&ev, "its pattern %s%s%s%s%s", misses.len ? "misses " : "",
                          misses.len ? misses.data : "", misses.len && extra.len ? " and " : "",
                          extra.len ? "matches what it must not: " : "",
                          extra.len ? extra.data : "");
            rw_buf_free(&misses);
            rw_buf_free(&extra);
            continue;
        }
        rw_buf_puts(&ev, "its pattern catches every canonical root event");
        if (strcmp(x->state, ALL_MANAGEMENT_EVENTS)) {
            rw_buf_printf(&ev, ", but its state is %s, not " ALL_MANAGEMENT_EVENTS "%s", x->state,
                          !strcmp(x->state, "ENABLED")
                              ? " (plain ENABLED misses root read-only calls)"
                          : !strcmp(x->state, "DISABLED") ? " (it delivers nothing)"
                                                          : "");
            continue;
        }
        targets t = {0};
        rw_buf req;
        rw_buf_init(&req, 0);
        rw_buf_puts(&req, "{\"Rule\":");
        rw_json_write_str(&req, x->name, strlen(x->name));
        rw_buf_putc(&req, '}');
        int rc = rw_aws_json_pages(a->c, &rw_aws_events, region, "ListTargetsByRule", req.data,
                                   "NextToken", "NextToken", on_targets, &t);
        rw_buf_free(&req);
        if (rc != RW_OK) {
            rw_audit_call_error(a->c, f, "events:ListTargetsByRule",
                                "EventBridge ListTargetsByRule");
            rw_audit_list_free(t.arns);
            goto out;
        }
        if (!t.arns) rw_buf_puts(&ev, ", state " ALL_MANAGEMENT_EVENTS ", but it has no target");
        for (size_t j = 0; t.arns && t.arns[j] && !pass; j++) {
            const char *how;
            int e = target_exists(a, f, t.arns[j], &how);
            if (e < 0) {
                rw_audit_list_free(t.arns);
                goto out;
            }
            if (e) {
                pass = x;
                rw_audit_list_add(&keep, t.arns[j]);
                pass_target = keep[0];
                pass_how = how;
            } else {
                rw_buf_printf(&ev, ", target %s does not exist (%s)", t.arns[j], how);
            }
        }
        rw_audit_list_free(t.arns);
    }
    if (pass) {
        rw_audit_set_resource(f, pass->arn);
        rw_audit_set(f, RW_AUDIT_PASS,
                     "rule %s: its pattern catches root console sign-in, write and read-only "
                     "calls and not an IAM user's or an AWS service's; state " ALL_MANAGEMENT_EVENTS
                     "; target %s exists (%s)",
                     pass->arn, pass_target, pass_how);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no rule on the default event bus of %s delivers every root event: %zu "
                     "rule%s read%s%s",
                     region, r.seen, r.seen == 1 ? "" : "s",
                     r.n ? "" : ", none catches any root event", ev.len ? ev.data : "");
        if (r.n) rw_audit_set_resource(f, r.v[0].arn);
        rw_audit_set_missing(
            f, "eventbridge-rule",
            "an EventBridge rule catching root use in %s, in state " ALL_MANAGEMENT_EVENTS
            ", with a target",
            region);
        rw_audit_set_fix(f,
                         "aws events put-rule --region %s --name rootwatch-root-activity "
                         "--state " ALL_MANAGEMENT_EVENTS " --event-pattern '" ROOT_PATTERN
                         "'; aws events put-targets --region %s --rule rootwatch-root-activity "
                         "--targets Id=1,Arn=TOPIC_ARN (a topic that allows events.amazonaws.com "
                         "to publish); or: rootwatch deploy apply --email ADDRESS --regions %s",
                         region, region, region);
    }
    rw_audit_list_free(keep);
out:
    for (size_t i = 0; i < r.n; i++) {
        free(r.v[i].name);
        free(r.v[i].arn);
        free(r.v[i].state);
    }
    free(r.v);
    rw_buf_free(&ev);
}

static void check_rule(rw_audit_ctx *a, const rw_audit_check *chk) {
    if (rw_audit_read_regions(a) != RW_OK) {
        /* us-east-1 is checked whatever; the rest could not be listed */
        rw_audit_finding *f = rw_audit_add(a, chk, "all");
        rw_audit_error_from(f, &a->regions_step, "the regions in use could not be listed");
        check_region(a, chk, "us-east-1");
        return;
    }
    /* us-east-1 first: root console sign-ins are recorded there */
    if (!rw_audit_list_has(a->regions, "us-east-1") && !strcmp(a->partition, "aws"))
        check_region(a, chk, "us-east-1");
    for (size_t i = 0; a->regions && a->regions[i]; i++)
        if (!strcmp(a->regions[i], "us-east-1")) check_region(a, chk, a->regions[i]);
    for (size_t i = 0; a->regions && a->regions[i]; i++)
        if (strcmp(a->regions[i], "us-east-1")) check_region(a, chk, a->regions[i]);
}

static const char *const c_none[] = {NULL};

const rw_audit_check rw_audit_events_checks[] = {
    {"eventbridge-rule-root",
     "in us-east-1 and every region in use, an EventBridge rule delivers every root event to a "
     "target that exists",
     c_none, check_rule},
    {NULL, NULL, NULL, NULL},
};

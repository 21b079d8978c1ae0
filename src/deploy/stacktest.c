#include "deploy/stacktest.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/respolicy.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "rules/eb_cases.h"
#include "rules/pattern.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

/* clang-format off */
static const rw_aws_service cloudformation = {"cloudformation", "CloudFormation", "cloudformation", RW_AWS_QUERY, "2010-05-15", NULL, NULL, 0};
/* Lambda's REST calls go through rw_aws_rest, as S3's do: for a function's name (letters, digits,
 * '-' and '_') the path is signed the same either way */
static const rw_aws_service lambda = {"lambda", "Lambda", "lambda", RW_AWS_REST_XML, NULL, NULL, NULL, 0};
/* clang-format on */

#define ALL_MANAGEMENT_EVENTS "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

/* The stack's resources deploy test needs; a stack with several of a type: the hub template's
 * logical ID, else the first listed. */
enum { RULE, FUNCTION, TOPIC, NKINDS };
static const struct {
    const char *type, *logical;
} kinds[NKINDS] = {{"AWS::Events::Rule", "RootActivityRule"},
                   {"AWS::Lambda::Function", "Function"},
                   {"AWS::SNS::Topic", "Topic"}};

typedef struct st {
    const rw_stacktest_opts *o;
    rw_aws_client *c;
    const char *region;
    char *logical[NKINDS], *physical[NKINDS];
    char *bus, *rule; /* the rule's event bus (NULL: the default one) and name */
    rw_json_doc *rule_doc;
    const char *rule_arn, *pattern, *state; /* DescribeRule's, borrowed from rule_doc */
    char *account, *function_arn;
} st;

/* Prints one step's line, with line breaks (of a message on several lines) as spaces and other
 * control characters (from what AWS said) as '?'. FAIL sets the message and returns RW_EIO; OK
 * and SKIP return RW_OK. */
static int report(st *t, const char *status, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int report(st *t, const char *status, const char *step, const char *fmt, ...) {
    rw_buf b;
    rw_buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    rw_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < b.len; i++)
        if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
            b.data[i] = b.data[i] == '\n' ? ' ' : '?';
    fprintf(t->o->out, "%-4s %-11s %s\n", status, step, b.data ? b.data : "");
    fflush(t->o->out);
    int rc = RW_OK;
    if (!strcmp(status, "FAIL")) rc = rw_error_set(RW_EIO, "failed at step %s", step);
    rw_buf_free(&b);
    return rc;
}

/* ---- stack: the resources ------------------------------------------------------------------ */

static int on_resources(void *ctx, const rw_xml *reply) {
    st *t = ctx;
    for (const rw_xml *m =
             rw_xml_find(reply, "ListStackResourcesResult/StackResourceSummaries/member");
         m; m = rw_xml_next(m, NULL)) {
        const char *type = rw_xml_text(m, "ResourceType");
        const char *logical = rw_xml_text(m, "LogicalResourceId");
        const char *physical = rw_xml_text(m, "PhysicalResourceId");
        if (!type || !logical || !physical || !*physical) continue;
        for (int k = 0; k < NKINDS; k++) {
            if (strcmp(type, kinds[k].type)) continue;
            if (t->physical[k] &&
                (strcmp(logical, kinds[k].logical) || !strcmp(t->logical[k], kinds[k].logical)))
                continue;
            free(t->logical[k]);
            free(t->physical[k]);
            t->logical[k] = rw_xstrdup(logical);
            t->physical[k] = rw_xstrdup(physical);
        }
    }
    return 0;
}

static int step_stack(st *t) {
    const char *params[] = {"StackName", t->o->stack, NULL};
    if (rw_aws_query_pages(t->c, &cloudformation, NULL, "ListStackResources", params, "NextToken",
                           "ListStackResourcesResult/NextToken", on_resources, t) != RW_OK)
        return report(t, "FAIL", "stack", "stack %s in %s: %s", t->o->stack, t->region,
                      rw_error_last());
    for (int k = 0; k < NKINDS; k++)
        if (!t->physical[k])
            return report(t, "FAIL", "stack",
                          "stack %s in %s has no %s (deploy test checks a hub stack, "
                          "`rootwatch deploy template --variant hub`, in its own region)",
                          t->o->stack, t->region, kinds[k].type);
    /* a rule on another bus than the default one is "BUS|NAME" */
    const char *bar = strchr(t->physical[RULE], '|');
    t->rule = rw_xstrdup(bar ? bar + 1 : t->physical[RULE]);
    if (bar) {
        size_t n = (size_t)(bar - t->physical[RULE]);
        t->bus = rw_xmalloc(n + 1);
        memcpy(t->bus, t->physical[RULE], n);
        t->bus[n] = 0;
    }
    return report(t, "OK", "stack", "stack %s in %s: rule %s, function %s, topic %s", t->o->stack,
                  t->region, t->physical[RULE], t->physical[FUNCTION], t->physical[TOPIC]);
}

/* ---- rule: read back ------------------------------------------------------------------------ */

/* {"Rule"|"Name": the rule[, "EventBusName": its bus]} */
static void rule_request(st *t, rw_buf *b, const char *key) {
    rw_buf_printf(b, "{\"%s\":", key);
    rw_json_write_str(b, t->rule, strlen(t->rule));
    if (t->bus) {
        rw_buf_puts(b, ",\"EventBusName\":");
        rw_json_write_str(b, t->bus, strlen(t->bus));
    }
    rw_buf_putc(b, '}');
}

/* The n-th (from 0) ':'-separated field of an ARN, a new string, or NULL. */
static char *arn_field(const char *arn, int n) {
    for (int i = 0; arn && i < n; i++) {
        arn = strchr(arn, ':');
        if (arn) arn++;
    }
    if (!arn) return NULL;
    size_t len = strcspn(arn, ":");
    char *s = rw_xmalloc(len + 1);
    memcpy(s, arn, len);
    s[len] = 0;
    return s;
}

static int step_rule(st *t) {
    rw_buf body;
    rw_buf_init(&body, 0);
    rule_request(t, &body, "Name");
    t->rule_doc = rw_json_doc_new(NULL);
    int rc = rw_aws_json(t->c, &rw_aws_events, NULL, "DescribeRule", body.data, t->rule_doc);
    rw_buf_free(&body);
    if (rc != RW_OK)
        return report(t, "FAIL", "rule", "rule %s of stack %s: %s", t->rule, t->o->stack,
                      rw_error_last());
    const rw_json *r = rw_json_doc_root(t->rule_doc);
    t->rule_arn = rw_json_get_str(r, "Arn");
    t->pattern = rw_json_get_str(r, "EventPattern");
    t->state = rw_json_get_str(r, "State");
    if (!t->rule_arn || !t->state)
        return report(t, "FAIL", "rule", "rule %s of stack %s: DescribeRule's reply has no %s",
                      t->rule, t->o->stack, t->rule_arn ? "State" : "Arn");
    if (!t->pattern)
        return report(t, "FAIL", "rule",
                      "rule %s of stack %s has no EventPattern (a scheduled rule?): it delivers "
                      "no CloudTrail event",
                      t->rule_arn, t->o->stack);
    t->account = arn_field(t->rule_arn, 4);
    if (!t->account || !*t->account)
        return report(t, "FAIL", "rule", "rule %s: its ARN names no account", t->rule_arn);
    return report(t, "OK", "rule", "%s: state %s, pattern of %zu bytes", t->rule_arn, t->state,
                  strlen(t->pattern));
}

/* ---- pattern: rootwatch's matcher, and EventBridge's ---------------------------------------- */

/* Adds "c's name" to the list of cases answered wrongly, under the heading it belongs to. */
static void wrong(rw_buf *misses, rw_buf *extra, const rw_eb_case *c) {
    rw_buf *l = c->must_match ? misses : extra;
    rw_buf_printf(l, "%s%s (%s)", l->len ? ", " : "", c->name, c->event_name);
}

/* "must match: ...; must not: ..." as the OK line says it, or the FAIL line's wrong cases. */
static int judge(st *t, const char *step, const char *who, const rw_buf *misses,
                 const rw_buf *extra) {
    if (!misses->len && !extra->len) {
        rw_buf ok;
        rw_buf_init(&ok, 0);
        for (int m = 1; m >= 0; m--) {
            rw_buf_puts(&ok, m ? "delivers " : "; not ");
            bool first = true;
            for (size_t i = 0; i < rw_eb_root_ncases; i++)
                if (rw_eb_root_cases[i].must_match == (m == 1)) {
                    rw_buf_printf(&ok, "%s%s", first ? "" : ", ", rw_eb_root_cases[i].name);
                    first = false;
                }
        }
        int rc = report(t, "OK", step, "%s: the rule %s", who, ok.data);
        rw_buf_free(&ok);
        return rc;
    }
    return report(t, "FAIL", step, "%s: the rule %s%s%s%s%s", who, misses->len ? "misses " : "",
                  misses->len ? misses->data : "", misses->len && extra->len ? "; and " : "",
                  extra->len ? "delivers what it must not: " : "", extra->len ? extra->data : "");
}

static int step_pattern(st *t) {
    rw_pattern *p = NULL;
    rw_pattern_error pe;
    if (rw_pattern_compile(&p, t->pattern, strlen(t->pattern), &pe) != RW_OK)
        return report(t, "FAIL", "pattern", "rule %s: its EventPattern is not valid: %s",
                      t->rule_arn, pe.reason);
    rw_buf misses, extra;
    rw_buf_init(&misses, 0);
    rw_buf_init(&extra, 0);
    rw_eb_root_wrong_lists(rw_eb_pattern_root_wrong(p, t->account, t->region, t->o->now), &misses,
                           &extra);
    int rc = judge(t, "pattern", "rootwatch's matcher", &misses, &extra);
    rw_buf_free(&misses);
    rw_buf_free(&extra);
    rw_pattern_free(p);
    return rc;
}

/* A TestEventPattern error meaning the service does not answer it here (an emulator, a partition
 * without it, a role not allowed to call it), as opposed to an answer about the pattern. */
static bool not_answered(const rw_aws_error *e) {
    static const char *const codes[] = {"UnknownOperation", "NotImplemented", "InvalidAction",
                                        "AccessDenied", "UnsupportedOperation"};
    if (e->status == 501 || e->status == 404 || e->status == 405) return true;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strstr(e->code, codes[i])) return true;
    return false;
}

/* Asks TestEventPattern about one case: 1 matches, 0 does not, -1 not answered (why in *why, a
 * new string), -2 an error (the message set). */
static int test_event_pattern(st *t, const char *event, rw_json_doc *doc, char **why) {
    rw_buf body;
    rw_buf_init(&body, 0);
    rw_buf_puts(&body, "{\"EventPattern\":");
    rw_json_write_str(&body, t->pattern, strlen(t->pattern));
    rw_buf_puts(&body, ",\"Event\":");
    rw_json_write_str(&body, event, strlen(event));
    rw_buf_putc(&body, '}');
    int rc = rw_aws_json(t->c, &rw_aws_events, NULL, "TestEventPattern", body.data, doc);
    rw_buf_free(&body);
    if (rc != RW_OK) {
        if (!not_answered(rw_aws_client_error(t->c))) return -2;
        *why = rw_xstrdup(rw_error_last());
        return -1;
    }
    const rw_json *r = rw_json_get(rw_json_doc_root(doc), "Result");
    if (r && (r->type == RW_JSON_TRUE || r->type == RW_JSON_FALSE)) return r->type == RW_JSON_TRUE;
    *why = rw_xstrdup("the reply holds no Result (an emulator's empty reply: moto does not "
                      "implement TestEventPattern)");
    return -1;
}

static int step_eventbridge(st *t) {
    rw_buf ev, misses, extra;
    rw_buf_init(&ev, 0);
    rw_buf_init(&misses, 0);
    rw_buf_init(&extra, 0);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *why = NULL;
    int rc = RW_OK, answer = 0;
    for (size_t i = 0; i < rw_eb_root_ncases && answer >= 0; i++) {
        rw_buf_reset(&ev);
        rw_eb_case_event(&ev, &rw_eb_root_cases[i], t->account, t->region, t->o->now, NULL);
        answer = test_event_pattern(t, ev.data, doc, &why);
        if (answer >= 0 && answer != rw_eb_root_cases[i].must_match)
            wrong(&misses, &extra, &rw_eb_root_cases[i]);
    }
    if (answer == -1)
        rc = report(t, "SKIP", "eventbridge",
                    "EventBridge TestEventPattern not answered here, so only rootwatch's matcher "
                    "checked the pattern: %s",
                    why);
    else if (answer == -2)
        rc = report(t, "FAIL", "eventbridge", "rule %s: %s", t->rule_arn, rw_error_last());
    else
        rc = judge(t, "eventbridge", "EventBridge TestEventPattern", &misses, &extra);
    free(why);
    rw_json_doc_free(doc);
    rw_buf_free(&ev);
    rw_buf_free(&misses);
    rw_buf_free(&extra);
    return rc;
}

static int step_state(st *t) {
    if (!strcmp(t->state, ALL_MANAGEMENT_EVENTS))
        return report(t, "OK", "state",
                      "rule %s: " ALL_MANAGEMENT_EVENTS " (read-only root calls are delivered too)",
                      t->rule_arn);
    if (!strcmp(t->state, "ENABLED"))
        return report(t, "FAIL", "state",
                      "rule %s is ENABLED, not " ALL_MANAGEMENT_EVENTS
                      ": plain ENABLED delivers CloudTrail's write management events only, so "
                      "it misses root read-only calls (Describe*, List*, Get*)",
                      t->rule_arn);
    return report(t, "FAIL", "state", "rule %s is %s%s; it must be " ALL_MANAGEMENT_EVENTS,
                  t->rule_arn, t->state,
                  strcmp(t->state, "DISABLED") ? "" : ": it delivers nothing");
}

/* ---- the function --------------------------------------------------------------------------- */

/* "/2015-03-31/functions/NAME/WHAT" */
static void function_path(st *t, rw_buf *b, const char *what) {
    rw_buf_puts(b, "/2015-03-31/functions/");
    rw_sigv4_uri_encode(b, t->physical[FUNCTION], strlen(t->physical[FUNCTION]), 0);
    rw_buf_printf(b, "/%s", what);
}

/* A Lambda REST call on the stack's function; its JSON reply parsed in doc. */
static int lambda_call(st *t, const char *op, const char *method, const char *what,
                       const rw_buf *body, rw_http_response *r, rw_json_doc *doc) {
    rw_buf path;
    rw_buf_init(&path, 0);
    function_path(t, &path, what);
    int rc = rw_aws_rest(t->c, &lambda, NULL, op, method, path.data, NULL, body ? body->data : NULL,
                         body ? body->len : 0, r);
    rw_buf_free(&path);
    const char *text = r->body.data ? r->body.data : "";
    if (rc == RW_OK && rw_json_doc_parse(doc, text, r->body.len))
        rc = rw_error_set(RW_EIO, "Lambda %s: the reply is not JSON: '%.*s'%s", op,
                          r->body.len > 200 ? 200 : (int)r->body.len, text,
                          r->body.len > 200 ? "..." : "");
    return rc;
}

static int step_function(st *t) {
    rw_http_response r;
    rw_http_response_init(&r);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc;
    if (lambda_call(t, "GetFunctionConfiguration", "GET", "configuration", NULL, &r, doc)) {
        rc = report(t, "FAIL", "function", "function %s of stack %s: %s", t->physical[FUNCTION],
                    t->o->stack, rw_error_last());
        goto out;
    }
    const rw_json *f = rw_json_doc_root(doc);
    const char *arn = rw_json_get_str(f, "FunctionArn");
    const char *state = rw_json_get_str(f, "State");
    const char *topic = rw_json_get_str(rw_json_path(f, "Environment.Variables"), "SNS_TOPIC_ARN");
    t->function_arn = rw_xstrdup(arn ? arn : t->physical[FUNCTION]);
    if (state && !strcmp(state, "Failed")) {
        const char *why = rw_json_get_str(f, "StateReason");
        rc = report(t, "FAIL", "function", "function %s is in state Failed: %s", t->function_arn,
                    why ? why : "(no reason given)");
    } else if (!topic) {
        rc = report(t, "FAIL", "function",
                    "function %s has no SNS_TOPIC_ARN in its environment: it cannot start",
                    t->function_arn);
    } else if (strcmp(topic, t->physical[TOPIC])) {
        rc = report(t, "FAIL", "function",
                    "function %s publishes to %s (SNS_TOPIC_ARN), not to the stack's topic %s",
                    t->function_arn, topic, t->physical[TOPIC]);
    } else {
        const char *runtime = rw_json_get_str(f, "Runtime");
        rc = report(t, "OK", "function",
                    "%s (runtime %s, state %s): SNS_TOPIC_ARN is the stack's topic",
                    t->function_arn, runtime ? runtime : "?", state ? state : "?");
    }
out:
    rw_json_doc_free(doc);
    rw_http_response_free(&r);
    return rc;
}

/* Is target ARN the function itself, or a version or alias of it? */
static bool is_function(const st *t, const char *arn) {
    size_t n = strlen(t->function_arn);
    return !strncmp(arn, t->function_arn, n) && (!arn[n] || arn[n] == ':');
}

typedef struct targets {
    st *t;
    rw_buf arns;
    char *found; /* "ARN (Id ID)" */
} targets;

static int on_targets(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)number, (void)raw, (void)len;
    targets *g = ctx;
    const rw_json *list = rw_json_get(reply, "Targets");
    for (const rw_json *x = list ? list->child : NULL; x; x = x->next) {
        const char *arn = rw_json_get_str(x, "Arn");
        if (!arn) continue;
        rw_buf_printf(&g->arns, "%s%s", g->arns.len ? ", " : "", arn);
        if (!g->found && is_function(g->t, arn)) {
            const char *id = rw_json_get_str(x, "Id");
            rw_buf b;
            rw_buf_init(&b, 0);
            rw_buf_printf(&b, "%s (target Id %s)", arn, id ? id : "?");
            g->found = rw_buf_take(&b);
        }
    }
    return 0;
}

static int step_target(st *t) {
    targets g = {.t = t};
    rw_buf_init(&g.arns, 0);
    rw_buf req;
    rw_buf_init(&req, 0);
    rule_request(t, &req, "Rule");
    int rc = rw_aws_json_pages(t->c, &rw_aws_events, NULL, "ListTargetsByRule", req.data,
                               "NextToken", "NextToken", on_targets, &g);
    if (rc != RW_OK)
        rc = report(t, "FAIL", "target", "rule %s: %s", t->rule_arn, rw_error_last());
    else if (g.found)
        rc = report(t, "OK", "target", "rule %s sends to the stack's function: %s", t->rule_arn,
                    g.found);
    else if (!g.arns.len)
        rc = report(t, "FAIL", "target",
                    "rule %s has no target: the events it matches go nowhere (the stack's function "
                    "is %s)",
                    t->rule_arn, t->function_arn);
    else
        rc = report(t, "FAIL", "target", "rule %s sends to %s, not to the stack's function %s",
                    t->rule_arn, g.arns.data, t->function_arn);
    free(g.found);
    rw_buf_free(&g.arns);
    rw_buf_free(&req);
    return rc;
}

/* ---- permission: may EventBridge invoke the function? --------------------------------------- */

static int step_permission(st *t) {
    rw_http_response r;
    rw_http_response_init(&r);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf why;
    rw_buf_init(&why, 0);
    int rc = lambda_call(t, "GetPolicy", "GET", "policy", NULL, &r, doc);
    const char *text = rc == RW_OK ? rw_json_get_str(rw_json_doc_root(doc), "Policy") : NULL;
    rw_respolicy_request req = {"events.amazonaws.com", "lambda:InvokeFunction", t->function_arn,
                                t->rule_arn, t->account};
    rw_respolicy_verdict v = RW_RESPOLICY_INVALID;
    if (rc == RW_OK) v = rw_respolicy_eval(text, text ? strlen(text) : 0, &req, &why);
    if (rc == RW_ENOTFOUND)
        rc = report(t, "FAIL", "permission",
                    "function %s has no resource policy: EventBridge may not invoke it (the "
                    "stack's AWS::Lambda::Permission is missing)",
                    t->function_arn);
    else if (rc != RW_OK)
        rc = report(t, "FAIL", "permission", "function %s: %s", t->function_arn, rw_error_last());
    else if (v == RW_RESPOLICY_NOT_ALLOWED)
        rc = report(t, "FAIL", "permission",
                    "function %s: no statement of its resource policy lets events.amazonaws.com "
                    "call lambda:InvokeFunction for rule %s: %s",
                    t->function_arn, t->rule_arn, why.data);
    else if (v != RW_RESPOLICY_ALLOWED)
        rc = report(t, "FAIL", "permission",
                    "function %s: its resource policy does not let EventBridge invoke it for rule "
                    "%s: %s",
                    t->function_arn, t->rule_arn, why.data);
    else
        rc = report(t, "OK", "permission", "function %s: %s", t->function_arn, why.data);
    rw_buf_free(&why);
    rw_json_doc_free(doc);
    rw_http_response_free(&r);
    return rc;
}

/* The summary's member key as a count, or -1. */
static long long count(const rw_json *sum, const char *key) {
    const rw_json *v = rw_json_get(sum, key);
    return v && v->type == RW_JSON_NUMBER && v->num >= 0 ? (long long)v->num : -1;
}

/* The reply of an invocation that ran: its summary checked, or the function's error. */
static int judge_invocation(st *t, const rw_http_response *r, const rw_json *reply,
                            const char *event_id) {
    size_t fel = 0;
    const char *fe = rw_http_header_get(r, "x-amz-function-error", &fel);
    const char *raw = r->body.data ? r->body.data : "";
    int cut = r->body.len > 400 ? 400 : (int)r->body.len;
    if (fe) {
        const char *type = rw_json_get_str(reply, "errorType");
        const char *msg = rw_json_get_str(reply, "errorMessage");
        if (type && msg)
            return report(t, "FAIL", "invoke", "function %s failed on test event %s: %s: %s",
                          t->function_arn, event_id, type, msg);
        return report(t, "FAIL", "invoke", "function %s failed on test event %s (%.*s): %.*s",
                      t->function_arn, event_id, (int)fel, fe, cut, raw);
    }
    long long records = count(reply, "records"), alerts = count(reply, "alerts");
    long long published = count(reply, "published"), dups = count(reply, "duplicates");
    if (records == 1 && alerts == 1 && published >= 1 && dups == 0)
        return report(t, "OK", "invoke",
                      "function %s answered %.*s for test event %s: SNS accepted the alert for "
                      "topic %s",
                      t->function_arn, cut, raw, event_id, t->physical[TOPIC]);
    return report(t, "FAIL", "invoke",
                  "function %s answered %.*s for test event %s; want one record, one alert, "
                  "published at least once (to the topic), no duplicate",
                  t->function_arn, cut, raw, event_id);
}

static int step_invoke(st *t) {
    rw_buf ev;
    rw_buf_init(&ev, 0);
    char event_id[96];
    rw_eb_test_event(&ev, t->account, t->region, t->o->now, t->o->nonce, event_id, sizeof event_id);
    rw_http_response r;
    rw_http_response_init(&r);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int rc;
    if (lambda_call(t, "Invoke", "POST", "invocations", &ev, &r, doc) != RW_OK)
        rc = report(t, "FAIL", "invoke", "function %s, test event %s: %s", t->function_arn,
                    event_id, rw_error_last());
    else
        rc = judge_invocation(t, &r, rw_json_doc_root(doc), event_id);
    rw_json_doc_free(doc);
    rw_http_response_free(&r);
    rw_buf_free(&ev);
    return rc;
}

/* ---- the whole --------------------------------------------------------------------------------
 */

int rw_deploy_stack_test(rw_aws_session *s, const rw_stacktest_opts *o) {
    static int (*const steps[])(st *) = {step_stack,       step_rule,       step_pattern,
                                         step_eventbridge, step_state,      step_function,
                                         step_target,      step_permission, step_invoke};
    st t = {.o = o};
    t.region = s->cfg->region && *s->cfg->region ? s->cfg->region : "us-east-1";
    t.c = rw_aws_client_new(s->cfg, s->creds, NULL);
    int rc = RW_OK;
    for (size_t i = 0; rc == RW_OK && i < sizeof steps / sizeof steps[0]; i++) rc = steps[i](&t);
    rw_aws_client_free(t.c);
    for (int k = 0; k < NKINDS; k++) {
        free(t.logical[k]);
        free(t.physical[k]);
    }
    free(t.bus);
    free(t.rule);
    rw_json_doc_free(t.rule_doc);
    free(t.account);
    free(t.function_arn);
    return rc;
}

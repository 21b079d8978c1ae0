/* eventbridge-rule-root (docs/audit.md): in us-east-1 and in every region in use, an EventBridge
 * rule whose pattern rootwatch's own matcher finds catching every canonical root event
 * (rules/eb_cases.h, the cases `rootwatch deploy test` uses), in the state that delivers
 * read-only calls, with a target that exists, whose resource policy lets EventBridge deliver to it
 * for this rule (aws/respolicy.h) and, for an SNS topic, that has a confirmed subscription. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "aws/respolicy.h"
#include "aws/sigv4.h"
#include "aws/sqs.h"
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

/* What the targets of the rules read came to: the evidence of one that delivers; for each that
 * does not, why (in the finding's evidence), what is missing and the fix (of the first rule whose
 * pattern and state are right: its targets are what is left to mend). */
typedef struct delivery {
    const rule *x; /* the rule whose targets are being read */
    const char *region;
    rw_buf ok;  /* the delivering target: what was read */
    rw_buf *ev; /* the finding's evidence */
    rw_buf missing, fix;
    bool mend;    /* this rule's targets are the ones to mend (missing and fix) */
    bool pending; /* a target's only subscriptions await a person's confirmation */
    bool other;   /* a target that does not deliver for another reason */
} delivery;

/* "a statement {...} allowing events.amazonaws.com ACTION on ARN for the rule" */
static void statement(rw_buf *b, const char *action, const char *arn, const char *rule_arn) {
    rw_buf_printf(b,
                  "{\"Sid\":\"AllowEventBridgeRule\",\"Effect\":\"Allow\",\"Principal\":{"
                  "\"Service\":\"events.amazonaws.com\"},\"Action\":\"%s\",\"Resource\":\"%s\","
                  "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"%s\"}}}",
                  action, arn, rule_arn);
}

/* What a policy's verdict means for the finding: false when it lets EventBridge deliver. */
static bool policy_refuses(delivery *d, const char *arn, const char *what, const char *action,
                           const char *policy, rw_buf *ok_why) {
    char *acct = rw_audit_arn_field(d->x->arn, 4);
    rw_respolicy_request req = {"events.amazonaws.com", action, arn, d->x->arn, acct};
    rw_buf why;
    rw_buf_init(&why, 0);
    rw_respolicy_verdict v =
        policy ? rw_respolicy_eval(policy, strlen(policy), &req, &why) : RW_RESPOLICY_NOT_ALLOWED;
    free(acct);
    if (v == RW_RESPOLICY_ALLOWED) {
        rw_buf_puts(ok_why, why.data);
        rw_buf_free(&why);
        return false;
    }
    d->other = true;
    if (!policy)
        rw_buf_printf(d->ev, ", target %s has no %s, so EventBridge may not call %s on it", arn,
                      what, action);
    else
        rw_buf_printf(d->ev, ", target %s exists but its %s does not let EventBridge call %s: %s",
                      arn, what, action, why.data);
    if (d->mend) {
        rw_buf_printf(&d->missing,
                      "%sa statement of the %s of %s allowing events.amazonaws.com %s "
                      "for aws:SourceArn %s%s",
                      d->missing.len ? "; " : "", what, arn, action, d->x->arn,
                      v == RW_RESPOLICY_DENIED ? ", and no Deny statement refusing it" : "");
    }
    rw_buf_free(&why);
    return true;
}

/* The KMS key of target arn (its KmsMasterKeyId), when it has one: may EventBridge use it? 1 yes
 * (ok gets what grants it), 0 no (d's evidence, missing and fix get why and what to add), -1 a
 * call failed (f ERROR). */
static int key_delivers(rw_audit_ctx *a, rw_audit_finding *f, delivery *d, const char *arn,
                        const char *url, const char *key, rw_buf *ok) {
    if (!key || !*key) return 1;
    rw_buf why, missing, fix;
    rw_buf_init(&why, 0);
    rw_buf_init(&missing, 0);
    rw_buf_init(&fix, 0);
    int r = rw_audit_key_allows(a, f, arn, url, key, "events.amazonaws.com", d->x->arn, ok, &why,
                                &missing, &fix);
    if (r == 0) {
        d->other = true;
        rw_buf_printf(d->ev, ", target %s: %s", arn, why.data);
        if (d->mend) {
            rw_buf_printf(&d->missing, "%s%s", d->missing.len ? "; " : "", missing.data);
            rw_buf_printf(&d->fix, "%s%s", d->fix.len ? "; " : "", fix.data);
        }
    }
    rw_buf_free(&why);
    rw_buf_free(&missing);
    rw_buf_free(&fix);
    return r;
}

static bool sns_deliverable(rw_audit_ctx *a, rw_audit_finding *f, delivery *d, const char *arn,
                            const char *region, int *err) {
    const char *params[] = {"TopicArn", arn, NULL};
    rw_xml *x = NULL;
    if (rw_aws_query(a->c, &rw_aws_sns, region, "GetTopicAttributes", params, &x) != RW_OK) {
        rw_xml_free(x);
        if (strstr(rw_aws_client_error(a->c)->code, "NotFound")) {
            rw_buf_printf(d->ev, ", target %s does not exist (SNS GetTopicAttributes)", arn);
            d->other = true;
            return false;
        }
        rw_audit_call_error(a->c, f, "sns:GetTopicAttributes", "SNS GetTopicAttributes");
        *err = 1;
        return false;
    }
    const char *policy = NULL, *key = NULL;
    for (const rw_xml *e = rw_xml_find(x, "GetTopicAttributesResult/Attributes/entry"); e;
         e = rw_xml_next(e, NULL)) {
        const char *k = rw_xml_text(e, "key"), *v = rw_xml_text(e, "value");
        if (k && v && !strcmp(k, "Policy")) policy = v;
        if (k && v && !strcmp(k, "KmsMasterKeyId")) key = v;
    }
    rw_buf why;
    rw_buf_init(&why, 0);
    bool refused = policy_refuses(d, arn, "topic policy", "sns:Publish", policy, &why);
    if (refused && d->mend) {
        rw_buf_printf(&d->fix, "%sadd to the policy of topic %s the statement ",
                      d->fix.len ? "; " : "", arn);
        statement(&d->fix, "sns:Publish", arn, d->x->arn);
        rw_buf_printf(&d->fix,
                      " (aws sns get-topic-attributes --region %s --topic-arn %s shows the policy; "
                      "aws sns set-topic-attributes --region %s --topic-arn %s --attribute-name "
                      "Policy --attribute-value file://policy.json replaces it whole, so keep its "
                      "other statements)",
                      region, arn, region, arn);
    }
    /* an encrypted topic: EventBridge must be let use its key */
    rw_buf key_ok;
    rw_buf_init(&key_ok, 0);
    int kr = key_delivers(a, f, d, arn, NULL, key, &key_ok);
    rw_xml_free(x);
    if (kr < 0) {
        rw_buf_free(&key_ok);
        rw_buf_free(&why);
        *err = 1;
        return false;
    }
    if (!kr) refused = true;
    /* a topic nobody has confirmed a subscription to delivers to no one */
    rw_audit_subs s;
    int rc = rw_audit_topic_subscriptions(a, f, arn, &s);
    bool ok = !refused;
    if (rc == RW_EIO) {
        *err = 1;
        ok = false;
    } else if (rc == RW_ENOTFOUND || !s.nconfirmed) {
        ok = false;
        rw_buf_printf(d->ev,
                      ", topic %s has no confirmed subscription, so what the rule sends there "
                      "reaches no one (%s%s)",
                      arn, s.pending.len ? "pending confirmation: " : "no subscription at all",
                      s.pending.len ? s.pending.data : "");
        if (s.pending.len)
            d->pending = true;
        else
            d->other = true;
        if (d->mend) {
            rw_buf_printf(&d->missing, "%sa confirmed subscription to topic %s",
                          d->missing.len ? "; " : "", arn);
            if (s.pending.len)
                rw_buf_printf(&d->fix,
                              "%sa person must confirm the subscription of %s to %s (the link in "
                              "the message AWS sent there)",
                              d->fix.len ? "; " : "", s.pending.data, arn);
            else
                rw_buf_printf(&d->fix,
                              "%saws sns subscribe --region %s --topic-arn %s --protocol email "
                              "--notification-endpoint ADDRESS, then confirm it (the link in the "
                              "mail)",
                              d->fix.len ? "; " : "", region, arn);
        }
    }
    if (ok)
        rw_buf_printf(
            &d->ok,
            "target %s exists (SNS GetTopicAttributes); its topic policy lets EventBridge "
            "publish (%s)%s%s; confirmed subscription: %s",
            arn, why.data, key_ok.len ? "; " : "", key_ok.len ? key_ok.data : "", s.confirmed.data);
    rw_audit_subs_free(&s);
    rw_buf_free(&why);
    rw_buf_free(&key_ok);
    return ok;
}

static bool sqs_deliverable(rw_audit_ctx *a, rw_audit_finding *f, delivery *d, const char *arn,
                            const char *region, int *err) {
    char *acct = rw_audit_arn_field(arn, 4), *name = rw_audit_arn_field(arn, 5);
    const char *params[] = {"QueueName", name, "QueueOwnerAWSAccountId", acct, NULL};
    rw_xml *x = NULL;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf why;
    rw_buf_init(&why, 0);
    bool ok = false;
    if (rw_aws_query(a->c, &rw_aws_sqs, region, "GetQueueUrl", params, &x) != RW_OK) {
        const char *code = rw_aws_client_error(a->c)->code;
        if (strstr(code, "NonExistentQueue") || strstr(code, "QueueDoesNotExist")) {
            rw_buf_printf(d->ev, ", target %s does not exist (SQS GetQueueUrl)", arn);
            d->other = true;
        } else {
            rw_audit_call_error(a->c, f, "sqs:GetQueueUrl", "SQS GetQueueUrl");
            *err = 1;
        }
        goto out;
    }
    const char *url = rw_xml_text(x, "GetQueueUrlResult/QueueUrl");
    static const char *const names[] = {"Policy", "KmsMasterKeyId", NULL};
    const rw_json *attrs = NULL;
    if (!url || rw_sqs_attributes(a->c, region, url, names, doc, &attrs) != RW_OK) {
        rw_audit_call_error(a->c, f, "sqs:GetQueueAttributes", "SQS GetQueueAttributes");
        *err = 1;
        goto out;
    }
    const char *policy = rw_json_get_str(attrs, "Policy");
    if (policy && !*policy) policy = NULL;
    bool refused = policy_refuses(d, arn, "queue policy", "sqs:SendMessage", policy, &why);
    if (refused) {
        if (d->mend) {
            rw_buf_printf(&d->fix, "%sadd to the policy of queue %s the statement ",
                          d->fix.len ? "; " : "", url);
            statement(&d->fix, "sqs:SendMessage", arn, d->x->arn);
            rw_buf_printf(
                &d->fix,
                " (aws sqs get-queue-attributes --region %s --queue-url %s "
                "--attribute-names Policy shows it; aws sqs set-queue-attributes --region "
                "%s --queue-url %s --attributes file://attributes.json replaces it whole, "
                "so keep its other statements)",
                region, url, region, url);
        }
    }
    /* an encrypted queue: EventBridge must be let use its key */
    rw_buf key_ok;
    rw_buf_init(&key_ok, 0);
    int kr = key_delivers(a, f, d, arn, url, rw_json_get_str(attrs, "KmsMasterKeyId"), &key_ok);
    if (kr < 0) *err = 1;
    if (!refused && kr == 1) {
        ok = true;
        rw_buf_printf(&d->ok,
                      "target %s exists (SQS GetQueueUrl); its queue policy lets EventBridge send "
                      "(%s)%s%s",
                      arn, why.data, key_ok.len ? "; " : "", key_ok.len ? key_ok.data : "");
    }
    rw_buf_free(&key_ok);
out:
    rw_buf_free(&why);
    rw_json_doc_free(doc);
    rw_xml_free(x);
    free(acct);
    free(name);
    return ok;
}

/* A Lambda REST GET of the function's WHAT ("configuration", "policy"). */
static int lambda_get(rw_audit_ctx *a, const char *region, const char *arn, const char *op,
                      const char *what, rw_http_response *r) {
    rw_buf path;
    rw_buf_init(&path, 0);
    rw_buf_puts(&path, "/2015-03-31/functions/");
    rw_sigv4_uri_encode(&path, arn, strlen(arn), 0);
    rw_buf_printf(&path, "/%s", what);
    int rc = rw_aws_rest(a->c, &lambda, region, op, "GET", path.data, NULL, NULL, 0, r);
    rw_buf_free(&path);
    return rc;
}

static bool lambda_deliverable(rw_audit_ctx *a, rw_audit_finding *f, delivery *d, const char *arn,
                               const char *region, int *err) {
    rw_http_response r;
    rw_http_response_init(&r);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf why;
    rw_buf_init(&why, 0);
    bool ok = false;
    int rc = lambda_get(a, region, arn, "GetFunctionConfiguration", "configuration", &r);
    if (rc == RW_ENOTFOUND) {
        rw_buf_printf(d->ev, ", target %s does not exist (Lambda GetFunctionConfiguration)", arn);
        d->other = true;
        goto out;
    }
    if (rc != RW_OK) {
        rw_audit_call_error(a->c, f, "lambda:GetFunctionConfiguration",
                            "Lambda GetFunctionConfiguration");
        *err = 1;
        goto out;
    }
    rw_http_response_free(&r);
    rw_http_response_init(&r);
    rc = lambda_get(a, region, arn, "GetPolicy", "policy", &r);
    const char *policy = NULL;
    if (rc == RW_OK) {
        if (rw_json_doc_parse(doc, r.body.data ? r.body.data : "", r.body.len) == RW_OK)
            policy = rw_json_get_str(rw_json_doc_root(doc), "Policy");
        if (!policy)
            policy = ""; /* a reply without a policy: judged as a policy that is not JSON */
    } else if (rc != RW_ENOTFOUND) {
        rw_audit_call_error(a->c, f, "lambda:GetPolicy", "Lambda GetPolicy");
        *err = 1;
        goto out;
    }
    if (policy_refuses(d, arn, "resource policy", "lambda:InvokeFunction", policy, &why)) {
        if (d->mend) {
            char *fn_region = rw_audit_arn_field(arn, 3);
            rw_buf_printf(&d->fix,
                          "%saws lambda add-permission --region %s --function-name %s "
                          "--statement-id rootwatch-eventbridge --action lambda:InvokeFunction "
                          "--principal events.amazonaws.com --source-arn %s",
                          d->fix.len ? "; " : "", fn_region, arn, d->x->arn);
            free(fn_region);
        }
        goto out;
    }
    ok = true;
    rw_buf_printf(&d->ok,
                  "target %s exists (Lambda GetFunctionConfiguration); its resource policy lets "
                  "EventBridge invoke it (%s)",
                  arn, why.data);
out:
    rw_buf_free(&why);
    rw_json_doc_free(doc);
    rw_http_response_free(&r);
    return ok;
}

/* Does target arn deliver what the rule sends it? 1 yes (d->ok says why), 0 no (d->ev says why),
 * -1 a call failed (f set to ERROR). SNS: the topic exists, its policy lets EventBridge publish
 * for this rule and it has a confirmed subscription; SQS: the queue exists and its policy lets
 * EventBridge send; Lambda: the function exists and its policy lets EventBridge invoke it. */
static int target_delivers(rw_audit_ctx *a, rw_audit_finding *f, delivery *d, const char *arn) {
    char *svc = rw_audit_arn_field(arn, 2), *region = rw_audit_arn_field(arn, 3);
    int err = 0;
    bool ok = true;
    if (!strcmp(svc, "sns"))
        ok = sns_deliverable(a, f, d, arn, region, &err);
    else if (!strcmp(svc, "sqs"))
        ok = sqs_deliverable(a, f, d, arn, region, &err);
    else if (!strcmp(svc, "lambda"))
        ok = lambda_deliverable(a, f, d, arn, region, &err);
    else
        rw_buf_printf(&d->ok, "target %s: not checked for this service", arn);
    free(svc);
    free(region);
    return err ? -1 : ok;
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
    delivery d = {.region = region, .ev = &ev};
    rw_buf_init(&d.ok, 0);
    rw_buf_init(&d.missing, 0);
    rw_buf_init(&d.fix, 0);
    const rule *mend = NULL; /* the first rule right but for its targets */
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
            goto done;
        }
        if (!t.arns) rw_buf_puts(&ev, ", state " ALL_MANAGEMENT_EVENTS ", but it has no target");
        d.x = x;
        d.mend = !mend && t.arns;
        if (d.mend) mend = x;
        bool pending = d.pending, other = d.other; /* need: of the rule to mend only */
        for (size_t j = 0; t.arns && t.arns[j] && !pass; j++) {
            int e = target_delivers(a, f, &d, t.arns[j]);
            if (e < 0) {
                rw_audit_list_free(t.arns);
                goto done;
            }
            if (e) pass = x;
        }
        if (!d.mend) d.pending = pending, d.other = other;
        rw_audit_list_free(t.arns);
    }
    if (pass) {
        rw_audit_set_resource(f, pass->arn);
        rw_audit_set(f, RW_AUDIT_PASS,
                     "rule %s: its pattern catches root console sign-in, write and read-only "
                     "calls and not an IAM user's or an AWS service's; state " ALL_MANAGEMENT_EVENTS
                     "; %s",
                     pass->arn, d.ok.data);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no rule on the default event bus of %s delivers every root event: %zu "
                     "rule%s read%s%s",
                     region, r.seen, r.seen == 1 ? "" : "s",
                     r.n ? "" : ", none catches any root event", ev.len ? ev.data : "");
        if (r.n) rw_audit_set_resource(f, mend ? mend->arn : r.v[0].arn);
        if (mend && d.missing.len) {
            /* the rule is right: what is left is to let its targets be delivered to */
            rw_audit_set_missing(
                f, d.pending && !d.other ? "person:subscription-confirmation" : "eventbridge-rule",
                "for rule %s: %s", mend->arn, d.missing.data);
            rw_audit_set_fix(f, "%s; or: rootwatch deploy apply --email ADDRESS --regions %s",
                             d.fix.data, region);
        } else {
            rw_audit_set_missing(
                f, "eventbridge-rule",
                "an EventBridge rule catching root use in %s, in state " ALL_MANAGEMENT_EVENTS
                ", with a target EventBridge may deliver to",
                region);
            rw_audit_set_fix(
                f,
                "aws events put-rule --region %s --name rootwatch-root-activity "
                "--state " ALL_MANAGEMENT_EVENTS " --event-pattern '" ROOT_PATTERN
                "'; aws events put-targets --region %s --rule rootwatch-root-activity "
                "--targets Id=1,Arn=TOPIC_ARN (a topic with a confirmed subscription whose policy "
                "allows events.amazonaws.com sns:Publish for the rule's ARN); or: rootwatch "
                "deploy apply --email ADDRESS --regions %s",
                region, region, region);
        }
    }
done:
    rw_buf_free(&d.ok);
    rw_buf_free(&d.missing);
    rw_buf_free(&d.fix);
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
     "target that exists, lets EventBridge deliver and (a topic) has a confirmed subscriber",
     c_none, check_rule},
    {NULL, NULL, NULL, NULL},
};

/* The CloudWatch checks: metric-filter-root, alarm-root, alarm-subscribers (docs/audit.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "aws/xml.h"
#include "rules/cwl_filter.h"
#include "util/err.h"
#include "util/xmalloc.h"

#define CIS_FILTER                                                                                 \
    "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "   \
    "\"AwsServiceEvent\" }"

/* A trail's log group: its name and region (from its ARN
 * arn:P:logs:REGION:ACCOUNT:log-group:NAME[:*]). */
typedef struct lg {
    char *name, *region;
    const rw_audit_trail *trail;
} lg;

typedef struct filters_read {
    rw_audit_ctx *a;
    const char *region;
    lg *groups;
    size_t ngroups;
    rw_buf wrong;  /* filters on a trail's log group that do not catch root use */
    rw_buf astray; /* filters that would, on another log group */
    size_t seen;
} filters_read;

static const lg *trail_group(const filters_read *r, const char *name, const char *region) {
    for (size_t i = 0; i < r->ngroups; i++)
        if (!strcmp(r->groups[i].name, name) && !strcmp(r->groups[i].region, region))
            return &r->groups[i];
    return NULL;
}

static int on_filters(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)number, (void)raw, (void)len;
    filters_read *r = ctx;
    rw_audit_ctx *a = r->a;
    const rw_json *list = rw_json_get(reply, "metricFilters");
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next) {
        const char *name = rw_json_get_str(x, "filterName");
        const char *group = rw_json_get_str(x, "logGroupName");
        const char *pattern = rw_json_get_str(x, "filterPattern");
        if (!name || !group) continue;
        if (!pattern) pattern = "";
        r->seen++;
        const rw_json *mt = rw_json_get(x, "metricTransformations");
        const rw_json *m = mt && mt->type == RW_JSON_ARRAY ? mt->child : NULL;
        const char *metric = m ? rw_json_get_str(m, "metricName") : NULL;
        const char *ns = m ? rw_json_get_str(m, "metricNamespace") : NULL;
        const lg *g = trail_group(r, group, r->region);
        rw_cwl_filter *f = NULL;
        rw_buf why;
        rw_buf_init(&why, 0);
        uint32_t wrong = 0;
        if (rw_cwl_filter_compile(&f, pattern, strlen(pattern)) != RW_OK) {
            rw_buf_printf(&why, "its pattern does not parse: %s", rw_error_last());
            wrong = 1;
        } else {
            wrong = rw_cwl_filter_root_wrong(f);
            rw_cwl_root_wrong_describe(&why, wrong);
        }
        rw_cwl_filter_free(f);
        if (!wrong && g && metric && ns) {
            a->filters = rw_xrealloc(a->filters, (a->nfilters + 1) * sizeof *a->filters);
            rw_audit_filter *af = &a->filters[a->nfilters++];
            af->name = rw_xstrdup(name);
            af->log_group = rw_xstrdup(group);
            af->region = rw_xstrdup(r->region);
            af->metric = rw_xstrdup(metric);
            af->ns = rw_xstrdup(ns);
            af->trail_arn = rw_xstrdup(g->trail->arn);
            af->pattern = rw_xstrdup(pattern);
        } else if (g) {
            rw_buf_printf(&r->wrong, "; filter %s on log group %s (%s): pattern '%s' %s", name,
                          group, r->region, pattern,
                          wrong ? why.data : "has no metric transformation");
        } else if (!wrong) {
            rw_buf_printf(&r->astray,
                          "; filter %s catches root use but is on log group %s (%s), which no "
                          "multi-region trail delivers to",
                          name, group, r->region);
        }
        rw_buf_free(&why);
    }
    return 0;
}

/* Lists the metric filters of every region a good trail's log group is in, and keeps those that
 * catch root use exactly (a->filters). The evidence for metric-filter-root is kept too. */
static int read_filters(rw_audit_ctx *a, rw_buf *evidence, rw_audit_finding *f) {
    if (rw_audit_read_trails(a) != RW_OK) {
        rw_audit_step_copy(&a->filters_step, &a->trails_step);
        rw_audit_error_from(f, &a->trails_step, NULL);
        return RW_EIO;
    }
    filters_read r = {.a = a};
    rw_buf_init(&r.wrong, 0);
    rw_buf_init(&r.astray, 0);
    for (size_t i = 0; i < a->ntrails; i++) {
        const rw_audit_trail *t = &a->trails[i];
        /* an organization trail of another account delivers to a log group of that account */
        if (!rw_audit_trail_good(t) || !t->log_group_arn || rw_audit_trail_foreign(a, t)) continue;
        r.groups = rw_xrealloc(r.groups, (r.ngroups + 1) * sizeof *r.groups);
        r.groups[r.ngroups].region = rw_audit_arn_field(t->log_group_arn, 3);
        r.groups[r.ngroups].name = rw_audit_arn_field(t->log_group_arn, 6);
        r.groups[r.ngroups].trail = t;
        r.ngroups++;
    }
    int rc = RW_OK;
    if (!r.ngroups) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no multi-region trail delivers to a CloudWatch Logs log group, so no "
                     "metric filter can see root use (see trail-multi-region and "
                     "trail-cloudwatch-logs)");
        rw_audit_set_missing(f, "trail-cloudwatch-logs",
                             "a trail delivering to CloudWatch Logs, then the metric filter");
        rw_audit_set_fix(f, "rootwatch deploy apply --email ADDRESS (or the fixes of "
                            "trail-cloudwatch-logs, then aws logs put-metric-filter as below)");
        rc = RW_ENOTFOUND;
        goto out;
    }
    char **done = NULL;
    for (size_t i = 0; i < r.ngroups && rc == RW_OK; i++) {
        if (rw_audit_list_has(done, r.groups[i].region)) continue;
        rw_audit_list_add(&done, r.groups[i].region);
        r.region = r.groups[i].region;
        if (rw_aws_json_pages(a->c, &rw_aws_logs, r.region, "DescribeMetricFilters", "{}",
                              "nextToken", "nextToken", on_filters, &r) != RW_OK) {
            rw_audit_step_fail(a->c, &a->filters_step, "logs:DescribeMetricFilters",
                               "CloudWatch Logs DescribeMetricFilters");
            rw_audit_error_from(f, &a->filters_step, NULL);
            rc = RW_EIO;
        }
    }
    rw_audit_list_free(done);
    if (rc == RW_OK) {
        rw_buf_printf(evidence, "%zu metric filter%s read in %s", r.seen, r.seen == 1 ? "" : "s",
                      r.groups[0].region);
        for (size_t i = 1; i < r.ngroups; i++) rw_buf_printf(evidence, ", %s", r.groups[i].region);
        rw_buf_printf(evidence, " (the trail's log group: %s)", r.groups[0].name);
        if (r.wrong.len) rw_buf_puts(evidence, r.wrong.data);
        if (r.astray.len) rw_buf_puts(evidence, r.astray.data);
        a->filters_step.state = 1;
    }
    if (rc == RW_OK && !a->nfilters && !a->filter_group) {
        /* kept for the fix: the first trail's group */
        a->filter_group = rw_xstrdup(r.groups[0].name);
        a->filter_region = rw_xstrdup(r.groups[0].region);
    }
out:
    for (size_t i = 0; i < r.ngroups; i++) {
        free(r.groups[i].name);
        free(r.groups[i].region);
    }
    free(r.groups);
    rw_buf_free(&r.wrong);
    rw_buf_free(&r.astray);
    return rc;
}

static void check_metric_filter(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    const rw_audit_trail *org = rw_audit_org_cover(a);
    if (org) {
        rw_audit_set_org_covered(f, org);
        a->filters_step.state = 1;
        return;
    }
    rw_buf ev;
    rw_buf_init(&ev, 0);
    int rc = read_filters(a, &ev, f);
    if (rc != RW_OK) {
        if (rc == RW_ENOTFOUND) a->filters_step.state = 1;
        rw_buf_free(&ev);
        return;
    }
    if (a->nfilters) {
        const rw_audit_filter *x = &a->filters[0];
        rw_audit_set_resource(f, x->log_group);
        rw_audit_set(f, RW_AUDIT_PASS,
                     "filter %s on log group %s (%s, trail %s), pattern '%s', catches every "
                     "canonical root case and nothing else (metric %s/%s); %s",
                     x->name, x->log_group, x->region, x->trail_arn, x->pattern, x->ns, x->metric,
                     ev.data);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no metric filter on the trail's log group catches root use: %s", ev.data);
        rw_audit_set_missing(f, "metric-filter",
                             "a metric filter catching root use on log group %s (%s)",
                             a->filter_group, a->filter_region);
        rw_audit_set_fix(f,
                         "aws logs put-metric-filter --region %s --log-group-name %s "
                         "--filter-name RootAccountUsage --metric-transformations "
                         "metricName=RootAccountUsage,metricNamespace=CISBenchmark,metricValue=1 "
                         "--filter-pattern '" CIS_FILTER "'; or: rootwatch deploy apply --email "
                         "ADDRESS",
                         a->filter_region, a->filter_group);
    }
    rw_buf_free(&ev);
}

/* ---- alarm-root ------------------------------------------------------------------------------ */

static bool is_sns(const char *arn) {
    char *svc = rw_audit_arn_field(arn, 2);
    bool yes = !strcmp(svc, "sns");
    free(svc);
    return yes;
}

/* Why alarm x would not tell anyone of one root use ("" when it would). */
static void alarm_faults(rw_buf *why, const rw_xml *x) {
    const char *enabled = rw_xml_text(x, "ActionsEnabled");
    const char *cmp = rw_xml_text(x, "ComparisonOperator");
    const char *thr = rw_xml_text(x, "Threshold");
    const char *dta = rw_xml_text(x, "DatapointsToAlarm");
    const char *evp = rw_xml_text(x, "EvaluationPeriods");
    double t = thr ? strtod(thr, NULL) : 1e9;
    long need = dta && *dta ? strtol(dta, NULL, 10) : evp ? strtol(evp, NULL, 10) : 1;
    bool sns = false;
    for (const rw_xml *m = rw_xml_find(x, "AlarmActions/member"); m; m = rw_xml_next(m, NULL))
        if (is_sns(m->text)) sns = true;
    size_t start = why->len;
#define FAULT(...)                                                                                 \
    do {                                                                                           \
        if (why->len > start) rw_buf_puts(why, ", ");                                              \
        rw_buf_printf(why, __VA_ARGS__);                                                           \
    } while (0)
    if (!sns) FAULT("no SNS topic among its alarm actions");
    if (enabled && !strcmp(enabled, "false"))
        FAULT("its actions are disabled (ActionsEnabled false)");
    if (!cmp || !((!strcmp(cmp, "GreaterThanOrEqualToThreshold") && t <= 1) ||
                  (!strcmp(cmp, "GreaterThanThreshold") && t < 1)))
        FAULT("one root use does not breach it (%s %s)", cmp ? cmp : "?", thr ? thr : "?");
    if (need > 1) FAULT("it needs %ld breaching periods, not one", need);
#undef FAULT
}

typedef struct alarms_read {
    rw_audit_ctx *a;
    const rw_audit_filter *filter;
    rw_buf bad;
    size_t seen;
} alarms_read;

static int on_alarms(void *ctx, const rw_xml *reply) {
    alarms_read *r = ctx;
    rw_audit_ctx *a = r->a;
    for (const rw_xml *x = rw_xml_find(reply, "DescribeAlarmsForMetricResult/MetricAlarms/member");
         x; x = rw_xml_next(x, NULL)) {
        const char *arn = rw_xml_text(x, "AlarmArn");
        if (!arn) continue;
        r->seen++;
        rw_buf why;
        rw_buf_init(&why, 0);
        alarm_faults(&why, x);
        if (why.len) {
            rw_buf_printf(&r->bad, "; alarm %s: %s", arn, why.data);
        } else {
            a->alarms = rw_xrealloc(a->alarms, (a->nalarms + 1) * sizeof *a->alarms);
            rw_audit_alarm *al = &a->alarms[a->nalarms++];
            memset(al, 0, sizeof *al);
            al->arn = rw_xstrdup(arn);
            al->region = rw_xstrdup(r->filter->region);
            for (const rw_xml *m = rw_xml_find(x, "AlarmActions/member"); m;
                 m = rw_xml_next(m, NULL))
                if (is_sns(m->text) && !rw_audit_list_has(al->topics, m->text))
                    rw_audit_list_add(&al->topics, m->text);
            const char *st = rw_xml_text(x, "Statistic");
            const char *per = rw_xml_text(x, "Period");
            rw_buf_printf(&r->bad, "%salarm %s on %s/%s: %s %s %s, period %s s, actions %s",
                          a->nalarms == 1 ? "" : "; also ", arn, r->filter->ns, r->filter->metric,
                          st ? st : "?", rw_xml_text(x, "ComparisonOperator"),
                          rw_xml_text(x, "Threshold"), per ? per : "?", al->topics[0]);
        }
        rw_buf_free(&why);
    }
    return 0;
}

/* An alarm's topic encrypted with a KMS key CloudWatch may not use tells no one: such topics are
 * taken out of the alarms' lists (an alarm left with none is not kept), each said in ev, with what
 * to add in missing and fix. A topic that does not exist is kept (alarm-subscribers says so).
 * RW_OK, or RW_EIO when a call failed (f ERROR). */
static int alarm_topic_keys(rw_audit_ctx *a, rw_audit_finding *f, rw_buf *ev, rw_buf *missing,
                            rw_buf *fix) {
    size_t keep = 0;
    int rc = RW_OK;
    for (size_t i = 0; i < a->nalarms; i++) {
        rw_audit_alarm *al = &a->alarms[i];
        char **kept = NULL;
        for (size_t j = 0; rc == RW_OK && al->topics && al->topics[j]; j++) {
            const char *t = al->topics[j];
            char *region = rw_audit_arn_field(t, 3);
            const char *params[] = {"TopicArn", t, NULL};
            rw_xml *x = NULL;
            int qr = rw_aws_query(a->c, &rw_aws_sns, region, "GetTopicAttributes", params, &x);
            free(region);
            if (qr != RW_OK) {
                rw_xml_free(x);
                if (strstr(rw_aws_client_error(a->c)->code, "NotFound")) {
                    rw_audit_list_add(&kept, t);
                    continue;
                }
                rw_audit_call_error(a->c, f, "sns:GetTopicAttributes", "SNS GetTopicAttributes");
                rc = RW_EIO;
                break;
            }
            const char *key = NULL;
            for (const rw_xml *e = rw_xml_find(x, "GetTopicAttributesResult/Attributes/entry"); e;
                 e = rw_xml_next(e, NULL)) {
                const char *k = rw_xml_text(e, "key"), *v = rw_xml_text(e, "value");
                if (k && v && *v && !strcmp(k, "KmsMasterKeyId")) key = v;
            }
            rw_buf ok, why;
            rw_buf_init(&ok, 0);
            rw_buf_init(&why, 0);
            int kr = key ? rw_audit_key_allows(a, f, t, NULL, key, "cloudwatch.amazonaws.com",
                                               al->arn, &ok, &why, missing, fix)
                         : 1;
            rw_xml_free(x);
            if (kr < 0) {
                rc = RW_EIO;
            } else if (kr) {
                rw_audit_list_add(&kept, t);
                if (ok.len) rw_buf_printf(ev, "; topic %s of alarm %s: %s", t, al->arn, ok.data);
            } else {
                rw_buf_printf(ev, "; topic %s of alarm %s: %s", t, al->arn, why.data);
            }
            rw_buf_free(&ok);
            rw_buf_free(&why);
        }
        rw_audit_list_free(al->topics);
        al->topics = kept;
        if (kept) {
            a->alarms[keep++] = *al;
        } else {
            free(al->arn);
            free(al->region);
        }
    }
    a->nalarms = keep;
    return rc;
}

static void check_alarm(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    const rw_audit_trail *org = rw_audit_org_cover(a);
    if (org) {
        rw_audit_set_org_covered(f, org);
        a->filters_step.state = 1;
        a->alarms_step.state = 1;
        return;
    }
    if (!a->filters_step.state) {
        rw_buf ev;
        rw_buf_init(&ev, 0);
        int rc = read_filters(a, &ev, f);
        rw_buf_free(&ev);
        if (rc == RW_ENOTFOUND) {
            /* no trail delivers to CloudWatch Logs: f says so (FAIL), and so will the
             * subscribers' check */
            a->filters_step.state = 1;
            a->alarms_step.state = 1;
            return;
        }
    }
    if (a->filters_step.state < 0) {
        rw_audit_error_from(f, &a->filters_step, "the metric filters could not be read");
        rw_audit_step_copy(&a->alarms_step, &a->filters_step);
        return;
    }
    if (!a->nfilters) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no metric filter catches root use on the trail's log group "
                     "(see metric-filter-root), so no alarm can");
        rw_audit_set_missing(f, "metric-filter", "the metric filter, then an alarm on its metric");
        rw_audit_set_fix(f, "rootwatch deploy apply --email ADDRESS");
        a->alarms_step.state = 1;
        return;
    }
    alarms_read r = {.a = a};
    rw_buf_init(&r.bad, 0);
    for (size_t i = 0; i < a->nfilters; i++) {
        r.filter = &a->filters[i];
        const char *params[] = {"MetricName", r.filter->metric, "Namespace", r.filter->ns, NULL};
        rw_xml *x = NULL;
        if (rw_aws_query(a->c, &rw_aws_cloudwatch, r.filter->region, "DescribeAlarmsForMetric",
                         params, &x) != RW_OK) {
            rw_audit_step_fail(a->c, &a->alarms_step, "cloudwatch:DescribeAlarmsForMetric",
                               "CloudWatch DescribeAlarmsForMetric");
            rw_audit_error_from(f, &a->alarms_step, NULL);
            rw_buf_free(&r.bad);
            return;
        }
        on_alarms(&r, x);
        rw_xml_free(x);
    }
    /* the alarms' topics: one encrypted with a key CloudWatch may not use tells no one */
    rw_buf kmissing, kfix;
    rw_buf_init(&kmissing, 0);
    rw_buf_init(&kfix, 0);
    size_t firing = a->nalarms;
    if (alarm_topic_keys(a, f, &r.bad, &kmissing, &kfix) != RW_OK) {
        rw_audit_step s = {-1, f->evidence, f->permission};
        rw_audit_step_copy(&a->alarms_step, &s);
        rw_buf_free(&r.bad);
        rw_buf_free(&kmissing);
        rw_buf_free(&kfix);
        return;
    }
    a->alarms_step.state = 1;
    const rw_audit_filter *x = &a->filters[0];
    if (a->nalarms) {
        rw_audit_set_resource(f, a->alarms[0].arn);
        rw_audit_set(f, RW_AUDIT_PASS, "%s", r.bad.data);
    } else if (firing) {
        /* alarms that would fire, but whose every topic CloudWatch cannot publish to */
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no alarm on metric %s/%s (filter %s) can tell anyone of one root use: its "
                     "topic's KMS key does not let CloudWatch publish: %s",
                     x->ns, x->metric, x->name, r.bad.data);
        rw_audit_set_missing(f, "alarm", "%s", kmissing.data);
        rw_audit_set_fix(f, "%s", kfix.data);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no alarm on metric %s/%s (filter %s) tells anyone of one "
                     "root use: %zu alarm%s read%s",
                     x->ns, x->metric, x->name, r.seen, r.seen == 1 ? "" : "s",
                     r.bad.len ? r.bad.data : "");
        rw_audit_set_missing(f, "alarm", "an alarm on %s/%s with an SNS topic as its action", x->ns,
                             x->metric);
        rw_audit_set_fix(f,
                         "aws cloudwatch put-metric-alarm --region %s --alarm-name "
                         "RootAccountUsage --metric-name %s --namespace %s --statistic Sum "
                         "--period 300 --threshold 1 --comparison-operator "
                         "GreaterThanOrEqualToThreshold --evaluation-periods 1 "
                         "--treat-missing-data notBreaching --alarm-actions TOPIC_ARN; or: "
                         "rootwatch deploy apply --email ADDRESS",
                         x->region, x->metric, x->ns);
    }
    rw_buf_free(&r.bad);
    rw_buf_free(&kmissing);
    rw_buf_free(&kfix);
}

/* ---- alarm-subscribers ----------------------------------------------------------------------- */

static int on_subs(void *ctx, const rw_xml *reply) {
    rw_audit_subs *s = ctx;
    for (const rw_xml *m =
             rw_xml_find(reply, "ListSubscriptionsByTopicResult/Subscriptions/member");
         m; m = rw_xml_next(m, NULL)) {
        const char *arn = rw_xml_text(m, "SubscriptionArn");
        const char *proto = rw_xml_text(m, "Protocol");
        const char *ep = rw_xml_text(m, "Endpoint");
        if (!arn) continue;
        bool ok = !strncmp(arn, "arn:", 4);
        rw_buf *b = ok ? &s->confirmed : &s->pending;
        rw_buf_printf(b, "%s%s %s", b->len ? ", " : "", proto ? proto : "?", ep ? ep : "?");
        if (ok) rw_buf_printf(b, " (%s)", arn);
        s->nconfirmed += ok;
    }
    return 0;
}

int rw_audit_topic_subscriptions(rw_audit_ctx *a, rw_audit_finding *f, const char *topic,
                                 rw_audit_subs *s) {
    *s = (rw_audit_subs){0};
    rw_buf_init(&s->confirmed, 0);
    rw_buf_init(&s->pending, 0);
    char *region = rw_audit_arn_field(topic, 3);
    const char *params[] = {"TopicArn", topic, NULL};
    int rc =
        rw_aws_query_pages(a->c, &rw_aws_sns, region, "ListSubscriptionsByTopic", params,
                           "NextToken", "ListSubscriptionsByTopicResult/NextToken", on_subs, s);
    free(region);
    if (rc == RW_OK) return RW_OK;
    if (strstr(rw_aws_client_error(a->c)->code, "NotFound")) return RW_ENOTFOUND;
    rw_audit_call_error(a->c, f, "sns:ListSubscriptionsByTopic", "SNS ListSubscriptionsByTopic");
    return RW_EIO;
}

void rw_audit_subs_free(rw_audit_subs *s) {
    rw_buf_free(&s->confirmed);
    rw_buf_free(&s->pending);
}

static void check_subscribers(rw_audit_ctx *a, const rw_audit_check *chk) {
    const rw_audit_trail *org = rw_audit_org_cover(a);
    if (org) {
        rw_audit_set_org_covered(rw_audit_add(a, chk, a->home), org);
        return;
    }
    if (!a->alarms_step.state) {
        /* alarm-root was not run (--check): read the alarms as it would, unreported */
        size_t n = a->rep->n;
        check_alarm(a, &rw_audit_alarm_checks[1]);
        rw_audit_truncate(a, n);
    }
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    if (a->alarms_step.state < 0) {
        rw_audit_error_from(f, &a->alarms_step, "the alarms could not be read");
        return;
    }
    if (!a->nalarms) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no alarm on root use sends to an SNS topic (see alarm-root), so no one is "
                     "subscribed");
        rw_audit_set_missing(f, "alarm", "the alarm and its topic, with a confirmed subscription");
        rw_audit_set_fix(f, "rootwatch deploy apply --email ADDRESS, then confirm the "
                            "subscription (the link in the mail)");
        return;
    }
    rw_buf ev;
    rw_buf_init(&ev, 0);
    const char *first_topic = NULL;
    bool pass = false;
    rw_buf pending_all;
    rw_buf_init(&pending_all, 0);
    for (size_t i = 0; i < a->nalarms; i++)
        for (size_t j = 0; a->alarms[i].topics && a->alarms[i].topics[j]; j++) {
            const char *topic = a->alarms[i].topics[j];
            if (!first_topic) first_topic = topic;
            rw_audit_subs s;
            int rc = rw_audit_topic_subscriptions(a, f, topic, &s);
            if (rc == RW_EIO) {
                rw_audit_subs_free(&s);
                goto out;
            }
            if (rc == RW_ENOTFOUND) {
                rw_buf_printf(&ev, "%stopic %s of alarm %s does not exist", ev.len ? "; " : "",
                              topic, a->alarms[i].arn);
            } else {
                rw_buf_printf(&ev, "%stopic %s (alarm %s): ", ev.len ? "; " : "", topic,
                              a->alarms[i].arn);
                if (s.nconfirmed) {
                    pass = true;
                    if (!f->resource) rw_audit_set_resource(f, topic);
                    rw_buf_printf(&ev, "confirmed: %s", s.confirmed.data);
                } else if (!s.pending.len) {
                    rw_buf_puts(&ev, "no subscription at all");
                }
                if (s.pending.len) {
                    rw_buf_printf(&ev,
                                  "%spending confirmation (not delivered to until "
                                  "confirmed): %s",
                                  s.nconfirmed ? "; " : "", s.pending.data);
                    rw_buf_printf(&pending_all, "%s%s", pending_all.len ? ", " : "",
                                  s.pending.data);
                }
            }
            rw_audit_subs_free(&s);
        }
    if (pass) {
        rw_audit_set(f, RW_AUDIT_PASS, "%s", ev.data);
    } else {
        rw_audit_set_resource(f, first_topic);
        rw_audit_set(f, RW_AUDIT_FAIL, "no confirmed subscriber: %s", ev.data);
        rw_audit_set_missing(f,
                             pending_all.len ? "person:subscription-confirmation" : "subscription",
                             "a confirmed subscription to topic %s", first_topic);
        if (pending_all.len)
            rw_audit_set_fix(f,
                             "a person must confirm the subscription of %s (the link in the "
                             "message AWS sent there; it expires after 3 days: then aws sns "
                             "subscribe --topic-arn %s --protocol email --notification-endpoint "
                             "ADDRESS again)",
                             pending_all.data, first_topic);
        else
            rw_audit_set_fix(f,
                             "aws sns subscribe --topic-arn %s --protocol email "
                             "--notification-endpoint ADDRESS, then confirm it (the link in the "
                             "mail)",
                             first_topic);
    }
out:
    rw_buf_free(&pending_all);
    rw_buf_free(&ev);
}

/* clang-format off */
static const char *const c_cis43[] = {"CIS-1.4.0 4.3", "CIS-3.0.0 4.3", "CIS-5.0.0 4.3", "SecurityHub CloudWatch.1", NULL};
/* clang-format on */

const rw_audit_check rw_audit_alarm_checks[] = {
    {"metric-filter-root",
     "a metric filter on the trail's log group catches root use (its pattern evaluated)", c_cis43,
     check_metric_filter},
    {"alarm-root", "an alarm on that filter's metric fires on one root use and notifies SNS",
     c_cis43, check_alarm},
    {"alarm-subscribers", "the alarm's topic has a confirmed subscription", c_cis43,
     check_subscribers},
    {NULL, NULL, NULL, NULL},
};

/* The trail checks: trail-multi-region, trail-log-validation, trail-cloudwatch-logs
 * (docs/audit.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define DAY 86400

static char *json_req(const char *key, const char *value) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "{\"%s\":", key);
    rw_json_write_str(&b, value, strlen(value));
    rw_buf_putc(&b, '}');
    return rw_buf_take(&b);
}

static bool json_true(const rw_json *obj, const char *key) {
    const rw_json *v = rw_json_get(obj, key);
    return v && v->type == RW_JSON_TRUE;
}

/* Does an advanced event selector log every management event (read and write)? */
static bool advanced_all_management(const rw_json *sel) {
    bool management = false, read_only_limited = false;
    const rw_json *fs = rw_json_get(sel, "FieldSelectors");
    for (const rw_json *f = fs ? fs->child : NULL; f; f = f->next) {
        const char *field = rw_json_get_str(f, "Field");
        if (!field) continue;
        const rw_json *eq = rw_json_get(f, "Equals");
        if (!strcmp(field, "eventCategory"))
            for (const rw_json *v = eq ? eq->child : NULL; v; v = v->next)
                if (rw_json_str_is(v, "Management")) management = true;
        if (!strcmp(field, "readOnly")) read_only_limited = true;
    }
    return management && !read_only_limited;
}

/* GetTrailStatus and GetEventSelectors for t, in its home region. */
static void read_status(rw_audit_ctx *a, rw_audit_trail *t) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *body = json_req("Name", t->arn);
    rw_audit_step st = {0};
    if (rw_aws_json(a->c, &rw_aws_cloudtrail, t->home, "GetTrailStatus", body, doc) != RW_OK) {
        rw_audit_step_fail(a->c, &st, "cloudtrail:GetTrailStatus", "CloudTrail GetTrailStatus");
    } else {
        const rw_json *r = rw_json_doc_root(doc);
        t->logging = json_true(r, "IsLogging");
        t->cwl_delivered = rw_audit_time(rw_json_get(r, "LatestCloudWatchLogsDeliveryTime"));
        const char *e = rw_json_get_str(r, "LatestCloudWatchLogsDeliveryError");
        if (e && *e) t->cwl_error = rw_xstrdup(e);
    }
    free(body);
    body = json_req("TrailName", t->arn);
    if (!st.state &&
        rw_aws_json(a->c, &rw_aws_cloudtrail, t->home, "GetEventSelectors", body, doc) != RW_OK) {
        rw_audit_step_fail(a->c, &st, "cloudtrail:GetEventSelectors",
                           "CloudTrail GetEventSelectors");
    } else if (!st.state) {
        const rw_json *r = rw_json_doc_root(doc);
        const rw_json *es = rw_json_get(r, "EventSelectors");
        const rw_json *as = rw_json_get(r, "AdvancedEventSelectors");
        bool any = false;
        for (const rw_json *s = es && es->type == RW_JSON_ARRAY ? es->child : NULL; s;
             s = s->next) {
            any = true;
            const char *rw = rw_json_get_str(s, "ReadWriteType");
            const rw_json *im = rw_json_get(s, "IncludeManagementEvents");
            if ((!rw || !strcmp(rw, "All")) && (!im || im->type == RW_JSON_TRUE))
                t->all_management = true;
        }
        for (const rw_json *s = as && as->type == RW_JSON_ARRAY ? as->child : NULL; s;
             s = s->next) {
            any = true;
            if (advanced_all_management(s)) t->all_management = true;
        }
        /* a trail nobody gave selectors logs every management event (CloudTrail's default) */
        if (!any) t->all_management = true;
    }
    free(body);
    t->status_error = st.error;
    t->status_permission = st.permission;
    rw_json_doc_free(doc);
}

int rw_audit_read_trails(rw_audit_ctx *a) {
    if (a->trails_step.state) return a->trails_step.state > 0 ? RW_OK : RW_EIO;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    if (rw_aws_json(a->c, &rw_aws_cloudtrail, a->home, "DescribeTrails",
                    "{\"includeShadowTrails\":true}", doc) != RW_OK) {
        rw_audit_step_fail(a->c, &a->trails_step, "cloudtrail:DescribeTrails",
                           "CloudTrail DescribeTrails");
        rw_json_doc_free(doc);
        return RW_EIO;
    }
    const rw_json *list = rw_json_get(rw_json_doc_root(doc), "trailList");
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next) {
        const char *arn = rw_json_get_str(x, "TrailARN");
        if (!arn) continue;
        bool dup = false;
        for (size_t i = 0; i < a->ntrails; i++) dup |= !strcmp(a->trails[i].arn, arn);
        if (dup) continue;
        a->trails = rw_xrealloc(a->trails, (a->ntrails + 1) * sizeof *a->trails);
        rw_audit_trail *t = &a->trails[a->ntrails++];
        memset(t, 0, sizeof *t);
        const char *name = rw_json_get_str(x, "Name"), *home = rw_json_get_str(x, "HomeRegion");
        const char *lg = rw_json_get_str(x, "CloudWatchLogsLogGroupArn");
        t->arn = rw_xstrdup(arn);
        t->name = rw_xstrdup(name ? name : arn);
        t->home = home && *home ? rw_xstrdup(home) : rw_audit_arn_field(arn, 3);
        if (lg && *lg) t->log_group_arn = rw_xstrdup(lg);
        t->multi_region = json_true(x, "IsMultiRegionTrail");
        t->global = json_true(x, "IncludeGlobalServiceEvents");
        t->validation = json_true(x, "LogFileValidationEnabled");
        t->org = json_true(x, "IsOrganizationTrail");
        t->owner = rw_audit_arn_field(arn, 4);
    }
    rw_json_doc_free(doc);
    for (size_t i = 0; i < a->ntrails; i++) read_status(a, &a->trails[i]);
    a->trails_step.state = 1;
    return RW_OK;
}

/* Does t record every root use wherever it happens? */
bool rw_audit_trail_good(const rw_audit_trail *t) {
    return !t->status_error && t->multi_region && t->logging && t->global && t->all_management;
}

bool rw_audit_trail_foreign(const rw_audit_ctx *a, const rw_audit_trail *t) {
    return t->org && t->owner && *t->owner && strcmp(a->account, "unknown") &&
           strcmp(t->owner, a->account);
}

/* An organization trail of another account whose status could not be read here, but which
 * DescribeTrails shows multi-region with global service events: it may record every root use,
 * and only its own account can tell. */
static bool foreign_unread(const rw_audit_ctx *a, const rw_audit_trail *t) {
    return rw_audit_trail_foreign(a, t) && t->status_error && t->multi_region && t->global;
}

/* Does t record this account's root use (good), or may it (foreign_unread)? */
static bool covers(const rw_audit_ctx *a, const rw_audit_trail *t) {
    return rw_audit_trail_good(t) || foreign_unread(a, t);
}

const rw_audit_trail *rw_audit_org_cover(rw_audit_ctx *a) {
    if (rw_audit_read_trails(a) != RW_OK) return NULL;
    const rw_audit_trail *good = NULL, *unread = NULL;
    for (size_t i = 0; i < a->ntrails; i++) {
        const rw_audit_trail *t = &a->trails[i];
        if (!rw_audit_trail_foreign(a, t)) {
            if (rw_audit_trail_good(t) && t->log_group_arn) return NULL; /* its own: judged */
            continue;
        }
        if (rw_audit_trail_good(t) && !good) good = t;
        if (foreign_unread(a, t) && !unread) unread = t;
    }
    return good ? good : unread;
}

void rw_audit_set_org_covered(rw_audit_finding *f, const rw_audit_trail *t) {
    rw_audit_set_resource(f, t->arn);
    rw_audit_set(f, RW_AUDIT_NOT_APPLICABLE,
                 "covered by organization trail %s of management account %s: its log group%s%s%s, "
                 "metric filter and alarm are in that account; run rootwatch audit there",
                 t->arn, t->owner, t->log_group_arn ? " (" : " (it names none: see ",
                 t->log_group_arn ? t->log_group_arn : "trail-cloudwatch-logs", ")");
    rw_audit_set_fix(f, "rootwatch audit with credentials of management account %s", t->owner);
}

/* "single-region, not logging, ..." for a trail that is not good */
static void lacks(rw_buf *b, const rw_audit_trail *t) {
    if (t->status_error) {
        rw_buf_printf(b, "not read in full (%s)", t->status_error);
        return;
    }
    bool first = true;
#define LACK(cond, text)                                                                           \
    if (cond) {                                                                                    \
        rw_buf_printf(b, "%s%s", first ? "" : ", ", text);                                         \
        first = false;                                                                             \
    }
    LACK(!t->multi_region, "single-region (IsMultiRegionTrail false)");
    LACK(!t->logging, "not logging (IsLogging false)");
    LACK(!t->global, "no global service events (IncludeGlobalServiceEvents false)");
    LACK(!t->all_management, "not every management event (read and write) selected");
#undef LACK
}

static const char *const fix_trail =
    "aws s3api create-bucket --bucket BUCKET (with the bucket policy CloudTrail needs); "
    "aws cloudtrail create-trail --name rootwatch --s3-bucket-name BUCKET --is-multi-region-trail "
    "--include-global-service-events --enable-log-file-validation; "
    "aws cloudtrail start-logging --name rootwatch; "
    "or: rootwatch deploy apply --email ADDRESS";

static void check_multi_region(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    if (rw_audit_read_trails(a) != RW_OK) {
        rw_audit_error_from(f, &a->trails_step, NULL);
        return;
    }
    if (!a->ntrails) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "CloudTrail DescribeTrails (%s, shadow trails included) lists no trail: "
                     "nothing records root use in account %s",
                     a->home, a->account);
        rw_audit_set_missing(f, "trail",
                             "a multi-region trail, logging, with global service events, "
                             "every management event and log file validation");
        rw_audit_set_fix(f, "%s", fix_trail);
        return;
    }
    rw_buf ev;
    rw_buf_init(&ev, 0);
    /* the account's own good trail first, then an organization trail of the management account;
     * one of those whose status could not be read here is said, not judged */
    const rw_audit_trail *ok = NULL, *unread = NULL, *denied = NULL;
    for (size_t i = 0; i < a->ntrails; i++) {
        const rw_audit_trail *t = &a->trails[i];
        if (rw_audit_trail_good(t) && !rw_audit_trail_foreign(a, t) && !ok) ok = t;
        if (foreign_unread(a, t) && !unread) unread = t;
        if (t->status_permission && !rw_audit_trail_foreign(a, t) && !denied) denied = t;
    }
    for (size_t i = 0; i < a->ntrails && !ok; i++)
        if (rw_audit_trail_good(&a->trails[i])) ok = &a->trails[i];
    if (ok) {
        rw_buf_printf(&ev, "%strail %s (home %s", ok->org ? "organization " : "", ok->arn,
                      ok->home);
        if (rw_audit_trail_foreign(a, ok))
            rw_buf_printf(&ev,
                          ", of management account %s; its status and event selectors read "
                          "from this account with GetTrailStatus and GetEventSelectors on its ARN",
                          ok->owner);
        else if (ok->org)
            rw_buf_puts(&ev, ", this account's, for the whole organization");
        rw_buf_puts(&ev, "): multi-region, logging, global service events, every management "
                         "event (read and write)");
        rw_audit_set_resource(f, ok->arn);
    } else if (unread) {
        rw_buf_printf(&ev,
                      "organization trail %s (home %s) of management account %s is multi-region "
                      "with global service events (DescribeTrails), but whether it is logging and "
                      "which events it selects could not be read from this account: %s",
                      unread->arn, unread->home, unread->owner, unread->status_error);
        rw_audit_set_resource(f, unread->arn);
    } else {
        rw_buf_puts(&ev, "no multi-region trail records every root use:");
    }
    bool first = !ok && !unread;
    for (size_t i = 0; i < a->ntrails; i++) {
        const rw_audit_trail *t = &a->trails[i];
        if (t == ok || t == unread) continue;
        rw_buf_printf(&ev, "%s %strail %s%s%s: ", first ? "" : ";", t->org ? "organization " : "",
                      t->arn, rw_audit_trail_foreign(a, t) ? " of management account " : "",
                      rw_audit_trail_foreign(a, t) ? t->owner : "");
        first = false;
        if (rw_audit_trail_good(t))
            rw_buf_puts(&ev, "also good");
        else
            lacks(&ev, t);
    }
    if (ok) {
        rw_audit_set(f, RW_AUDIT_PASS, "%s", ev.data);
    } else if (unread) {
        /* the management account can tell; this one cannot */
        rw_audit_set(f, RW_AUDIT_WARN, "%s", ev.data);
        rw_audit_set_missing(f, "person:management-account",
                             "confirmation, in management account %s, that organization trail "
                             "%s is logging every management event",
                             unread->owner, unread->arn);
        rw_audit_set_fix(f,
                         "rootwatch audit with credentials of management account %s (its "
                         "trail-multi-region reads the trail's status); if this identity lacks "
                         "cloudtrail:GetTrailStatus or cloudtrail:GetEventSelectors, rootwatch "
                         "iam-policy --for audit has them",
                         unread->owner);
    } else if (denied) {
        rw_audit_step s = {-1, (char *)ev.data, denied->status_permission};
        rw_audit_error_from(f, &s, NULL);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL, "%s", ev.data);
        const rw_audit_trail *t = &a->trails[0];
        for (size_t i = 0; i < a->ntrails; i++)
            if (!rw_audit_trail_foreign(a, &a->trails[i])) {
                t = &a->trails[i]; /* the account's own, which it can mend */
                break;
            }
        rw_audit_set_resource(f, t->arn);
        bool foreign = rw_audit_trail_foreign(a, t);
        rw_buf cmd;
        rw_buf_init(&cmd, 0);
        if (!t->multi_region || !t->global)
            rw_buf_printf(&cmd,
                          "aws cloudtrail update-trail --name %s --region %s "
                          "--is-multi-region-trail --include-global-service-events%s",
                          t->arn, t->home,
                          t->logging ? "" : "; aws cloudtrail start-logging --name TRAIL");
        else if (!t->logging)
            rw_buf_printf(&cmd, "aws cloudtrail start-logging --name %s --region %s", t->arn,
                          t->home);
        else
            rw_buf_printf(&cmd,
                          "aws cloudtrail put-event-selectors --trail-name %s --region %s "
                          "--event-selectors "
                          "'[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'",
                          t->arn, t->home);
        if (foreign) {
            /* only the organization's trail, and it falls short: mended in its account, or a
             * trail of this account's own */
            rw_audit_set_missing(f, "trail",
                                 "organization trail %s (management account %s) multi-region, "
                                 "logging, with global service events and every management "
                                 "event; or a trail of this account's own",
                                 t->arn, t->owner);
            rw_audit_set_fix(f, "in management account %s: %s; or, in this account: %s", t->owner,
                             cmd.data, fix_trail);
        } else {
            rw_audit_set_missing(f,
                                 !t->multi_region || !t->global ? "trail-settings"
                                 : !t->logging                  ? "trail-logging"
                                                                : "trail-event-selectors",
                                 "a multi-region trail that is logging, with global service "
                                 "events and every management event");
            rw_audit_set_fix(f, "%s", cmd.data);
        }
        rw_buf_free(&cmd);
    }
    rw_buf_free(&ev);
}

/* The good trails (the account's own first, then organization trails of another account, also
 * one whose status could not be read here: trail-multi-region says so), or a FAIL/ERROR of f
 * saying there is none; NULL-free: returns how many. */
static size_t good_trails(rw_audit_ctx *a, rw_audit_finding *f, const rw_audit_trail **out,
                          size_t cap) {
    if (rw_audit_read_trails(a) != RW_OK) {
        rw_audit_error_from(f, &a->trails_step, NULL);
        return 0;
    }
    size_t n = 0;
    for (int foreign = 0; foreign < 2; foreign++)
        for (size_t i = 0; i < a->ntrails; i++) {
            const rw_audit_trail *t = &a->trails[i];
            if (rw_audit_trail_foreign(a, t) == (bool)foreign && covers(a, t) && n < cap)
                out[n++] = t;
        }
    if (!n) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "no multi-region trail that is logging every management event (%zu trail%s "
                     "read; see trail-multi-region)",
                     a->ntrails, a->ntrails == 1 ? "" : "s");
        rw_audit_set_missing(f, "trail", "a multi-region trail (trail-multi-region)");
        rw_audit_set_fix(f, "%s", fix_trail);
    }
    return n;
}

static void check_log_validation(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    const rw_audit_trail *g[64];
    size_t n = good_trails(a, f, g, 64);
    if (!n) return;
    for (size_t i = 0; i < n; i++)
        if (g[i]->validation) {
            rw_audit_set_resource(f, g[i]->arn);
            rw_audit_set(f, RW_AUDIT_PASS,
                         "%strail %s: LogFileValidationEnabled true (digest files prove the log "
                         "files unchanged)",
                         g[i]->org ? "organization " : "", g[i]->arn);
            return;
        }
    rw_audit_set_resource(f, g[0]->arn);
    bool foreign = rw_audit_trail_foreign(a, g[0]);
    rw_audit_set(f, RW_AUDIT_WARN,
                 "%strail %s%s%s: LogFileValidationEnabled false: a deleted or edited log file (a "
                 "root user hiding its tracks) would go unseen",
                 g[0]->org ? "organization " : "", g[0]->arn,
                 foreign ? " of management account " : "", foreign ? g[0]->owner : "");
    rw_audit_set_missing(f, foreign ? "person:management-account" : "trail-log-validation",
                         "log file validation on trail %s", g[0]->arn);
    rw_audit_set_fix(f,
                     "%s%s%saws cloudtrail update-trail --name %s --region %s "
                     "--enable-log-file-validation",
                     foreign ? "in management account " : "", foreign ? g[0]->owner : "",
                     foreign ? ": " : "", g[0]->arn, g[0]->home);
}

static void check_cloudwatch_logs(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    const rw_audit_trail *org = rw_audit_org_cover(a);
    if (org && !org->log_group_arn) {
        /* the organization's trail records this account's root use, but into no log group: no
         * filter or alarm anywhere sees it; only the management account can change that */
        rw_audit_set_resource(f, org->arn);
        rw_audit_set(f, RW_AUDIT_WARN,
                     "covered by organization trail %s of management account %s, which delivers "
                     "to no CloudWatch Logs log group (no CloudWatchLogsLogGroupArn in "
                     "DescribeTrails): no metric filter or alarm, in this account or that one, "
                     "sees root use here (an EventBridge rule can: eventbridge-rule-root); this "
                     "account has no good trail of its own delivering to one",
                     org->arn, org->owner);
        rw_audit_set_missing(f, "person:management-account",
                             "a CloudWatch Logs log group for organization trail %s, in management "
                             "account %s",
                             org->arn, org->owner);
        rw_audit_set_fix(f,
                         "in management account %s: aws cloudtrail update-trail --name %s "
                         "--region %s --cloud-watch-logs-log-group-arn LOG_GROUP_ARN "
                         "--cloud-watch-logs-role-arn ROLE_ARN, then rootwatch audit there",
                         org->owner, org->arn, org->home);
        return;
    }
    if (org) {
        rw_audit_set_org_covered(f, org);
        return;
    }
    const rw_audit_trail *g[64];
    size_t n = good_trails(a, f, g, 64);
    if (!n) return;
    /* not covered by an organization trail: the account's own trails are what is judged */
    size_t own = 0;
    for (size_t i = 0; i < n; i++)
        if (!rw_audit_trail_foreign(a, g[i])) g[own++] = g[i];
    if (own) n = own;
    const rw_audit_trail *stale = NULL;
    int64_t now = a->o->now;
    for (size_t i = 0; i < n; i++) {
        if (!g[i]->log_group_arn) continue;
        if (g[i]->cwl_delivered && now - g[i]->cwl_delivered <= DAY) {
            char when[32];
            rw_time_format(g[i]->cwl_delivered, when);
            rw_audit_set_resource(f, g[i]->log_group_arn);
            rw_audit_set(f, RW_AUDIT_PASS,
                         "trail %s delivers to log group %s; last delivered %s (within a day)",
                         g[i]->arn, g[i]->log_group_arn, when);
            return;
        }
        if (!stale) stale = g[i];
    }
    if (stale) {
        char when[32] = "never";
        if (stale->cwl_delivered) rw_time_format(stale->cwl_delivered, when);
        rw_audit_set_resource(f, stale->log_group_arn);
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "trail %s names log group %s, but GetTrailStatus says it last delivered "
                     "there: %s (more than a day ago or never)%s%s",
                     stale->arn, stale->log_group_arn, when,
                     stale->cwl_error ? "; LatestCloudWatchLogsDeliveryError: " : "",
                     stale->cwl_error ? stale->cwl_error : "");
        rw_audit_set_missing(f, "trail-cloudwatch-logs-delivery",
                             "delivery from trail %s to log group %s", stale->arn,
                             stale->log_group_arn);
        rw_audit_set_fix(f,
                         "check the trail's CloudWatch Logs role (trust cloudtrail.amazonaws.com, "
                         "allow logs:CreateLogStream and logs:PutLogEvents on the log group): aws "
                         "cloudtrail update-trail --name %s --region %s "
                         "--cloud-watch-logs-log-group-arn %s --cloud-watch-logs-role-arn ROLE_ARN",
                         stale->arn, stale->home, stale->log_group_arn);
        return;
    }
    rw_audit_set_resource(f, g[0]->arn);
    rw_audit_set(f, RW_AUDIT_FAIL,
                 "trail %s delivers to no CloudWatch Logs log group (no "
                 "CloudWatchLogsLogGroupArn): no metric filter or alarm can see root use",
                 g[0]->arn);
    rw_audit_set_missing(f, "trail-cloudwatch-logs",
                         "a log group for trail %s and a role CloudTrail delivers with", g[0]->arn);
    rw_audit_set_fix(f,
                     "aws logs create-log-group --log-group-name cloudtrail/rootwatch --region "
                     "%s; aws iam create-role --role-name rootwatch-cloudtrail-logs (trusting "
                     "cloudtrail.amazonaws.com, allowed logs:CreateLogStream and "
                     "logs:PutLogEvents); aws cloudtrail update-trail --name %s --region %s "
                     "--cloud-watch-logs-log-group-arn LOG_GROUP_ARN --cloud-watch-logs-role-arn "
                     "ROLE_ARN; or: rootwatch deploy apply --email ADDRESS",
                     g[0]->home, g[0]->arn, g[0]->home);
}

/* clang-format off */
static const char *const c_multi[] = {"CIS-1.4.0 3.1", "CIS-3.0.0 3.1", "CIS-5.0.0 3.1", "SecurityHub CloudTrail.1", NULL};
static const char *const c_valid[] = {"CIS-1.4.0 3.2", "CIS-3.0.0 3.2", "CIS-5.0.0 3.2", "SecurityHub CloudTrail.4", NULL};
static const char *const c_cwl[] = {"CIS-1.4.0 3.4", "SecurityHub CloudTrail.5", NULL};
/* clang-format on */

const rw_audit_check rw_audit_trail_checks[] = {
    {"trail-multi-region",
     "a multi-region trail, logging every management event and global service events", c_multi,
     check_multi_region},
    {"trail-log-validation", "that trail validates its log files (WARN when off)", c_valid,
     check_log_validation},
    {"trail-cloudwatch-logs", "that trail delivers to a CloudWatch Logs log group, within a day",
     c_cwl, check_cloudwatch_logs},
    {NULL, NULL, NULL, NULL},
};

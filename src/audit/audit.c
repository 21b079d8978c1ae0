/* rootwatch audit: the table of checks, the run, and what the checks share (audit_impl.h). */
#include "audit/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

const char *rw_audit_result_name(rw_audit_result r) {
    static const char *const names[] = {"PASS", "FAIL", "WARN", "NOT_APPLICABLE", "ERROR"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

static const rw_audit_check *const tables[] = {rw_audit_trail_checks, rw_audit_alarm_checks,
                                               rw_audit_events_checks, rw_audit_root_checks,
                                               rw_audit_org_checks};
#define NTABLES (sizeof tables / sizeof tables[0])

size_t rw_audit_checks(const rw_audit_check_info **out) {
    static rw_audit_check_info info[32];
    static size_t n;
    if (!n)
        for (size_t t = 0; t < NTABLES; t++)
            for (const rw_audit_check *c = tables[t]; c->id && n < 32; c++)
                info[n++] = (rw_audit_check_info){c->id, c->title, c->controls};
    *out = info;
    return n;
}

static void finding_free(rw_audit_finding *f) {
    free(f->region);
    free(f->resource);
    free(f->evidence);
    free(f->missing);
    free(f->fix);
    free(f->permission);
}

void rw_audit_report_free(rw_audit_report *r) {
    for (size_t i = 0; i < r->n; i++) finding_free(&r->v[i]);
    free(r->v);
    free(r->account);
    memset(r, 0, sizeof *r);
}

size_t rw_audit_count(const rw_audit_report *r, rw_audit_result result) {
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) n += r->v[i].result == result;
    return n;
}

int rw_audit_exit_status(const rw_audit_report *r) {
    if (rw_audit_count(r, RW_AUDIT_ERROR)) return 2;
    return rw_audit_count(r, RW_AUDIT_FAIL) ? 1 : 0;
}

/* ---- findings ------------------------------------------------------------------------------ */

rw_audit_finding *rw_audit_add(rw_audit_ctx *a, const rw_audit_check *chk, const char *region) {
    rw_audit_report *r = a->rep;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = rw_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    rw_audit_finding *f = &r->v[r->n++];
    memset(f, 0, sizeof *f);
    f->id = chk->id;
    f->title = chk->title;
    f->controls = chk->controls;
    f->result = RW_AUDIT_ERROR;
    f->region = rw_xstrdup(region ? region : "global");
    return f;
}

static char *vformat(const char *fmt, va_list ap) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_vprintf(&b, fmt, ap);
    return b.data ? rw_buf_take(&b) : rw_xstrdup("");
}

void rw_audit_truncate(rw_audit_ctx *a, size_t n) {
    while (a->rep->n > n) finding_free(&a->rep->v[--a->rep->n]);
}

void rw_audit_set(rw_audit_finding *f, rw_audit_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    free(f->evidence);
    f->evidence = vformat(fmt, ap);
    va_end(ap);
    f->result = r;
}

void rw_audit_set_fix(rw_audit_finding *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    free(f->fix);
    f->fix = vformat(fmt, ap);
    va_end(ap);
}

void rw_audit_set_missing(rw_audit_finding *f, const char *need, const char *fmt, ...) {
    f->need = need;
    va_list ap;
    va_start(ap, fmt);
    free(f->missing);
    f->missing = vformat(fmt, ap);
    va_end(ap);
}

void rw_audit_set_resource(rw_audit_finding *f, const char *arn) {
    free(f->resource);
    f->resource = arn ? rw_xstrdup(arn) : NULL;
}

/* ---- errors -------------------------------------------------------------------------------- */

bool rw_audit_denied(const rw_aws_client *c) {
    static const char *const codes[] = {"AccessDenied", "UnauthorizedOperation",
                                        "AuthorizationError", "UnauthorizedAccess",
                                        "NotAuthorized"};
    const rw_aws_error *e = rw_aws_client_error(c);
    /* a 403 that names no code; InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken (also
     * 403) are about the credentials, not a permission */
    if (e->status == 403 && !e->code[0]) return true;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strstr(e->code, codes[i])) return true;
    return false;
}

int rw_audit_step_fail(rw_aws_client *c, rw_audit_step *step, const char *permission,
                       const char *what) {
    step->state = -1;
    rw_buf b;
    rw_buf_init(&b, 0);
    bool denied = rw_audit_denied(c);
    /* the client's message names the service and the operation already; what says it when
     * the message is empty */
    const char *msg = *rw_error_last() ? rw_error_last() : what;
    if (denied)
        rw_buf_printf(&b, "permission %s is missing: %s", permission, msg);
    else
        rw_buf_printf(&b, "%s", msg);
    free(step->error);
    step->error = rw_buf_take(&b);
    free(step->permission);
    step->permission = denied ? rw_xstrdup(permission) : NULL;
    return RW_EIO;
}

void rw_audit_error_from(rw_audit_finding *f, const rw_audit_step *step, const char *context) {
    rw_audit_set(f, RW_AUDIT_ERROR, "%s%s%s", context ? context : "", context ? ": " : "",
                 step->error ? step->error : "not read");
    free(f->permission);
    f->permission = step->permission ? rw_xstrdup(step->permission) : NULL;
    if (step->permission)
        rw_audit_set_fix(f,
                         "allow %s to the identity rootwatch audit runs as "
                         "(rootwatch iam-policy --for audit prints the whole policy)",
                         step->permission);
}

void rw_audit_call_error(rw_aws_client *c, rw_audit_finding *f, const char *permission,
                         const char *what) {
    rw_audit_step s = {0};
    rw_audit_step_fail(c, &s, permission, what);
    rw_audit_error_from(f, &s, NULL);
    free(s.error);
    free(s.permission);
}

void rw_audit_step_copy(rw_audit_step *to, const rw_audit_step *from) {
    free(to->error);
    free(to->permission);
    to->state = from->state;
    to->error = from->error ? rw_xstrdup(from->error) : NULL;
    to->permission = from->permission ? rw_xstrdup(from->permission) : NULL;
}

static void step_free(rw_audit_step *s) {
    free(s->error);
    free(s->permission);
}

/* ---- lists, ARNs, times -------------------------------------------------------------------- */

void rw_audit_list_add(char ***list, const char *s) {
    size_t n = 0;
    while (*list && (*list)[n]) n++;
    *list = rw_xrealloc(*list, (n + 2) * sizeof **list);
    (*list)[n] = rw_xstrdup(s);
    (*list)[n + 1] = NULL;
}

bool rw_audit_list_has(char *const *list, const char *s) {
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], s)) return true;
    return false;
}

void rw_audit_list_free(char **list) {
    for (size_t i = 0; list && list[i]; i++) free(list[i]);
    free(list);
}

char *rw_audit_arn_field(const char *arn, int n) {
    for (int i = 0; arn && i < n; i++) {
        arn = strchr(arn, ':');
        if (arn) arn++;
    }
    if (!arn) return rw_xstrdup("");
    return rw_xstrndup(arn, strcspn(arn, ":"));
}

int64_t rw_audit_time(const rw_json *v) {
    if (!v) return 0;
    if (v->type == RW_JSON_NUMBER) return (int64_t)v->num;
    int64_t t = 0;
    if (v->type == RW_JSON_STRING && rw_time_parse(v->str, &t) == RW_OK) return t;
    return 0;
}

/* ---- regions ------------------------------------------------------------------------------- */

int rw_audit_read_regions(rw_audit_ctx *a) {
    if (a->regions_step.state) return a->regions_step.state > 0 ? RW_OK : RW_EIO;
    if (a->o->regions) {
        for (size_t i = 0; a->o->regions[i]; i++)
            if (!rw_audit_list_has(a->regions, a->o->regions[i]))
                rw_audit_list_add(&a->regions, a->o->regions[i]);
        a->regions_step.state = 1;
        return RW_OK;
    }
    /* the regions enabled for the account: those DescribeRegions lists without AllRegions */
    rw_xml *x = NULL;
    if (rw_aws_query(a->c, &rw_aws_ec2, a->home, "DescribeRegions", NULL, &x) != RW_OK)
        return rw_audit_step_fail(a->c, &a->regions_step, "ec2:DescribeRegions",
                                  "EC2 DescribeRegions (the account's enabled regions)");
    for (const rw_xml *r = rw_xml_find(x, "regionInfo/item"); r; r = rw_xml_next(r, NULL)) {
        const char *name = rw_xml_text(r, "regionName");
        const char *opt = rw_xml_text(r, "optInStatus");
        /* an emulator lists other partitions' regions too (moto: us-gov-*, cn-*), AWS never */
        if (name && *name && (!opt || strcmp(opt, "not-opted-in")) &&
            !strcmp(rw_aws_partition(name), a->partition) && !rw_audit_list_has(a->regions, name))
            rw_audit_list_add(&a->regions, name);
    }
    rw_xml_free(x);
    a->regions_step.state = 1;
    return RW_OK;
}

/* ---- the run ------------------------------------------------------------------------------- */

static bool wanted(const rw_audit_opts *o, const char *id) {
    if (!o->only) return true;
    for (size_t i = 0; o->only[i]; i++)
        if (!strcmp(o->only[i], id)) return true;
    return false;
}

static bool known(const char *id) {
    for (size_t t = 0; t < NTABLES; t++)
        for (const rw_audit_check *c = tables[t]; c->id; c++)
            if (!strcmp(c->id, id)) return true;
    return false;
}

int rw_audit_run(rw_audit_report *out, rw_aws_session *s, const rw_audit_opts *o) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; o->only && o->only[i]; i++)
        if (!known(o->only[i])) return rw_error_set(RW_EINVAL, "unknown check '%s'", o->only[i]);
    rw_audit_ctx a = {.s = s, .o = o, .rep = out};
    a.c = rw_aws_client_new(s->cfg, s->creds, NULL);
    a.home = rw_xstrdup(s->cfg->region && *s->cfg->region ? s->cfg->region : "us-east-1");
    a.partition = rw_xstrdup(rw_aws_partition(a.home));
    rw_xml *x = NULL;
    if (rw_aws_query(a.c, &rw_aws_sts, NULL, "GetCallerIdentity", NULL, &x) == RW_OK) {
        const char *acct = rw_xml_text(x, "GetCallerIdentityResult/Account");
        a.account = rw_xstrdup(acct && *acct ? acct : "unknown");
        rw_log_info("audit: account %s, region %s", a.account, a.home);
    } else {
        rw_log_warn("audit: STS GetCallerIdentity: %s (the account is unknown)", rw_error_last());
        a.account = rw_xstrdup("unknown");
    }
    rw_xml_free(x);
    for (size_t t = 0; t < NTABLES; t++)
        for (const rw_audit_check *c = tables[t]; c->id; c++) {
            if (!wanted(o, c->id)) continue;
            rw_log_info("audit: checking %s", c->id);
            size_t before = out->n;
            c->fn(&a, c);
            for (size_t i = before; i < out->n; i++)
                rw_log_info("audit: %s %s %s", out->v[i].id, out->v[i].region,
                            rw_audit_result_name(out->v[i].result));
        }
    rw_aws_client_free(a.c);
    out->account = a.account;
    free(a.partition);
    free(a.home);
    step_free(&a.regions_step);
    rw_audit_list_free(a.regions);
    step_free(&a.trails_step);
    for (size_t i = 0; i < a.ntrails; i++) {
        rw_audit_trail *t = &a.trails[i];
        free(t->arn);
        free(t->name);
        free(t->home);
        free(t->log_group_arn);
        free(t->cwl_error);
        free(t->status_error);
        free(t->status_permission);
        free(t->owner);
    }
    free(a.trails);
    step_free(&a.filters_step);
    for (size_t i = 0; i < a.nfilters; i++) {
        rw_audit_filter *f = &a.filters[i];
        free(f->name);
        free(f->log_group);
        free(f->region);
        free(f->metric);
        free(f->ns);
        free(f->trail_arn);
        free(f->pattern);
    }
    free(a.filters);
    free(a.filter_group);
    free(a.filter_region);
    step_free(&a.alarms_step);
    for (size_t i = 0; i < a.nalarms; i++) {
        free(a.alarms[i].arn);
        free(a.alarms[i].region);
        rw_audit_list_free(a.alarms[i].topics);
    }
    free(a.alarms);
    step_free(&a.summary_step);
    return RW_OK;
}

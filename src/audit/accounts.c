/* rootwatch audit across accounts (accounts.h; docs/audit-organization.md). */
#include "audit/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "aws/client.h"
#include "aws/provider.h"
#include "aws/provider_sts.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static const rw_aws_service organizations = {"organizations",
                                             "Organizations",
                                             "organizations",
                                             RW_AWS_JSON,
                                             NULL,
                                             "AWSOrganizationsV20161128",
                                             "1.1",
                                             1};

#define SESSION_NAME "rootwatch-audit"

static const char *const no_controls[] = {NULL};

/* ---- the role ------------------------------------------------------------------------------ */

int rw_audit_role_check(const char *role) {
    if (!role || !*role) return rw_error_set(RW_EINVAL, "--role needs a role name or ARN");
    if (!strncmp(role, "arn:", 4)) {
        if (!strstr(role, "{account}"))
            return rw_error_set(RW_EINVAL,
                                "--role: the ARN '%s' must name {account} (where each account's "
                                "id goes: arn:aws:iam::{account}:role/NAME)",
                                role);
        return RW_OK;
    }
    if (strchr(role, ':') || strchr(role, '{') || role[0] == '/')
        return rw_error_set(RW_EINVAL,
                            "--role: '%s' is neither a role name (PATH/NAME allowed) nor an ARN "
                            "beginning with arn:",
                            role);
    return RW_OK;
}

char *rw_audit_role_arn(const char *role, const char *id, const char *partition) {
    rw_buf b;
    rw_buf_init(&b, 0);
    if (!strncmp(role, "arn:", 4)) {
        for (const char *p = role; *p;) {
            const char *q = strstr(p, "{account}");
            if (!q) {
                rw_buf_puts(&b, p);
                break;
            }
            rw_buf_printf(&b, "%.*s%s", (int)(q - p), p, id);
            p = q + strlen("{account}");
        }
    } else {
        rw_buf_printf(&b, "arn:%s:iam::%s:role/%s", partition, id, role);
    }
    return rw_buf_take(&b);
}

/* A provider of the role's credentials: the first set is the one AssumeRole gave when the role
 * was tried; later ones (a long audit outlives them) are asked for again with the caller's. */
typedef struct role_ctx {
    const rw_aws_config *cfg;
    rw_aws_provider *base; /* the caller's */
    const char *arn, *external_id;
    rw_aws_creds *first;
} role_ctx;

static int assume(role_ctx *r, rw_aws_creds **out) {
    rw_aws_creds *base = NULL;
    int rc = rw_aws_provider_get(r->base, rw_time_now(), &base);
    if (rc != RW_OK) return rw_error_wrap(rc, "the caller's credentials (to assume %s)", r->arn);
    const char *params[] = {"RoleArn",
                            r->arn,
                            "RoleSessionName",
                            SESSION_NAME,
                            r->external_id ? "ExternalId" : NULL,
                            r->external_id,
                            NULL};
    rw_buf desc;
    rw_buf_init(&desc, 0);
    rw_buf_printf(&desc, "role %s assumed with %s", r->arn, base->source ? base->source : "?");
    rc = rw_aws_sts_assume(r->cfg, base, "AssumeRole", params, "STS AssumeRole", desc.data, out);
    rw_buf_free(&desc);
    rw_aws_creds_free(base);
    return rc;
}

static int role_resolve(void *ctx, rw_aws_creds **out) {
    role_ctx *r = ctx;
    if (r->first) {
        *out = r->first;
        r->first = NULL;
        return RW_OK;
    }
    return assume(r, out);
}

/* ---- the accounts' findings ---------------------------------------------------------------- */

static rw_audit_finding *add_finding(rw_audit_report *rep) {
    if (rep->n == rep->cap) {
        rep->cap = rep->cap ? rep->cap * 2 : 4;
        rep->v = rw_xrealloc(rep->v, rep->cap * sizeof *rep->v);
    }
    rw_audit_finding *f = &rep->v[rep->n++];
    memset(f, 0, sizeof *f);
    f->id = RW_AUDIT_ACCOUNT_CHECK;
    f->title = "rootwatch can audit the account (assumes its audit role)";
    f->controls = no_controls;
    f->region = rw_xstrdup("global");
    return f;
}

static void not_assumed(rw_audit_account *acct, const char *caller, const char *error) {
    rw_audit_finding *f = add_finding(&acct->rep);
    bool denied = strstr(error, "AccessDenied") != NULL;
    rw_audit_set_resource(f, acct->role_arn);
    rw_audit_set(f, RW_AUDIT_ERROR,
                 "role %s could not be assumed (session name " SESSION_NAME
                 "): %s; none of account %s's checks was made",
                 acct->role_arn, error, acct->id);
    rw_audit_set_missing(f, "audit-role",
                         "a role %s in account %s that account %s may assume, with the policy of "
                         "rootwatch iam-policy --for audit",
                         acct->role_arn, acct->id, caller ? caller : "(the caller's)");
    rw_audit_set_fix(f,
                     "create the role in account %s (docs/audit-organization.md: a CloudFormation "
                     "StackSet or aws iam create-role), trusting account %s, and allow "
                     "sts:AssumeRole on %s to the identity rootwatch audit runs as",
                     acct->id, caller ? caller : "(the caller's)", acct->role_arn);
    if (denied) f->permission = rw_xstrdup("sts:AssumeRole");
}

static void not_active(rw_audit_account *acct) {
    rw_audit_finding *f = add_finding(&acct->rep);
    rw_audit_set(f, RW_AUDIT_NOT_APPLICABLE,
                 "account %s (%s) is %s in the organization, not ACTIVE: not audited", acct->id,
                 acct->name ? acct->name : "no name", acct->status);
}

/* ---- listing ------------------------------------------------------------------------------- */

static void account_add(rw_audit_accounts *a, const char *id, const char *name,
                        const char *status) {
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->v[i].id, id)) return;
    a->v = rw_xrealloc(a->v, (a->n + 1) * sizeof *a->v);
    rw_audit_account *acct = &a->v[a->n++];
    memset(acct, 0, sizeof *acct);
    acct->id = rw_xstrdup(id);
    acct->name = name ? rw_xstrdup(name) : NULL;
    acct->status = status ? rw_xstrdup(status) : NULL;
}

static int list_page(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)raw;
    (void)len;
    rw_audit_accounts *a = ctx;
    if (!reply)
        return rw_error_set(RW_EIO, "Organizations ListAccounts: page %d is not JSON", number);
    const rw_json *list = rw_json_get(reply, "Accounts");
    for (const rw_json *e = list && list->type == RW_JSON_ARRAY ? list->child : NULL; e;
         e = e->next) {
        const char *id = rw_json_get_str(e, "Id");
        if (!id || !*id) continue;
        /* Status (ACTIVE, SUSPENDED, PENDING_CLOSURE) is being replaced by State (ACTIVE,
         * SUSPENDED, PENDING_ACTIVATION, CLOSED, ...): State first */
        const char *st = rw_json_get_str(e, "State");
        if (!st || !*st) st = rw_json_get_str(e, "Status");
        account_add(a, id, rw_json_get_str(e, "Name"), st && *st ? st : "ACTIVE");
    }
    return 0;
}

static int list_org(rw_audit_accounts *a, rw_aws_session *s) {
    rw_aws_client *c = rw_aws_client_new(s->cfg, s->creds, NULL);
    int rc = rw_aws_json_pages(c, &organizations, NULL, "ListAccounts", "{}", "NextToken",
                               "NextToken", list_page, a);
    /* RW_EIO whatever the client said: RW_EINVAL is a usage error (an unknown check id) */
    if (rc != RW_OK) {
        if (rw_audit_denied(c))
            rc = rw_error_wrap(RW_EIO,
                               "the organization's accounts could not be listed (permission %s is "
                               "missing; run from the management account or a delegated "
                               "administrator)",
                               "organizations:ListAccounts");
        else
            rc = rw_error_wrap(RW_EIO, "the organization's accounts could not be listed");
    }
    rw_aws_client_free(c);
    return rc;
}

static char *caller_account(rw_aws_session *s) {
    rw_aws_client *c = rw_aws_client_new(s->cfg, s->creds, NULL);
    rw_xml *x = NULL;
    char *acct = NULL;
    if (rw_aws_query(c, &rw_aws_sts, NULL, "GetCallerIdentity", NULL, &x) == RW_OK) {
        const char *v = rw_xml_text(x, "GetCallerIdentityResult/Account");
        if (v && *v) acct = rw_xstrdup(v);
    } else {
        rw_log_warn("audit: STS GetCallerIdentity: %s (the caller's account is unknown: every "
                    "account is audited through the role)",
                    rw_error_last());
    }
    rw_xml_free(x);
    rw_aws_client_free(c);
    return acct;
}

/* ---- the run ------------------------------------------------------------------------------- */

static int severity(const rw_audit_account *acct) {
    return rw_audit_exit_status(&acct->rep);
}

static int worst_first(const void *x, const void *y) {
    const rw_audit_account *a = x, *b = y;
    int d = severity(b) - severity(a);
    if (d) return d;
    static const rw_audit_result order[] = {RW_AUDIT_ERROR, RW_AUDIT_FAIL, RW_AUDIT_WARN};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        size_t na = rw_audit_count(&a->rep, order[i]), nb = rw_audit_count(&b->rep, order[i]);
        if (na != nb) return na < nb ? 1 : -1;
    }
    return strcmp(a->id, b->id);
}

static void audit_one(rw_audit_accounts *all, rw_audit_account *acct, rw_aws_session *s,
                      const rw_audit_accounts_opts *ao, const rw_audit_opts *o,
                      const char *partition) {
    if (acct->status && strcmp(acct->status, "ACTIVE")) {
        rw_log_info("audit: account %s is %s: skipped", acct->id, acct->status);
        acct->rep.account = rw_xstrdup(acct->id);
        not_active(acct);
        return;
    }
    if (all->caller && !strcmp(all->caller, acct->id)) {
        rw_log_info("audit: account %s (the caller's own) with the caller's credentials", acct->id);
        if (rw_audit_run(&acct->rep, s, o) == RW_OK) acct->audited = true;
        return;
    }
    acct->role_arn = rw_audit_role_arn(ao->role, acct->id, partition);
    role_ctx r = {
        .cfg = s->cfg, .base = s->creds, .arn = acct->role_arn, .external_id = ao->external_id};
    rw_log_info("audit: account %s through role %s", acct->id, acct->role_arn);
    if (assume(&r, &r.first) != RW_OK) {
        /* the client's message names STS AssumeRole already */
        const char *msg = rw_error_last();
        if (!strncmp(msg, "STS AssumeRole: STS AssumeRole: ", 32)) msg += 16;
        char *error = rw_xstrdup(msg);
        rw_log_info("audit: account %s: %s", acct->id, error);
        acct->rep.account = rw_xstrdup(acct->id);
        not_assumed(acct, all->caller, error);
        free(error);
        return;
    }
    rw_aws_session role = {.cfg = s->cfg, .creds = rw_aws_provider_new(role_resolve, &r)};
    if (rw_audit_run(&acct->rep, &role, o) == RW_OK) acct->audited = true;
    /* the findings are this account's even when GetCallerIdentity said nothing */
    if (!acct->rep.account || !strcmp(acct->rep.account, "unknown")) {
        free(acct->rep.account);
        acct->rep.account = rw_xstrdup(acct->id);
    } else if (strcmp(acct->rep.account, acct->id)) {
        /* a --role template that names another account's role: what was read is that account's,
         * not this one's, so none of it is reported under this account's id */
        char *other = acct->rep.account;
        acct->rep.account = NULL;
        rw_audit_report_free(&acct->rep);
        acct->rep.account = rw_xstrdup(acct->id);
        rw_audit_finding *f = add_finding(&acct->rep);
        rw_audit_set_resource(f, acct->role_arn);
        rw_audit_set(f, RW_AUDIT_ERROR,
                     "role %s gave credentials of account %s (STS GetCallerIdentity), not of "
                     "account %s: account %s was not audited (what was read, of account %s, "
                     "is not reported)",
                     acct->role_arn, other, acct->id, acct->id, other);
        rw_audit_set_missing(f, "audit-role", "a --role that names a role in account %s", acct->id);
        rw_audit_set_fix(f,
                         "give --role the role's name, or an ARN template with {account} where the "
                         "account id goes (arn:aws:iam::{account}:role/NAME)");
        acct->audited = false;
        free(other);
    }
    rw_aws_provider_free(role.creds);
    rw_aws_creds_free(r.first);
}

int rw_audit_accounts_run(rw_audit_accounts *out, rw_aws_session *s,
                          const rw_audit_accounts_opts *ao, const rw_audit_opts *o) {
    memset(out, 0, sizeof *out);
    /* an unknown check id is a usage error before anything is called */
    const rw_audit_check_info *checks;
    size_t nchecks = rw_audit_checks(&checks);
    for (size_t i = 0; o->only && o->only[i]; i++) {
        bool found = false;
        for (size_t k = 0; k < nchecks && !found; k++) found = !strcmp(checks[k].id, o->only[i]);
        if (!found) return rw_error_set(RW_EINVAL, "unknown check '%s'", o->only[i]);
    }
    out->caller = caller_account(s);
    if (ao->ids) {
        for (size_t i = 0; ao->ids[i]; i++) account_add(out, ao->ids[i], NULL, NULL);
    } else {
        int rc = list_org(out, s);
        if (rc != RW_OK) return rc;
        if (!out->n) /* never so in AWS: the management account is one of them */
            return rw_error_set(RW_EIO, "Organizations ListAccounts listed no account: nothing "
                                        "to audit (is this account in an organization?)");
        rw_log_info("audit: the organization has %zu accounts", out->n);
    }
    const char *region = s->cfg->region && *s->cfg->region ? s->cfg->region : "us-east-1";
    const char *partition = rw_aws_partition(region);
    for (size_t i = 0; i < out->n; i++) audit_one(out, &out->v[i], s, ao, o, partition);
    if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, worst_first);
    return RW_OK;
}

void rw_audit_accounts_free(rw_audit_accounts *a) {
    for (size_t i = 0; i < a->n; i++) {
        rw_audit_account *acct = &a->v[i];
        free(acct->id);
        free(acct->name);
        free(acct->status);
        free(acct->role_arn);
        rw_audit_report_free(&acct->rep);
    }
    free(a->v);
    free(a->caller);
    memset(a, 0, sizeof *a);
}

int rw_audit_accounts_exit_status(const rw_audit_accounts *a) {
    int worst = 0;
    for (size_t i = 0; i < a->n; i++) {
        int st = severity(&a->v[i]);
        if (st > worst) worst = st;
    }
    return worst;
}

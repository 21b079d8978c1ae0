/* rootwatch audit's output: table, JSON, CSV, SARIF 2.1.0 (audit.h). */
#include <stdlib.h>
#include <string.h>

#include "audit/accounts.h"
#include "audit/audit.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

int rw_audit_format_parse(rw_audit_format *out, const char *name) {
    static const char *const names[] = {"table", "json", "csv", "sarif"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i])) {
            *out = (rw_audit_format)i;
            return RW_OK;
        }
    return rw_error_set(RW_EINVAL, "--format takes table, json, csv or sarif, not '%s'", name);
}

void rw_audit_summary(rw_buf *out, const rw_audit_report *r) {
    rw_buf_printf(out, "%zu finding%s:", r->n, r->n == 1 ? "" : "s");
    for (int k = RW_AUDIT_PASS; k <= RW_AUDIT_ERROR; k++)
        rw_buf_printf(out, "%s %zu %s", k ? "," : "", rw_audit_count(r, (rw_audit_result)k),
                      rw_audit_result_name((rw_audit_result)k));
}

static void controls_joined(rw_buf *out, const rw_audit_finding *f, const char *sep) {
    for (size_t i = 0; f->controls && f->controls[i]; i++)
        rw_buf_printf(out, "%s%s", i ? sep : "", f->controls[i]);
}

/* Appends text wrapped at width, each line indented by indent spaces, the first after head. */
static void wrap(rw_buf *out, const char *head, const char *text, int indent, int width) {
    int avail = width - indent > 30 ? width - indent : 30;
    const char *p = text;
    bool first = true;
    while (*p) {
        int lim = first ? avail - (int)strlen(head) : avail;
        if (lim < 20) lim = 20;
        size_t n = strlen(p);
        size_t take = n;
        if (n > (size_t)lim) {
            take = (size_t)lim;
            while (take > 0 && p[take] != ' ') take--;
            if (!take) take = (size_t)lim; /* a long ARN: cut it */
        }
        rw_buf_printf(out, "%*s%s%.*s\n", indent, "", first ? head : "", (int)take, p);
        p += take;
        while (*p == ' ') p++;
        first = false;
    }
}

static void table(rw_buf *out, const rw_audit_report *r, const char *account, int width) {
    if (account) rw_buf_printf(out, "rootwatch audit of account %s\n\n", account);
    for (size_t i = 0; i < r->n; i++) {
        const rw_audit_finding *f = &r->v[i];
        rw_buf_printf(out, "%-14s %-23s %-14s ", rw_audit_result_name(f->result), f->id, f->region);
        controls_joined(out, f, ", ");
        rw_buf_putc(out, '\n');
        if (f->evidence) wrap(out, "", f->evidence, 6, width);
        if (f->fix && f->result != RW_AUDIT_PASS) wrap(out, "fix: ", f->fix, 6, width);
    }
    rw_buf_putc(out, '\n');
    rw_audit_summary(out, r);
    rw_buf_putc(out, '\n');
}

static void json_str(rw_buf *out, const char *key, const char *v, bool comma) {
    rw_buf_printf(out, "%s\"%s\":", comma ? "," : "", key);
    if (v)
        rw_json_write_str(out, v, strlen(v));
    else
        rw_buf_puts(out, "null");
}

/* One report and the account its findings are of: the output of one account, or of many. */
typedef struct part {
    const rw_audit_report *r;
    const char *account;
} part;

static void json(rw_buf *out, const part *parts, size_t nparts) {
    rw_buf_putc(out, '[');
    size_t k = 0;
    for (size_t p = 0; p < nparts; p++)
        for (size_t i = 0; i < parts[p].r->n; i++, k++) {
            const rw_audit_finding *f = &parts[p].r->v[i];
            rw_buf_puts(out, k ? ",\n {" : "\n {");
            json_str(out, "id", f->id, false);
            json_str(out, "title", f->title, true);
            json_str(out, "result", rw_audit_result_name(f->result), true);
            json_str(out, "region", f->region, true);
            json_str(out, "account", parts[p].account, true);
            json_str(out, "resource", f->resource, true);
            json_str(out, "evidence", f->evidence, true);
            json_str(out, "missing", f->missing, true);
            json_str(out, "need", f->need, true);
            json_str(out, "fix", f->fix, true);
            json_str(out, "permission", f->permission, true);
            rw_buf_puts(out, ",\"controls\":[");
            for (size_t c = 0; f->controls && f->controls[c]; c++) {
                if (c) rw_buf_putc(out, ',');
                rw_json_write_str(out, f->controls[c], strlen(f->controls[c]));
            }
            rw_buf_puts(out, "]}");
        }
    rw_buf_puts(out, k ? "\n]\n" : "]\n");
}

static void csv_field(rw_buf *out, const char *v, bool comma) {
    if (comma) rw_buf_putc(out, ',');
    if (!v) return;
    if (!strpbrk(v, ",\"\r\n")) {
        rw_buf_puts(out, v);
        return;
    }
    rw_buf_putc(out, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '"') rw_buf_putc(out, '"');
        rw_buf_putc(out, *p);
    }
    rw_buf_putc(out, '"');
}

static void csv(rw_buf *out, const part *parts, size_t nparts) {
    rw_buf_puts(out, "id,result,region,account,controls,resource,evidence,missing,fix,"
                     "permission,need\r\n");
    rw_buf c;
    rw_buf_init(&c, 0);
    for (size_t p = 0; p < nparts; p++)
        for (size_t i = 0; i < parts[p].r->n; i++) {
            const rw_audit_finding *f = &parts[p].r->v[i];
            rw_buf_reset(&c);
            controls_joined(&c, f, "; ");
            csv_field(out, f->id, false);
            csv_field(out, rw_audit_result_name(f->result), true);
            csv_field(out, f->region, true);
            csv_field(out, parts[p].account, true);
            csv_field(out, c.data ? c.data : "", true);
            csv_field(out, f->resource, true);
            csv_field(out, f->evidence, true);
            csv_field(out, f->missing, true);
            csv_field(out, f->fix, true);
            csv_field(out, f->permission, true);
            csv_field(out, f->need, true);
            rw_buf_puts(out, "\r\n");
        }
    rw_buf_free(&c);
}

/* SARIF: each check a rule (its id, title, controls as tags); each finding a result whose kind
 * says PASS (pass), FAIL and WARN (fail, level error or warning), NOT_APPLICABLE
 * (notApplicable), ERROR (review: a person must look, the check could not be made); the resource
 * is a logical location (its ARN). ERROR findings are also tool execution notifications. */
static void sarif(rw_buf *out, const part *parts, size_t nparts, bool many) {
    const rw_audit_check_info *checks;
    size_t nchecks = rw_audit_checks(&checks);
    rw_buf_puts(out, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
                     "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
                     "\"name\":\"rootwatch audit\",\"version\":\"" RW_VERSION "\","
                     "\"informationUri\":\"https://github.com/rootwatch/rootwatch\","
                     "\"rules\":[");
    for (size_t i = 0; i < nchecks; i++) {
        rw_buf_puts(out, i ? ",{" : "{");
        json_str(out, "id", checks[i].id, false);
        rw_buf_puts(out, ",\"shortDescription\":{");
        json_str(out, "text", checks[i].title, false);
        rw_buf_puts(out, "},\"properties\":{\"tags\":[");
        for (size_t c = 0; checks[i].controls && checks[i].controls[c]; c++) {
            if (c) rw_buf_putc(out, ',');
            rw_json_write_str(out, checks[i].controls[c], strlen(checks[i].controls[c]));
        }
        rw_buf_puts(out, "]}}");
    }
    /* across accounts, an account not audited is a finding of a check of its own */
    if (many)
        rw_buf_puts(out, ",{\"id\":\"account-access\",\"shortDescription\":{\"text\":"
                         "\"rootwatch can audit the account (assumes its audit role)\"},"
                         "\"properties\":{\"tags\":[]}}");
    bool errors = false;
    for (size_t p = 0; p < nparts; p++) errors |= rw_audit_count(parts[p].r, RW_AUDIT_ERROR) > 0;
    rw_buf_puts(out, "]}},\"invocations\":[{\"executionSuccessful\":");
    rw_buf_puts(out, errors ? "false" : "true");
    rw_buf_puts(out, ",\"toolExecutionNotifications\":[");
    bool first = true;
    for (size_t p = 0; p < nparts; p++)
        for (size_t i = 0; i < parts[p].r->n; i++) {
            const rw_audit_finding *f = &parts[p].r->v[i];
            if (f->result != RW_AUDIT_ERROR) continue;
            rw_buf_puts(out, first ? "{" : ",{");
            first = false;
            rw_buf_puts(out, "\"level\":\"error\",\"message\":{");
            json_str(out, "text", f->evidence ? f->evidence : "", false);
            rw_buf_puts(out, "},\"associatedRule\":{");
            json_str(out, "id", f->id, false);
            rw_buf_puts(out, "}}");
        }
    rw_buf_puts(out, "]}],\"results\":[");
    size_t k = 0;
    for (size_t p = 0; p < nparts; p++)
        for (size_t i = 0; i < parts[p].r->n; i++, k++) {
            const rw_audit_finding *f = &parts[p].r->v[i];
            const char *account = parts[p].account;
            size_t index = many ? nchecks : 0;
            for (size_t c = 0; c < nchecks; c++)
                if (!strcmp(checks[c].id, f->id)) index = c;
            const char *kind = "fail", *level = "none";
            switch (f->result) {
            case RW_AUDIT_PASS:
                kind = "pass";
                break;
            case RW_AUDIT_FAIL:
                level = "error";
                break;
            case RW_AUDIT_WARN:
                level = "warning";
                break;
            case RW_AUDIT_NOT_APPLICABLE:
                kind = "notApplicable";
                break;
            case RW_AUDIT_ERROR:
                kind = "review";
                break;
            }
            rw_buf_puts(out, k ? ",{" : "{");
            json_str(out, "ruleId", f->id, false);
            rw_buf_printf(out, ",\"ruleIndex\":%zu,\"kind\":\"%s\",\"level\":\"%s\",\"message\":{",
                          index, kind, level);
            rw_buf b;
            rw_buf_init(&b, 0);
            rw_buf_printf(&b, "%s: %s", rw_audit_result_name(f->result),
                          f->evidence ? f->evidence : "");
            if (f->fix && f->result != RW_AUDIT_PASS) rw_buf_printf(&b, " Fix: %s", f->fix);
            json_str(out, "text", b.data, false);
            rw_buf_free(&b);
            rw_buf_puts(out, "}");
            if (f->resource) {
                rw_buf_puts(out, ",\"locations\":[{\"logicalLocations\":[{");
                json_str(out, "fullyQualifiedName", f->resource, false);
                rw_buf_puts(out, ",\"kind\":\"resource\"}]}]");
            }
            rw_buf_puts(out, ",\"properties\":{");
            json_str(out, "result", rw_audit_result_name(f->result), false);
            json_str(out, "region", f->region, true);
            json_str(out, "account", account, true);
            json_str(out, "missing", f->missing, true);
            json_str(out, "need", f->need, true);
            json_str(out, "fix", f->fix, true);
            json_str(out, "permission", f->permission, true);
            rw_buf_puts(out, "}}");
        }
    rw_buf_puts(out, "]}]}\n");
}

int rw_audit_write(rw_buf *out, const rw_audit_report *r, rw_audit_format f, const char *account,
                   int width) {
    part one = {r, account};
    switch (f) {
    case RW_AUDIT_TABLE:
        table(out, r, account, width > 0 ? width : 100);
        break;
    case RW_AUDIT_JSON:
        json(out, &one, 1);
        break;
    case RW_AUDIT_CSV:
        csv(out, &one, 1);
        break;
    case RW_AUDIT_SARIF:
        sarif(out, &one, 1, false);
        break;
    }
    return RW_OK;
}

/* ---- many accounts (accounts.h) ------------------------------------------------------------ */

/* The ids of a's findings with result r, once each, in their order, after sep. */
static void ids_with(rw_buf *out, const rw_audit_report *r, rw_audit_result result,
                     const char *sep) {
    bool first = true;
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].result != result) continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = r->v[k].result == result && !strcmp(r->v[k].id, r->v[i].id);
        if (seen) continue;
        rw_buf_printf(out, "%s%s", first ? sep : ", ", r->v[i].id);
        first = false;
    }
}

static bool skipped(const rw_audit_account *acct) {
    return acct->status && strcmp(acct->status, "ACTIVE");
}

void rw_audit_accounts_summary(rw_buf *out, const rw_audit_accounts *a) {
    size_t err = 0, fail = 0, ok = 0, skip = 0;
    for (size_t i = 0; i < a->n; i++) {
        const rw_audit_account *acct = &a->v[i];
        int st = rw_audit_exit_status(&acct->rep);
        if (skipped(acct))
            skip++;
        else if (st == 2)
            err++;
        else if (st == 1)
            fail++;
        else
            ok++;
    }
    rw_buf_printf(out, "%zu account%s: %zu with ERROR, %zu with FAIL, %zu passed", a->n,
                  a->n == 1 ? "" : "s", err, fail, ok);
    if (skip) rw_buf_printf(out, ", %zu not audited (not ACTIVE)", skip);
}

void rw_audit_accounts_matrix(rw_buf *out, const rw_audit_accounts *a) {
    rw_buf_printf(out, "%-14s %-20s %5s %5s %5s %5s %5s  %s\n", "account", "name", "PASS", "FAIL",
                  "WARN", "NA", "ERROR", "failing checks");
    size_t total[RW_AUDIT_ERROR + 1] = {0};
    for (size_t i = 0; i < a->n; i++) {
        const rw_audit_account *acct = &a->v[i];
        const char *name = acct->name ? acct->name : "-";
        rw_buf_printf(out, "%-14s %-20.20s", acct->id, name);
        for (int k = RW_AUDIT_PASS; k <= RW_AUDIT_ERROR; k++) {
            size_t n = rw_audit_count(&acct->rep, (rw_audit_result)k);
            total[k] += n;
            rw_buf_printf(out, " %5zu", n);
        }
        size_t before = out->len;
        if (skipped(acct)) {
            rw_buf_printf(out, "  (%s: not audited)", acct->status);
        } else {
            ids_with(out, &acct->rep, RW_AUDIT_FAIL, "  ");
            ids_with(out, &acct->rep, RW_AUDIT_ERROR,
                     out->len > before ? "; ERROR: " : "  ERROR: ");
        }
        rw_buf_putc(out, '\n');
    }
    rw_buf_printf(out, "%-14s %-20s", "total", "");
    for (int k = RW_AUDIT_PASS; k <= RW_AUDIT_ERROR; k++) rw_buf_printf(out, " %5zu", total[k]);
    rw_buf_putc(out, '\n');
}

int rw_audit_accounts_write(rw_buf *out, const rw_audit_accounts *a, rw_audit_format f, int width) {
    if (f == RW_AUDIT_TABLE) {
        for (size_t i = 0; i < a->n; i++) {
            const rw_audit_account *acct = &a->v[i];
            rw_buf_printf(out, "rootwatch audit of account %s", acct->id);
            if (acct->name) rw_buf_printf(out, " (%s)", acct->name);
            if (skipped(acct))
                rw_buf_printf(out, ": %s, not audited\n\n", acct->status);
            else if (acct->role_arn)
                rw_buf_printf(out, ", through role %s\n\n", acct->role_arn);
            else
                rw_buf_puts(out, ", with the caller's credentials\n\n");
            table(out, &acct->rep, NULL, width > 0 ? width : 100);
            rw_buf_putc(out, '\n');
        }
        rw_buf_puts(out, "Accounts, worst first:\n\n");
        rw_audit_accounts_matrix(out, a);
        rw_buf_putc(out, '\n');
        rw_audit_accounts_summary(out, a);
        rw_buf_putc(out, '\n');
        return RW_OK;
    }
    part *parts = rw_xcalloc(a->n ? a->n : 1, sizeof *parts);
    for (size_t i = 0; i < a->n; i++) parts[i] = (part){&a->v[i].rep, a->v[i].id};
    switch (f) {
    case RW_AUDIT_JSON:
        json(out, parts, a->n);
        break;
    case RW_AUDIT_CSV:
        csv(out, parts, a->n);
        break;
    case RW_AUDIT_SARIF:
        sarif(out, parts, a->n, true);
        break;
    case RW_AUDIT_TABLE:
        break;
    }
    free(parts);
    return RW_OK;
}

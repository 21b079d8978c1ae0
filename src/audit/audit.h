/* rootwatch audit (issue 14; docs/audit.md): checks that an account is set up so that no use of
 * its root user goes unnoticed. Each check is a row of a table (its stable id, the controls it
 * answers, its function) in the file of its group (check_trail.c, check_alarm.c, check_events.c,
 * check_root.c, check_org.c); each gives one finding, or one per region, saying what was found
 * (evidence, with ARNs), what is missing, and how to fix it. `rootwatch deploy apply` is meant to
 * take the findings and create what is missing.
 *
 * An AWS call a check may not make (AccessDenied and the like) makes that check ERROR, naming the
 * permission; the other checks go on. */
#ifndef RW_AUDIT_AUDIT_H
#define RW_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/session.h"

typedef enum rw_audit_result {
    RW_AUDIT_PASS,
    RW_AUDIT_FAIL,
    RW_AUDIT_WARN,
    RW_AUDIT_NOT_APPLICABLE,
    RW_AUDIT_ERROR,
} rw_audit_result;

/* "PASS", "FAIL", "WARN", "NOT_APPLICABLE", "ERROR" */
const char *rw_audit_result_name(rw_audit_result r);

/* One check of the table. */
typedef struct rw_audit_check rw_audit_check;

/* One result: every string is the finding's own (freed by rw_audit_report_free). */
typedef struct rw_audit_finding {
    const char *id;              /* the check's stable id ("metric-filter-root"); static */
    const char *title;           /* one line: what the check wants; static */
    const char *const *controls; /* NULL-terminated ("CIS-1.4.0 4.3", "SecurityHub CloudWatch.1") */
    rw_audit_result result;
    char *region;     /* the region checked, or "global" (IAM, the credential report) */
    char *resource;   /* the ARN of what the result is about, or NULL */
    char *evidence;   /* what was read, with ARNs, and why the result is what it is */
    char *missing;    /* what must be created or changed for the check to pass, or NULL */
    const char *need; /* the same as a token for rootwatch deploy apply, or NULL: "trail",
                         "trail-settings", "trail-logging", "trail-event-selectors",
                         "trail-log-validation", "trail-cloudwatch-logs",
                         "trail-cloudwatch-logs-delivery", "metric-filter", "alarm",
                         "subscription", "eventbridge-rule", "config-rule", "config-recorder",
                         "org-root-access", "audit-role" (audit --accounts: the role to assume in
                         the account, audit/accounts.h); "person:..." what only a person can do
                         ("person:root-mfa", "person:subscription-confirmation",
                         "person:management-account": to be done or seen in the
                         organization's management account, ...); static */
    char *fix;        /* AWS CLI commands, or rootwatch deploy apply; NULL when nothing to do */
    char *permission; /* ERROR: the IAM action that was denied, or NULL */
} rw_audit_finding;

typedef struct rw_audit_report {
    rw_audit_finding *v;
    size_t n, cap;
    char *account; /* the audited account (STS GetCallerIdentity), "unknown" when not known */
} rw_audit_report;

void rw_audit_report_free(rw_audit_report *r);
/* How many findings have result r. */
size_t rw_audit_count(const rw_audit_report *r, rw_audit_result result);
/* The exit status: 2 when a check could not be made (ERROR), else 1 when one failed, else 0. */
int rw_audit_exit_status(const rw_audit_report *r);

typedef struct rw_audit_opts {
    const char *const *regions; /* NULL: the account's enabled regions (EC2 DescribeRegions) */
    int days;                   /* root-recent-use: root used within this many days fails (90) */
    int64_t now;                /* epoch seconds */
    const char *const *only;    /* check ids to run (NULL: every check) */
    long report_wait_ms;        /* how long to wait for a credential report (default 60 000) */
} rw_audit_opts;

/* Runs every check (or those in o->only) with s's credentials, filling *out (the caller's, zeroed
 * first). Returns RW_OK once every check has a finding (even ERROR ones); RW_EINVAL for an unknown
 * check id in only. */
int rw_audit_run(rw_audit_report *out, rw_aws_session *s, const rw_audit_opts *o);

/* The table: the ids, titles and controls of every check, in order. */
typedef struct rw_audit_check_info {
    const char *id, *title;
    const char *const *controls;
} rw_audit_check_info;
size_t rw_audit_checks(const rw_audit_check_info **out);

/* ---- output (audit/output.c) ---- */
typedef enum rw_audit_format {
    RW_AUDIT_TABLE, /* one block per finding: result, id, region, controls; evidence and fix */
    RW_AUDIT_JSON,  /* a list of objects: id, title, result, region, account, resource, evidence,
                       missing, fix, permission, controls */
    RW_AUDIT_CSV,   /* a header, then one row per finding (RFC 4180 quoting) */
    RW_AUDIT_SARIF, /* SARIF 2.1.0: one rule per check, one result per finding */
} rw_audit_format;

/* "table", "json", "csv", "sarif" -> *out; RW_EINVAL otherwise. */
int rw_audit_format_parse(rw_audit_format *out, const char *name);
/* Appends the report in format f; account (may be NULL) is the audited account; width is the
 * table's width (0: 100). */
int rw_audit_write(rw_buf *out, const rw_audit_report *r, rw_audit_format f, const char *account,
                   int width);
/* "N findings: N PASS, N FAIL, ..." */
void rw_audit_summary(rw_buf *out, const rw_audit_report *r);

#endif

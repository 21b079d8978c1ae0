/* rootwatch audit across accounts (docs/audit-organization.md): the accounts of an organization
 * (Organizations ListAccounts, from its management account or a delegated administrator) or a
 * list, each audited with the credentials of a role assumed in it (STS AssumeRole, session name
 * rootwatch-audit), the caller's own account with the caller's credentials. An account whose role
 * cannot be assumed gets one ERROR finding (check id account-access) naming the role and STS's
 * error; an account that is not ACTIVE is not audited and gets one NOT_APPLICABLE finding naming
 * its status. The accounts are audited one after the other. */
#ifndef RW_AUDIT_ACCOUNTS_H
#define RW_AUDIT_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/audit.h"
#include "aws/session.h"
#include "util/buf.h"

/* The role assumed in each account when --role is not given; iam-policy --for audit scopes
 * sts:AssumeRole to it (deploy/policy.c). */
#define RW_AUDIT_DEFAULT_ROLE "rootwatch-audit"

/* The id of the finding an account gets when it was not audited. */
#define RW_AUDIT_ACCOUNT_CHECK "account-access"

typedef struct rw_audit_account {
    char *id;            /* 12 digits */
    char *name;          /* Organizations' name of the account, or NULL (an explicit list) */
    char *status;        /* ACTIVE, SUSPENDED, PENDING_CLOSURE, ...; NULL (an explicit list) */
    char *role_arn;      /* the role assumed; NULL: audited with the caller's credentials */
    bool audited;        /* false: its role could not be assumed, or it is not ACTIVE */
    rw_audit_report rep; /* the findings (rep.account is id) */
} rw_audit_account;

typedef struct rw_audit_accounts {
    rw_audit_account *v;
    size_t n;
    char *caller; /* the caller's account (STS GetCallerIdentity), or NULL */
} rw_audit_accounts;

typedef struct rw_audit_accounts_opts {
    const char *const *ids;  /* the accounts to audit; NULL: the organization's (ListAccounts) */
    const char *role;        /* a role name (path/name allowed) or an ARN with {account} */
    const char *external_id; /* AssumeRole's ExternalId, or NULL */
} rw_audit_accounts_opts;

/* The role's ARN in account id: role as a template ("{account}" replaced) when it begins with
 * "arn:", else arn:PARTITION:iam::ID:role/ROLE. A new string. */
char *rw_audit_role_arn(const char *role, const char *id, const char *partition);
/* RW_OK when role is usable (a name, or an ARN naming {account}); RW_EINVAL with the message. */
int rw_audit_role_check(const char *role);

/* Lists the accounts, audits each with o (as rw_audit_run) and fills *out (the caller's, zeroed
 * first), sorted worst first (ERROR, then FAIL, WARN: by the number of such findings; then by id).
 * Returns RW_OK once every account has its findings; an error (its message set) when the accounts
 * could not be listed (ListAccounts refused: the message names organizations:ListAccounts) or a
 * check id of o is unknown (RW_EINVAL). */
int rw_audit_accounts_run(rw_audit_accounts *out, rw_aws_session *s,
                          const rw_audit_accounts_opts *ao, const rw_audit_opts *o);
void rw_audit_accounts_free(rw_audit_accounts *a);
/* The worst exit status across the accounts (2 > 1 > 0). */
int rw_audit_accounts_exit_status(const rw_audit_accounts *a);

/* ---- output (audit/output.c) ---- */
/* Every account's findings in format f, each finding with its account; the table gives each
 * account's section, then the summary matrix (rw_audit_accounts_matrix). */
int rw_audit_accounts_write(rw_buf *out, const rw_audit_accounts *a, rw_audit_format f, int width);
/* The matrix: one line per account (worst first): its id, name, how many PASS, FAIL, WARN,
 * NOT_APPLICABLE and ERROR findings, and the ids of the checks that failed or were ERROR; then
 * one line of totals. */
void rw_audit_accounts_matrix(rw_buf *out, const rw_audit_accounts *a);
/* "N accounts: N with ERROR, N with FAIL, N passed (N not audited)" */
void rw_audit_accounts_summary(rw_buf *out, const rw_audit_accounts *a);

#endif

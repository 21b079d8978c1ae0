/* rootwatch audit: checks that the account is set up so that no root use goes unnoticed
 * (audit/audit.h; docs/audit.md). Options and wiring only. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "audit/accounts.h"
#include "audit/audit.h"
#include "cli/aws_opt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch audit [options]\n"
          "\n"
          "Checks that the account is set up so that no use of its root user goes unnoticed:\n"
          "a multi-region trail (logging, log file validation, delivering to CloudWatch Logs),\n"
          "a metric filter whose pattern catches root use (parsed and evaluated on canonical\n"
          "root events), an alarm on it that notifies an SNS topic with a confirmed\n"
          "subscriber, an EventBridge rule that delivers every root event in us-east-1 and in\n"
          "every region in use, root MFA (a hardware one), no root access key, the root\n"
          "user's recent use (credential report), the Config rule root-account-mfa-enabled,\n"
          "and an organization's central root access. Only read calls are made\n"
          "(rootwatch iam-policy --for audit). docs/audit.md describes each check.\n"
          "\n"
          "options:\n" RW_AWS_OPTS_HELP RW_AWS_OPT_REGION_HELP
          "                          (where the trail, Config and the regions are read from)\n"
          "      --regions LIST      the regions whose EventBridge rules are checked, besides\n"
          "                          us-east-1 (comma-separated; default: every region enabled\n"
          "                          for the account, from EC2 DescribeRegions)\n"
          "      --days N            root-recent-use: root used within N days fails (90)\n"
          "      --check ID          run only this check (repeatable; --list-checks names them)\n"
          "      --list-checks       print the checks, their controls and titles, and exit\n"
          "      --accounts org|LIST audit many accounts: org, every account of the\n"
          "                          organization (Organizations ListAccounts, from its\n"
          "                          management account or a delegated administrator; only\n"
          "                          ACTIVE ones), or account ids (comma-separated); each\n"
          "                          through the role --role names, the caller's own account\n"
          "                          with the caller's credentials (docs/audit-organization.md)\n"
          "      --role NAME|ARN     the role to assume in each account: a name, or an ARN\n"
          "                          with {account} (arn:aws:iam::{account}:role/NAME);\n"
          "                          default " RW_AUDIT_DEFAULT_ROLE "\n"
          "      --external-id ID    the ExternalId the role's trust policy asks for\n"
          "  -f, --format FMT        table, json, csv or sarif (default: table on a\n"
          "                          terminal, json otherwise)\n" RW_CLI_VERBOSITY_HELP
          "  -h, --help              show this help\n"
          "\n"
          "Exit status: 0 nothing failed (PASS, WARN, NOT_APPLICABLE); 1 a check failed; 2 a\n"
          "check could not be made (ERROR: an AWS call refused, the permission named) or a\n"
          "usage error. A refused call makes its own check ERROR; the others still run.\n"
          "With --accounts: the worst status of the accounts; an account whose role cannot\n"
          "be assumed is one ERROR finding (account-access), and the others still run.\n",
          out);
}

static int list_checks(void) {
    const rw_audit_check_info *c;
    size_t n = rw_audit_checks(&c);
    for (size_t i = 0; i < n; i++) {
        printf("%-24s %s\n", c[i].id, c[i].title);
        printf("%-24s ", "");
        for (size_t k = 0; c[i].controls && c[i].controls[k]; k++)
            printf("%s%s", k ? ", " : "", c[i].controls[k]);
        printf("%s\n", c[i].controls && c[i].controls[0] ? "" : "(no control id)");
    }
    return 0;
}

/* --accounts: every account's findings, then the matrix; the worst exit status. -1 for an unknown
 * check id (a usage error); 2 when the accounts could not be listed. */
static int run_accounts(rw_aws_session *s, const rw_audit_accounts_opts *mo, const rw_audit_opts *o,
                        rw_audit_format fmt, int width) {
    rw_audit_accounts all;
    int rc = rw_audit_accounts_run(&all, s, mo, o);
    if (rc == RW_EINVAL) {
        rw_audit_accounts_free(&all);
        return -1;
    }
    if (rc != RW_OK) {
        rw_log_error("audit: %s", rw_error_last());
        rw_audit_accounts_free(&all);
        return 2;
    }
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_audit_accounts_write(&b, &all, fmt, width);
    fwrite(b.data ? b.data : "", 1, b.len, stdout);
    fflush(stdout);
    rw_buf_free(&b);
    for (size_t a = 0; a < all.n; a++) {
        const rw_audit_report *rep = &all.v[a].rep;
        for (size_t i = 0; i < rep->n; i++)
            if (rep->v[i].result == RW_AUDIT_ERROR)
                rw_log_error("audit: account %s: %s (%s) could not be checked: %s%s%s", all.v[a].id,
                             rep->v[i].id, rep->v[i].region,
                             rep->v[i].evidence ? rep->v[i].evidence : "",
                             rep->v[i].permission ? "; missing permission: " : "",
                             rep->v[i].permission ? rep->v[i].permission : "");
    }
    if (fmt != RW_AUDIT_TABLE && !rw_cli_quiet()) {
        rw_buf_init(&b, 0);
        rw_audit_accounts_matrix(&b, &all);
        rw_audit_accounts_summary(&b, &all);
        fprintf(stderr, "rootwatch audit:\n%s\n", b.data);
        rw_buf_free(&b);
    }
    rc = rw_audit_accounts_exit_status(&all);
    rw_audit_accounts_free(&all);
    return rc;
}

int rw_cmd_audit(int argc, char **argv) {
    enum {
        OPT_REGIONS = 1,
        OPT_DAYS,
        OPT_CHECK,
        OPT_LIST,
        OPT_ACCOUNTS,
        OPT_ROLE,
        OPT_EXTERNAL_ID
    };
    static const struct option opts[] = {RW_AWS_OPTS_LONGOPTS,
                                         RW_AWS_OPT_REGION_LONGOPT,
                                         {"regions", required_argument, 0, OPT_REGIONS},
                                         {"days", required_argument, 0, OPT_DAYS},
                                         {"check", required_argument, 0, OPT_CHECK},
                                         {"list-checks", no_argument, 0, OPT_LIST},
                                         {"accounts", required_argument, 0, OPT_ACCOUNTS},
                                         {"role", required_argument, 0, OPT_ROLE},
                                         {"external-id", required_argument, 0, OPT_EXTERNAL_ID},
                                         {"format", required_argument, 0, 'f'},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    rw_aws_opts ao = {0};
    /* as scan: a table for a person at a terminal, JSON for a program */
    rw_audit_format fmt = isatty(STDOUT_FILENO) ? RW_AUDIT_TABLE : RW_AUDIT_JSON;
    char **regions = NULL, **only = NULL, **accounts = NULL;
    const char *role = NULL, *external_id = NULL;
    bool org = false;
    int days = 90, c, rc = 2;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c) || rw_cli_aws_opt(c, &ao)) continue;
        switch (c) {
        case OPT_REGIONS:
            rw_cli_list_add_split(&regions, optarg);
            break;
        case OPT_DAYS: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 100000) {
                rw_error_set(RW_EINVAL, "--days takes a number of days (1 or more), not '%s'",
                             optarg);
                goto usage_error;
            }
            days = (int)v;
            break;
        }
        case OPT_CHECK:
            rw_cli_list_add_split(&only, optarg);
            break;
        case OPT_ACCOUNTS:
            if (!strcmp(optarg, "org"))
                org = true;
            else
                rw_cli_list_add_split(&accounts, optarg);
            break;
        case OPT_ROLE:
            role = optarg;
            break;
        case OPT_EXTERNAL_ID:
            external_id = optarg;
            break;
        case OPT_LIST:
            rw_cli_list_free(regions);
            rw_cli_list_free(only);
            rw_cli_list_free(accounts);
            return list_checks();
        case 'f':
            if (rw_audit_format_parse(&fmt, optarg) != RW_OK) goto usage_error;
            break;
        case 'h':
            usage(stdout);
            rw_cli_list_free(regions);
            rw_cli_list_free(only);
            rw_cli_list_free(accounts);
            return 0;
        default:
            rw_cli_bad_option(c, argv);
            goto usage_error;
        }
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "unexpected argument '%s'", argv[optind]);
        goto usage_error;
    }
    for (size_t i = 0; regions && regions[i]; i++)
        if (!*regions[i] ||
            strspn(regions[i], "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(regions[i])) {
            rw_error_set(RW_EINVAL, "--regions: '%s' is not a region name", regions[i]);
            goto usage_error;
        }
    bool many = org || accounts;
    if (org && accounts) {
        rw_error_set(RW_EINVAL, "--accounts takes org or a list of account ids, not both");
        goto usage_error;
    }
    for (size_t i = 0; accounts && accounts[i]; i++)
        if (strlen(accounts[i]) != 12 || strspn(accounts[i], "0123456789") != 12) {
            rw_error_set(RW_EINVAL, "--accounts: '%s' is not an account id (12 digits)",
                         accounts[i]);
            goto usage_error;
        }
    if (many && !role) role = RW_AUDIT_DEFAULT_ROLE;
    if (!many && (role || external_id)) {
        rw_error_set(RW_EINVAL, "%s is for --accounts", role ? "--role" : "--external-id");
        goto usage_error;
    }
    if (role && rw_audit_role_check(role) != RW_OK) goto usage_error;
    rw_audit_opts o = {.regions = (const char *const *)regions,
                       .days = days,
                       .now = rw_time_now(),
                       .only = (const char *const *)only};
    rw_aws_session s;
    if (rw_aws_session_open(&s, &ao) != RW_OK) {
        rw_aws_session_close(&s);
        goto out;
    }
    int width = 100;
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 60)
        width = ws.ws_col;
    if (many) {
        rw_audit_accounts_opts mo = {
            .ids = (const char *const *)accounts, .role = role, .external_id = external_id};
        rc = run_accounts(&s, &mo, &o, fmt, width);
        rw_aws_session_close(&s);
        if (rc < 0) goto usage_error;
        goto out;
    }
    rw_audit_report rep;
    if (rw_audit_run(&rep, &s, &o) != RW_OK) {
        rw_aws_session_close(&s);
        goto usage_error;
    }
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_audit_write(&b, &rep, fmt, rep.account, width);
    fwrite(b.data ? b.data : "", 1, b.len, stdout);
    fflush(stdout);
    rw_buf_free(&b);
    for (size_t i = 0; i < rep.n; i++)
        if (rep.v[i].result == RW_AUDIT_ERROR)
            rw_log_error("audit: %s (%s) could not be checked: %s%s%s", rep.v[i].id,
                         rep.v[i].region, rep.v[i].evidence ? rep.v[i].evidence : "",
                         rep.v[i].permission ? "; missing permission: " : "",
                         rep.v[i].permission ? rep.v[i].permission : "");
    if (fmt != RW_AUDIT_TABLE && !rw_cli_quiet()) {
        rw_buf_init(&b, 0);
        rw_audit_summary(&b, &rep);
        fprintf(stderr, "rootwatch audit: %s\n", b.data);
        rw_buf_free(&b);
    }
    rc = rw_audit_exit_status(&rep);
    rw_audit_report_free(&rep);
    rw_aws_session_close(&s);
out:
    rw_cli_list_free(regions);
    rw_cli_list_free(only);
    rw_cli_list_free(accounts);
    return rc;
usage_error:
    rw_cli_list_free(regions);
    rw_cli_list_free(only);
    rw_cli_list_free(accounts);
    return rw_cli_usage_error("audit");
}

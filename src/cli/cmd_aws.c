/* rootwatch aws: the AWS side of rootwatch's setup. `aws whoami` says who rootwatch is signed in
 * as, and where the credentials, the region and the endpoints came from (never a secret). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "cli/aws_opt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch aws whoami [options]\n"
          "\n"
          "Calls STS GetCallerIdentity with the credentials rootwatch finds, and prints the\n"
          "account, the caller's ARN, where the credentials came from, the region and the STS\n"
          "endpoint. Secrets are never printed. Credentials are looked for as the AWS CLI does:\n"
          "--profile, the environment, web identity, the shared files (profiles, role_arn,\n"
          "credential_process), container credentials, EC2 instance metadata (IMDSv2).\n"
          "\n"
          "options:\n" RW_AWS_OPTS_HELP RW_AWS_OPT_REGION_HELP
          "  -f, --format FMT        text or json (default: text)\n" RW_CLI_VERBOSITY_HELP
          "                          (-v logs each retry of an AWS call; -vv also where the\n"
          "                          credentials were found)\n"
          "  -h, --help              show this help\n"
          "\n"
          "Exit status: 0 the credentials work, 2 they do not (or a usage error).\n",
          out);
}

/* The access key id with all but its last 4 characters masked, as `aws configure list` shows it. */
static void mask(const char *id, char *out, size_t cap) {
    size_t n = strlen(id);
    size_t keep = n > 4 ? 4 : 0;
    size_t o = 0;
    for (size_t i = 0; i + keep < n && o + 1 < cap; i++) out[o++] = '*';
    for (size_t i = n - keep; i < n && o + 1 < cap; i++) out[o++] = id[i];
    out[o] = 0;
}

static int whoami(int argc, char **argv) {
    static const struct option opts[] = {RW_AWS_OPTS_LONGOPTS,
                                         RW_AWS_OPT_REGION_LONGOPT,
                                         {"format", required_argument, 0, 'f'},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    rw_aws_opts ao = {0};
    int json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c) || rw_cli_aws_opt(c, &ao)) continue;
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "json"))
                json = 1;
            else if (strcmp(optarg, "text")) {
                rw_error_set(RW_EINVAL, "--format takes text or json, not '%s'", optarg);
                return rw_cli_usage_error("aws whoami");
            }
            break;
        default:
            return rw_cli_help_or_bad_option(c, argv, "aws whoami", usage);
        }
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "unexpected argument '%s'", argv[optind]);
        return rw_cli_usage_error("aws whoami");
    }
    rw_aws_session s;
    if (rw_aws_session_open(&s, &ao) != RW_OK) return 2;
    int rc = 2;
    rw_aws_creds *cr = NULL;
    rw_aws_client *cl = NULL;
    rw_xml *x = NULL;
    if (rw_aws_provider_get(s.creds, rw_time_now(), &cr) != RW_OK) {
        rw_log_error("%s", rw_error_last());
        goto out;
    }
    cl = rw_aws_client_new(s.cfg, s.creds, NULL);
    if (rw_aws_query(cl, &rw_aws_sts, NULL, "GetCallerIdentity", NULL, &x) != RW_OK) {
        rw_log_error("%s", rw_error_last());
        rw_log_error("the credentials came from %s", cr->source);
        goto out;
    }
    const char *account = rw_xml_text(x, "GetCallerIdentityResult/Account");
    const char *arn = rw_xml_text(x, "GetCallerIdentityResult/Arn");
    const char *user = rw_xml_text(x, "GetCallerIdentityResult/UserId");
    char masked[64], expires[32] = "";
    mask(cr->access_key_id, masked, sizeof masked);
    if (cr->expires) rw_time_format(cr->expires, expires);
    char *sts = rw_aws_endpoint(s.cfg, "sts", s.cfg->region ? s.cfg->region : "us-east-1");
    const char *region = s.cfg->region ? s.cfg->region : "(none)";
    const char *region_src =
        s.cfg->region_source ? s.cfg->region_source : "not set anywhere; us-east-1 is used";
    if (json) {
        rw_buf b;
        rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
        const char *kv[][2] = {{"Account", account},
                               {"Arn", arn},
                               {"UserId", user},
                               {"AccessKeyId", masked},
                               {"CredentialSource", cr->source},
                               {"Expiration", cr->expires ? expires : NULL},
                               {"Profile", s.cfg->profile},
                               {"Region", s.cfg->region},
                               {"RegionSource", s.cfg->region_source},
                               {"StsEndpoint", sts}};
        rw_buf_putc(&b, '{');
        for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
            rw_buf_printf(&b, "%s\"%s\":", i ? "," : "", kv[i][0]);
            if (kv[i][1])
                rw_json_write_str(&b, kv[i][1], strlen(kv[i][1]));
            else
                rw_buf_puts(&b, "null");
        }
        rw_buf_puts(&b, "}\n");
        fputs(b.data, stdout);
        rw_buf_free(&b);
    } else {
        printf("Account:      %s\n", account ? account : "?");
        printf("Arn:          %s\n", arn ? arn : "?");
        printf("UserId:       %s\n", user ? user : "?");
        printf("Access key:   %s%s\n", masked,
               cr->session_token ? " (temporary, with a session token)" : "");
        printf("Credentials:  %s\n", cr->source);
        if (cr->expires) printf("Expires:      %s\n", expires);
        printf("Profile:      %s\n", s.cfg->profile);
        printf("Region:       %s (%s)\n", region, region_src);
        printf("STS endpoint: %s\n", sts);
    }
    free(sts);
    rc = 0;
out:
    rw_xml_free(x);
    rw_aws_client_free(cl);
    rw_aws_creds_free(cr);
    rw_aws_session_close(&s);
    return rc;
}

int rw_cmd_aws(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "whoami")) return whoami(argc - 1, argv + 1);
    rw_log_error("unknown aws command '%s' (there is: whoami)", argv[1]);
    return 2;
}

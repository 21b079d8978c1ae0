/* rootwatch deploy: the AWS side of rootwatch. `deploy template` prints the CloudFormation stack
 * (src/deploy/template.c; docs/lambda.md, "The stack"); `deploy test` proves a deployed one end to
 * end (src/deploy/stacktest.c; docs/lambda.md, "deploy test"); `deploy apply` and `deploy destroy`
 * create through the APIs what audit would fail on, and remove it (src/deploy/apply.c;
 * docs/deploy.md). Subcommands are rows of one table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/aws_opt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "deploy/apply.h"
#include "deploy/emit.h"
#include "deploy/stacktest.h"
#include "deploy/template.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char template_help[] =
    "usage: rootwatch deploy template [--format yaml|json] [--variant hub|forwarder]\n"
    "\n"
    "Prints the CloudFormation template that runs rootwatch on AWS:\n"
    "  hub        an EventBridge rule (every use of the root user: API calls, read-only ones\n"
    "             too, console sign-ins) invoking the rootwatch function, which publishes to an\n"
    "             SNS topic encrypted with alias/aws/sns and its email subscribers; the "
    "function's\n"
    "             role, log group, dead-letter queue and (by choice) its idempotency table\n"
    "  forwarder  the same rule in another region, sending to the hub region's default bus\n"
    "Deploy the hub in one region (us-east-1 sees root console sign-ins) and a forwarder in\n"
    "every other region; docs/lambda.md (\"The stack\") tells the parameters and an\n"
    "organization's setup with StackSets.\n"
    "\n"
    "options:\n"
    "  -f, --format FMT        yaml or json (default: yaml)\n"
    "      --variant NAME      hub or forwarder (default: hub)\n"
    "  -o, --output FILE       write the template to FILE instead of standard "
    "output\n" RW_CLI_VERBOSITY_HELP "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 the template was written, 2 a usage error or a write error.\n";

static int template_cmd(int argc, char **argv) {
    enum { O_VARIANT = 256 };
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'}, {"variant", required_argument, 0, O_VARIANT},
        {"output", required_argument, 0, 'o'}, RW_CLI_VERBOSITY_LONGOPTS,
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    bool json = false;
    rw_deploy_variant variant = RW_DEPLOY_HUB;
    const char *path = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:o:h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "json"))
                json = true;
            else if (!strcmp(optarg, "yaml"))
                json = false;
            else {
                rw_error_set(RW_EINVAL, "--format takes yaml or json, not '%s'", optarg);
                return rw_cli_usage_error("deploy template");
            }
            break;
        case O_VARIANT:
            if (rw_deploy_variant_parse(&variant, optarg) != RW_OK)
                return rw_cli_usage_error("deploy template");
            break;
        case 'o':
            path = optarg;
            break;
        case 'h':
            fputs(template_help, stdout);
            return 0;
        default:
            rw_cli_bad_option(c, argv);
            return rw_cli_usage_error("deploy template");
        }
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "unexpected argument '%s'", argv[optind]);
        return rw_cli_usage_error("deploy template");
    }
    int rc = 2;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf out;
    rw_buf_init(&out, 0);
    FILE *f = NULL;
    if (rw_deploy_template_build(doc, variant) != RW_OK) goto fail;
    if (!json &&
        rw_buf_printf(&out,
                      "# rootwatch %s, deploy template --variant %s: docs/lambda.md tells its "
                      "parameters\n",
                      RW_VERSION, rw_deploy_variant_name(variant)) != RW_OK)
        goto fail;
    if ((json ? rw_deploy_emit_json : rw_deploy_emit_yaml)(&out, rw_json_doc_root(doc)) != RW_OK)
        goto fail;
    f = path ? fopen(path, "w") : stdout;
    if (!f) {
        rw_log_error("%s: %s", path, strerror(errno));
        goto out;
    }
    if (fwrite(out.data, 1, out.len, f) != out.len || fflush(f) != 0) {
        rw_log_error("%s: write error: %s", path ? path : "standard output", strerror(errno));
        goto out;
    }
    if (path && fclose(f) != 0) {
        f = NULL;
        rw_log_error("%s: %s", path, strerror(errno));
        goto out;
    }
    f = NULL;
    if (path) rw_log_info("wrote the %s template to %s", rw_deploy_variant_name(variant), path);
    rc = 0;
    goto out;
fail:
    rw_log_error("%s", rw_error_last());
out:
    if (f && f != stdout) fclose(f);
    rw_buf_free(&out);
    rw_json_doc_free(doc);
    return rc;
}

static const char test_help[] =
    "usage: rootwatch deploy test --stack NAME [--region R] [--profile P] [--endpoint-url URL]\n"
    "\n"
    "Proves a deployed hub stack (`rootwatch deploy template`) end to end, one step after the\n"
    "other, one line each (OK, FAIL or SKIP, the step, what was read), stopping at the first\n"
    "that fails:\n"
    "  stack        the stack's EventBridge rule, Lambda function and SNS topic\n"
    "  rule         the rule read back: its ARN, pattern and state\n"
    "  pattern      the pattern through rootwatch's own matcher: a root console sign-in, a root\n"
    "               write call and a root read-only call must match; an IAM user's call and a\n"
    "               root call invoked by an AWS service must not\n"
    "  eventbridge  the same through EventBridge's TestEventPattern (SKIP where the service\n"
    "               does not answer it, as moto)\n"
    "  state        ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (plain ENABLED misses root\n"
    "               read-only calls)\n"
    "  function     the function's configuration: SNS_TOPIC_ARN is the stack's topic\n"
    "  target       the rule's target is the stack's function\n"
    "  permission   the function's resource policy lets EventBridge invoke it for the rule\n"
    "  invoke       the function invoked with a test event (eventName RootwatchDeployTest,\n"
    "               eventID rootwatch-deploy-test-...): one alert, published to the topic.\n"
    "               The topic's subscribers receive it, with RootwatchDeployTest in the subject.\n"
    "\n"
    "The caller needs cloudformation:ListStackResources, events:DescribeRule,\n"
    "events:TestEventPattern, events:ListTargetsByRule, lambda:GetFunctionConfiguration,\n"
    "lambda:GetPolicy and lambda:InvokeFunction.\n"
    "\n"
    "options:\n"
    "      --stack NAME        the stack's name or ID (required)\n" RW_AWS_OPT_REGION_HELP
        RW_AWS_OPTS_HELP RW_CLI_VERBOSITY_HELP "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 every step passed, 1 a step failed (no credentials fail the first), 2 a\n"
    "usage error or AWS settings that cannot be read (an unknown --profile).\n";

static int test_cmd(int argc, char **argv) {
    enum { O_STACK = 256 };
    static const struct option opts[] = {{"stack", required_argument, 0, O_STACK},
                                         RW_AWS_OPTS_LONGOPTS,
                                         RW_AWS_OPT_REGION_LONGOPT,
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    rw_aws_opts ao = {0};
    rw_stacktest_opts to = {.out = stdout};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c) || rw_cli_aws_opt(c, &ao)) continue;
        switch (c) {
        case O_STACK:
            to.stack = optarg;
            break;
        case 'h':
            fputs(test_help, stdout);
            return 0;
        default:
            rw_cli_bad_option(c, argv);
            return rw_cli_usage_error("deploy test");
        }
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "unexpected argument '%s'", argv[optind]);
        return rw_cli_usage_error("deploy test");
    }
    if (!to.stack || !*to.stack) {
        rw_error_set(RW_EINVAL, "--stack NAME is needed: the stack to test");
        return rw_cli_usage_error("deploy test");
    }
    rw_aws_session s;
    if (rw_aws_session_open(&s, &ao) != RW_OK) {
        rw_aws_session_close(&s);
        return 2;
    }
    to.now = rw_time_now();
    to.nonce = (unsigned)getpid();
    int rc = rw_deploy_stack_test(&s, &to);
    rw_aws_session_close(&s);
    if (rc == RW_OK) {
        printf("deploy test of stack %s: every step passed\n", to.stack);
        return 0;
    }
    rw_log_error("deploy test of stack %s: %s", to.stack, rw_error_last());
    return 1;
}

static const char apply_help[] =
    "usage: rootwatch deploy apply --email ADDRESS [--regions LIST] [--dry-run]\n"
    "                              [--region R] [--profile P] [--endpoint-url URL]\n"
    "\n"
    "Creates through the AWS APIs what `rootwatch audit` would fail on and is safe to create,\n"
    "one line per step (created, updated, already there, yours: left as it is, skipped and\n"
    "why, REFUSED, FAILED); a second run changes nothing and says so:\n"
    "  bucket        rootwatch-trail-ACCOUNT-REGION: CloudTrail's bucket policy (aws:SourceArn),\n"
    "                public access blocked, default encryption\n"
    "  log group     rootwatch/cloudtrail (retention 90 days)\n"
    "  role          rootwatch-cloudtrail-logs: CloudTrail writes to that log group, nothing else\n"
    "  trail         rootwatch: multi-region, log file validation, every management event,\n"
    "                delivering to the log group; logging\n"
    "  metric filter rootwatch-root-usage: CIS's root filter -> rootwatch/RootAccountUsage\n"
    "  topic         rootwatch-root-activity in each region, with the email subscription\n"
    "  alarm         rootwatch-root-usage: Sum >= 1 over 300 s, to the topic\n"
    "  rule          rootwatch-root-activity in us-east-1, the region and --regions: deploy\n"
    "                template's pattern, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, to the "
    "topic\n"
    "  config rule   ROOT_ACCOUNT_MFA_ENABLED, only where a configuration recorder is recording\n"
    "                (a recorder is never created: it is billed)\n"
    "Each carries the tag rootwatch:managed=true. A resource of the same name without it is\n"
    "refused, never changed; a trail, filter, alarm or rule of yours that already does the job\n"
    "is left as it is. Confirming the subscription and root MFA are a person's to do.\n"
    "docs/deploy.md says what it costs.\n"
    "\n"
    "options:\n"
    "      --email ADDRESS     subscribed to each topic (required)\n"
    "      --regions LIST      more regions for the rule and topic, comma-separated\n"
    "                          (us-east-1 and the region are always there)\n"
    "      --dry-run           print the plan; call no API that changes "
    "anything\n" RW_AWS_OPT_REGION_HELP RW_AWS_OPTS_HELP RW_CLI_VERBOSITY_HELP
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 every step ended well, 1 a step failed or was refused, 2 a usage error or\n"
    "AWS settings that cannot be read.\n";

static const char destroy_help[] =
    "usage: rootwatch deploy destroy [--regions LIST] [--delete-bucket] [--dry-run]\n"
    "                                [--region R] [--profile P] [--endpoint-url URL]\n"
    "\n"
    "Removes what `rootwatch deploy apply` created, found by name and confirmed by its tag\n"
    "rootwatch:managed=true, and nothing else: rules (us-east-1, the region, --regions: give\n"
    "the regions apply was given), the Config rule, the alarm, the topics and their\n"
    "subscriptions, the trail, the metric filter, the log group, the role. The trail's bucket\n"
    "and the logs in it are kept unless --delete-bucket.\n"
    "\n"
    "options:\n"
    "      --regions LIST      the regions apply was given, comma-separated\n"
    "      --delete-bucket     delete the trail's bucket and every log file in it too\n"
    "      --dry-run           print what would be deleted; delete nothing\n" RW_AWS_OPT_REGION_HELP
        RW_AWS_OPTS_HELP RW_CLI_VERBOSITY_HELP "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 every step ended well, 1 a step failed, 2 a usage error.\n";

static int apply_or_destroy(int argc, char **argv, bool destroy) {
    enum { O_EMAIL = 256, O_REGIONS, O_DRY, O_DELETE_BUCKET };
    static const struct option opts[] = {{"email", required_argument, 0, O_EMAIL},
                                         {"regions", required_argument, 0, O_REGIONS},
                                         {"dry-run", no_argument, 0, O_DRY},
                                         {"delete-bucket", no_argument, 0, O_DELETE_BUCKET},
                                         RW_AWS_OPTS_LONGOPTS,
                                         RW_AWS_OPT_REGION_LONGOPT,
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *name = destroy ? "deploy destroy" : "deploy apply";
    rw_aws_opts ao = {0};
    rw_apply_opts o = {.out = stdout};
    char **regions = NULL;
    int c, rc = 2;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c) || rw_cli_aws_opt(c, &ao)) continue;
        switch (c) {
        case O_EMAIL:
            if (destroy) {
                rw_error_set(RW_EINVAL, "--email is for deploy apply (destroy subscribes no one)");
                rw_cli_usage_error(name);
                goto out;
            }
            o.email = optarg;
            break;
        case O_REGIONS:
            rw_cli_list_add_split(&regions, optarg);
            break;
        case O_DRY:
            o.dry_run = true;
            break;
        case O_DELETE_BUCKET:
            if (!destroy) {
                rw_error_set(RW_EINVAL, "--delete-bucket is for deploy destroy");
                rw_cli_usage_error(name);
                goto out;
            }
            o.delete_bucket = true;
            break;
        case 'h':
            fputs(destroy ? destroy_help : apply_help, stdout);
            rc = 0;
            goto out;
        default:
            rw_cli_bad_option(c, argv);
            rw_cli_usage_error(name);
            goto out;
        }
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "unexpected argument '%s'", argv[optind]);
        rw_cli_usage_error(name);
        goto out;
    }
    for (size_t i = 0; regions && regions[i]; i++)
        if (!*regions[i] ||
            strspn(regions[i], "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(regions[i])) {
            rw_error_set(RW_EINVAL, "--regions: '%s' is not a region name", regions[i]);
            rw_cli_usage_error(name);
            goto out;
        }
    if (!destroy) {
        const char *at = o.email ? strchr(o.email, '@') : NULL;
        if (!o.email || !at || at == o.email || !at[1] || strpbrk(o.email, " \t\r\n,;<>")) {
            rw_error_set(RW_EINVAL,
                         o.email ? "--email: '%s' is not an email address"
                                 : "--email ADDRESS is needed: who hears of root use%s",
                         o.email ? o.email : "");
            rw_cli_usage_error(name);
            goto out;
        }
    }
    o.regions = (const char *const *)regions;
    rw_aws_session s;
    if (rw_aws_session_open(&s, &ao) != RW_OK) {
        rw_aws_session_close(&s);
        goto out;
    }
    int r = destroy ? rw_deploy_destroy(&s, &o) : rw_deploy_apply(&s, &o);
    rw_aws_session_close(&s);
    if (r == RW_OK) {
        rc = 0;
    } else {
        rw_log_error("%s: %s", name, rw_error_last());
        rc = 1;
    }
out:
    rw_cli_list_free(regions);
    return rc;
}

static int apply_cmd(int argc, char **argv) {
    return apply_or_destroy(argc, argv, false);
}

static int destroy_cmd(int argc, char **argv) {
    return apply_or_destroy(argc, argv, true);
}

/* The subcommands: a new one is a function and a row here. */
static const struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommands[] = {
    {"template", template_cmd, "print the CloudFormation template (hub or forwarder)"},
    {"test", test_cmd, "prove a deployed hub stack end to end (rule, pattern, function, SNS)"},
    {"apply", apply_cmd, "create what audit would fail on, through the APIs (idempotent)"},
    {"destroy", destroy_cmd, "remove what apply created, and nothing else"},
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *out) {
    fputs("usage: rootwatch deploy COMMAND [options]\n\ncommands:\n", out);
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fputs("\n'rootwatch deploy COMMAND --help' tells more.\n", out);
}

int rw_cmd_deploy(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        if (!strcmp(argv[1], subcommands[i].name)) return subcommands[i].run(argc - 1, argv + 1);
    rw_buf names;
    rw_buf_init(&names, 0);
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        rw_buf_printf(&names, "%s%s", i ? ", " : "", subcommands[i].name);
    rw_log_error("unknown deploy command '%s' (there is: %s)", argv[1], names.data);
    rw_buf_free(&names);
    return 2;
}

/* rootwatch deploy: the AWS side of rootwatch. `deploy template` prints the CloudFormation stack
 * (src/deploy/template.c; docs/lambda.md, "The stack"). Subcommands are rows of one table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "deploy/emit.h"
#include "deploy/template.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"

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

/* The subcommands: a new one is a function and a row here. */
static const struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommands[] = {
    {"template", template_cmd, "print the CloudFormation template (hub or forwarder)"},
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

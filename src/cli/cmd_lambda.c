/* rootwatch lambda (and the binary started as bootstrap): the Lambda function of a custom runtime.
 * Options and wiring: the settings from the environment Lambda sets, the rules, the channels, the
 * store; then the Runtime API loop (src/lambda). docs/lambda.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/rules_opt.h"
#include "lambda/function.h"
#include "lambda/runtime.h"
#include "notify/notify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timeutil.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch lambda [options]   (or the binary named bootstrap)\n"
          "\n"
          "Runs as an AWS Lambda function (custom runtime, provided.al2023): takes invocations\n"
          "from the Lambda Runtime API (EventBridge events of CloudTrail, SQS batches and SNS\n"
          "events wrapping them), finds root activity with the same rules as scan, and publishes\n"
          "each root alert to the SNS topic of SNS_TOPIC_ARN with the subject of AWS's blog\n"
          "solution. Logs are JSON lines on standard error. docs/lambda.md tells more.\n"
          "\n"
          "options:\n" RW_CLI_VERBOSITY_HELP
          "                          (default here: one line per invocation)\n"
          "  -h, --help              show this help\n"
          "\n"
          "environment:\n"
          "  AWS_LAMBDA_RUNTIME_API  the Runtime API (HOST:PORT; set by Lambda)\n"
          "  SNS_TOPIC_ARN           the topic alerts are published to (required)\n"
          "  ROOTWATCH_CONFIG        a notification configuration with more channels (default:\n"
          "                          $LAMBDA_TASK_ROOT/rootwatch.yaml when the package has one)\n"
          "  IDEMPOTENCY_TABLE       a DynamoDB table in which each eventID is claimed before it\n"
          "                          is published: once across concurrent instances\n"
          "  ROOTWATCH_STORE         the store of this instance (default "
          "/tmp/rootwatch/rootwatch.db)\n"
          "  ROOTWATCH_LAMBDA_MARGIN_MS  no publish starts closer than this to the invocation's\n"
          "                          deadline (default 1000)\n"
          "  AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (set by\n"
          "  Lambda), AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> as everywhere.\n",
          out);
}

/* Tells Lambda the function cannot start (when the Runtime API is there to tell), and logs it. */
static int init_error(rw_lambda_runtime *rt, const char *msg) {
    rw_log_error("cannot start: %s", msg);
    if (rt && rw_lambda_runtime_error(rt, NULL, "rootwatch.InitError", msg) != RW_OK)
        rw_log_error("%s", rw_error_last());
    return 1;
}

int rw_cmd_lambda(int argc, char **argv) {
    static const struct option opts[] = {
        RW_CLI_VERBOSITY_LONGOPTS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        rw_cli_bad_option(c, argv);
        return rw_cli_usage_error("lambda");
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "rootwatch lambda takes no arguments ('%s')", argv[optind]);
        return rw_cli_usage_error("lambda");
    }
    rw_log_set_json(1);
    /* one line per invocation unless told otherwise */
    rw_log_set_level(rw_cli_verbose() ? RW_LOG_DEBUG : rw_cli_quiet() ? RW_LOG_WARN : RW_LOG_INFO);

    rw_lambda_runtime *rt = NULL;
    rw_ruleset *rules = NULL;
    rw_notify_config *extra = NULL;
    rw_lambda_fn *fn = NULL;
    rw_buf path;
    rw_buf_init(&path, 0);
    int rc = 1;
    if (rw_lambda_runtime_new(&rt, getenv("AWS_LAMBDA_RUNTIME_API")) != RW_OK) {
        rc = init_error(NULL, rw_error_last());
        goto out;
    }
    rules = rw_cli_load_rules(true, NULL, rw_time_now());
    if (!rules) {
        rc = init_error(rt, "the built-in rules cannot be loaded");
        goto out;
    }
    const char *config = getenv("ROOTWATCH_CONFIG");
    const char *root = getenv("LAMBDA_TASK_ROOT");
    struct stat st;
    if ((!config || !*config) && root && *root) {
        rw_buf_printf(&path, "%s/rootwatch.yaml", root);
        if (stat(path.data, &st) == 0) config = path.data;
    }
    if (config && *config) {
        if (rw_notify_config_load(&extra, config) != RW_OK) {
            if (config != path.data) rw_error_wrap(RW_EINVAL, "ROOTWATCH_CONFIG");
            rc = init_error(rt, rw_error_last());
            goto out;
        }
        rw_log_info("channels of %s loaded: %zu", config, extra->nchannels);
    }
    const char *store = getenv("ROOTWATCH_STORE");
    const char *margin = getenv("ROOTWATCH_LAMBDA_MARGIN_MS");
    rw_lambda_fn_opts fo = {.rules = rules,
                            .topic_arn = getenv("SNS_TOPIC_ARN"),
                            .extra = extra,
                            .store_path = store && *store ? store : "/tmp/rootwatch/rootwatch.db",
                            .idempotency_table = getenv("IDEMPOTENCY_TABLE"),
                            .margin_ms = 1000};
    if (margin && *margin) {
        /* at most Lambda's longest timeout */
        size_t n = strlen(margin);
        if (n > 6 || strspn(margin, "0123456789") != n || strtol(margin, NULL, 10) > 900000) {
            rw_error_set(RW_EINVAL,
                         "ROOTWATCH_LAMBDA_MARGIN_MS '%.40s' is not a number of milliseconds "
                         "from 0 to 900000",
                         margin);
            rc = init_error(rt, rw_error_last());
            goto out;
        }
        fo.margin_ms = strtol(margin, NULL, 10);
    }
    if (rw_lambda_fn_new(&fn, &fo) != RW_OK) {
        rc = init_error(rt, rw_error_last());
        goto out;
    }
    /* SIGTERM (Lambda's shutdown) and SIGINT: the invocation in hand is answered, then exit 0 */
    rw_signal_install();
    rc = rw_lambda_runtime_loop(rt, rw_lambda_fn_invoke, fn) == RW_OK ? 0 : 1;
    if (rc) rw_log_error("%s", rw_error_last());
out:
    rw_lambda_fn_free(fn);
    rw_notify_config_free(extra);
    rw_ruleset_free(rules);
    rw_lambda_runtime_free(rt);
    rw_buf_free(&path);
    return rc;
}

/* rootwatch iam-policy: the least IAM policy a command needs (deploy/policy.h; docs/watch.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "deploy/policy.h"
#include "deploy/template.h"
#include "notify/notify.h"
#include "sources/watch_config.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch iam-policy --for scan|watch|lambda|deploy|audit|deploy-apply\n"
          "                            [options]\n"
          "\n"
          "Prints the least IAM policy (JSON) the command needs: the actions rootwatch calls,\n"
          "each on the narrowest resource that works. Say what the command will use; each\n"
          "option adds the statements it needs. With none of them, every statement of the\n"
          "command is printed with placeholders (<trail-bucket>) to fill in, named on stderr.\n"
          "\n"
          "options:\n"
          "      --for COMMAND       scan, watch, lambda (the function's role, as the stack\n"
          "                          grants it), deploy (rootwatch deploy test), audit\n"
          "                          (rootwatch audit: its read calls, on \"*\") or\n"
          "                          deploy-apply (rootwatch deploy apply and destroy: its own\n"
          "                          resources by name, reads on \"*\")\n"
          "      --bucket NAME       a trail bucket read (s3:// scans, s3 sources, S3\n"
          "                          notifications on a queue); repeatable\n"
          "      --prefix PREFIX     the trail's prefix in those buckets\n"
          "      --queue URL|ARN     an SQS queue watched; repeatable\n"
          "      --lookup-events     CloudTrail event history is read\n"
          "      --all-regions       --regions all is used (ec2:DescribeRegions)\n"
          "      --topic ARN         an SNS topic alerts are published to; repeatable\n"
          "      --kms-key ARN       a KMS key encrypting the bucket or the queue; repeatable\n"
          "      --config FILE       add the topics of the configuration's sns channels, and\n"
          "                          with --for watch its sources (queues, buckets and their\n"
          "                          prefix, event history)\n"
          "      --table ARN         lambda: the idempotency table\n"
          "      --dlq ARN           lambda: the dead-letter queue\n"
          "      --log-group ARN     lambda: the function's log group\n"
          "      --stack NAME        deploy: the stack (with --region, --account to narrow)\n"
          "      --function NAME     deploy: the stack's function (its FunctionName parameter;\n"
          "                          default " RW_DEPLOY_DEFAULT_FUNCTION ")\n"
          "      --region REGION     deploy: the stack's region; deploy-apply: the trail's\n"
          "      --account ID        deploy: the stack's account; deploy-apply: the account\n"
          "      --partition NAME    aws (default), aws-cn or aws-us-gov\n"
          "  -h, --help              show this help\n"
          "\n"
          "Exit status: 0 printed; 2 an error.\n",
          out);
}

/* The topics of the sns channels of the configuration at path, appended to topics (copies). */
static int config_topics(char ***topics, const char *path) {
    rw_notify_config *c = NULL;
    if (rw_notify_config_load(&c, path) != RW_OK) return RW_EINVAL;
    for (size_t i = 0; i < c->nchannels; i++)
        if (!strcmp(c->channels[i]->type->type, "sns"))
            rw_cli_list_add(topics, rw_opt_str(c->channels[i]->opts, "topic_arn"));
    rw_notify_config_free(c);
    return RW_OK;
}

/* What rootwatch watch's sources in the configuration at path read: their queues and buckets
 * (appended, copies), the trail prefix of the s3 sources (*prefix, a copy, when they have one and
 * the same; the part before AWSLogs/), event history and its regions. */
static int config_sources(rw_policy_input *in, char ***queues, char ***buckets, char **prefix,
                          const char *path) {
    rw_buf text;
    rw_buf_init(&text, 16 << 20);
    rw_buf_set_secret(&text); /* it may hold secrets */
    rw_watch_config *wc = NULL;
    int rc = rw_buf_read_file(&text, path);
    if (rc != RW_OK) rw_error_wrap(rc, "cannot read the configuration");
    if (rc == RW_OK) rc = rw_watch_config_parse(&wc, text.data ? text.data : "", text.len, path);
    rw_buf_free(&text);
    for (size_t i = 0; rc == RW_OK && i < wc->n; i++) {
        const rw_watch_source_conf *sc = &wc->sources[i];
        const char *type = sc->type->type;
        if (!strcmp(type, "sqs")) {
            rw_cli_list_add(queues, rw_opt_str(sc->opts, "queue_url"));
        } else if (!strcmp(type, "s3")) {
            rw_cli_list_add(buckets, rw_opt_str(sc->opts, "bucket"));
            const char *p = rw_opt_str(sc->opts, "prefix");
            p = p ? p : "";
            const char *logs = strstr(p, "AWSLogs");
            size_t n = logs ? (size_t)(logs - p) : strlen(p);
            while (n && p[n - 1] == '/') n--;
            char *mine = strndup(p, n);
            if (!*prefix) {
                *prefix = mine;
            } else {
                bool same = !strcmp(*prefix, mine);
                free(mine);
                if (!same)
                    rc = rw_error_set(RW_EINVAL,
                                      "%s: the s3 sources have trails under different prefixes: "
                                      "give --prefix (one policy per prefix)",
                                      path);
            }
        } else if (!strcmp(type, "lookup-events")) {
            in->lookup = true;
            const char *const *r = rw_opt_list(sc->opts, "regions");
            for (; r && *r; r++)
                if (!strcmp(*r, "all")) in->all_regions = true;
        }
    }
    rw_watch_config_free(wc);
    return rc;
}

enum {
    O_FOR = 256,
    O_BUCKET,
    O_PREFIX,
    O_QUEUE,
    O_LOOKUP,
    O_ALLREG,
    O_TOPIC,
    O_KMS,
    O_CONFIG,
    O_TABLE,
    O_DLQ,
    O_LOGS,
    O_STACK,
    O_FUNCTION,
    O_REGION,
    O_ACCOUNT,
    O_PARTITION
};

int rw_cmd_iam_policy(int argc, char **argv) {
    static const struct option opts[] = {{"for", required_argument, 0, O_FOR},
                                         {"bucket", required_argument, 0, O_BUCKET},
                                         {"prefix", required_argument, 0, O_PREFIX},
                                         {"queue", required_argument, 0, O_QUEUE},
                                         {"lookup-events", no_argument, 0, O_LOOKUP},
                                         {"all-regions", no_argument, 0, O_ALLREG},
                                         {"topic", required_argument, 0, O_TOPIC},
                                         {"kms-key", required_argument, 0, O_KMS},
                                         {"config", required_argument, 0, O_CONFIG},
                                         {"table", required_argument, 0, O_TABLE},
                                         {"dlq", required_argument, 0, O_DLQ},
                                         {"log-group", required_argument, 0, O_LOGS},
                                         {"stack", required_argument, 0, O_STACK},
                                         {"function", required_argument, 0, O_FUNCTION},
                                         {"region", required_argument, 0, O_REGION},
                                         {"account", required_argument, 0, O_ACCOUNT},
                                         {"partition", required_argument, 0, O_PARTITION},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    rw_policy_input in = {0};
    char **buckets = NULL, **queues = NULL, **topics = NULL, **kms = NULL;
    const char *what = NULL, *config = NULL;
    char *config_prefix = NULL; /* the s3 sources' trail prefix (--config, --for watch) */
    int c, rc = 2;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_FOR:
            what = optarg;
            break;
        case O_BUCKET:
            rw_cli_list_add(&buckets, optarg);
            break;
        case O_PREFIX:
            in.prefix = optarg;
            break;
        case O_QUEUE:
            rw_cli_list_add(&queues, optarg);
            break;
        case O_LOOKUP:
            in.lookup = true;
            break;
        case O_ALLREG:
            in.all_regions = in.lookup = true;
            break;
        case O_TOPIC:
            rw_cli_list_add(&topics, optarg);
            break;
        case O_KMS:
            rw_cli_list_add(&kms, optarg);
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_TABLE:
            in.table = optarg;
            break;
        case O_DLQ:
            in.dlq = optarg;
            break;
        case O_LOGS:
            in.log_group = optarg;
            break;
        case O_STACK:
            in.stack = optarg;
            break;
        case O_FUNCTION:
            in.function = optarg;
            break;
        case O_REGION:
            in.region = optarg;
            break;
        case O_ACCOUNT:
            in.account = optarg;
            break;
        case O_PARTITION:
            in.partition = optarg;
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default:
            rw_cli_bad_option(c, argv);
            rc = rw_cli_usage_error("iam-policy");
            goto out;
        }
    }
    rw_policy_for f;
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "unexpected argument '%s'", argv[optind]);
        rc = rw_cli_usage_error("iam-policy");
        goto out;
    }
    if (!what) {
        rw_error_set(RW_EINVAL, "which command? --for %s", rw_policy_for_names());
        rc = rw_cli_usage_error("iam-policy");
        goto out;
    }
    if (rw_policy_for_parse(&f, what) != RW_OK) {
        rc = rw_cli_usage_error("iam-policy");
        goto out;
    }
    if (config && config_topics(&topics, config) != RW_OK) {
        rw_log_error("%s", rw_error_last());
        goto out;
    }
    if (config && f == RW_POLICY_WATCH &&
        config_sources(&in, &queues, &buckets, &config_prefix, config) != RW_OK) {
        rw_log_error("%s", rw_error_last());
        goto out;
    }
    if (!in.prefix && config_prefix && *config_prefix) in.prefix = config_prefix;
    in.bucket = (const char *const *)buckets;
    in.queue = (const char *const *)queues;
    in.topic = (const char *const *)topics;
    in.kms = (const char *const *)kms;
    rw_buf out, missing;
    rw_buf_init(&out, 0);
    rw_buf_init(&missing, 0);
    if (rw_policy_build(&out, &missing, f, &in) != RW_OK) {
        rw_log_error("%s", rw_error_last());
    } else {
        fwrite(out.data, 1, out.len, stdout);
        if (missing.len && !rw_cli_quiet())
            fprintf(stderr,
                    "rootwatch: fill in the placeholders (or leave out the statements of what you "
                    "do not use):\n%s",
                    missing.data);
        rc = fflush(stdout) == 0 ? 0 : 2;
    }
    rw_buf_free(&out);
    rw_buf_free(&missing);
out:
    rw_cli_list_free(buckets);
    rw_cli_list_free(queues);
    rw_cli_list_free(topics);
    rw_cli_list_free(kms);
    free(config_prefix);
    return rc;
}

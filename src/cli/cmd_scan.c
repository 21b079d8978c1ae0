/* rootwatch scan: options, and the wiring of sources (files, folders, stdin, S3, LookupEvents)
 * into the engine, whose alerts go to the output (and with --notify to the store). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/aws_opt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/notify_opt.h"
#include "cli/rules_opt.h"
#include "engine/engine.h"
#include "report/format.h"
#include "report/summary.h"
#include "sources/in_file.h"
#include "sources/in_lookup.h"
#include "sources/in_s3.h"
#include "util/err.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

typedef struct scan {
    rw_filter filter;
    rw_trail_opts topts;
    bool verbose;
    rw_aws_opts aws_opts;
    rw_aws_lazy aws;
    rw_lookup_query lookup;
    rw_dispatch *dispatch;
} scan;

static int write_alert(void *ctx, const rw_alert *a) {
    return rw_writer_alert(ctx, a);
}

static void usage(FILE *out) {
    fputs(
        "usage: rootwatch scan [options] SOURCE...\n"
        "\n"
        "Reports every use of the root user in CloudTrail history. A SOURCE is a file, a folder\n"
        "(searched recursively) or - for standard input. Files may be CloudTrail log files\n"
        "(.json or .json.gz), NDJSON of CloudTrail records (CloudWatch Logs exports), NDJSON of\n"
        "EventBridge events, or a LookupEvents response; the kind is told from the content.\n"
        "\n"
        "options:\n"
        "  -f, --format FMT        table, json, ndjson or csv (default: table on a terminal,\n"
        "                          ndjson otherwise)\n"
        "      --since WHEN        only activity at or after WHEN: a time (2026-11-20,\n"
        "                          2026-11-20T10:00:00Z) or a duration before now (7d, 12h, 30m)\n"
        "      --until WHEN        only activity before WHEN\n"
        "      --account ID        only this account (repeat, or separate with commas)\n"
        "      --region NAME       only this region (repeat, or separate with commas)\n"
        "  -j, --jobs N            threads to use (default: all cores)\n"
        "      --summary           print the summary on standard output, after the "
        "alerts\n" RW_CLI_VERBOSITY_HELP
        "                          (-v names each file skipped; with --notify, -q keeps the line\n"
        "                          on deliveries)\n"
        "      --color WHEN        auto, always or never (default: auto)\n"
        "      --rules FILE        also apply the rules in FILE (YAML; repeat for more files;\n"
        "                          docs/rules.md)\n"
        "      --no-builtin        do not apply the built-in root rules (only --rules)\n"
        "      --max-record-size N the largest record parsed, in bytes (K, M, G allowed;\n"
        "                          default 16M)\n"
        "  -h, --help              show this help\n"
        "\n"
        "AWS sources:\n"
        "  s3://BUCKET[/PREFIX]    a SOURCE may be a trail's bucket: every log file under the\n"
        "                          prefix is read (AWSLogs/<account>/... and organization trails'\n"
        "                          AWSLogs/<org-id>/<account>/...), digests skipped, days outside\n"
        "                          --since/--until skipped by the date in the key\n"
        "      --lookup-events     read the CloudTrail event history (LookupEvents, the last 90\n"
        "                          days) of the regions given by --regions\n"
        "      --regions LIST      the regions for --lookup-events, separated by commas, or all\n"
        "                          (default: the configured region)\n" RW_AWS_OPTS_HELP
        "  AWS credentials and the AWS region are found as the AWS CLI finds them (see\n"
        "  'rootwatch aws whoami'); --region filters records, it does not choose where to call.\n"
        "\n"
        "Notifying:\n"
        "      --notify            send every alert found through the configured channels, once:\n"
        "                          alerts go to the store first, so re-scanning sends nothing new\n"
        "      --config FILE       the notification configuration (docs/notify.md)\n"
        "      --store FILE        the alert store (default "
        "~/.local/state/rootwatch/rootwatch.db)\n"
        "      --notify-wait D     how long to keep retrying failed deliveries at the end\n"
        "                          (default 60s); what is left waits for 'rootwatch notify flush'\n"
        "\n"
        "Exit status: 0 no root activity, 1 root activity found, 2 an input could not be read\n"
        "or a usage error (findings from every readable input are still reported).\n",
        out);
}

static int parse_size(const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ULL << 10, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1ULL << 20, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1ULL << 30, end++;
    if (errno || end == s || *end || v == 0 || v > (1ULL << 40) / mul)
        return rw_error_set(RW_EINVAL, "not a size: '%s' (e.g. 16M)", s);
    *out = (size_t)(v * mul);
    return RW_OK;
}

int rw_cmd_scan(int argc, char **argv) {
    enum {
        O_SINCE = 256,
        O_UNTIL,
        O_ACCOUNT,
        O_REGION,
        O_SUMMARY,
        O_COLOR,
        O_MAXREC,
        O_RULES,
        O_NOBUILTIN,
        O_PROFILE,
        O_ENDPOINT,
        O_LOOKUP,
        O_REGIONS,
        O_NOTIFY,
        O_CONFIG,
        O_STORE,
        O_NOTIFY_WAIT
    };
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"since", required_argument, 0, O_SINCE},
                                         {"until", required_argument, 0, O_UNTIL},
                                         {"account", required_argument, 0, O_ACCOUNT},
                                         {"region", required_argument, 0, O_REGION},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"summary", no_argument, 0, O_SUMMARY},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"color", required_argument, 0, O_COLOR},
                                         {"max-record-size", required_argument, 0, O_MAXREC},
                                         {"help", no_argument, 0, 'h'},
                                         {"rules", required_argument, 0, O_RULES},
                                         {"no-builtin", no_argument, 0, O_NOBUILTIN},
                                         {"profile", required_argument, 0, O_PROFILE},
                                         {"endpoint-url", required_argument, 0, O_ENDPOINT},
                                         {"lookup-events", no_argument, 0, O_LOOKUP},
                                         {"regions", required_argument, 0, O_REGIONS},
                                         {"notify", no_argument, 0, O_NOTIFY},
                                         {"config", required_argument, 0, O_CONFIG},
                                         {"store", required_argument, 0, O_STORE},
                                         {"notify-wait", required_argument, 0, O_NOTIFY_WAIT},
                                         {0, 0, 0, 0}};
    scan s;
    memset(&s, 0, sizeof s);
    rw_format fmt = isatty(STDOUT_FILENO) ? RW_FMT_TABLE : RW_FMT_NDJSON;
    bool summary_stdout = false, no_builtin = false;
    char **rule_files = NULL, **lookup_regions = NULL;
    bool lookup = false, jobs_given = false, notify = false;
    const char *config_path = NULL, *store_path = NULL;
    int64_t notify_wait = 60;
    rw_notify_config *ncfg = NULL;
    rw_ruleset *rules = NULL;
    rw_writer *writer;
    rw_engine *engine = NULL;
    const char *color = "auto";
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t now = rw_time_now();
    int rc = 0, c;
    optind = 1;
    opterr = 0; /* usage errors are reported below, as every other error */
    while ((c = getopt_long(argc, argv, ":f:j:h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case 'f':
            if (rw_format_parse(optarg, &fmt)) goto usage_error;
            break;
        case O_SINCE:
            if (rw_time_parse_when(optarg, now, &s.filter.since)) goto usage_error;
            s.filter.has_since = true;
            break;
        case O_UNTIL:
            if (rw_time_parse_when(optarg, now, &s.filter.until)) goto usage_error;
            s.filter.has_until = true;
            break;
        case O_ACCOUNT:
            rw_cli_list_add_split(&s.filter.accounts, optarg);
            break;
        case O_REGION:
            rw_cli_list_add_split(&s.filter.regions, optarg);
            break;
        case 'j': {
            char *end;
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 1024) {
                rw_error_set(RW_EINVAL, "-j needs a number of threads from 1 to 1024, not '%s'",
                             optarg);
                goto usage_error;
            }
            jobs_given = true;
            break;
        }
        case O_SUMMARY:
            summary_stdout = true;
            break;
        case O_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                rw_error_set(RW_EINVAL, "--color takes auto, always or never, not '%s'", optarg);
                goto usage_error;
            }
            color = optarg;
            break;
        case O_RULES:
            rw_cli_list_add(&rule_files, optarg);
            break;
        case O_NOBUILTIN:
            no_builtin = true;
            break;
        case O_PROFILE:
            s.aws_opts.profile = optarg;
            break;
        case O_ENDPOINT:
            s.aws_opts.endpoint_url = optarg;
            break;
        case O_LOOKUP:
            lookup = true;
            break;
        case O_REGIONS:
            rw_cli_list_add_split(&lookup_regions, optarg);
            break;
        case O_NOTIFY:
            notify = true;
            break;
        case O_CONFIG:
            config_path = optarg;
            break;
        case O_STORE:
            store_path = optarg;
            break;
        case O_NOTIFY_WAIT:
            if (rw_duration_parse(optarg, &notify_wait) != RW_OK) goto usage_error;
            break;
        case O_MAXREC:
            if (parse_size(optarg, &s.topts.max_record)) goto usage_error;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            rw_cli_bad_option(c, argv);
            goto usage_error;
        }
    }
    s.verbose = rw_cli_verbose();
    if (optind >= argc && !lookup) {
        rw_error_set(RW_EINVAL,
                     "no SOURCE given (a file, a folder, s3://BUCKET/PREFIX, or - for standard "
                     "input; or --lookup-events)");
        goto usage_error;
    }
    if ((config_path || store_path) && !notify) {
        rw_error_set(RW_EINVAL, "--config and --store go with --notify");
        goto usage_error;
    }
    if (lookup_regions && !lookup) {
        rw_error_set(RW_EINVAL, "--regions goes with --lookup-events");
        goto usage_error;
    }
    bool remote = lookup;
    for (int i = optind; i < argc; i++)
        if (!strncmp(argv[i], "s3://", 5)) remote = true;
    /* downloads and event history wait on the network: more threads than cores */
    if (remote && !jobs_given && jobs < 16) jobs = 16;
    s.lookup.has_since = s.filter.has_since;
    s.lookup.since = s.filter.since;
    s.lookup.has_until = s.filter.has_until;
    s.lookup.until = s.filter.until;
    if (s.filter.has_since && s.filter.has_until && s.filter.until <= s.filter.since) {
        rw_error_set(RW_EINVAL, "--until must be later than --since");
        goto usage_error;
    }
    rw_signal_install(); /* SIGINT, SIGTERM: finish what is in hand, store it, summarise */
    rules = rw_cli_load_rules(!no_builtin, rule_files, now);
    if (!rules) {
        rc = 2;
        goto out;
    }
    if (notify) {
        /* the channels and the store first: a wrong configuration stops the scan before it starts
         */
        ncfg = rw_cli_notify_config(config_path);
        if (!ncfg || rw_dispatch_open(&s.dispatch, ncfg, store_path) != RW_OK) {
            if (ncfg) rw_log_error("%s", rw_error_last());
            rc = 2;
            goto out;
        }
    }
    bool use_color = strcmp(color, "always") == 0 ||
                     (strcmp(color, "auto") == 0 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
    writer = rw_writer_new(stdout, fmt, use_color);
    rw_engine_opts eo = {.rules = rules,
                         .filter = s.filter,
                         .trail = s.topts,
                         .threads = (int)jobs,
                         .ordered = true, /* the same output for any -j */
                         .verbose = s.verbose,
                         .alert = write_alert,
                         .ctx = writer,
                         .dispatch = s.dispatch};
    rw_engine_new(&engine, &eo);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s.aws.opts = &s.aws_opts;
    rw_s3_range range = {s.filter.has_since, s.filter.has_until, s.filter.since, s.filter.until};
    for (int i = optind; i < argc; i++)
        rw_engine_run(engine, !strncmp(argv[i], "s3://", 5)
                                  ? rw_source_s3_new(argv[i], &s.aws, &range)
                                  : rw_source_file_new(argv[i]));
    if (lookup) rw_engine_run(engine, rw_source_lookup_new(lookup_regions, &s.aws, &s.lookup));
    rw_engine_finish(engine);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rw_summary *sum = rw_engine_summary(engine);
    sum->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    bool failed = rw_engine_failed(engine);
    int end_rc = rw_writer_end(writer); /* frees it */
    if (rw_engine_output_error(engine) || end_rc) {
        rw_log_error("%s", rw_error_last());
        failed = true;
    }
    int stopped = rw_signal_stop_requested();
    if (stopped)
        rw_log_warn("stopped by %s: %llu input%s not read; the alerts found are reported%s",
                    rw_signal_name(stopped), (unsigned long long)rw_engine_not_read(engine),
                    rw_engine_not_read(engine) == 1 ? "" : "s",
                    s.dispatch ? " and stored, and deliveries not made stay pending" : "");
    if (sum->files_trail == 0 && !failed && !stopped) {
        rw_log_error("no CloudTrail data found in the sources given: nothing was checked");
        failed = true;
    }
    if (lookup) {
        /* the verdict in words, as AWS's event-history check prints it; on standard output only
         * for people (the table), so that json, ndjson and csv stay machine-readable */
        const char *verdict =
            sum->alerts ? "Root account activity detected." : "No root account activity detected.";
        if (failed && !sum->alerts)
            verdict = "No root account activity detected in the history that could be read.";
        if (fmt == RW_FMT_TABLE) {
            /* the table already says "No root account activity detected." when it is empty */
            if (sum->alerts)
                printf("%s\n", verdict);
            else if (failed)
                fprintf(stderr, "%s\n", verdict);
            fflush(stdout);
        } else {
            fprintf(stderr, "%s\n", verdict);
        }
    }
    if (!rw_cli_quiet()) rw_summary_print(summary_stdout ? stdout : stderr, sum);
    if (s.dispatch) {
        rw_dispatch_stats nst;
        /* after a signal: no waiting for retries, only the delivery in flight is finished */
        rw_dispatch_close(s.dispatch,
                          rw_signal_stop_requested() ? 0 : rw_time_now_ms() + notify_wait * 1000,
                          &nst);
        s.dispatch = NULL;
        if (!stopped && rw_signal_stop_requested())
            rw_log_warn("stopped by %s while delivering: the delivery in flight was finished, the "
                        "rest stay pending",
                        rw_signal_name(rw_signal_stop_requested()));
        rw_cli_notify_report(&nst);
        if (nst.failed || nst.pending) failed = true;
    }
    if (summary_stdout) fflush(stdout);
    rc = failed ? 2 : sum->alerts ? 1 : 0;
    if (rw_signal_stop_requested()) rc = rw_signal_exit_code(rw_signal_stop_requested());
    goto out;

usage_error:
    rc = rw_cli_usage_error("scan");
out:
    rw_engine_free(engine);
    rw_cli_list_free(s.filter.accounts);
    rw_cli_list_free(s.filter.regions);
    rw_cli_list_free(rule_files);
    rw_cli_list_free(lookup_regions);
    if (s.dispatch) rw_dispatch_close(s.dispatch, 0, NULL);
    rw_notify_config_free(ncfg);
    rw_ruleset_free(rules);
    rw_aws_lazy_close(&s.aws);
    return rc;
}

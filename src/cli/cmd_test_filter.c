/* rootwatch test-filter: evaluates a CloudWatch Logs filter pattern (a metric or subscription
 * filter's) against a log event, as `aws logs test-metric-filter` does, and can check it against
 * rootwatch's canonical root cases (the metric-filter-root check of audit; docs/audit.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "rules/cwl_filter.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch test-filter --pattern PATTERN (--event EVENT | --root-cases)\n"
          "\n"
          "Tells whether a CloudWatch Logs filter pattern (as metric filters, subscription\n"
          "filters and FilterLogEvents take) matches a log event. PATTERN and EVENT are text,\n"
          "or @FILE (also file://FILE) to read it from a file, or @- for standard input; a\n"
          "bare - as EVENT is standard input too. The event is one log event message: a JSON\n"
          "pattern ({ $.a = \"x\" }) needs a JSON object, text and space-delimited patterns\n"
          "([a, b = 1]) read it as it is.\n"
          "\n"
          "With --root-cases, evaluates the pattern on rootwatch's canonical CloudTrail\n"
          "records (root API call, root console sign-in, root read-only call: must match; a\n"
          "root call made by a service, an AwsServiceEvent, an IAM user, an assumed role: must\n"
          "not) and names every case it gets wrong: the metric-filter-root check that\n"
          "`rootwatch audit` makes of a metric filter on the trail's log group.\n"
          "\n"
          "options:\n"
          "  -p, --pattern P         the filter pattern: text, @FILE, file://FILE or @-\n"
          "  -e, --event EVENT       the log event, given the same ways (or -)\n"
          "      --root-cases        check the pattern against the canonical root "
          "cases\n" RW_CLI_VERBOSITY_HELP "  -h, --help              show this help\n"
          "\n"
          "Exit status: 0 the pattern matches (--root-cases: it is right on every case), 1 it\n"
          "does not (--root-cases: it is wrong on some), 2 an invalid pattern, an unreadable\n"
          "event, or a usage error.\n",
          out);
}

int rw_cmd_test_filter(int argc, char **argv) {
    static const struct option opts[] = {
        {"pattern", required_argument, 0, 'p'}, {"event", required_argument, 0, 'e'},
        {"root-cases", no_argument, 0, 'r'},    RW_CLI_VERBOSITY_LONGOPTS,
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *pat_arg = NULL, *ev_arg = NULL;
    bool root_cases = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hp:e:" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case 'p':
            pat_arg = optarg;
            break;
        case 'e':
            ev_arg = optarg;
            break;
        case 'r':
            root_cases = true;
            break;
        default:
            return rw_cli_help_or_bad_option(c, argv, "test-filter", usage);
        }
    }
    if (!pat_arg || (!ev_arg) == !root_cases || optind < argc) {
        rw_error_set(RW_EINVAL,
                     "test-filter needs --pattern and one of --event or --root-cases, and nothing "
                     "else");
        return rw_cli_usage_error("test-filter");
    }
    rw_buf pt, et;
    rw_buf_init(&pt, (size_t)1 << 20);
    rw_buf_init(&et, (size_t)16 << 20);
    int rc = 2;
    rw_cwl_filter *f = NULL;
    if (rw_cli_read_arg(pat_arg, &pt, false) || (ev_arg && rw_cli_read_arg(ev_arg, &et, true))) {
        rw_log_error("%s", rw_error_last());
        goto out;
    }
    /* a pattern read from a file usually ends with a line break, which is no part of it */
    while (pat_arg[0] == '@' && pt.len &&
           (pt.data[pt.len - 1] == '\n' || pt.data[pt.len - 1] == '\r'))
        pt.data[--pt.len] = 0;
    if (rw_cwl_filter_compile(&f, pt.data ? pt.data : "", pt.len) != RW_OK) {
        fprintf(stderr, "rootwatch test-filter: invalid %s\n", rw_error_last());
        goto out;
    }
    if (root_cases) {
        uint32_t wrong = rw_cwl_filter_root_wrong(f);
        for (size_t i = 0; i < rw_cwl_root_ncases; i++) {
            const rw_cwl_case *k = &rw_cwl_root_cases[i];
            bool bad = wrong & ((uint32_t)1 << i);
            printf("%-5s %-46s %s\n", bad ? "WRONG" : "ok", k->name,
                   k->must_match ? (bad ? "not matched (must match)" : "matched")
                                 : (bad ? "matched (must not)" : "not matched"));
        }
        rw_buf d;
        rw_buf_init(&d, 0);
        rw_cwl_root_wrong_describe(&d, wrong);
        printf("%s: %s\n", wrong ? "FAIL" : "PASS", d.data ? d.data : "");
        rw_buf_free(&d);
        rc = wrong ? 1 : 0;
        goto out;
    }
    /* one log event: a trailing line break is no part of it either */
    while (et.len && (et.data[et.len - 1] == '\n' || et.data[et.len - 1] == '\r'))
        et.data[--et.len] = 0;
    bool match = rw_cwl_filter_match_line(f, et.data ? et.data : "", et.len);
    printf("%s (%s pattern)\n", match ? "match" : "no match",
           rw_cwl_kind_name(rw_cwl_filter_kind(f)));
    rc = match ? 0 : 1;
out:
    rw_cwl_filter_free(f);
    rw_buf_free(&pt);
    rw_buf_free(&et);
    return rc;
}

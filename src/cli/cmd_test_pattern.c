/* rootwatch test-pattern: evaluates an EventBridge event pattern against an event, answering as
 * `aws events test-event-pattern` does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "rules/pattern.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xmalloc.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch test-pattern --event-pattern PATTERN --event EVENT\n"
          "\n"
          "Tells whether an EventBridge event pattern matches an event, with the answer\n"
          "EventBridge's TestEventPattern gives. PATTERN and EVENT are JSON text, or @FILE\n"
          "(also file://FILE) to read it from a file, or @- for standard input.\n"
          "\n"
          "Prints {\"Result\": true} or {\"Result\": false}. An invalid pattern or event is\n"
          "reported as the AWS CLI reports it, e.g.\n"
          "  An error occurred (InvalidEventPatternException) when calling the TestEventPattern\n"
          "  operation: Event pattern is not valid. Reason: Empty arrays are not allowed\n"
          "\n"
          "options:\n"
          "      --event-pattern P   the pattern: JSON, @FILE, file://FILE or @-\n"
          "      --event EVENT       the event, given the same ways\n" RW_CLI_VERBOSITY_HELP
          "  -h, --help              show this help\n"
          "\n"
          "Exit status: 0 the pattern matches, 1 it does not, 2 an invalid pattern or event, or\n"
          "a usage error.\n",
          out);
}

int rw_cmd_test_pattern(int argc, char **argv) {
    static const struct option opts[] = {{"event-pattern", required_argument, 0, 'p'},
                                         {"event", required_argument, 0, 'e'},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *pat_arg = NULL, *ev_arg = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case 'p':
            pat_arg = optarg;
            break;
        case 'e':
            ev_arg = optarg;
            break;
        default:
            return rw_cli_help_or_bad_option(c, argv, "test-pattern", usage);
        }
    }
    if (!pat_arg || !ev_arg || optind < argc) {
        rw_error_set(RW_EINVAL, "test-pattern needs --event-pattern and --event, and nothing else");
        return rw_cli_usage_error("test-pattern");
    }
    rw_buf pt, et;
    rw_buf_init(&pt, (size_t)16 << 20);
    rw_buf_init(&et, (size_t)16 << 20);
    int rc = 2;
    rw_pattern *p = NULL;
    rw_json_doc *doc = NULL;
    if (rw_cli_read_arg(pat_arg, &pt, false) || rw_cli_read_arg(ev_arg, &et, false)) {
        rw_log_error("%s", rw_error_last());
        goto out;
    }
    rw_pattern_error err;
    if (rw_pattern_compile(&p, pt.data ? pt.data : "", pt.len, &err) != RW_OK) {
        if (err.internal)
            fprintf(stderr, "An error occurred (InternalFailure) when calling the TestEventPattern "
                            "operation (reached max retries: 2): \n");
        else
            fprintf(stderr,
                    "An error occurred (InvalidEventPatternException) when calling the "
                    "TestEventPattern operation: Event pattern is not valid. Reason: %s\n",
                    err.reason);
        goto out;
    }
    rw_json_opts jo = {
        .max_depth = 512, .max_memory = (size_t)256 << 20, .surrogate_as_question = 1};
    doc = rw_json_doc_new(&jo);
    if (rw_json_doc_parse(doc, et.data ? et.data : "", et.len) != RW_OK ||
        rw_pattern_check_event(rw_json_doc_root(doc)) != RW_OK) {
        fprintf(stderr,
                "An error occurred (ValidationException) when calling the TestEventPattern "
                "operation: %s\n",
                strstr(rw_error_last(), "Parameter Event") ? rw_error_last()
                                                           : "Parameter Event is not valid.");
        goto out;
    }
    bool match = rw_pattern_matches(p, rw_json_doc_root(doc));
    printf("{\n    \"Result\": %s\n}\n", match ? "true" : "false");
    rc = match ? 0 : 1;
out:
    rw_pattern_free(p);
    rw_json_doc_free(doc);
    rw_buf_free(&pt);
    rw_buf_free(&et);
    return rc;
}

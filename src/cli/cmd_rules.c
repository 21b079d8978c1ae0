/* rootwatch rules list|check: the rules rootwatch applies, and checking rule files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/rules_opt.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch rules list [--rules FILE]... [--no-builtin] [--format table|json] "
          "[-v|-q]\n"
          "       rootwatch rules check [-v|-q] FILE...\n"
          "\n"
          "list   shows the rules rootwatch applies: the built-in root rules and those of each\n"
          "       --rules FILE (YAML, docs/rules.md); -v adds each rule's event pattern and\n"
          "       exceptions; --format json gives everything as JSON\n"
          "check  loads rule files and reports every problem (file, line, column, rule); exit\n"
          "       status 0 when they are all valid, 2 otherwise\n"
          "\n"
          "options (list and check):\n" RW_CLI_VERBOSITY_HELP
          "                          (-v also says which rule files were loaded; -q leaves out\n"
          "                          the rule files' warnings)\n"
          "  -h, --help              show this help\n",
          out);
}

static void put_time(rw_buf *b, const char *key, bool has, int64_t t) {
    if (!has) return;
    char s[32];
    rw_time_format(t, s);
    rw_buf_printf(b, ",\"%s\":\"%s\"", key, s);
}

static void put_str(rw_buf *b, const char *key, const char *v, bool first) {
    rw_buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
    if (v)
        rw_json_write_str(b, v, strlen(v));
    else
        rw_buf_puts(b, "null");
}

static void list_json(const rw_ruleset *rs) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_puts(&b, "[\n");
    for (size_t i = 0; i < rw_ruleset_count(rs); i++) {
        const rw_rule *r = rw_ruleset_rule(rs, i);
        rw_buf_puts(&b, i ? ",\n{" : "{");
        put_str(&b, "id", r->id, true);
        put_str(&b, "title", r->title, false);
        put_str(&b, "severity", r->severity_auto ? "auto" : rw_alert_severity_name(r->severity),
                false);
        put_str(&b, "description", r->description, false);
        put_str(&b, "source", r->origin, false);
        rw_buf_printf(&b, ",\"pattern\":%s,\"exceptions\":[", r->pattern_json);
        for (size_t e = 0; e < r->nexceptions; e++) {
            const rw_rule_exception *x = &r->exceptions[e];
            rw_buf_puts(&b, e ? ",{" : "{");
            put_str(&b, "reason", x->reason, true);
            put_time(&b, "from", x->has_from, x->from);
            put_time(&b, "expires", x->has_expires, x->expires);
            rw_buf_printf(&b, ",\"pattern\":%s}", x->pattern_json);
        }
        rw_buf_puts(&b, "]}");
    }
    rw_buf_puts(&b, "\n]\n");
    fwrite(b.data, 1, b.len, stdout);
    rw_buf_free(&b);
}

static void list_table(const rw_ruleset *rs, bool verbose) {
    printf("%-28s  %-8s  %-24s  %s\n", "ID", "SEVERITY", "SOURCE", "TITLE");
    for (size_t i = 0; i < rw_ruleset_count(rs); i++) {
        const rw_rule *r = rw_ruleset_rule(rs, i);
        printf("%-28s  %-8s  %-24s  %s\n", r->id,
               r->severity_auto ? "auto" : rw_alert_severity_name(r->severity), r->origin,
               r->title);
        if (!verbose) continue;
        printf("    pattern: %s\n", r->pattern_json);
        for (size_t e = 0; e < r->nexceptions; e++) {
            const rw_rule_exception *x = &r->exceptions[e];
            char from[32] = "", until[32] = "";
            if (x->has_from) rw_time_format(x->from, from);
            if (x->has_expires) rw_time_format(x->expires, until);
            printf("    exception: %s%s%s%s%s\n      pattern: %s\n", x->reason,
                   x->has_from ? ", from " : "", from, x->has_expires ? ", expires " : "", until,
                   x->pattern_json);
        }
    }
}

int rw_cmd_rules(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "check") == 0) {
        static const struct option copts[] = {
            RW_CLI_VERBOSITY_LONGOPTS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc - 1, argv + 1, ":h" RW_CLI_VERBOSITY_SHORTOPTS, copts,
                                NULL)) != -1) {
            if (rw_cli_verbosity(c)) continue;
            if (c == 'h') {
                usage(stdout);
                return 0;
            }
            rw_cli_bad_option(c, argv + 1);
            return rw_cli_usage_error("rules");
        }
        if (optind >= argc - 1) {
            rw_error_set(RW_EINVAL, "rules check needs at least one FILE");
            return rw_cli_usage_error("rules");
        }
        rw_ruleset *rs = rw_cli_load_rules(false, argv + 1 + optind, rw_time_now());
        if (!rs) return 2;
        printf("%zu rule%s: valid\n", rw_ruleset_count(rs), rw_ruleset_count(rs) == 1 ? "" : "s");
        rw_ruleset_free(rs);
        return 0;
    }
    if (strcmp(sub, "list") != 0) {
        rw_log_error("unknown rules command '%s' (list, check)", sub);
        usage(stderr);
        return 2;
    }
    enum { O_RULES = 256, O_NOBUILTIN };
    static const struct option opts[] = {{"rules", required_argument, 0, O_RULES},
                                         {"no-builtin", no_argument, 0, O_NOBUILTIN},
                                         {"format", required_argument, 0, 'f'},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    char **files = rw_xcalloc(1, sizeof *files);
    size_t nfiles = 0;
    bool builtin = true, json = false;
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while (!rc && (c = getopt_long(argc - 1, argv + 1, ":f:h" RW_CLI_VERBOSITY_SHORTOPTS, opts,
                                   NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case O_RULES:
            files = rw_xrealloc(files, (nfiles + 2) * sizeof *files);
            files[nfiles++] = optarg;
            files[nfiles] = NULL;
            break;
        case O_NOBUILTIN:
            builtin = false;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "table") != 0)
                rc = rw_error_set(RW_EINVAL, "--format takes table or json, not '%s'", optarg);
            break;
        case 'h':
            usage(stdout);
            free(files);
            return 0;
        default:
            rw_cli_bad_option(c, argv + 1);
            rc = RW_EINVAL;
        }
    }
    if (!rc && optind < argc - 1)
        rc = rw_error_set(RW_EINVAL, "rules list takes no arguments (use --rules FILE)");
    if (rc) {
        free(files);
        return rw_cli_usage_error("rules");
    }
    rw_ruleset *rs = rw_cli_load_rules(builtin, files, rw_time_now());
    free(files);
    if (!rs) return 2;
    if (json)
        list_json(rs);
    else
        list_table(rs, rw_cli_verbose());
    rw_ruleset_free(rs);
    return 0;
}

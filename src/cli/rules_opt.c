#include "cli/rules_opt.h"

#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* Prints each line of text through the logger. */
static void log_lines(enum rw_log_level level, const char *text) {
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        rw_log(level, "%.*s", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

rw_ruleset *rw_cli_load_rules(bool builtin, char **files, int64_t now) {
    rw_ruleset *rs = rw_ruleset_new();
    bool bad = false;
    if (builtin && rw_ruleset_load_builtin(rs) != RW_OK) bad = true;
    for (char **f = files; f && *f; f++)
        if (rw_ruleset_load_file(rs, *f) != RW_OK) bad = true;
    if (bad) {
        log_lines(RW_LOG_ERROR, rw_ruleset_errors(rs));
        rw_ruleset_free(rs);
        return NULL;
    }
    if (rw_ruleset_count(rs) == 0) {
        rw_log_error("no rules to apply: --no-builtin needs --rules FILE");
        rw_ruleset_free(rs);
        return NULL;
    }
    rw_ruleset_freeze(rs, now);
    log_lines(RW_LOG_WARN, rw_ruleset_warnings(rs));
    if (rw_log_get_level() >= RW_LOG_INFO) {
        rw_buf from;
        rw_buf_init(&from, RW_BUF_DEFAULT_MAX);
        rw_buf_puts(&from, builtin ? "the built-in rules" : "");
        for (char **f = files; f && *f; f++) rw_buf_printf(&from, "%s%s", from.len ? ", " : "", *f);
        rw_log_info("%zu rule%s loaded from %s", rw_ruleset_count(rs),
                    rw_ruleset_count(rs) == 1 ? "" : "s", from.data);
        rw_buf_free(&from);
    }
    return rs;
}

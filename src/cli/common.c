/* What every command's options share (common.h). */
#include "cli/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"
#include "util/xmalloc.h"

static int verbosity; /* -v minus -q */

bool rw_cli_verbosity(int c) {
    if (c == 'v')
        verbosity++;
    else if (c == 'q')
        verbosity--;
    else
        return false;
    rw_log_set_level(verbosity < 0    ? RW_LOG_ERROR
                     : verbosity == 0 ? RW_LOG_WARN
                     : verbosity == 1 ? RW_LOG_INFO
                                      : RW_LOG_DEBUG);
    return true;
}

bool rw_cli_verbose(void) {
    return verbosity > 0;
}

bool rw_cli_quiet(void) {
    return verbosity < 0;
}

void rw_cli_bad_option(int c, char *const *argv) {
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (c == ':') {
        rw_error_set(RW_EINVAL, "option '%s' needs a value", arg);
        return;
    }
    /* optopt: the short option, or a long option's value when given one it does not take
     * (--quiet=1), or 0 for an unknown long option */
    const char *eq = strchr(arg, '=');
    bool is_long = strncmp(arg, "--", 2) == 0;
    if (is_long && eq && optopt)
        rw_error_set(RW_EINVAL, "option '%.*s' takes no value", (int)(eq - arg), arg);
    else if (is_long && (optopt == 0 || optopt > 127))
        rw_error_set(RW_EINVAL, "unknown option '%s'", arg);
    else
        rw_error_set(RW_EINVAL, "unknown option '-%c'", optopt);
}

int rw_cli_usage_error(const char *cmd) {
    rw_log_error("%s", rw_error_last());
    fprintf(stderr, "Try 'rootwatch %s --help'.\n", cmd);
    return 2;
}

int rw_cli_help_or_bad_option(int c, char *const *argv, const char *cmd, void (*usage)(FILE *out)) {
    if (c == 'h') {
        usage(stdout);
        return 0;
    }
    rw_cli_bad_option(c, argv);
    return rw_cli_usage_error(cmd);
}

int rw_cli_read_arg(const char *arg, rw_buf *out, bool dash_is_stdin) {
    const char *path = NULL;
    if (arg[0] == '@')
        path = arg + 1;
    else if (strncmp(arg, "file://", 7) == 0)
        path = arg + 7;
    else if (dash_is_stdin && strcmp(arg, "-") == 0)
        path = "-";
    if (!path) return rw_buf_puts(out, arg);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return rw_error_set(RW_EIO, "%s: %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    int rc = RW_OK;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = rw_buf_append(out, chunk, n);
    if (!rc && ferror(f)) rc = rw_error_set(RW_EIO, "%s: read error", path);
    if (f != stdin) fclose(f);
    if (rc == RW_ELIMIT) rc = rw_error_wrap(rc, "%s", path);
    return rc;
}

void rw_cli_list_add(char ***list, const char *arg) {
    size_t n = 0;
    while (*list && (*list)[n]) n++;
    *list = rw_xrealloc(*list, (n + 2) * sizeof **list);
    (*list)[n++] = rw_xstrdup(arg);
    (*list)[n] = NULL;
}

void rw_cli_list_add_split(char ***list, const char *arg) {
    char *copy = rw_xstrdup(arg), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        rw_cli_list_add(list, t);
    free(copy);
}

void rw_cli_list_free(char **list) {
    for (char **p = list; p && *p; p++) free(*p);
    free(list);
}

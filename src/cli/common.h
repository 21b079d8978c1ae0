/* What every command's options share, so that they mean the same in each:
 *
 *   -v, --verbose   say more: what is loaded and what is skipped (log level info); -vv also
 *                   debug details (where the AWS credentials came from, SNS message ids)
 *   -q, --quiet     errors only: no warnings, and no summary
 *   -h, --help      the command's help
 *
 * -v and -q count against each other (-v -q is neither). And one way to tell a usage error: the
 * message, then "Try 'rootwatch COMMAND --help'.", exit status 2. */
#ifndef RW_CLI_COMMON_H
#define RW_CLI_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/buf.h"

/* Entries of a getopt_long table, and the letters for its short options. */
#define RW_CLI_VERBOSITY_LONGOPTS                                                                  \
    {"verbose", no_argument, 0, 'v'}, {                                                            \
        "quiet", no_argument, 0, 'q'                                                               \
    }
#define RW_CLI_VERBOSITY_SHORTOPTS "vq"

/* The lines of --help that say so. */
#define RW_CLI_VERBOSITY_HELP                                                                      \
    "  -v, --verbose           say what is loaded and what is skipped (-vv: debug details too)\n"  \
    "  -q, --quiet             errors only: no warnings, no summary\n"

/* Takes what getopt_long returned: a -v or a -q is counted and the log level set to match (-q:
 * errors, none: warnings, -v: info, -vv: debug), and true is returned; anything else, false. */
bool rw_cli_verbosity(int c);
/* More -v than -q. */
bool rw_cli_verbose(void);
/* More -q than -v: print no summary. */
bool rw_cli_quiet(void);

/* Sets the error (rw_error_last) for what getopt_long returned for a bad option, with the leading
 * ':' in its short options and opterr 0: ':' an option's value is missing, anything else an
 * unknown option or a value given to an option that takes none. */
void rw_cli_bad_option(int c, char *const *argv);
/* Reports the error set as a usage error of cmd ("scan", "aws whoami"): "rootwatch: error: ..."
 * then "Try 'rootwatch CMD --help'.". Returns 2, the exit status of a usage error. */
int rw_cli_usage_error(const char *cmd);
/* For the default of a command's switch on what getopt_long returned, when nothing needs freeing:
 * 'h' prints usage to stdout and returns 0; anything else is a bad option (rw_cli_bad_option),
 * reported as a usage error of cmd (rw_cli_usage_error), and returns 2. */
int rw_cli_help_or_bad_option(int c, char *const *argv, const char *cmd, void (*usage)(FILE *out));

/* Appends to out the text an argument stands for: the contents of the file FILE for @FILE or
 * file://FILE, of standard input for @- (and for a bare - when dash_is_stdin), else arg itself.
 * A file larger than out's limit is RW_ELIMIT, naming the file. */
int rw_cli_read_arg(const char *arg, rw_buf *out, bool dash_is_stdin);

/* NULL-terminated lists of strings for repeatable options (--account a,b --account c): each
 * appends copies to *list (which may be NULL); rw_cli_list_free frees the list and its items. */
void rw_cli_list_add_split(char ***list, const char *arg); /* the comma-separated items of arg */
void rw_cli_list_add(char ***list, const char *arg);       /* arg whole (a path may hold commas) */
void rw_cli_list_free(char **list);

#endif

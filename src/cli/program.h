/* What the main() of rootwatch (src/main.c) and of rootwatch-lambda (src/main_lambda.c) share:
 * started as bootstrap, the Lambda function; otherwise argv[1] names a command of the program's
 * table, or asks for the usage (--help, -h, help) or the version (--version, version). */
#ifndef RW_CLI_PROGRAM_H
#define RW_CLI_PROGRAM_H

#include <stddef.h>
#include <stdio.h>

struct rw_cli_command {
    const char *name;
    int (*run)(int argc, char **argv); /* given argv from the command's name on */
    const char *help;                  /* a line for the usage */
};

struct rw_cli_program {
    const struct rw_cli_command *commands;
    size_t ncommands;
    void (*usage)(FILE *out);  /* for --help (stdout), no command or an unknown one (stderr) */
    const char *(*simd)(void); /* the SIMD level --version names (trail/skip.h's rw_skip_impl) */
    const char *version_note;  /* more for --version's parentheses, "" for none */
    const char *unknown_note;  /* more after "unknown command 'NAME'", "" for none */
};

/* Runs the program as its argv says; returns the exit status (2: a usage error). */
int rw_cli_main(const struct rw_cli_program *prog, int argc, char **argv);

#endif

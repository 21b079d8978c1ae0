/* Running a helper command (credential_process) with bounds: a time limit, a limit on its standard
 * output, and no process of it left behind.
 *
 * The command runs with /bin/sh -c in a process group of its own, with rootwatch's standard input
 * and standard error, standard output to a pipe, no other file descriptor, an empty signal mask and
 * SIGPIPE at its default. When rootwatch is the foreground job of a terminal, the terminal is
 * handed to the command's group while it runs (so that a helper that prompts on /dev/tty works, and
 * Ctrl-C reaches it) and taken back afterwards, its settings restored if the command was killed.
 *
 * The run ends when the command has exited and its output is read; when the time limit passes
 * (whether it hangs, closed its standard output but keeps running, or wrote a lot and then hung);
 * or as soon as its output passes the limit. In the two last cases, and whenever processes of the
 * group are still there after the command exited (a background job, possibly holding the output
 * pipe), the whole group gets SIGTERM (and SIGCONT, for stopped ones), then SIGKILL after a grace
 * for whatever is still there. The command itself is always reaped: no zombie. */
#ifndef RW_AWS_PROCESS_H
#define RW_AWS_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define RW_AWS_PROCESS_KILL_GRACE_MS 2000L /* after SIGTERM, before SIGKILL */

typedef struct rw_aws_process_opts {
    const char *command; /* for /bin/sh -c */
    long timeout_ms;     /* > 0: the most the run may take before the group is stopped */
    size_t max_output;   /* > 0: the most bytes of standard output taken */
    long kill_grace_ms;  /* 0: RW_AWS_PROCESS_KILL_GRACE_MS */
} rw_aws_process_opts;

typedef enum rw_aws_process_end {
    RW_AWS_PROCESS_EXITED,    /* exited by itself: status is its exit status */
    RW_AWS_PROCESS_SIGNALED,  /* died of a signal it was not sent by rootwatch: status is it */
    RW_AWS_PROCESS_TIMED_OUT, /* the time limit passed: the group was stopped */
    RW_AWS_PROCESS_TOO_MUCH,  /* its output passed max_output: the group was stopped */
} rw_aws_process_end;

typedef struct rw_aws_process_result {
    rw_aws_process_end end;
    int status;          /* exit status (EXITED) or signal (SIGNALED) */
    long elapsed_ms;     /* from the start to the end of the run, the stopping included */
    bool leftovers;      /* processes of the group were still there after it exited (stopped) */
    bool needed_sigkill; /* something in the group outlived SIGTERM and the grace */
} rw_aws_process_result;

/* Runs the command; its standard output goes to out (which the caller initialised, and zeroes and
 * frees: it may hold secrets). Returns RW_OK when the command ran, however it ended (see res), or
 * RW_EIO when it could not be started (pipe, fork). */
int rw_aws_process_run(const rw_aws_process_opts *o, rw_buf *out, rw_aws_process_result *res);

#endif

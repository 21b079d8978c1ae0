/* Unit tests for src/aws/process.c: a helper command with a time limit, an output limit, its whole
 * process group stopped, and no zombie, no inherited descriptor, no inherited signal mask. */
#include "rwtest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws/process.h"
#include "util/err.h"

static char tmpdir[64];

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rw-process-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs command with a limit of timeout_ms and a grace of 300 ms; the output in out (a string). */
static rw_aws_process_result run(const char *command, long timeout_ms, size_t max_output,
                                 rw_buf *out) {
    rw_buf_init(out, 0);
    rw_buf_puts(out, "");
    rw_aws_process_opts o = {.command = command,
                             .timeout_ms = timeout_ms,
                             .max_output = max_output,
                             .kill_grace_ms = 300};
    rw_aws_process_result r;
    assert_int_equal(rw_aws_process_run(&o, out, &r), RW_OK);
    rw_buf_putc(out, 0);
    out->len--;
    return r;
}

/* No child of this process is left unreaped. */
static void assert_no_zombie(void) {
    int status;
    pid_t r = waitpid(-1, &status, WNOHANG);
    if (r != -1 || errno != ECHILD) fail_msg("a child is left: waitpid gave %d", (int)r);
}

static bool alive(pid_t pid) {
    if (kill(pid, 0) != 0) return false;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X'; /* a zombie has ended */
}

/* The pids a command wrote to tmpdir/pids, one a line; every one of them has ended. */
static void assert_recorded_gone(int want) {
    char path[128];
    snprintf(path, sizeof path, "%s/pids", tmpdir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int pid, n = 0;
    while (fscanf(f, "%d", &pid) == 1) {
        n++;
        if (alive(pid)) {
            kill(pid, SIGKILL);
            fail_msg("process %d of the command is still alive", pid);
        }
    }
    fclose(f);
    assert_int_equal(n, want);
}

static void test_exits(void **state) {
    (void)state;
    rw_buf out;
    rw_aws_process_result r = run("printf '{\"a\":1}'", 10000, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_EXITED);
    assert_int_equal(r.status, 0);
    assert_string_equal(out.data, "{\"a\":1}");
    assert_false(r.leftovers);
    assert_false(r.needed_sigkill);
    assert_true(r.elapsed_ms < 5000);
    rw_buf_free(&out);
    r = run("echo partial; exit 3", 10000, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_EXITED);
    assert_int_equal(r.status, 3);
    assert_string_equal(out.data, "partial\n");
    rw_buf_free(&out);
    r = run("kill -USR1 $$", 10000, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_SIGNALED);
    assert_int_equal(r.status, SIGUSR1);
    rw_buf_free(&out);
    assert_no_zombie();
}

static void test_times_out(void **state) {
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sleep 1000 & echo $! > %s/pids; echo $$ >> %s/pids; sleep 1000",
             tmpdir, tmpdir);
    rw_buf out;
    rw_aws_process_result r = run(cmd, 300, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_TIMED_OUT);
    assert_false(r.needed_sigkill);
    assert_true(r.elapsed_ms >= 300);
    if (r.elapsed_ms > 3000) fail_msg("took %ld ms", r.elapsed_ms);
    assert_recorded_gone(2);
    assert_no_zombie();
    rw_buf_free(&out);
}

static void test_sigterm_ignored(void **state) {
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "trap '' TERM; sleep 1000 & echo $! > %s/pids; echo $$ >> %s/pids; "
             "while :; do sleep 1; done",
             tmpdir, tmpdir);
    rw_buf out;
    rw_aws_process_result r = run(cmd, 300, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_TIMED_OUT);
    assert_true(r.needed_sigkill);
    if (r.elapsed_ms > 4000) fail_msg("took %ld ms", r.elapsed_ms);
    assert_recorded_gone(2);
    assert_no_zombie();
    rw_buf_free(&out);
}

static void test_closes_stdout(void **state) {
    (void)state;
    rw_buf out;
    rw_aws_process_result r = run("echo early; exec >&-; sleep 1000", 300, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_TIMED_OUT);
    if (r.elapsed_ms > 3000) fail_msg("took %ld ms", r.elapsed_ms);
    assert_no_zombie();
    rw_buf_free(&out);
}

static void test_too_much(void **state) {
    (void)state;
    const char *cmds[] = {"yes", "head -c 100000 /dev/zero; sleep 1000",
                          "head -c 5000 /dev/zero | tr '\\0' x"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        rw_buf out;
        rw_aws_process_result r = run(cmds[i], 20000, 4096, &out);
        if (r.end != RW_AWS_PROCESS_TOO_MUCH) fail_msg("%s: ended %d", cmds[i], (int)r.end);
        assert_true(out.len <= 4096);
        if (r.elapsed_ms > 5000) fail_msg("%s: took %ld ms", cmds[i], r.elapsed_ms);
        assert_no_zombie();
        rw_buf_free(&out);
    }
    /* exactly the limit is fine */
    rw_buf out;
    rw_aws_process_result r = run("head -c 4096 /dev/zero | tr '\\0' x", 20000, 4096, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_EXITED);
    assert_int_equal(out.len, 4096);
    rw_buf_free(&out);
}

static void test_leftovers(void **state) {
    (void)state;
    char cmd[512];
    /* a background job that keeps the output open: not waited for, stopped */
    snprintf(cmd, sizeof cmd, "sleep 1000 & echo $! > %s/pids; echo done", tmpdir);
    rw_buf out;
    rw_aws_process_result r = run(cmd, 20000, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_EXITED);
    assert_int_equal(r.status, 0);
    assert_string_equal(out.data, "done\n");
    assert_true(r.leftovers);
    if (r.elapsed_ms > 3000) fail_msg("took %ld ms", r.elapsed_ms);
    assert_recorded_gone(1);
    assert_no_zombie();
    rw_buf_free(&out);
}

/* Descriptors of rootwatch's stay out of the command; blocked signals are unblocked there. */
static void test_clean_start(void **state) {
    (void)state;
    int fd = open("/dev/null", O_RDONLY); /* no close-on-exec */
    assert_true(fd > 2);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "if [ -e /proc/$$/fd/%d ]; then echo leaked; else echo clean; fi",
             fd);
    rw_buf out;
    rw_aws_process_result r = run(cmd, 10000, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_EXITED);
    assert_string_equal(out.data, "clean\n");
    rw_buf_free(&out);
    close(fd);

    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, &old);
    r = run("sleep 1000", 300, 1024, &out);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(r.end, RW_AWS_PROCESS_TIMED_OUT);
    assert_false(r.needed_sigkill); /* SIGTERM reached it */
    assert_no_zombie();
    rw_buf_free(&out);
}

static void test_own_group(void **state) {
    (void)state;
    rw_buf out;
    rw_aws_process_result r = run("cut -d' ' -f5 /proc/$$/stat; echo $$", 10000, 1024, &out);
    assert_int_equal(r.end, RW_AWS_PROCESS_EXITED);
    int pgid = 0, pid = 0;
    assert_int_equal(sscanf(out.data, "%d %d", &pgid, &pid), 2);
    assert_int_equal(pgid, pid);
    assert_int_not_equal(pgid, (int)getpgrp());
    rw_buf_free(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closes_stdout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_much, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_group, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A helper command with bounds (see process.h). Everything between fork and exec is
 * async-signal-safe: rootwatch is multithreaded. */
#include "aws/process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"

#define REAP_AFTER_SIGKILL_MS                                                                      \
    5000                      /* SIGKILL cannot be caught: only a process stuck in the kernel      \
                                 takes this long */
#define POLL_STEP_MS 20       /* how often a child's exit is looked for without a pidfd */
#define FALLBACK_MAX_FD 65536 /* file descriptors closed one by one without close_range */

extern char **environ;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* an interruption only shortens one step of a loop that looks again */
}

/* ---- the terminal -------------------------------------------------------------------------- */

typedef struct terminal {
    int fd; /* the controlling terminal when rootwatch is its foreground job, else -1 */
    bool saved_ok;
    struct termios saved;
} terminal;

static void terminal_probe(terminal *t) {
    t->fd = -1;
    t->saved_ok = false;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return; /* no controlling terminal */
    if (tcgetpgrp(fd) != getpgrp()) {
        close(fd); /* a background job: the terminal is not rootwatch's to hand over */
        return;
    }
    t->fd = fd;
    t->saved_ok = tcgetattr(fd, &t->saved) == 0;
}

/* Makes rootwatch's group the foreground job again (SIGTTOU blocked: rootwatch is in the
 * background until this returns), with the terminal's settings as they were when asked. */
static void terminal_take_back(terminal *t, bool restore) {
    if (t->fd < 0) return;
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGTTOU);
    pthread_sigmask(SIG_BLOCK, &s, &old);
    if (tcsetpgrp(t->fd, getpgrp()) != 0)
        rw_log_debug("credential process: taking the terminal back: %s", strerror(errno));
    if (restore && t->saved_ok) tcsetattr(t->fd, TCSADRAIN, &t->saved);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(t->fd);
    t->fd = -1;
}

/* ---- the child ----------------------------------------------------------------------------- */

static void child_exec(const char *command, int out_fd, int tty_fd, int max_fd)
    __attribute__((noreturn));
static void child_exec(const char *command, int out_fd, int tty_fd, int max_fd) {
    setpgid(0, 0);
    if (tty_fd >= 0) {
        /* this group is in the background now: SIGTTOU blocked lets it take the terminal */
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGTTOU);
        sigprocmask(SIG_BLOCK, &s, NULL);
        tcsetpgrp(tty_fd, getpid());
    }
    /* what a shell gives a command: default dispositions for the signals rootwatch might ignore
     * (exec resets only caught ones) and nothing blocked */
    static const int sigs[] = {SIGPIPE, SIGXFSZ, SIGTERM, SIGINT,  SIGQUIT, SIGHUP,
                               SIGTTIN, SIGTTOU, SIGTSTP, SIGCHLD, SIGUSR1, SIGUSR2};
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (out_fd == STDOUT_FILENO)
        fcntl(out_fd, F_SETFD, 0); /* keep it across exec */
    else if (dup2(out_fd, STDOUT_FILENO) < 0)
        _exit(127);
    /* nothing else of rootwatch's (sockets, the store and its lock) goes to the command */
    int closed = -1;
#ifdef SYS_close_range
    closed = (int)syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
    if (closed != 0)
        for (int fd = 3; fd < max_fd; fd++) close(fd);
    char *const argv[] = {"sh", "-c", (char *)command, NULL};
    execve("/bin/sh", argv, environ);
    _exit(127);
}

/* ---- waiting ------------------------------------------------------------------------------- */

typedef struct child {
    pid_t pid;
    bool reaped;
    int status;
} child;

static void reap(child *c, bool block) {
    if (c->reaped) return;
    pid_t r;
    do r = waitpid(c->pid, &c->status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == c->pid) {
        c->reaped = true;
    } else if (r < 0) {
        /* ECHILD: reaped elsewhere (SIGCHLD ignored); its status is lost: counted as a failure */
        c->reaped = true;
        c->status = 255 << 8;
    }
}

static int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0U); /* close-on-exec by itself */
#else
    (void)pid;
    return -1;
#endif
}

/* Reads what is there (the descriptor does not block) into out, up to max bytes in all. */
static void drain(int fd, rw_buf *out, size_t max, bool *eof, bool *too_much) {
    char tmp[4096];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n > 0) {
            if ((size_t)n > max - out->len || rw_buf_append(out, tmp, (size_t)n) != RW_OK) {
                *too_much = true;
                break;
            }
            continue;
        }
        if (n == 0) {
            *eof = true;
            break;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) *eof = true; /* nothing more will come */
        break;
    }
    rw_secret_wipe(tmp, sizeof tmp);
}

static void signal_group(const child *c, int sig) {
    kill(-c->pid, sig);
    if (!c->reaped) kill(c->pid, sig); /* in case its group could not be made */
}

/* Is any process of the group still there? Only asked once the command is reaped: its number is
 * not given to another process while any process of its group lives. Zombies do not count (an
 * orphan's is reaped by init, or by nobody where init does not reap): they have ended. */
static bool group_alive(const child *c) {
    if (kill(-c->pid, 0) != 0) return false;
#ifdef __linux__
    DIR *d = opendir("/proc");
    if (!d) return true;
    bool alive = false, looked = false;
    struct dirent *e;
    while (!alive && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        /* "pid (comm) state ppid pgrp ...": comm may hold anything, ')' included */
        const char *rp = strrchr(buf, ')');
        char state;
        int ppid, pgrp;
        if (!rp || sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) != 3) continue;
        looked = true;
        if (pgrp == (int)c->pid && state != 'Z' && state != 'X') alive = true;
    }
    closedir(d);
    return looked ? alive : true;
#else
    return true;
#endif
}

/* SIGTERM (and SIGCONT, for stopped ones) to the group; SIGKILL after the grace to whatever is
 * left; the command reaped. */
static void stop_group(child *c, long grace_ms, rw_aws_process_result *res) {
    signal_group(c, SIGTERM);
    signal_group(c, SIGCONT);
    int64_t end = now_ms() + grace_ms;
    for (;;) {
        reap(c, false);
        if (c->reaped && !group_alive(c)) return;
        if (now_ms() >= end) break;
        sleep_ms(10);
    }
    signal_group(c, SIGKILL);
    res->needed_sigkill = true;
    end = now_ms() + REAP_AFTER_SIGKILL_MS;
    for (;;) {
        reap(c, false);
        if (c->reaped || now_ms() >= end) break;
        sleep_ms(5);
    }
    /* and the rest of the group, so that nothing of it runs once this returns */
    while (c->reaped && group_alive(c) && now_ms() < end) sleep_ms(5);
    if (!c->reaped)
        rw_log_warn("credential process %ld did not end within %d ms of SIGKILL; left to the "
                    "system",
                    (long)c->pid, REAP_AFTER_SIGKILL_MS);
}

int rw_aws_process_run(const rw_aws_process_opts *o, rw_buf *out, rw_aws_process_result *res) {
    memset(res, 0, sizeof *res);
    long grace = o->kill_grace_ms > 0 ? o->kill_grace_ms : RW_AWS_PROCESS_KILL_GRACE_MS;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return rw_error_set(RW_EIO, "pipe: %s", strerror(errno));
    struct rlimit rl;
    int max_fd = FALLBACK_MAX_FD;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)max_fd)
        max_fd = (int)rl.rlim_cur;
    terminal term;
    terminal_probe(&term);
    fflush(NULL);
    int64_t start = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pfd[0]);
        close(pfd[1]);
        if (term.fd >= 0) close(term.fd);
        return rw_error_set(RW_EIO, "fork: %s", strerror(e));
    }
    if (pid == 0) child_exec(o->command, pfd[1], term.fd, max_fd);
    setpgid(pid, pid); /* as the child does: whichever runs first (EACCES once it has exec'd) */
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    int pidfd = open_pidfd(pid);

    child c = {pid, false, 0};
    bool eof = false, too_much = false, timed_out = false;
    int64_t deadline = start + o->timeout_ms;
    for (;;) {
        if (!eof) drain(pfd[0], out, o->max_output, &eof, &too_much);
        if (too_much) break;
        reap(&c, false);
        if (c.reaped) {
            /* all it wrote is in the pipe: take it, without waiting for an end of file that a
             * process it left behind may hold back */
            if (!eof) drain(pfd[0], out, o->max_output, &eof, &too_much);
            break;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p[2];
        nfds_t n = 0;
        if (!eof) p[n++] = (struct pollfd){.fd = pfd[0], .events = POLLIN};
        if (pidfd >= 0) p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        long wait = left > 60000 ? 60000 : (long)left;
        if (pidfd < 0 && wait > POLL_STEP_MS) wait = POLL_STEP_MS;
        poll(p, n, (int)wait); /* EINTR: looked at again */
    }
    close(pfd[0]);
    if (pidfd >= 0) close(pidfd);

    if (too_much || timed_out) {
        res->end = too_much ? RW_AWS_PROCESS_TOO_MUCH : RW_AWS_PROCESS_TIMED_OUT;
        stop_group(&c, grace, res);
    } else {
        if (WIFSIGNALED(c.status)) {
            res->end = RW_AWS_PROCESS_SIGNALED;
            res->status = WTERMSIG(c.status);
        } else {
            res->end = RW_AWS_PROCESS_EXITED;
            res->status = WEXITSTATUS(c.status);
        }
        if (group_alive(&c)) {
            res->leftovers = true;
            stop_group(&c, grace, res);
        }
    }
    terminal_take_back(&term, res->end != RW_AWS_PROCESS_EXITED);
    res->elapsed_ms = (long)(now_ms() - start);
    return RW_OK;
}

/* Error codes and the message kept beside them (per thread), as libgit2's git_error_last. */
#ifndef RW_ERR_H
#define RW_ERR_H

enum {
    RW_OK = 0,
    RW_EINVAL = -1,    /* bad input or usage */
    RW_EIO = -2,       /* a read, write or network operation failed */
    RW_ENOTFOUND = -3, /* a file, key or resource does not exist */
    RW_ERETRY = -4,    /* a transient failure: try again later */
    RW_ELIMIT = -5,    /* a configured limit (size, depth, count) was exceeded */
    RW_EAGAIN = -6,    /* more input is needed to go on */
    RW_ECANCELED = -7, /* stopped on request (SIGINT or SIGTERM) */
};

/* Records a formatted message for the calling thread and returns code. */
int rw_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the current message with a formatted context ("reading x: <old message>"). */
int rw_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message set on this thread ("" if none): the thread's own buffer, not to be freed, and
 * overwritten by the next rw_error_set, rw_error_wrap or rw_error_clear on this thread (so by any
 * rootwatch call that fails): copy it to keep it. */
const char *rw_error_last(void);
void rw_error_clear(void);
/* A short name for a code: "invalid input", "I/O error", ... (a static string). */
const char *rw_error_name(int code);

#endif

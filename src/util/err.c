#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_msg[2048];

/* A message longer than the buffer ends in "..." rather than being cut without a sign. */
static void mark_cut(int n) {
    if (n >= (int)sizeof last_msg) memcpy(last_msg + sizeof last_msg - 4, "...", 4);
}

int rw_error_set(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mark_cut(vsnprintf(last_msg, sizeof last_msg, fmt, ap));
    va_end(ap);
    return code;
}

int rw_error_wrap(int code, const char *fmt, ...) {
    char old[sizeof last_msg];
    memcpy(old, last_msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && n < (int)sizeof last_msg && old[0]) {
        size_t used = (size_t)n;
        n += snprintf(last_msg + used, sizeof last_msg - used, ": %s", old);
    }
    mark_cut(n);
    return code;
}

const char *rw_error_last(void) {
    return last_msg;
}

void rw_error_clear(void) {
    last_msg[0] = 0;
}

const char *rw_error_name(int code) {
    switch (code) {
    case RW_OK:
        return "success";
    case RW_EINVAL:
        return "invalid input";
    case RW_EIO:
        return "I/O error";
    case RW_ENOTFOUND:
        return "not found";
    case RW_ERETRY:
        return "temporary failure";
    case RW_ELIMIT:
        return "limit exceeded";
    case RW_EAGAIN:
        return "more input needed";
    case RW_ECANCELED:
        return "stopped";
    }
    return "unknown error";
}

#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"
#include "util/xmalloc.h"

static enum rw_log_level current = RW_LOG_WARN;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int json;
static char *request_id; /* under lock */

void rw_log_set_json(int on) {
    json = on;
}

void rw_log_set_request_id(const char *id) {
    char *copy = id ? rw_xstrdup(id) : NULL;
    pthread_mutex_lock(&lock);
    free(request_id);
    request_id = copy;
    pthread_mutex_unlock(&lock);
}

static void json_line(const char *level, const char *msg) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_puts(&b, "{\"level\":\"");
    rw_buf_puts(&b, level);
    rw_buf_puts(&b, "\",\"message\":");
    rw_json_write_str(&b, msg, strlen(msg));
    pthread_mutex_lock(&lock);
    if (request_id) {
        rw_buf_puts(&b, ",\"requestId\":");
        rw_json_write_str(&b, request_id, strlen(request_id));
    }
    rw_buf_puts(&b, "}\n");
    fwrite(b.data, 1, b.len, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&lock);
    rw_buf_free(&b);
}

void rw_log_set_level(enum rw_log_level level) {
    current = level;
}

enum rw_log_level rw_log_get_level(void) {
    return current;
}

void rw_log(enum rw_log_level level, const char *fmt, ...) {
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > current) return;
    char small[1024], *line = small;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small) { /* long paths or messages: never cut them short */
        line = rw_xmalloc((size_t)n + 1);
        vsnprintf(line, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    va_end(ap);
    if (json) {
        json_line(names[level], n < 0 ? fmt : line);
    } else {
        pthread_mutex_lock(&lock);
        fprintf(stderr, "rootwatch: %s: %s\n", names[level], n < 0 ? fmt : line);
        pthread_mutex_unlock(&lock);
    }
    if (line != small) free(line);
}

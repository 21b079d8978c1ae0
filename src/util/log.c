#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "util/buf.h"
#include "util/json.h"
#include "util/xmalloc.h"

static enum rw_log_level current = RW_LOG_WARN;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int json;
static int with_time;
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

void rw_log_set_time(int on) {
    with_time = on;
}

static void json_line(const char *level, const char *msg, const char *const *fields) {
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_putc(&b, '{');
    if (with_time) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        time_t t = tv.tv_sec;
        gmtime_r(&t, &tm);
        char ts[40];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        rw_buf_printf(&b, "\"time\":\"%s.%03dZ\",", ts, (int)(tv.tv_usec / 1000));
    }
    rw_buf_puts(&b, "\"level\":\"");
    rw_buf_puts(&b, level);
    rw_buf_puts(&b, "\",\"message\":");
    rw_json_write_str(&b, msg, strlen(msg));
    for (size_t i = 0; fields && fields[i]; i += 2) {
        if (!fields[i + 1]) continue;
        rw_buf_putc(&b, ',');
        rw_json_write_str(&b, fields[i], strlen(fields[i]));
        rw_buf_putc(&b, ':');
        rw_json_write_str(&b, fields[i + 1], strlen(fields[i + 1]));
    }
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

static void vlog(enum rw_log_level level, const char *const *fields, const char *fmt, va_list ap) {
    static const char *names[] = {"error", "warning", "info", "debug"};
    char small[1024], *line = small;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small) { /* long paths or messages: never cut them short */
        line = rw_xmalloc((size_t)n + 1);
        vsnprintf(line, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    if (json) {
        json_line(names[level], n < 0 ? fmt : line, fields);
    } else if (fields && fields[0]) {
        rw_buf b;
        rw_buf_init(&b, 0);
        rw_buf_printf(&b, "rootwatch: %s: %s", names[level], n < 0 ? fmt : line);
        for (size_t i = 0; fields[i]; i += 2) {
            const char *v = fields[i + 1];
            if (!v) continue;
            rw_buf_printf(&b, " %s=", fields[i]);
            if (!*v || strpbrk(v, " \"=\\") || strpbrk(v, "\n\r\t")) /* quoted as JSON */
                rw_json_write_str(&b, v, strlen(v));
            else
                rw_buf_puts(&b, v);
        }
        rw_buf_putc(&b, '\n');
        pthread_mutex_lock(&lock);
        fwrite(b.data, 1, b.len, stderr);
        pthread_mutex_unlock(&lock);
        rw_buf_free(&b);
    } else {
        pthread_mutex_lock(&lock);
        fprintf(stderr, "rootwatch: %s: %s\n", names[level], n < 0 ? fmt : line);
        pthread_mutex_unlock(&lock);
    }
    if (line != small) free(line);
}

void rw_log(enum rw_log_level level, const char *fmt, ...) {
    if (level > current) return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void rw_log_fields(enum rw_log_level level, const char *const *fields, const char *fmt, ...) {
    if (level > current) return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fields, fmt, ap);
    va_end(ap);
}

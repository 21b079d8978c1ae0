#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/xmalloc.h"

void rw_buf_init(rw_buf *b, size_t max) {
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : RW_BUF_DEFAULT_MAX;
    b->secret = false;
}

void rw_buf_set_secret(rw_buf *b) {
    b->secret = true;
}

int rw_buf_reserve(rw_buf *b, size_t extra) {
    if (extra > b->max || b->len > b->max - extra)
        return rw_error_set(RW_ELIMIT, "buffer would exceed its limit of %zu bytes", b->max);
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return RW_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    if (b->secret) { /* realloc would leave the old bytes behind in freed memory */
        char *p = rw_xmalloc(cap);
        if (b->data) memcpy(p, b->data, b->cap);
        rw_secret_free(b->data, b->cap);
        b->data = p;
    } else {
        b->data = rw_xrealloc(b->data, cap);
    }
    b->cap = cap;
    return RW_OK;
}

int rw_buf_append(rw_buf *b, const void *p, size_t n) {
    int rc = rw_buf_reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return RW_OK;
}

int rw_buf_puts(rw_buf *b, const char *s) {
    return rw_buf_append(b, s, strlen(s));
}

int rw_buf_putc(rw_buf *b, char c) {
    return rw_buf_append(b, &c, 1);
}

int rw_buf_vprintf(rw_buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return rw_error_set(RW_EINVAL, "bad format string");
    int rc = rw_buf_reserve(b, (size_t)n);
    if (rc) return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return RW_OK;
}

int rw_buf_printf(rw_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = rw_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void rw_buf_reset(rw_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

char *rw_buf_take(rw_buf *b) {
    char *p = b->data ? b->data : rw_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void rw_buf_free(rw_buf *b) {
    if (b->secret)
        rw_secret_free(b->data, b->cap);
    else
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int rw_buf_read_file(rw_buf *b, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return rw_error_set(RW_EIO, "%s: %s", path, strerror(errno));
    if (b->secret) setvbuf(f, NULL, _IONBF, 0); /* no copy in stdio's buffer */
    int rc = rw_buf_puts(b, "");
    char tmp[8192];
    size_t n;
    while (rc == RW_OK && (n = fread(tmp, 1, sizeof tmp, f)) > 0) rc = rw_buf_append(b, tmp, n);
    if (rc == RW_OK && ferror(f))
        rc = rw_error_set(RW_EIO, "%s: %s", path, strerror(errno));
    else if (rc != RW_OK)
        rc = rw_error_set(RW_ELIMIT, "%s: larger than %zu bytes", path, b->max);
    fclose(f);
    rw_secret_wipe(tmp, sizeof tmp); /* the file may be a secret */
    return rc;
}

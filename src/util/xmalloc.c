#include "util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(size_t n) {
    fprintf(stderr, "rootwatch: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *rw_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die(n);
    return p;
}

void *rw_xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) die(count * size);
    return p;
}

void *rw_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) die(n);
    return q;
}

char *rw_xstrdup(const char *s) {
    return rw_xstrndup(s, strlen(s));
}

char *rw_xstrndup(const char *s, size_t n) {
    char *p = rw_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

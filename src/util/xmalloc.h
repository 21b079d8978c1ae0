/* Allocation that cannot fail: on exhaustion the process stops with a message. Every result is
 * new memory (never NULL; a request for 0 bytes gets 1) that the caller frees with free();
 * rw_xrealloc moves p's memory as realloc does (use only what it returns). rw_xstrndup copies
 * exactly n bytes of s (which must have them, NULs included) and adds a NUL. */
#ifndef RW_XMALLOC_H
#define RW_XMALLOC_H

#include <stddef.h>

void *rw_xmalloc(size_t n);
void *rw_xcalloc(size_t count, size_t size);
void *rw_xrealloc(void *p, size_t n);
char *rw_xstrdup(const char *s);
char *rw_xstrndup(const char *s, size_t n);

#endif

/* Finds where a JSON object or array ends without parsing it: the fast path of the trail reader.
 *
 * It tracks strings (with their escapes) and bracket depth 64 bytes at a time with SIMD, in the
 * manner of simdjson's first stage, and stops at the bracket that closes the value. It checks
 * structure only: a value it skips may still be invalid JSON, which is why every record that could
 * matter is parsed in full afterwards. */
#ifndef RW_TRAIL_SKIP_H
#define RW_TRAIL_SKIP_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that must be readable after the end of the data given to rw_skip_container. */
#define RW_SKIP_PADDING 64

enum {
    RW_SKIP_UESCAPE = 1, /* the value holds a \uXXXX escape (a 'u' escaped by a backslash) */
};

typedef struct rw_skip_state {
    size_t pos;         /* bytes of the value already scanned (a multiple of 64) */
    int64_t depth;      /* containers open at pos */
    uint64_t in_string; /* all ones when pos is inside a string */
    uint64_t escaped;   /* 1 when the byte at pos is escaped by a backslash */
    unsigned flags;     /* RW_SKIP_* seen so far */
} rw_skip_state;

/* Starts skipping the value at start (which must be '{' or '['). */
void rw_skip_init(rw_skip_state *st);
/* Scans the value from st->pos up to avail bytes from its start. Returns RW_OK with *len set to
 * the length of the whole value when its closing bracket is found, or RW_EAGAIN when it continues
 * past avail (call again, with the same start and more bytes, to go on). start[avail ..
 * avail+RW_SKIP_PADDING) must be readable. */
int rw_skip_container(rw_skip_state *st, const char *start, size_t avail, size_t *len);
/* The same, one byte at a time: the reference the fast version is tested against. */
int rw_skip_container_scalar(rw_skip_state *st, const char *start, size_t avail, size_t *len);
/* Which implementation rw_skip_container uses: "avx2", "sse2" or "scalar" (a static string). */
const char *rw_skip_impl(void);

#endif

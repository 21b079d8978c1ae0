/* A growable byte buffer with a maximum size: growing past it fails loudly, never truncates.
 *
 * Ownership: the rw_buf itself is the caller's (usually on the stack or inside another struct);
 * the bytes it points to (data) belong to the buffer until rw_buf_take hands them over, and
 * rw_buf_free frees them. data may move whenever the buffer grows: a pointer into it is valid only
 * until the next append, reserve, take or free. */
#ifndef RW_BUF_H
#define RW_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct rw_buf {
    char *data; /* always NUL-terminated after a successful append */
    size_t len;
    size_t cap;
    size_t max;  /* the most bytes the buffer may hold */
    bool secret; /* holds a secret (rw_buf_set_secret) */
} rw_buf;

#define RW_BUF_DEFAULT_MAX ((size_t)1 << 30)

/* An empty buffer (no memory yet); max 0: RW_BUF_DEFAULT_MAX. Free it with rw_buf_free. */
void rw_buf_init(rw_buf *b, size_t max);
/* Marks b as holding a secret: from now on growing it leaves no copy of its bytes in freed memory,
 * and rw_buf_free wipes them (util/secret.h). Whoever takes its bytes (rw_buf_take) frees them
 * with rw_secret_free. */
void rw_buf_set_secret(rw_buf *b);
/* Makes room for extra more bytes (plus a NUL); RW_ELIMIT past max. */
int rw_buf_reserve(rw_buf *b, size_t extra);
int rw_buf_append(rw_buf *b, const void *p, size_t n);
int rw_buf_puts(rw_buf *b, const char *s);
int rw_buf_putc(rw_buf *b, char c);
int rw_buf_printf(rw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rw_buf_vprintf(rw_buf *b, const char *fmt, va_list ap);
/* Empties b, keeping its memory. */
void rw_buf_reset(rw_buf *b);
/* Hands the bytes to the caller and leaves b empty: a new NUL-terminated string (never NULL: ""
 * when b holds nothing), which the caller frees with free(), or with rw_secret_free when b is
 * marked secret. */
char *rw_buf_take(rw_buf *b);
/* Frees the bytes (wiped first when b is secret) and leaves b empty, ready for reuse; not b itself.
 */
void rw_buf_free(rw_buf *b);
/* Appends the whole file at path: RW_EIO (path: why) when it cannot be read, RW_ELIMIT when it is
 * larger than the buffer's max. The bytes pass through no other memory that is not wiped: a file
 * that holds a secret is read into a buffer marked secret. */
int rw_buf_read_file(rw_buf *b, const char *path);

#endif

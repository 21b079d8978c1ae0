/* Decompression for the trail reader: whole gzip inputs with libdeflate, streamed ones with zlib
 * (see decompress.h). */
#include "trail/decompress.h"

#include <errno.h>
#include <libdeflate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/xmalloc.h"

struct rw_decompress {
    size_t pad;
    rw_decompress_error_fn error;
    void *ctx;
    struct libdeflate_decompressor *ld;
    char *dbuf; /* the whole input decompressed, + pad */
    size_t dcap;
    unsigned char *zin; /* compressed bytes waiting for zlib */
    size_t zin_cap;
    z_stream zs;
    bool zs_init;

    /* the current stream */
    int fd;                   /* -1 when reading from memory */
    uint64_t *bytes_in;       /* bytes read from fd */
    const unsigned char *mem; /* the compressed input when in memory */
    size_t mem_len, mem_pos;
    bool gz, gz_end; /* gzip input; the last gzip member ended cleanly */
    bool gz_done;    /* no more bytes will come out of the gzip stream */
};

rw_decompress *rw_decompress_new(size_t pad, rw_decompress_error_fn error, void *ctx) {
    rw_decompress *d = rw_xcalloc(1, sizeof *d);
    d->pad = pad;
    d->error = error;
    d->ctx = ctx;
    d->fd = -1;
    d->ld = libdeflate_alloc_decompressor();
    if (!d->ld) {
        fprintf(stderr, "rootwatch: out of memory (libdeflate)\n");
        abort();
    }
    return d;
}

void rw_decompress_free(rw_decompress *d) {
    if (!d) return;
    libdeflate_free_decompressor(d->ld);
    if (d->zs_init) inflateEnd(&d->zs);
    free(d->dbuf);
    free(d->zin);
    free(d);
}

static void report(rw_decompress *d, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(rw_decompress *d, uint64_t off, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->error(d->ctx, off, msg);
}

/* ---- whole inputs --------------------------------------------------------------------------- */

bool rw_decompress_whole(rw_decompress *d, const unsigned char *in, size_t len, size_t max,
                         char **out, size_t *n, size_t *cap) {
    size_t guess = len * 8;
    if (len >= 18) {
        size_t isize = (size_t)in[len - 4] | (size_t)in[len - 3] << 8 | (size_t)in[len - 2] << 16 |
                       (size_t)in[len - 1] << 24;
        if (isize >= len / 2) { /* most likely one member, and then exact */
            if (isize > max) return false;
            guess = isize;
        }
    }
    if (guess > max) guess = max;
    if (guess < 4096) guess = 4096;
    size_t ipos = 0, opos = 0;
    for (;;) {
        if (d->dcap < guess) {
            free(d->dbuf);
            d->dbuf = rw_xmalloc(guess + d->pad);
            d->dcap = guess;
            opos = 0, ipos = 0; /* start over in the larger buffer */
        }
        size_t in_used = 0, out_used = 0;
        enum libdeflate_result res = libdeflate_gzip_decompress_ex(
            d->ld, in + ipos, len - ipos, d->dbuf + opos, d->dcap - opos, &in_used, &out_used);
        if (res == LIBDEFLATE_INSUFFICIENT_SPACE) {
            if (d->dcap >= max) return false;
            guess = d->dcap * 2 > max ? max : d->dcap * 2;
            continue;
        }
        if (res != LIBDEFLATE_SUCCESS) return false;
        ipos += in_used;
        opos += out_used;
        if (ipos == len) break;
        if (len - ipos < 2 || in[ipos] != 0x1f || in[ipos + 1] != 0x8b) return false;
    }
    *out = d->dbuf;
    *n = opos;
    *cap = d->dcap;
    return true;
}

/* ---- streaming ------------------------------------------------------------------------------ */

void rw_decompress_open_mem(rw_decompress *d, const unsigned char *data, size_t len) {
    d->fd = -1;
    d->bytes_in = NULL;
    d->mem = data;
    d->mem_len = len;
    d->mem_pos = 0;
}

void rw_decompress_open_fd(rw_decompress *d, int fd, uint64_t *bytes_in) {
    d->fd = fd;
    d->bytes_in = bytes_in;
    d->mem = NULL;
    d->mem_len = d->mem_pos = 0;
}

/* All the compressed bytes taken so far (from memory: the whole input). */
static uint64_t input_len(const rw_decompress *d) {
    return d->fd < 0 ? d->mem_len : *d->bytes_in;
}

/* The next compressed bytes: from memory, or read from the file. */
size_t rw_decompress_raw(rw_decompress *d, void *dst, size_t cap, uint64_t at) {
    if (d->fd < 0) {
        size_t n = d->mem_len - d->mem_pos;
        if (n > cap) n = cap;
        memcpy(dst, d->mem + d->mem_pos, n);
        d->mem_pos += n;
        return n;
    }
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(d->fd, (char *)dst + got, cap - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            report(d, at, "read error after %llu bytes: %s", (unsigned long long)*d->bytes_in,
                   strerror(errno));
            break;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    *d->bytes_in += got;
    return got;
}

/* How many compressed bytes zlib has consumed: for messages. */
static uint64_t gz_consumed(const rw_decompress *d) {
    uint64_t taken = d->fd < 0 ? d->mem_pos : *d->bytes_in; /* what was handed to zlib */
    return taken - d->zs.avail_in;
}

size_t rw_decompress_read(rw_decompress *d, char *dst, size_t cap, uint64_t at) {
    if (!d->gz) return rw_decompress_raw(d, dst, cap, at);
    z_stream *z = &d->zs;
    z->next_out = (unsigned char *)dst;
    z->avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
    while (z->avail_out > 0 && !d->gz_done) {
        uint64_t here = at + (cap - z->avail_out);
        if (z->avail_in == 0) {
            size_t n = rw_decompress_raw(d, d->zin, d->zin_cap, at);
            if (n == 0) {
                if (!d->gz_end)
                    report(d, here,
                           "truncated gzip data: the input ends after %llu compressed bytes, in "
                           "the middle of a gzip stream",
                           (unsigned long long)input_len(d));
                d->gz_done = true;
                break;
            }
            z->next_in = d->zin;
            z->avail_in = (uInt)n;
        }
        if (d->gz_end) { /* another gzip member must start here */
            if (z->next_in[0] != 0x1f || (z->avail_in >= 2 && z->next_in[1] != 0x8b)) {
                report(d, here,
                       "unexpected data after the end of the gzip stream, at compressed byte %llu",
                       (unsigned long long)gz_consumed(d));
                d->gz_done = true;
                break;
            }
            inflateReset(z);
            d->gz_end = false;
        }
        int zr = inflate(z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            d->gz_end = true;
            continue;
        }
        if (zr == Z_OK || zr == Z_BUF_ERROR) continue;
        here = at + (cap - z->avail_out); /* what this call wrote is good */
        report(d, here, "corrupt gzip data near compressed byte %llu: %s",
               (unsigned long long)gz_consumed(d), z->msg ? z->msg : "inflate failed");
        d->gz_done = true;
    }
    return cap - z->avail_out;
}

void rw_decompress_start(rw_decompress *d, bool gz, const void *head, size_t h) {
    d->gz = gz;
    d->gz_end = false;
    d->gz_done = false;
    if (!gz) return;
    if (!d->zs_init) {
        memset(&d->zs, 0, sizeof d->zs);
        if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK) {
            fprintf(stderr, "rootwatch: out of memory (zlib)\n");
            abort();
        }
        d->zs_init = true;
    } else {
        inflateReset(&d->zs);
    }
    d->zs.avail_in = 0;
    if (!d->zin) {
        d->zin_cap = (size_t)256 << 10;
        d->zin = rw_xmalloc(d->zin_cap);
    }
    if (h) {
        memcpy(d->zin, head, h);
        d->zs.next_in = d->zin;
        d->zs.avail_in = (uInt)h; /* zlib takes these first; zin is refilled once they are used */
    }
}

/* The zip format as PKWARE's APPNOTE describes it: for each entry a local header and the data,
 * then the central directory (one record per entry, with "made by Unix" and the mode in the high
 * 16 bits of the external attributes), then the end record. */
#include "deploy/zip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

#define ZIP_MAX 0xffffffffu /* sizes and offsets are 32 bits without zip64 */

typedef struct {
    char *name;
    unsigned mode;
    uint16_t method; /* 0 stored, 8 deflated */
    uint32_t crc, csize, usize, offset;
} zip_entry;

struct rw_zip {
    char *path, *tmp;
    FILE *f;
    uint64_t off; /* bytes written so far */
    zip_entry *e;
    size_t n;
    rw_buf cd; /* the central directory, built as entries are added */
};

static int put16(rw_buf *b, uint16_t v) {
    unsigned char p[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    return rw_buf_append(b, p, 2);
}
static int put32(rw_buf *b, uint32_t v) {
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return rw_buf_append(b, p, 4);
}

static int write_out(rw_zip *z, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, z->f) != n)
        return rw_error_set(RW_EIO, "%s: %s", z->tmp, strerror(errno));
    z->off += n;
    return RW_OK;
}

int rw_zip_open(rw_zip **out, const char *path) {
    *out = NULL;
    rw_zip *z = rw_xcalloc(1, sizeof *z);
    z->path = rw_xstrdup(path);
    size_t n = strlen(path) + 16;
    z->tmp = rw_xmalloc(n);
    snprintf(z->tmp, n, "%s.tmp%ld", path, (long)getpid());
    z->f = fopen(z->tmp, "wb");
    if (!z->f) {
        int rc = rw_error_set(RW_EIO, "%s: %s", z->tmp, strerror(errno));
        free(z->path);
        free(z->tmp);
        free(z);
        return rc;
    }
    rw_buf_init(&z->cd, 0);
    *out = z;
    return RW_OK;
}

/* Raw deflate (no zlib header), the best compression zlib has. */
static int deflate_raw(const void *data, size_t len, rw_buf *out) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return rw_error_set(RW_EIO, "zlib: deflateInit2 failed");
    uLong bound = deflateBound(&s, (uLong)len);
    int rc = rw_buf_reserve(out, bound);
    if (rc == RW_OK) {
        s.next_in = (Bytef *)data;
        s.avail_in = (uInt)len;
        s.next_out = (Bytef *)out->data;
        s.avail_out = (uInt)bound;
        if (deflate(&s, Z_FINISH) != Z_STREAM_END)
            rc = rw_error_set(RW_EIO, "zlib: deflate did not finish");
        else
            out->len = s.total_out;
    }
    deflateEnd(&s);
    return rc;
}

int rw_zip_add(rw_zip *z, const char *name, unsigned mode, const void *data, size_t len) {
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen > 0xffff || name[0] == '/')
        return rw_error_set(RW_EINVAL, "zip: bad entry name '%s'", name);
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->e[i].name, name) == 0)
            return rw_error_set(RW_EINVAL, "zip: %s is in the archive twice", name);
    if (len >= ZIP_MAX || z->off >= ZIP_MAX)
        return rw_error_set(RW_ELIMIT, "zip: %s: an archive or entry of 4 GB or more", name);
    rw_buf comp;
    rw_buf_init(&comp, 0);
    int rc = deflate_raw(data, len, &comp);
    if (rc != RW_OK) goto out;
    zip_entry e = {.mode = mode & 07777, .usize = (uint32_t)len, .offset = (uint32_t)z->off};
    e.crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
    bool deflated = comp.len < len;
    e.method = deflated ? 8 : 0;
    e.csize = deflated ? (uint32_t)comp.len : (uint32_t)len;

    rw_buf h;
    rw_buf_init(&h, 0);
    put32(&h, 0x04034b50); /* local file header */
    put16(&h, 20);         /* version needed: 2.0 (deflate) */
    put16(&h, 0);          /* flags */
    put16(&h, e.method);
    put16(&h, RW_ZIP_DOS_TIME);
    put16(&h, RW_ZIP_DOS_DATE);
    put32(&h, e.crc);
    put32(&h, e.csize);
    put32(&h, e.usize);
    put16(&h, (uint16_t)nlen);
    put16(&h, 0); /* extra field */
    rw_buf_append(&h, name, nlen);
    rc = write_out(z, h.data, h.len);
    rw_buf_free(&h);
    if (rc == RW_OK) rc = write_out(z, deflated ? comp.data : data, e.csize);
    if (rc != RW_OK) goto out;

    rw_buf *c = &z->cd;
    put32(c, 0x02014b50);              /* central directory header */
    put16(c, (uint16_t)(3 << 8 | 20)); /* made by: Unix, 2.0 */
    put16(c, 20);
    put16(c, 0);
    put16(c, e.method);
    put16(c, RW_ZIP_DOS_TIME);
    put16(c, RW_ZIP_DOS_DATE);
    put32(c, e.crc);
    put32(c, e.csize);
    put32(c, e.usize);
    put16(c, (uint16_t)nlen);
    put16(c, 0);                                  /* extra field */
    put16(c, 0);                                  /* comment */
    put16(c, 0);                                  /* disk */
    put16(c, 0);                                  /* internal attributes */
    put32(c, (uint32_t)(S_IFREG | e.mode) << 16); /* external: the Unix mode */
    put32(c, e.offset);
    rc = rw_buf_append(c, name, nlen);
    if (rc != RW_OK) goto out;
    z->e = rw_xrealloc(z->e, (z->n + 1) * sizeof *z->e);
    e.name = rw_xstrdup(name);
    z->e[z->n++] = e;
out:
    rw_buf_free(&comp);
    return rc;
}

int rw_zip_add_file(rw_zip *z, const char *name, unsigned mode, const char *path) {
    rw_buf b;
    rw_buf_init(&b, 0);
    int rc = rw_buf_read_file(&b, path);
    if (rc == RW_OK) rc = rw_zip_add(z, name, mode, b.data ? b.data : "", b.len);
    rw_buf_free(&b);
    return rc;
}

static void zip_free(rw_zip *z) {
    for (size_t i = 0; i < z->n; i++) free(z->e[i].name);
    free(z->e);
    rw_buf_free(&z->cd);
    free(z->path);
    free(z->tmp);
    free(z);
}

void rw_zip_abort(rw_zip *z) {
    if (!z) return;
    if (z->f) fclose(z->f);
    unlink(z->tmp);
    zip_free(z);
}

int rw_zip_finish(rw_zip *z, uint64_t *size) {
    int rc = RW_OK;
    if (z->n > 0xffff || z->off + z->cd.len >= ZIP_MAX) {
        rc = rw_error_set(RW_ELIMIT, "zip: %s: too many entries or too large without zip64",
                          z->path);
        goto fail;
    }
    uint32_t cd_off = (uint32_t)z->off;
    if ((rc = write_out(z, z->cd.data, z->cd.len)) != RW_OK) goto fail;
    rw_buf end;
    rw_buf_init(&end, 0);
    put32(&end, 0x06054b50); /* end of central directory */
    put16(&end, 0);
    put16(&end, 0);
    put16(&end, (uint16_t)z->n);
    put16(&end, (uint16_t)z->n);
    put32(&end, (uint32_t)z->cd.len);
    put32(&end, cd_off);
    put16(&end, 0); /* comment */
    rc = write_out(z, end.data, end.len);
    rw_buf_free(&end);
    if (rc != RW_OK) goto fail;
    FILE *f = z->f;
    z->f = NULL;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = rw_error_set(RW_EIO, "%s: %s", z->tmp, strerror(errno));
        fclose(f);
        goto fail;
    }
    if (fclose(f) != 0) {
        rc = rw_error_set(RW_EIO, "%s: %s", z->tmp, strerror(errno));
        goto fail;
    }
    if (rename(z->tmp, z->path) != 0) {
        rc = rw_error_set(RW_EIO, "%s: %s", z->path, strerror(errno));
        goto fail;
    }
    if (size) *size = z->off;
    zip_free(z);
    return RW_OK;
fail:
    rw_zip_abort(z);
    return rc;
}

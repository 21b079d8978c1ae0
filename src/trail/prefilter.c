#include "trail/prefilter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define RW_X86 1
#endif

typedef struct needle {
    char *s;
    size_t len;
    size_t i1, i2; /* the two positions whose bytes are rarest in CloudTrail text */
} needle;

/* With many needles, those that start with a quote (the text of a JSON string value: what exact
 * and prefix conditions give) are found together: at every quote of the input, the three bytes
 * after it are hashed into a bitmap of the needles' own three bytes, and only a set bit leads to
 * comparing needles. One pass, however many needles. */
#define QGROUP_MIN 4 /* fewer quoted needles are cheaper one pass each */
#define QBITS 16

typedef struct qentry {
    uint32_t hash;
    uint32_t needle;
} qentry;

struct rw_prefilter {
    needle *n;
    size_t count, max_len;
    bool *grouped;   /* per needle: found by the quote group, not by a pass of its own */
    uint64_t *qbits; /* NULL: no quote group */
    qentry *qent;    /* sorted by hash */
    size_t nqent;
    /* nibble tables (lo, hi) of the sets of the first and of the second byte after the quote:
     * byte b is in a set when lo[b & 15] & hi[b >> 4] != 0 (exact for ASCII) */
    unsigned char lo1[16], hi1[16], lo2[16], hi2[16];
};

static void nibble_add(unsigned char lo[16], unsigned char hi[16], unsigned char b) {
    unsigned bucket = 1u << ((b >> 4) & 7); /* one bucket per high nibble (ASCII: 2 to 7) */
    lo[b & 15] |= (unsigned char)bucket;
    hi[b >> 4] |= (unsigned char)bucket;
}

static inline uint32_t qhash(const char *p) { /* the three bytes at p */
    uint32_t k = (uint32_t)(unsigned char)p[0] | (uint32_t)(unsigned char)p[1] << 8 |
                 (uint32_t)(unsigned char)p[2] << 16;
    return (k * 2654435761u) >> (32 - QBITS);
}

static int cmp_qentry(const void *a, const void *b) {
    const qentry *x = a, *y = b;
    return x->hash < y->hash   ? -1
           : x->hash > y->hash ? 1
                               : (x->needle > y->needle) - (x->needle < y->needle);
}

static void build_group(rw_prefilter *pf) {
    size_t nq = 0;
    for (size_t k = 0; k < pf->count; k++)
        if (pf->n[k].len >= 4 && pf->n[k].s[0] == '"') nq++;
    pf->grouped = rw_xcalloc(pf->count ? pf->count : 1, sizeof *pf->grouped);
    if (nq < QGROUP_MIN) return;
    pf->qbits = rw_xcalloc((1u << QBITS) / 64, sizeof *pf->qbits);
    pf->qent = rw_xcalloc(nq, sizeof *pf->qent);
    for (size_t k = 0; k < pf->count; k++) {
        if (pf->n[k].len < 4 || pf->n[k].s[0] != '"') continue;
        uint32_t h = qhash(pf->n[k].s + 1);
        pf->qbits[h >> 6] |= 1ULL << (h & 63);
        nibble_add(pf->lo1, pf->hi1, (unsigned char)pf->n[k].s[1]);
        nibble_add(pf->lo2, pf->hi2, (unsigned char)pf->n[k].s[2]);
        pf->qent[pf->nqent++] = (qentry){h, (uint32_t)k};
        pf->grouped[k] = true;
    }
    qsort(pf->qent, pf->nqent, sizeof *pf->qent, cmp_qentry);
}

/* A quote at data[j]: does a grouped needle start there? */
static inline void qcheck(const rw_prefilter *pf, const char *data, size_t len, size_t j,
                          uint64_t base, rw_u64vec *hits) {
    uint32_t h = qhash(data + j + 1);
    if (!(pf->qbits[h >> 6] & (1ULL << (h & 63)))) return;
    size_t lo = 0, hi = pf->nqent;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pf->qent[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < pf->nqent && pf->qent[lo].hash == h; lo++) {
        const needle *nd = &pf->n[pf->qent[lo].needle];
        if (nd->len <= len - j && memcmp(data + j, nd->s, nd->len) == 0) {
            rw_u64vec_push(hits, base + j);
            return; /* one hit at a position is enough */
        }
    }
}

static void qscan_generic(const rw_prefilter *pf, const char *data, size_t len, uint64_t base,
                          rw_u64vec *hits) {
    const char *p = data, *end = data + len;
    while ((p = memchr(p, '"', (size_t)(end - p))) != NULL) {
        qcheck(pf, data, len, (size_t)(p - data), base, hits);
        p++;
    }
}

/* How common a byte is in CloudTrail JSON, roughly (higher is more common). */
static int frequency(unsigned char c) {
    if (c == '"') return 100;
    if (c == ':' || c == ',') return 60;
    if (c >= 'a' && c <= 'z') {
        static const char order[] = "etaoinsrlcdmupfghybvwkxjqz"; /* common first */
        const char *p = strchr(order, c);
        return 55 - (int)(p - order);
    }
    if (c >= '0' && c <= '9') return 40;
    if (c == '-' || c == '.' || c == '/' || c == '_') return 35;
    if (c >= 'A' && c <= 'Z') return c == 'A' || c == 'E' || c == 'S' || c == 'I' ? 22 : 15;
    if (c == '{' || c == '}' || c == '[' || c == ']') return 25;
    return 5;
}

rw_prefilter *rw_prefilter_new(const char *const *needles, size_t count) {
    rw_prefilter *pf = rw_xcalloc(1, sizeof *pf);
    pf->n = rw_xcalloc(count ? count : 1, sizeof *pf->n);
    for (size_t k = 0; k < count; k++) {
        needle *nd = &pf->n[pf->count];
        nd->len = strlen(needles[k]);
        if (nd->len == 0 || nd->len > 256) continue;
        nd->s = rw_xstrdup(needles[k]);
        /* the rarest byte, then the rarest other byte */
        size_t a = 0, b = nd->len > 1 ? 1 : 0;
        for (size_t i = 0; i < nd->len; i++)
            if (frequency((unsigned char)nd->s[i]) < frequency((unsigned char)nd->s[a])) a = i;
        if (nd->len > 1) {
            b = a == 0 ? 1 : 0;
            for (size_t i = 0; i < nd->len; i++)
                if (i != a &&
                    frequency((unsigned char)nd->s[i]) < frequency((unsigned char)nd->s[b]))
                    b = i;
        }
        nd->i1 = a < b ? a : b;
        nd->i2 = a < b ? b : a;
        if (nd->len > pf->max_len) pf->max_len = nd->len;
        pf->count++;
    }
    build_group(pf);
    return pf;
}

void rw_prefilter_free(rw_prefilter *pf) {
    if (!pf) return;
    for (size_t k = 0; k < pf->count; k++) free(pf->n[k].s);
    free(pf->n);
    free(pf->grouped);
    free(pf->qbits);
    free(pf->qent);
    free(pf);
}

size_t rw_prefilter_max_len(const rw_prefilter *pf) {
    return pf->max_len;
}

static void scan_generic(const needle *nd, const char *data, size_t len, uint64_t base,
                         rw_u64vec *hits) {
    const char *p = data, *end = data + len;
    while ((size_t)(end - p) >= nd->len) {
        const char *q = memchr(p + nd->i1, nd->s[nd->i1], (size_t)(end - p) - nd->i1);
        if (!q) break;
        const char *start = q - nd->i1;
        if ((size_t)(end - start) < nd->len) break;
        if (memcmp(start, nd->s, nd->len) == 0)
            rw_u64vec_push(hits, base + (uint64_t)(start - data));
        p = start + 1;
    }
}

#ifdef RW_X86
/* Two bytes of the needle at their distance apart, 32 positions at a time; candidates are
 * checked in full. Reads at most 32 + i2 bytes past the last start, within the padding. */
__attribute__((target("avx2,bmi"))) static void
scan_avx2(const needle *nd, const char *data, size_t len, uint64_t base, rw_u64vec *hits) {
    if (len < nd->len) return;
    const __m256i c1 = _mm256_set1_epi8(nd->s[nd->i1]), c2 = _mm256_set1_epi8(nd->s[nd->i2]);
    size_t last = len - nd->len; /* the last possible start */
    for (size_t i = 0; i <= last; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(data + i + nd->i1));
        __m256i b = _mm256_loadu_si256((const __m256i *)(data + i + nd->i2));
        uint32_t m = (uint32_t)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(a, c1), _mm256_cmpeq_epi8(b, c2)));
        while (m) {
            size_t s = i + (size_t)__builtin_ctz(m);
            m &= m - 1;
            if (s > last) break;
            if (memcmp(data + s, nd->s, nd->len) == 0) rw_u64vec_push(hits, base + s);
        }
    }
}
#endif

#ifdef RW_X86
/* The quote group, 32 positions at a time. Reads up to 4 bytes past a quote, within the padding. */
__attribute__((target("avx2,bmi"))) static void
qscan_avx2(const rw_prefilter *pf, const char *data, size_t len, uint64_t base, rw_u64vec *hits) {
    const __m256i q = _mm256_set1_epi8('"'), nib = _mm256_set1_epi8(0x0F),
                  zero = _mm256_setzero_si256();
    const __m256i lo1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pf->lo1));
    const __m256i hi1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pf->hi1));
    const __m256i lo2 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pf->lo2));
    const __m256i hi2 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pf->hi2));
    for (size_t i = 0; i < len; i += 32) {
        uint32_t m = (uint32_t)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(data + i)), q));
        if (!m) continue;
        /* keep quotes whose next two bytes can start a needle's text */
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(data + i + 1));
        __m256i x2 = _mm256_loadu_si256((const __m256i *)(data + i + 2));
        __m256i s1 = _mm256_and_si256(
            _mm256_shuffle_epi8(lo1, _mm256_and_si256(x1, nib)),
            _mm256_shuffle_epi8(hi1, _mm256_and_si256(_mm256_srli_epi16(x1, 4), nib)));
        __m256i s2 = _mm256_and_si256(
            _mm256_shuffle_epi8(lo2, _mm256_and_si256(x2, nib)),
            _mm256_shuffle_epi8(hi2, _mm256_and_si256(_mm256_srli_epi16(x2, 4), nib)));
        m &= ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(s1, zero));
        m &= ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(s2, zero));
        while (m) {
            size_t j = i + (size_t)__builtin_ctz(m);
            m &= m - 1;
            if (j >= len) break;
            qcheck(pf, data, len, j, base, hits);
        }
    }
}
#endif

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void rw_prefilter_scan(const rw_prefilter *pf, const char *data, size_t len, uint64_t base,
                       rw_u64vec *hits) {
    size_t before = hits->n;
#ifdef RW_X86
    static int avx2 = -1;
    if (avx2 < 0) {
        __builtin_cpu_init();
        avx2 = __builtin_cpu_supports("avx2");
    }
#endif
    size_t passes = 0;
    if (pf->qbits) {
        passes++;
#ifdef RW_X86
        if (avx2)
            qscan_avx2(pf, data, len, base, hits);
        else
#endif
            qscan_generic(pf, data, len, base, hits);
    }
    for (size_t k = 0; k < pf->count; k++) {
        const needle *nd = &pf->n[k];
        if (pf->grouped[k]) continue;
        passes++;
#ifdef RW_X86
        if (avx2 && nd->i2 + 32 <= 64) {
            scan_avx2(nd, data, len, base, hits);
            continue;
        }
#endif
        scan_generic(nd, data, len, base, hits);
    }
    if (passes > 1 && hits->n - before > 1)
        qsort(hits->v + before, hits->n - before, sizeof *hits->v, cmp_u64);
}

int rw_prefilter_contains(const rw_prefilter *pf, const char *data, size_t len) {
    for (size_t k = 0; k < pf->count; k++)
        if (memmem(data, len, pf->n[k].s, pf->n[k].len)) return 1;
    return 0;
}

#include "rules/casemap.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static const rw_casemap_entry *lookup(unsigned unit) {
    size_t lo = 0, hi = rw_casemap_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rw_casemap_table[mid].unit < unit)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < rw_casemap_count && rw_casemap_table[lo].unit == unit ? &rw_casemap_table[lo]
                                                                      : NULL;
}

/* Decodes one UTF-8 sequence; returns its length (1 for an invalid byte, taken as it is). */
static size_t decode(const unsigned char *s, size_t n, unsigned *cp) {
    unsigned c = s[0];
    if (c < 0x80) return *cp = c, 1;
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 || len > n) return *cp = 0x110000 + c, 1;
    unsigned v = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return *cp = 0x110000 + c, 1;
        v = v << 6 | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

void rw_icase_compile(rw_icase *ic, const char *s, size_t n) {
    ic->u = rw_xcalloc(n * 2 + 1, sizeof *ic->u); /* at most two units per byte */
    ic->n = 0;
    ic->ascii = true;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned cp;
        size_t len = decode(p + i, n - i, &cp);
        if (cp >= 0x10000 && cp < 0x110000) { /* two surrogate units: each written as '?' */
            for (int k = 0; k < 2; k++) {
                struct rw_icase_unit *u = &ic->u[ic->n++];
                u->own[0] = '?';
                u->a = u->own, u->na = 1, u->b = NULL;
            }
            ic->ascii = false;
            i += len;
            continue;
        }
        struct rw_icase_unit *u = &ic->u[ic->n++];
        u->b = NULL;
        if (cp < 0x80) {
            u->own[0] = (char)cp;
            u->a = u->own, u->na = 1;
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') {
                u->own[0] = (char)(cp | 0x20);
                u->own[1] = (char)(cp & ~0x20u);
                u->b = u->own + 1, u->nb = 1;
            }
        } else {
            ic->ascii = false;
            const rw_casemap_entry *e = cp < 0x110000 ? lookup(cp) : NULL;
            if (e) {
                u->a = e->lo, u->na = e->nlo;
                if (e->nlo != e->nup || memcmp(e->lo, e->up, e->nlo) != 0)
                    u->b = e->up, u->nb = e->nup;
            } else {
                memcpy(u->own, p + i, len);
                u->a = u->own, u->na = (unsigned char)len;
            }
        }
        i += len;
    }
}

void rw_icase_free(rw_icase *ic) {
    free(ic->u);
    ic->u = NULL;
    ic->n = 0;
}

static bool ascii_eq(const struct rw_icase_unit *u, const char *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (v[i] != u[i].a[0] && (!u[i].b || v[i] != u[i].b[0])) return false;
    return true;
}

bool rw_icase_match(const rw_icase *ic, const char *v, size_t n, rw_icase_mode mode) {
    if (ic->ascii) {
        if (mode == RW_ICASE_EQUALS) return n == ic->n && ascii_eq(ic->u, v, n);
        if (n < ic->n) return false;
        return ascii_eq(ic->u, mode == RW_ICASE_PREFIX ? v : v + n - ic->n, ic->n);
    }
    /* positions of v reachable after each unit (a unit's forms can differ in length) */
    unsigned char small[2][256];
    unsigned char *cur = n + 1 <= 256 ? small[0] : rw_xcalloc(n + 1, 1);
    unsigned char *next = n + 1 <= 256 ? small[1] : rw_xcalloc(n + 1, 1);
    memset(cur, 0, n + 1);
    if (mode == RW_ICASE_SUFFIX)
        memset(cur, 1, n + 1);
    else
        cur[0] = 1;
    bool any = true;
    for (size_t k = 0; k < ic->n && any; k++) {
        const struct rw_icase_unit *u = &ic->u[k];
        memset(next, 0, n + 1);
        any = false;
        for (size_t j = 0; j <= n; j++) {
            if (!cur[j]) continue;
            if (u->na <= n - j && memcmp(v + j, u->a, u->na) == 0) next[j + u->na] = 1, any = true;
            if (u->b && u->nb <= n - j && memcmp(v + j, u->b, u->nb) == 0)
                next[j + u->nb] = 1, any = true;
        }
        unsigned char *t = cur;
        cur = next, next = t;
    }
    bool ok = false;
    if (any || ic->n == 0) {
        if (mode == RW_ICASE_PREFIX) {
            for (size_t j = 0; j <= n && !ok; j++) ok = cur[j];
        } else {
            ok = cur[n];
        }
    }
    if (n + 1 > 256) {
        free(cur);
        free(next);
    }
    return ok;
}

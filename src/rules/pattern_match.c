/* Matching events against compiled patterns (docs/eventbridge-pattern-semantics.md sections 2-5).
 *
 * The event is flattened once into fields (path, scalar value, array membership), only along the
 * paths that some pattern uses: the paths form a trie of name segments, and a member whose name is
 * not in the trie is never visited. Sub-rules are then decided by the reference search of section
 * 3.1. Exact-value and prefix conditions are indexed, so a sub-rule is tried only when the event
 * has a value that can satisfy its most selective condition. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/ipaddr.h"
#include "rules/pattern_impl.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* ---- the path trie ----------------------------------------------------------------------------
 */

typedef struct pnode {
    const char *seg;
    size_t seglen;
    uint64_t head; /* the first bytes of seg (up to 8), for a quick compare */
    uint32_t *kids;
    uint32_t nkids, capkids;
    int32_t path_id; /* -1: no pattern uses this path itself */
    uint32_t *table; /* wide nodes: kids by hash (index + 1; 0 empty), tmask + 1 slots */
    uint32_t tmask;
    uint64_t lens; /* bit n: a kid's name is n bytes long (bit 63: 63 or more) */
} pnode;

typedef struct mcond {
    uint32_t path_id;
    const cond *c;
} mcond;

typedef struct msub {
    uint32_t pattern;
    mcond *conds;
    size_t n;
    int pivot; /* the indexed condition, or -1: always tried */
} msub;

/* index entries: (path, kind, key) -> sub-rules whose pivot condition holds that alternative */
enum { IX_STR, IX_TRUE, IX_FALSE, IX_NULL, IX_NUM };

/* the prefixes of one path, as a byte trie: a value is walked once, whatever the prefixes */
typedef struct ptnode {
    unsigned char *bytes; /* the kids' bytes, ascending */
    uint32_t *kids;
    uint32_t nkids;
    uint32_t *subs; /* sub-rules whose pivot prefix ends here */
    uint32_t nsubs;
} ptnode;

/* what the index holds for one path, so that lookups that cannot hit are not made */
typedef struct pathix {
    bool any;                /* some pivot is on this path */
    bool str, lit, num;      /* exact strings, true/false/null, numbers */
    uint64_t first[4];       /* the first bytes of the exact strings and prefixes (a 256-bit set) */
    uint32_t minlen, maxlen; /* of the exact strings */
    ptnode *pt;              /* the prefix trie (NULL: no prefix pivot), node 0 the root */
    uint32_t npt;
    uint32_t *present; /* sub-rules that are candidates whenever the path has a value */
    size_t npresent, cappresent;
} pathix;

typedef struct ixent {
    uint32_t path_id;
    uint8_t kind;
    const char *key;
    size_t keylen;
    double num;
    uint32_t *subs;
    size_t nsubs, capsubs;
} ixent;

struct rw_matcher {
    const rw_pattern **pats;
    size_t npats, cappats;
    bool built;
    pnode *nodes;
    size_t nnodes, capnodes;
    uint32_t npaths;
    msub *subs;
    size_t nsubs;
    uint32_t *always; /* sub-rules without a pivot */
    size_t nalways;
    ixent *ix; /* open addressing */
    size_t ixcap, nix;
    pathix *px; /* per path */
};

/* ---- events as fields -------------------------------------------------------------------------
 */

enum { F_STR, F_NUM, F_TRUE, F_FALSE, F_NULL };

typedef struct memb {
    uint32_t array, index;
} memb;

typedef struct field {
    uint32_t path_id;
    uint8_t type;
    int8_t numstate; /* F_NUM: 0 unknown, 1 comparable, -1 not */
    int8_t ipstate;  /* F_STR: 0 unknown, 1 an IP (hex in ip), -1 not */
    uint8_t iplen;
    const char *s; /* F_STR: the value; F_NUM: its text */
    uint32_t n;
    double d;
    uint32_t next; /* the next field on the same path (index + 1) */
    uint32_t memb, nmemb;
    char ip[33];
} field;

struct rw_match_scratch {
    field *f;
    size_t nf, capf;
    uint32_t *first; /* per path: the first field (index + 1) */
    size_t capfirst;
    uint32_t *touched;
    size_t ntouched, captouched;
    memb *m;
    size_t nm, capm;
    memb *stack;
    size_t nstack, capstack;
    uint32_t arrays;
    memb *acc; /* membership accumulated by the search */
    size_t nacc, capacc;
    uint32_t *cand_stamp; /* per sub-rule: the event number it became a candidate at */
    uint32_t *pat_stamp;  /* per pattern: matched at this event number */
    size_t capsub, cappat;
    uint32_t stamp;
    uint32_t *cands;
    size_t ncands, capcands;
    uint64_t *patbits; /* the patterns matched, one bit each (cleared after each event) */
    size_t cappatbits;
};

rw_match_scratch *rw_match_scratch_new(void) {
    return rw_xcalloc(1, sizeof(rw_match_scratch));
}

void rw_match_scratch_free(rw_match_scratch *s) {
    if (!s) return;
    free(s->f);
    free(s->first);
    free(s->touched);
    free(s->m);
    free(s->stack);
    free(s->acc);
    free(s->cand_stamp);
    free(s->pat_stamp);
    free(s->cands);
    free(s->patbits);
    free(s);
}

#define GROW(ptr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : 16;                                                          \
            (ptr) = rw_xrealloc((ptr), (cap) * sizeof *(ptr));                                     \
        }                                                                                          \
    } while (0)

/* ---- building ---------------------------------------------------------------------------------
 */

rw_matcher *rw_matcher_new(void) {
    rw_matcher *m = rw_xcalloc(1, sizeof *m);
    m->nodes = rw_xcalloc(1, sizeof *m->nodes);
    m->nnodes = m->capnodes = 1;
    m->nodes[0].path_id = -1;
    return m;
}

size_t rw_matcher_add(rw_matcher *m, const rw_pattern *p) {
    GROW(m->pats, m->npats, m->cappats);
    m->pats[m->npats] = p;
    m->built = false;
    return m->npats++;
}

static inline uint64_t head_of(const char *s, size_t n) {
    uint64_t h = 0;
    if (n >= 8) {
        memcpy(&h, s, 8); /* a fixed size: one load, no call */
    } else {
        for (size_t i = 0; i < n; i++) h |= (uint64_t)(unsigned char)s[i] << (8 * i);
    }
    return h;
}

static inline uint32_t kid_hash(uint64_t head, size_t n) {
    uint64_t h = (head ^ (uint64_t)n << 59) * 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(h >> 32);
}

/* The first bytes of a document string (up to 8), read as one word: the document guarantees
 * RW_JSON_SLACK readable bytes after every string, and what lies past it is masked off. */
static inline uint64_t head_fast(const char *s, size_t n) {
    uint64_t w;
    memcpy(&w, s, 8);
    return n >= 8 ? w : w & ((1ULL << (8 * n)) - 1);
}

/* Are the bytes after the first 8 equal (both n long, both followed by RW_JSON_SLACK bytes)?
 * Eight at a time, the last word masked. */
static inline bool same_tail(const char *a, const char *b, size_t n) {
    for (size_t i = 8; i < n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        uint64_t d = x ^ y;
        if (n - i < 8) d &= (1ULL << (8 * (n - i))) - 1;
        if (d) return false;
    }
    return true;
}

/* The kid of node p named seg, or UINT32_MAX: the lookup of every event member, kept small. */
static inline uint32_t find_kid(const rw_matcher *m, const pnode *p, const char *seg, size_t n) {
    if (!((p->lens >> (n < 63 ? n : 63)) & 1)) return UINT32_MAX; /* no kid is this long */
    uint64_t head = head_fast(seg, n);
    if (p->table) {
        uint32_t id;
        for (uint32_t j = kid_hash(head, n) & p->tmask; (id = p->table[j]) != 0;
             j = (j + 1) & p->tmask) {
            const pnode *k = &m->nodes[id - 1];
            if (k->head == head && k->seglen == n && same_tail(k->seg, seg, n)) return id - 1;
        }
        return UINT32_MAX;
    }
    for (uint32_t i = 0; i < p->nkids; i++) {
        const pnode *k = &m->nodes[p->kids[i]];
        if (k->head == head && k->seglen == n && same_tail(k->seg, seg, n)) return p->kids[i];
    }
    return UINT32_MAX;
}

static uint32_t child(rw_matcher *m, uint32_t node, const char *seg, size_t n, bool create) {
    pnode *p = &m->nodes[node];
    uint64_t head = head_of(seg, n);
    if (p->table) { /* a wide node (built with the matcher): by hash */
        for (uint32_t j = kid_hash(head, n) & p->tmask; p->table[j]; j = (j + 1) & p->tmask) {
            uint32_t id = p->table[j] - 1;
            pnode *k = &m->nodes[id];
            if (k->head == head && k->seglen == n &&
                (n <= 8 || memcmp(k->seg + 8, seg + 8, n - 8) == 0))
                return id;
        }
        if (!create) return UINT32_MAX;
    }
    for (uint32_t i = 0; i < p->nkids; i++) {
        pnode *k = &m->nodes[p->kids[i]];
        if (k->head == head && k->seglen == n &&
            (n <= 8 || memcmp(k->seg + 8, seg + 8, n - 8) == 0))
            return p->kids[i];
    }
    if (!create) return UINT32_MAX;
    GROW(m->nodes, m->nnodes, m->capnodes);
    uint32_t id = (uint32_t)m->nnodes++;
    char *copy = rw_xcalloc(n + RW_JSON_SLACK + 1, 1); /* with slack, as document strings have */
    memcpy(copy, seg, n);
    m->nodes[id] = (pnode){copy, n, head, NULL, 0, 0, -1, NULL, 0, 0};
    p = &m->nodes[node];
    GROW(p->kids, p->nkids, p->capkids);
    p->kids[p->nkids++] = id;
    p->lens |= 1ULL << (n < 63 ? n : 63);
    return id;
}

static uint32_t intern(rw_matcher *m, const char *path) {
    uint32_t node = 0;
    const char *s = path;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        node = child(m, node, s, n, true);
        if (!dot) break;
        s = dot + 1;
    }
    if (m->nodes[node].path_id < 0) m->nodes[node].path_id = (int32_t)m->npaths++;
    return (uint32_t)m->nodes[node].path_id;
}

static inline uint64_t mix(uint64_t h, uint64_t v) {
    h = (h ^ v) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 31);
}

/* eight bytes at a time; padded: key is a document string (RW_JSON_SLACK bytes follow it) */
static inline uint64_t ix_hash_any(uint32_t path, uint8_t kind, const char *key, size_t n,
                                   double num, bool padded) {
    uint64_t h = mix(0x243F6A8885A308D3ULL, (uint64_t)path << 8 | kind);
    if (kind == IX_NUM) {
        uint64_t v;
        memcpy(&v, &num, sizeof v);
        return mix(h, v);
    }
    for (; n >= 8; n -= 8, key += 8) {
        uint64_t v;
        memcpy(&v, key, 8);
        h = mix(h, v);
    }
    uint64_t t = 0;
    if (padded && n) {
        memcpy(&t, key, 8);
        t &= (1ULL << (8 * n)) - 1;
    } else {
        for (size_t i = 0; i < n; i++) t |= (uint64_t)(unsigned char)key[i] << (8 * i);
    }
    return mix(h, t ^ (uint64_t)n << 56);
}

static uint64_t ix_hash(uint32_t path, uint8_t kind, const char *key, size_t n, double num) {
    return ix_hash_any(path, kind, key, n, num, false);
}

static ixent *ix_find(rw_matcher *m, uint32_t path, uint8_t kind, const char *key, size_t n,
                      double num, bool create) {
    if (!m->ixcap) {
        if (!create) return NULL;
        m->ixcap = 64;
        m->ix = rw_xcalloc(m->ixcap, sizeof *m->ix);
    }
    if (create && (m->nix + 1) * 2 > m->ixcap) {
        ixent *old = m->ix;
        size_t oldcap = m->ixcap;
        m->ixcap *= 2;
        m->ix = rw_xcalloc(m->ixcap, sizeof *m->ix);
        for (size_t i = 0; i < oldcap; i++) {
            if (!old[i].subs) continue;
            size_t j = ix_hash(old[i].path_id, old[i].kind, old[i].key, old[i].keylen, old[i].num) &
                       (m->ixcap - 1);
            while (m->ix[j].subs) j = (j + 1) & (m->ixcap - 1);
            m->ix[j] = old[i];
        }
        free(old);
    }
    size_t j = ix_hash_any(path, kind, key, n, num, !create) &
               (m->ixcap - 1); /* lookups: document strings */
    while (m->ix[j].subs) {
        ixent *e = &m->ix[j];
        if (e->path_id == path && e->kind == kind &&
            (kind == IX_NUM ? e->num == num : e->keylen == n && memcmp(e->key, key, n) == 0))
            return e;
        j = (j + 1) & (m->ixcap - 1);
    }
    if (!create) return NULL;
    ixent *e = &m->ix[j];
    *e = (ixent){path, kind, key, n, num, rw_xmalloc(4 * sizeof(uint32_t)), 0, 4};
    m->nix++;
    return e;
}

static void ix_add(rw_matcher *m, uint32_t path, uint8_t kind, const char *key, size_t n,
                   double num, uint32_t sub) {
    ixent *e = ix_find(m, path, kind, key, n, num, true);
    if (e->nsubs && e->subs[e->nsubs - 1] == sub) return;
    GROW(e->subs, e->nsubs, e->capsubs);
    e->subs[e->nsubs++] = sub;
}

/* Paths whose values CloudTrail events share widely: a condition there selects little. */
static bool few_values(const char *path) {
    static const char *const common[] = {"detail-type",
                                         "source",
                                         "version",
                                         "region",
                                         "account",
                                         "detail.eventType",
                                         "detail.eventCategory",
                                         "detail.eventVersion",
                                         "detail.managementEvent",
                                         "detail.readOnly",
                                         "detail.awsRegion",
                                         "detail.eventSource",
                                         "detail.recipientAccountId",
                                         "detail.userIdentity.type",
                                         "detail.userIdentity.accountId"};
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strcmp(path, common[i]) == 0) return true;
    return false;
}

/* How well a condition serves as the pivot that makes its sub-rule a candidate (0: it cannot).
 * Exact values and non-empty prefixes are looked up by value; any other condition that absence
 * does not satisfy is looked up by the path having a value. */
static int pivot_score(const cond *c) {
    if (c->absent_ok || !c->nalts) return 0;
    int kind = 3; /* 3 exact, 2 prefix, 1 presence */
    for (size_t k = 0; k < c->nalts; k++) {
        const alt *a = &c->alts[k];
        switch (a->kind) {
        case A_STR:
        case A_TRUE:
        case A_FALSE:
        case A_NULL:
            break;
        case A_NUM:
            if (!a->comparable) kind = 1;
            break;
        case A_PREFIX:
            if (a->s.n == 0)
                kind = 1;
            else if (kind > 2)
                kind = 2;
            break;
        default:
            kind = 1;
        }
    }
    int score = kind * 1000;
    if (kind > 1) score -= (few_values(c->path) ? 500 : 0) + (int)(c->nalts > 100 ? 100 : c->nalts);
    return score;
}

static void add_present(pathix *x, uint32_t sub) {
    GROW(x->present, x->npresent, x->cappresent);
    x->present[x->npresent++] = sub;
}

static void add_prefix(pathix *x, const char *p, size_t n, uint32_t sub) {
    if (!x->pt) {
        x->pt = rw_xcalloc(1, sizeof *x->pt);
        x->npt = 1;
    }
    uint32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        ptnode *t = &x->pt[node];
        uint32_t k = 0;
        while (k < t->nkids && t->bytes[k] < c) k++;
        if (k < t->nkids && t->bytes[k] == c) {
            node = t->kids[k];
            continue;
        }
        uint32_t id = x->npt++;
        x->pt = rw_xrealloc(x->pt, x->npt * sizeof *x->pt);
        memset(&x->pt[id], 0, sizeof x->pt[id]);
        t = &x->pt[node];
        t->bytes = rw_xrealloc(t->bytes, (t->nkids + 1) * sizeof *t->bytes);
        t->kids = rw_xrealloc(t->kids, (t->nkids + 1) * sizeof *t->kids);
        memmove(t->bytes + k + 1, t->bytes + k, t->nkids - k);
        memmove(t->kids + k + 1, t->kids + k, (t->nkids - k) * sizeof *t->kids);
        t->bytes[k] = c;
        t->kids[k] = id;
        t->nkids++;
        node = id;
    }
    ptnode *t = &x->pt[node];
    if (t->nsubs && t->subs[t->nsubs - 1] == sub) return;
    t->subs = rw_xrealloc(t->subs, (t->nsubs + 1) * sizeof *t->subs);
    t->subs[t->nsubs++] = sub;
}

static void free_px(rw_matcher *m) {
    for (size_t i = 0; m->px && i < m->npaths; i++) {
        for (uint32_t k = 0; k < m->px[i].npt; k++) {
            free(m->px[i].pt[k].bytes);
            free(m->px[i].pt[k].kids);
            free(m->px[i].pt[k].subs);
        }
        free(m->px[i].pt);
        free(m->px[i].present);
    }
    free(m->px);
    m->px = NULL;
}

static void build(rw_matcher *m) {
    for (size_t i = 0; i < m->nsubs; i++) free(m->subs[i].conds);
    free(m->subs);
    free(m->always);
    for (size_t i = 0; i < m->ixcap; i++) free(m->ix[i].subs);
    free(m->ix);
    m->ix = NULL;
    m->ixcap = m->nix = 0;
    free_px(m);
    size_t total = 0;
    for (size_t p = 0; p < m->npats; p++) total += m->pats[p]->nsubs;
    m->subs = rw_xcalloc(total ? total : 1, sizeof *m->subs);
    m->always = rw_xcalloc(total ? total : 1, sizeof *m->always);
    m->nsubs = m->nalways = 0;
    for (size_t p = 0; p < m->npats; p++) {
        const rw_pattern *pat = m->pats[p];
        for (size_t s = 0; s < pat->nsubs; s++) {
            const subrule *sr = &pat->subs[s];
            msub *ms = &m->subs[m->nsubs];
            ms->pattern = (uint32_t)p;
            ms->n = sr->n;
            ms->conds = rw_xcalloc(sr->n ? sr->n : 1, sizeof *ms->conds);
            int best = 0;
            ms->pivot = -1;
            for (size_t i = 0; i < sr->n; i++) { /* the most selective condition is the pivot */
                ms->conds[i].path_id = intern(m, sr->conds[i].path);
                ms->conds[i].c = &sr->conds[i];
                int sc = pivot_score(&sr->conds[i]);
                if (sc > best) best = sc, ms->pivot = (int)i;
            }
            m->nsubs++;
        }
    }
    for (size_t i = 0; i < m->nnodes; i++) { /* wide nodes get a hash table of their kids */
        pnode *p = &m->nodes[i];
        free(p->table);
        p->table = NULL;
        if (p->nkids <= 6) continue;
        uint32_t size = 16;
        while (size < p->nkids * 3) size *= 2;
        p->table = rw_xcalloc(size, sizeof *p->table);
        p->tmask = size - 1;
        for (uint32_t k = 0; k < p->nkids; k++) {
            const pnode *c = &m->nodes[p->kids[k]];
            uint32_t j = kid_hash(c->head, c->seglen) & p->tmask;
            while (p->table[j]) j = (j + 1) & p->tmask;
            p->table[j] = p->kids[k] + 1;
        }
    }
    m->px = rw_xcalloc(m->npaths + 1, sizeof *m->px);
    for (size_t i = 0; i < m->nsubs; i++) {
        msub *ms = &m->subs[i];
        if (ms->pivot < 0) {
            m->always[m->nalways++] = (uint32_t)i;
            continue;
        }
        const mcond *mc = &ms->conds[ms->pivot];
        pathix *x = &m->px[mc->path_id];
        if ((pivot_score(mc->c) + 999) / 1000 <
            2) { /* the kind is presence (1): no value to look up */
            add_present(x, (uint32_t)i);
            continue;
        }
        x->any = true;
        for (size_t k = 0; k < mc->c->nalts; k++) {
            const alt *a = &mc->c->alts[k];
            switch (a->kind) {
            case A_STR:
                ix_add(m, mc->path_id, IX_STR, a->s.s, a->s.n, 0, (uint32_t)i);
                if (a->s.n)
                    x->first[(unsigned char)a->s.s[0] >> 6] |= 1ULL
                                                               << ((unsigned char)a->s.s[0] & 63);
                else
                    x->first[0] |= 1; /* "" is looked up by its first byte, the NUL after it */
                if (!x->str || a->s.n < x->minlen) x->minlen = (uint32_t)a->s.n;
                if (!x->str || a->s.n > x->maxlen) x->maxlen = (uint32_t)a->s.n;
                x->str = true;
                break;
            case A_TRUE:
                ix_add(m, mc->path_id, IX_TRUE, "", 0, 0, (uint32_t)i), x->lit = true;
                break;
            case A_FALSE:
                ix_add(m, mc->path_id, IX_FALSE, "", 0, 0, (uint32_t)i), x->lit = true;
                break;
            case A_NULL:
                ix_add(m, mc->path_id, IX_NULL, "", 0, 0, (uint32_t)i), x->lit = true;
                break;
            case A_NUM:
                ix_add(m, mc->path_id, IX_NUM, "", 0, a->d, (uint32_t)i), x->num = true;
                break;
            case A_PREFIX:
                add_prefix(x, a->s.s, a->s.n, (uint32_t)i);
                x->first[(unsigned char)a->s.s[0] >> 6] |= 1ULL << ((unsigned char)a->s.s[0] & 63);
                break;
            default:
                break;
            }
        }
    }
    m->built = true;
}

void rw_matcher_free(rw_matcher *m) {
    if (!m) return;
    for (size_t i = 0; i < m->nnodes; i++) {
        free(m->nodes[i].kids);
        free(m->nodes[i].table);
        free((char *)m->nodes[i].seg);
    }
    free(m->nodes);
    for (size_t i = 0; i < m->nsubs; i++) free(m->subs[i].conds);
    free(m->subs);
    free(m->always);
    for (size_t i = 0; i < m->ixcap; i++) free(m->ix[i].subs);
    free(m->ix);
    free_px(m);
    free(m->pats);
    free(m);
}

/* ---- flattening -------------------------------------------------------------------------------
 */

static void emit(rw_matcher *m, rw_match_scratch *s, uint32_t node, const rw_json *v) {
    int32_t pid = m->nodes[node].path_id;
    if (pid < 0) return;
    GROW(s->f, s->nf, s->capf);
    field *f = &s->f[s->nf];
    memset(f, 0, offsetof(field, ip));
    f->path_id = (uint32_t)pid;
    switch (v->type) {
    case RW_JSON_STRING:
        f->type = F_STR, f->s = v->str, f->n = v->len;
        break;
    case RW_JSON_NUMBER:
        f->type = F_NUM, f->s = v->str, f->n = v->len;
        break;
    case RW_JSON_TRUE:
        f->type = F_TRUE;
        break;
    case RW_JSON_FALSE:
        f->type = F_FALSE;
        break;
    default:
        f->type = F_NULL;
        break;
    }
    if (s->nstack) {
        f->memb = (uint32_t)s->nm;
        f->nmemb = (uint32_t)s->nstack;
        for (size_t i = 0; i < s->nstack; i++) {
            GROW(s->m, s->nm, s->capm);
            s->m[s->nm++] = s->stack[i];
        }
    }
    if (!s->first[pid]) {
        GROW(s->touched, s->ntouched, s->captouched);
        s->touched[s->ntouched++] = (uint32_t)pid;
    }
    f->next = s->first[pid];
    s->first[pid] = (uint32_t)++s->nf;
}

/* The first '.' in [k, end), or end: eight bytes at a time (never reading past end). */
static inline const char *find_dot(const char *k, const char *end) {
    const uint64_t dots = 0x2E2E2E2E2E2E2E2EULL, lo = 0x0101010101010101ULL,
                   hi = 0x8080808080808080ULL;
    while (end - k >= 8) {
        uint64_t w;
        memcpy(&w, k, 8);
        uint64_t x = w ^ dots;
        uint64_t z = (x - lo) & ~x & hi; /* the high bit of each byte that was '.' */
        if (z) return k + (__builtin_ctzll(z) >> 3);
        k += 8;
    }
    while (k < end && *k != '.') k++;
    return k;
}

static void walk(rw_matcher *m, rw_match_scratch *s, uint32_t node, const rw_json *v) {
    if (v->type == RW_JSON_OBJECT) {
        for (const rw_json *c = v->child; c; c = c->next) {
            uint32_t n = node;
            const char *k = c->key, *end = c->key + c->key_len;
            for (;;) { /* a name holding dots is the same as nested names */
                const char *dot = find_dot(k, end);
                n = find_kid(m, &m->nodes[n], k, (size_t)(dot - k));
                if (n == UINT32_MAX || dot == end) break;
                k = dot + 1;
            }
            if (n == UINT32_MAX) continue;
            if (c->type == RW_JSON_OBJECT || c->type == RW_JSON_ARRAY)
                walk(m, s, n, c);
            else
                emit(m, s, n, c);
        }
    } else if (v->type == RW_JSON_ARRAY) {
        uint32_t id = s->arrays++, i = 0;
        for (const rw_json *e = v->child; e; e = e->next, i++) {
            if (e->type == RW_JSON_OBJECT || e->type == RW_JSON_ARRAY) {
                GROW(s->stack, s->nstack, s->capstack);
                s->stack[s->nstack++] = (memb){id, i};
                walk(m, s, node, e);
                s->nstack--;
            } else {
                emit(m, s, node, e);
            }
        }
    } else {
        emit(m, s, node, v);
    }
}

static void flatten(rw_matcher *m, rw_match_scratch *s, const rw_json *event) {
    for (size_t i = 0; i < s->ntouched; i++) s->first[s->touched[i]] = 0;
    s->ntouched = s->nf = s->nm = s->nstack = 0;
    s->arrays = 0;
    if (s->capfirst < m->npaths + 1) {
        free(s->first);
        s->capfirst = m->npaths + 1;
        s->first = rw_xcalloc(s->capfirst, sizeof *s->first);
    }
    walk(m, s, 0, event);
}

/* ---- deciding ---------------------------------------------------------------------------------
 */

static bool num_info(field *f) {
    if (f->numstate == 0) {
        if (strpbrk(f->s,
                    ".eE")) { /* a float becomes the nearest double, comparable unless infinite */
            f->d = strtod(f->s, NULL);
            f->numstate = isfinite(f->d) ? 1 : -1;
        } else {
            f->numstate = rw_pattern_number_comparable(f->s, &f->d) ? 1 : -1;
        }
        if (f->numstate > 0 && f->d == 0) f->d = 0.0;
    }
    return f->numstate > 0;
}

/* The bytes a cidr range is compared with: an IP string's hex digits, a number's canonical text,
 * a literal's text; NULL for a string that is not an IP. */
static const char *range_bytes(field *f, size_t *n, char buf[40]) {
    switch (f->type) {
    case F_STR:
        if (f->ipstate == 0) {
            size_t k = rw_ipaddr_to_hex(f->s, f->n, f->ip, NULL);
            f->ipstate = k ? 1 : -1;
            f->iplen = (uint8_t)k;
        }
        if (f->ipstate < 0) return NULL;
        *n = f->iplen;
        return f->ip;
    case F_NUM: {
        const char *t = rw_pattern_number_canonical(f->s, buf);
        *n = strlen(t);
        return t;
    }
    case F_TRUE:
        *n = 4;
        return "true";
    case F_FALSE:
        *n = 5;
        return "false";
    default:
        *n = 4;
        return "null";
    }
}

static bool str_in(const str *list, size_t n, const char *s, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (list[i].n == len && memcmp(list[i].s, s, len) == 0) return true;
    return false;
}

static bool alt_match(const alt *a, field *f) {
    bool is_str = f->type == F_STR;
    char buf[40];
    size_t n;
    const char *v;
    switch (a->kind) {
    case A_STR:
        return is_str && f->n == a->s.n && memcmp(f->s, a->s.s, f->n) == 0;
    case A_IP:
        if (!(v = range_bytes(f, &n, buf))) return false;
        return n >= a->s.n && memcmp(v, a->s.s, a->s.n) == 0;
    case A_NUM:
        if (f->type != F_NUM) return false;
        if (num_info(f)) return a->comparable && f->d == a->d;
        return strcmp(rw_pattern_number_canonical(f->s, buf), a->s.s) == 0;
    case A_TRUE:
        return f->type == F_TRUE;
    case A_FALSE:
        return f->type == F_FALSE;
    case A_NULL:
        return f->type == F_NULL;
    case A_PREFIX:
        return is_str && f->n >= a->s.n && memcmp(f->s, a->s.s, a->s.n) == 0;
    case A_SUFFIX:
        return is_str && f->n >= a->s.n && memcmp(f->s + f->n - a->s.n, a->s.s, a->s.n) == 0;
    case A_PREFIX_IC:
        return is_str && rw_icase_match(a->ic, f->s, f->n, RW_ICASE_PREFIX);
    case A_SUFFIX_IC:
        return is_str && rw_icase_match(a->ic, f->s, f->n, RW_ICASE_SUFFIX);
    case A_EQ_IC:
        return is_str && rw_icase_match(a->ic, f->s, f->n, RW_ICASE_EQUALS);
    case A_WILDCARD:
        return is_str && rw_wildcard_match(a->wc, f->s, f->n);
    case A_NUMERIC:
        if (f->type != F_NUM || !num_info(f)) return false;
        if (a->has_lo && (a->lo_incl ? f->d < a->lo : f->d <= a->lo)) return false;
        if (a->has_hi && (a->hi_incl ? f->d > a->hi : f->d >= a->hi)) return false;
        return true;
    case A_CIDR:
        if (!(v = range_bytes(f, &n, buf))) return false;
        return rw_ipaddr_hex_range_match(v, n, a->s.s, a->top.s, a->s.n);
    case A_EXISTS:
        return true;
    case A_AB_STR:
        return !(is_str && str_in(a->list, a->nlist, f->s, f->n));
    case A_AB_NUM:
        if (f->type != F_NUM || !num_info(f)) return true;
        for (size_t i = 0; i < a->nlist; i++)
            if (a->nums[i] == f->d) return false;
        return true;
    case A_AB_PREFIX:
        if (!is_str) return true;
        for (size_t i = 0; i < a->nlist; i++)
            if (f->n >= a->list[i].n && memcmp(f->s, a->list[i].s, a->list[i].n) == 0) return false;
        return true;
    case A_AB_SUFFIX:
        if (!is_str) return true;
        for (size_t i = 0; i < a->nlist; i++)
            if (f->n >= a->list[i].n &&
                memcmp(f->s + f->n - a->list[i].n, a->list[i].s, a->list[i].n) == 0)
                return false;
        return true;
    case A_AB_IC:
        if (!is_str) return true;
        for (size_t i = 0; i < a->nlist; i++)
            if (rw_icase_match(&a->ic[i], f->s, f->n, RW_ICASE_EQUALS)) return false;
        return true;
    case A_AB_WILDCARD:
        if (!is_str) return true;
        for (size_t i = 0; i < a->nlist; i++)
            if (rw_wildcard_match(&a->wc[i], f->s, f->n)) return false;
        return true;
    }
    return false;
}

static bool consistent(const rw_match_scratch *s, const field *f) {
    for (uint32_t i = 0; i < f->nmemb; i++) {
        const memb *x = &s->m[f->memb + i];
        for (size_t j = 0; j < s->nacc; j++)
            if (s->acc[j].array == x->array && s->acc[j].index != x->index) return false;
    }
    return true;
}

static bool search(rw_match_scratch *s, const msub *ms, size_t i) {
    if (i == ms->n) return true;
    const mcond *mc = &ms->conds[i];
    const cond *c = mc->c;
    uint32_t first = s->first[mc->path_id];
    if (c->absent_ok) {
        bool present = false;
        for (uint32_t k = first; k && !present; k = s->f[k - 1].next)
            present = consistent(s, &s->f[k - 1]);
        if (!present && search(s, ms, i + 1)) return true;
    }
    for (uint32_t k = first; k; k = s->f[k - 1].next) {
        field *f = &s->f[k - 1];
        if (!consistent(s, f)) continue;
        bool ok = false;
        for (size_t a = 0; a < c->nalts && !ok; a++) ok = alt_match(&c->alts[a], f);
        if (!ok) continue;
        size_t saved = s->nacc;
        for (uint32_t q = 0; q < f->nmemb; q++) {
            GROW(s->acc, s->nacc, s->capacc);
            s->acc[s->nacc++] = s->m[f->memb + q];
        }
        bool found = search(s, ms, i + 1);
        s->nacc = saved;
        if (found) return true;
    }
    return false;
}

static void candidate(rw_match_scratch *s, uint32_t sub) {
    if (s->cand_stamp[sub] == s->stamp) return;
    s->cand_stamp[sub] = s->stamp;
    GROW(s->cands, s->ncands, s->capcands);
    s->cands[s->ncands++] = sub;
}

size_t rw_matcher_match(rw_matcher *m, rw_match_scratch *s, const rw_json *event, size_t *out,
                        size_t max) {
    if (!m->built) build(m);
    flatten(m, s, event);
    if (s->capsub < m->nsubs) {
        free(s->cand_stamp);
        s->capsub = m->nsubs;
        s->cand_stamp = rw_xcalloc(s->capsub, sizeof *s->cand_stamp);
    }
    if (s->cappat < m->npats) {
        free(s->pat_stamp);
        s->cappat = m->npats;
        s->pat_stamp = rw_xcalloc(s->cappat, sizeof *s->pat_stamp);
    }
    if (++s->stamp == 0) { /* wrapped: clear the stamps */
        memset(s->cand_stamp, 0, s->capsub * sizeof *s->cand_stamp);
        memset(s->pat_stamp, 0, s->cappat * sizeof *s->pat_stamp);
        s->stamp = 1;
    }
    /* candidates: sub-rules whose pivot an event value can satisfy, those whose pivot only needs
     * its path to have a value, and those without a pivot */
    s->ncands = 0;
    for (size_t i = 0; i < s->nf; i++) {
        field *f = &s->f[i];
        const pathix *x = &m->px[f->path_id];
        if (!x->any) continue;
        ixent *e = NULL;
        unsigned char c0 = f->type == F_STR && f->n ? (unsigned char)f->s[0] : 0;
        bool may = (x->first[c0 >> 6] >> (c0 & 63)) & 1; /* some key starts with this byte */
        switch (f->type) {
        case F_STR:
            if (may && x->str && f->n >= x->minlen && f->n <= x->maxlen)
                e = ix_find(m, f->path_id, IX_STR, f->s, f->n, 0, false);
            break;
        case F_TRUE:
            e = x->lit ? ix_find(m, f->path_id, IX_TRUE, "", 0, 0, false) : NULL;
            break;
        case F_FALSE:
            e = x->lit ? ix_find(m, f->path_id, IX_FALSE, "", 0, 0, false) : NULL;
            break;
        case F_NULL:
            e = x->lit ? ix_find(m, f->path_id, IX_NULL, "", 0, 0, false) : NULL;
            break;
        case F_NUM:
            if (x->num && num_info(f)) e = ix_find(m, f->path_id, IX_NUM, "", 0, f->d, false);
            break;
        }
        if (e)
            for (size_t k = 0; k < e->nsubs; k++) candidate(s, e->subs[k]);
        if (f->type == F_STR && may && x->pt) { /* walk the value down the prefix trie */
            uint32_t node = 0;
            for (size_t p = 0;; p++) {
                const ptnode *t = &x->pt[node];
                for (uint32_t k = 0; k < t->nsubs; k++) candidate(s, t->subs[k]);
                if (p == f->n || !t->nkids) break;
                unsigned char c = (unsigned char)f->s[p];
                uint32_t k = 0;
                while (k < t->nkids && t->bytes[k] < c) k++;
                if (k == t->nkids || t->bytes[k] != c) break;
                node = t->kids[k];
            }
        }
    }
    for (size_t i = 0; i < s->ntouched; i++) {
        const pathix *x = &m->px[s->touched[i]];
        for (size_t k = 0; k < x->npresent; k++) candidate(s, x->present[k]);
    }
    for (size_t i = 0; i < m->nalways; i++) candidate(s, m->always[i]);
    /* decide them; the matching patterns go to a bitset, read in ascending order (the first max
     * of them when there are more) */
    size_t words = (m->npats + 63) / 64;
    if (s->cappatbits < words) {
        free(s->patbits);
        s->cappatbits = words;
        s->patbits = rw_xcalloc(words, sizeof *s->patbits);
    }
    size_t count = 0;
    for (size_t i = 0; i < s->ncands; i++) {
        const msub *ms = &m->subs[s->cands[i]];
        if (s->pat_stamp[ms->pattern] == s->stamp) continue;
        s->nacc = 0;
        if (search(s, ms, 0)) {
            s->pat_stamp[ms->pattern] = s->stamp;
            s->patbits[ms->pattern >> 6] |= 1ULL << (ms->pattern & 63);
            count++;
        }
    }
    size_t k = 0;
    for (size_t w = 0; w < words && k < count; w++) {
        for (uint64_t b = s->patbits[w]; b; b &= b - 1)
            if (k < max)
                out[k++] = w * 64 + (size_t)__builtin_ctzll(b);
            else
                k++;
        s->patbits[w] = 0;
    }
    for (size_t w = 0; w < words; w++) s->patbits[w] = 0; /* past a stop at max */
    return count;
}

bool rw_pattern_matches(const rw_pattern *p, const rw_json *event) {
    rw_matcher *m = rw_matcher_new();
    rw_matcher_add(m, p);
    rw_match_scratch *s = rw_match_scratch_new();
    size_t out;
    bool r = rw_matcher_match(m, s, event, &out, 1) > 0;
    rw_match_scratch_free(s);
    rw_matcher_free(m);
    return r;
}

int rw_pattern_check_event(const rw_json *ev) {
    if (!ev || ev->type != RW_JSON_OBJECT)
        return rw_error_set(RW_EINVAL, "Parameter Event is not valid.");
    static const char *const need[] = {"id", "detail-type", "source", "account", "time", "region"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!rw_json_get(ev, need[i]))
            return rw_error_set(RW_EINVAL, "Parameter Event is not valid.");
    const rw_json *t = rw_json_get(ev, "time");
    int64_t when;
    if (t->type != RW_JSON_STRING || rw_time_parse(t->str, &when) != RW_OK)
        return rw_error_set(RW_EINVAL, "Parameter Event is not valid. Reason: Invalid time.");
    return RW_OK;
}

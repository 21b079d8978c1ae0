#include "rules/wildcard.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

bool rw_wildcard_parse(rw_wildcard *out, const char *s, size_t n, char reason[160]) {
    memset(out, 0, sizeof *out);
    char *t = rw_xmalloc(n + 1);
    unsigned char *st = rw_xcalloc(n + 1, 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        /* AWS counts positions in the quoted string: byte offset + 1 */
        if (s[i] == '*') {
            if (i + 1 < n && s[i + 1] == '*') {
                snprintf(reason, 160, "Consecutive wildcard characters at pos %zu", i + 1);
                goto fail;
            }
            st[w] = 1;
            t[w++] = '*';
        } else if (s[i] == '\\') {
            if (i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '\\')) {
                t[w++] = s[++i];
            } else {
                snprintf(reason, 160, "Invalid escape character at pos %zu", i + 1);
                goto fail;
            }
        } else {
            t[w++] = s[i];
        }
    }
    t[w] = 0;
    out->text = t;
    out->n = w;
    out->star = st;
    return true;
fail:
    free(t);
    free(st);
    return false;
}

void rw_wildcard_free(rw_wildcard *w) {
    free(w->text);
    free(w->star);
    memset(w, 0, sizeof *w);
}

bool rw_wildcard_match(const rw_wildcard *w, const char *v, size_t n) {
    /* the classic two-pointer glob match: linear in practice, backtracking only to the last star */
    size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;
    while (i < n) {
        if (p < w->n && w->star[p]) {
            star_p = p++;
            star_i = i;
        } else if (p < w->n && w->text[p] == v[i]) {
            p++;
            i++;
        } else if (star_p != (size_t)-1) {
            p = star_p + 1;
            i = ++star_i;
        } else {
            return false;
        }
    }
    while (p < w->n && w->star[p]) p++;
    return p == w->n;
}

/* ---- complexity ------------------------------------------------------------------------------
 * The NFA of each pattern over the tokens '"', its bytes (stars as WILD), '"' (section 6.2):
 * states S0 (shared) .. S(m-1) and a match node M; a WILD token t(j) gives S(j) -any-> S(j+1)
 * and a self loop on S(j+1); a byte token gives S(j) -b-> S(j+1), and S(j-1) -b-> S(j+1) when
 * t(j-1) is WILD. The weight of a state is the number of patterns whose M it can reach (1 for
 * every state of a pattern, 0 for the shared start). The complexity is the largest
 * sum of weights of a reachable set of states, plus the weights of the states its members are
 * about to enter through a wildcard. */

typedef struct nstate {
    int pattern;        /* -1 for the start */
    int byte_to;        /* -1: none */
    unsigned char byte; /* the byte of byte_to */
    int skip_to;        /* S(j-1) -b-> S(j+1) when t(j-1) is WILD: byte skip_byte */
    unsigned char skip_byte;
    int any_to;    /* -1: none */
    bool self_any; /* a wildcard loop */
    bool match;    /* M */
} nstate;

typedef struct set {
    int *v;
    size_t n;
} set;

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

size_t rw_wildcard_complexity(const rw_wildcard *const *ws, size_t count, size_t limit) {
    /* build the NFA: state 0 is S0; start edges from S0 are kept in lists */
    size_t cap = 1;
    for (size_t k = 0; k < count; k++) cap += ws[k]->n + 3;
    nstate *ns = rw_xcalloc(cap, sizeof *ns);
    size_t nn = 1;
    ns[0].pattern = -1, ns[0].byte_to = ns[0].skip_to = ns[0].any_to = -1;
    /* S0's edges: one per pattern (the opening quote) */
    int *start_to = rw_xcalloc(count ? count : 1, sizeof *start_to);
    for (size_t k = 0; k < count; k++) {
        const rw_wildcard *w = ws[k];
        size_t m = w->n + 2; /* tokens: '"' + bytes + '"' */
        /* token j: j == 0 or j == m-1 -> '"', else text[j-1] (wild if star[j-1]) */
        size_t base = nn; /* S1 .. S(m-1) at base .. base+m-2, M at base+m-1 */
        for (size_t j = 1; j <= m; j++) {
            nstate *s = &ns[nn++];
            s->pattern = (int)k;
            s->byte_to = s->skip_to = s->any_to = -1;
            s->match = j == m;
        }
#define SID(j) ((j) == 0 ? 0 : (int)(base + (j)-1))
#define WILD(j) ((j) > 0 && (j) < m - 1 && w->star[(j)-1])
#define BYTE(j) ((j) == 0 || (j) == m - 1 ? '"' : (unsigned char)w->text[(j)-1])
        start_to[k] = SID(1);
        for (size_t j = 1; j < m; j++) {
            nstate *s = &ns[SID(j)];
            if (WILD(j)) {
                s->any_to = SID(j + 1);
                ns[SID(j + 1)].self_any = true;
            } else {
                s->byte_to = SID(j + 1); /* SID(m) is M: the closing quote reaches it */
                s->byte = BYTE(j);
                if (j >= 1 && WILD(j - 1)) {
                    nstate *prev = &ns[SID(j - 1)];
                    prev->skip_to = s->byte_to;
                    prev->skip_byte = BYTE(j);
                }
            }
        }
#undef SID
#undef WILD
#undef BYTE
    }
    /* the alphabet: every byte used, plus one byte used by none */
    bool used[256] = {0};
    for (size_t i = 1; i < nn; i++) {
        if (ns[i].byte_to >= 0) used[ns[i].byte] = true;
        if (ns[i].skip_to >= 0) used[ns[i].skip_byte] = true;
    }
    used['"'] = true;
    int other = -1;
    for (int c = 1; c < 256 && other < 0; c++)
        if (!used[c]) other = c;
    unsigned char alpha[257];
    size_t na = 0;
    for (int c = 0; c < 256; c++)
        if (used[c]) alpha[na++] = (unsigned char)c;
    if (other >= 0) alpha[na++] = (unsigned char)other;

    /* explore reachable sets (sorted state lists), keeping a bounded number */
    size_t best = 0, explored = 0, max_explored = 20000;
    set *todo = NULL, *seen = NULL;
    size_t ntodo = 0, todo_cap = 0, nseen = 0, seen_cap = 0;
    size_t hcap = 1 << 16; /* open addressing over seen (max_explored < hcap / 2) */
    uint32_t *htab = rw_xcalloc(hcap, sizeof *htab); /* index + 1 */
    int *tmp = rw_xmalloc(nn * 2 * sizeof *tmp);
    unsigned char *mark = rw_xcalloc(nn, 1);
    /* the first step from {S0}: on '"' every pattern's S1 */
    for (size_t a = 0; a < na; a++) {
        if (alpha[a] != '"') continue;
        set s = {rw_xmalloc((count ? count : 1) * sizeof(int)), count};
        for (size_t k = 0; k < count; k++) s.v[k] = start_to[k];
        qsort(s.v, s.n, sizeof *s.v, cmp_int);
        if (ntodo == todo_cap)
            todo = rw_xrealloc(todo, (todo_cap = todo_cap ? todo_cap * 2 : 64) * sizeof *todo);
        todo[ntodo++] = s;
    }
    while (ntodo && best <= limit && explored < max_explored) {
        set D = todo[--ntodo];
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < D.n; i++) h = (h ^ (uint64_t)D.v[i]) * 1099511628211ULL;
        size_t slot = (size_t)h & (hcap - 1);
        bool dup = D.n == 0;
        while (!dup && htab[slot]) {
            const set *o = &seen[htab[slot] - 1];
            if (o->n == D.n && memcmp(o->v, D.v, D.n * sizeof *D.v) == 0) dup = true;
            slot = (slot + 1) & (hcap - 1);
        }
        if (dup) {
            free(D.v);
            continue;
        }
        if (nseen == seen_cap)
            seen = rw_xrealloc(seen, (seen_cap = seen_cap ? seen_cap * 2 : 64) * sizeof *seen);
        seen[nseen++] = D;
        htab[slot] = (uint32_t)nseen;
        explored++;
        /* size: weights of members, plus those of wildcard targets not in D */
        size_t size = 0;
        for (size_t i = 0; i < D.n; i++) mark[D.v[i]] = 1;
        for (size_t i = 0; i < D.n; i++) {
            size += 1;
            int t = ns[D.v[i]].any_to;
            if (t >= 0 && !mark[t]) size += 1;
        }
        for (size_t i = 0; i < D.n; i++) mark[D.v[i]] = 0;
        if (size > best) best = size;
        for (size_t a = 0; a < na; a++) {
            size_t k = 0;
            for (size_t i = 0; i < D.n; i++) {
                const nstate *s = &ns[D.v[i]];
                if (s->any_to >= 0) tmp[k++] = s->any_to;
                if (s->self_any) tmp[k++] = D.v[i];
                if (s->byte_to >= 0 && s->byte == alpha[a]) tmp[k++] = s->byte_to;
                if (s->skip_to >= 0 && s->skip_byte == alpha[a]) tmp[k++] = s->skip_to;
            }
            if (!k) continue;
            qsort(tmp, k, sizeof *tmp, cmp_int);
            size_t u = 0;
            for (size_t i = 0; i < k; i++)
                if (!u || tmp[u - 1] != tmp[i]) tmp[u++] = tmp[i];
            /* a set holding only match nodes leads nowhere */
            bool live = false;
            for (size_t i = 0; i < u; i++)
                if (!ns[tmp[i]].match) live = true;
            if (!live) {
                size_t sz = u;
                if (sz > best) best = sz;
                continue;
            }
            set E = {rw_xmalloc(u * sizeof(int)), u};
            memcpy(E.v, tmp, u * sizeof(int));
            if (ntodo == todo_cap)
                todo = rw_xrealloc(todo, (todo_cap = todo_cap ? todo_cap * 2 : 64) * sizeof *todo);
            todo[ntodo++] = E;
        }
    }
    if (ntodo && best <= limit) best = limit + 1; /* too many sets to look at: too complex */
    for (size_t i = 0; i < ntodo; i++) free(todo[i].v);
    for (size_t i = 0; i < nseen; i++) free(seen[i].v);
    free(todo);
    free(seen);
    free(htab);
    free(tmp);
    free(mark);
    free(ns);
    free(start_to);
    return best;
}

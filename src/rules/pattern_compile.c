/* Compiling event patterns: validation in document order with AWS's reasons, $or distribution,
 * last-key-wins on flattened paths (docs/eventbridge-pattern-semantics.md sections 1 and 7). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/ipaddr.h"
#include "rules/pattern_impl.h"
#include "rules/pattern_json.h"
#include "util/err.h"
#include "util/xmalloc.h"

#define MAX_SUBRULES 1000
#define MAX_COMPLEXITY 10

/* ---- building ------------------------------------------------------------------------------- */

typedef struct entry {
    char *path;
    alt *alts;
    size_t nalts;
    bool absent_ok;
} entry;

typedef struct build { /* a sub-rule in the making: path -> alternatives, the last one winning */
    entry *e;
    size_t n, cap;
} build;

typedef struct rlist {
    build *b;
    size_t n;
} rlist;

typedef struct altlist {
    alt *a;
    size_t n, cap;
    bool absent_ok;
} altlist;

typedef struct ctx {
    rw_pattern *p;
    rw_pattern_error *err;
    bool failed;
    bool overflow; /* more than MAX_SUBRULES sub-rules: stop building, keep validating */
    bool internal; /* an empty anything-but list: AWS fails internally */
    alt **arrays;  /* every alternative array, for freeing */
    size_t *array_n, narrays, arrays_cap;
    char **paths;
    size_t npaths, paths_cap;
} ctx;

static bool fail(ctx *c, const rw_json *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(ctx *c, const rw_json *at, const char *fmt, ...) {
    if (c->failed) return false;
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->reason, sizeof c->err->reason, fmt, ap);
    va_end(ap);
    c->err->offset = at ? at->offset : 0;
    return false;
}

static bool keyis(const rw_json *m, const char *k) {
    size_t n = strlen(k);
    return m->key_len == n && memcmp(m->key, k, n) == 0;
}

static str str_of(const rw_json *v) {
    str s = {rw_xstrndup(v->str, v->len), v->len};
    return s;
}

static alt *push_alt(altlist *l, alt_kind k) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->a = rw_xrealloc(l->a, l->cap * sizeof *l->a);
    }
    alt *a = &l->a[l->n++];
    memset(a, 0, sizeof *a);
    a->kind = k;
    return a;
}

static void free_alt(alt *a) {
    free(a->s.s);
    free(a->top.s);
    for (size_t i = 0; a->list && i < a->nlist; i++) free(a->list[i].s);
    free(a->list);
    free(a->nums);
    if (a->ic) {
        size_t n = a->kind == A_AB_IC ? a->nlist : 1;
        for (size_t i = 0; i < n; i++) rw_icase_free(&a->ic[i]);
        free(a->ic);
    }
    if (a->wc) {
        size_t n = a->kind == A_AB_WILDCARD ? a->nlist : 1;
        for (size_t i = 0; i < n; i++) rw_wildcard_free(&a->wc[i]);
        free(a->wc);
    }
}

static void free_altlist(altlist *l) {
    for (size_t i = 0; i < l->n; i++) free_alt(&l->a[i]);
    free(l->a);
    memset(l, 0, sizeof *l);
}

/* The token text Jackson would show for a value ("]" when there is none). */
static const char *token(const rw_json *v, char buf[64]) {
    if (!v) return "]";
    switch (v->type) {
    case RW_JSON_OBJECT:
        return "{";
    case RW_JSON_ARRAY:
        return "[";
    case RW_JSON_TRUE:
        return "true";
    case RW_JSON_FALSE:
        return "false";
    case RW_JSON_NULL:
        return "null";
    case RW_JSON_NUMBER:
        snprintf(buf, 64, "%.60s", v->str);
        return buf;
    case RW_JSON_STRING:
        snprintf(buf, 64, "%.60s", v->str);
        return buf;
    }
    return "?";
}

static bool comparable_or_fail(ctx *c, const rw_json *v, double *out) {
    if (rw_pattern_number_comparable(v->str, out)) return true;
    return fail(c, v, "Cannot compare number : %.100s", v->str);
}

static bool numeric(ctx *c, const rw_json *m, altlist *out) {
    if (m->type != RW_JSON_ARRAY) return fail(c, m, "Value of numeric must be an array.");
    const rw_json *e0 = m->child;
    char tb[64];
    if (!e0 || e0->type != RW_JSON_STRING)
        return fail(c, e0 ? e0 : m, "Invalid member in numeric match: %s", token(e0, tb));
    const char *op = e0->str;
    bool eq = strcmp(op, "=") == 0, lt = strcmp(op, "<") == 0, le = strcmp(op, "<=") == 0;
    bool gt = strcmp(op, ">") == 0, ge = strcmp(op, ">=") == 0;
    if (!eq && !lt && !le && !gt && !ge)
        return fail(c, e0, "Unrecognized numeric range operator: %.100s", op);
    const rw_json *e1 = e0->next;
    if (!e1 || e1->type != RW_JSON_NUMBER)
        return fail(c, e1 ? e1 : m, "Value of %s must be numeric", eq ? "equals" : op);
    alt a = {.kind = A_NUMERIC};
    if (eq || lt || le) {
        if (e1->next) return fail(c, e1->next, "Too many elements in numeric expression");
        double v;
        if (!comparable_or_fail(c, e1, &v)) return false;
        if (eq)
            a.has_lo = a.has_hi = a.lo_incl = a.hi_incl = true, a.lo = a.hi = v;
        else
            a.has_hi = true, a.hi = v, a.hi_incl = le;
    } else {
        const rw_json *e2 = e1->next;
        a.has_lo = true;
        a.lo_incl = ge;
        if (!e2) {
            if (!comparable_or_fail(c, e1, &a.lo)) return false;
        } else {
            if (e2->type != RW_JSON_STRING)
                return fail(c, e2, "Bad value in numeric range: %s", token(e2, tb));
            const char *op2 = e2->str;
            bool lt2 = strcmp(op2, "<") == 0, le2 = strcmp(op2, "<=") == 0;
            if (!lt2 && !le2) return fail(c, e2, "Bad numeric range operator: %.100s", op2);
            const rw_json *e3 = e2->next;
            if (!e3 || e3->type != RW_JSON_NUMBER)
                return fail(c, e3 ? e3 : m, "Value of %s must be numeric", op2);
            if (e3->next) return fail(c, e3->next, "Too many terms in numeric range expression");
            if (!comparable_or_fail(c, e1, &a.lo) || !comparable_or_fail(c, e3, &a.hi))
                return false;
            if (!(a.lo < a.hi)) return fail(c, e1, "Bottom must be less than top");
            a.has_hi = true;
            a.hi_incl = le2;
        }
    }
    *push_alt(out, A_NUMERIC) = a;
    return true;
}

static bool anything_but(ctx *c, const rw_json *m, altlist *out) {
    const rw_json *v = m;
    const char *inner = NULL;
    bool inner_more = false;
    if (v->type == RW_JSON_OBJECT) {
        const rw_json *f = v->child;
        if (!f) return fail(c, v, "Anything-But expression name not found");
        if (!keyis(f, "equals-ignore-case") && !keyis(f, "prefix") && !keyis(f, "suffix") &&
            !keyis(f, "wildcard"))
            return fail(c, f, "Unsupported anything-but pattern: %.100s", f->key);
        inner = f->key;
        inner_more = f->next != NULL;
        v = f;
    }
    if (v->type != RW_JSON_ARRAY && v->type != RW_JSON_STRING && v->type != RW_JSON_NUMBER)
        return fail(c, v, "Value of anything-but must be an array or single string/number value.");
    if (!inner) {
        if (v->type == RW_JSON_ARRAY) {
            size_t ns = 0, nn = 0;
            for (const rw_json *e = v->child; e; e = e->next) {
                if (e->type != RW_JSON_STRING && e->type != RW_JSON_NUMBER)
                    return fail(c, e,
                                "Inside anything but list, start|null|boolean is not supported.");
                double d;
                if (e->type == RW_JSON_NUMBER && !comparable_or_fail(c, e, &d)) return false;
                e->type == RW_JSON_STRING ? ns++ : nn++;
            }
            if ((ns == 0 && nn == 0) || (ns && nn))
                return fail(c, v,
                            "Inside anything but list, either all values are number or string, "
                            "mixed type is not supported");
            alt *a = push_alt(out, ns ? A_AB_STR : A_AB_NUM);
            size_t k = 0, n = ns + nn;
            if (ns)
                a->list = rw_xcalloc(n, sizeof *a->list);
            else
                a->nums = rw_xcalloc(n, sizeof *a->nums);
            for (const rw_json *e = v->child; e; e = e->next, k++) {
                if (ns)
                    a->list[k] = str_of(e);
                else
                    rw_pattern_number_comparable(e->str, &a->nums[k]);
            }
            a->nlist = n;
        } else if (v->type == RW_JSON_STRING) {
            alt *a = push_alt(out, A_AB_STR);
            a->list = rw_xcalloc(1, sizeof *a->list);
            a->list[0] = str_of(v);
            a->nlist = 1;
        } else {
            double d;
            if (!comparable_or_fail(c, v, &d)) return false;
            alt *a = push_alt(out, A_AB_NUM);
            a->nums = rw_xcalloc(1, sizeof *a->nums);
            a->nums[0] = d;
            a->nlist = 1;
        }
        return true;
    }
    bool ic = strcmp(inner, "equals-ignore-case") == 0, wild = strcmp(inner, "wildcard") == 0;
    bool pre = strcmp(inner, "prefix") == 0;
    const char *type_msg = ic     ? "Inside anything-but/equals-ignore-case list, "
                                    "number|start|null|boolean is not supported."
                           : wild ? "wildcard match pattern must be a string"
                                  : "prefix/suffix match pattern must be a string";
    const rw_json *one[1] = {v};
    size_t n = 0;
    for (const rw_json *e = v->type == RW_JSON_ARRAY ? v->child : one[0]; e;
         e = v->type == RW_JSON_ARRAY ? e->next : NULL) {
        if (e->type != RW_JSON_STRING) return fail(c, e, "%s", type_msg);
        if (!ic && !wild && e->len == 0) return fail(c, e, "Null prefix/suffix not allowed");
        n++;
    }
    alt *a = push_alt(out, ic ? A_AB_IC : wild ? A_AB_WILDCARD : pre ? A_AB_PREFIX : A_AB_SUFFIX);
    a->list = rw_xcalloc(n ? n : 1, sizeof *a->list);
    if (ic) a->ic = rw_xcalloc(n ? n : 1, sizeof *a->ic);
    if (wild) a->wc = rw_xcalloc(n ? n : 1, sizeof *a->wc);
    size_t k = 0;
    for (const rw_json *e = v->type == RW_JSON_ARRAY ? v->child : one[0]; e;
         e = v->type == RW_JSON_ARRAY ? e->next : NULL, k++) {
        a->list[k] = str_of(e);
        a->nlist = k + 1;
        if (ic) rw_icase_compile(&a->ic[k], e->str, e->len);
    }
    if (wild) {
        for (k = 0; k < n; k++) {
            char reason[160];
            if (!rw_wildcard_parse(&a->wc[k], a->list[k].s, a->list[k].n, reason)) {
                for (size_t j = 0; j < k; j++) rw_wildcard_free(&a->wc[j]);
                free(a->wc);
                a->wc = NULL;
                return fail(c, v, "%s", reason);
            }
        }
    }
    if (n == 0) c->internal = true;
    if (inner_more) return fail(c, v->next, "Too many elements in numeric expression");
    return true;
}

/* An object in a value list: {"prefix": ...}, {"numeric": [...]}, ... */
static bool match_expression(ctx *c, const rw_json *o, altlist *out) {
    const rw_json *m = o->child;
    if (!m) return fail(c, o, "Match expression name not found");
    const char *only_one = "Only one key allowed in match expression";
    bool more = m->next != NULL;
    char reason[160];
    if (keyis(m, "exactly")) {
        if (m->type != RW_JSON_STRING) return fail(c, m, "exact match pattern must be a string");
        push_alt(out, A_STR)->s = str_of(m);
    } else if (keyis(m, "prefix") || keyis(m, "suffix")) {
        bool pre = keyis(m, "prefix");
        if (m->type == RW_JSON_OBJECT) {
            const rw_json *f = m->child;
            if (!f) return fail(c, m, "%s expression name not found", pre ? "Prefix" : "Suffix");
            if (!keyis(f, "equals-ignore-case"))
                return fail(c, f, "Unsupported %s pattern: %.100s", pre ? "prefix" : "suffix",
                            f->key);
            if (f->type != RW_JSON_STRING)
                return fail(c, f, "equals-ignore-case match pattern must be a string");
            alt *a = push_alt(out, pre ? A_PREFIX_IC : A_SUFFIX_IC);
            a->s = str_of(f);
            a->ic = rw_xcalloc(1, sizeof *a->ic);
            rw_icase_compile(a->ic, f->str, f->len);
            if (f->next) return fail(c, f->next, "%s", only_one);
        } else {
            if (m->type != RW_JSON_STRING)
                return fail(c, m, "%s match pattern must be a string", pre ? "prefix" : "suffix");
            push_alt(out, pre ? A_PREFIX : A_SUFFIX)->s = str_of(m);
        }
    } else if (keyis(m, "numeric")) {
        if (!numeric(c, m, out)) return false;
        if (more) return fail(c, m->next, "Too many elements in numeric expression");
        return true;
    } else if (keyis(m, "anything-but")) {
        if (!anything_but(c, m, out)) return false;
        if (more) return fail(c, m->next, "Too many elements in numeric expression");
        return true;
    } else if (keyis(m, "cidr")) {
        if (m->type != RW_JSON_STRING) return fail(c, m, "prefix match pattern must be a string");
        char lo[33], hi[33];
        size_t n = rw_ipaddr_cidr_parse(m->str, m->len, lo, hi, reason);
        if (!n) return fail(c, m, "%s", reason);
        alt *a = push_alt(out, A_CIDR);
        a->s.s = rw_xstrndup(lo, n), a->s.n = n;
        a->top.s = rw_xstrndup(hi, n), a->top.n = n;
    } else if (keyis(m, "equals-ignore-case")) {
        if (m->type != RW_JSON_STRING)
            return fail(c, m, "equals-ignore-case match pattern must be a string");
        alt *a = push_alt(out, A_EQ_IC);
        a->s = str_of(m);
        a->ic = rw_xcalloc(1, sizeof *a->ic);
        rw_icase_compile(a->ic, m->str, m->len);
    } else if (keyis(m, "wildcard")) {
        if (m->type != RW_JSON_STRING) return fail(c, m, "wildcard match pattern must be a string");
        rw_wildcard w;
        if (!rw_wildcard_parse(&w, m->str, m->len, reason)) return fail(c, m, "%s", reason);
        alt *a = push_alt(out, A_WILDCARD);
        a->s = str_of(m);
        a->wc = rw_xmalloc(sizeof *a->wc);
        *a->wc = w;
    } else if (keyis(m, "exists")) {
        if (m->type == RW_JSON_TRUE)
            push_alt(out, A_EXISTS);
        else if (m->type == RW_JSON_FALSE)
            out->absent_ok = true;
        else
            return fail(c, m, "exists match pattern must be either true or false.");
    } else {
        return fail(c, m, "Unrecognized match type %.100s", m->key);
    }
    if (more) return fail(c, m->next, "%s", only_one);
    return true;
}

/* A list of alternatives for one field. */
static bool value_array(ctx *c, const rw_json *arr, altlist *out) {
    for (const rw_json *e = arr->child; e; e = e->next) {
        switch (e->type) {
        case RW_JSON_STRING: {
            char hex[33];
            size_t n = rw_ipaddr_to_hex(e->str, e->len, hex, NULL);
            if (n) {
                alt *a = push_alt(out, A_IP);
                a->s.s = rw_xstrndup(hex, n), a->s.n = n;
                a->top = str_of(e); /* the text as written, for literals and display */
            } else {
                push_alt(out, A_STR)->s = str_of(e);
            }
            break;
        }
        case RW_JSON_NUMBER: {
            alt *a = push_alt(out, A_NUM);
            a->s = str_of(e);
            a->comparable = rw_pattern_number_comparable(e->str, &a->d);
            break;
        }
        case RW_JSON_TRUE:
            push_alt(out, A_TRUE);
            break;
        case RW_JSON_FALSE:
            push_alt(out, A_FALSE);
            break;
        case RW_JSON_NULL:
            push_alt(out, A_NULL);
            break;
        case RW_JSON_OBJECT:
            if (!match_expression(c, e, out)) return false;
            break;
        case RW_JSON_ARRAY:
            return fail(c, e, "Match value must be String, number, true, false, or null");
        }
    }
    if (!arr->child) return fail(c, arr, "Empty arrays are not allowed");
    return true;
}

static const char *const reserved[] = {"exactly",
                                       "equals-ignore-case",
                                       "prefix",
                                       "suffix",
                                       "anything-but",
                                       "exists",
                                       "wildcard",
                                       "numeric",
                                       "cidr",
                                       "=",
                                       "<",
                                       "<=",
                                       ">",
                                       ">=",
                                       "regex",
                                       "not-wildcard",
                                       "not-equals-ignore-case",
                                       "date-after",
                                       "date-on-or-after",
                                       "date-before",
                                       "date-on-or-before",
                                       "in-date-range",
                                       "ip-address-in-range",
                                       "ip-address-not-in-range"};

static bool is_reserved(const rw_json *m) {
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (keyis(m, reserved[i])) return true;
    return false;
}

static void build_put(build *b, char *path, alt *alts, size_t n, bool absent_ok) {
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->e[i].path, path) == 0) { /* the last occurrence of a path wins */
            b->e[i].alts = alts, b->e[i].nalts = n, b->e[i].absent_ok = absent_ok;
            return;
        }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4;
        b->e = rw_xrealloc(b->e, b->cap * sizeof *b->e);
    }
    b->e[b->n++] = (entry){path, alts, n, absent_ok};
}

static void rlist_free(rlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->b[i].e);
    free(l->b);
    l->b = NULL;
    l->n = 0;
}

static rlist rlist_clone(const rlist *l) {
    rlist o = {rw_xcalloc(l->n ? l->n : 1, sizeof *o.b), l->n};
    for (size_t i = 0; i < l->n; i++) {
        o.b[i].n = o.b[i].cap = l->b[i].n;
        o.b[i].e = rw_xmalloc((l->b[i].n ? l->b[i].n : 1) * sizeof *o.b[i].e);
        if (l->b[i].n) memcpy(o.b[i].e, l->b[i].e, l->b[i].n * sizeof *o.b[i].e);
    }
    return o;
}

static char *keep_path(ctx *c, const char *prefix, const rw_json *m) {
    size_t pn = strlen(prefix);
    char *p = rw_xmalloc(pn + 1 + m->key_len + 1);
    size_t w = 0;
    if (pn) {
        memcpy(p, prefix, pn);
        p[pn] = '.';
        w = pn + 1;
    }
    memcpy(p + w, m->key, m->key_len);
    p[w + m->key_len] = 0;
    if (c->npaths == c->paths_cap)
        c->paths = rw_xrealloc(c->paths, (c->paths_cap = c->paths_cap ? c->paths_cap * 2 : 16) *
                                             sizeof *c->paths);
    c->paths[c->npaths++] = p;
    return p;
}

static bool object_members(ctx *c, const rw_json *obj, const char *prefix, rlist *rules,
                           bool in_or) {
    if (!obj->child) return fail(c, obj, "Empty objects are not allowed");
    for (const rw_json *m = obj->child; m; m = m->next) {
        if (keyis(m, "$or")) {
            if (m->type != RW_JSON_ARRAY)
                return fail(c, m, "It must be an Array followed with $or.");
            rlist out = {NULL, 0};
            size_t count = 0;
            for (const rw_json *e = m->child; e; e = e->next) {
                if (e->type != RW_JSON_OBJECT) {
                    rlist_free(&out);
                    return fail(c, e, "Only JSON object is allowed in array of $or relationship.");
                }
                rlist copy = c->overflow ? (rlist){NULL, 0} : rlist_clone(rules);
                if (!object_members(c, e, prefix, &copy, true)) {
                    rlist_free(&copy);
                    rlist_free(&out);
                    return false;
                }
                if (!c->overflow && out.n + copy.n > MAX_SUBRULES) c->overflow = true;
                if (c->overflow) {
                    rlist_free(&copy);
                    rlist_free(&out);
                } else {
                    out.b = rw_xrealloc(out.b, (out.n + copy.n) * sizeof *out.b);
                    memcpy(out.b + out.n, copy.b, copy.n * sizeof *copy.b);
                    out.n += copy.n;
                    free(copy.b);
                }
                count++;
            }
            if (count < 2) {
                rlist_free(&out);
                return fail(c, m, "There must have at least 2 Objects in $or relationship.");
            }
            rlist_free(rules);
            *rules = out;
            continue;
        }
        if (in_or && is_reserved(m))
            return fail(c, m, "%.100s is Ruler reserved fieldName which cannot be used inside $or.",
                        m->key);
        char *path = keep_path(c, prefix, m);
        if (m->type == RW_JSON_OBJECT) {
            if (!object_members(c, m, path, rules, in_or)) return false;
        } else if (m->type == RW_JSON_ARRAY) {
            altlist l = {0};
            if (!value_array(c, m, &l)) {
                free_altlist(&l);
                return false;
            }
            if (c->narrays == c->arrays_cap) {
                c->arrays_cap = c->arrays_cap ? c->arrays_cap * 2 : 16;
                c->arrays = rw_xrealloc(c->arrays, c->arrays_cap * sizeof *c->arrays);
                c->array_n = rw_xrealloc(c->array_n, c->arrays_cap * sizeof *c->array_n);
            }
            c->arrays[c->narrays] = l.a;
            c->array_n[c->narrays++] = l.n;
            for (size_t i = 0; i < rules->n; i++)
                build_put(&rules->b[i], path, l.a, l.n, l.absent_ok);
        } else {
            return fail(c, m, "\"%.100s\" must be an object or an array", m->key);
        }
    }
    return true;
}

/* ---- ordering and the post-compile checks ---------------------------------------------------- */

/* The next UTF-16 code unit of a UTF-8 string (advancing it), or 0 at its end; *low holds the
 * second unit of a supplementary character for the next call. */
static unsigned next_unit(const unsigned char **p, unsigned *low) {
    if (*low) {
        unsigned u = *low;
        *low = 0;
        return u;
    }
    const unsigned char *s = *p;
    if (!*s) return 0;
    unsigned c = s[0], cp = c, len = 1;
    if (c >= 0xF0 && s[1] && s[2] && s[3])
        cp = (c & 7) << 18 | (s[1] & 63u) << 12 | (s[2] & 63u) << 6 | (s[3] & 63u), len = 4;
    else if (c >= 0xE0 && s[1] && s[2])
        cp = (c & 15) << 12 | (s[1] & 63u) << 6 | (s[2] & 63u), len = 3;
    else if (c >= 0xC0 && s[1])
        cp = (c & 31) << 6 | (s[1] & 63u), len = 2;
    *p = s + len;
    if (cp >= 0x10000) {
        cp -= 0x10000;
        *low = 0xDC00 + (cp & 0x3FF);
        return 0xD800 + (cp >> 10);
    }
    return cp;
}

/* Compares UTF-8 strings in Java's String order (by UTF-16 code units). */
static int java_cmp(const char *a, const char *b) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    unsigned lx = 0, ly = 0;
    for (;;) {
        unsigned ux = next_unit(&x, &lx), uy = next_unit(&y, &ly);
        if (ux != uy || !ux) return ux < uy ? -1 : ux > uy;
    }
}

static int cmp_cond(const void *a, const void *b) {
    return java_cmp(((const cond *)a)->path, ((const cond *)b)->path);
}

static bool str_eq(const str *a, const str *b) {
    return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0);
}

/* Are two alternatives the same pattern (so event-ruler keeps one transition for them)? */
static bool alt_equal(const alt *a, const alt *b) {
    if (a->kind != b->kind || !str_eq(&a->s, &b->s) || a->nlist != b->nlist) return false;
    switch (a->kind) {
    case A_CIDR:
        return str_eq(&a->top, &b->top);
    case A_NUMERIC:
        return a->has_lo == b->has_lo && a->has_hi == b->has_hi && a->lo_incl == b->lo_incl &&
               a->hi_incl == b->hi_incl && (!a->has_lo || a->lo == b->lo) &&
               (!a->has_hi || a->hi == b->hi);
    case A_AB_NUM:
        for (size_t i = 0; i < a->nlist; i++)
            if (a->nums[i] != b->nums[i]) return false;
        return true;
    case A_AB_STR:
    case A_AB_PREFIX:
    case A_AB_SUFFIX:
    case A_AB_IC:
    case A_AB_WILDCARD:
        for (size_t i = 0; i < a->nlist; i++)
            if (!str_eq(&a->list[i], &b->list[i])) return false;
        return true;
    default:
        return true;
    }
}

/* Do two conditions lead through the same step of event-ruler's machine: the same field with the
 * same alternatives (section 6.2, grouping)? */
static bool alts_equal(const cond *a, const cond *b) {
    if (strcmp(a->path, b->path) != 0 || a->absent_ok != b->absent_ok || a->nalts != b->nalts)
        return false;
    if (a->alts == b->alts) return true;
    for (size_t i = 0; i < a->nalts; i++)
        if (!alt_equal(&a->alts[i], &b->alts[i])) return false;
    return true;
}

static bool has_wildcard(const cond *c) {
    for (size_t k = 0; k < c->nalts; k++)
        if (c->alts[k].kind == A_WILDCARD || c->alts[k].kind == A_AB_WILDCARD) return true;
    return false;
}

/* Do sub-rules a and b reach the machine of their condition i through the same steps? */
static bool same_machine(const subrule *a, const subrule *b, size_t i) {
    if (a->n <= i || b->n <= i || strcmp(a->conds[i].path, b->conds[i].path) != 0) return false;
    for (size_t j = 0; j < i; j++)
        if (!alts_equal(&a->conds[j], &b->conds[j])) return false;
    return true;
}

/* The wildcard patterns of one matching machine must stay within AWS's complexity limit
 * (section 6.2): group each sub-rule's condition with the same field of the other sub-rules
 * reached through the same earlier conditions, count a pattern shared by several of them once,
 * and leave out machines reached only through an exists:false step (event-ruler's evaluator
 * walks value transitions only). */
static bool check_complexity(ctx *c) {
    rw_pattern *p = c->p;
    for (size_t s = 0; s < p->nsubs; s++) {
        const subrule *sr = &p->subs[s];
        for (size_t i = 0; i < sr->n; i++) {
            if (!has_wildcard(&sr->conds[i])) continue;
            bool reachable = true;
            for (size_t j = 0; j < i && reachable; j++) reachable = sr->conds[j].nalts > 0;
            if (!reachable) continue;
            bool done = false; /* the group was evaluated with an earlier sub-rule */
            for (size_t t = 0; t < s && !done; t++)
                done = same_machine(&p->subs[t], sr, i) && has_wildcard(&p->subs[t].conds[i]);
            if (done) continue;
            const alt **as = NULL; /* the distinct wildcard patterns of the machine */
            size_t na = 0, cap = 0, nw = 0;
            for (size_t t = s; t < p->nsubs; t++) {
                if (!same_machine(&p->subs[t], sr, i)) continue;
                const cond *oc = &p->subs[t].conds[i];
                for (size_t k = 0; k < oc->nalts; k++) {
                    const alt *a = &oc->alts[k];
                    if (a->kind != A_WILDCARD && a->kind != A_AB_WILDCARD) continue;
                    bool dup = false;
                    for (size_t z = 0; z < na && !dup; z++) dup = alt_equal(as[z], a);
                    if (dup) continue;
                    if (na == cap) as = rw_xrealloc(as, (cap = cap ? cap * 2 : 8) * sizeof *as);
                    as[na++] = a;
                    nw += a->kind == A_WILDCARD ? 1 : a->nlist;
                }
            }
            const rw_wildcard **ws = rw_xmalloc((nw ? nw : 1) * sizeof *ws);
            size_t w = 0;
            for (size_t z = 0; z < na; z++)
                for (size_t q = 0; q < (as[z]->kind == A_WILDCARD ? 1 : as[z]->nlist); q++)
                    ws[w++] = &as[z]->wc[q];
            size_t cx = rw_wildcard_complexity(ws, nw, MAX_COMPLEXITY);
            free(ws);
            free(as);
            if (cx > MAX_COMPLEXITY)
                return fail(c, NULL,
                            "Rule is too complex - try using fewer wildcard characters or "
                            "fewer repeating character sequences after a wildcard "
                            "character");
        }
    }
    return true;
}

/* ---- literals for the prefilter ---------------------------------------------------------------
 */

static bool plain_char(unsigned char ch) {
    return ch >= 0x20 && ch != '"' && ch != '\\' && ch != '/' && ch != 0x7F;
}

/* The literal an alternative guarantees in the record's JSON text, or NULL. */
static char *alt_literal(const alt *a) {
    const char *s = a->s.s;
    size_t n = a->s.n;
    switch (a->kind) {
    case A_STR:
    case A_PREFIX:
    case A_SUFFIX: {
        for (size_t i = 0; i < n; i++)
            if (!plain_char((unsigned char)s[i])) return NULL;
        char *l = rw_xmalloc(n + 3), *o = l;
        if (a->kind != A_SUFFIX) *o++ = '"';
        memcpy(o, s, n), o += n;
        if (a->kind != A_PREFIX) *o++ = '"';
        *o = 0;
        return strlen(l) >= 3 ? l : (free(l), NULL);
    }
    case A_TRUE:
        return rw_xstrdup("true");
    case A_FALSE:
        return rw_xstrdup("false");
    case A_WILDCARD: { /* the longest run of plain bytes between stars */
        const rw_wildcard *w = a->wc;
        size_t best = 0, bl = 0, run = 0;
        for (size_t i = 0; i <= w->n; i++) {
            if (i == w->n || w->star[i] || !plain_char((unsigned char)w->text[i])) {
                if (run > bl) bl = run, best = i - run;
                run = 0;
            } else {
                run++;
            }
        }
        return bl >= 3 ? rw_xstrndup(w->text + best, bl) : NULL;
    }
    default:
        return NULL;
    }
}

/* The literal options of each sub-rule: every condition on the record whose alternatives all
 * guarantee a literal. */
static void add_literal_options(rw_pattern *p) {
    for (size_t s = 0; s < p->nsubs; s++) {
        subrule *sr = &p->subs[s];
        sr->opts = rw_xcalloc(sr->n ? sr->n : 1, sizeof *sr->opts);
        for (size_t i = 0; i < sr->n; i++) {
            const cond *ci = &sr->conds[i];
            if (ci->absent_ok || !ci->nalts || strncmp(ci->path, "detail.", 7) != 0) continue;
            char **ls = rw_xcalloc(ci->nalts, sizeof *ls);
            size_t k = 0;
            while (k < ci->nalts && (ls[k] = alt_literal(&ci->alts[k]))) k++;
            if (k < ci->nalts) { /* not every alternative has one */
                for (size_t j = 0; j < k; j++) free(ls[j]);
                free(ls);
                continue;
            }
            sr->opts[sr->nopts++] = (litset){ls, ci->nalts};
        }
    }
}

/* How likely a literal is to be in most records anyway: a service name (every record has an
 * eventSource), CloudTrail's constant values, very short text. */
static int literal_penalty(const char *l) {
    size_t n = strlen(l);
    static const char *const common[] = {"true",
                                         "false",
                                         "\"AwsApiCall\"",
                                         "\"Management\"",
                                         "\"Data\"",
                                         "\"AwsServiceEvent\"",
                                         "\"AwsConsoleSignIn\"",
                                         "\"1.08\"",
                                         "\"1.09\""};
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strcmp(l, common[i]) == 0) return 2;
    if (n > 15 && strcmp(l + n - 15, ".amazonaws.com\"") == 0) return 2;
    size_t content = n - (l[0] == '"') - (n > 1 && l[n - 1] == '"');
    return content < 4 ? 1 : 0;
}

typedef struct litcount {
    const char *lit;
    size_t subs; /* sub-rules offering it */
} litcount;

static size_t popularity(const litcount *c, size_t n, const char *lit) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].lit, lit) == 0) return c[i].subs;
    return 0;
}

bool rw_patterns_literals(const rw_pattern *const *ps, size_t np, char ***out, size_t *nout) {
    /* how many sub-rules could use each literal */
    litcount *cnt = NULL;
    size_t ncnt = 0, cap = 0;
    for (size_t p = 0; p < np; p++)
        for (size_t s = 0; s < ps[p]->nsubs; s++) {
            const subrule *sr = &ps[p]->subs[s];
            for (size_t o = 0; o < sr->nopts; o++)
                for (size_t k = 0; k < sr->opts[o].n; k++) {
                    const char *l = sr->opts[o].lit[k];
                    size_t i = 0;
                    while (i < ncnt && strcmp(cnt[i].lit, l) != 0) i++;
                    if (i == ncnt) {
                        if (ncnt == cap)
                            cnt = rw_xrealloc(cnt, (cap = cap ? cap * 2 : 16) * sizeof *cnt);
                        cnt[ncnt++] = (litcount){l, 0};
                    }
                    cnt[i].subs++;
                }
        }
    /* per sub-rule, the option best for the whole set: no common text first, then literals that
     * serve the most sub-rules, then fewer literals, then longer ones */
    char **chosen = NULL;
    size_t nch = 0;
    bool complete = true;
    for (size_t p = 0; p < np; p++)
        for (size_t s = 0; s < ps[p]->nsubs; s++) {
            const subrule *sr = &ps[p]->subs[s];
            long best = -1;
            int bpen = 0;
            size_t bpop = 0, bn = 0, blen = 0;
            for (size_t o = 0; o < sr->nopts; o++) {
                const litset *ls = &sr->opts[o];
                int pen = 0;
                size_t pop = (size_t)-1, len = (size_t)-1;
                for (size_t k = 0; k < ls->n; k++) {
                    int q = literal_penalty(ls->lit[k]);
                    size_t u = popularity(cnt, ncnt, ls->lit[k]), m = strlen(ls->lit[k]);
                    if (q > pen) pen = q;
                    if (u < pop) pop = u;
                    if (m < len) len = m;
                }
                bool better =
                    best < 0 || pen < bpen ||
                    (pen == bpen &&
                     (pop > bpop || (pop == bpop && (ls->n < bn || (ls->n == bn && len > blen)))));
                if (better) best = (long)o, bpen = pen, bpop = pop, bn = ls->n, blen = len;
            }
            if (best < 0) {
                complete = false;
                continue;
            }
            const litset *ls = &sr->opts[best];
            for (size_t k = 0; k < ls->n; k++) {
                bool dup = false;
                for (size_t i = 0; i < nch && !dup; i++) dup = strcmp(chosen[i], ls->lit[k]) == 0;
                if (dup) continue;
                chosen = rw_xrealloc(chosen, (nch + 1) * sizeof *chosen);
                chosen[nch++] = rw_xstrdup(ls->lit[k]);
            }
        }
    free(cnt);
    *out = chosen;
    *nout = nch;
    return complete;
}

static void add_literals(rw_pattern *p) {
    add_literal_options(p);
    const rw_pattern *one = p;
    p->literal_free = !rw_patterns_literals(&one, 1, &p->literals, &p->nliterals);
}

bool rw_pattern_literals(const rw_pattern *p, const char *const **out, size_t *n) {
    *out = (const char *const *)p->literals;
    *n = p->nliterals;
    return !p->literal_free;
}

/* ---- entry points -----------------------------------------------------------------------------
 */

/* the pattern owns the alternative arrays and paths through these */
typedef struct owned {
    alt **arrays;
    size_t *array_n, narrays;
    char **paths;
    size_t npaths;
} owned;

void rw_pattern_free(rw_pattern *p) {
    if (!p) return;
    owned *o = (owned *)(p + 1);
    for (size_t i = 0; i < o->narrays; i++) {
        for (size_t k = 0; k < o->array_n[i]; k++) free_alt(&o->arrays[i][k]);
        free(o->arrays[i]);
    }
    free(o->arrays);
    free(o->array_n);
    for (size_t i = 0; i < o->npaths; i++) free(o->paths[i]);
    free(o->paths);
    for (size_t s = 0; s < p->nsubs; s++) {
        free(p->subs[s].conds);
        for (size_t o = 0; o < p->subs[s].nopts; o++) {
            for (size_t k = 0; k < p->subs[s].opts[o].n; k++) free(p->subs[s].opts[o].lit[k]);
            free(p->subs[s].opts[o].lit);
        }
        free(p->subs[s].opts);
    }
    free(p->subs);
    for (size_t i = 0; i < p->nliterals; i++) free(p->literals[i]);
    free(p->literals);
    free(p);
}

int rw_pattern_compile_json(rw_pattern **out, const rw_json *root, rw_pattern_error *err) {
    rw_pattern_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    rw_pattern *p = rw_xcalloc(1, sizeof *p + sizeof(owned));
    ctx c = {.p = p, .err = err};
    rlist rules = {rw_xcalloc(1, sizeof(build)), 1};
    bool ok;
    if (!root || root->type != RW_JSON_OBJECT)
        ok = fail(&c, root, "Filter is not an object");
    else
        ok = object_members(&c, root, "", &rules, false);
    owned *o = (owned *)(p + 1);
    o->arrays = c.arrays, o->array_n = c.array_n, o->narrays = c.narrays;
    o->paths = c.paths, o->npaths = c.npaths;
    if (ok && c.overflow)
        ok = fail(&c, NULL, "Or operator is producing over 1000 rule combinations");
    if (ok) {
        p->subs = rw_xcalloc(rules.n ? rules.n : 1, sizeof *p->subs);
        for (size_t i = 0; i < rules.n; i++) {
            build *b = &rules.b[i];
            subrule *s = &p->subs[p->nsubs++];
            s->conds = rw_xcalloc(b->n ? b->n : 1, sizeof *s->conds);
            for (size_t k = 0; k < b->n; k++)
                s->conds[s->n++] =
                    (cond){b->e[k].path, b->e[k].alts, b->e[k].nalts, b->e[k].absent_ok};
            qsort(s->conds, s->n, sizeof *s->conds, cmp_cond);
        }
        ok = check_complexity(&c);
    }
    if (ok && c.internal) {
        err->internal = true;
        ok = fail(&c, NULL, "InternalFailure: an empty anything-but list (AWS answers HTTP 500)");
    }
    rlist_free(&rules);
    if (!ok) {
        rw_pattern_free(p);
        return rw_error_set(RW_EINVAL, "Event pattern is not valid. Reason: %s", err->reason);
    }
    add_literals(p);
    *out = p;
    return RW_OK;
}

int rw_pattern_compile(rw_pattern **out, const char *text, size_t len, rw_pattern_error *err) {
    rw_pattern_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    char *copy;
    size_t n;
    if (!rw_pattern_json_scan(text, len, err, &copy, &n))
        return rw_error_set(RW_EINVAL, "Event pattern is not valid. Reason: %s", err->reason);
    rw_json_opts jo = {.max_depth = 256, .max_memory = (size_t)64 << 20};
    rw_json_doc *doc = rw_json_doc_new(&jo);
    int rc = rw_json_doc_parse(doc, copy ? copy : text, n);
    if (rc != RW_OK) {
        snprintf(err->reason, sizeof err->reason, "%s", rw_error_last());
        err->offset = rw_json_doc_error_offset(doc);
        rw_json_doc_free(doc);
        free(copy);
        return rw_error_set(RW_EINVAL, "Event pattern is not valid. Reason: %s", err->reason);
    }
    rc = rw_pattern_compile_json(out, rw_json_doc_root(doc), err);
    rw_json_doc_free(doc);
    free(copy);
    return rc;
}

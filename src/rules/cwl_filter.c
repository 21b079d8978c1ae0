/* CloudWatch Logs filter patterns: compiler and evaluator (issue 14). See cwl_filter.h, and
 * docs/audit.md "The metric filter check" for each semantic choice and its source. In short:
 *
 *   [AWS docs]  "Filter pattern syntax for metric filters, subscription filters, filter log events
 *               and Live Tail" (and the older "Filter and Pattern Syntax" page it replaced).
 *   [azul]      DataBiosphere/azul issue 5884 and PR 8228: AWS's own test of a metric filter shows
 *               that `$.userIdentity.invokedBy != "x"` does NOT match a record without invokedBy.
 *   [CDK]       aws-cdk-lib aws-logs/lib/pattern.ts, AWS's generator of patterns: how terms are
 *               quoted and escaped (\" and \\), how ?groups combine, that exists() is `= "*"`.
 *   [chosen]    where the documentation is silent: the nearest documented behaviour, said so.
 */
#include "rules/cwl_filter.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/xmalloc.h"

/* ---- regular expressions: %...%
 * ------------------------------------------------------------------ AWS's subset [AWS docs]:
 * letters, digits, the symbols _ # = @ / ; , - : (and, [chosen], space), the operators ^ $ ? [ ] {
 * } | \ * + . ; no parentheses, no multi-byte characters. Without groups an expression is
 * alternatives of sequences of atoms (a byte, '.', a class) with quantifiers, run here as a
 * state-set automaton: linear in the text, no backtracking. Matching searches the text
 * (%AUTHORIZED% matches "UNAUTHORIZED" [AWS docs]); ^ and $ anchor. */

#define RX_MAX_ITEMS 2048 /* states after expanding {n,m}: bounds memory and time */

enum { RX_ONE, RX_OPT, RX_STAR, RX_BOL, RX_EOL };
typedef struct rx_item {
    unsigned char set[32]; /* the bytes the atom matches */
    unsigned char rep;     /* RX_ONE, RX_OPT, RX_STAR; RX_BOL / RX_EOL: anchors (no byte) */
} rx_item;
typedef struct rx_alt {
    rx_item *items;
    size_t n;
} rx_alt;
typedef struct rx {
    rx_alt *alts;
    size_t nalts;
} rx;

static void set_bit(unsigned char *s, unsigned c) {
    s[c >> 3] |= (unsigned char)(1u << (c & 7));
}
static bool has_bit(const unsigned char *s, unsigned c) {
    return s[c >> 3] & (1u << (c & 7));
}
static void set_range(unsigned char *s, unsigned a, unsigned b) {
    for (unsigned c = a; c <= b; c++) set_bit(s, c);
}

static void rx_free(rx *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nalts; i++) free(r->alts[i].items);
    free(r->alts);
    free(r);
}

static bool rx_allowed(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return strchr("_#=@/;,-: ^$?[]{}|\\*+.", c) != NULL && c != 0;
}

/* the class of an escape \c into set; false for an unknown letter escape */
static void rx_escape(unsigned char *set, unsigned char c) {
    switch (c) {
    case 'd':
        set_range(set, '0', '9');
        break;
    case 'w':
        set_range(set, 'a', 'z');
        set_range(set, 'A', 'Z');
        set_range(set, '0', '9');
        set_bit(set, '_');
        break;
    case 's':
        set_bit(set, ' ');
        set_range(set, '\t', '\r');
        break;
    case 'D':
    case 'W':
    case 'S': {
        unsigned char t[32] = {0};
        rx_escape(t, (unsigned char)(c - 'A' + 'a'));
        for (int i = 0; i < 32; i++) set[i] |= (unsigned char)~t[i];
        break;
    }
    case 't':
        set_bit(set, '\t');
        break;
    case 'n':
        set_bit(set, '\n');
        break;
    default:
        set_bit(set, c);
    }
}

typedef struct perr {
    int code;
    char msg[256];
    size_t off;
} perr;

static int fail(perr *e, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(perr *e, size_t off, const char *fmt, ...) {
    if (e->code) return e->code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = RW_EINVAL;
    e->off = off;
    return e->code;
}

/* "'x'" for a printable byte, "byte 0x01" otherwise (for messages) */
static const char *chr(char buf[16], unsigned char c) {
    if (c >= 0x21 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

/* Compiles s[0..n) (between the %s; base: its offset in the pattern, for errors). */
static int rx_compile(rx **out, const char *s, size_t n, size_t base, perr *e) {
    *out = NULL;
    if (n == 0) return fail(e, base, "an empty regular expression (%%%%) is not allowed");
    char cb[16];
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '(' || c == ')')
            return fail(e, base + i,
                        "parentheses are not supported in a regular expression (AWS allows no "
                        "subpatterns)");
        if (c >= 0x80)
            return fail(e, base + i,
                        "multi-byte characters are not supported in a regular "
                        "expression");
        if (!rx_allowed(c) && !(i > 0 && s[i - 1] == '\\'))
            return fail(e, base + i, "the character %s is not supported in a regular expression",
                        chr(cb, c));
    }
    rx *r = rw_xcalloc(1, sizeof *r);
    size_t cap_alts = 0, total = 0;
    size_t i = 0;
    for (;;) {
        if (r->nalts == cap_alts) {
            cap_alts = cap_alts ? cap_alts * 2 : 2;
            r->alts = rw_xrealloc(r->alts, cap_alts * sizeof *r->alts);
        }
        rx_alt *a = &r->alts[r->nalts++];
        a->items = NULL;
        a->n = 0;
        size_t cap = 0;
        while (i < n && s[i] != '|') {
            rx_item it;
            memset(&it, 0, sizeof it);
            it.rep = RX_ONE;
            size_t at = i;
            unsigned char c = (unsigned char)s[i++];
            if (c == '^' || c == '$') {
                it.rep = c == '^' ? RX_BOL : RX_EOL;
            } else if (c == '.') {
                memset(it.set, 0xff, sizeof it.set);
                it.set['\n' >> 3] &= (unsigned char)~(1u << ('\n' & 7));
            } else if (c == '\\') {
                if (i >= n) {
                    rx_free(r);
                    return fail(e, base + at, "a regular expression may not end with '\\'");
                }
                rx_escape(it.set, (unsigned char)s[i++]);
            } else if (c == '[') {
                bool neg = false;
                if (i < n && s[i] == '^') {
                    neg = true;
                    i++;
                }
                bool first = true, closed = false;
                while (i < n) {
                    unsigned char d = (unsigned char)s[i];
                    if (d == ']' && !first) {
                        closed = true;
                        i++;
                        break;
                    }
                    first = false;
                    i++;
                    if (d == '\\' && i < n) {
                        rx_escape(it.set, (unsigned char)s[i++]);
                        continue;
                    }
                    if (i + 1 < n && s[i] == '-' && s[i + 1] != ']') {
                        unsigned char hi = (unsigned char)s[i + 1];
                        if (hi == '\\' && i + 2 < n) hi = (unsigned char)s[i + 2], i++;
                        if (hi < d) {
                            rx_free(r);
                            return fail(e, base + i - 1,
                                        "an empty range %c-%c in a regular "
                                        "expression",
                                        d, hi);
                        }
                        set_range(it.set, d, hi);
                        i += 2;
                        continue;
                    }
                    set_bit(it.set, d);
                }
                if (!closed) {
                    rx_free(r);
                    return fail(e, base + at, "'[' without its ']' in a regular expression");
                }
                if (neg)
                    for (int k = 0; k < 32; k++) it.set[k] = (unsigned char)~it.set[k];
            } else if (c == '*' || c == '+' || c == '?' || c == '{') {
                rx_free(r);
                return fail(e, base + at, "'%c' follows nothing it could repeat", c);
            } else if (c == ']' || c == '}') {
                set_bit(it.set, c);
            } else {
                set_bit(it.set, c);
            }
            /* quantifier */
            size_t lo = 1, hi = 1; /* hi == SIZE_MAX: unbounded */
            if (it.rep == RX_ONE && i < n && strchr("*+?{", s[i])) {
                size_t qat = i;
                char q = s[i++];
                if (q == '*')
                    lo = 0, hi = SIZE_MAX;
                else if (q == '+')
                    lo = 1, hi = SIZE_MAX;
                else if (q == '?')
                    lo = 0, hi = 1;
                else {
                    size_t v = 0, digits = 0;
                    while (i < n && s[i] >= '0' && s[i] <= '9' && v < 100000)
                        v = v * 10 + (size_t)(s[i++] - '0'), digits++;
                    lo = hi = v;
                    if (i < n && s[i] == ',') {
                        i++;
                        hi = SIZE_MAX;
                        if (i < n && s[i] >= '0' && s[i] <= '9') {
                            hi = 0;
                            while (i < n && s[i] >= '0' && s[i] <= '9' && hi < 100000)
                                hi = hi * 10 + (size_t)(s[i++] - '0');
                        }
                    }
                    if (!digits || i >= n || s[i] != '}' || hi < lo) {
                        rx_free(r);
                        return fail(e, base + qat,
                                    "expected {n}, {n,} or {n,m} (n <= m) in a regular expression");
                    }
                    i++;
                }
                if (i < n && s[i] == '?') i++; /* lazy: the same answer for a search */
            }
            size_t copies = lo + (hi == SIZE_MAX ? 1 : hi - lo);
            if (it.rep != RX_ONE) copies = 1;
            if (copies > RX_MAX_ITEMS || total + copies > RX_MAX_ITEMS) {
                rx_free(r);
                return fail(e, base + at, "the regular expression is too large (over %d states)",
                            RX_MAX_ITEMS);
            }
            for (size_t k = 0; k < copies; k++) {
                if (a->n == cap) {
                    cap = cap ? cap * 2 : 8;
                    a->items = rw_xrealloc(a->items, cap * sizeof *a->items);
                }
                rx_item c2 = it;
                if (it.rep == RX_ONE)
                    c2.rep = k < lo ? RX_ONE : (hi == SIZE_MAX ? RX_STAR : RX_OPT);
                a->items[a->n++] = c2;
            }
            total += copies;
        }
        if (i >= n) break;
        i++; /* '|' */
    }
    *out = r;
    return RW_OK;
}

/* adds state k and what it reaches without consuming a byte (at position pos of n) */
static void rx_add(const rx_alt *a, unsigned char *on, size_t k, size_t pos, size_t n) {
    while (k <= a->n && !on[k]) {
        on[k] = 1;
        if (k == a->n) return;
        const rx_item *it = &a->items[k];
        if (it->rep == RX_OPT || it->rep == RX_STAR || (it->rep == RX_BOL && pos == 0) ||
            (it->rep == RX_EOL && pos == n)) {
            k++;
            continue;
        }
        return;
    }
}

static bool rx_alt_search(const rx_alt *a, const unsigned char *t, size_t n) {
    size_t ns = a->n + 1;
    unsigned char *cur = rw_xcalloc(ns, 2), *nxt = cur + ns;
    bool found = false;
    for (size_t pos = 0;; pos++) {
        rx_add(a, cur, 0, pos, n); /* a match may start anywhere */
        if (cur[a->n]) {
            found = true;
            break;
        }
        if (pos == n) break;
        memset(nxt, 0, ns);
        for (size_t k = 0; k < a->n; k++) {
            if (!cur[k]) continue;
            const rx_item *it = &a->items[k];
            if (it->rep == RX_BOL || it->rep == RX_EOL || !has_bit(it->set, t[pos])) continue;
            rx_add(a, nxt, it->rep == RX_STAR ? k : k + 1, pos + 1, n);
        }
        unsigned char *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    free(cur < nxt ? cur : nxt);
    return found;
}

static bool rx_search(const rx *r, const char *t, size_t n) {
    for (size_t i = 0; i < r->nalts; i++)
        if (rx_alt_search(&r->alts[i], (const unsigned char *)t, n)) return true;
    return false;
}

/* ---- values and comparisons
 * ---------------------------------------------------------------------- */

enum {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_IS_TRUE,
    OP_IS_FALSE,
    OP_IS_NULL,
    OP_NOT_EXISTS
};
static const char *const op_names[] = {"=",  "!=",      "<",        "<=",      ">",
                                       ">=", "IS TRUE", "IS FALSE", "IS NULL", "NOT EXISTS"};

enum { V_NONE, V_STR, V_NUM, V_REGEX };
typedef struct value {
    int kind;
    char *text; /* V_STR: the string without its wildcards; V_NUM: the literal */
    size_t len;
    bool lead, trail; /* V_STR: a wildcard '*' before / after text */
    bool any;         /* V_STR: '*' alone (or only stars): any value */
    double num;
    rx *re;
} value;

static void value_free(value *v) {
    free(v->text);
    rx_free(v->re);
}

/* Is s[0..n) a number as AWS writes one: an integer or decimal with an optional sign, optionally
 * followed by e and a signed integer [AWS docs, "Numeric comparisons"]? */
static bool parse_number(const char *s, size_t n, double *out) {
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (!digits) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, ed++;
        if (!ed) return false;
    }
    if (i != n || n > 64) return false;
    char tmp[72];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    *out = strtod(tmp[0] == '+' ? tmp + 1 : tmp, NULL);
    return true;
}

/* '*' at the start or end is a wildcard; one inside is a literal star ("Ev*ent will only match
 * the actual string Ev*ent" [AWS docs]). Quoting does not turn wildcards off [CDK: exists() is
 * `= "*"`]. */
static bool str_match(const value *v, const char *s, size_t n) {
    if (v->any) return true;
    if (v->len > n) return false;
    if (v->lead && v->trail) {
        if (v->len == 0) return true;
        for (size_t i = 0; i + v->len <= n; i++)
            if (!memcmp(s + i, v->text, v->len)) return true;
        return false;
    }
    if (v->lead) return !memcmp(s + n - v->len, v->text, v->len);
    if (v->trail) return !memcmp(s, v->text, v->len);
    return n == v->len && !memcmp(s, v->text, n);
}

/* Compares a string or number (text s, and its value when is_num) with op and v. The caller has
 * already ruled out missing, null, boolean, array and object values. */
static bool compare(int op, const value *v, const char *s, size_t n, bool is_num, double num) {
    bool eq;
    if (v->kind == V_NUM) {
        double x = num;
        bool numeric = is_num || parse_number(s, n, &x);
        if (op == OP_EQ || op == OP_NE) {
            eq = numeric && x == v->num;
            return op == OP_EQ ? eq : !eq;
        }
        if (!numeric || isnan(x)) return false;
        switch (op) {
        case OP_LT:
            return x < v->num;
        case OP_LE:
            return x <= v->num;
        case OP_GT:
            return x > v->num;
        case OP_GE:
            return x >= v->num;
        }
        return false;
    }
    eq = v->kind == V_REGEX ? rx_search(v->re, s, n) : str_match(v, s, n);
    return op == OP_EQ ? eq : op == OP_NE ? !eq : false;
}

/* ---- the pattern's AST
 * ---------------------------------------------------------------------------- */

enum { STEP_NAME, STEP_INDEX, STEP_ANY };
typedef struct step {
    int kind; /* .name or ['name']; [N]; .* or [*] (every member or element) */
    size_t n; /* the index, or the name's length */
    char *name;
} step;

enum { N_AND, N_OR, N_CMP };
typedef struct node {
    int type;
    struct node *l, *r;
    /* N_CMP */
    step *steps;
    size_t nsteps;
    char *sel; /* the selector as written (for messages): "$.a.b" or a column name */
    int op;
    value v;
} node;

static void node_free(node *x) {
    if (!x) return;
    node_free(x->l);
    node_free(x->r);
    for (size_t i = 0; i < x->nsteps; i++) free(x->steps[i].name);
    free(x->steps);
    free(x->sel);
    value_free(&x->v);
    free(x);
}

/* terms */
typedef struct term {
    bool exclude;
    size_t group; /* ?alternatives start a new group */
    char *text;
    size_t len;
    rx *re;
} term;

/* space-delimited columns */
typedef struct column {
    char *name; /* NULL: an anonymous column; "..." is ellipsis */
    size_t name_len;
    bool ellipsis;
} column;

struct rw_cwl_filter {
    rw_cwl_kind kind;
    node *expr; /* JSON; DELIMITED: the conditions (NULL: none) */
    term *terms;
    size_t nterms, ngroups;
    column *cols;
    size_t ncols;
};

/* ---- the parser
 * ----------------------------------------------------------------------------------- */

typedef struct parser {
    const char *s;
    size_t n, i;
    size_t depth;
    perr e;
    bool delimited; /* selectors are column names, not $.paths */
} parser;

static bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static void skip_ws(parser *p) {
    while (p->i < p->n && is_ws(p->s[p->i])) p->i++;
}
static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}
static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/* a keyword (case-insensitive [chosen]: AWS writes them upper case) followed by a non-letter */
static bool keyword(parser *p, const char *kw) {
    size_t k = strlen(kw);
    if (p->n - p->i < k || strncasecmp(p->s + p->i, kw, k)) return false;
    if (p->i + k < p->n && (is_alpha(p->s[p->i + k]) || p->s[p->i + k] == '_')) return false;
    p->i += k;
    return true;
}

static const char *here(parser *p, char *buf, size_t cap) {
    if (p->i >= p->n) return "the end of the pattern";
    unsigned char c = (unsigned char)p->s[p->i];
    if (c >= 0x21 && c < 0x7f)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

/* A quoted string at p->i (on the '"'): \" and \\ are a quote and a backslash [CDK quoteTerm];
 * any other backslash stays as it is [chosen]. */
static char *quoted(parser *p, size_t *len) {
    size_t start = p->i++;
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_puts(&b, "");
    while (p->i < p->n && p->s[p->i] != '"') {
        char c = p->s[p->i++];
        if (c == '\\' && p->i < p->n && (p->s[p->i] == '"' || p->s[p->i] == '\\')) c = p->s[p->i++];
        rw_buf_putc(&b, c);
    }
    if (p->i >= p->n) {
        rw_buf_free(&b);
        fail(&p->e, start, "a string opened with '\"' at offset %zu is not closed", start);
        return NULL;
    }
    p->i++;
    *len = b.len;
    return rw_buf_take(&b);
}

/* The value after an operator: "quoted", %regex%, a number, or a bare string. */
static int parse_value(parser *p, value *v) {
    char hb[16];
    memset(v, 0, sizeof *v);
    skip_ws(p);
    size_t at = p->i;
    if (p->i >= p->n)
        return fail(&p->e, at, "expected a value after the operator, found %s",
                    here(p, hb, sizeof hb));
    char c = p->s[p->i];
    char *raw = NULL;
    size_t len = 0;
    if (c == '"') {
        raw = quoted(p, &len);
        if (!raw) return p->e.code;
    } else if (c == '%') {
        size_t end = p->i + 1;
        while (end < p->n && p->s[end] != '%') end++;
        if (end >= p->n)
            return fail(&p->e, at,
                        "a regular expression opened with '%%' at offset %zu is not "
                        "closed",
                        at);
        v->kind = V_REGEX;
        int rc = rx_compile(&v->re, p->s + at + 1, end - at - 1, at + 1, &p->e);
        p->i = end + 1;
        return rc;
    } else {
        /* a bare value: up to whitespace or what ends a condition. "Strings that have unicode
         * and other characters such as '@', '$', '\' etc. must be enclosed in double quotes"
         * [AWS docs]: those are refused bare; other punctuation is accepted [chosen: the docs'
         * own examples use 123.123.* and 4* bare, and a stored filter was accepted by AWS] */
        size_t end = p->i;
        while (end < p->n && !is_ws(p->s[end]) && !strchr("(){}[]\"&|,", p->s[end]) &&
               !(p->delimited && p->s[end] == ']'))
            end++;
        if (end == p->i)
            return fail(&p->e, at,
                        "expected a value (a string, \"quoted string\", number or "
                        "%%regex%%) after the operator, found %s",
                        here(p, hb, sizeof hb));
        for (size_t k = p->i; k < end; k++) {
            unsigned char d = (unsigned char)p->s[k];
            if (d >= 0x80)
                return fail(&p->e, k, "non-ASCII characters must be inside double quotes");
            if (!(is_name_char((char)d) || strchr(".*+:/#'!<>=;~^?", d)))
                return fail(&p->e, k, "the character %s must be inside double quotes", chr(hb, d));
        }
        len = end - p->i;
        raw = rw_xstrndup(p->s + p->i, len);
        p->i = end;
        double d;
        if (parse_number(raw, len, &d)) {
            v->kind = V_NUM;
            v->num = d;
            v->text = raw;
            v->len = len;
            return RW_OK;
        }
    }
    /* a string, with wildcards at its ends */
    v->kind = V_STR;
    size_t a = 0, b = len;
    while (a < b && raw[a] == '*') a++, v->lead = true;
    while (b > a && raw[b - 1] == '*') b--, v->trail = true;
    if (a == b && len > 0) v->any = true; /* only stars */
    v->text = rw_xstrndup(raw + a, b - a);
    v->len = b - a;
    free(raw);
    return RW_OK;
}

static void push_step(node *x, size_t *cap, step st) {
    if (x->nsteps == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        x->steps = rw_xrealloc(x->steps, *cap * sizeof *x->steps);
    }
    x->steps[x->nsteps++] = st;
}

/* a selector: $ then .name, [N], .* or [*] (every member or element), or ['name'] (a name '.'
 * could not spell), repeated [AWS docs: names are letters, digits, '-' and '_'; array elements
 * are [NUMBER] and must follow a property]. The wildcard and bracketed forms are those of the
 * current page's JSON section as an emulator that implements it reads them (floci-io/floci; the
 * page itself could not be read in full). AWS's quota on wildcards in a pattern is not enforced:
 * it limits what can be created, not what a filter means. */
static int parse_selector(parser *p, node *x) {
    char hb[16];
    size_t at = p->i;
    if (p->delimited) {
        size_t end = p->i;
        while (end < p->n && is_name_char(p->s[end])) end++;
        if (end == p->i)
            return fail(&p->e, at, "expected a column name, found %s", here(p, hb, sizeof hb));
        x->sel = rw_xstrndup(p->s + p->i, end - p->i);
        p->i = end;
        return RW_OK;
    }
    if (p->i >= p->n || p->s[p->i] != '$')
        return fail(&p->e, at, "expected a selector starting with '$' (as $.eventName), found %s",
                    here(p, hb, sizeof hb));
    p->i++;
    size_t cap = 0;
    for (;;) {
        if (p->i < p->n && p->s[p->i] == '.') {
            size_t nat = ++p->i;
            if (p->i < p->n && p->s[p->i] == '[') continue; /* $.['name'] */
            if (p->i < p->n && p->s[p->i] == '*') {
                p->i++;
                push_step(x, &cap, (step){.kind = STEP_ANY});
                continue;
            }
            while (p->i < p->n && is_name_char(p->s[p->i])) p->i++;
            if (p->i == nat)
                return fail(&p->e, nat,
                            "expected a property name (letters, digits, '-', '_'), '*' or "
                            "['name'] after '.', found %s",
                            here(p, hb, sizeof hb));
            push_step(x, &cap,
                      (step){.kind = STEP_NAME,
                             .n = p->i - nat,
                             .name = rw_xstrndup(p->s + nat, p->i - nat)});
        } else if (p->i < p->n && p->s[p->i] == '[') {
            size_t bat = p->i++;
            if (p->i < p->n && (p->s[p->i] == '\'' || p->s[p->i] == '"')) {
                char q = p->s[p->i++];
                size_t nat = p->i;
                while (p->i < p->n && p->s[p->i] != q) p->i++;
                if (p->i >= p->n)
                    return fail(&p->e, nat - 1,
                                "a property name opened with %c at offset %zu is "
                                "not closed",
                                q, nat - 1);
                size_t nlen = p->i - nat;
                p->i++;
                if (p->i >= p->n || p->s[p->i] != ']')
                    return fail(&p->e, p->i, "expected ']' after the property name, found %s",
                                here(p, hb, sizeof hb));
                p->i++;
                push_step(
                    x, &cap,
                    (step){.kind = STEP_NAME, .n = nlen, .name = rw_xstrndup(p->s + nat, nlen)});
                continue;
            }
            if (x->nsteps == 0)
                return fail(&p->e, bat, "an array index must follow a property ($.a[0], not $[0])");
            if (p->i < p->n && p->s[p->i] == '*') {
                p->i++;
                if (p->i >= p->n || p->s[p->i] != ']')
                    return fail(&p->e, p->i, "expected ']' after '[*', found %s",
                                here(p, hb, sizeof hb));
                p->i++;
                push_step(x, &cap, (step){.kind = STEP_ANY});
                continue;
            }
            size_t v = 0, digits = 0;
            while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
                if (v > 100000000) return fail(&p->e, p->i, "the array index is too large");
                v = v * 10 + (size_t)(p->s[p->i++] - '0');
                digits++;
            }
            if (!digits || p->i >= p->n || p->s[p->i] != ']')
                return fail(&p->e, digits ? p->i : bat + 1,
                            "expected an array index [NUMBER], [*] or ['name'], found %s",
                            here(p, hb, sizeof hb));
            p->i++;
            push_step(x, &cap, (step){.kind = STEP_INDEX, .n = v});
        } else {
            break;
        }
    }
    if (x->nsteps == 0)
        return fail(&p->e, at + 1, "expected '.' and a property name after '$', found %s",
                    here(p, hb, sizeof hb));
    x->sel = rw_xstrndup(p->s + at, p->i - at);
    return RW_OK;
}

static int parse_or(parser *p, node **out);

/* SELECTOR OP VALUE, SELECTOR IS TRUE|FALSE|NULL, SELECTOR NOT EXISTS, or ( EXPR ) */
static int parse_primary(parser *p, node **out) {
    char hb[16];
    *out = NULL;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '(') {
        size_t at = p->i++;
        if (++p->depth > RW_CWL_MAX_DEPTH) {
            fail(&p->e, at, "parentheses nested deeper than %d", RW_CWL_MAX_DEPTH);
            p->e.code = RW_ELIMIT;
            return p->e.code;
        }
        int rc = parse_or(p, out);
        if (rc) return rc;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ')')
            return fail(&p->e, p->i, "expected ')' to close the '(' at offset %zu, found %s", at,
                        here(p, hb, sizeof hb));
        p->i++;
        p->depth--;
        return RW_OK;
    }
    node *x = rw_xcalloc(1, sizeof *x);
    x->type = N_CMP;
    *out = x;
    int rc = parse_selector(p, x);
    if (rc) return rc;
    skip_ws(p);
    size_t at = p->i;
    const char *s = p->s + p->i;
    size_t left = p->n - p->i;
    if (left >= 2 && !memcmp(s, "!=", 2))
        x->op = OP_NE, p->i += 2;
    else if (left >= 2 && !memcmp(s, "<=", 2))
        x->op = OP_LE, p->i += 2;
    else if (left >= 2 && !memcmp(s, ">=", 2))
        x->op = OP_GE, p->i += 2;
    else if (left >= 2 && !memcmp(s, "==", 2))
        return fail(&p->e, at, "'==' is not an operator of filter patterns: write '='");
    else if (left >= 1 && *s == '=')
        x->op = OP_EQ, p->i += 1;
    else if (left >= 1 && *s == '<')
        x->op = OP_LT, p->i += 1;
    else if (left >= 1 && *s == '>')
        x->op = OP_GT, p->i += 1;
    else if (!p->delimited && keyword(p, "IS")) {
        skip_ws(p);
        if (keyword(p, "TRUE"))
            x->op = OP_IS_TRUE;
        else if (keyword(p, "FALSE"))
            x->op = OP_IS_FALSE;
        else if (keyword(p, "NULL"))
            x->op = OP_IS_NULL;
        else
            return fail(&p->e, p->i, "expected TRUE, FALSE or NULL after IS, found %s",
                        here(p, hb, sizeof hb));
        return RW_OK;
    } else if (!p->delimited && keyword(p, "NOT")) {
        skip_ws(p);
        if (!keyword(p, "EXISTS"))
            return fail(&p->e, p->i, "expected EXISTS after NOT, found %s", here(p, hb, sizeof hb));
        x->op = OP_NOT_EXISTS;
        return RW_OK;
    } else if (!p->delimited && keyword(p, "EXISTS")) {
        return fail(&p->e, at,
                    "EXISTS is not in CloudWatch Logs' syntax: AWS documents NOT EXISTS "
                    "only (for presence write %s = *)",
                    x->sel);
    } else {
        return fail(&p->e, at,
                    p->delimited ? "expected an operator (=, !=, <, <=, >, >=) after %s, found %s"
                                 : "expected an operator (=, !=, <, <=, >, >=, IS TRUE, IS FALSE, "
                                   "IS NULL, NOT EXISTS) after %s, found %s",
                    x->sel, here(p, hb, sizeof hb));
    }
    size_t vat = p->i;
    rc = parse_value(p, &x->v);
    if (rc) return rc;
    if (x->op >= OP_LT && x->op <= OP_GE && x->v.kind != V_NUM)
        return fail(&p->e, vat + (vat < p->n && is_ws(p->s[vat]) ? 1 : 0),
                    "the operator %s compares numbers: expected a number after it",
                    op_names[x->op]);
    return RW_OK;
}

static int parse_and(parser *p, node **out) {
    int rc = parse_primary(p, out);
    for (;;) {
        if (rc) return rc;
        skip_ws(p);
        if (p->n - p->i < 2 || memcmp(p->s + p->i, "&&", 2)) return RW_OK;
        p->i += 2;
        node *x = rw_xcalloc(1, sizeof *x);
        x->type = N_AND;
        x->l = *out;
        *out = x;
        rc = parse_primary(p, &x->r);
    }
}

/* && binds tighter than || [AWS docs: "() > && > ||"] */
static int parse_or(parser *p, node **out) {
    int rc = parse_and(p, out);
    for (;;) {
        if (rc) return rc;
        skip_ws(p);
        if (p->n - p->i < 2 || memcmp(p->s + p->i, "||", 2)) return RW_OK;
        p->i += 2;
        node *x = rw_xcalloc(1, sizeof *x);
        x->type = N_OR;
        x->l = *out;
        *out = x;
        rc = parse_and(p, &x->r);
    }
}

static int compile_json(rw_cwl_filter *f, parser *p) {
    char hb[16];
    p->i++; /* '{' */
    int rc = parse_or(p, &f->expr);
    if (rc) return rc;
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != '}')
        return fail(&p->e, p->i, "expected '&&', '||' or '}', found %s", here(p, hb, sizeof hb));
    p->i++;
    skip_ws(p);
    if (p->i < p->n)
        return fail(&p->e, p->i, "unexpected %s after the closing '}'", here(p, hb, sizeof hb));
    return RW_OK;
}

/* [col, col = v && col2 > 3, ..., col] [AWS docs, "space-delimited log events"] */
static int compile_delimited(rw_cwl_filter *f, parser *p) {
    char hb[16];
    p->i++; /* '[' */
    p->delimited = true;
    size_t cap = 0;
    bool ellipsis = false;
    for (;;) {
        skip_ws(p);
        if (f->ncols == cap) {
            cap = cap ? cap * 2 : 8;
            f->cols = rw_xrealloc(f->cols, cap * sizeof *f->cols);
        }
        column *c = &f->cols[f->ncols];
        memset(c, 0, sizeof *c);
        size_t at = p->i;
        if (p->n - p->i >= 3 && !memcmp(p->s + p->i, "...", 3)) {
            if (ellipsis) return fail(&p->e, at, "only one '...' is allowed");
            ellipsis = true;
            c->ellipsis = true;
            p->i += 3;
            f->ncols++;
        } else if (p->i < p->n && (p->s[p->i] == ',' || p->s[p->i] == ']')) {
            f->ncols++; /* an anonymous column ([..., a, b,] names the last field $N) */
        } else {
            size_t end = p->i;
            while (end < p->n && is_name_char(p->s[end])) end++;
            if (end == p->i)
                return fail(&p->e, at, "expected a column name or '...', found %s",
                            here(p, hb, sizeof hb));
            c->name = rw_xstrndup(p->s + p->i, end - p->i);
            c->name_len = end - p->i;
            f->ncols++;
            p->i = end;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] != ',' && p->s[p->i] != ']') {
                /* conditions: col OP v && col2 OP v || ... (starting over at the name) */
                p->i = at;
                node *cond = NULL;
                int rc = parse_or(p, &cond);
                if (rc) {
                    node_free(cond);
                    return rc;
                }
                if (f->expr) {
                    node *x = rw_xcalloc(1, sizeof *x);
                    x->type = N_AND;
                    x->l = f->expr;
                    x->r = cond;
                    f->expr = x;
                } else {
                    f->expr = cond;
                }
            }
        }
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            break;
        }
        return fail(&p->e, p->i, "expected ',' or ']' after a column, found %s",
                    here(p, hb, sizeof hb));
    }
    skip_ws(p);
    if (p->i < p->n)
        return fail(&p->e, p->i, "unexpected %s after the closing ']'", here(p, hb, sizeof hb));
    return RW_OK;
}

/* terms: word, "phrase", -excluded, ?alternative, %regex% [AWS docs, "unstructured log events";
 * CDK: `?"A" "B" ?"C"` is (A and B) or C] */
static int compile_terms(rw_cwl_filter *f, parser *p) {
    char hb[16];
    size_t cap = 0, group = 0;
    bool any_group = false;
    for (;;) {
        skip_ws(p);
        if (p->i >= p->n) break;
        bool exclude = false;
        size_t at = p->i;
        if (p->s[p->i] == '?') {
            p->i++;
            if (any_group || f->nterms) group++;
            any_group = true;
            skip_ws(p);
        }
        if (p->i < p->n && p->s[p->i] == '-') {
            exclude = true;
            p->i++;
            skip_ws(p); /* "ERROR" - "Exiting" [AWS docs] */
        }
        if (p->i >= p->n)
            return fail(&p->e, at, "expected a term after '%c', found the end of the pattern",
                        p->s[at]);
        term t = {.exclude = exclude, .group = group};
        char c = p->s[p->i];
        if (c == '"') {
            t.text = quoted(p, &t.len);
            if (!t.text) return p->e.code;
        } else if (c == '%') {
            size_t end = p->i + 1;
            while (end < p->n && p->s[end] != '%') end++;
            if (end >= p->n)
                return fail(&p->e, p->i,
                            "a regular expression opened with '%%' at offset %zu is not closed",
                            p->i);
            int rc = rx_compile(&t.re, p->s + p->i + 1, end - p->i - 1, p->i + 1, &p->e);
            if (rc) return rc;
            p->i = end + 1;
        } else {
            size_t end = p->i;
            while (end < p->n && !is_ws(p->s[end]) && p->s[end] != '"') end++;
            if (end == p->i)
                return fail(&p->e, p->i, "expected a term, found %s", here(p, hb, sizeof hb));
            t.text = rw_xstrndup(p->s + p->i, end - p->i);
            t.len = end - p->i;
            p->i = end;
        }
        if (f->nterms == cap) {
            cap = cap ? cap * 2 : 8;
            f->terms = rw_xrealloc(f->terms, cap * sizeof *f->terms);
        }
        f->terms[f->nterms++] = t;
    }
    f->ngroups = group + 1;
    if (f->nterms == 0) f->kind = RW_CWL_ALL;
    return RW_OK;
}

void rw_cwl_filter_free(rw_cwl_filter *f) {
    if (!f) return;
    node_free(f->expr);
    for (size_t i = 0; i < f->nterms; i++) {
        free(f->terms[i].text);
        rx_free(f->terms[i].re);
    }
    free(f->terms);
    for (size_t i = 0; i < f->ncols; i++) free(f->cols[i].name);
    free(f->cols);
    free(f);
}

int rw_cwl_filter_compile(rw_cwl_filter **out, const char *pattern, size_t len) {
    *out = NULL;
    if (!pattern) pattern = "";
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)pattern[i] & 0xc0) != 0x80) chars++;
    if (chars > RW_CWL_MAX_PATTERN)
        return rw_error_set(RW_ELIMIT,
                            "filter pattern: %zu characters, over AWS's limit of %d (offset %zu "
                            "is past it)",
                            chars, RW_CWL_MAX_PATTERN, (size_t)RW_CWL_MAX_PATTERN);
    if (memchr(pattern, 0, len))
        return rw_error_set(RW_EINVAL, "filter pattern: offset %zu: a NUL byte",
                            (size_t)((const char *)memchr(pattern, 0, len) - pattern));
    rw_cwl_filter *f = rw_xcalloc(1, sizeof *f);
    parser p = {.s = pattern, .n = len};
    skip_ws(&p);
    int rc;
    if (p.i < p.n && p.s[p.i] == '{') {
        f->kind = RW_CWL_JSON;
        rc = compile_json(f, &p);
    } else if (p.i < p.n && p.s[p.i] == '[') {
        f->kind = RW_CWL_DELIMITED;
        rc = compile_delimited(f, &p);
    } else {
        f->kind = RW_CWL_TERMS;
        rc = compile_terms(f, &p);
    }
    if (rc) {
        rw_cwl_filter_free(f);
        return rw_error_set(p.e.code ? p.e.code : rc, "filter pattern: offset %zu: %s", p.e.off,
                            p.e.msg);
    }
    *out = f;
    return RW_OK;
}

rw_cwl_kind rw_cwl_filter_kind(const rw_cwl_filter *f) {
    return f->kind;
}

const char *rw_cwl_kind_name(rw_cwl_kind k) {
    switch (k) {
    case RW_CWL_ALL:
        return "all events";
    case RW_CWL_TERMS:
        return "terms";
    case RW_CWL_JSON:
        return "json";
    case RW_CWL_DELIMITED:
        return "space-delimited";
    }
    return "?";
}

/* ---- evaluation
 * ---------------------------------------------------------------------------------- */

/* Does some value the selector leads to (from step k of v on) satisfy the condition? A wildcard
 * step leads to several values: the condition holds when it holds for one of them (as a JSON
 * path's values do in the filter languages that have them) [chosen]. */
static bool cmp_value(const node *x, const rw_json *v);
static bool any_value(const node *x, const rw_json *v, size_t k) {
    if (k == x->nsteps) return cmp_value(x, v);
    const step *s = &x->steps[k];
    if (s->kind == STEP_INDEX) {
        if (v->type != RW_JSON_ARRAY) return false;
        size_t i = 0;
        for (const rw_json *c = v->child; c; c = c->next, i++)
            if (i == s->n) return any_value(x, c, k + 1);
        return false;
    }
    if (s->kind == STEP_ANY) {
        if (v->type != RW_JSON_ARRAY && v->type != RW_JSON_OBJECT) return false;
        for (const rw_json *c = v->child; c; c = c->next)
            if (any_value(x, c, k + 1)) return true;
        return false;
    }
    if (v->type != RW_JSON_OBJECT) return false;
    /* the last member of that name, as JSON parsers keep [chosen] */
    const rw_json *next = NULL;
    for (const rw_json *c = v->child; c; c = c->next)
        if (c->key_len == s->n && !memcmp(c->key, s->name, s->n)) next = c;
    return next && any_value(x, next, k + 1);
}

/* one JSON condition on one value the selector leads to [AWS docs; azul; chosen]:
 *   IS NULL / TRUE / FALSE: the value is that literal.
 *   =, !=, <, ...: only on a string or number ("The SELECTOR must point to a value node (string
 *   or number)"): on null, a boolean, an array or an object every comparison is false, !=
 *   included [AWS docs for arrays and objects; chosen for null and booleans]. On a string or
 *   number, != is exactly not =. */
static bool cmp_value(const node *x, const rw_json *v) {
    switch (x->op) {
    case OP_NOT_EXISTS:
        return true; /* the caller negates: some value exists */
    case OP_IS_NULL:
        return v->type == RW_JSON_NULL;
    case OP_IS_TRUE:
        return v->type == RW_JSON_TRUE;
    case OP_IS_FALSE:
        return v->type == RW_JSON_FALSE;
    }
    if (v->type != RW_JSON_STRING && v->type != RW_JSON_NUMBER) return false;
    return compare(x->op, &x->v, v->str ? v->str : "", v->len, v->type == RW_JSON_NUMBER, v->num);
}

/* NOT EXISTS: the path leads nowhere. Every other condition on a missing field is false, !=
 * included [azul]. */
static bool eval_json_cmp(const node *x, const rw_json *root) {
    bool some = any_value(x, root, 0);
    return x->op == OP_NOT_EXISTS ? !some : some;
}

typedef struct fields {
    const char **names; /* column name per field (NULL: none) */
    const char **val;
    size_t *len;
    size_t n;
} fields;

static bool eval(const node *x, const rw_json *root, const fields *fs) {
    switch (x->type) {
    case N_AND:
        return eval(x->l, root, fs) && eval(x->r, root, fs);
    case N_OR:
        return eval(x->l, root, fs) || eval(x->r, root, fs);
    }
    if (!fs) return eval_json_cmp(x, root);
    /* a column: the field bound to that name (none: false) */
    for (size_t i = 0; i < fs->n; i++)
        if (fs->names[i] && !strcmp(fs->names[i], x->sel))
            return compare(x->op, &x->v, fs->val[i], fs->len[i], false, 0);
    return false;
}

static bool contains(const char *h, size_t hn, const char *n, size_t nn) {
    if (nn == 0) return true;
    if (nn > hn) return false;
    return memmem(h, hn, n, nn) != NULL;
}

static bool match_terms(const rw_cwl_filter *f, const char *msg, size_t len) {
    for (size_t g = 0; g < f->ngroups; g++) {
        bool ok = true, any = false;
        for (size_t i = 0; ok && i < f->nterms; i++) {
            const term *t = &f->terms[i];
            if (t->group != g) continue;
            any = true;
            bool found = t->re ? rx_search(t->re, msg, len) : contains(msg, len, t->text, t->len);
            if (found == t->exclude) ok = false;
        }
        if (ok && any) return true;
    }
    return false;
}

/* Splits msg into space-separated fields, a [bracketed] or "quoted" field being one (without its
 * brackets or quotes) [AWS docs], and binds them to the columns. */
static bool match_delimited(const rw_cwl_filter *f, const char *msg, size_t len) {
    size_t cap = 16, n = 0;
    const char **val = rw_xmalloc(cap * sizeof *val);
    size_t *flen = rw_xmalloc(cap * sizeof *flen);
    size_t i = 0;
    while (i < len) {
        while (i < len && msg[i] == ' ') i++;
        if (i >= len) break;
        size_t start, end;
        if (msg[i] == '[' || msg[i] == '"') {
            char close = msg[i] == '[' ? ']' : '"';
            start = ++i;
            while (i < len && msg[i] != close) i++;
            end = i;
            if (i < len) i++;
        } else {
            start = i;
            while (i < len && msg[i] != ' ') i++;
            end = i;
        }
        if (n == cap) {
            cap *= 2;
            val = rw_xrealloc(val, cap * sizeof *val);
            flen = rw_xrealloc(flen, cap * sizeof *flen);
        }
        val[n] = msg + start;
        flen[n] = end - start;
        n++;
    }
    bool ok = true;
    size_t named = f->ncols;
    size_t ell = SIZE_MAX;
    for (size_t c = 0; c < f->ncols; c++)
        if (f->cols[c].ellipsis) ell = c, named--;
    const char **names = rw_xcalloc(n ? n : 1, sizeof *names);
    if (ell == SIZE_MAX ? n != named : n < named) {
        ok = false; /* "[w1=ERROR, w2]" does not match "ERROR WARN message" [AWS docs] */
    } else {
        size_t tail = ell == SIZE_MAX ? 0 : f->ncols - ell - 1;
        for (size_t c = 0; c < f->ncols; c++) {
            if (f->cols[c].ellipsis) continue;
            size_t k = ell == SIZE_MAX || c < ell ? c : n - tail + (c - ell - 1);
            names[k] = f->cols[c].name;
        }
        if (f->expr) {
            fields fs = {.names = names, .val = val, .len = flen, .n = n};
            ok = eval(f->expr, NULL, &fs);
        }
    }
    free(names);
    free(val);
    free(flen);
    return ok;
}

bool rw_cwl_filter_match_line(const rw_cwl_filter *f, const char *msg, size_t len) {
    switch (f->kind) {
    case RW_CWL_ALL:
        return true;
    case RW_CWL_TERMS:
        return match_terms(f, msg, len);
    case RW_CWL_DELIMITED:
        return match_delimited(f, msg, len);
    case RW_CWL_JSON:
        break;
    }
    rw_json_opts o = {.max_depth = 512, .max_memory = (size_t)64 << 20};
    rw_json_doc *doc = rw_json_doc_new(&o);
    bool m = false;
    if (rw_json_doc_parse(doc, msg, len) == RW_OK)
        m = rw_cwl_filter_match(f, rw_json_doc_root(doc));
    rw_json_doc_free(doc);
    return m;
}

bool rw_cwl_filter_match(const rw_cwl_filter *f, const rw_json *event) {
    if (!event) return false;
    if (f->kind == RW_CWL_JSON) return event->type == RW_JSON_OBJECT && eval(f->expr, event, NULL);
    if (f->kind == RW_CWL_ALL) return true;
    rw_buf b;
    rw_buf_init(&b, 0);
    bool m = false;
    if (rw_json_write(&b, event) == RW_OK)
        m = rw_cwl_filter_match_line(f, b.data ? b.data : "", b.len);
    rw_buf_free(&b);
    return m;
}

/* ---- the canonical root cases
 * ---------------------------------------------------------------------- CloudTrail records as
 * CloudTrail writes them to a log group (compact JSON, one record per log event), trimmed to the
 * members a filter may reasonably test. */

#define RW_CWL_ACCOUNT "111122223333"
#define ROOT_IDENTITY                                                                              \
    "{\"type\":\"Root\",\"principalId\":\"" RW_CWL_ACCOUNT                                         \
    "\",\"arn\":\"arn:aws:iam::" RW_CWL_ACCOUNT ":root\",\"accountId\":\"" RW_CWL_ACCOUNT "\""
#define TAIL(type, ro)                                                                             \
    ",\"eventType\":\"" type "\",\"readOnly\":" ro ",\"managementEvent\":true,"                    \
    "\"recipientAccountId\":\"" RW_CWL_ACCOUNT "\",\"eventCategory\":\"Management\"}"

/* clang-format off */
const rw_cwl_case rw_cwl_root_cases[] = {
    {"root API call (write)", true,
     "{\"eventVersion\":\"1.09\",\"userIdentity\":" ROOT_IDENTITY ",\"accessKeyId\":"
     "\"AKIAIOSFODNN7EXAMPLE\"},\"eventTime\":\"2026-01-05T10:00:00Z\",\"eventSource\":"
     "\"iam.amazonaws.com\",\"eventName\":\"CreateAccessKey\",\"awsRegion\":\"us-east-1\","
     "\"sourceIPAddress\":\"203.0.113.7\",\"userAgent\":\"aws-cli/2.15.30\",\"requestParameters\":"
     "{\"userName\":\"alice\"},\"responseElements\":null,\"eventID\":"
     "\"3f1c0a52-0c6e-4bb4-9f55-6a1e3c2d0001\"" TAIL("AwsApiCall", "false")},
    {"root console sign-in", true,
     "{\"eventVersion\":\"1.09\",\"userIdentity\":" ROOT_IDENTITY "},\"eventTime\":"
     "\"2026-01-05T10:01:00Z\",\"eventSource\":\"signin.amazonaws.com\",\"eventName\":"
     "\"ConsoleLogin\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.7\","
     "\"userAgent\":\"Mozilla/5.0\",\"requestParameters\":null,\"responseElements\":"
     "{\"ConsoleLogin\":\"Success\"},\"additionalEventData\":{\"LoginTo\":"
     "\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\",\"MFAUsed\":\"No\"},"
     "\"eventID\":\"3f1c0a52-0c6e-4bb4-9f55-6a1e3c2d0002\"" TAIL("AwsConsoleSignIn", "false")},
    {"root read-only call", true,
     "{\"eventVersion\":\"1.09\",\"userIdentity\":" ROOT_IDENTITY ",\"accessKeyId\":"
     "\"ASIAIOSFODNN7EXAMPLE\",\"sessionContext\":{\"attributes\":{\"creationDate\":"
     "\"2026-01-05T09:59:00Z\",\"mfaAuthenticated\":\"false\"}}},\"eventTime\":"
     "\"2026-01-05T10:02:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\","
     "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.7\",\"userAgent\":"
     "\"console.amazonaws.com\",\"requestParameters\":{\"Host\":\"s3.amazonaws.com\"},"
     "\"responseElements\":null,\"eventID\":\"3f1c0a52-0c6e-4bb4-9f55-6a1e3c2d0003\""
     TAIL("AwsApiCall", "true")},
    {"root call made by an AWS service (invokedBy)", false,
     "{\"eventVersion\":\"1.09\",\"userIdentity\":" ROOT_IDENTITY ",\"invokedBy\":"
     "\"support.amazonaws.com\"},\"eventTime\":\"2026-01-05T10:03:00Z\",\"eventSource\":"
     "\"iam.amazonaws.com\",\"eventName\":\"GetAccountSummary\",\"awsRegion\":\"us-east-1\","
     "\"sourceIPAddress\":\"support.amazonaws.com\",\"userAgent\":\"support.amazonaws.com\","
     "\"requestParameters\":null,\"responseElements\":null,\"eventID\":"
     "\"3f1c0a52-0c6e-4bb4-9f55-6a1e3c2d0004\"" TAIL("AwsApiCall", "true")},
    {"AwsServiceEvent with a root identity", false,
     "{\"eventVersion\":\"1.09\",\"userIdentity\":" ROOT_IDENTITY "},\"eventTime\":"
     "\"2026-01-05T10:04:00Z\",\"eventSource\":\"signin.amazonaws.com\",\"eventName\":"
     "\"CredentialChallenge\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.7\","
     "\"userAgent\":\"Mozilla/5.0\",\"requestParameters\":null,\"responseElements\":null,"
     "\"serviceEventDetails\":{\"CredentialType\":\"PASSWORD\"},\"eventID\":"
     "\"3f1c0a52-0c6e-4bb4-9f55-6a1e3c2d0005\"" TAIL("AwsServiceEvent", "false")},
    {"IAM user call", false,
     "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":"
     "\"AIDAEXAMPLEUSER00001\",\"arn\":\"arn:aws:iam::" RW_CWL_ACCOUNT ":user/alice\","
     "\"accountId\":\"" RW_CWL_ACCOUNT "\",\"accessKeyId\":\"AKIAEXAMPLEUSERKEY01\",\"userName\":"
     "\"alice\"},\"eventTime\":\"2026-01-05T10:05:00Z\",\"eventSource\":\"iam.amazonaws.com\","
     "\"eventName\":\"CreateAccessKey\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":"
     "\"203.0.113.8\",\"userAgent\":\"aws-cli/2.15.30\",\"requestParameters\":{\"userName\":"
     "\"bob\"},\"responseElements\":null,\"eventID\":\"3f1c0a52-0c6e-4bb4-9f55-6a1e3c2d0006\""
     TAIL("AwsApiCall", "false")},
    {"assumed-role call", false,
     "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":"
     "\"AROAEXAMPLEROLE00001:alice\",\"arn\":\"arn:aws:sts::" RW_CWL_ACCOUNT
     ":assumed-role/Admin/alice\",\"accountId\":\"" RW_CWL_ACCOUNT "\",\"accessKeyId\":"
     "\"ASIAEXAMPLEROLEKEY01\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
     "\"principalId\":\"AROAEXAMPLEROLE00001\",\"arn\":\"arn:aws:iam::" RW_CWL_ACCOUNT
     ":role/Admin\",\"accountId\":\"" RW_CWL_ACCOUNT "\",\"userName\":\"Admin\"},\"attributes\":"
     "{\"creationDate\":\"2026-01-05T09:00:00Z\",\"mfaAuthenticated\":\"true\"}}},\"eventTime\":"
     "\"2026-01-05T10:06:00Z\",\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":"
     "\"TerminateInstances\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"203.0.113.9\","
     "\"userAgent\":\"aws-cli/2.15.30\",\"requestParameters\":{\"instancesSet\":{\"items\":"
     "[{\"instanceId\":\"i-0123456789abcdef0\"}]}},\"responseElements\":null,\"eventID\":"
     "\"3f1c0a52-0c6e-4bb4-9f55-6a1e3c2d0007\"" TAIL("AwsApiCall", "false")},
};
/* clang-format on */
const size_t rw_cwl_root_ncases = sizeof rw_cwl_root_cases / sizeof rw_cwl_root_cases[0];

uint32_t rw_cwl_filter_root_wrong(const rw_cwl_filter *f) {
    uint32_t wrong = 0;
    for (size_t i = 0; i < rw_cwl_root_ncases && i < 32; i++) {
        const rw_cwl_case *c = &rw_cwl_root_cases[i];
        if (rw_cwl_filter_match_line(f, c->record, strlen(c->record)) != c->must_match)
            wrong |= (uint32_t)1 << i;
    }
    return wrong;
}

int rw_cwl_root_wrong_describe(rw_buf *out, uint32_t wrong) {
    if (!wrong) return rw_buf_puts(out, "catches every canonical root case");
    int rc = RW_OK;
    bool first = true;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < rw_cwl_root_ncases && i < 32; i++) {
            const rw_cwl_case *c = &rw_cwl_root_cases[i];
            if (!(wrong & ((uint32_t)1 << i)) || c->must_match != (pass == 0)) continue;
            rc = rw_buf_printf(out, "%s%s %s", first ? "" : "; ",
                               c->must_match ? "misses" : "matches", c->name);
            first = false;
        }
    return rc;
}

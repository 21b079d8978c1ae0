#include "util/json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/xmalloc.h"

/* How many leading bytes of s[0..n) need no attention in a JSON string: printable ASCII other than
 * '"' and '\\'. Eight bytes at a time. */
static inline size_t plain_run(const unsigned char *s, size_t n) {
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t ctl =
            (w - ones * 0x20) & ~w & high; /* a byte below 0x20 (or at 0x80 and up: w's high bit) */
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t hit = ctl | ((q - ones) & ~q & high) | ((b - ones) & ~b & high) | (w & high);
        if (hit) return i + ((size_t)__builtin_ctzll(hit) >> 3);
    }
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') i++;
    return i;
}

/* ---- arena ---------------------------------------------------------------------------------- */

typedef struct chunk {
    struct chunk *prev;
    size_t size, used;
    _Alignas(16) unsigned char mem[];
} chunk;

typedef struct frame {
    rw_json *node;
    rw_json *last;
} frame;

struct rw_json_doc {
    rw_json_opts opts;
    chunk *cur;
    size_t total; /* bytes of all chunks */
    rw_json *root;
    size_t err_offset;
    size_t repairs;
    frame *stack;
    size_t stack_cap;
};

#define CHUNK_MIN ((size_t)64 << 10)

static void *arena_alloc(rw_json_doc *d, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (d->cur && d->cur->size - d->cur->used >= n) {
        void *p = d->cur->mem + d->cur->used;
        d->cur->used += n;
        return p;
    }
    size_t size = CHUNK_MIN;
    if (d->cur && d->cur->size * 2 > size) size = d->cur->size * 2;
    if (size < n) size = n;
    if (d->total + size > d->opts.max_memory) {
        /* the last chunk the limit allows: what is left of it, if n fits */
        if (d->total > d->opts.max_memory || d->opts.max_memory - d->total < n) return NULL;
        size = d->opts.max_memory - d->total;
    }
    chunk *c = rw_xmalloc(sizeof *c + size + RW_JSON_SLACK); /* see RW_JSON_SLACK */
    c->prev = d->cur;
    c->size = size;
    c->used = n;
    d->cur = c;
    d->total += size;
    return c->mem;
}

static void free_chunk(const rw_json_doc *d, chunk *c) {
    if (d->opts.secret) rw_secret_wipe(c->mem, c->used);
    free(c);
}

static void arena_reset(rw_json_doc *d) {
    /* keep the oldest chunk, free the rest */
    while (d->cur && d->cur->prev) {
        chunk *p = d->cur->prev;
        d->total -= d->cur->size;
        free_chunk(d, d->cur);
        d->cur = p;
    }
    if (d->cur && d->opts.secret) rw_secret_wipe(d->cur->mem, d->cur->used);
    if (d->cur) d->cur->used = 0;
}

rw_json_doc *rw_json_doc_new(const rw_json_opts *opts) {
    rw_json_doc *d = rw_xcalloc(1, sizeof *d);
    if (opts) d->opts = *opts;
    if (!d->opts.max_depth) d->opts.max_depth = 512;
    if (!d->opts.max_memory) d->opts.max_memory = (size_t)64 << 20;
    return d;
}

void rw_json_doc_free(rw_json_doc *d) {
    if (!d) return;
    while (d->cur) {
        chunk *p = d->cur->prev;
        free_chunk(d, d->cur);
        d->cur = p;
    }
    free(d->stack);
    free(d);
}

rw_json *rw_json_doc_root(const rw_json_doc *d) {
    return d->root;
}

size_t rw_json_doc_error_offset(const rw_json_doc *d) {
    return d->err_offset;
}

size_t rw_json_doc_repairs(const rw_json_doc *d) {
    return d->repairs;
}

char *rw_json_doc_strdup(rw_json_doc *d, const char *s, size_t n) {
    char *p = arena_alloc(d, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

rw_json *rw_json_doc_node(rw_json_doc *d, rw_json_type type, const char *text, size_t len,
                          size_t offset) {
    rw_json *v = arena_alloc(d, sizeof *v);
    if (!v) return NULL;
    memset(v, 0, sizeof *v);
    v->type = type;
    v->offset = offset;
    if (type == RW_JSON_STRING || type == RW_JSON_NUMBER) {
        if (len > UINT32_MAX || !(v->str = rw_json_doc_strdup(d, text ? text : "", len)))
            return NULL;
        v->len = (uint32_t)len;
        if (type == RW_JSON_NUMBER) v->num = strtod(v->str, NULL);
    }
    return v;
}

bool rw_json_doc_append(rw_json_doc *d, rw_json *parent, rw_json *child, const char *key,
                        size_t key_len) {
    if (parent->type == RW_JSON_OBJECT) {
        if (key_len > UINT32_MAX || !(child->key = rw_json_doc_strdup(d, key ? key : "", key_len)))
            return false;
        child->key_len = (uint32_t)key_len;
    }
    if (parent->len == UINT32_MAX) return false;
    rw_json **tail = &parent->child;
    while (*tail) tail = &(*tail)->next;
    *tail = child;
    child->next = NULL;
    parent->len++;
    return true;
}

void rw_json_doc_set_root(rw_json_doc *d, rw_json *root) {
    d->root = root;
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

size_t rw_json_utf8_valid_prefix(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(u + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- parser --------------------------------------------------------------------------------- */

typedef struct parser {
    rw_json_doc *d;
    const unsigned char *s;
    size_t n, i;
} parser;

static int fail(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser *p, size_t at, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->d->err_offset = at;
    return rw_error_set(RW_EINVAL, "%s at byte %zu", msg, at);
}

static int fail_limit(parser *p, size_t at, const char *what) {
    p->d->err_offset = at;
    return rw_error_set(RW_ELIMIT, "%s at byte %zu", what, at);
}

static const char *describe(parser *p, size_t at, char buf[16]) {
    if (at >= p->n) return "end of input";
    unsigned c = p->s[at];
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

static void skip_ws(parser *p) {
    while (p->i < p->n) {
        unsigned c = p->s[p->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
        p->i++;
    }
}

static int hex4(const unsigned char *s, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = s[k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

/* Parses the string whose opening quote is at p->i; on success *out and *out_len hold the unescaped
 * NUL-terminated bytes in the arena and p->i is past the closing quote. */
static int parse_string(parser *p, const char **out, uint32_t *out_len) {
    size_t start = p->i++;
    /* find the end first, so the output can be sized: unescaping never grows the text, except
     * that a repaired byte becomes 3 bytes of U+FFFD */
    size_t j = p->i, bad = 0;
    bool plain = true;
    for (;;) {
        if (j < p->n) j += plain_run(p->s + j, p->n - j); /* j may be past n after an escape */
        if (j >= p->n) return fail(p, start, "unterminated string");
        unsigned c = p->s[j];
        if (c == '"') break;
        if (c == '\\') {
            plain = false;
            /* a bad escape is reported here, before the byte after it is taken for UTF-8 */
            if (j + 1 < p->n && !memchr("\"\\/bfnrtu", p->s[j + 1], 9)) {
                unsigned e = p->s[j + 1];
                return fail(p, j, "invalid escape '\\%c' in a string",
                            e >= 0x20 && e < 0x7F ? (char)e : '?');
            }
            j += 2;
            continue;
        }
        if (c < 0x20) return fail(p, j, "control character 0x%02X in a string", c);
        if (c >= 0x80) {
            size_t k = utf8_seq(p->s + j, p->n - j);
            if (!k) {
                if (!p->d->opts.repair_utf8) return fail(p, j, "invalid UTF-8 in a string");
                plain = false;
                bad++;
                j++;
                continue;
            }
            j += k;
            continue;
        }
        j++;
    }
    size_t raw = j - p->i;
    if (raw + 2 * bad > UINT32_MAX) return fail_limit(p, start, "string longer than 4 GiB");
    char *o = arena_alloc(p->d, raw + 2 * bad + 1);
    if (!o) return fail_limit(p, start, "document too large for the parser's memory limit");
    if (plain) {
        memcpy(o, p->s + p->i, raw);
        o[raw] = 0;
        *out = o;
        *out_len = (uint32_t)raw;
        p->i = j + 1;
        return RW_OK;
    }
    size_t w = 0, i = p->i;
    while (i < j) {
        unsigned c = p->s[i];
        if (c == '\\') {
            if (i + 1 >= j) return fail(p, i, "unterminated escape");
            unsigned e = p->s[i + 1];
            switch (e) {
            case '"':
                o[w++] = '"';
                break;
            case '\\':
                o[w++] = '\\';
                break;
            case '/':
                o[w++] = '/';
                break;
            case 'b':
                o[w++] = '\b';
                break;
            case 'f':
                o[w++] = '\f';
                break;
            case 'n':
                o[w++] = '\n';
                break;
            case 'r':
                o[w++] = '\r';
                break;
            case 't':
                o[w++] = '\t';
                break;
            case 'u': {
                unsigned cp;
                if (i + 6 > j || hex4(p->s + i + 2, &cp))
                    return fail(p, i, "invalid \\u escape in a string");
                i += 6;
                if (cp >= 0xD800 && cp < 0xDC00) {
                    unsigned lo;
                    if (i + 6 <= j && p->s[i] == '\\' && p->s[i + 1] == 'u' &&
                        !hex4(p->s + i + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    } else {
                        cp = p->d->opts.surrogate_as_question ? '?'
                                                              : 0xFFFD; /* a lone high surrogate */
                    }
                } else if (cp >= 0xDC00 && cp < 0xE000) {
                    cp = p->d->opts.surrogate_as_question ? '?' : 0xFFFD; /* a lone low surrogate */
                }
                w += put_utf8(o + w, cp);
                continue;
            }
            default:
                return fail(p, i, "invalid escape '\\%c' in a string",
                            e >= 0x20 && e < 0x7F ? (char)e : '?');
            }
            i += 2;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(p->s + i, j - i);
            if (!k) {
                w += put_utf8(o + w, 0xFFFD);
                p->d->repairs++;
                i++;
                continue;
            }
            memcpy(o + w, p->s + i, k);
            w += k;
            i += k;
            continue;
        }
        o[w++] = (char)c;
        i++;
    }
    o[w] = 0;
    *out = o;
    *out_len = (uint32_t)w;
    p->i = j + 1;
    return RW_OK;
}

static int parse_number(parser *p, rw_json *v) {
    size_t start = p->i, i = p->i;
    const unsigned char *s = p->s;
    if (i < p->n && s[i] == '-') i++;
    if (i >= p->n || s[i] < '0' || s[i] > '9') return fail(p, start, "invalid number");
    if (s[i] == '0')
        i++;
    else
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    if (i < p->n && s[i] == '.') {
        i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9')
            return fail(p, i, "invalid number: a digit must follow the decimal point");
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9')
            return fail(p, i, "invalid number: a digit must follow the exponent");
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    size_t len = i - start;
    if (len > UINT32_MAX) return fail_limit(p, start, "number longer than 4 GiB");
    char *t = rw_json_doc_strdup(p->d, (const char *)s + start, len);
    if (!t) return fail_limit(p, start, "document too large for the parser's memory limit");
    v->str = t;
    v->len = (uint32_t)len;
    v->num = strtod(t, NULL);
    p->i = i;
    return RW_OK;
}

static int literal(parser *p, const char *word, size_t n) {
    if (p->n - p->i < n || memcmp(p->s + p->i, word, n) != 0) {
        char b[16];
        return fail(p, p->i, "unexpected %s, expected a JSON value", describe(p, p->i, b));
    }
    p->i += n;
    return RW_OK;
}

static int parse(rw_json_doc *d, const char *data, size_t len);

int rw_json_doc_parse(rw_json_doc *d, const char *data, size_t len) {
    int rc = parse(d, data, len);
    if (rc != RW_OK) d->root = NULL; /* never hand out a half-built tree */
    return rc;
}

static int parse(rw_json_doc *d, const char *data, size_t len) {
    parser P = {d, (const unsigned char *)data, len, 0}, *p = &P;
    arena_reset(d);
    d->root = NULL;
    d->err_offset = 0;
    d->repairs = 0;
    size_t depth = 0;
    const char *key = NULL;
    uint32_t key_len = 0;

    /* The loop parses one value per turn; containers push a frame and the members or elements
     * are parsed by later turns. */
    for (;;) {
        skip_ws(p);
        if (p->i >= p->n) {
            if (depth == 0 && d->root == NULL)
                return fail(p, p->i, "empty input: expected a JSON value");
            return fail(p, p->i, "unexpected end of input (truncated JSON)");
        }
        unsigned c = p->s[p->i];
        rw_json *v = arena_alloc(d, sizeof *v);
        if (!v) return fail_limit(p, p->i, "document too large for the parser's memory limit");
        memset(v, 0, sizeof *v);
        v->offset = p->i;
        v->key = key;
        v->key_len = key_len;
        int rc = RW_OK;
        bool open = false;
        switch (c) {
        case '{':
            v->type = RW_JSON_OBJECT;
            open = true;
            p->i++;
            break;
        case '[':
            v->type = RW_JSON_ARRAY;
            open = true;
            p->i++;
            break;
        case '"':
            v->type = RW_JSON_STRING;
            rc = parse_string(p, &v->str, &v->len);
            break;
        case 't':
            v->type = RW_JSON_TRUE;
            rc = literal(p, "true", 4);
            break;
        case 'f':
            v->type = RW_JSON_FALSE;
            rc = literal(p, "false", 5);
            break;
        case 'n':
            v->type = RW_JSON_NULL;
            rc = literal(p, "null", 4);
            break;
        default:
            if (c == '-' || (c >= '0' && c <= '9')) {
                v->type = RW_JSON_NUMBER;
                rc = parse_number(p, v);
            } else {
                char b[16];
                return fail(p, p->i, "unexpected %s, expected a JSON value", describe(p, p->i, b));
            }
        }
        if (rc) return rc;
        /* attach to the parent */
        if (depth == 0) {
            d->root = v;
        } else {
            frame *f = &d->stack[depth - 1];
            if (f->last)
                f->last->next = v;
            else
                f->node->child = v;
            f->last = v;
            if (f->node->len == UINT32_MAX) return fail_limit(p, v->offset, "too many elements");
            f->node->len++;
        }
        if (open) {
            if (depth >= d->opts.max_depth) {
                char msg[96];
                snprintf(msg, sizeof msg, "nesting deeper than %zu levels", d->opts.max_depth);
                return fail_limit(p, v->offset, msg);
            }
            if (depth == d->stack_cap) {
                d->stack_cap = d->stack_cap ? d->stack_cap * 2 : 16;
                d->stack = rw_xrealloc(d->stack, d->stack_cap * sizeof *d->stack);
            }
            d->stack[depth].node = v;
            d->stack[depth].last = NULL;
            depth++;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == (v->type == RW_JSON_OBJECT ? '}' : ']')) {
                p->i++;
                depth--;
                goto after_value;
            }
            goto before_value;
        }
    after_value:
        /* close as many containers as the input closes, then expect ',' or the end */
        for (;;) {
            if (depth == 0) {
                skip_ws(p);
                if (p->i < p->n) {
                    char b[16];
                    return fail(p, p->i, "unexpected %s after the JSON value",
                                describe(p, p->i, b));
                }
                return RW_OK;
            }
            skip_ws(p);
            if (p->i >= p->n) return fail(p, p->i, "unexpected end of input (truncated JSON)");
            frame *f = &d->stack[depth - 1];
            unsigned e = p->s[p->i];
            char close = f->node->type == RW_JSON_OBJECT ? '}' : ']';
            if (e == ',') {
                p->i++;
                if (f->node->type == RW_JSON_OBJECT) skip_ws(p);
                break;
            }
            if (e == (unsigned)close) {
                p->i++;
                depth--;
                continue;
            }
            char b[16];
            return fail(p, p->i, "unexpected %s, expected ',' or '%c'", describe(p, p->i, b),
                        close);
        }
    before_value:
        key = NULL;
        key_len = 0;
        if (depth > 0 && d->stack[depth - 1].node->type == RW_JSON_OBJECT) {
            skip_ws(p);
            if (p->i >= p->n) return fail(p, p->i, "unexpected end of input (truncated JSON)");
            if (p->s[p->i] != '"') {
                char b[16];
                return fail(p, p->i, "unexpected %s, expected a member name in quotes",
                            describe(p, p->i, b));
            }
            int rc2 = parse_string(p, &key, &key_len);
            if (rc2) return rc2;
            skip_ws(p);
            if (p->i >= p->n) return fail(p, p->i, "unexpected end of input (truncated JSON)");
            if (p->s[p->i] != ':') {
                char b[16];
                return fail(p, p->i, "unexpected %s, expected ':'", describe(p, p->i, b));
            }
            p->i++;
        }
    }
}

/* ---- access --------------------------------------------------------------------------------- */

static rw_json *get_n(const rw_json *obj, const char *key, size_t n) {
    if (!obj || obj->type != RW_JSON_OBJECT) return NULL;
    rw_json *found = NULL;
    for (rw_json *m = obj->child; m; m = m->next)
        if (m->key_len == n && memcmp(m->key, key, n) == 0) found = m;
    return found;
}

rw_json *rw_json_get(const rw_json *obj, const char *key) {
    return get_n(obj, key, strlen(key));
}

size_t rw_json_count(const rw_json *obj, const char *key) {
    if (!obj || obj->type != RW_JSON_OBJECT) return 0;
    size_t n = strlen(key), count = 0;
    for (rw_json *m = obj->child; m; m = m->next)
        if (m->key_len == n && memcmp(m->key, key, n) == 0) count++;
    return count;
}

const char *rw_json_get_str(const rw_json *obj, const char *key) {
    rw_json *v = rw_json_get(obj, key);
    return v && v->type == RW_JSON_STRING && !rw_json_str_has_nul(v) ? v->str : NULL;
}

bool rw_json_str_has_nul(const rw_json *v) {
    return v && v->type == RW_JSON_STRING && memchr(v->str, 0, v->len) != NULL;
}

bool rw_json_str_is(const rw_json *v, const char *lit) {
    size_t n = strlen(lit);
    return v && v->type == RW_JSON_STRING && v->len == n && memcmp(v->str, lit, n) == 0;
}

char *rw_json_str_dup_visible(const rw_json *v, size_t *nuls) {
    size_t count = 0;
    for (const char *p = v->str, *end = v->str + v->len; (p = memchr(p, 0, (size_t)(end - p))); p++)
        count++;
    if (nuls) *nuls = count;
    char *o = rw_xmalloc((size_t)v->len + 2 * count + 1), *w = o;
    for (uint32_t i = 0; i < v->len; i++) {
        if (v->str[i]) {
            *w++ = v->str[i];
        } else { /* U+FFFD in UTF-8 */
            *w++ = (char)0xEF;
            *w++ = (char)0xBF;
            *w++ = (char)0xBD;
        }
    }
    *w = 0;
    return o;
}

rw_json *rw_json_path(const rw_json *obj, const char *path) {
    const rw_json *cur = obj;
    while (cur && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        cur = get_n(cur, path, n);
        path += n + (dot ? 1 : 0);
    }
    return (rw_json *)cur;
}

const char *rw_json_type_name(rw_json_type t) {
    switch (t) {
    case RW_JSON_NULL:
        return "null";
    case RW_JSON_FALSE:
    case RW_JSON_TRUE:
        return "a boolean";
    case RW_JSON_NUMBER:
        return "a number";
    case RW_JSON_STRING:
        return "a string";
    case RW_JSON_ARRAY:
        return "an array";
    case RW_JSON_OBJECT:
        return "an object";
    }
    return "?";
}

/* ---- writer --------------------------------------------------------------------------------- */

int rw_json_write_str(rw_buf *out, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    int rc = rw_buf_reserve(out, n + 2);
    if (rc) return rc;
    out->data[out->len++] = '"';
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < n; i++) {
        size_t k = plain_run((const unsigned char *)s + i, n - i);
        run += k;
        i += k;
        if (i >= n) break;
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c < 0x20) {
            switch (c) {
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            default:
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hex[c >> 4],
                u[5] = hex[c & 15];
                u[6] = 0;
                esc = u;
            }
        }
        if (!esc) {
            run++;
            continue;
        }
        if ((rc = rw_buf_append(out, s + i - run, run))) return rc;
        run = 0;
        if ((rc = rw_buf_puts(out, esc))) return rc;
    }
    if ((rc = rw_buf_append(out, s + n - run, run))) return rc;
    return rw_buf_putc(out, '"');
}

int rw_json_write(rw_buf *out, const rw_json *v) {
    /* iterative, so that depth is limited only by the parser's limit */
    const rw_json *stack_small[64];
    const rw_json **stack = stack_small;
    size_t cap = 64, depth = 0;
    int rc = RW_OK;
    const rw_json *cur = v;
    for (;;) {
        if (depth > 0 && cur != stack[depth - 1]->child && (rc = rw_buf_putc(out, ','))) break;
        if (depth > 0 && stack[depth - 1]->type == RW_JSON_OBJECT) {
            if ((rc = rw_json_write_str(out, cur->key ? cur->key : "", cur->key_len))) break;
            if ((rc = rw_buf_putc(out, ':'))) break;
        }
        switch (cur->type) {
        case RW_JSON_NULL:
            rc = rw_buf_puts(out, "null");
            break;
        case RW_JSON_TRUE:
            rc = rw_buf_puts(out, "true");
            break;
        case RW_JSON_FALSE:
            rc = rw_buf_puts(out, "false");
            break;
        case RW_JSON_NUMBER:
            rc = rw_buf_append(out, cur->str, cur->len);
            break;
        case RW_JSON_STRING:
            rc = rw_json_write_str(out, cur->str, cur->len);
            break;
        case RW_JSON_ARRAY:
        case RW_JSON_OBJECT:
            rc = rw_buf_putc(out, cur->type == RW_JSON_ARRAY ? '[' : '{');
            if (rc) break;
            if (cur->child) {
                if (depth == cap) {
                    cap *= 2;
                    if (stack == stack_small) {
                        stack = rw_xmalloc(cap * sizeof *stack);
                        memcpy(stack, stack_small, sizeof stack_small);
                    } else {
                        stack = rw_xrealloc(stack, cap * sizeof *stack);
                    }
                }
                stack[depth++] = cur;
                cur = cur->child;
                continue;
            }
            rc = rw_buf_putc(out, cur->type == RW_JSON_ARRAY ? ']' : '}');
            break;
        }
        if (rc) break;
        /* move to the next sibling, closing finished containers */
        while (depth > 0 && !cur->next) {
            cur = stack[--depth];
            if ((rc = rw_buf_putc(out, cur->type == RW_JSON_ARRAY ? ']' : '}'))) goto done;
        }
        if (depth == 0) break;
        cur = cur->next;
    }
done:
    if (stack != stack_small) free(stack);
    return rc;
}

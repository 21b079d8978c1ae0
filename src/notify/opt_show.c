/* What rootwatch shows of an option's value, by the option's type (channel.h): rw_opt_show for
 * listings and messages, rw_channel_scrub for messages made of what others wrote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/channel.h"
#include "util/secret.h"
#include "util/xmalloc.h"

static const char *const type_names[] = {
    [RW_OPT_STRING] = "string",         [RW_OPT_SECRET] = "secret",   [RW_OPT_URL] = "url",
    [RW_OPT_INT] = "integer",           [RW_OPT_BOOL] = "bool",       [RW_OPT_LIST] = "list",
    [RW_OPT_SECRET_URL] = "secret-url", [RW_OPT_HEADERS] = "headers",
};

const char *rw_opt_type_name(rw_opt_type t) {
    return (size_t)t < sizeof type_names / sizeof type_names[0] && type_names[t] ? type_names[t]
                                                                                 : "?";
}

bool rw_opt_type_secret(rw_opt_type t) {
    return t == RW_OPT_SECRET || t == RW_OPT_SECRET_URL || t == RW_OPT_HEADERS;
}

bool rw_opt_type_list(rw_opt_type t) {
    return t == RW_OPT_LIST || t == RW_OPT_HEADERS;
}

/* Appends s[0..n) with control characters as '?'. */
static void put_visible(rw_buf *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        rw_buf_putc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
    }
}

/* The pieces of a URL: scheme (before "://"), the user information (before the last '@' of the
 * authority, empty when none), host[:port], and the rest (path, query, fragment). False when url
 * is not scheme://... */
typedef struct url_parts {
    const char *scheme, *userinfo, *host, *rest;
    size_t scheme_len, userinfo_len, host_len;
} url_parts;

static bool url_split(const char *url, url_parts *u) {
    const char *sep = strstr(url, "://");
    if (!sep || sep == url) return false;
    for (const char *p = url; p < sep; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '-' || *p == '.'))
            return false;
    const char *auth = sep + 3, *end = auth + strcspn(auth, "/?#"), *host = auth;
    for (const char *p = auth; p < end; p++)
        if (*p == '@') host = p + 1; /* the last '@': a password may hold one too */
    u->scheme = url;
    u->scheme_len = (size_t)(sep - url);
    u->userinfo = auth;
    u->userinfo_len = host > auth ? (size_t)(host - 1 - auth) : 0;
    u->host = host;
    u->host_len = (size_t)(end - host);
    u->rest = end;
    return true;
}

void rw_opt_show(rw_buf *out, rw_opt_type t, const char *value) {
    if (!value) value = "";
    switch (t) {
    case RW_OPT_SECRET:
        rw_buf_puts(out, "(secret)");
        return;
    case RW_OPT_URL:
    case RW_OPT_SECRET_URL: {
        url_parts u;
        if (!url_split(value, &u)) {
            rw_buf_puts(out, "(not a URL)");
            return;
        }
        put_visible(out, u.scheme, u.scheme_len);
        rw_buf_puts(out, "://");
        put_visible(out, u.host, u.host_len);
        if (!strcmp(u.rest, "/"))
            rw_buf_putc(out, '/');
        else if (*u.rest)
            rw_buf_puts(out, "/...");
        return;
    }
    case RW_OPT_HEADERS: {
        const char *colon = strchr(value, ':');
        size_t nl = colon ? (size_t)(colon - value) : 0;
        while (nl && (value[nl - 1] == ' ' || value[nl - 1] == '\t')) nl--;
        if (nl) {
            put_visible(out, value, nl);
            rw_buf_puts(out, ": ");
        }
        rw_buf_puts(out, "(secret)");
        return;
    }
    case RW_OPT_STRING:
    case RW_OPT_INT:
    case RW_OPT_BOOL:
    case RW_OPT_LIST:
        break;
    }
    put_visible(out, value, strlen(value));
}

bool rw_opt_show_value(rw_buf *out, const rw_opt_values *v, const rw_opt_spec *sp) {
    if (rw_opt_type_list(sp->type)) {
        const char *const *l = rw_opt_list(v, sp->name);
        for (size_t i = 0; l[i]; i++) {
            if (i) rw_buf_puts(out, ", ");
            rw_opt_show(out, sp->type, l[i]);
        }
        return l[0] != NULL;
    }
    char num[32];
    const char *s = rw_opt_str(v, sp->name);
    if (sp->type == RW_OPT_BOOL) {
        s = rw_opt_bool(v, sp->name) ? "true" : "false";
    } else if (sp->type == RW_OPT_INT) {
        snprintf(num, sizeof num, "%ld", rw_opt_int(v, sp->name));
        s = num;
    }
    if (!s) return false;
    rw_opt_show(out, sp->type, s);
    return true;
}

/* ---- scrubbing messages ---- */

typedef struct span {
    const char *s;
    size_t len;
} span;

typedef struct spans {
    span *v;
    size_t n, cap;
    char **owned; /* strings made here (not an option's own), freed with the spans */
    size_t nowned;
} spans;

#define SECRET_MIN 4     /* shorter secrets would hide ordinary words */
#define URL_PIECE_MIN 12 /* pieces of a URL's path and query scrubbed on their own */

static void add(spans *sp, const char *s, size_t len) {
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len < SECRET_MIN) return;
    if (sp->n == sp->cap) {
        sp->cap = sp->cap ? 2 * sp->cap : 16;
        sp->v = rw_xrealloc(sp->v, sp->cap * sizeof *sp->v);
    }
    sp->v[sp->n++] = (span){s, len};
}

/* A value, and its last word on its own ("Bearer TOKEN": TOKEN). */
static void add_value(spans *sp, const char *s, size_t len) {
    add(sp, s, len);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == ' ' || s[i - 1] == '\t') {
            add(sp, s + i, len - i);
            break;
        }
}

static int hexval(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The credentials of HTTP Basic authentication that libcurl makes of a URL's user information:
 * base64 of "user:password", each %XX decoded first. */
static void add_basic(spans *sp, const char *ui, size_t n) {
    char *plain = rw_xmalloc(n + 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (ui[i] == '%' && i + 2 < n && hexval(ui[i + 1]) >= 0 && hexval(ui[i + 2]) >= 0) {
            plain[m++] = (char)(hexval(ui[i + 1]) * 16 + hexval(ui[i + 2]));
            i += 2;
        } else {
            plain[m++] = ui[i];
        }
    }
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *enc = rw_xmalloc(4 * ((m + 2) / 3) + 1);
    size_t k = 0;
    for (size_t i = 0; i < m; i += 3) {
        unsigned v = (unsigned char)plain[i] << 16;
        if (i + 1 < m) v |= (unsigned char)plain[i + 1] << 8;
        if (i + 2 < m) v |= (unsigned char)plain[i + 2];
        enc[k++] = b64[(v >> 18) & 63];
        enc[k++] = b64[(v >> 12) & 63];
        enc[k++] = i + 1 < m ? b64[(v >> 6) & 63] : '=';
        enc[k++] = i + 2 < m ? b64[v & 63] : '=';
    }
    enc[k] = 0;
    rw_secret_free(plain, n + 1);
    sp->owned = rw_xrealloc(sp->owned, (sp->nowned + 1) * sizeof *sp->owned);
    sp->owned[sp->nowned++] = enc;
    add(sp, enc, k);
}

static void add_url(spans *sp, const char *url) {
    add(sp, url, strlen(url));
    url_parts u;
    if (!url_split(url, &u)) return;
    const char *colon = memchr(u.userinfo, ':', u.userinfo_len);
    if (colon) add(sp, colon + 1, u.userinfo_len - (size_t)(colon + 1 - u.userinfo));
    if (u.userinfo_len) add_basic(sp, u.userinfo, u.userinfo_len);
    if (strlen(u.rest) > 1) add(sp, u.rest, strlen(u.rest));
    for (const char *p = u.rest; *p;) {
        size_t n = strcspn(p, "/?&=#;");
        if (n >= URL_PIECE_MIN) add(sp, p, n);
        p += n;
        if (*p) p++;
    }
}

static int longest_first(const void *a, const void *b) {
    size_t x = ((const span *)a)->len, y = ((const span *)b)->len;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void channel_secrets(const rw_channel *ch, spans *sp) {
    for (const rw_opt_spec *o = ch && ch->type ? ch->type->opts : NULL; o && o->name; o++) {
        if (o->type == RW_OPT_SECRET) {
            const char *v = rw_opt_str(ch->opts, o->name);
            if (v) add_value(sp, v, strlen(v));
        } else if (o->type == RW_OPT_URL || o->type == RW_OPT_SECRET_URL) {
            const char *v = rw_opt_str(ch->opts, o->name);
            if (v) add_url(sp, v);
        } else if (o->type == RW_OPT_HEADERS) {
            for (const char *const *l = rw_opt_list(ch->opts, o->name); *l; l++) {
                const char *colon = strchr(*l, ':');
                const char *val = colon ? colon + 1 : *l; /* no name: all of it */
                add_value(sp, val, strlen(val));
            }
        }
    }
    if (sp->n > 1) qsort(sp->v, sp->n, sizeof *sp->v, longest_first);
}

void rw_channel_scrub(const rw_channel *ch, rw_buf *out, const char *s, size_t n) {
    spans sp = {0};
    channel_secrets(ch, &sp);
    for (size_t i = 0; i < n;) {
        bool hit = false;
        for (size_t k = 0; k < sp.n && !hit; k++) {
            const span *x = &sp.v[k];
            if (x->len <= n - i && s[i] == x->s[0] && !memcmp(s + i, x->s, x->len)) {
                rw_buf_puts(out, "[redacted]");
                i += x->len;
                hit = true;
            }
        }
        if (hit) continue;
        unsigned char c = (unsigned char)s[i++];
        rw_buf_putc(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
    }
    free(sp.v);
    for (size_t i = 0; i < sp.nowned; i++) rw_secret_free(sp.owned[i], strlen(sp.owned[i]));
    free(sp.owned);
}

void rw_channel_scrub_msg(const rw_channel *ch, char *msg, size_t cap) {
    if (!msg || !cap) return;
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_channel_scrub(ch, &b, msg, strlen(msg));
    size_t n = b.len;
    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)b.data[n] & 0xC0) == 0x80) n--; /* not inside a character */
    }
    if (n) memcpy(msg, b.data, n);
    msg[n] = 0;
    rw_buf_free(&b);
}

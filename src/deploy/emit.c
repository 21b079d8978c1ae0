/* Indented JSON and block YAML for template trees: see emit.h. */
#include "deploy/emit.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

static int pad(rw_buf *o, int n) {
    int rc = RW_OK;
    for (int i = 0; i < n && !rc; i++) rc = rw_buf_putc(o, ' ');
    return rc;
}

/* A scalar or an empty container, on one line. */
static int scalar(rw_buf *o, const rw_json *v) {
    switch (v->type) {
    case RW_JSON_NULL:
        return rw_buf_puts(o, "null");
    case RW_JSON_FALSE:
        return rw_buf_puts(o, "false");
    case RW_JSON_TRUE:
        return rw_buf_puts(o, "true");
    case RW_JSON_NUMBER:
        return rw_buf_append(o, v->str, v->len);
    case RW_JSON_STRING:
        return rw_json_write_str(o, v->str, v->len);
    case RW_JSON_ARRAY:
        return rw_buf_puts(o, "[]");
    case RW_JSON_OBJECT:
        return rw_buf_puts(o, "{}");
    }
    return rw_error_set(RW_EINVAL, "unknown node type");
}

static bool container(const rw_json *v) {
    return (v->type == RW_JSON_ARRAY || v->type == RW_JSON_OBJECT) && v->child;
}

static int json_value(rw_buf *o, const rw_json *v, int indent) {
    if (!container(v)) return scalar(o, v);
    bool is_obj = v->type == RW_JSON_OBJECT;
    int rc = rw_buf_putc(o, is_obj ? '{' : '[');
    for (const rw_json *c = v->child; c && !rc; c = c->next) {
        rc = rw_buf_putc(o, '\n');
        if (!rc) rc = pad(o, indent + 2);
        if (!rc && is_obj) {
            rc = rw_json_write_str(o, c->key, c->key_len);
            if (!rc) rc = rw_buf_puts(o, ": ");
        }
        if (!rc) rc = json_value(o, c, indent + 2);
        if (!rc && c->next) rc = rw_buf_putc(o, ',');
    }
    if (!rc) rc = rw_buf_putc(o, '\n');
    if (!rc) rc = pad(o, indent);
    if (!rc) rc = rw_buf_putc(o, is_obj ? '}' : ']');
    return rc;
}

int rw_deploy_emit_json(rw_buf *out, const rw_json *v) {
    int rc = json_value(out, v, 0);
    return rc ? rc : rw_buf_putc(out, '\n');
}

/* Can s be written as a YAML plain scalar that every YAML version reads back as this string? Only
 * names made of letters, digits and _ . / - : (a colon never last), starting with a letter, _ or
 * /, and none of YAML 1.1's words for booleans and null. Everything else is written quoted. */
static bool plain(const char *s, size_t n) {
    static const char *const words[] = {"y",  "n",   "yes",  "no",    "true",
                                        "on", "off", "null", "false", NULL};
    if (n == 0) return false;
    char c0 = s[0];
    if (!((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z') || c0 == '_' || c0 == '/'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '/' || c == '-' || (c == ':' && i + 1 < n);
        if (!ok) return false;
    }
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && !strncasecmp(words[i], s, n)) return false;
    return true;
}

/* The length of the UTF-8 sequence at s[0..n) and its code point, or 0 when it is not valid. */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned *cp) {
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
    if (len == 1 || len > n || rw_json_utf8_valid_prefix((const char *)s, len) != len) return 0;
    unsigned c = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) c = (c << 6) | (s[i] & 0x3F);
    *cp = c;
    return len;
}

/* s as a YAML double-quoted scalar: JSON's escapes, which YAML shares, and also every character
 * YAML does not take as it is in a quoted scalar: DEL, the C1 controls, NEL, U+2028 and U+2029
 * (line breaks to YAML 1.1, which would fold them into spaces) and the byte order mark. Invalid
 * UTF-8 is refused rather than written as something else. */
static int yaml_quoted(rw_buf *o, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    int rc = rw_buf_putc(o, '"');
    for (size_t i = 0; i < n && !rc;) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            rc = rw_buf_printf(o, "\\%c", c);
            i++;
        } else if (c == '\n') {
            rc = rw_buf_puts(o, "\\n");
            i++;
        } else if (c == '\t') {
            rc = rw_buf_puts(o, "\\t");
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            rc = rw_buf_printf(o, "\\x%02X", c);
            i++;
        } else if (c < 0x80) {
            rc = rw_buf_putc(o, (char)c);
            i++;
        } else {
            unsigned cp;
            size_t len = utf8_char(u + i, n - i, &cp);
            if (!len) return rw_error_set(RW_EINVAL, "a string of the template is not UTF-8");
            if (cp <= 0x9F || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
                (cp >= 0xFFFE && cp <= 0xFFFF))
                rc = rw_buf_printf(o, "\\u%04X", cp);
            else
                rc = rw_buf_append(o, s + i, len);
            i += len;
        }
    }
    return rc ? rc : rw_buf_putc(o, '"');
}

static int yaml_str(rw_buf *o, const char *s, size_t n) {
    return plain(s, n) ? rw_buf_append(o, s, n) : yaml_quoted(o, s, n);
}

static int yaml_scalar(rw_buf *o, const rw_json *v) {
    return v->type == RW_JSON_STRING ? yaml_str(o, v->str, v->len) : scalar(o, v);
}

/* The members or items of the non-empty container v at column indent. With inline_first the
 * cursor already stands there (after "- "), so the first line gets no indentation. */
static int yaml_block(rw_buf *o, const rw_json *v, int indent, bool inline_first) {
    int rc = RW_OK;
    for (const rw_json *c = v->child; c && !rc; c = c->next) {
        if (c != v->child || !inline_first) rc = pad(o, indent);
        if (rc) break;
        if (v->type == RW_JSON_OBJECT) {
            rc = yaml_str(o, c->key, c->key_len);
            if (!rc) rc = rw_buf_putc(o, ':');
            if (!rc && container(c)) {
                rc = rw_buf_putc(o, '\n');
                if (!rc) rc = yaml_block(o, c, indent + 2, false);
                continue;
            }
            if (!rc) rc = rw_buf_putc(o, ' ');
        } else {
            rc = rw_buf_puts(o, "- ");
            if (!rc && container(c)) {
                rc = yaml_block(o, c, indent + 2, true);
                continue;
            }
        }
        if (!rc) rc = yaml_scalar(o, c);
        if (!rc) rc = rw_buf_putc(o, '\n');
    }
    return rc;
}

int rw_deploy_emit_yaml(rw_buf *out, const rw_json *v) {
    if (container(v)) return yaml_block(out, v, 0, false);
    int rc = yaml_scalar(out, v);
    return rc ? rc : rw_buf_putc(out, '\n');
}

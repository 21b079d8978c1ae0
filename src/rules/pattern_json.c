/* The pattern text as AWS's JSON parser (Jackson, default features) sees it. rw_json parses the
 * pattern; this scan runs first, over the text, to give what Jackson would: its message for the
 * first syntax error (docs/eventbridge-pattern-semantics.md section 1.1), "Filter is not an
 * object" as soon as the first token is not '{' (whatever follows it), the end of the root object
 * (text after it is never read), and where an escaped surrogate is unpaired (Java writes it as
 * '?'). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/pattern_json.h"
#include "util/xmalloc.h"

typedef struct jscan {
    const char *s;
    size_t n, i;
    char *msg; /* the reason, when the scan fails */
    size_t msgcap;
    size_t at;
    bool not_object; /* the first token is a value other than an object */
    size_t *lone;    /* offsets of unpaired \uD800-\uDFFF escapes */
    size_t nlone, caplone;
} jscan;

static bool jfail(jscan *j, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool jfail(jscan *j, size_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, j->msgcap, fmt, ap);
    va_end(ap);
    j->at = at;
    return false;
}

/* Jackson's description of a character: 'c' (code N), or (CTRL-CHAR, code N) */
static const char *jchar(const jscan *j, size_t at, char buf[48]) {
    const unsigned char *u = (const unsigned char *)j->s + at;
    unsigned c = u[0];
    if (c < 0x20) {
        snprintf(buf, 48, "(CTRL-CHAR, code %u)", c);
        return buf;
    }
    if (c < 0x80) {
        snprintf(buf, 48, "'%c' (code %u)", (char)c, c);
        return buf;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (at + len > j->n) len = j->n - at;
    unsigned cp = c & (len == 4 ? 7 : len == 3 ? 15 : 31);
    for (size_t k = 1; k < len; k++) cp = cp << 6 | (u[k] & 63u);
    if (cp >= 0x10000) { /* Java reads the high surrogate, and prints it as '?' */
        snprintf(buf, 48, "'?' (code %u / 0x%x)", 0xD800 + ((cp - 0x10000) >> 10),
                 0xD800 + ((cp - 0x10000) >> 10));
        return buf;
    }
    if (cp > 255)
        snprintf(buf, 48, "'%.*s' (code %u / 0x%x)", (int)len, (const char *)u, cp, cp);
    else
        snprintf(buf, 48, "'%.*s' (code %u)", (int)len, (const char *)u, cp);
    return buf;
}

static bool jspace(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips white space; false (with Jackson's message) on another control character or a '/'. */
static bool jskip(jscan *j) {
    while (j->i < j->n) {
        unsigned char c = (unsigned char)j->s[j->i];
        if (jspace(c)) {
            j->i++;
            continue;
        }
        if (c < 0x20)
            return jfail(j, j->i,
                         "Illegal character ((CTRL-CHAR, code %u)): only regular white space (\\r, "
                         "\\n, \\t) is allowed between tokens",
                         c);
        if (c == '/')
            return jfail(
                j, j->i,
                "Unexpected character ('/' (code 47)): maybe a (non-standard) comment? (not "
                "recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)");
        break;
    }
    return true;
}

static bool jident_part(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c >= 0x80;
}

#define JVALUES "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"

static bool junrecognized(jscan *j, size_t start) {
    size_t e = start;
    while (e < j->n && e - start < 256 && jident_part((unsigned char)j->s[e])) e++;
    if (e == start) e++;
    return jfail(j, start, "Unrecognized token '%.*s': was expecting %s", (int)(e - start),
                 j->s + start, JVALUES);
}

static void jlone(jscan *j, size_t at) {
    if (j->nlone == j->caplone) {
        j->caplone = j->caplone ? j->caplone * 2 : 8;
        j->lone = rw_xrealloc(j->lone, j->caplone * sizeof *j->lone);
    }
    j->lone[j->nlone++] = at;
}

static int hexdigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int jhex4(const char *s, size_t n, size_t at, unsigned *v, size_t *bad) {
    *v = 0;
    for (size_t k = 0; k < 4; k++) {
        if (at + k >= n) return -1;
        int h = hexdigit(s[at + k]);
        if (h < 0) {
            *bad = at + k;
            return 0;
        }
        *v = *v << 4 | (unsigned)h;
    }
    return 1;
}

/* A string whose opening quote is at j->i. */
static bool jstring(jscan *j) {
    size_t i = j->i + 1;
    char b[48];
    for (;;) {
        if (i >= j->n)
            return jfail(j, i,
                         "Unexpected end-of-input: was expecting closing quote for a string "
                         "value");
        unsigned char c = (unsigned char)j->s[i];
        if (c == '"') break;
        if (c < 0x20)
            return jfail(j, i,
                         "Illegal unquoted character (%s): has to be escaped using backslash to be "
                         "included in string value",
                         jchar(j, i, b));
        if (c != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= j->n)
            return jfail(j, i + 1, "Unexpected end-of-input in character escape sequence");
        unsigned char e = (unsigned char)j->s[i + 1];
        if (e != 'u') {
            if (!strchr("\"\\/bfnrt", e) || !e)
                return jfail(j, i + 1, "Unrecognized character escape %s", jchar(j, i + 1, b));
            i += 2;
            continue;
        }
        unsigned v, w;
        size_t bad = 0;
        int r = jhex4(j->s, j->n, i + 2, &v, &bad);
        if (r < 0) return jfail(j, j->n, "Unexpected end-of-input in character escape sequence");
        if (r == 0)
            return jfail(j, bad,
                         "Unexpected character (%s): expected a hex-digit for character "
                         "escape sequence",
                         jchar(j, bad, b));
        if (v >= 0xD800 && v < 0xDC00 && i + 12 <= j->n && j->s[i + 6] == '\\' &&
            j->s[i + 7] == 'u' && jhex4(j->s, j->n, i + 8, &w, &bad) == 1 && w >= 0xDC00 &&
            w < 0xE000) {
            i += 12; /* a pair */
            continue;
        }
        if (v >= 0xD800 && v < 0xE000) jlone(j, i);
        i += 6;
    }
    j->i = i + 1;
    return true;
}

static bool jnumber(jscan *j) {
    size_t i = j->i;
    char b[48];
    const char *in = "Unexpected end-of-input in numeric value";
    if (j->s[i] == '-') {
        i++;
        if (i >= j->n)
            return jfail(j, i,
                         "%s: expected digit (0-9) to follow minus sign, for valid numeric "
                         "value",
                         in);
        if (j->s[i] < '0' || j->s[i] > '9')
            return jfail(j, i,
                         "Unexpected character (%s) in numeric value: expected digit (0-9) to "
                         "follow minus sign, for valid numeric value",
                         jchar(j, i, b));
    }
    if (j->s[i] == '0' && i + 1 < j->n && j->s[i + 1] >= '0' && j->s[i + 1] <= '9')
        return jfail(j, i, "Invalid numeric value: Leading zeroes not allowed");
    while (i < j->n && j->s[i] >= '0' && j->s[i] <= '9') i++;
    if (i < j->n && j->s[i] == '.') {
        i++;
        if (i >= j->n) return jfail(j, i, "%s: Decimal point not followed by a digit", in);
        if (j->s[i] < '0' || j->s[i] > '9')
            return jfail(j, i,
                         "Unexpected character (%s) in numeric value: Decimal point not "
                         "followed by a digit",
                         jchar(j, i, b));
        while (i < j->n && j->s[i] >= '0' && j->s[i] <= '9') i++;
    }
    if (i < j->n && (j->s[i] == 'e' || j->s[i] == 'E')) {
        i++;
        if (i < j->n && (j->s[i] == '+' || j->s[i] == '-')) i++;
        if (i >= j->n) return jfail(j, i, "%s: Exponent indicator not followed by a digit", in);
        if (j->s[i] < '0' || j->s[i] > '9')
            return jfail(j, i,
                         "Unexpected character (%s) in numeric value: Exponent indicator not "
                         "followed by a digit",
                         jchar(j, i, b));
        while (i < j->n && j->s[i] >= '0' && j->s[i] <= '9') i++;
    }
    j->i = i;
    return true;
}

/* A scalar or the start of a container at j->i (not at the end): advances past scalars. */
static bool jvalue(jscan *j) {
    unsigned char c = (unsigned char)j->s[j->i];
    char b[48];
    if (c == '"') return jstring(j);
    if (c == '-' || (c >= '0' && c <= '9')) return jnumber(j);
    static const char *const words[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t wn = strlen(words[k]);
        if (c != (unsigned char)words[k][0]) continue;
        size_t m = 0;
        while (m < wn && j->i + m < j->n && j->s[j->i + m] == words[k][m]) m++;
        if (m < wn || (j->i + m < j->n && jident_part((unsigned char)j->s[j->i + m])))
            return junrecognized(j, j->i);
        j->i += wn;
        return true;
    }
    if (c == 'N' && j->n - j->i >= 3 && memcmp(j->s + j->i, "NaN", 3) == 0)
        return jfail(j, j->i,
                     "Non-standard token 'NaN': enable "
                     "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow");
    if (c == 'I' && j->n - j->i >= 8 && memcmp(j->s + j->i, "Infinity", 8) == 0)
        return jfail(j, j->i,
                     "Non-standard token 'Infinity': enable "
                     "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow");
    if (c == '+')
        return jfail(j, j->i,
                     "Unexpected character ('+' (code 43)) in numeric value: JSON spec "
                     "does not allow numbers to have plus signs: enable "
                     "`JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow");
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80)
        return junrecognized(j, j->i);
    return jfail(j, j->i, "Unexpected character (%s): expected a valid value %s", jchar(j, j->i, b),
                 JVALUES);
}

typedef struct jframe {
    bool object;
    size_t start;
} jframe;

/* "[Source: (String)"..."; line: L, column: C]" for the offset at */
static void jlocation(const jscan *j, size_t at, char *out, size_t cap) {
    size_t line = 1, col = 1;
    for (size_t k = 0; k < at && k < j->n; k++) {
        unsigned char c = (unsigned char)j->s[k];
        if (c == '\n') {
            line++, col = 1;
        } else if ((c & 0xC0) != 0x80) {
            col += c >= 0xF0 ? 2 : 1; /* UTF-16 units */
        }
    }
    snprintf(out, cap, "[Source: (String)\"%.*s\"; line: %zu, column: %zu]",
             (int)(j->n > 200 ? 200 : j->n), j->s, line, col);
}

/* Jackson's message for input that ends inside an object or array opened at start. */
static void unclosed(jscan *j, size_t start, const char *what) {
    char loc[320];
    jlocation(j, start, loc, sizeof loc);
    jfail(j, j->i, "Unexpected end-of-input: expected close marker for %s (start marker at %s)",
          what, loc);
}

/* Scans the pattern text up to the end of its root object. */
static bool jscan_pattern(jscan *j, size_t *root_end) {
    jframe *st = NULL;
    size_t depth = 0, cap = 0;
    char b[48];
    bool ok = false;
    if (!jskip(j)) goto done;
    if (j->i >= j->n || j->s[j->i] != '{') {
        /* the first token decides: Jackson returns an array start or a string (read lazily) at
         * once, but reads numbers and true/false/null whole */
        if (j->i < j->n && j->s[j->i] != '[' && j->s[j->i] != '"') {
            bool num = j->s[j->i] == '-' || (j->s[j->i] >= '0' && j->s[j->i] <= '9');
            if (!jvalue(j)) goto done;
            if (num && j->i < j->n && !jspace((unsigned char)j->s[j->i])) {
                jfail(j, j->i,
                      "Unexpected character (%s): Expected space separating root-level "
                      "values",
                      jchar(j, j->i, b));
                goto done;
            }
        }
        j->not_object = true; /* "Filter is not an object", whatever comes next */
        ok = true;
        goto done;
    }
    for (;;) {
        /* at a value (j->i < n): open a container or pass a scalar */
        unsigned char c = (unsigned char)j->s[j->i];
        if (c == '{' || c == '[') {
            if (depth == cap) st = rw_xrealloc(st, (cap = cap ? cap * 2 : 16) * sizeof *st);
            st[depth++] = (jframe){c == '{', j->i};
            j->i++;
            if (!jskip(j)) goto done;
            if (j->i < j->n && j->s[j->i] == (c == '{' ? '}' : ']')) {
                j->i++;
                depth--;
                goto after_value;
            }
            if (c == '[') goto value;
            goto key;
        }
        if (!jvalue(j)) goto done;
    after_value:
        if (depth == 0) {
            *root_end = j->i;
            ok = true;
            goto done;
        }
        if (!jskip(j)) goto done;
        if (j->i >= j->n) {
            char loc[320];
            jlocation(j, st[depth - 1].start, loc, sizeof loc);
            jfail(j, j->i,
                  "Unexpected end-of-input: expected close marker for %s (start marker at %s)",
                  st[depth - 1].object ? "Object" : "Array", loc);
            goto done;
        }
        c = (unsigned char)j->s[j->i];
        if (c == (st[depth - 1].object ? '}' : ']')) {
            j->i++;
            depth--;
            goto after_value;
        }
        if (c != ',') {
            jfail(j, j->i, "Unexpected character (%s): was expecting comma to separate %s entries",
                  jchar(j, j->i, b), st[depth - 1].object ? "Object" : "Array");
            goto done;
        }
        j->i++;
        if (!jskip(j)) goto done;
        if (!st[depth - 1].object) goto value;
    key:
        if (j->i >= j->n) {
            unclosed(j, st[depth - 1].start, "Object");
            goto done;
        }
        if (j->s[j->i] != '"') {
            jfail(j, j->i,
                  "Unexpected character (%s): was expecting double-quote to start field name",
                  jchar(j, j->i, b));
            goto done;
        }
        if (!jstring(j) || !jskip(j)) goto done;
        if (j->i >= j->n) {
            jfail(j, j->i, "Unexpected end-of-input within/between Object entries");
            goto done;
        }
        if (j->s[j->i] != ':') {
            jfail(j, j->i,
                  "Unexpected character (%s): was expecting a colon to separate field name "
                  "and value",
                  jchar(j, j->i, b));
            goto done;
        }
        j->i++;
        if (!jskip(j)) goto done;
        if (j->i >= j->n) {
            jfail(j, j->i, "Unexpected end-of-input within/between Object entries");
            goto done;
        }
        continue;
    value:
        if (j->i >= j->n) {
            unclosed(j, st[depth - 1].start, "Array");
            goto done;
        }
    }
done:
    free(st);
    return ok;
}

bool rw_pattern_json_scan(const char *text, size_t len, rw_pattern_error *err, char **copy_out,
                          size_t *n_out) {
    jscan j = {.s = text, .n = len, .msg = err->reason, .msgcap = sizeof err->reason};
    size_t end = len;
    if (!jscan_pattern(&j, &end) || j.not_object) {
        if (j.not_object) snprintf(err->reason, sizeof err->reason, "Filter is not an object");
        err->offset = j.not_object ? 0 : j.at;
        free(j.lone);
        return false;
    }
    /* what Jackson reads: the root object, with unpaired surrogates as '?' (Java's UTF-8) */
    char *copy = NULL;
    size_t n = end;
    if (j.nlone) {
        copy = rw_xmalloc(end + 1);
        size_t w = 0, from = 0;
        for (size_t k = 0; k < j.nlone; k++) {
            memcpy(copy + w, text + from, j.lone[k] - from);
            w += j.lone[k] - from;
            copy[w++] = '?';
            from = j.lone[k] + 6;
        }
        memcpy(copy + w, text + from, end - from);
        n = w + end - from;
    }
    free(j.lone);
    *copy_out = copy;
    *n_out = n;
    return true;
}

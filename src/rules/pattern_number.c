/* Numbers as EventBridge compares them (docs/eventbridge-pattern-semantics.md section 4): whether
 * a number is comparable by value, and the canonical text of an event's number (Java's
 * Double.toString), shared by the compiler and the matcher. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/pattern_impl.h"
#include "util/xmalloc.h"

/* A number's exact decimal value: sign, significant digits (no leading or trailing zeros; none
 * for zero), and the power of ten of the first digit. digits points into caller-owned memory of
 * at least strlen(text) + 1 bytes. */
typedef struct dec {
    int neg;
    char *digits;
    size_t n;
    long long exp;
} dec;

static bool dec_parse(const char *t, dec *d) {
    const char *p = t;
    d->neg = 0, d->n = 0, d->exp = 0;
    if (*p == '-') d->neg = 1, p++;
    long long lead = 0, first = -1,
              i = 0; /* digits before the point; index of the first non-zero */
    bool seen_point = false, any = false;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            if (seen_point) return false;
            seen_point = true;
            continue;
        }
        if (*p < '0' || *p > '9') return false;
        any = true;
        if (!seen_point) lead++;
        if (first < 0 && *p != '0') first = i;
        if (first >= 0) d->digits[d->n++] = *p;
        i++;
    }
    if (!any) return false;
    long long e = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int es = 1;
        if (*p == '+' || *p == '-') es = *p == '-' ? -1 : 1, p++;
        if (!*p) return false;
        for (; *p; p++) {
            if (*p < '0' || *p > '9') return false;
            if (e < 1000000000000LL) e = e * 10 + (*p - '0'); /* saturates far beyond any double */
        }
        e *= es;
    }
    while (d->n && d->digits[d->n - 1] == '0') d->n--;
    if (d->n == 0) { /* zero: no sign, no exponent (BigDecimal has no negative zero) */
        d->neg = 0;
        return true;
    }
    d->exp = lead - 1 - first + e;
    return true;
}

static bool dec_equal(const dec *a, const dec *b) {
    return a->neg == b->neg && a->n == b->n && a->exp == b->exp &&
           memcmp(a->digits, b->digits, a->n) == 0;
}

/* Does the decimal digits[0..n) x 10^(exp - n + 1) read back as x? */
static bool reads_back(const char *digits, size_t n, long exp, double x) {
    char s[48];
    snprintf(s, sizeof s, "0.%.*se%ld", (int)n, digits, exp + 1);
    return strtod(s, NULL) == x;
}

/* The digits Java's Double.toString (JDK 19 and later) chooses for x > 0: among the decimals that
 * read back as x, those of the least length m (lengths 1 and 2 when m is 1), and of those the one
 * closest to x (the even one on a tie). Writes the significant digits (trailing zeros removed) and
 * returns the power of ten of the first. */
static long java_digits(double x, char out[24], size_t *nout) {
    char buf[832];
    snprintf(buf, sizeof buf, "%.790e", x); /* exact: a double has at most 767 significant digits */
    char all[800];
    size_t na = 0;
    all[na++] = buf[0];
    const char *q = buf + 2;
    for (; *q != 'e'; q++) all[na++] = *q;
    long e10 = strtol(q + 1, NULL, 10);
    for (size_t p = 1; p <= 17; p++) {
        /* the two decimals of length p around x: lo (x truncated) and hi (lo + 1 unit) */
        char lo[20], hi[20];
        memcpy(lo, all, p);
        memcpy(hi, all, p);
        long ehi = e10;
        size_t k = p;
        while (k > 0 && hi[k - 1] == '9') hi[--k] = '0';
        if (k == 0) {
            hi[0] = '1';
            ehi++;
        } else {
            hi[k - 1]++;
        }
        bool inlo = reads_back(lo, p, e10, x), inhi = reads_back(hi, p, ehi, x);
        if (!inlo && !inhi) continue;
        if (p == 1) { /* m = 1: decide among the decimals of length 2 (see above) */
            p = 2;
            memcpy(lo, all, 2);
            memcpy(hi, all, 2);
            ehi = e10;
            k = 2;
            while (k > 0 && hi[k - 1] == '9') hi[--k] = '0';
            if (k == 0) {
                hi[0] = '1';
                ehi++;
            } else {
                hi[k - 1]++;
            }
            inlo = reads_back(lo, 2, e10, x), inhi = reads_back(hi, 2, ehi, x);
        }
        bool pick_hi = inhi;
        if (inlo && inhi) { /* the closer one: compare the rest of x's digits with one half */
            int c = all[p] - '5';
            for (size_t j = p + 1; c == 0 && j < na; j++) c = all[j] != '0';
            pick_hi = c > 0 || (c == 0 && ((lo[p - 1] - '0') & 1));
        }
        const char *d = pick_hi ? hi : lo;
        size_t n = p;
        while (n > 1 && d[n - 1] == '0') n--;
        memcpy(out, d, n);
        out[n] = 0;
        *nout = n;
        return pick_hi ? ehi : e10;
    }
    /* not reached: 17 digits always read back */
    memcpy(out, all, 17);
    out[17] = 0;
    *nout = 17;
    return e10;
}

/* At most 15 significant digits, and a modest exponent: such a decimal reads back from its double
 * exactly (DBL_DIG), so it is comparable without working out Java's digits. */
static bool surely_comparable(const char *t) {
    int sig = 0, zeros = 0;
    bool started = false;
    const char *p = t + (*t == '-');
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') continue;
        if (*p == '0') {
            if (started) zeros++;
            continue;
        }
        started = true;
        sig += zeros + 1;
        zeros = 0;
        if (sig > 15) return false;
    }
    if (*p) { /* an exponent: keep well inside the normal range */
        long e = strtol(p + 1, NULL, 10);
        if (e > 250 || e < -250) return false;
    }
    return (size_t)(p - t) <= 40;
}

bool rw_pattern_number_comparable(const char *text, double *value) {
    double d = strtod(text, NULL);
    if (!isfinite(d)) return false;
    if (surely_comparable(text)) {
        *value = d == 0 ? 0.0 : d;
        return true;
    }
    size_t len = strlen(text);
    char small[64], *mem = len < sizeof small ? small : rw_xmalloc(len + 1);
    char jd[24];
    dec a = {.digits = mem}, b = {.digits = jd};
    bool ok = dec_parse(text, &a);
    if (ok && d != 0) {
        size_t n;
        b.exp = java_digits(fabs(d), jd, &n);
        b.n = n;
        b.neg = d < 0;
    }
    ok = ok && dec_equal(&a, &b);
    if (mem != small) free(mem);
    if (ok) *value = d == 0 ? 0.0 : d;
    return ok;
}

const char *rw_pattern_number_canonical(const char *text, char buf[40]) {
    if (!strpbrk(text, ".eE")) return strcmp(text, "-0") == 0 ? "0" : text; /* an integer */
    double d = strtod(text, NULL);
    if (isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
    if (d == 0) return signbit(d) ? "-0.0" : "0.0";
    char dg[24];
    size_t n;
    long e = java_digits(fabs(d), dg, &n);
    char *o = buf;
    if (d < 0) *o++ = '-';
    if (e >= -3 && e < 7) { /* plain, with at least one digit after the point */
        if (e < 0) {
            *o++ = '0', *o++ = '.';
            for (long k = -1; k > e; k--) *o++ = '0';
            memcpy(o, dg, n), o += n;
        } else {
            for (long k = 0; k <= e; k++) *o++ = (size_t)k < n ? dg[k] : '0';
            *o++ = '.';
            if ((size_t)e + 1 < n) {
                memcpy(o, dg + e + 1, n - (size_t)e - 1);
                o += n - (size_t)e - 1;
            } else {
                *o++ = '0';
            }
        }
        *o = 0;
        return buf;
    }
    *o++ = dg[0];
    *o++ = '.';
    if (n > 1) {
        memcpy(o, dg + 1, n - 1);
        o += n - 1;
    } else {
        *o++ = '0';
    }
    snprintf(o, 8, "E%ld", e);
    return buf;
}

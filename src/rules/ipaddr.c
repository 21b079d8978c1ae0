#include "rules/ipaddr.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char HEX[] = "0123456789ABCDEF";

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ */
static bool shape_v4(const char *s, size_t n) {
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        size_t start = i;
        while (i < n && is_digit(s[i])) i++;
        if (i == start) return false;
        parts++;
        if (parts < 4) {
            if (i >= n || s[i] != '.') return false;
            i++;
        }
    }
    return i == n;
}

/* ^[0-9a-fA-F:]*:[0-9a-fA-F:]*$ */
static bool shape_v6(const char *s, size_t n) {
    bool colon = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':')
            colon = true;
        else if (hexval(s[i]) < 0)
            return false;
    }
    return colon;
}

/* Java's IPAddressUtil.textToNumericFormatV4 for four decimal parts: each at most 255, leading
 * zeros read as decimal, and no more than 15 characters in all. */
static bool parse_v4(const char *s, size_t n, uint8_t out[4]) {
    if (n > 15) return false;
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        unsigned v = 0;
        size_t start = i;
        while (i < n && is_digit(s[i])) {
            v = v * 10 + (unsigned)(s[i] - '0');
            if (v > 255) return false;
            i++;
        }
        if (i == start) return false; /* leading zeros are read as decimal */
        out[k] = (uint8_t)v;
        if (k < 3) i++;
    }
    return true;
}

/* Java's IPAddressUtil.textToNumericFormatV6 for text of hex digits and colons: at most one "::",
 * and a group may have any number of digits as long as its value fits in 16 bits ("00001"). */
static bool parse_v6(const char *s, size_t n, uint8_t out[16]) {
    uint16_t head[8], tail[8];
    int nh = 0, nt = 0;
    bool gap = false;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = true;
        i = 2;
        if (i == n) goto done;
    } else if (n >= 1 && s[0] == ':') {
        return false;
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        while (i < n && hexval(s[i]) >= 0) {
            v = v * 16 + (unsigned)hexval(s[i]);
            if (v > 0xffff) return false;
            i++;
        }
        if (i == start) return false;
        if (gap) {
            if (nt == 8) return false;
            tail[nt++] = (uint16_t)v;
        } else {
            if (nh == 8) return false;
            head[nh++] = (uint16_t)v;
        }
        if (i == n) break;
        if (s[i] != ':') return false;
        i++;
        if (i < n && s[i] == ':') {
            if (gap) return false; /* a second "::" */
            gap = true;
            i++;
            if (i == n) break;
        } else if (i == n) {
            return false; /* a trailing single ':' */
        }
    }
done:
    if (gap ? nh + nt > 7 : nh != 8) return false;
    memset(out, 0, 16);
    for (int k = 0; k < nh; k++)
        out[2 * k] = (uint8_t)(head[k] >> 8), out[2 * k + 1] = (uint8_t)head[k];
    for (int k = 0; k < nt; k++) {
        int pos = 8 - nt + k;
        out[2 * pos] = (uint8_t)(tail[k] >> 8), out[2 * pos + 1] = (uint8_t)tail[k];
    }
    return true;
}

static size_t to_hex(const uint8_t *b, size_t nb, char hex[33]) {
    for (size_t i = 0; i < nb; i++) {
        hex[2 * i] = HEX[b[i] >> 4];
        hex[2 * i + 1] = HEX[b[i] & 15];
    }
    hex[2 * nb] = 0;
    return 2 * nb;
}

/* Parses into bytes; returns 4 or 16, or 0 (why set). */
static size_t ip_bytes(const char *s, size_t n, uint8_t out[16], const char **why) {
    if (shape_v4(s, n)) {
        if (!parse_v4(s, n, out)) {
            if (why) *why = "Invalid IP address";
            return 0;
        }
        return 4;
    }
    if (shape_v6(s, n)) {
        if (!parse_v6(s, n, out)) {
            if (why) *why = "Invalid IP address";
            return 0;
        }
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out, mapped, 12) == 0) { /* an IPv4-mapped address is IPv4 */
            memmove(out, out + 12, 4);
            return 4;
        }
        return 16;
    }
    if (why) *why = "Nonstandard IP address";
    return 0;
}

size_t rw_ipaddr_to_hex(const char *s, size_t n, char hex[33], const char **why) {
    uint8_t b[16];
    size_t nb = ip_bytes(s, n, b, why);
    return nb ? to_hex(b, nb, hex) : 0;
}

/* The zeros of the runs of ten decimal digits Java's Character.digit(char, 10) accepts (the BMP's
 * Nd characters; Integer.parseInt reads UTF-16 units, so supplementary digits are not digits). */
static const unsigned digit_zeros[] = {
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
    0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

/* The decimal digit at s[*i] (UTF-8) as Integer.parseInt reads it, advancing *i; -1 if none. */
static int java_digit(const char *s, size_t n, size_t *i) {
    const unsigned char *u = (const unsigned char *)s + *i;
    size_t left = n - *i;
    unsigned cp;
    size_t len;
    if (u[0] < 0x80) {
        cp = u[0], len = 1;
    } else if (u[0] >= 0xC0 && u[0] < 0xE0 && left >= 2) {
        cp = (u[0] & 31u) << 6 | (u[1] & 63u), len = 2;
    } else if (u[0] >= 0xE0 && u[0] < 0xF0 && left >= 3) {
        cp = (u[0] & 15u) << 12 | (u[1] & 63u) << 6 | (u[2] & 63u), len = 3;
    } else {
        return -1;
    }
    *i += len;
    for (size_t k = 0; k < sizeof digit_zeros / sizeof digit_zeros[0]; k++)
        if (cp >= digit_zeros[k] && cp < digit_zeros[k] + 10) return (int)(cp - digit_zeros[k]);
    return -1;
}

size_t rw_ipaddr_cidr_parse(const char *s, size_t n, char bottom[33], char top[33],
                            char reason[160]) {
    /* Java's split("/"): trailing empty parts are dropped, leading ones kept */
    size_t parts = 0, slash = n;
    size_t end = n;
    while (end > 0 && s[end - 1] == '/') end--;
    if (end > 0) {
        parts = 1;
        for (size_t i = 0; i < end; i++)
            if (s[i] == '/') {
                if (parts == 1) slash = i;
                parts++;
            }
    }
    if (parts != 2) {
        snprintf(reason, 160, "Malformed CIDR, one '/' required");
        return 0;
    }
    const char *m = s + slash + 1;
    size_t mn = end - slash - 1, i = 0;
    bool neg = false;
    if (mn && (m[0] == '+' || m[0] == '-')) neg = m[0] == '-', i = 1;
    long long bits = 0;
    if (i == mn) {
        snprintf(reason, 160, "Malformed CIDR, mask bits must be an integer");
        return 0;
    }
    while (i < mn) {
        int dv = java_digit(m, mn, &i);
        if (dv < 0 || bits > 2147483647LL) {
            snprintf(reason, 160, "Malformed CIDR, mask bits must be an integer");
            return 0;
        }
        bits = bits * 10 + dv;
    }
    if (bits > 2147483647LL + (neg ? 1 : 0)) {
        snprintf(reason, 160, "Malformed CIDR, mask bits must be an integer");
        return 0;
    }
    if (neg && bits > 0) {
        snprintf(reason, 160, "Malformed CIDR, mask bits must not be negative");
        return 0;
    }
    uint8_t b[16];
    const char *why = NULL;
    size_t nb = ip_bytes(s, slash, b, &why);
    if (!nb) {
        snprintf(reason, 160, "%s: %.*s", why, (int)(slash > 100 ? 100 : slash), s);
        return 0;
    }
    if (nb == 4 && bits > 31) {
        snprintf(reason, 160, "IPv4 mask bits must be < 32");
        return 0;
    }
    if (nb == 16 && bits > 127) {
        snprintf(reason, 160, "IPv6 mask bits must be < 128");
        return 0;
    }
    uint8_t lo[16], hi[16];
    for (size_t k = 0; k < nb; k++) {
        long long keep = bits - (long long)k * 8; /* network bits in this byte */
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        lo[k] = b[k] & mask;
        hi[k] = (uint8_t)(b[k] | (uint8_t)~mask);
    }
    to_hex(lo, nb, bottom);
    return to_hex(hi, nb, top);
}

static int digit_rank(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool rw_ipaddr_hex_range_match(const char *v, size_t vn, const char *b, const char *t, size_t len) {
    size_t k = 0;
    while (k < len && b[k] == t[k]) k++;
    if (vn < k || memcmp(v, b, k) != 0) return false;
    if (k == len) return vn >= len; /* a one-address range */
    if (vn <= k) return false;
    int c = digit_rank(v[k]), lo = digit_rank(b[k]), hi = digit_rank(t[k]);
    if (c < 0) return false;
    if (c > lo && c < hi) return true;
    if (c == lo) { /* at or above the bottom from here on */
        for (size_t j = k + 1; j < len; j++) {
            if (j >= vn) return false;
            int x = digit_rank(v[j]), y = digit_rank(b[j]);
            if (x < 0) return false;
            if (x > y) return true;
            if (x < y) return false;
        }
        return true;
    }
    if (c == hi) { /* at or below the top from here on */
        for (size_t j = k + 1; j < len; j++) {
            if (j >= vn) return false;
            int x = digit_rank(v[j]), y = digit_rank(t[j]);
            if (x < 0) return false;
            if (x < y) return true;
            if (x > y) return false;
        }
        return true;
    }
    return false;
}

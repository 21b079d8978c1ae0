#include "util/timeutil.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int rw_time_parse(const char *s, int64_t *epoch) {
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t n = strlen(s);
    if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return rw_error_set(RW_EINVAL, "not a time: '%s' (expected e.g. 2026-11-20T10:00:00Z)", s);
    const char *p = s + 10;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        if (strlen(p) < 6 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
            return rw_error_set(RW_EINVAL, "not a time: '%s'", s);
        p += 6;
        if (*p == ':') {
            if (digits(p + 1, 2, &se)) return rw_error_set(RW_EINVAL, "not a time: '%s'", s);
            p += 3;
        }
        if (*p == '.' || *p == ',') {
            p++;
            if (!isdigit((unsigned char)*p)) return rw_error_set(RW_EINVAL, "not a time: '%s'", s);
            while (isdigit((unsigned char)*p)) p++;
        }
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om = 0;
        if (digits(p + 1, 2, &oh)) return rw_error_set(RW_EINVAL, "not a time: '%s'", s);
        const char *q = p + 3;
        if (*q == ':') q++;
        if (*q && digits(q, 2, &om)) return rw_error_set(RW_EINVAL, "not a time: '%s'", s);
        if (*q) q += 2;
        if (oh > 23 || om > 59) return rw_error_set(RW_EINVAL, "not a valid time: '%s'", s);
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p = q;
    }
    if (*p) return rw_error_set(RW_EINVAL, "not a time: '%s' (unexpected '%s')", s, p);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
        return rw_error_set(RW_EINVAL, "not a valid time: '%s'", s);
    *epoch = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
    return RW_OK;
}

int rw_duration_parse(const char *s, int64_t *seconds) {
    const char *p = s;
    int64_t total = 0;
    if (!*p) return rw_error_set(RW_EINVAL, "empty duration");
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return rw_error_set(RW_EINVAL, "not a duration: '%s' (expected e.g. 7d, 12h, 30m)", s);
        char *end;
        long long v = strtoll(p, &end, 10);
        int64_t unit;
        switch (*end) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        case 'w':
            unit = 7 * 86400;
            break;
        default:
            return rw_error_set(RW_EINVAL,
                                "not a duration: '%s' (a number needs a unit: s, m, h, d, w)", s);
        }
        if (v > (int64_t)1 << 40 || total > ((int64_t)1 << 62) - v * unit)
            return rw_error_set(RW_EINVAL, "duration too long: '%s'", s);
        total += v * unit;
        p = end + 1;
    }
    *seconds = total;
    return RW_OK;
}

int rw_time_parse_when(const char *s, int64_t now, int64_t *epoch) {
    int64_t d;
    size_t n = strlen(s);
    /* a duration is digits and unit letters only, so it is never mistaken for a time */
    if (n > 0 && isalpha((unsigned char)s[n - 1]) && rw_duration_parse(s, &d) == RW_OK) {
        *epoch = now - d;
        return RW_OK;
    }
    if (rw_time_parse(s, epoch) == RW_OK) return RW_OK;
    return rw_error_set(RW_EINVAL, "not a time or a duration: '%s' (e.g. 2026-11-20T10:00:00Z, 7d)",
                        s);
}

int64_t rw_time_now(void) {
    const char *fake = getenv("ROOTWATCH_NOW");
    int64_t t;
    if (fake && *fake && rw_time_parse(fake, &t) == RW_OK) return t;
    return (int64_t)time(NULL);
}

void rw_time_format(int64_t epoch, char out[32]) {
    time_t t = (time_t)epoch;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { /* beyond what struct tm can hold */
        snprintf(out, 32, "@%lld", (long long)epoch);
        return;
    }
    /* four digits at least, as rw_time_parse wants (strftime's %Y does not pad years < 1000) */
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    size_t n = strlen(tmp); /* at most 31 for any year gmtime_r gives */
    if (n > 31) n = 31;
    memcpy(out, tmp, n);
    out[n] = 0;
}

int64_t rw_time_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

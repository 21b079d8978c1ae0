#include "report/format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

struct rw_writer {
    FILE *out;
    rw_format fmt;
    bool color;
    size_t count;
    rw_buf b;
};

int rw_format_parse(const char *s, rw_format *out) {
    static const char *names[] = {"table", "json", "ndjson", "csv"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (rw_format)i;
            return RW_OK;
        }
    return rw_error_set(RW_EINVAL, "unknown format '%s' (table, json, ndjson, csv)", s);
}

rw_writer *rw_writer_new(FILE *out, rw_format fmt, bool color) {
    rw_writer *w = rw_xcalloc(1, sizeof *w);
    w->out = out;
    w->fmt = fmt;
    w->color = color;
    rw_buf_init(&w->b, 0);
    return w;
}

static const char *tri(rw_tri t) {
    return t == RW_TRI_TRUE ? "yes" : t == RW_TRI_FALSE ? "no" : "-";
}

static const char *or_dash(const char *s) {
    return s && *s ? s : "-";
}

/* A CSV field: quoted when needed; a leading = + - @ is defused with a quote so that spreadsheet
 * programs do not run attacker-chosen text (user agents) as formulas. */
static void csv_field(rw_buf *b, const char *s, bool last) {
    s = s ? s : "";
    bool defuse = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = defuse || strpbrk(s, ",\"\r\n") != NULL;
    if (quote) rw_buf_putc(b, '"');
    if (defuse) rw_buf_putc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"') rw_buf_putc(b, '"');
        rw_buf_putc(b, *p);
    }
    if (quote) rw_buf_putc(b, '"');
    rw_buf_putc(b, last ? '\n' : ',');
}

void rw_format_term_safe(char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7F) {
            p[i] = '?';
        } else if (c == 0xC2 && i + 1 < n && (unsigned char)p[i + 1] >= 0x80 &&
                   (unsigned char)p[i + 1] <= 0x9F) {
            p[i] = p[i + 1] = '?';
            i++;
        }
    }
}

static void join_reasons(rw_buf *b, const rw_alert *a) {
    for (int i = 0; i < a->nreasons; i++) rw_buf_printf(b, "%s%s", i ? "; " : "", a->reasons[i]);
}

static const char *sev_color(rw_severity s) {
    switch (s) {
    case RW_SEV_CRITICAL:
        return "\033[1;31m";
    case RW_SEV_HIGH:
        return "\033[31m";
    case RW_SEV_MEDIUM:
        return "\033[33m";
    case RW_SEV_LOW:
        break;
    }
    return "";
}

int rw_writer_alert(rw_writer *w, const rw_alert *a) {
    rw_buf *b = &w->b;
    rw_buf_reset(b);
    int rc = RW_OK;
    switch (w->fmt) {
    case RW_FMT_JSON:
        rw_buf_puts(b, w->count ? ",\n" : "[\n");
        rc = rw_alert_to_json(b, a);
        break;
    case RW_FMT_NDJSON:
        rc = rw_alert_to_json(b, a);
        rw_buf_putc(b, '\n');
        break;
    case RW_FMT_CSV: {
        if (!w->count)
            rw_buf_puts(b,
                        "eventTime,eventID,account,region,eventSource,eventName,kind,outcome,mfa,"
                        "credential,readOnly,errorCode,sensitive,severity,reasons,"
                        "sourceIPAddress,userAgent,rule,file,offset\n");
        rw_buf r, off;
        rw_buf_init(&r, 0);
        rw_buf_init(&off, 0);
        join_reasons(&r, a);
        rw_buf_printf(&off, "%llu", (unsigned long long)a->offset);
        const char *mfa = a->mfa == RW_TRI_TRUE ? "true" : a->mfa == RW_TRI_FALSE ? "false" : "";
        const char *ro = a->read_only == RW_TRI_TRUE    ? "true"
                         : a->read_only == RW_TRI_FALSE ? "false"
                                                        : "";
        const char *fields[] = {a->event_time,
                                a->event_id,
                                a->account,
                                a->region,
                                a->event_source,
                                a->event_name,
                                rw_alert_kind_name(a->kind),
                                rw_alert_outcome_name(a->outcome),
                                mfa,
                                rw_alert_credential_name(a->credential),
                                ro,
                                a->error_code,
                                a->sensitive ? "true" : "false",
                                rw_alert_severity_name(a->severity),
                                r.data,
                                a->source_ip,
                                a->user_agent,
                                a->rule,
                                a->file,
                                off.data};
        size_t n = sizeof fields / sizeof fields[0];
        for (size_t i = 0; i < n; i++) csv_field(b, fields[i], i == n - 1);
        rw_buf_free(&r);
        rw_buf_free(&off);
        break;
    }
    case RW_FMT_TABLE: {
        if (!w->count)
            rw_buf_printf(b, "%-20s  %-8s  %-12s  %-14s  %-36s  %-13s  %-3s  %-15s  %s\n", "TIME",
                          "SEVERITY", "ACCOUNT", "REGION", "EVENT", "KIND", "MFA", "SOURCE IP",
                          "REASONS");
        rw_buf event;
        rw_buf_init(&event, 0);
        const char *src = a->event_source ? a->event_source : "?";
        const char *dot = strchr(src, '.');
        rw_buf_printf(&event, "%.*s:%s", dot ? (int)(dot - src) : (int)strlen(src), src,
                      or_dash(a->event_name));
        const char *sev = rw_alert_severity_name(a->severity);
        size_t from = b->len;
        rw_buf_printf(b, "%-20s  ", or_dash(a->event_time));
        rw_format_term_safe(b->data + from, b->len - from);
        rw_buf_printf(b, "%s%-8s%s  ", w->color ? sev_color(a->severity) : "", sev,
                      w->color ? "\033[0m" : "");
        from = b->len;
        rw_buf_printf(b, "%-12s  %-14s  %-36s  %-13s  %-3s  %-15s  ", or_dash(a->account),
                      or_dash(a->region), event.data ? event.data : "", rw_alert_kind_name(a->kind),
                      tri(a->mfa), or_dash(a->source_ip));
        join_reasons(b, a);
        rw_format_term_safe(b->data + from, b->len - from);
        rw_buf_putc(b, '\n');
        rw_buf_free(&event);
        break;
    }
    }
    if (rc) return rc;
    w->count++;
    if (fwrite(b->data, 1, b->len, w->out) != b->len)
        return rw_error_set(RW_EIO, "writing the output: %s", strerror(errno));
    return RW_OK;
}

int rw_writer_end(rw_writer *w) {
    if (w->fmt == RW_FMT_JSON) fputs(w->count ? "\n]\n" : "[]\n", w->out);
    if (w->fmt == RW_FMT_TABLE && w->count == 0)
        fputs("No root account activity detected.\n", w->out);
    int rc = RW_OK;
    if (fflush(w->out) != 0 || ferror(w->out))
        rc = rw_error_set(RW_EIO, "writing the output: %s", strerror(errno));
    rw_buf_free(&w->b);
    free(w);
    return rc;
}

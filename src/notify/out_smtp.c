/* The SMTP channel: an email per alert, through libcurl.
 *
 * The message is MIME multipart/alternative: the readable text (text/plain) and the same as HTML
 * (text/html), both UTF-8 in quoted-printable; the subject is the alert's title, RFC 2047-encoded.
 * Message-ID is <EVENTID.rootwatch@DOMAIN-OF-FROM> and Date the time rootwatch detected the event,
 * so a delivery tried again (after a restart too) is the same message, which mail systems can
 * recognise as a repeat. X-Rootwatch-Event-Id and X-Rootwatch-Severity are there for filters.
 *
 * TLS is always verified: smtps:// (TLS from the start, port 465) or smtp:// with STARTTLS (port
 * 587); plain smtp:// without TLS is accepted only to a loopback address (a local relay).
 *
 * Failures: a refused or broken connection, a timeout, TLS trouble and 4xx replies are worth
 * another try; 5xx replies and refused authentication are not. */
#ifndef RW_NO_LIBCURL
#include <curl/curl.h>
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "notify/channel.h"
#include "notify/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/http.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xmalloc.h"

static const rw_opt_spec opts[] = {
    {"url", RW_OPT_STRING, NULL, true,
     "smtps://HOST[:465] (TLS) or smtp://HOST[:587] (STARTTLS); plain smtp:// without TLS only "
     "to a loopback address"},
    {"starttls", RW_OPT_BOOL, "true", false,
     "smtp://: require STARTTLS (false is accepted only for a loopback address)"},
    {"username", RW_OPT_STRING, NULL, false, "the SMTP user (AUTH PLAIN or LOGIN)"},
    {"password", RW_OPT_SECRET, NULL, false, "the SMTP password (env:NAME or file:PATH)"},
    {"from", RW_OPT_STRING, NULL, true, "the sender: addr@example.com or Name <addr@example.com>"},
    {"to", RW_OPT_LIST, NULL, true, "the recipients (one address or a list)"},
    {"ca_file", RW_OPT_STRING, NULL, false,
     "a CA bundle (PEM) for a server with a private CA (certificates are always verified)"},
    {"timeout_ms", RW_OPT_INT, "30000", false, "how long one delivery may take (milliseconds)"},
    {NULL, 0, NULL, false, NULL},
};

#ifdef RW_NO_LIBCURL
/* rootwatch-lambda, the Lambda function's program (issue 12), links no libcurl, which would bring
 * some thirty libraries to every cold start: an smtp channel is refused when the configuration is
 * loaded, which in the function is at init (docs/lambda.md, "Notification channels"). */
static int open_smtp(rw_channel *ch) {
    return rw_error_set(RW_EINVAL,
                        "channel %s: the smtp channel is not available in the Lambda function's "
                        "build (rootwatch-lambda links no libcurl): email the alerts through the "
                        "SNS topic (an email subscription) or from rootwatch watch",
                        ch->name);
}

static int send_smtp(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    (void)n;
    snprintf(res->error, sizeof res->error, "channel %s: smtp is not in this build", ch->name);
    res->retryable = false;
    return rw_error_set(RW_EIO, "%s", res->error);
}

static void close_smtp(rw_channel *ch) {
    (void)ch;
}
#else
typedef struct smtp_state {
    char *url;
    char where[300];   /* "host:port", for messages */
    bool starttls;     /* smtp:// with STARTTLS required */
    bool loopback;     /* never through a proxy */
    char *mail_from;   /* "<addr>" */
    char *from_header; /* the From: value */
    char *to_header;   /* the To: value, folded */
    char *domain;      /* for Message-ID */
    struct curl_slist *rcpt;
} smtp_state;

/* ---- text helpers ---- */

/* Appends s with invalid UTF-8 and control characters (but tab and line feed) as '?'. */
static void put_clean(rw_buf *b, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t k = rw_json_utf8_valid_prefix(s + i, n - i);
        for (size_t j = i; j < i + k; j++) {
            unsigned char c = (unsigned char)s[j];
            rw_buf_putc(b, (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ? '?' : (char)c);
        }
        i += k;
        if (i < n) {
            rw_buf_putc(b, '?');
            i++;
        }
    }
}

static bool printable_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return false;
    return true;
}

static void put_base64(rw_buf *b, const unsigned char *p, size_t n) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        rw_buf_putc(b, t[(v >> 18) & 63]);
        rw_buf_putc(b, t[(v >> 12) & 63]);
        rw_buf_putc(b, i + 1 < n ? t[(v >> 6) & 63] : '=');
        rw_buf_putc(b, i + 2 < n ? t[v & 63] : '=');
    }
}

/* RFC 2047 encoded-words (UTF-8, B) for s (valid UTF-8), folded between words: each word holds at
 * most 39 bytes of text (a line of at most 76 characters with a header name before it). */
static void put_encoded_words(rw_buf *b, const char *s) {
    size_t n = strlen(s), i = 0;
    bool first = true;
    do {
        size_t k = n - i < 39 ? n - i : 39;
        /* never split a character: back off continuation bytes */
        while (k > 0 && i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80) k--;
        if (!first) rw_buf_puts(b, "\r\n ");
        first = false;
        rw_buf_puts(b, "=?UTF-8?B?");
        put_base64(b, (const unsigned char *)s + i, k);
        rw_buf_puts(b, "?=");
        i += k;
    } while (i < n);
}

/* A display name as a phrase: as it is (atoms), quoted, or encoded when not ASCII. */
static void put_phrase(rw_buf *b, const char *s) {
    if (!printable_ascii(s)) {
        put_encoded_words(b, s);
        return;
    }
    if (!s[strcspn(s, "()<>[]:;@\\,.\"")]) {
        rw_buf_puts(b, s);
        return;
    }
    rw_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') rw_buf_putc(b, '\\');
        rw_buf_putc(b, *s);
    }
    rw_buf_putc(b, '"');
}

/* Quoted-printable (RFC 2045) with CRLF line ends: lines of at most 76 characters, '=' and
 * everything not printable ASCII encoded, and also a '.' starting a line (SMTP's end of data) and
 * the F of "From " starting one (mbox). */
static void put_qp(rw_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    const char *line = s;
    while (*line) {
        size_t len = strcspn(line, "\n");
        size_t end = len;
        if (end && line[end - 1] == '\r') end--;
        size_t col = 0;
        bool from = !strncmp(line, "From ", 5);
        for (size_t i = 0; i < end; i++) {
            unsigned char c = (unsigned char)line[i];
            bool last = i + 1 == end;
            bool enc = c == '=' || (c < 0x20 && c != '\t') || c >= 0x7f ||
                       ((c == ' ' || c == '\t') && last) || (i == 0 && from);
            size_t piece = enc ? 3 : 1;
            if (col + piece > (last ? 76u : 75u)) {
                rw_buf_puts(b, "=\r\n");
                col = 0;
            }
            if (col == 0 && c == '.') enc = true, piece = 3;
            if (enc) {
                rw_buf_putc(b, '=');
                rw_buf_putc(b, hex[c >> 4]);
                rw_buf_putc(b, hex[c & 15]);
            } else {
                rw_buf_putc(b, (char)c);
            }
            col += piece;
        }
        rw_buf_puts(b, "\r\n");
        line += len;
        if (*line == '\n') line++;
    }
}

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* ---- addresses ---- */

static bool valid_addr(const char *a) {
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@')) return false;
    for (const char *p = a; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\"\\", c)) return false;
    }
    return true;
}

/* "addr@x" or "Name <addr@x>": the address and the display name (new strings; name may be NULL).
 */
static int parse_address(const char *s, char **addr, char **name) {
    *addr = *name = NULL;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return RW_EINVAL;
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    const char *lt = memchr(s, '<', n);
    if (lt) {
        if (!n || s[n - 1] != '>') return RW_EINVAL;
        *addr = rw_xstrndup(lt + 1, (size_t)(s + n - 1 - (lt + 1)));
        const char *ne = lt;
        while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t')) ne--;
        const char *ns = s;
        if (ne - ns >= 2 && *ns == '"' && ne[-1] == '"') ns++, ne--;
        if (ne > ns) *name = rw_xstrndup(ns, (size_t)(ne - ns));
    } else {
        *addr = rw_xstrndup(s, n);
    }
    if (!valid_addr(*addr)) {
        free(*addr);
        free(*name);
        *addr = *name = NULL;
        return RW_EINVAL;
    }
    return RW_OK;
}

/* The header form of an address. */
static void put_mailbox(rw_buf *b, const char *addr, const char *name) {
    if (name && *name) {
        put_phrase(b, name);
        rw_buf_printf(b, " <%s>", addr);
    } else {
        rw_buf_puts(b, addr);
    }
}

/* ---- the channel ---- */

static void close_smtp(rw_channel *ch) {
    smtp_state *st = ch->state;
    if (!st) return;
    free(st->url);
    free(st->mail_from);
    free(st->from_header);
    free(st->to_header);
    free(st->domain);
    curl_slist_free_all(st->rcpt);
    free(st);
    ch->state = NULL;
}

static int open_smtp(rw_channel *ch) {
    const char *url = rw_opt_str(ch->opts, "url");
    smtp_state *st = rw_xcalloc(1, sizeof *st);
    ch->state = st;
    int rc = RW_OK;
    /* rw_http_is_loopback also makes sure libcurl is initialised (once, thread-safely) */
    st->loopback = rw_http_is_loopback(url);
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        rc = rw_error_set(RW_EINVAL,
                          "channel %s: option url: not a URL (smtps://HOST:465 or "
                          "smtp://HOST:587)",
                          ch->name);
        goto done;
    }
    if (strcasecmp(scheme, "smtp") && strcasecmp(scheme, "smtps")) {
        rc = rw_error_set(RW_EINVAL, "channel %s: option url: smtps:// or smtp://, not %s://",
                          ch->name, scheme);
        goto done;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        rc = rw_error_set(RW_EINVAL,
                          "channel %s: option url: give the user and password as username and "
                          "password, not in the URL",
                          ch->name);
        goto done;
    }
    snprintf(st->where, sizeof st->where, "%s:%s", host, port);
    st->url = rw_xstrdup(url);
    bool smtps = !strcasecmp(scheme, "smtps");
    st->starttls = !smtps && rw_opt_bool(ch->opts, "starttls");
    if (!smtps && !st->starttls && !st->loopback) {
        rc = rw_error_set(RW_EINVAL,
                          "channel %s: plain SMTP without TLS is accepted only to a loopback "
                          "address: use smtps:// or starttls: true",
                          ch->name);
        goto done;
    }
    const char *username = rw_opt_str(ch->opts, "username");
    const char *password = rw_opt_str(ch->opts, "password");
    if ((username && *username) != (password && *password)) {
        rc = rw_error_set(RW_EINVAL, "channel %s: username and password go together", ch->name);
        goto done;
    }
    const char *ca = rw_opt_str(ch->opts, "ca_file");
    if (ca && *ca && access(ca, R_OK) != 0) {
        rc = rw_error_set(RW_EINVAL, "channel %s: option ca_file: cannot read %s", ch->name, ca);
        goto done;
    }
    long t = rw_opt_int(ch->opts, "timeout_ms");
    if (t < 100 || t > 3600000) {
        rc = rw_error_set(
            RW_EINVAL, "channel %s: option timeout_ms: from 100 to 3600000 milliseconds", ch->name);
        goto done;
    }
    char *addr, *name;
    if (parse_address(rw_opt_str(ch->opts, "from"), &addr, &name) != RW_OK) {
        rc = rw_error_set(RW_EINVAL,
                          "channel %s: option from: not an email address (addr@example.com or "
                          "Name <addr@example.com>)",
                          ch->name);
        goto done;
    }
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&b, "<%s>", addr);
    st->mail_from = rw_buf_take(&b);
    put_mailbox(&b, addr, name);
    st->from_header = rw_buf_take(&b);
    st->domain = rw_xstrdup(strchr(addr, '@') + 1);
    free(addr);
    free(name);
    const char *const *to = rw_opt_list(ch->opts, "to");
    size_t col = 4; /* "To: " */
    for (size_t i = 0; to[i]; i++) {
        if (parse_address(to[i], &addr, &name) != RW_OK) {
            rw_buf_free(&b);
            rc = rw_error_set(RW_EINVAL, "channel %s: option to: '%s' is not an email address",
                              ch->name, to[i]);
            goto done;
        }
        rw_buf m;
        rw_buf_init(&m, RW_BUF_DEFAULT_MAX);
        put_mailbox(&m, addr, name);
        if (i) {
            rw_buf_putc(&b, ',');
            col++;
            if (col + 1 + m.len > 76) {
                rw_buf_puts(&b, "\r\n");
                col = 0;
            }
            rw_buf_putc(&b, ' ');
            col++;
        }
        rw_buf_append(&b, m.data, m.len);
        col += m.len;
        rw_buf_free(&m);
        char rcpt[600];
        snprintf(rcpt, sizeof rcpt, "<%s>", addr);
        st->rcpt = curl_slist_append(st->rcpt, rcpt);
        free(addr);
        free(name);
    }
    if (!st->rcpt) {
        rw_buf_free(&b);
        rc = rw_error_set(RW_EINVAL, "channel %s: option to: no recipient", ch->name);
        goto done;
    }
    st->to_header = rw_buf_take(&b);
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    if (u) curl_url_cleanup(u);
    if (rc != RW_OK) close_smtp(ch);
    return rc;
}

/* "Name: value" and CRLF; the value on a line of its own (folded) when the line would pass 78. */
static void put_header(rw_buf *b, const char *name, const char *value) {
    rw_buf_printf(b, "%s:%s%s\r\n", name, strlen(name) + 2 + strlen(value) > 78 ? "\r\n " : " ",
                  value);
}

/* RFC 5322's date, in UTC. */
static void put_date(rw_buf *b, int64_t ms) {
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = ms > 0 ? (time_t)(ms / 1000) : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    rw_buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The whole message, headers and body, with CRLF line ends. */
static char *build_message(const smtp_state *st, const rw_notice *n, size_t *len) {
    const char *id = n->event_id && *n->event_id ? n->event_id : rw_notice_field(n, "eventID");
    rw_buf b, t;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_init(&t, RW_BUF_DEFAULT_MAX);
    rw_buf_puts(&t, "");

    rw_buf_puts(&b, "Date: ");
    put_date(&b, n->detected_ms);
    rw_buf_printf(&b, "\r\nFrom: %s\r\nTo: %s\r\nSubject: ", st->from_header, st->to_header);
    char *title = rw_render_title(n, NULL);
    put_clean(&t, title, strlen(title));
    free(title);
    for (char *p = t.data; *p; p++)
        if (*p == '\n' || *p == '\t') *p = ' ';
    if (printable_ascii(t.data) && t.len <= 78 - 9)
        rw_buf_puts(&b, t.data);
    else
        put_encoded_words(&b, t.data);
    /* Message-ID: the eventID, with what an address may not hold as =XX */
    rw_buf v;
    rw_buf_init(&v, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&v, '<');
    if (*id) {
        for (const char *p = id; *p; p++) {
            unsigned char c = (unsigned char)*p;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_')
                rw_buf_putc(&v, (char)c);
            else
                rw_buf_printf(&v, "=%02X", c);
        }
    } else {
        rw_buf_printf(&v, "%016llx", (unsigned long long)fnv1a(n->alert_json, n->alert_len));
    }
    rw_buf_printf(&v, ".rootwatch@%s>", st->domain);
    rw_buf_puts(&b, "\r\n");
    put_header(&b, "Message-ID", v.data);
    char boundary[64];
    snprintf(boundary, sizeof boundary, "=_rootwatch_%016llx",
             (unsigned long long)fnv1a(id, strlen(id)));
    rw_buf_printf(&b,
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
                  "Auto-Submitted: auto-generated\r\n",
                  boundary);
    rw_buf_reset(&v);
    const char *hid = *id ? id : "-";
    for (size_t i = 0; hid[i] && i < 200; i++)
        rw_buf_putc(&v,
                    (unsigned char)hid[i] < 0x21 || (unsigned char)hid[i] > 0x7e ? '?' : hid[i]);
    put_header(&b, "X-Rootwatch-Event-Id", v.data);
    rw_buf_free(&v);
    const char *sev = rw_notice_field(n, "severity");
    rw_buf_printf(&b, "X-Rootwatch-Severity: %s\r\n",
                  *sev && printable_ascii(sev) && strlen(sev) < 32 ? sev : "unknown");
    if (n->test) rw_buf_puts(&b, "X-Rootwatch-Test: yes\r\n");
    rw_buf_puts(&b, "\r\nThis is a message in MIME format: a text part and an HTML part.\r\n");

    /* the text part */
    rw_buf_printf(&b,
                  "\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                  boundary);
    char *text = rw_render_text(n, NULL);
    rw_buf_reset(&t);
    rw_buf_puts(&t, "");
    put_clean(&t, text, strlen(text));
    free(text);
    put_qp(&b, t.data);

    /* the HTML part */
    rw_buf_printf(&b,
                  "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                  boundary);
    char *html = rw_render_html(n, NULL);
    rw_buf_reset(&t);
    rw_buf_puts(&t, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n");
    put_clean(&t, html, strlen(html));
    rw_buf_puts(&t, "</body></html>\n");
    free(html);
    put_qp(&b, t.data);
    rw_buf_printf(&b, "\r\n--%s--\r\n", boundary);
    rw_buf_free(&t);
    *len = b.len;
    return rw_buf_take(&b);
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ctx) {
    upload *u = ctx;
    size_t n = size * nmemb, left = u->len - u->off;
    if (n > left) n = left;
    memcpy(dst, u->data + u->off, n);
    u->off += n;
    return n;
}

/* Keeps the server's last error reply (4xx, 5xx), for messages; never what rootwatch sends. */
static int debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *ctx) {
    (void)c;
    char *last = ctx;
    if (type != CURLINFO_HEADER_IN) return 0;
    for (size_t i = 0; i < size;) {
        size_t e = i;
        while (e < size && data[e] != '\n') e++;
        size_t n = e - i;
        while (n && data[i + n - 1] == '\r') n--;
        if (n >= 3 && (data[i] == '4' || data[i] == '5') && data[i + 1] >= '0' &&
            data[i + 1] <= '9' && data[i + 2] >= '0' && data[i + 2] <= '9') {
            if (n > 200) n = 200;
            for (size_t k = 0; k < n; k++)
                last[k] = (unsigned char)data[i + k] < 0x20 || (unsigned char)data[i + k] > 0x7e
                              ? '?'
                              : data[i + k];
            last[n] = 0;
        }
        i = e + 1;
    }
    return 0;
}

static bool retryable_curl(CURLcode cc) {
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_AGAIN:
        return true;
    default:
        return false;
    }
}

static int send_smtp(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    smtp_state *st = ch->state;
    res->retryable = false;
    res->error[0] = 0;
    res->retry_after_ms = 0;
    size_t len;
    char *msg = build_message(st, n, &len);
    upload up = {msg, len, 0};
    char errbuf[CURL_ERROR_SIZE] = "", last[256] = "";
    CURL *c = curl_easy_init();
    if (!c) {
        free(msg);
        snprintf(res->error, sizeof res->error, "channel %s: cannot start libcurl", ch->name);
        res->retryable = true;
        return rw_error_set(RW_EIO, "%s", res->error);
    }
    long timeout = rw_opt_int(ch->opts, "timeout_ms");
    curl_easy_setopt(c, CURLOPT_URL, st->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, st->mail_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, st->rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    if (st->starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    const char *ca = rw_opt_str(ch->opts, "ca_file");
    if (ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    const char *user = rw_opt_str(ch->opts, "username");
    if (user && *user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, rw_opt_str(ch->opts, "password"));
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, last);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    if (st->loopback) curl_easy_setopt(c, CURLOPT_PROXY, "");
    CURLcode cc = curl_easy_perform(c);
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    curl_easy_cleanup(c);
    free(msg);
    if (cc == CURLE_OK) return RW_OK;

    bool retry;
    const char *what;
    if (reply >= 400 && reply < 500) {
        retry = true, what = "a temporary failure";
    } else if (reply >= 500 && reply < 600) {
        retry = false, what = cc == CURLE_LOGIN_DENIED ? "authentication refused" : "refused";
    } else if (cc == CURLE_LOGIN_DENIED) {
        retry = false, what = "authentication refused";
    } else {
        retry = retryable_curl(cc);
        what = retry ? "a temporary failure" : "failed";
    }
    /* a message longer than the field is cut, which is fine (the test keeps gcc from warning) */
    if (snprintf(res->error, sizeof res->error, "channel %s: SMTP to %s: %s: %s%s%s%s", ch->name,
                 st->where, what, *errbuf ? errbuf : curl_easy_strerror(cc),
                 *last ? " (the server said: " : "", last,
                 *last ? ")" : "") >= (int)sizeof res->error)
        res->error[sizeof res->error - 1] = 0;
    rw_channel_scrub_msg(ch, res->error, sizeof res->error); /* a server may quote what it got */
    res->retryable = retry;
    return rw_error_set(retry ? RW_ERETRY : RW_EIO, "%s", res->error);
}

#endif /* RW_NO_LIBCURL */

const rw_channel_type rw_channel_smtp = {
    .type = "smtp",
    .summary = "an email per alert (text and HTML), over SMTP with TLS",
    .opts = opts,
    .idempotency_key = true,
    .open = open_smtp,
    .send = send_smtp,
    .close = close_smtp,
};

/* The words of a notice. */
#include "notify/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmalloc.h"

static const char *field(const rw_notice *n, const char *path) {
    return rw_notice_field(n, path);
}

static const char *or_dash(const char *s) {
    return s && *s ? s : "-";
}

/* "console sign-in", "sign-in event", "API call" */
static const char *kind_words(const char *kind) {
    if (!strcmp(kind, "console_login")) return "console sign-in";
    if (!strcmp(kind, "signin_other")) return "sign-in event";
    return "API call";
}

static const char *mfa_words(const rw_notice *n) {
    const rw_json *m = rw_json_get(n->alert, "mfa");
    if (!m || m->type == RW_JSON_NULL) return "unknown";
    return m->type == RW_JSON_TRUE ? "yes" : "no";
}

static const char *account_words(const rw_notice *n, const char *alias, char *buf, size_t cap) {
    const char *acct = field(n, "account");
    if (alias && *alias && strcmp(alias, acct))
        snprintf(buf, cap, "%s (%s)", acct, alias);
    else
        snprintf(buf, cap, "%s", or_dash(acct));
    return buf;
}

char *rw_render_sns_subject(const rw_notice *n, const char *alias) {
    const char *name = field(n, "eventName");
    const char *acct = alias && *alias ? alias : field(n, "account");
    const char *pre = n->test ? "[TEST] " : "";
    /* printable ASCII only, no line breaks: SNS refuses anything else */
    char ev[256], al[256];
    snprintf(ev, sizeof ev, "%s", *name ? name : "unknown");
    snprintf(al, sizeof al, "%s", *acct ? acct : "unknown");
    for (char *p = ev; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '?';
    for (char *p = al; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '?';
    const size_t max = 100;
    size_t fixed = strlen(pre) + strlen("Root API call-\"\" detected in Account-\"\"");
    size_t el = strlen(ev), alen = strlen(al);
    if (fixed + el + alen > max) {
        /* the event name gives way first (down to 20 characters), then the alias */
        size_t room = max > fixed + alen ? max - fixed - alen : 0;
        if (room < 20) room = el < 20 ? el : 20;
        if (el > room) {
            el = room >= 3 ? room : 3;
            memcpy(ev + el - 3, "...", 4);
        }
        if (fixed + el + alen > max) {
            alen = max - fixed - el;
            if (alen >= 3)
                memcpy(al + alen - 3, "...", 4);
            else
                al[alen] = 0;
        }
    }
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&b, "%sRoot API call-\"%s\" detected in Account-\"%s\"", pre, ev, al);
    if (b.len > max) { /* cannot happen; kept as a guard */
        b.data[max] = 0;
        b.len = max;
    }
    return rw_buf_take(&b);
}

char *rw_render_title(const rw_notice *n, const char *alias) {
    char acct[256];
    const char *kind = field(n, "kind");
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    if (n->test) rw_buf_puts(&b, "[TEST] ");
    if (!strcmp(kind, "console_login")) {
        const char *outcome = field(n, "outcome");
        rw_buf_printf(&b, "Root console sign-in%s%s",
                      !strcmp(outcome, "failure") ? " (failed)" : "",
                      !strcmp(mfa_words(n), "no") ? " without MFA" : "");
    } else if (!strcmp(kind, "signin_other")) {
        rw_buf_printf(&b, "Root %s", or_dash(field(n, "eventName")));
    } else {
        rw_buf_printf(&b, "Root API call %s", or_dash(field(n, "eventName")));
    }
    rw_buf_printf(&b, " in %s (%s)", account_words(n, alias, acct, sizeof acct),
                  or_dash(field(n, "severity")));
    return rw_buf_take(&b);
}

char *rw_render_console_link(const rw_notice *n) {
    const char *id = field(n, "eventID"), *region = field(n, "region");
    if (!*id) return NULL;
    if (!*region) region = "us-east-1";
    const char *host = "console.aws.amazon.com";
    if (!strncmp(region, "cn-", 3))
        host = "console.amazonaws.cn";
    else if (!strncmp(region, "us-gov-", 7))
        host = "console.amazonaws-us-gov.com";
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&b, "https://%s.%s/cloudtrailv2/home?region=%s#/events/", region, host, region);
    /* eventIDs are UUIDs; anything else is percent-encoded */
    for (const char *p = id; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')
            rw_buf_putc(&b, (char)c);
        else
            rw_buf_printf(&b, "%%%02X", c);
    }
    return rw_buf_take(&b);
}

typedef struct fact {
    const char *label;
    char value[600];
} fact;

/* The facts every rendering shows, in order. */
static size_t facts(const rw_notice *n, const char *alias, fact *f, size_t cap) {
    size_t k = 0;
#define FACT(l, ...)                                                                               \
    do {                                                                                           \
        if (k < cap) {                                                                             \
            f[k].label = l;                                                                        \
            snprintf(f[k].value, sizeof f[k].value, __VA_ARGS__);                                  \
            k++;                                                                                   \
        }                                                                                          \
    } while (0)
    char acct[256];
    FACT("Account", "%s", account_words(n, alias, acct, sizeof acct));
    FACT("Who", "the root user");
    FACT("What", "%s:%s (%s)", or_dash(field(n, "eventSource")), or_dash(field(n, "eventName")),
         kind_words(field(n, "kind")));
    const char *outcome = field(n, "outcome"), *err = field(n, "errorCode");
    if (*err)
        FACT("Outcome", "%s (%s)", or_dash(outcome), err);
    else if (*outcome)
        FACT("Outcome", "%s", outcome);
    FACT("Region", "%s", or_dash(field(n, "region")));
    FACT("When", "%s", or_dash(field(n, "eventTime")));
    FACT("Source IP", "%s", or_dash(field(n, "sourceIPAddress")));
    FACT("User agent", "%s", or_dash(field(n, "userAgent")));
    FACT("MFA", "%s", mfa_words(n));
    FACT("Credential", "%s", or_dash(field(n, "credential")));
    FACT("Severity", "%s", or_dash(field(n, "severity")));
    FACT("Rule", "%s", or_dash(field(n, "rule")));
    FACT("Event ID", "%s", or_dash(field(n, "eventID")));
#undef FACT
    return k;
}

char *rw_render_text(const rw_notice *n, const char *alias) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    char *title = rw_render_title(n, alias);
    rw_buf_printf(&b, "%s\n\n", title);
    free(title);
    if (n->test)
        rw_buf_puts(&b, "This is a test notification sent by `rootwatch notify test`: no root "
                        "activity took place.\n\n");
    fact f[16];
    size_t k = facts(n, alias, f, 16);
    for (size_t i = 0; i < k; i++) rw_buf_printf(&b, "%-11s %s\n", f[i].label, f[i].value);
    const rw_json *reasons = rw_json_get(n->alert, "reasons");
    if (reasons && reasons->child) {
        rw_buf_puts(&b, "\nWhy:\n");
        for (const rw_json *r = reasons->child; r; r = r->next)
            if (r->type == RW_JSON_STRING) rw_buf_printf(&b, "  - %s\n", r->str);
    }
    char *link = rw_render_console_link(n);
    if (link) {
        rw_buf_printf(&b, "\nThe event in the CloudTrail console:\n%s\n", link);
        free(link);
    }
    rw_buf_puts(&b, "\n-- rootwatch\n");
    return rw_buf_take(&b);
}

static void html_escape(rw_buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<':
            rw_buf_puts(b, "&lt;");
            break;
        case '>':
            rw_buf_puts(b, "&gt;");
            break;
        case '&':
            rw_buf_puts(b, "&amp;");
            break;
        case '"':
            rw_buf_puts(b, "&quot;");
            break;
        case '\'':
            rw_buf_puts(b, "&#39;");
            break;
        default:
            rw_buf_putc(b, *s);
        }
    }
}

char *rw_render_html(const rw_notice *n, const char *alias) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    char *title = rw_render_title(n, alias);
    rw_buf_puts(&b, "<h2>");
    html_escape(&b, title);
    rw_buf_puts(&b, "</h2>\n");
    free(title);
    if (n->test)
        rw_buf_puts(&b, "<p><b>This is a test notification</b> sent by <code>rootwatch notify "
                        "test</code>: no root "
                        "activity took place.</p>\n");
    fact f[16];
    size_t k = facts(n, alias, f, 16);
    rw_buf_puts(&b, "<table>\n");
    for (size_t i = 0; i < k; i++) {
        rw_buf_puts(&b, "<tr><th align=\"left\">");
        html_escape(&b, f[i].label);
        rw_buf_puts(&b, "</th><td>");
        html_escape(&b, f[i].value);
        rw_buf_puts(&b, "</td></tr>\n");
    }
    rw_buf_puts(&b, "</table>\n");
    const rw_json *reasons = rw_json_get(n->alert, "reasons");
    if (reasons && reasons->child) {
        rw_buf_puts(&b, "<p>Why:</p>\n<ul>\n");
        for (const rw_json *r = reasons->child; r; r = r->next)
            if (r->type == RW_JSON_STRING) {
                rw_buf_puts(&b, "<li>");
                html_escape(&b, r->str);
                rw_buf_puts(&b, "</li>\n");
            }
        rw_buf_puts(&b, "</ul>\n");
    }
    char *link = rw_render_console_link(n);
    if (link) {
        rw_buf_puts(&b, "<p><a href=\"");
        html_escape(&b, link);
        rw_buf_puts(&b, "\">View the event in the CloudTrail console</a></p>\n");
        free(link);
    }
    return rw_buf_take(&b);
}

/* rootwatch alerts list|show: the alert history and delivery state kept in the local store
 * (docs/store.md). Reads the store only: never creates, migrates or changes it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "report/format.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static void usage(FILE *out) {
    fputs(
        "usage: rootwatch alerts list [--store PATH] [--format table|json|ndjson] [--since WHEN]\n"
        "                             [--state pending|sending|sent|failed] [--limit N]\n"
        "       rootwatch alerts show EVENT_ID|ID [--store PATH] [--format text|json]\n"
        "\n"
        "The alerts rootwatch has notified, and the state of each delivery, as kept in the\n"
        "local store (docs/store.md). The store is only read.\n"
        "\n"
        "list   one line per alert, newest first: when it was detected, the event's time, the\n"
        "       account, the event, severity and rule, and its deliveries (slack:sent\n"
        "       webhook:pending(2): channel, state, and attempts so far)\n"
        "         --since WHEN   alerts detected since WHEN: a time (2026-11-20T10:00:00Z)\n"
        "                        or a duration before now (7d, 12h)\n"
        "         --state STATE  alerts with a delivery in STATE (pending: not delivered yet,\n"
        "                        sending included)\n"
        "         --limit N      the N newest only\n"
        "         --format       table (the default), json (an array), ndjson (one object a\n"
        "                        line, with the whole alert under \"alert\")\n"
        "show   one alert (by eventID, or by the store's id) with its JSON and every delivery:\n"
        "       state, attempts, next attempt, last error, when it was sent\n"
        "\n"
        "options (list and show):\n"
        "      --store PATH        the store (default: $ROOTWATCH_STORE, else\n"
        "                          $XDG_STATE_HOME/rootwatch/rootwatch.db, else\n"
        "                          ~/.local/state/rootwatch/rootwatch.db)\n" RW_CLI_VERBOSITY_HELP
        "                          (-v names the store read)\n"
        "  -h, --help              show this help\n"
        "\n"
        "Exit status: 0 success; 1 show found no such alert; 2 an error (no store, a damaged\n"
        "store, a usage error).\n",
        out);
}

static int usage_error(const char *fmt, const char *arg) {
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    rw_error_set(RW_EINVAL, "alerts: %s", msg);
    return rw_cli_usage_error("alerts");
}

/* Opens the store for reading: 0, or 2 with the error reported. */
static int open_store(const char *opt, rw_store **s) {
    /* --store, else the configuration's store:, else the default (docs/notify.md) */
    char *path = opt ? rw_xstrdup(opt) : rw_notify_config_store();
    if (!path) path = rw_store_default_path();
    int rc = rw_store_open_readonly(s, path);
    if (rc == RW_ENOTFOUND)
        rw_log_error("no store at %s (nothing has been notified yet)", path);
    else if (rc)
        rw_log_error("%s", rw_error_last());
    else
        rw_log_info("the store read: %s", path);
    free(path);
    return rc ? 2 : 0;
}

/* ---- output --------------------------------------------------------------------------------- */

static void fmt_ms(int64_t ms, char out[32]) {
    int64_t s = ms / 1000 - (ms % 1000 < 0);
    rw_time_format(s, out);
}

static const char *or_dash(const char *s) {
    return s && *s ? s : "-";
}

/* "slack:sent webhook:pending(2)": the attempts shown when not simply sent at the first. */
static void put_summary(rw_buf *b, const rw_store_alert_info *a) {
    if (!a->ndeliveries) rw_buf_putc(b, '-');
    for (size_t i = 0; i < a->ndeliveries; i++) {
        const rw_store_delivery_info *d = &a->deliveries[i];
        rw_buf_printf(b, "%s%s:%s", i ? " " : "", d->channel,
                      rw_store_delivery_state_name(d->state));
        if (d->state == RW_DELIVERY_SENT ? d->attempts > 1 : d->attempts > 0)
            rw_buf_printf(b, "(%d)", d->attempts);
    }
}

static void put_json_str(rw_buf *b, const char *key, const char *v) {
    rw_buf_printf(b, ",\"%s\":", key);
    if (v)
        rw_json_write_str(b, v, strlen(v));
    else
        rw_buf_puts(b, "null");
}

static void put_json_time(rw_buf *b, const char *key, bool has, int64_t ms) {
    char t[32];
    fmt_ms(ms, t);
    rw_buf_printf(b, ",\"%s\":", key);
    if (has)
        rw_buf_printf(b, "\"%s\"", t);
    else
        rw_buf_puts(b, "null");
}

/* One alert as a JSON object: the store's view, then the whole alert under "alert". */
static void put_json(rw_buf *b, const rw_store_alert_info *a, rw_json_doc *doc) {
    rw_buf_printf(b, "{\"id\":%lld", (long long)a->id);
    put_json_str(b, "eventID", a->event_id);
    put_json_str(b, "eventTime", a->event_time);
    put_json_str(b, "account", a->account);
    put_json_str(b, "region", a->region);
    put_json_str(b, "eventName", a->event_name);
    put_json_str(b, "rule", a->rule);
    put_json_str(b, "severity", a->severity);
    put_json_time(b, "detected", true, a->detected_ms);
    rw_buf_puts(b, ",\"deliveries\":[");
    for (size_t i = 0; i < a->ndeliveries; i++) {
        const rw_store_delivery_info *d = &a->deliveries[i];
        rw_buf_puts(b, i ? ",{\"channel\":" : "{\"channel\":");
        rw_json_write_str(b, d->channel ? d->channel : "", d->channel ? strlen(d->channel) : 0);
        put_json_str(b, "state", rw_store_delivery_state_name(d->state));
        rw_buf_printf(b, ",\"attempts\":%d", d->attempts);
        put_json_time(b, "nextAttempt", d->state == RW_DELIVERY_PENDING, d->next_ms);
        put_json_str(b, "lastError", d->last_error);
        put_json_time(b, "updated", true, d->updated_ms);
        put_json_time(b, "sent", d->state == RW_DELIVERY_SENT && d->sent_ms, d->sent_ms);
        rw_buf_putc(b, '}');
    }
    rw_buf_puts(b, "],\"alert\":");
    const char *js = a->alert_json ? a->alert_json : "";
    if (rw_json_doc_parse(doc, js, strlen(js)) == RW_OK)
        rw_json_write(b, rw_json_doc_root(doc));
    else /* damaged: shown as text rather than breaking the output */
        rw_json_write_str(b, js, strlen(js));
    rw_buf_putc(b, '}');
}

/* Writes b (made safe for a terminal when asked) and empties it. */
static void flush_buf(rw_buf *b, bool term) {
    if (term && b->len) rw_format_term_safe(b->data, b->len);
    if (b->len) fwrite(b->data, 1, b->len, stdout);
    rw_buf_reset(b);
}

/* ---- list ----------------------------------------------------------------------------------- */

typedef enum out_format { OUT_TABLE, OUT_TEXT = OUT_TABLE, OUT_JSON, OUT_NDJSON } out_format;

typedef struct list_ctx {
    out_format fmt;
    size_t n;
    rw_buf b;
    rw_json_doc *doc;
} list_ctx;

/* EVENT fits the longest names AWS uses for root-relevant calls (CreateServiceSpecificCredential)
 */
#define TABLE_ROW "%-20s  %-20s  %-12s  %-31s  %-8s  %-22s  "

static int list_one(void *vctx, const rw_store_alert_info *a) {
    list_ctx *c = vctx;
    if (c->fmt == OUT_TABLE) {
        if (c->n == 0)
            printf(TABLE_ROW "%s\n", "DETECTED", "EVENT TIME", "ACCOUNT", "EVENT", "SEVERITY",
                   "RULE", "DELIVERIES");
        char det[32];
        fmt_ms(a->detected_ms, det);
        rw_buf_printf(&c->b, TABLE_ROW, det, or_dash(a->event_time), or_dash(a->account),
                      or_dash(a->event_name), or_dash(a->severity), or_dash(a->rule));
        put_summary(&c->b, a);
        flush_buf(&c->b, true);
        putchar('\n');
    } else {
        if (c->fmt == OUT_JSON) rw_buf_puts(&c->b, c->n ? ",\n" : "[\n");
        put_json(&c->b, a, c->doc);
        if (c->fmt == OUT_NDJSON) rw_buf_putc(&c->b, '\n');
        flush_buf(&c->b, false);
    }
    c->n++;
    return ferror(stdout) ? rw_error_set(RW_EIO, "writing the output: %s", strerror(errno)) : RW_OK;
}

static int parse_state(const char *s, int *out) {
    static const rw_delivery_state all[] = {RW_DELIVERY_PENDING, RW_DELIVERY_SENDING,
                                            RW_DELIVERY_SENT, RW_DELIVERY_FAILED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, rw_store_delivery_state_name(all[i])) == 0) {
            *out = (int)all[i];
            return 0;
        }
    return -1;
}

static int parse_limit(const char *s, size_t *out) {
    if (!*s) return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno || v == 0) return -1;
    *out = (size_t)v;
    return 0;
}

enum { O_STORE = 256, O_FORMAT, O_SINCE, O_STATE, O_LIMIT };

static int cmd_list(int argc, char **argv) {
    static const struct option opts[] = {{"store", required_argument, 0, O_STORE},
                                         {"format", required_argument, 0, O_FORMAT},
                                         {"since", required_argument, 0, O_SINCE},
                                         {"state", required_argument, 0, O_STATE},
                                         {"limit", required_argument, 0, O_LIMIT},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *store = NULL;
    list_ctx c = {.fmt = OUT_TABLE};
    rw_store_query q = {.since_ms = INT64_MIN, .state = -1, .limit = 0};
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(opt)) continue;
        switch (opt) {
        case O_STORE:
            store = optarg;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "table") == 0)
                c.fmt = OUT_TABLE;
            else if (strcmp(optarg, "json") == 0)
                c.fmt = OUT_JSON;
            else if (strcmp(optarg, "ndjson") == 0)
                c.fmt = OUT_NDJSON;
            else
                return usage_error("unknown format '%s' (table, json or ndjson)", optarg);
            break;
        case O_SINCE: {
            int64_t t;
            if (rw_time_parse_when(optarg, rw_time_now(), &t) != RW_OK)
                return usage_error("--since: %s", rw_error_last());
            q.since_ms = t > INT64_MAX / 1000   ? INT64_MAX
                         : t < INT64_MIN / 1000 ? INT64_MIN
                                                : t * 1000;
            break;
        }
        case O_STATE:
            if (parse_state(optarg, &q.state) != 0)
                return usage_error("unknown state '%s' (pending, sending, sent or failed)", optarg);
            break;
        case O_LIMIT:
            if (parse_limit(optarg, &q.limit) != 0)
                return usage_error("--limit wants a positive number, not '%s'", optarg);
            break;
        default:
            return rw_cli_help_or_bad_option(opt, argv, "alerts", usage);
        }
    }
    if (optind < argc) return usage_error("alerts list takes no argument ('%s')", argv[optind]);
    rw_store *s = NULL;
    if (open_store(store, &s)) return 2;
    rw_buf_init(&c.b, RW_BUF_DEFAULT_MAX);
    c.doc = rw_json_doc_new(NULL);
    int rc = rw_store_list(s, &q, list_one, &c);
    if (rc == RW_OK) {
        if (c.fmt == OUT_JSON) fputs(c.n ? "\n]\n" : "[]\n", stdout);
        if (c.fmt == OUT_TABLE && c.n == 0) puts("No alerts.");
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = rw_error_set(RW_EIO, "writing the output: %s", strerror(errno));
    }
    if (rc) rw_log_error("%s", rw_error_last());
    rw_json_doc_free(c.doc);
    rw_buf_free(&c.b);
    rw_store_close(s);
    return rc ? 2 : 0;
}

/* ---- show ----------------------------------------------------------------------------------- */

static void show_text(rw_buf *b, const rw_store_alert_info *a) {
    char t[32];
    fmt_ms(a->detected_ms, t);
    rw_buf_printf(b, "alert %lld\n", (long long)a->id);
    rw_buf_printf(b, "  eventID     %s\n", or_dash(a->event_id));
    rw_buf_printf(b, "  detected    %s\n", t);
    rw_buf_printf(b, "  event time  %s\n", or_dash(a->event_time));
    rw_buf_printf(b, "  event       %s\n", or_dash(a->event_name));
    rw_buf_printf(b, "  account     %s\n", or_dash(a->account));
    rw_buf_printf(b, "  region      %s\n", or_dash(a->region));
    rw_buf_printf(b, "  severity    %s\n", or_dash(a->severity));
    rw_buf_printf(b, "  rule        %s\n", or_dash(a->rule));
    rw_buf_puts(b, "\ndeliveries:\n");
    if (!a->ndeliveries) rw_buf_puts(b, "  (none: no channel wanted this alert)\n");
    for (size_t i = 0; i < a->ndeliveries; i++) {
        const rw_store_delivery_info *d = &a->deliveries[i];
        rw_buf_printf(b, "  %-16s %-8s %d attempt%s", d->channel ? d->channel : "?",
                      rw_store_delivery_state_name(d->state), d->attempts,
                      d->attempts == 1 ? "" : "s");
        switch (d->state) {
        case RW_DELIVERY_PENDING:
            fmt_ms(d->next_ms, t);
            rw_buf_printf(b, ", next attempt %s", t);
            break;
        case RW_DELIVERY_SENDING:
            fmt_ms(d->updated_ms, t);
            rw_buf_printf(b, ", sending since %s", t);
            break;
        case RW_DELIVERY_SENT:
            fmt_ms(d->sent_ms, t);
            rw_buf_printf(b, ", sent %s", t);
            break;
        case RW_DELIVERY_FAILED:
            fmt_ms(d->updated_ms, t);
            rw_buf_printf(b, ", given up %s", t);
            break;
        }
        if (d->last_error) rw_buf_printf(b, "\n  %-16s last error: %s", "", d->last_error);
        rw_buf_putc(b, '\n');
    }
    rw_buf_printf(b, "\nalert JSON:\n%s\n", a->alert_json ? a->alert_json : "");
}

static int cmd_show(int argc, char **argv) {
    static const struct option opts[] = {{"store", required_argument, 0, O_STORE},
                                         {"format", required_argument, 0, O_FORMAT},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *store = NULL;
    out_format fmt = OUT_TEXT;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(opt)) continue;
        switch (opt) {
        case O_STORE:
            store = optarg;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "text") == 0)
                fmt = OUT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                fmt = OUT_JSON;
            else
                return usage_error("unknown format '%s' (text or json)", optarg);
            break;
        default:
            return rw_cli_help_or_bad_option(opt, argv, "alerts", usage);
        }
    }
    if (argc - optind != 1) return usage_error("%s", "alerts show wants one EVENT_ID or ID");
    const char *key = argv[optind];
    rw_store *s = NULL;
    if (open_store(store, &s)) return 2;
    rw_store_alert_info *a = NULL;
    int rc = rw_store_find(s, key, &a), ret = 0;
    if (rc == RW_ENOTFOUND) {
        rw_log_error("%s", rw_error_last());
        ret = 1;
    } else if (rc) {
        rw_log_error("%s", rw_error_last());
        ret = 2;
    } else {
        rw_buf b;
        rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
        if (fmt == OUT_JSON) {
            rw_json_doc *doc = rw_json_doc_new(NULL);
            put_json(&b, a, doc);
            rw_buf_putc(&b, '\n');
            rw_json_doc_free(doc);
            flush_buf(&b, false);
        } else {
            show_text(&b, a);
            /* term-safe keeps newlines: made safe line by line */
            for (char *p = b.data, *end = b.data + b.len; p < end;) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                rw_format_term_safe(p, n);
                p += n + 1;
            }
            flush_buf(&b, false);
        }
        rw_buf_free(&b);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            rw_log_error("writing the output: %s", strerror(errno));
            ret = 2;
        }
    }
    rw_store_alert_info_free(a);
    rw_store_close(s);
    return ret;
}

int rw_cmd_alerts(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(sub, "list") == 0) return cmd_list(argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0) return cmd_show(argc - 1, argv + 1);
    return usage_error("unknown subcommand '%s' (list or show)", sub);
}

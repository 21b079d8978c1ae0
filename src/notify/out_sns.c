/* The SNS channel: AWS's own blog solution ("How to receive notifications when your AWS account's
 * root access keys are used"), an SNS topic that people and programs subscribe to.
 *
 * Publish with AWS's exact subject (rw_render_sns_subject) and MessageStructure=json: the readable
 * text for "default" and "email", the alert JSON for the protocols programs read ("email-json",
 * "sqs", "lambda", "http", "https", "firehose"). Message attributes severity, account, rule,
 * eventName and eventID (String) let subscribers filter. A message over SNS's 256 KiB limit is
 * sent without the CloudTrail record ("event" dropped, "eventOmitted": true).
 *
 * The subject names the account by its alias (iam:ListAccountAliases, the first one) when the
 * alert's account is the account of rootwatch's own credentials (sts:GetCallerIdentity); for any
 * other account (an organization trail) rootwatch cannot read the alias, and the subject has the
 * account ID. Aliases are looked up once per account and kept for the life of the process. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "notify/notify.h"
#include "notify/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* SNS's limit for one message: the message, the subject and the attributes together. */
#define SNS_MAX_BYTES 262144

static const rw_opt_spec opts[] = {
    {"topic_arn", RW_OPT_STRING, NULL, true, "the topic's ARN: arn:aws:sns:REGION:ACCOUNT:NAME"},
    {"region", RW_OPT_STRING, NULL, false, "the topic's region (default: the one in topic_arn)"},
    {NULL, 0, NULL, false, NULL},
};

typedef struct sns_state {
    char *region;
    bool fifo;
    rw_aws_client *client; /* made on the first send */
} sns_state;

/* ---- the alias cache, shared by every SNS channel of the process ---- */

typedef struct alias_entry {
    char *account;
    char *alias; /* NULL: the account has none (or it could not be read: the account ID is used) */
} alias_entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static alias_entry *cache;
static size_t ncache;
static char *caller_account; /* sts:GetCallerIdentity's, once known */

static bool cache_get(const char *account, char **alias) {
    bool found = false;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < ncache; i++)
        if (!strcmp(cache[i].account, account)) {
            *alias = cache[i].alias ? rw_xstrdup(cache[i].alias) : NULL;
            found = true;
            break;
        }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

static void cache_put(const char *account, const char *alias) {
    pthread_mutex_lock(&cache_lock);
    bool known = false;
    for (size_t i = 0; i < ncache && !known; i++) known = !strcmp(cache[i].account, account);
    if (!known) {
        cache = rw_xrealloc(cache, (ncache + 1) * sizeof *cache);
        cache[ncache].account = rw_xstrdup(account);
        cache[ncache].alias = alias ? rw_xstrdup(alias) : NULL;
        ncache++;
    }
    pthread_mutex_unlock(&cache_lock);
}

/* The account of rootwatch's credentials (a new string), or NULL when STS cannot say. */
static char *caller(sns_state *st) {
    pthread_mutex_lock(&cache_lock);
    char *acct = caller_account ? rw_xstrdup(caller_account) : NULL;
    pthread_mutex_unlock(&cache_lock);
    if (acct) return acct;
    rw_xml *x = NULL;
    if (rw_aws_query(st->client, &rw_aws_sts, st->region, "GetCallerIdentity", NULL, &x) != RW_OK) {
        rw_log_warn("SNS subject: cannot tell the account of rootwatch's credentials, so the "
                    "account alias is not looked up: %s",
                    rw_error_last());
        return NULL;
    }
    const char *a = rw_xml_text(x, "GetCallerIdentityResult/Account");
    if (a && *a) {
        acct = rw_xstrdup(a);
        pthread_mutex_lock(&cache_lock);
        if (!caller_account) caller_account = rw_xstrdup(a);
        pthread_mutex_unlock(&cache_lock);
    }
    rw_xml_free(x);
    return acct;
}

/* The name for the subject: the account's alias, else its ID (a new string; NULL when the alert
 * has no account and STS cannot tell one). */
static char *account_name(sns_state *st, const rw_notice *n) {
    const char *acct = rw_notice_field(n, "account");
    char *alias = NULL;
    if (*acct && cache_get(acct, &alias)) return alias ? alias : rw_xstrdup(acct);
    char *me = caller(st);
    if (!*acct && !me) return NULL;
    if (!*acct) acct = me;
    if (!me || strcmp(me, acct)) {
        /* another account's alias is out of reach of these credentials */
        char *out = rw_xstrdup(acct);
        free(me);
        return out;
    }
    if (cache_get(acct, &alias)) {
        free(me);
        return alias ? alias : rw_xstrdup(acct);
    }
    rw_xml *x = NULL;
    int rc = rw_aws_query(st->client, &rw_aws_iam, st->region, "ListAccountAliases", NULL, &x);
    if (rc == RW_OK) {
        const char *a = rw_xml_text(x, "ListAccountAliasesResult/AccountAliases/member");
        cache_put(acct, a && *a ? a : NULL);
        alias = a && *a ? rw_xstrdup(a) : NULL;
    } else {
        const rw_aws_error *e = rw_aws_client_error(st->client);
        rw_log_warn("SNS subject: the alias of account %s cannot be read, its ID is used: %s", acct,
                    rw_error_last());
        /* a refusal (AccessDenied) will not change: do not ask again; a network error may */
        if (e->status >= 400 && e->status < 500 && rc != RW_ERETRY) cache_put(acct, NULL);
    }
    rw_xml_free(x);
    char *out = alias ? alias : rw_xstrdup(acct);
    free(me);
    return out;
}

/* ---- the message ---- */

/* Appends n bytes of s with what SNS refuses replaced by '?': invalid UTF-8, control characters
 * other than tab and line breaks, U+FFFE and U+FFFF (outside XML's characters). */
static void put_clean(rw_buf *b, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t k = rw_json_utf8_valid_prefix(s + i, n - i);
        size_t start = i;
        for (size_t j = i; j < i + k; j++) {
            unsigned char c = (unsigned char)s[j];
            bool bad = (c < 0x20 && c != '\t' && c != '\n' && c != '\r');
            size_t skip = 1;
            if (c == 0xEF && j + 2 < i + k && (unsigned char)s[j + 1] == 0xBF &&
                ((unsigned char)s[j + 2] == 0xBE || (unsigned char)s[j + 2] == 0xBF)) {
                bad = true;
                skip = 3;
            }
            if (bad) {
                rw_buf_append(b, s + start, j - start);
                rw_buf_putc(b, '?');
                start = j + skip;
                j += skip - 1;
            }
        }
        rw_buf_append(b, s + start, i + k - start);
        i += k;
        if (i < n) { /* an invalid byte */
            rw_buf_putc(b, '?');
            i++;
        }
    }
}

static char *clean(const char *s, size_t n) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_puts(&b, "");
    put_clean(&b, s, n);
    return rw_buf_take(&b);
}

/* the longest string kept in a message that is too large even without the CloudTrail record */
#define CUT_STRING 1024
/* ... and its readable text */
#define CUT_TEXT 16384

/* s cut to at most max bytes, at a character's boundary, "..." added when cut: a new string */
static char *cut(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n <= max) return clean(s, n);
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    put_clean(&b, s, rw_json_utf8_valid_prefix(s, max));
    rw_buf_puts(&b, "...");
    return rw_buf_take(&b);
}

/* v as JSON with every string longer than CUT_STRING cut, at any depth */
static void write_cut(rw_buf *b, const rw_json *v) {
    if (v->type == RW_JSON_STRING && v->len > CUT_STRING) {
        rw_json_write_str(b, v->str, rw_json_utf8_valid_prefix(v->str, CUT_STRING));
    } else if (v->type == RW_JSON_ARRAY || v->type == RW_JSON_OBJECT) {
        bool obj = v->type == RW_JSON_OBJECT;
        rw_buf_putc(b, obj ? '{' : '[');
        for (const rw_json *c = v->child; c; c = c->next) {
            if (c != v->child) rw_buf_putc(b, ',');
            if (obj) {
                rw_json_write_str(b, c->key, c->key_len);
                rw_buf_putc(b, ':');
            }
            write_cut(b, c);
        }
        rw_buf_putc(b, obj ? '}' : ']');
    } else {
        rw_json_write(b, v);
    }
}

/* The alert JSON, without its "event" when omit_event (then with "eventOmitted": true); with
 * cut_strings too, every string longer than CUT_STRING is cut ("stringsCut": true). */
static char *alert_json(const rw_notice *n, bool omit_event, bool cut_strings) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_puts(&b, "");
    if (!omit_event || !n->alert || n->alert->type != RW_JSON_OBJECT) {
        put_clean(&b, n->alert_json, n->alert_len);
        return rw_buf_take(&b);
    }
    rw_buf raw;
    rw_buf_init(&raw, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&raw, '{');
    bool first = true;
    for (const rw_json *m = n->alert->child; m; m = m->next) {
        if (!strcmp(m->key, "event") || !strcmp(m->key, "eventOmitted") ||
            !strcmp(m->key, "stringsCut"))
            continue;
        if (!first) rw_buf_putc(&raw, ',');
        first = false;
        rw_json_write_str(&raw, m->key, m->key_len);
        rw_buf_putc(&raw, ':');
        if (cut_strings)
            write_cut(&raw, m);
        else
            rw_json_write(&raw, m);
    }
    rw_buf_printf(&raw, "%s\"eventOmitted\":true%s}", first ? "" : ",",
                  cut_strings ? ",\"stringsCut\":true" : "");
    put_clean(&b, raw.data, raw.len);
    rw_buf_free(&raw);
    return rw_buf_take(&b);
}

/* The Message for MessageStructure=json. */
static char *structured(const char *text, const char *json) {
    static const char *const json_protocols[] = {"email-json", "sqs",   "lambda",
                                                 "http",       "https", "firehose"};
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_buf_puts(&b, "{\"default\":");
    rw_json_write_str(&b, text, strlen(text));
    rw_buf_puts(&b, ",\"email\":");
    rw_json_write_str(&b, text, strlen(text));
    for (size_t i = 0; i < sizeof json_protocols / sizeof json_protocols[0]; i++) {
        rw_buf_printf(&b, ",\"%s\":", json_protocols[i]);
        rw_json_write_str(&b, json, strlen(json));
    }
    rw_buf_putc(&b, '}');
    return rw_buf_take(&b);
}

/* A FIFO topic's deduplication ID: the eventID when it is made of what SNS accepts (letters,
 * digits, punctuation; at most 128), else its FNV-1a hash. */
static void dedup_id(const char *id, char out[129]) {
    size_t n = strlen(id);
    bool ok = n > 0 && n <= 128;
    for (size_t i = 0; ok && i < n; i++) ok = id[i] > 0x20 && id[i] < 0x7f;
    if (ok) {
        memcpy(out, id, n + 1);
        return;
    }
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)id[i]) * 1099511628211ULL;
    snprintf(out, 129, "rootwatch-%016llx", (unsigned long long)h);
}

/* ---- the channel ---- */

static int open_sns(rw_channel *ch) {
    const char *arn = rw_opt_str(ch->opts, "topic_arn");
    /* arn:PARTITION:sns:REGION:ACCOUNT:NAME */
    char *parts[6] = {0};
    char *copy = rw_xstrdup(arn);
    size_t np = 0;
    for (char *p = copy, *colon; np < 6; p = colon + 1) {
        parts[np++] = p;
        colon = strchr(p, ':');
        if (!colon) break;
        if (np < 6) *colon = 0;
    }
    bool ok = np == 6 && !strcmp(parts[0], "arn") && *parts[1] && !strcmp(parts[2], "sns") &&
              strlen(parts[4]) == 12 && strspn(parts[4], "0123456789") == 12 && *parts[5] &&
              strlen(parts[5]) <= 256;
    for (const char *p = ok ? parts[5] : ""; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '-' || *p == '_' || *p == '.';
    if (!ok) {
        free(copy);
        return rw_error_set(RW_EINVAL,
                            "channel %s: option topic_arn: '%s' is not a topic's ARN "
                            "(arn:aws:sns:REGION:ACCOUNT:NAME)",
                            ch->name, arn);
    }
    const char *region = rw_opt_str(ch->opts, "region");
    if (!region || !*region) region = parts[3];
    if (!*region) {
        free(copy);
        return rw_error_set(RW_EINVAL, "channel %s: the topic's ARN has no region: give region",
                            ch->name);
    }
    sns_state *st = rw_xcalloc(1, sizeof *st);
    st->region = rw_xstrdup(region);
    size_t nl = strlen(parts[5]);
    st->fifo = nl > 5 && !strcmp(parts[5] + nl - 5, ".fifo");
    free(copy);
    ch->state = st;
    return RW_OK;
}

static void close_sns(rw_channel *ch) {
    sns_state *st = ch->state;
    if (!st) return;
    rw_aws_client_free(st->client);
    free(st->region);
    free(st);
    ch->state = NULL;
}

static int fail(rw_send_result *res, bool retryable, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(rw_send_result *res, bool retryable, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
    res->retryable = retryable;
    rw_error_set(code, "%s", res->error);
    return code;
}

static int send_sns(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    sns_state *st = ch->state;
    res->retryable = false;
    res->error[0] = 0;
    res->retry_after_ms = 0;
    if (!st->client) {
        rw_aws_session *s = ch->env ? rw_notify_aws(ch->env) : NULL;
        if (!s)
            return fail(res, false, RW_EINVAL, "channel %s: the AWS settings: %s", ch->name,
                        ch->env ? rw_error_last() : "no AWS environment");
        st->client = rw_aws_client_new(s->cfg, s->creds, NULL);
    }
    char *name = account_name(st, n);
    char *subject = rw_render_sns_subject(n, name);
    char *text_raw = rw_render_text(n, name);
    char *text = clean(text_raw, strlen(text_raw));
    free(text_raw);

    /* the attributes subscribers filter on (empty values are not allowed by SNS: left out) */
    static const char *const attr_names[] = {"severity", "account", "rule", "eventName", "eventID"};
    static const char *const attr_params[][3] = {
        {"MessageAttributes.entry.1.Name", "MessageAttributes.entry.1.Value.DataType",
         "MessageAttributes.entry.1.Value.StringValue"},
        {"MessageAttributes.entry.2.Name", "MessageAttributes.entry.2.Value.DataType",
         "MessageAttributes.entry.2.Value.StringValue"},
        {"MessageAttributes.entry.3.Name", "MessageAttributes.entry.3.Value.DataType",
         "MessageAttributes.entry.3.Value.StringValue"},
        {"MessageAttributes.entry.4.Name", "MessageAttributes.entry.4.Value.DataType",
         "MessageAttributes.entry.4.Value.StringValue"},
        {"MessageAttributes.entry.5.Name", "MessageAttributes.entry.5.Value.DataType",
         "MessageAttributes.entry.5.Value.StringValue"},
    };
    enum { NATTR = sizeof attr_names / sizeof attr_names[0] };
    char *attr_values[NATTR] = {0};
    size_t attr_bytes = 0;
    for (size_t i = 0; i < NATTR; i++) {
        const char *v = rw_notice_field(n, attr_names[i]);
        if (!*v) continue;
        attr_values[i] = clean(v, strlen(v));
        attr_bytes += strlen(attr_names[i]) + strlen("String") + strlen(attr_values[i]);
    }

    char *json = alert_json(n, false, false);
    char *message = structured(text, json);
    bool omitted = false;
    if (strlen(message) + strlen(subject) + attr_bytes > SNS_MAX_BYTES) {
        free(json);
        free(message);
        json = alert_json(n, true, false);
        message = structured(text, json);
        omitted = true;
    }
    if (strlen(message) + strlen(subject) + attr_bytes > SNS_MAX_BYTES) {
        /* still too large: the alert's own strings are (a hostile eventName or userAgent of a
         * megabyte): they are cut, so that the alert is still heard of */
        rw_log_warn("channel %s: event %s: strings of the alert cut to %d bytes (over SNS's 256 "
                    "KiB without the CloudTrail record)",
                    ch->name, n->event_id ? n->event_id : "-", CUT_STRING);
        free(json);
        free(message);
        char *t = cut(text, CUT_TEXT);
        free(text);
        text = t;
        attr_bytes = 0;
        for (size_t i = 0; i < NATTR; i++) {
            if (!attr_values[i]) continue;
            char *v = cut(attr_values[i], CUT_STRING);
            free(attr_values[i]);
            attr_values[i] = v;
            attr_bytes += strlen(attr_names[i]) + strlen("String") + strlen(v);
        }
        json = alert_json(n, true, true);
        message = structured(text, json);
    }
    int rc = RW_OK;
    if (strlen(message) + strlen(subject) + attr_bytes > SNS_MAX_BYTES) {
        rc = fail(res, false, RW_ELIMIT,
                  "channel %s: the message is larger than SNS's 256 KiB even without the "
                  "CloudTrail record and with its strings cut",
                  ch->name);
        goto done;
    }
    if (omitted)
        rw_log_info("channel %s: event %s: the CloudTrail record is left out of the SNS message "
                    "(over SNS's 256 KiB)",
                    ch->name, n->event_id ? n->event_id : "-");

    const char *params[2 * (6 + 3 * NATTR) + 1];
    size_t np = 0;
    params[np++] = "TopicArn";
    params[np++] = rw_opt_str(ch->opts, "topic_arn");
    params[np++] = "Subject";
    params[np++] = subject;
    params[np++] = "Message";
    params[np++] = message;
    params[np++] = "MessageStructure";
    params[np++] = "json";
    char dedup[129];
    if (st->fifo) {
        /* one group per account keeps each account's alerts in order */
        const char *acct = rw_notice_field(n, "account");
        params[np++] = "MessageGroupId";
        params[np++] = *acct ? acct : "rootwatch";
        dedup_id(n->event_id ? n->event_id : rw_notice_field(n, "eventID"), dedup);
        params[np++] = "MessageDeduplicationId";
        params[np++] = dedup;
    }
    for (size_t i = 0, k = 0; i < NATTR; i++) {
        if (!attr_values[i]) continue;
        params[np++] = attr_params[k][0];
        params[np++] = attr_names[i];
        params[np++] = attr_params[k][1];
        params[np++] = "String";
        params[np++] = attr_params[k][2];
        params[np++] = attr_values[i];
        k++;
    }
    params[np] = NULL;

    rw_xml *x = NULL;
    rc = rw_aws_query(st->client, &rw_aws_sns, st->region, "Publish", params, &x);
    if (rc == RW_OK) {
        const char *id = rw_xml_text(x, "PublishResult/MessageId");
        rw_log_debug("channel %s: published to SNS as message %s", ch->name, id ? id : "-");
    } else {
        const rw_aws_error *e = rw_aws_client_error(st->client);
        /* throttling, 5xx and the network were retried by the client: worth trying later;
         * AuthorizationError, NotFound, InvalidParameter ... are not (KMS throttling is) */
        bool retry = rc == RW_ERETRY || (e->status == 0 && rc != RW_EINVAL) ||
                     !strcmp(e->code, "KMSThrottling");
        char msg[400];
        snprintf(msg, sizeof msg, "%s", rw_error_last());
        rc = fail(res, retry, rc, "channel %s: %s", ch->name, msg);
    }
    rw_xml_free(x);
done:
    for (size_t i = 0; i < NATTR; i++) free(attr_values[i]);
    free(json);
    free(message);
    free(text);
    free(subject);
    free(name);
    return rc;
}

const rw_channel_type rw_channel_sns = {
    .type = "sns",
    .summary = "an SNS topic, as AWS's blog solution: its subject, the text for email, the alert "
               "JSON for programs, attributes to filter on",
    .opts = opts,
    .idempotency_key = true,
    .open = open_sns,
    .send = send_sns,
    .close = close_sns,
};

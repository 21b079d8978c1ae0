#include "lambda/function.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/provider.h"
#include "engine/engine.h"
#include "lambda/idempotency.h"
#include "notify/dispatch.h"
#include "sources/in_lambda.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* the name of the channel made for SNS_TOPIC_ARN (in the store and the log) */
#define SNS_CHANNEL "sns-topic"
/* the time kept, before the invocation's deadline, to post the answer */
#define ANSWER_MS 250

struct rw_lambda_fn {
    rw_lambda_fn_opts o;
    char *store_path;
    rw_notify_config *sns; /* the one channel for SNS_TOPIC_ARN */
    rw_store *store;
    rw_lambda_idem *idem; /* IDEMPOTENCY_TABLE, or NULL */
    /* the invocation in hand */
    int64_t deadline_ms;
    uint64_t published, known, claimed_elsewhere;
    bool deadline_hit, publish_failed;
    char *last_error;
};

/* A setting's value as a message shows it: what is not printable ASCII as '?', cut at max bytes
 * ("..." then). A new string. */
static char *shown(const char *s, size_t max) {
    size_t n = strlen(s);
    rw_buf b;
    rw_buf_init(&b, 0);
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        rw_buf_putc(&b, c < 0x20 || c >= 0x7f ? '?' : (char)c);
    }
    if (n > max) rw_buf_puts(&b, "...");
    rw_buf_puts(&b, "");
    return rw_buf_take(&b);
}

int rw_lambda_topic_check(const char *arn) {
    if (!arn || !*arn)
        return rw_error_set(RW_EINVAL, "SNS_TOPIC_ARN is not set: it names the SNS topic root "
                                       "alerts are published to (arn:aws:sns:REGION:ACCOUNT:NAME)");
    /* arn:PARTITION:sns:REGION:ACCOUNT:NAME, as the sns channel checks it */
    const char *p = arn;
    const char *parts[6];
    size_t lens[6], np = 0;
    while (np < 6) {
        const char *c = np < 5 ? strchr(p, ':') : NULL;
        parts[np] = p;
        lens[np] = c ? (size_t)(c - p) : strlen(p);
        np++;
        if (!c) break;
        p = c + 1;
    }
    bool ok = np == 6 && lens[0] == 3 && !strncmp(parts[0], "arn", 3) && lens[1] > 0 &&
              lens[2] == 3 && !strncmp(parts[2], "sns", 3) && lens[3] > 0 && lens[4] == 12 &&
              strspn(parts[4], "0123456789") >= 12 && lens[5] > 0 && lens[5] <= 256;
    for (size_t i = 0; ok && i < lens[3]; i++)
        ok = (parts[3][i] >= 'a' && parts[3][i] <= 'z') ||
             (parts[3][i] >= '0' && parts[3][i] <= '9') || parts[3][i] == '-';
    for (size_t i = 0; ok && i < lens[5]; i++) {
        char c = parts[5][i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_' || c == '.';
    }
    if (!ok) {
        char *v = shown(arn, 200);
        int rc = rw_error_set(RW_EINVAL,
                              "SNS_TOPIC_ARN '%s' is not an SNS topic's ARN "
                              "(arn:aws:sns:REGION:ACCOUNT:NAME)",
                              v);
        free(v);
        return rc;
    }
    return RW_OK;
}

/* IDEMPOTENCY_TABLE: a table's name (3 to 255 of A-Z a-z 0-9 _ . -) or its ARN, which
 * DynamoDB takes as TableName too */
static int table_check(const char *t) {
    size_t n = strlen(t);
    const char *name = t;
    if (!strncmp(t, "arn:", 4)) {
        const char *slash = strstr(t, ":table/");
        name = slash ? slash + 7 : "";
    }
    size_t k = strlen(name);
    if (k >= 3 && k <= 255 &&
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == k &&
        n <= 1024)
        return RW_OK;
    char *v = shown(t, 100);
    int rc = rw_error_set(RW_EINVAL,
                          "IDEMPOTENCY_TABLE '%s' is not a DynamoDB table's name (3 to 255 of "
                          "A-Z a-z 0-9 _ . -) or ARN",
                          v);
    free(v);
    return rc;
}

/* What every invocation needs from AWS, checked once at start so that a mistake is the init
 * error naming the variable, not a failure of every invocation: the settings (AWS_REGION,
 * AWS_MAX_ATTEMPTS, ...), credentials (Lambda sets them from the function's role), and endpoint
 * URLs that are URLs. */
static int aws_check(rw_lambda_fn *fn) {
    rw_aws_session *s = rw_notify_aws(&fn->sns->env);
    if (!s) return rw_error_wrap(RW_EINVAL, "the AWS settings");
    static const char *const vars[] = {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS",
                                       "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_DYNAMODB"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !*v) continue;
        const char *host = !strncmp(v, "https://", 8)  ? v + 8
                           : !strncmp(v, "http://", 7) ? v + 7
                                                       : NULL;
        if (!host || !*host || *host == '/' || strpbrk(v, " \t\r\n")) {
            char *sv = shown(v, 200);
            int rc =
                rw_error_set(RW_EINVAL, "%s '%s' is not an http:// or https:// URL", vars[i], sv);
            free(sv);
            return rc;
        }
    }
    rw_aws_creds *c = NULL;
    int rc = rw_aws_provider_get(s->creds, (int64_t)time(NULL), &c);
    rw_aws_creds_free(c);
    if (rc != RW_OK)
        return rw_error_wrap(rc, "no AWS credentials (Lambda sets AWS_ACCESS_KEY_ID, "
                                 "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the "
                                 "function's role)");
    return RW_OK;
}

int rw_lambda_fn_new(rw_lambda_fn **out, const rw_lambda_fn_opts *opts) {
    *out = NULL;
    int rc = rw_lambda_topic_check(opts->topic_arn);
    if (rc != RW_OK) return rc;
    rw_lambda_fn *fn = rw_xcalloc(1, sizeof *fn);
    fn->o = *opts;
    fn->store_path = rw_xstrdup(opts->store_path);
    if (opts->extra && rw_notify_channel(opts->extra, SNS_CHANNEL)) {
        rc = rw_error_set(RW_EINVAL,
                          "%s: a channel is named " SNS_CHANNEL
                          ", the name rootwatch lambda gives the channel of SNS_TOPIC_ARN: "
                          "rename it",
                          opts->extra->path ? opts->extra->path : "the configuration");
        goto fail;
    }
    /* the channel, as a configuration of one (the ARN is checked above: plain characters) */
    rw_buf y;
    rw_buf_init(&y, 0);
    rw_buf_printf(&y, "channels:\n  - name: " SNS_CHANNEL "\n    type: sns\n    topic_arn: '%s'\n",
                  opts->topic_arn);
    rc = rw_notify_config_parse(&fn->sns, y.data, y.len, "SNS_TOPIC_ARN");
    rw_buf_free(&y);
    if (rc != RW_OK) {
        rc = rw_error_wrap(rc, "SNS_TOPIC_ARN");
        goto fail;
    }
    if ((rc = aws_check(fn)) != RW_OK) goto fail;
    /* in /tmp, which dies with the instance: no fsync (rw_store_open_volatile), opened at the
     * first alert (most invocations have none, and a cold start is then spared SQLite's schema);
     * what could keep it from opening is checked now: its folder made, the file created (0600) */
    if ((rc = rw_store_check_file(fn->store_path)) != RW_OK) {
        rc = rw_error_wrap(rc, "ROOTWATCH_STORE (the instance's store, %s)", fn->store_path);
        goto fail;
    }
    if (opts->idempotency_table && *opts->idempotency_table) {
        if ((rc = table_check(opts->idempotency_table)) != RW_OK ||
            (rc = rw_lambda_idem_new(&fn->idem, rw_notify_aws(&fn->sns->env),
                                     opts->idempotency_table)) != RW_OK)
            goto fail;
    }
    *out = fn;
    return RW_OK;
fail:
    rw_lambda_fn_free(fn);
    return rc;
}

void rw_lambda_fn_free(rw_lambda_fn *fn) {
    if (!fn) return;
    rw_lambda_idem_free(fn->idem);
    rw_store_close(fn->store);
    rw_notify_config_free(fn->sns);
    free(fn->store_path);
    free(fn->last_error);
    free(fn);
}

/* ---- publishing ---------------------------------------------------------------------------- */

static rw_channel *channel(rw_lambda_fn *fn, const char *name) {
    rw_channel *ch = rw_notify_channel(fn->sns, name);
    if (!ch && fn->o.extra) ch = rw_notify_channel(fn->o.extra, name);
    return ch;
}

static void set_error(rw_lambda_fn *fn) {
    free(fn->last_error);
    fn->last_error = rw_xstrdup(rw_error_last());
}

/* One delivery of a stored alert: sent, and marked so; or failed, marked pending (a later
 * invocation tries it again), with the message set. */
static int deliver(rw_lambda_fn *fn, rw_channel *ch, const rw_store_alert_info *ai,
                   const rw_store_delivery_info *di) {
    int64_t now = rw_time_now_ms();
    int rc = rw_store_mark_sending(fn->store, di->id, now);
    if (rc != RW_OK) return rc;
    rw_send_result res;
    rc =
        rw_dispatch_send(ch, ai->event_id, ai->alert_json, ai->detected_ms, di->attempts + 1, &res);
    now = rw_time_now_ms();
    if (rc == RW_OK) {
        if (rw_store_mark_sent(fn->store, di->id, now) != RW_OK)
            rw_log_error("the store: %s", rw_error_last());
        rw_log_info("event %s: published to channel %s", ai->event_id, ch->name);
        return RW_OK;
    }
    rw_store_mark_failed(fn->store, di->id, now, now, false, res.error);
    return rw_error_set(rc, "event %s: not published: %s", ai->event_id, res.error);
}

/* The engine's unit_alert: the alert into the store, then every delivery of it not made yet. */
static int on_alert(void *ctx, rw_unit *u, const rw_alert *a) {
    (void)u;
    rw_lambda_fn *fn = ctx;
    size_t n = fn->sns->nchannels + (fn->o.extra ? fn->o.extra->nchannels : 0);
    rw_channel **chans = rw_xcalloc(n + 1, sizeof *chans);
    size_t k = 0;
    for (size_t i = 0; i < fn->sns->nchannels; i++) chans[k++] = fn->sns->channels[i];
    for (size_t i = 0; fn->o.extra && i < fn->o.extra->nchannels; i++)
        chans[k++] = fn->o.extra->channels[i];
    bool added = false;
    int rc = RW_OK;
    if (!fn->store && (rc = rw_store_open_volatile(&fn->store, fn->store_path)) != RW_OK)
        rw_error_wrap(rc, "ROOTWATCH_STORE (the instance's store, %s)", fn->store_path);
    if (rc == RW_OK) rc = rw_dispatch_store(fn->store, NULL, a, chans, k, &added);
    free(chans);
    rw_store_alert_info *ai = NULL;
    if (rc == RW_OK) rc = rw_store_find(fn->store, a->event_id, &ai);
    if (rc != RW_OK) {
        set_error(fn);
        return rc;
    }
    size_t todo = 0;
    for (size_t i = 0; i < ai->ndeliveries; i++)
        if (ai->deliveries[i].state != RW_DELIVERY_SENT && channel(fn, ai->deliveries[i].channel))
            todo++;
    if (!todo) {
        if (!added) {
            fn->known++;
            rw_log_info("event %s: published earlier by this instance: not again", a->event_id);
        }
        rw_store_alert_info_free(ai);
        return RW_OK;
    }
    if (fn->deadline_ms && rw_time_now_ms() + fn->o.margin_ms > fn->deadline_ms) {
        fn->deadline_hit = true;
        rc = rw_error_set(RW_ERETRY,
                          "event %s: not published: the invocation's deadline is less than %ld ms "
                          "away",
                          a->event_id, fn->o.margin_ms);
        set_error(fn);
        rw_store_alert_info_free(ai);
        return rc;
    }
    if (fn->idem) {
        bool mine = false;
        rc = rw_lambda_idem_claim(fn->idem, a->event_id, &mine);
        if (rc != RW_OK) {
            set_error(fn);
            fn->publish_failed = true; /* not published: a retry may do it */
            rw_store_alert_info_free(ai);
            return rc;
        }
        if (!mine) {
            /* another invocation, here or in another instance, has published it or is doing so */
            for (size_t i = 0; i < ai->ndeliveries; i++)
                if (ai->deliveries[i].state != RW_DELIVERY_SENT)
                    rw_store_mark_sent(fn->store, ai->deliveries[i].id, rw_time_now_ms());
            fn->known++;
            fn->claimed_elsewhere++;
            rw_log_info("event %s: claimed in %s already: published once, not again", a->event_id,
                        fn->o.idempotency_table);
            rw_store_alert_info_free(ai);
            return RW_OK;
        }
    }
    int first_rc = RW_OK;
    for (size_t i = 0; i < ai->ndeliveries; i++) {
        const rw_store_delivery_info *di = &ai->deliveries[i];
        rw_channel *ch = channel(fn, di->channel);
        if (di->state == RW_DELIVERY_SENT || !ch) continue;
        int drc = deliver(fn, ch, ai, di);
        if (drc == RW_OK) {
            fn->published++;
        } else {
            rw_log_error("%s", rw_error_last());
            set_error(fn);
            fn->publish_failed = true;
            if (first_rc == RW_OK) first_rc = drc;
        }
    }
    if (fn->idem) {
        if (first_rc != RW_OK)
            rw_lambda_idem_release(fn->idem, a->event_id); /* a retry may claim it again */
        else
            rw_lambda_idem_done(fn->idem, a->event_id);
    }
    if (first_rc != RW_OK) rw_error_set(first_rc, "%s", fn->last_error);
    rw_store_alert_info_free(ai);
    return first_rc;
}

/* ---- the invocation ------------------------------------------------------------------------ */

static void fail_reply(rw_lambda_reply *reply, const char *type, const char *msg) {
    reply->ok = false;
    reply->error_type = rw_xstrdup(type);
    reply->error_message = rw_xstrdup(msg);
}

void rw_lambda_fn_invoke(void *ctx, const rw_lambda_invocation *inv, rw_lambda_reply *reply) {
    rw_lambda_fn *fn = ctx;
    fn->deadline_ms = inv->deadline_ms;
    fn->published = fn->known = fn->claimed_elsewhere = 0;
    fn->deadline_hit = fn->publish_failed = false;
    free(fn->last_error);
    fn->last_error = NULL;
    rw_lambda_event *ev = NULL;
    if (rw_lambda_event_parse(&ev, inv->event.data ? inv->event.data : "", inv->event.len) !=
        RW_OK) {
        rw_log_error("%s", rw_error_last());
        fail_reply(reply, "rootwatch.InvalidEvent", rw_error_last());
        return;
    }
    /* every AWS call (SNS, the alias, DynamoDB) ends in time to post the answer */
    rw_aws_set_deadline(inv->deadline_ms ? inv->deadline_ms - ANSWER_MS : 0);
    rw_engine_opts eo = {
        .rules = fn->o.rules, .threads = 1, .ordered = true, .unit_alert = on_alert, .ctx = fn};
    rw_engine *e = NULL;
    rw_engine_new(&e, &eo);
    rw_engine_run(e, rw_source_lambda_new(ev));
    rw_engine_finish(e);
    const rw_summary *sum = rw_engine_summary(e);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "{\"records\":%llu,\"alerts\":%llu,\"published\":%llu,\"duplicates\":%llu",
                  (unsigned long long)sum->records, (unsigned long long)sum->alerts,
                  (unsigned long long)fn->published,
                  (unsigned long long)(sum->duplicates + fn->known));
    size_t failed = 0;
    const rw_lambda_item *bad = NULL;
    for (size_t i = 0; i < ev->nitems; i++)
        if (!ev->items[i].settled || !ev->items[i].ok) {
            failed++;
            if (!bad) bad = &ev->items[i];
        }
    if (ev->kind == RW_LAMBDA_SQS) {
        /* ReportBatchItemFailures: only the messages that failed come back */
        rw_buf_puts(&b, ",\"batchItemFailures\":[");
        bool first = true;
        for (size_t i = 0; i < ev->nitems; i++) {
            if (ev->items[i].settled && ev->items[i].ok) continue;
            rw_buf_printf(&b, "%s{\"itemIdentifier\":", first ? "" : ",");
            rw_json_write_str(&b, ev->items[i].id, strlen(ev->items[i].id));
            rw_buf_putc(&b, '}');
            first = false;
        }
        rw_buf_putc(&b, ']');
    }
    rw_buf_putc(&b, '}');
    if (ev->kind == RW_LAMBDA_SQS || !failed) {
        reply->ok = true;
        reply->body = rw_buf_take(&b);
    } else {
        rw_buf m;
        rw_buf_init(&m, 0);
        const char *type = fn->deadline_hit     ? "rootwatch.Timeout"
                           : fn->publish_failed ? "rootwatch.PublishFailed"
                                                : "rootwatch.InvalidEvent";
        if (fn->last_error)
            rw_buf_printf(&m, "%s: %s", bad->name, fn->last_error);
        else if (bad->error)
            rw_buf_printf(&m, "%s: %s", bad->name, bad->error);
        else
            rw_buf_printf(&m, "%s: could not be read as CloudTrail data (the log says why)",
                          bad->name);
        rw_buf_printf(&m, " (published before the failure: %llu; %s)",
                      (unsigned long long)fn->published, b.data);
        fail_reply(reply, type, m.data);
        rw_buf_free(&m);
        rw_buf_free(&b);
    }
    rw_engine_free(e);
    rw_lambda_event_free(ev);
    rw_aws_set_deadline(0);
}

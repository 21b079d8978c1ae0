#include "rules/detect.h"

#include <pthread.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/root.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

struct rw_detector {
    const rw_filter *filter;
    const rw_ruleset *rules;
    rw_match_scratch *scratch;
    size_t *hits, *fired;
    rw_json_doc *doc;
    rw_buf out;
};

static rw_ruleset *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void load_builtin(void) {
    builtin = rw_ruleset_new();
    if (rw_ruleset_load_builtin(builtin) != RW_OK) { /* a build that ships broken rules */
        fprintf(stderr, "rootwatch: the built-in rules do not load:\n%s",
                rw_ruleset_errors(builtin));
        abort();
    }
    rw_ruleset_freeze(builtin, rw_time_now());
}

rw_detector *rw_detector_new(const rw_filter *filter, size_t max_depth) {
    pthread_once(&builtin_once, load_builtin);
    return rw_detector_new_rules(filter, builtin, max_depth);
}

rw_detector *rw_detector_new_rules(const rw_filter *filter, const rw_ruleset *rules,
                                   size_t max_depth) {
    rw_detector *d = rw_xcalloc(1, sizeof *d);
    d->filter = filter;
    d->rules = rules;
    d->scratch = rw_match_scratch_new();
    size_t n = rw_ruleset_npatterns(rules);
    d->hits = rw_xcalloc(n ? n : 1, sizeof *d->hits);
    d->fired = rw_xcalloc(rw_ruleset_count(rules) + 1, sizeof *d->fired);
    rw_json_opts o = {.max_depth = max_depth ? max_depth : 512,
                      .max_memory = (size_t)256 << 20,
                      .repair_utf8 = 1,
                      .surrogate_as_question = 1};
    d->doc = rw_json_doc_new(&o);
    rw_buf_init(&d->out, 0);
    return d;
}

void rw_detector_free(rw_detector *d) {
    if (!d) return;
    rw_match_scratch_free(d->scratch);
    free(d->hits);
    free(d->fired);
    rw_json_doc_free(d->doc);
    rw_buf_free(&d->out);
    free(d);
}

typedef struct pctx {
    rw_detect_problem_fn fn;
    void *ctx;
    uint64_t offset;
} pctx;

static void problem_at(void *c, const char *msg) {
    pctx *p = c;
    if (p->fn) p->fn(p->ctx, p->offset, msg);
}

static bool listed(char **list, const char *v) {
    if (!list) return true;
    if (!v) return false;
    for (; *list; list++)
        if (strcmp(*list, v) == 0) return true;
    return false;
}

static bool passes(const rw_filter *f, const rw_alert *a) {
    if (!f) return true;
    if (a->time != INT64_MIN) { /* a record without a usable time is kept: it cannot be placed */
        if (f->has_since && a->time < f->since) return false;
        if (f->has_until && a->time >= f->until) return false;
    }
    return listed(f->accounts, a->account) && listed(f->regions, a->region);
}

/* An alert is stored, delivered and deduplicated by its eventID: a record without a usable one
 * (none, empty, not a string, or holding a NUL that would make two ids read alike) is given one
 * derived from its content, so that it is never dropped and a re-read of it is still known. */
static void identify(rw_alert *a, const rw_json *record, const rw_buf *compact) {
    const rw_json *id = rw_json_get(record, "eventID");
    const char *why = !id                          ? "the record has no eventID"
                      : id->type != RW_JSON_STRING ? "its eventID is not a string"
                      : id->len == 0               ? "its eventID is empty"
                      : rw_json_str_has_nul(id)    ? "its eventID holds a NUL character"
                                                   : NULL;
    if (!why) return;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)compact->data, compact->len, md);
    char hex[64];
    int n = snprintf(hex, sizeof hex, "rw-sha256:");
    for (int i = 0; i < 16; i++) n += snprintf(hex + n, sizeof hex - (size_t)n, "%02x", md[i]);
    free(a->event_id);
    a->event_id = rw_xstrdup(hex);
    a->event_id_derived = why;
}

/* The EventBridge event for a bare CloudTrail record, as EventBridge delivers CloudTrail events. */
static rw_json *wrap(rw_json_doc *doc, rw_json *record) {
    const char *src = rw_json_get_str(record, "eventSource");
    const char *etype = rw_json_get_str(record, "eventType");
    const char *dt = "AWS API Call via CloudTrail";
    if ((etype && strcmp(etype, "AwsConsoleSignIn") == 0) ||
        (src && strcmp(src, "signin.amazonaws.com") == 0))
        dt = "AWS Console Sign In via CloudTrail";
    else if (etype && strcmp(etype, "AwsServiceEvent") == 0)
        dt = "AWS Service Event via CloudTrail";
    else if (etype && strcmp(etype, "AwsConsoleAction") == 0)
        dt = "AWS Console Action via CloudTrail";
    else if (etype && strcmp(etype, "AwsCloudTrailInsight") == 0)
        dt = "AWS Insight via CloudTrail";
    char source[160];
    const char *dot = src ? strchr(src, '.') : NULL;
    snprintf(source, sizeof source, "aws.%.*s",
             src ? (int)(dot ? dot - src : (long)strlen(src)) : 10, src ? src : "cloudtrail");
    const rw_json *account = rw_json_get(record, "recipientAccountId");
    if (!account || account->type != RW_JSON_STRING)
        account = rw_json_get(rw_json_get(record, "userIdentity"), "accountId");
    /* the record's own strings are copied whole (with their length: a NUL inside is kept) */
    struct {
        const char *key, *lit;
        const rw_json *from;
    } fields[] = {{"version", "0", NULL},
                  {"id", NULL, rw_json_get(record, "eventID")},
                  {"detail-type", dt, NULL},
                  {"source", source, NULL},
                  {"account", NULL, account},
                  {"time", NULL, rw_json_get(record, "eventTime")},
                  {"region", NULL, rw_json_get(record, "awsRegion")}};
    rw_json *env = rw_json_doc_node(doc, RW_JSON_OBJECT, NULL, 0, record->offset);
    if (!env) return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const rw_json *f = fields[i].from;
        const char *v = fields[i].lit ? fields[i].lit : "";
        size_t len = strlen(v);
        if (f && f->type == RW_JSON_STRING) v = f->str, len = f->len;
        rw_json *n = rw_json_doc_node(doc, RW_JSON_STRING, v, len, record->offset);
        if (!n || !rw_json_doc_append(doc, env, n, fields[i].key, strlen(fields[i].key)))
            return NULL;
    }
    rw_json *res = rw_json_doc_node(doc, RW_JSON_ARRAY, NULL, 0, record->offset);
    if (!res || !rw_json_doc_append(doc, env, res, "resources", 9)) return NULL;
    if (!rw_json_doc_append(doc, env, record, "detail", 6)) return NULL;
    return env;
}

/* Severity and reasons from the rules that fired: a built-in (auto) rule keeps the root
 * classification; any other adds its own severity and title. The most severe rule is the alert's
 * rule. */
static void apply_rules(rw_alert *a, const rw_ruleset *rs, const size_t *fired, size_t n) {
    bool any_auto = false;
    for (size_t i = 0; i < n; i++) any_auto |= rw_ruleset_rule(rs, fired[i])->severity_auto;
    if (!any_auto) { /* the classification's reasons speak of the root user: not this event */
        for (int i = 0; i < a->nreasons; i++) free(a->reasons[i]);
        a->nreasons = 0;
        a->severity = RW_SEV_LOW;
    }
    rw_severity auto_sev = a->severity;
    rw_severity best = RW_SEV_LOW;
    size_t primary = 0;
    for (size_t i = 0; i < n; i++) {
        const rw_rule *r = rw_ruleset_rule(rs, fired[i]);
        rw_severity sev = r->severity_auto ? auto_sev : r->severity;
        if (!r->severity_auto) rw_alert_reason(a, r->severity, "rule %s: %s", r->id, r->title);
        if (i == 0 || sev > best) best = sev, primary = i;
    }
    for (size_t i = 0; i < n; i++) rw_alert_add_rule(a, rw_ruleset_rule(rs, fired[i])->id, false);
    free(a->rule);
    a->rule = rw_xstrdup(rw_ruleset_rule(rs, fired[primary])->id);
}

rw_verdict rw_detector_check(rw_detector *d, const rw_trail_record *rec, const char *file,
                             rw_alert **out, rw_detect_problem_fn fn, void *ctx) {
    pctx pc = {fn, ctx, rec->offset};
    *out = NULL;
    if (rw_json_doc_parse(d->doc, rec->data, rec->len) != RW_OK) {
        /* at the record's start, as every problem with a record; the parser's "at byte N" counts
         * from there (for a record taken out of a string, from the start of its text) */
        char msg[768];
        snprintf(msg, sizeof msg,
                 "malformed record starting here: %s, counted from the record's first byte; it "
                 "holds text the rules look for, so it may be root activity: inspect it",
                 rw_error_last());
        problem_at(&pc, msg);
        return RW_VERDICT_NONE;
    }
    rw_json *root = rw_json_doc_root(d->doc);
    if (rw_json_doc_repairs(d->doc)) {
        char msg[128];
        snprintf(msg, sizeof msg, "the record holds %zu invalid UTF-8 sequence%s, read as U+FFFD",
                 rw_json_doc_repairs(d->doc), rw_json_doc_repairs(d->doc) == 1 ? "" : "s");
        problem_at(&pc, msg);
    }
    if (root->type != RW_JSON_OBJECT) {
        char msg[96];
        snprintf(msg, sizeof msg, "a record is %s, expected an object",
                 rw_json_type_name(root->type));
        problem_at(&pc, msg);
        return RW_VERDICT_NONE;
    }
    rw_json *env = NULL, *record = root;
    if (rec->shape == RW_SHAPE_ENVELOPE ||
        (rec->shape == RW_SHAPE_VALUE && rw_json_get(root, "detail-type") &&
         rw_json_get(root, "detail"))) {
        env = root;
        record = rw_json_get(root, "detail");
        if (!record || record->type != RW_JSON_OBJECT) {
            problem_at(&pc, "an EventBridge event's detail is not an object");
            return RW_VERDICT_NONE;
        }
    }
    rw_root_is_activity(record, problem_at, &pc); /* for what it reports; the rules decide */
    const char *when = rw_json_get_str(record, "eventTime");
    int64_t t = INT64_MIN;
    if (when && rw_time_parse(when, &t) != RW_OK) t = INT64_MIN;
    rw_json *event = env ? env : wrap(d->doc, record);
    if (!event) {
        problem_at(&pc, "the record is too large to wrap in an EventBridge event");
        return RW_VERDICT_NONE;
    }
    size_t suppressed;
    size_t n = rw_ruleset_match(d->rules, d->scratch, event, t, d->hits, d->fired,
                                rw_ruleset_count(d->rules), &suppressed);
    if (!n) {
        if (suppressed) return RW_VERDICT_SUPPRESSED;
        if (!rw_root_made_by_service(record)) return RW_VERDICT_NONE;
        /* not alerted, as CIS has it, but counted by service: classified for its eventID and
         * invoked_by, and for the filters (outside them it is not counted at all) */
        rw_alert *a = rw_root_classify(record, env, NULL, NULL);
        if (!passes(d->filter, a)) {
            rw_alert_free(a);
            return RW_VERDICT_NONE;
        }
        *out = a;
        return RW_VERDICT_SERVICE;
    }
    rw_alert *a = rw_root_classify(record, env, problem_at, &pc);
    apply_rules(a, d->rules, d->fired, n);
    rw_buf_reset(&d->out);
    if (rw_json_write(&d->out, record) != RW_OK) {
        problem_at(&pc, rw_error_last());
        rw_buf_reset(&d->out);
        rw_buf_puts(&d->out, "null");
    }
    identify(a, record, &d->out);
    if (!passes(d->filter, a)) {
        *out = a; /* without the event's JSON: enough to count it once (its eventID) */
        return RW_VERDICT_FILTERED;
    }
    a->event_json = rw_xstrndup(d->out.data, d->out.len);
    a->file = rw_xstrdup(file ? file : "-");
    a->offset = rec->offset;
    *out = a;
    return RW_VERDICT_ALERT;
}

/* rootwatch watch's s3 source: polls a trail's bucket for log files it has not read yet.
 *
 * CloudTrail writes each account's and region's files under their own folder,
 *   [PREFIX/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_RAND.json.gz
 * and within one such stream the keys sort as their times do (the folder is the date, and the
 * name repeats the account and the region before the time). Across streams they do not, and a
 * file may land up to about fifteen minutes after its time. So each stream has a checkpoint of its
 * own (a row of the store's checkpoints):
 *
 *   {"floor": "2026-12-06T08:15:00Z", "done": ["2026/12/06/..._20261206T0820Z_x.json.gz", ...]}
 *
 * Each poll lists the stream after the key a file of the floor's minute would have (StartAfter),
 * and reads every file listed that is not done. A file is done once it is settled ok (its alerts
 * stored); only then is it added to the list. The floor is the time of the newest file done less
 * the window (an hour by default: a file landing later than that after newer ones would be
 * missed), and never past a file that is not done yet (read, being read, or failed): the settling
 * of an unordered engine comes in any order, and the floor waits for the lowest one. Done files
 * older than the floor are dropped from the list, since no listing returns them again. So a
 * restart lists from the floor again, reads what is not in the list, and reads nothing twice but
 * what was in flight when it stopped (whose alerts the store already holds: not notified again).
 *
 * A file that fails (access denied, a damaged gzip, an alert that could not be stored) is tried
 * again at later polls, waiting twice as long each time (up to an hour), and holds its stream's
 * floor until it is read: a file that can never be read must be removed or fixed (said in the log).
 *
 * The streams are found by listing the folders of the layout (AWSLogs/, the organization, the
 * accounts, CloudTrail/, the regions) at the start and every `rediscover` seconds (5 minutes), so
 * that new accounts and regions are picked up. A stream seen for the first time, with no
 * checkpoint, is read from a window back from now (so one found a little late misses nothing):
 * the history before that is `rootwatch scan s3://...`'s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/s3.h"
#include "sources/watch_poll.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define MAX_DEPTH 6         /* folders below the prefix before a stream is reached */
#define MAX_RETRY_WAIT 3600 /* seconds between two tries of a failing file, at most */

enum { K_PENDING, K_DONE, K_FAILED };

typedef struct key_ent {
    char *rel;  /* the key below the stream's prefix: "2026/12/06/..." */
    int64_t ts; /* the file's time (epoch seconds), from its name */
    int state;  /* K_PENDING: handed to the engine, not settled */
    int attempts;
    int64_t retry_at; /* K_FAILED: not tried again before */
} key_ent;

typedef struct stream {
    char *prefix; /* .../ACCOUNT/CloudTrail/REGION/ */
    char *account, *region;
    char *ckpt_key; /* s3:NAME:BUCKET/PREFIX */
    bool loaded;    /* its checkpoint was read */
    int64_t floor;  /* files older than this are never listed */
    key_ent *keys;  /* sorted by rel */
    size_t n, cap;
} stream;

typedef struct s3w {
    rw_poll_base b;
    char *bucket, *prefix, *region_opt;
    long interval, window, rediscover;
    int64_t discovered_at; /* when the folders were last found (0: never) */
    rw_aws_session *aws;   /* once enumerate has it */
    char *region;          /* the bucket's */
    stream **streams;
    size_t nstreams, capstreams;
} s3w;

typedef struct unit_ref {
    stream *st;
    char *rel;
} unit_ref;

static void unit_ref_free(void *p) {
    unit_ref *r = p;
    if (!r) return;
    free(r->rel);
    free(r);
}

/* ---- keys and times ---------------------------------------------------------------------------
 */

static bool digits(const char *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* The time in a CloudTrail file name (..._CloudTrail_REGION_YYYYMMDDTHHmmZ_...); else the day of
 * its folder; else false. */
static bool key_time(const char *rel, int64_t *ts) {
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    const char *p = strstr(base, "_CloudTrail_");
    if (p && (p = strchr(p + 12, '_')) != NULL) {
        p++;
        if (digits(p, 8) && p[8] == 'T' && digits(p + 9, 4) && p[13] == 'Z') {
            char t[32];
            snprintf(t, sizeof t, "%.4s-%.2s-%.2sT%.2s:%.2s:00Z", p, p + 4, p + 6, p + 9, p + 11);
            if (rw_time_parse(t, ts) == RW_OK) return true;
        }
    }
    /* YYYY/MM/DD/ at the start of rel */
    if (digits(rel, 4) && rel[4] == '/' && digits(rel + 5, 2) && rel[7] == '/' &&
        digits(rel + 8, 2) && rel[10] == '/') {
        char d[16];
        snprintf(d, sizeof d, "%.4s-%.2s-%.2s", rel, rel + 5, rel + 8);
        return rw_time_parse(d, ts) == RW_OK;
    }
    return false;
}

/* The key a file of the minute t would have, less its random part: every file of the stream from
 * that minute on sorts after it. */
static char *floor_key(const stream *st, int64_t t) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char day[32], stamp[32];
    strftime(day, sizeof day, "%Y/%m/%d/", &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%MZ", &tm);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "%s%s%s_CloudTrail_%s_%s", st->prefix, day, st->account, st->region, stamp);
    return rw_buf_take(&b);
}

static size_t find_pos(const stream *st, const char *rel, bool *found) {
    size_t lo = 0, hi = st->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(st->keys[mid].rel, rel);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static key_ent *find_key(stream *st, const char *rel) {
    bool found;
    size_t i = find_pos(st, rel, &found);
    return found ? &st->keys[i] : NULL;
}

static key_ent *add_key(stream *st, const char *rel, int64_t ts, int state) {
    bool found;
    size_t i = find_pos(st, rel, &found);
    if (found) return &st->keys[i];
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 32;
        st->keys = rw_xrealloc(st->keys, st->cap * sizeof *st->keys);
    }
    memmove(&st->keys[i + 1], &st->keys[i], (st->n - i) * sizeof *st->keys);
    st->n++;
    st->keys[i] = (key_ent){.rel = rw_xstrdup(rel), .ts = ts, .state = state};
    return &st->keys[i];
}

/* ---- checkpoints ------------------------------------------------------------------------------
 */

static void save_stream(s3w *s, stream *st);

/* Reads the stream's checkpoint (with b.mu held): the floor and the files done above it. */
static void load_stream(s3w *s, stream *st) {
    st->loaded = true;
    st->floor = rw_poll_now() - s->window; /* a stream never seen: a window back */
    char *value = NULL;
    if (rw_poll_checkpoint_get(&s->b, st->ckpt_key, &value) != RW_OK) return;
    if (!value) { /* kept at once: a file of this first window that fails is not forgotten when
                     the process restarts later, a window further on */
        save_stream(s, st);
        return;
    }
    rw_json_doc *doc = rw_json_doc_new(NULL);
    int64_t floor;
    const rw_json *root = NULL, *done = NULL;
    const char *f = NULL;
    if (rw_json_doc_parse(doc, value, strlen(value)) == RW_OK) root = rw_json_doc_root(doc);
    if (root) f = rw_json_get_str(root, "floor");
    if (root) done = rw_json_get(root, "done");
    if (!f || rw_time_parse(f, &floor) != RW_OK || !done || done->type != RW_JSON_ARRAY) {
        rw_poll_error(&s->b, "s3://%s/%s: its checkpoint is damaged: read from a window back",
                      s->bucket, st->prefix);
    } else {
        st->floor = floor;
        for (const rw_json *e = done->child; e; e = e->next) {
            int64_t ts;
            if (e->type != RW_JSON_STRING || rw_json_str_has_nul(e)) continue;
            if (!key_time(e->str, &ts)) ts = floor;
            add_key(st, e->str, ts, K_DONE);
        }
    }
    rw_json_doc_free(doc);
    free(value);
}

static void save_stream(s3w *s, stream *st) {
    rw_buf b;
    rw_buf_init(&b, 0);
    char t[32];
    rw_time_format(st->floor, t);
    rw_buf_printf(&b, "{\"floor\":\"%s\",\"done\":[", t);
    bool first = true;
    for (size_t i = 0; i < st->n; i++) {
        if (st->keys[i].state != K_DONE) continue;
        if (!first) rw_buf_putc(&b, ',');
        first = false;
        rw_json_write_str(&b, st->keys[i].rel, strlen(st->keys[i].rel));
    }
    rw_buf_puts(&b, "]}");
    rw_poll_checkpoint_set(&s->b, st->ckpt_key, b.data);
    rw_buf_free(&b);
}

/* Moves the floor as far as it may go: the newest file done less the window, but never past a
 * file not done; then forgets the done files below it. */
static bool move_floor(s3w *s, stream *st) {
    int64_t newest = INT64_MIN, lowest_open = INT64_MAX;
    for (size_t i = 0; i < st->n; i++) {
        const key_ent *k = &st->keys[i];
        if (k->state == K_DONE && k->ts > newest) newest = k->ts;
        if (k->state != K_DONE && k->ts < lowest_open) lowest_open = k->ts;
    }
    if (newest == INT64_MIN) return false;
    int64_t f = newest - s->window;
    if (lowest_open < f) f = lowest_open;
    f -= f % 60; /* file times are to the minute */
    if (f <= st->floor) return false;
    st->floor = f;
    size_t j = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (st->keys[i].state == K_DONE && st->keys[i].ts < f) {
            free(st->keys[i].rel);
            continue;
        }
        st->keys[j++] = st->keys[i];
    }
    st->n = j;
    return true;
}

/* ---- finding the streams ----------------------------------------------------------------------
 */

/* The last two components of a prefix ending with '/': "a/b/c/" gives "b" and "c". */
static void last_components(const char *p, const char **last, size_t *last_n, const char **prev,
                            size_t *prev_n, const char **before, size_t *before_n) {
    const char *comps[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    size_t n = strlen(p);
    if (n && p[n - 1] == '/') n--;
    for (int i = 0; i < 3; i++) {
        size_t end = n;
        while (n > 0 && p[n - 1] != '/') n--;
        comps[i] = p + n;
        lens[i] = end - n;
        if (n == 0) break;
        n--; /* the '/' */
    }
    *last = comps[0], *last_n = lens[0];
    *prev = comps[1], *prev_n = lens[1];
    *before = comps[2], *before_n = lens[2];
}

static bool is_account(const char *c, size_t n) {
    return n == 12 && digits(c, 12);
}

/* Is p a stream's prefix: .../ACCOUNT/CloudTrail/REGION/ ? */
static bool is_stream(const char *p) {
    const char *last, *prev, *before;
    size_t ln, pn, bn;
    last_components(p, &last, &ln, &prev, &pn, &before, &bn);
    return ln > 0 && prev && pn == 10 && !strncmp(prev, "CloudTrail", 10) && before &&
           is_account(before, bn);
}

/* Is a folder below p worth descending into on the way to streams? */
static bool on_the_way(const char *p) {
    const char *last, *prev, *before;
    size_t ln, pn, bn;
    last_components(p, &last, &ln, &prev, &pn, &before, &bn);
    if (ln == 7 && !strncmp(last, "AWSLogs", 7)) return true;
    if (is_account(last, ln)) return true;
    if (ln > 2 && !strncmp(last, "o-", 2)) return true; /* an organization */
    if (ln == 10 && !strncmp(last, "CloudTrail", 10)) return true;
    return is_stream(p);
}

static stream *add_stream(s3w *s, const char *prefix) {
    for (size_t i = 0; i < s->nstreams; i++)
        if (!strcmp(s->streams[i]->prefix, prefix)) return s->streams[i];
    stream *st = rw_xcalloc(1, sizeof *st);
    st->prefix = rw_xstrdup(prefix);
    const char *last, *prev, *before;
    size_t ln, pn, bn;
    last_components(prefix, &last, &ln, &prev, &pn, &before, &bn);
    st->region = rw_xstrndup(last, ln);
    st->account = rw_xstrndup(before, bn);
    rw_buf k;
    rw_buf_init(&k, 0);
    rw_buf_printf(&k, "s3:%s:%s/%s", s->b.name, s->bucket, prefix);
    st->ckpt_key = rw_buf_take(&k);
    if (s->nstreams == s->capstreams) {
        s->capstreams = s->capstreams ? 2 * s->capstreams : 8;
        s->streams = rw_xrealloc(s->streams, s->capstreams * sizeof *s->streams);
    }
    s->streams[s->nstreams++] = st;
    rw_log_info("s3 %s: watching s3://%s/%s", s->b.name, s->bucket, prefix);
    return st;
}

typedef struct discovery {
    s3w *s;
    rw_aws_client *c;
    char **found; /* prefixes below the one listed, to descend into */
    size_t n, cap;
} discovery;

static int on_folder(void *ctx, const char *p) {
    discovery *d = ctx;
    if (!on_the_way(p)) return RW_OK;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->found = rw_xrealloc(d->found, d->cap * sizeof *d->found);
    }
    d->found[d->n++] = rw_xstrdup(p);
    return RW_OK;
}

/* Finds the streams below prefix, adding the new ones. */
static int discover(s3w *s, rw_aws_client *c, const char *prefix, int depth, rw_emit *emit) {
    if (is_stream(prefix)) {
        pthread_mutex_lock(&s->b.mu);
        add_stream(s, prefix);
        pthread_mutex_unlock(&s->b.mu);
        return RW_OK;
    }
    if (depth > MAX_DEPTH || rw_poll_stopping(&s->b, emit)) return RW_OK;
    discovery d = {s, c, NULL, 0, 0};
    int rc = rw_s3_list_prefixes(c, s->region, s->bucket, prefix, on_folder, &d);
    for (size_t i = 0; i < d.n; i++) {
        if (rc == RW_OK) rc = discover(s, c, d.found[i], depth + 1, emit);
        free(d.found[i]);
    }
    free(d.found);
    return rc;
}

/* ---- polling ----------------------------------------------------------------------------------
 */

typedef struct listing {
    stream *st;
    size_t prefix_len;
    char **rels;
    size_t n, cap;
} listing;

static int on_object(void *ctx, const rw_s3_object *o) {
    listing *l = ctx;
    if (rw_s3_key_is_digest(o->key)) return RW_OK;
    if (strncmp(o->key, l->st->prefix, l->prefix_len)) return RW_OK;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->rels = rw_xrealloc(l->rels, l->cap * sizeof *l->rels);
    }
    l->rels[l->n++] = rw_xstrdup(o->key + l->prefix_len);
    return RW_OK;
}

/* Lists one stream from its floor and hands the engine each file not done (nor in hand, nor
 * failed and waiting for its next try). RW_ECANCELED when stopping. */
static int poll_stream(s3w *s, rw_aws_client *c, stream *st, rw_emit *emit) {
    pthread_mutex_lock(&s->b.mu);
    if (!st->loaded) load_stream(s, st);
    char *after = floor_key(st, st->floor);
    pthread_mutex_unlock(&s->b.mu);
    listing l = {st, strlen(st->prefix), NULL, 0, 0};
    int rc = rw_s3_list(c, s->region, s->bucket, st->prefix, after, on_object, &l);
    free(after);
    if (rc != RW_OK)
        rw_poll_error(&s->b, "listing s3://%s/%s: %s", s->bucket, st->prefix, rw_error_last());
    int64_t now = rw_poll_now();
    size_t i = 0;
    for (; i < l.n && rc != RW_ECANCELED; i++) { /* what was listed, even when cut short */
        const char *rel = l.rels[i];
        pthread_mutex_lock(&s->b.mu);
        key_ent *k = find_key(st, rel);
        bool take = !k || (k->state == K_FAILED && k->retry_at <= now);
        if (take) {
            int64_t ts;
            if (!key_time(rel, &ts)) ts = st->floor;
            if (!k) k = add_key(st, rel, ts, K_PENDING);
            k->state = K_PENDING;
        }
        pthread_mutex_unlock(&s->b.mu);
        if (!take) continue;
        unit_ref *r = rw_xcalloc(1, sizeof *r);
        r->st = st;
        r->rel = rw_xstrdup(rel);
        rw_buf name;
        rw_buf_init(&name, 0);
        rw_buf_printf(&name, "s3://%s/%s%s", s->bucket, st->prefix, rel);
        int erc = rw_emit_unit(emit, name.data, false, r, unit_ref_free);
        rw_buf_free(&name);
        if (erc != RW_OK) {
            rc = RW_ECANCELED; /* stopping: the file stays pending, so the floor stays below it */
            break;
        }
        rw_poll_count_unit(&s->b);
    }
    for (size_t j = 0; j < l.n; j++) free(l.rels[j]);
    free(l.rels);
    return rc;
}

static int s3w_enumerate(rw_source *src, rw_emit *emit) {
    s3w *s = src->state;
    rw_aws_client *c = NULL;
    while (!rw_poll_stopping(&s->b, emit)) {
        rw_poll_count(&s->b, "rootwatch_source_polls_total", "Polls made, per source", 1);
        bool failed = !rw_poll_aws(&s->b, &s->aws);
        if (s->aws && !c) c = rw_aws_client_new(s->aws->cfg, s->aws->creds, NULL);
        if (c && !s->region) {
            if (s->region_opt) {
                s->region = rw_xstrdup(s->region_opt);
            } else {
                char *r = rw_s3_bucket_region(c, s->bucket, s->aws->cfg->region);
                if (!r) {
                    rw_poll_error(&s->b, "s3://%s: %s", s->bucket, rw_error_last());
                    failed = true;
                }
                pthread_mutex_lock(&s->b.mu);
                s->region = r; /* read() reads it */
                pthread_mutex_unlock(&s->b.mu);
            }
        }
        int64_t now = rw_poll_now();
        if (c && s->region && (s->nstreams == 0 || now - s->discovered_at >= s->rediscover)) {
            int rc = discover(s, c, s->prefix, 0, emit);
            if (rc == RW_OK) s->discovered_at = now;
            if (rc != RW_OK) {
                rw_poll_error(&s->b, "finding the trail's folders under s3://%s/%s: %s", s->bucket,
                              s->prefix, rw_error_last());
                failed = true;
            } else if (s->nstreams == 0) {
                rw_poll_error(&s->b,
                              "s3://%s/%s: no CloudTrail log folders "
                              "(AWSLogs/ACCOUNT/CloudTrail/REGION/) yet",
                              s->bucket, s->prefix);
                failed = true;
            }
        }
        if (c && s->region) {
            /* every stream known, even one the discovery missed this time (a listing error) */
            for (size_t i = 0; i < s->nstreams && !rw_poll_stopping(&s->b, emit); i++) {
                int prc = poll_stream(s, c, s->streams[i], emit);
                if (prc == RW_ECANCELED) break;
                if (prc != RW_OK) failed = true;
            }
        }
        if (!failed) rw_poll_recovered(&s->b);
        if (rw_poll_wait(&s->b, emit, (double)s->interval)) break;
    }
    rw_aws_client_free(c);
    return RW_OK;
}

static void s3w_read(rw_source *src, rw_unit *u, void **worker) {
    s3w *s = src->state;
    unit_ref *r = rw_unit_data(u);
    if (!*worker) *worker = rw_aws_client_new(s->aws->cfg, s->aws->creds, NULL);
    pthread_mutex_lock(&s->b.mu);
    const char *region = s->region;
    pthread_mutex_unlock(&s->b.mu);
    rw_buf key;
    rw_buf_init(&key, 0);
    rw_buf_printf(&key, "%s%s", r->st->prefix, r->rel);
    rw_http_response resp;
    rw_http_response_init(&resp);
    if (rw_s3_get(*worker, region, s->bucket, key.data, &resp) != RW_OK)
        rw_unit_fail(u, "%s", rw_error_last());
    else
        rw_unit_read_mem(u, resp.body.data ? resp.body.data : "", resp.body.len);
    rw_http_response_free(&resp);
    rw_buf_free(&key);
}

static void s3w_worker_free(rw_source *src, void *worker) {
    (void)src;
    rw_aws_client_free(worker);
}

static void s3w_settle(rw_source *src, rw_unit *u, bool ok) {
    s3w *s = src->state;
    unit_ref *r = rw_unit_data(u);
    pthread_mutex_lock(&s->b.mu);
    key_ent *k = find_key(r->st, r->rel);
    if (k && ok) {
        k->state = K_DONE;
        move_floor(s, r->st);
        save_stream(s, r->st);
    } else if (k && rw_unit_stopping(u)) {
        k->state = K_FAILED; /* handed back unread at a stop: not done, no error */
        k->retry_at = 0;
    } else if (k) {
        k->state = K_FAILED;
        k->attempts++;
        int64_t wait = s->interval;
        for (int i = 1; i < k->attempts && wait < MAX_RETRY_WAIT; i++) wait *= 2;
        if (wait > MAX_RETRY_WAIT) wait = MAX_RETRY_WAIT;
        k->retry_at = rw_poll_now() + wait;
        rw_poll_error(&s->b,
                      "s3://%s/%s%s: not read in full (attempt %d): tried again in %llds; the "
                      "checkpoint of %s does not move past it until it is read",
                      s->bucket, r->st->prefix, r->rel, k->attempts, (long long)wait,
                      r->st->prefix);
    }
    pthread_mutex_unlock(&s->b.mu);
}

static void s3w_close(rw_source *src) {
    s3w *s = src->state;
    for (size_t i = 0; i < s->nstreams; i++) {
        stream *st = s->streams[i];
        for (size_t j = 0; j < st->n; j++) free(st->keys[j].rel);
        free(st->keys);
        free(st->prefix);
        free(st->account);
        free(st->region);
        free(st->ckpt_key);
        free(st);
    }
    free(s->streams);
    free(s->bucket);
    free(s->prefix);
    free(s->region_opt);
    free(s->region);
    rw_poll_free(&s->b);
    free(s);
}

static const rw_source_type s3w_type = {
    .type = "s3",
    .enumerate = s3w_enumerate,
    .read = s3w_read,
    .worker_free = s3w_worker_free,
    .settle = s3w_settle,
    .close = s3w_close,
};

static const rw_opt_spec s3w_opts[] = {
    {"bucket", RW_OPT_STRING, NULL, true, "the trail's bucket"},
    {"prefix", RW_OPT_STRING, NULL, false,
     "the trail's key prefix: the folder that holds AWSLogs/ (or any folder below it)"},
    {"region", RW_OPT_STRING, NULL, false, "the bucket's region (default: asked of S3)"},
    {"interval", RW_OPT_INT, "60", false, "seconds between two polls"},
    {"rediscover", RW_OPT_INT, NULL, false,
     "seconds between two searches for new accounts' and regions' folders, less than the window (a "
     "folder found late is read from a window back); default 300, or half a shorter window"},
    {"window", RW_OPT_INT, "3600", false,
     "seconds a file may land after newer ones and still be read (CloudTrail's are up to about "
     "15 minutes late); a stream seen for the first time is read from this far back"},
    {NULL, 0, NULL, false, NULL},
};

static int s3w_create(rw_source **out, const char *name, const rw_opt_values *opts,
                      rw_watch_env *env) {
    *out = NULL;
    const char *bucket = rw_opt_str(opts, "bucket");
    const char *prefix = rw_opt_str(opts, "prefix");
    const char *region = rw_opt_str(opts, "region");
    long interval = rw_opt_int(opts, "interval"), window = rw_opt_int(opts, "window");
    long rediscover = rw_opt_int(opts, "rediscover"); /* 0: unset */
    /* a bucket name as s3:// URLs take it (aws/s3.c checks it there) */
    char *url_bucket = NULL, *url_prefix = NULL;
    rw_buf url;
    rw_buf_init(&url, 0);
    rw_buf_printf(&url, "s3://%s", bucket ? bucket : "");
    int rc = rw_s3_url_parse(url.data, &url_bucket, &url_prefix);
    rw_buf_free(&url);
    bool bad_bucket = rc != RW_OK || !bucket || strchr(bucket, '/');
    free(url_bucket);
    free(url_prefix);
    if (bad_bucket)
        return rw_error_set(RW_EINVAL, "source %s: bucket: '%s' is not a bucket name", name,
                            bucket ? bucket : "");
    if (interval < 1)
        return rw_error_set(RW_EINVAL, "source %s: interval: at least 1 second, not %ld", name,
                            interval);
    if (window < 60)
        return rw_error_set(RW_EINVAL, "source %s: window: at least 60 seconds, not %ld", name,
                            window);
    if (rediscover == 0) /* unset */
        rediscover = window / 2 < 300 ? window / 2 : 300;
    if (rediscover < 1 || rediscover >= window)
        return rw_error_set(RW_EINVAL,
                            "source %s: rediscover: from 1 second to less than the window (%ld), "
                            "not %ld",
                            name, window, rediscover);
    s3w *s = rw_xcalloc(1, sizeof *s);
    rw_poll_init(&s->b, env, name, "s3");
    s->bucket = rw_xstrdup(bucket);
    /* the prefix as a folder: "logs" is "logs/" (CloudTrail's S3KeyPrefix is a folder) */
    rw_buf p;
    rw_buf_init(&p, 0);
    while (prefix && *prefix == '/') prefix++;
    rw_buf_puts(&p, prefix ? prefix : "");
    if (p.len && p.data[p.len - 1] != '/') rw_buf_putc(&p, '/');
    s->prefix = rw_buf_take(&p);
    s->region_opt = region && *region ? rw_xstrdup(region) : NULL;
    s->interval = interval;
    s->window = window;
    s->rediscover = rediscover;
    rw_buf n;
    rw_buf_init(&n, 0);
    rw_buf_printf(&n, "s3 %s (s3://%s/%s)", name, s->bucket, s->prefix);
    *out = rw_source_new(&s3w_type, n.data, s);
    rw_buf_free(&n);
    return RW_OK;
}

const rw_watch_source_type rw_watch_source_s3 = {
    .type = "s3",
    .summary = "polls a trail's S3 bucket for new log files (checkpoints per account and region)",
    .opts = s3w_opts,
    .create = s3w_create,
};

/* rootwatch watch's lookup-events source: polls CloudTrail's event history (LookupEvents) of each
 * region for events since its checkpoint.
 *
 * An event appears in the history up to about fifteen minutes after its time, so each poll asks
 * for the events from the checkpoint less an overlap (20 minutes by default) up to the time of the
 * poll, and the checkpoint, a region's row in the store's checkpoints
 *
 *   {"until": "2026-12-06T08:15:00Z"}
 *
 * moves to that time once the poll's unit is settled ok (every page read, its alerts stored). The
 * events of the overlap are read again at every poll: the engine drops the alerts it has already
 * handed out, and the store's unique eventID keeps an alert from being stored or notified twice
 * across restarts. One poll of a region is in hand at a time, so its checkpoint moves in order; a
 * poll not read in full (a throttled or failed call, a stop between pages) leaves it where it was,
 * and the next poll asks again from there. A region never polled before starts an overlap back from
 * now: the history before that is `rootwatch scan --lookup-events`'s.
 *
 * LookupEvents allows 2 calls per second per account and region: aws/cloudtrail.c spaces the calls
 * of a client so, and a region's poll runs on one client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudtrail.h"
#include "sources/watch_poll.h"
#include "trail/reader.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

typedef struct region_state {
    char *region;
    char *ckpt_key; /* lookup-events:NAME:REGION */
    bool loaded;
    bool in_flight; /* a poll of it is in the engine's hands */
    int64_t until;  /* the checkpoint: events before it are read */
} region_state;

typedef struct lookw {
    rw_poll_base b;
    char **regions_opt; /* as configured (NULL: the configured region; {"all"}) */
    long interval, overlap;
    rw_aws_session *aws;
    region_state **regions;
    size_t nregions;
} lookw;

typedef struct poll_ref {
    region_state *r;
    int64_t since, until;
    bool complete; /* every page was read */
    int pages;
} poll_ref;

static void load_region(lookw *s, region_state *r) {
    r->loaded = true;
    r->until = rw_poll_now();
    char *value = NULL;
    if (rw_poll_checkpoint_get(&s->b, r->ckpt_key, &value) != RW_OK) return;
    if (!value) return;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    const char *t = NULL;
    int64_t until;
    if (rw_json_doc_parse(doc, value, strlen(value)) == RW_OK)
        t = rw_json_get_str(rw_json_doc_root(doc), "until");
    if (t && rw_time_parse(t, &until) == RW_OK)
        r->until = until;
    else
        rw_poll_error(&s->b, "%s: its checkpoint is damaged: read from now on", r->region);
    rw_json_doc_free(doc);
    free(value);
}

static void save_region(lookw *s, region_state *r) {
    char t[32], v[64];
    rw_time_format(r->until, t);
    snprintf(v, sizeof v, "{\"until\":\"%s\"}", t);
    rw_poll_checkpoint_set(&s->b, r->ckpt_key, v);
}

static void add_region(lookw *s, const char *name) {
    for (size_t i = 0; i < s->nregions; i++)
        if (!strcmp(s->regions[i]->region, name)) return;
    region_state *r = rw_xcalloc(1, sizeof *r);
    r->region = rw_xstrdup(name);
    rw_buf k;
    rw_buf_init(&k, 0);
    rw_buf_printf(&k, "lookup-events:%s:%s", s->b.name, name);
    r->ckpt_key = rw_buf_take(&k);
    pthread_mutex_lock(&s->b.mu);
    s->regions = rw_xrealloc(s->regions, (s->nregions + 1) * sizeof *s->regions);
    s->regions[s->nregions++] = r;
    pthread_mutex_unlock(&s->b.mu);
}

/* The regions to poll, once: the configured list, every region of the account (EC2
 * DescribeRegions), or the configured region. */
static int resolve_regions(lookw *s) {
    char **list = s->regions_opt;
    if (list && list[0] && !strcmp(list[0], "all") && !list[1]) {
        rw_aws_client *c = rw_aws_client_new(s->aws->cfg, s->aws->creds, NULL);
        char **all = NULL;
        int rc = rw_cloudtrail_regions(c, s->aws->cfg->region, &all);
        rw_aws_client_free(c);
        if (rc != RW_OK) return rc;
        for (char **p = all; *p; p++) add_region(s, *p);
        for (char **p = all; *p; p++) free(*p);
        free(all);
    } else if (list && list[0]) {
        for (char **p = list; *p; p++) add_region(s, *p);
    } else {
        if (!s->aws->cfg->region)
            return rw_error_set(RW_EINVAL, "no region: set regions (a list, or all), AWS_REGION "
                                           "or the profile's region");
        add_region(s, s->aws->cfg->region);
    }
    rw_log_info("lookup-events %s: polling %zu region%s every %ld s", s->b.name, s->nregions,
                s->nregions == 1 ? "" : "s", s->interval);
    return RW_OK;
}

static int lookw_enumerate(rw_source *src, rw_emit *emit) {
    lookw *s = src->state;
    while (!rw_poll_stopping(&s->b, emit)) {
        rw_poll_count(&s->b, "rootwatch_source_polls_total", "Polls made, per source", 1);
        bool failed = !rw_poll_aws(&s->b, &s->aws);
        if (s->aws && s->nregions == 0 && resolve_regions(s) != RW_OK) {
            rw_poll_error(&s->b, "%s", rw_error_last());
            failed = true;
        }
        int64_t now = rw_poll_now();
        for (size_t i = 0; i < s->nregions; i++) {
            region_state *r = s->regions[i];
            pthread_mutex_lock(&s->b.mu);
            bool take = !r->in_flight;
            poll_ref *p = NULL;
            if (take) {
                if (!r->loaded) load_region(s, r);
                r->in_flight = true;
                p = rw_xcalloc(1, sizeof *p);
                p->r = r;
                p->since = r->until - s->overlap;
                p->until = now > r->until ? now : r->until;
            }
            pthread_mutex_unlock(&s->b.mu);
            if (!take) continue; /* the last poll of it is still being read */
            char name[128];
            snprintf(name, sizeof name, "CloudTrail LookupEvents %s", r->region);
            if (rw_emit_unit(emit, name, false, p, free) != RW_OK) {
                pthread_mutex_lock(&s->b.mu);
                r->in_flight = false; /* not taken: never settled */
                pthread_mutex_unlock(&s->b.mu);
                break;
            }
            rw_poll_count_unit(&s->b);
        }
        if (!failed) rw_poll_recovered(&s->b);
        if (rw_poll_wait(&s->b, emit, (double)s->interval)) break;
    }
    return RW_OK;
}

typedef struct pages {
    rw_unit *u;
    poll_ref *p;
} pages;

static int on_page(void *ctx, int number, const char *data, size_t len) {
    pages *pg = ctx;
    rw_unit_set_page(pg->u, number);
    rw_unit_read_mem(pg->u, data, len);
    pg->p->pages++;
    int kind = rw_unit_kind(pg->u);
    if (kind != RW_TRAIL_LOOKUP && kind != RW_TRAIL_EMPTY)
        rw_unit_problem(pg->u, 0, "the reply is not a LookupEvents response");
    if (rw_unit_stopping(pg->u)) /* the pages read are kept; the checkpoint does not move */
        return rw_error_set(RW_ECANCELED, "stopped after page %d", number);
    return RW_OK;
}

static void lookw_read(rw_source *src, rw_unit *u, void **worker) {
    lookw *s = src->state;
    poll_ref *p = rw_unit_data(u);
    if (!*worker) *worker = rw_aws_client_new(s->aws->cfg, s->aws->creds, NULL);
    rw_lookup_query q = {
        .has_since = true, .has_until = true, .since = p->since, .until = p->until};
    pages pg = {u, p};
    int rc = rw_cloudtrail_lookup_pages(*worker, p->r->region, &q, on_page, &pg);
    p->complete = rc == RW_OK;
    if (rc == RW_OK || rc == RW_ECANCELED) return;
    rw_unit_set_page(u, 0);
    if (p->pages == 0)
        rw_unit_fail(u, "%s", rw_error_last());
    else /* the pages read so far still count */
        rw_unit_problem(u, RW_UNIT_NO_OFFSET, "%s", rw_error_last());
}

static void lookw_worker_free(rw_source *src, void *worker) {
    (void)src;
    rw_aws_client_free(worker);
}

static void lookw_settle(rw_source *src, rw_unit *u, bool ok) {
    lookw *s = src->state;
    poll_ref *p = rw_unit_data(u);
    pthread_mutex_lock(&s->b.mu);
    region_state *r = p->r;
    r->in_flight = false;
    if (ok && p->complete) {
        if (p->until > r->until) {
            r->until = p->until;
            save_region(s, r);
        }
    } else if (!ok && !rw_unit_stopping(u)) { /* (handed back unread at a stop: no error) */
        char since[32];
        rw_time_format(p->since, since);
        rw_poll_error(&s->b,
                      "%s: the events since %s were not read in full: asked again at the next "
                      "poll",
                      r->region, since);
    }
    pthread_mutex_unlock(&s->b.mu);
}

static void lookw_close(rw_source *src) {
    lookw *s = src->state;
    for (size_t i = 0; i < s->nregions; i++) {
        free(s->regions[i]->region);
        free(s->regions[i]->ckpt_key);
        free(s->regions[i]);
    }
    free(s->regions);
    for (char **p = s->regions_opt; p && *p; p++) free(*p);
    free(s->regions_opt);
    rw_poll_free(&s->b);
    free(s);
}

static const rw_source_type lookw_type = {
    .type = "lookup-events",
    .enumerate = lookw_enumerate,
    .read = lookw_read,
    .worker_free = lookw_worker_free,
    .settle = lookw_settle,
    .close = lookw_close,
};

static const rw_opt_spec lookw_opts[] = {
    {"regions", RW_OPT_LIST, NULL, false,
     "the regions whose history is polled, or all (default: the configured region)"},
    {"interval", RW_OPT_INT, "60", false, "seconds between two polls of a region"},
    {"overlap", RW_OPT_INT, "1200", false,
     "seconds of history asked for again at each poll: events appear in it up to about 15 "
     "minutes late (at least 15 minutes plus the interval)"},
    {NULL, 0, NULL, false, NULL},
};

static bool region_name_ok(const char *r) {
    if (!*r) return false;
    for (const char *p = r; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) return false;
    return true;
}

static int lookw_create(rw_source **out, const char *name, const rw_opt_values *opts,
                        rw_watch_env *env) {
    *out = NULL;
    long interval = rw_opt_int(opts, "interval"), overlap = rw_opt_int(opts, "overlap");
    const char *const *regions = rw_opt_list(opts, "regions");
    size_t n = 0;
    for (; regions && regions[n]; n++) {
        if (!strcmp(regions[n], "all")) {
            if (n > 0 || regions[1])
                return rw_error_set(RW_EINVAL,
                                    "source %s: regions: all stands alone (not in a list)", name);
            continue;
        }
        if (!region_name_ok(regions[n]))
            return rw_error_set(RW_EINVAL, "source %s: regions: '%s' is not a region name", name,
                                regions[n]);
    }
    if (interval < 1)
        return rw_error_set(RW_EINVAL, "source %s: interval: at least 1 second, not %ld", name,
                            interval);
    if (overlap < 0)
        return rw_error_set(RW_EINVAL, "source %s: overlap: not negative (%ld)", name, overlap);
    if (overlap < 900 + interval)
        rw_log_warn("source %s: overlap %ld s is less than 15 minutes plus the interval: events "
                    "that appear late in the history may be missed",
                    name, overlap);
    lookw *s = rw_xcalloc(1, sizeof *s);
    rw_poll_init(&s->b, env, name, "lookup-events");
    if (n) {
        s->regions_opt = rw_xcalloc(n + 1, sizeof *s->regions_opt);
        for (size_t i = 0; i < n; i++) s->regions_opt[i] = rw_xstrdup(regions[i]);
    }
    s->interval = interval;
    s->overlap = overlap;
    char label[256];
    snprintf(label, sizeof label, "lookup-events %s", name);
    *out = rw_source_new(&lookw_type, label, s);
    return RW_OK;
}

const rw_watch_source_type rw_watch_source_lookup_events = {
    .type = "lookup-events",
    .summary = "polls CloudTrail's event history (LookupEvents) of each region, within its rate "
               "limit",
    .opts = lookw_opts,
    .create = lookw_create,
};

#include "sources/in_s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"
#include "util/xmalloc.h"

typedef struct s3_source {
    char *url;
    rw_aws_lazy *aws;
    rw_s3_range range;
    char *bucket, *region; /* known once listing starts; the units point at them */
    uint64_t listed, out_of_range;
    rw_emit *emit;
} s3_source;

static int on_object(void *ctx, const rw_s3_object *o) {
    s3_source *s = ctx;
    size_t n = strlen(s->bucket) + strlen(o->key) + 7;
    char *name = rw_xmalloc(n);
    snprintf(name, n, "s3://%s/%s", s->bucket, o->key);
    int rc = RW_OK;
    s->listed++;
    int64_t day;
    if (rw_s3_key_is_digest(o->key)) { /* never fetched */
        rw_emit_skip(s->emit, name, true, "CloudTrail digest file");
    } else if ((s->range.has_since || s->range.has_until) && rw_s3_key_day(o->key, &day) &&
               ((s->range.has_since && day + 86400 <= s->range.since) ||
                (s->range.has_until && day > s->range.until + RW_S3_DELIVERY_DELAY))) {
        /* a file holds events from before its delivery: a day that ends before --since holds
         * none in range; for --until, two days of delivery delay are allowed for */
        s->out_of_range++;
    } else {
        rc = rw_emit_unit(s->emit, name, false, rw_xstrdup(o->key), free); /* stops the listing
                                                                              when stopping */
    }
    free(name);
    return rc;
}

static int s3_enumerate(rw_source *src, rw_emit *emit) {
    s3_source *s = src->state;
    char *prefix = NULL;
    int rc = rw_s3_url_parse(s->url, &s->bucket, &prefix);
    if (rc != RW_OK) return rc;
    rw_aws_session *aws = rw_aws_lazy_get(s->aws);
    if (!aws) {
        free(prefix);
        return RW_EINVAL;
    }
    rw_aws_client *c = rw_aws_client_new(aws->cfg, aws->creds, NULL);
    s->region = rw_s3_bucket_region(c, s->bucket, aws->cfg->region);
    if (!s->region) {
        rc = RW_EIO;
    } else {
        s->emit = emit;
        rw_s3_walk_stats ws;
        rc = rw_s3_walk(c, s->region, s->bucket, prefix, &s->range, &ws, on_object, s);
        if (ws.pruned_folders || ws.digest_folders)
            rw_log_info("%s: %llu folders listed; not listed: %llu year, month or day folders "
                        "outside --since/--until, %llu digest folders",
                        s->url, (unsigned long long)ws.listings,
                        (unsigned long long)ws.pruned_folders,
                        (unsigned long long)ws.digest_folders);
        else if (rc == RW_OK && s->listed == 0)
            rw_log_warn("%s: no objects", s->url);
        if (s->out_of_range)
            rw_log_info("%s: %llu objects skipped: the date in their key is outside "
                        "--since/--until",
                        s->url, (unsigned long long)s->out_of_range);
    }
    rw_aws_client_free(c);
    free(prefix);
    return rc;
}

static void s3_read(rw_source *src, rw_unit *u, void **worker) {
    s3_source *s = src->state;
    if (!*worker) *worker = rw_aws_client_new(s->aws->s.cfg, s->aws->s.creds, NULL);
    rw_http_response resp;
    rw_http_response_init(&resp);
    if (rw_s3_get(*worker, s->region, s->bucket, rw_unit_data(u), &resp) != RW_OK)
        rw_unit_fail(u, "%s", rw_error_last());
    else
        rw_unit_read_mem(u, resp.body.data ? resp.body.data : "", resp.body.len);
    rw_http_response_free(&resp);
}

static void s3_worker_free(rw_source *src, void *worker) {
    (void)src;
    rw_aws_client_free(worker);
}

static void s3_close(rw_source *src) {
    s3_source *s = src->state;
    free(s->url);
    free(s->bucket);
    free(s->region);
    free(s);
}

static const rw_source_type s3_type = {
    .type = "s3",
    .enumerate = s3_enumerate,
    .read = s3_read,
    .worker_free = s3_worker_free,
    .close = s3_close,
};

rw_source *rw_source_s3_new(const char *url, rw_aws_lazy *aws, const rw_s3_range *range) {
    s3_source *s = rw_xcalloc(1, sizeof *s);
    s->url = rw_xstrdup(url);
    s->aws = aws;
    if (range) s->range = *range;
    return rw_source_new(&s3_type, url, s);
}

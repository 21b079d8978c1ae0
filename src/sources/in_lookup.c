#include "sources/in_lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trail/reader.h"
#include "util/err.h"
#include "util/signals.h"
#include "util/xmalloc.h"

typedef struct lookup_source {
    char **regions; /* NULL: the configured one */
    rw_aws_lazy *aws;
    rw_lookup_query q;
} lookup_source;

static void free_list(char **list) {
    for (char **p = list; p && *p; p++) free(*p);
    free(list);
}

static int lookup_enumerate(rw_source *src, rw_emit *emit) {
    lookup_source *s = src->state;
    rw_aws_session *aws = rw_aws_lazy_get(s->aws);
    if (!aws) return RW_EINVAL;
    char **all = NULL, *one[2] = {NULL, NULL};
    char **regions = s->regions;
    if (regions && regions[0] && !strcmp(regions[0], "all") && !regions[1]) {
        rw_aws_client *c = rw_aws_client_new(aws->cfg, aws->creds, NULL);
        int rc = rw_cloudtrail_regions(c, aws->cfg->region, &all);
        rw_aws_client_free(c);
        if (rc != RW_OK) return rc;
        regions = all;
    } else if (!regions) {
        if (!aws->cfg->region)
            return rw_error_set(RW_EINVAL, "no region: give --regions LIST or all, or set "
                                           "AWS_REGION or the profile's region");
        one[0] = aws->cfg->region;
        regions = one;
    }
    for (char **r = regions; *r; r++) {
        size_t n = strlen(*r) + 32;
        char *name = rw_xmalloc(n);
        snprintf(name, n, "CloudTrail LookupEvents %s", *r);
        rw_emit_unit(emit, name, true, rw_xstrdup(*r), free); /* stopping: counted unread */
        free(name);
    }
    free_list(all);
    return RW_OK;
}

typedef struct pages {
    rw_unit *u;
    int read; /* pages read */
} pages;

static int on_page(void *ctx, int number, const char *data, size_t len) {
    pages *p = ctx;
    rw_unit_set_page(p->u, number);
    rw_unit_read_mem(p->u, data, len);
    p->read++;
    int kind = rw_unit_kind(p->u);
    if (kind != RW_TRAIL_LOOKUP && kind != RW_TRAIL_EMPTY)
        rw_unit_problem(p->u, 0, "the reply is not a LookupEvents response");
    if (rw_unit_stopping(p->u)) /* this page is read and kept; no more are asked for */
        return rw_error_set(RW_ECANCELED, "stopped by %s after page %d",
                            rw_signal_name(rw_signal_stop_requested()), number);
    return RW_OK; /* the next pages are still read */
}

static void lookup_read(rw_source *src, rw_unit *u, void **worker) {
    lookup_source *s = src->state;
    if (!*worker) *worker = rw_aws_client_new(s->aws->s.cfg, s->aws->s.creds, NULL);
    pages p = {u, 0};
    int rc = rw_cloudtrail_lookup_pages(*worker, rw_unit_data(u), &s->q, on_page, &p);
    if (rc == RW_OK || rc == RW_ECANCELED) return;
    rw_unit_set_page(u, 0);
    if (p.read == 0)
        rw_unit_fail(u, "%s", rw_error_last());
    else /* the pages read so far still count */
        rw_unit_problem(u, RW_UNIT_NO_OFFSET, "%s", rw_error_last());
}

static void lookup_worker_free(rw_source *src, void *worker) {
    (void)src;
    rw_aws_client_free(worker);
}

static void lookup_close(rw_source *src) {
    lookup_source *s = src->state;
    free_list(s->regions);
    free(s);
}

static const rw_source_type lookup_type = {
    .type = "lookup-events",
    .enumerate = lookup_enumerate,
    .read = lookup_read,
    .worker_free = lookup_worker_free,
    .close = lookup_close,
};

rw_source *rw_source_lookup_new(char **regions, rw_aws_lazy *aws, const rw_lookup_query *q) {
    lookup_source *s = rw_xcalloc(1, sizeof *s);
    size_t n = 0;
    while (regions && regions[n]) n++;
    if (regions) {
        s->regions = rw_xcalloc(n + 1, sizeof *s->regions);
        for (size_t i = 0; i < n; i++) s->regions[i] = rw_xstrdup(regions[i]);
    }
    s->aws = aws;
    s->q = *q;
    return rw_source_new(&lookup_type, "CloudTrail LookupEvents", s);
}

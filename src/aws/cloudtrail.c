#include "aws/cloudtrail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

typedef struct pages {
    int (*page)(void *ctx, int number, const char *data, size_t len);
    void *ctx;
} pages;

static int on_page(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)reply; /* the reader reads the events from the bytes, and reports where they break */
    pages *p = ctx;
    return p->page(p->ctx, number, raw, len);
}

int rw_cloudtrail_lookup_pages(rw_aws_client *c, const char *region, const rw_lookup_query *q,
                               int (*page)(void *ctx, int number, const char *data, size_t len),
                               void *ctx) {
    rw_aws_client_set_rate(c, 2.0);
    rw_buf body;
    rw_buf_init(&body, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&body, "{\"MaxResults\":%d",
                  q->max_results > 0 && q->max_results <= 50 ? q->max_results : 50);
    if (q->has_since) rw_buf_printf(&body, ",\"StartTime\":%lld", (long long)q->since);
    if (q->has_until) rw_buf_printf(&body, ",\"EndTime\":%lld", (long long)q->until);
    rw_buf_putc(&body, '}');
    pages p = {page, ctx};
    int rc = rw_aws_json_pages(c, &rw_aws_cloudtrail, region, "LookupEvents", body.data,
                               "NextToken", "NextToken", on_page, &p);
    rw_buf_free(&body);
    return rc;
}

int rw_cloudtrail_regions(rw_aws_client *c, const char *region, char ***out) {
    *out = NULL;
    rw_xml *x = NULL;
    int rc = rw_aws_query(c, &rw_aws_ec2, region, "DescribeRegions", NULL, &x);
    if (rc != RW_OK) return rw_error_wrap(rc, "listing the account's regions (--regions all)");
    const rw_xml *info = rw_xml_find(x, "regionInfo");
    size_t n = 0;
    char **list = rw_xcalloc(1, sizeof *list);
    for (const rw_xml *it = info ? info->child : NULL; it; it = it->next) {
        const char *name = rw_xml_text(it, "regionName");
        if (!name || !*name) continue;
        list = rw_xrealloc(list, (n + 2) * sizeof *list);
        list[n++] = rw_xstrdup(name);
        list[n] = NULL;
    }
    rw_xml_free(x);
    if (n == 0) {
        free(list);
        return rw_error_set(RW_EIO, "EC2 DescribeRegions: no region in the reply");
    }
    *out = list;
    return RW_OK;
}

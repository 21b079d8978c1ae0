#include "sources/in_lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

int rw_lookup_pages(rw_aws_client *c, const char *region, const rw_lookup_query *q,
                    int (*page)(void *ctx, int number, const char *data, size_t len), void *ctx) {
    rw_aws_client_set_rate(c, 2.0);
    rw_buf body;
    rw_buf_init(&body, RW_BUF_DEFAULT_MAX);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_http_response resp;
    rw_http_response_init(&resp);
    char *token = NULL;
    int rc = RW_OK;
    for (int n = 1;; n++) {
        rw_buf_reset(&body);
        rw_buf_printf(&body, "{\"MaxResults\":%d",
                      q->max_results > 0 && q->max_results <= 50 ? q->max_results : 50);
        if (q->has_since) rw_buf_printf(&body, ",\"StartTime\":%lld", (long long)q->since);
        if (q->has_until) rw_buf_printf(&body, ",\"EndTime\":%lld", (long long)q->until);
        if (token) {
            rw_buf_puts(&body, ",\"NextToken\":");
            rw_json_write_str(&body, token, strlen(token));
        }
        rw_buf_putc(&body, '}');
        rc = rw_aws_json_raw(c, &rw_aws_cloudtrail, region, "LookupEvents", body.data, &resp);
        if (rc != RW_OK) {
            char *msg = rw_xstrdup(rw_error_last());
            rc = rw_error_set(rc, "%s (page %d)", msg, n);
            free(msg);
            break;
        }
        const char *data = resp.body.data ? resp.body.data : "";
        rc = page(ctx, n, data, resp.body.len);
        if (rc) break;
        /* the token: from the reply, read with the JSON parser (the reader has checked the events)
         */
        if (rw_json_doc_parse(doc, data, resp.body.len) != RW_OK) {
            rc = rw_error_set(
                RW_EIO,
                "CloudTrail LookupEvents %s, page %d: the reply is not JSON (at byte %zu); "
                "the pages after it cannot be asked for",
                region, n, rw_json_doc_error_offset(doc));
            break;
        }
        const rw_json *next = rw_json_get(rw_json_doc_root(doc), "NextToken");
        if (!next || next->type == RW_JSON_NULL) break;
        if (next->type != RW_JSON_STRING || !next->len) {
            rc = rw_error_set(RW_EIO,
                              "CloudTrail LookupEvents %s, page %d: NextToken is not a string",
                              region, n);
            break;
        }
        if (token && !strcmp(token, next->str)) {
            rc = rw_error_set(RW_EIO,
                              "CloudTrail LookupEvents %s, page %d: the same NextToken came twice",
                              region, n);
            break;
        }
        free(token);
        token = rw_xstrdup(next->str);
    }
    free(token);
    rw_http_response_free(&resp);
    rw_json_doc_free(doc);
    rw_buf_free(&body);
    return rc;
}

int rw_lookup_regions(rw_aws_client *c, const char *region, char ***out) {
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

#include "aws/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

int rw_s3_url_parse(const char *url, char **bucket, char **prefix) {
    *bucket = *prefix = NULL;
    if (strncmp(url, "s3://", 5)) return rw_error_set(RW_EINVAL, "%s: not an s3:// URL", url);
    const char *b = url + 5;
    size_t n = strcspn(b, "/");
    if (n < 3 || n > 63)
        return rw_error_set(RW_EINVAL, "%s: no bucket name (s3://BUCKET[/PREFIX])", url);
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
              ch == '_'))
            return rw_error_set(RW_EINVAL, "%s: '%.*s' is not a bucket name", url, (int)n, b);
    }
    *bucket = rw_xstrndup(b, n);
    *prefix = rw_xstrdup(b[n] == '/' ? b + n + 1 : "");
    return RW_OK;
}

bool rw_s3_key_is_digest(const char *key) {
    return strstr(key, "/CloudTrail-Digest/") != NULL || !strncmp(key, "CloudTrail-Digest/", 18);
}

static bool digits(const char *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

bool rw_s3_key_day(const char *key, int64_t *day) {
    /* .../CloudTrail/<region>/YYYY/MM/DD/ */
    const char *p = strstr(key, "/CloudTrail/");
    if (!p) p = !strncmp(key, "CloudTrail/", 11) ? key - 1 : NULL;
    if (!p) return false;
    p += 12;
    p = strchr(p, '/'); /* after the region */
    if (!p) return false;
    p++;
    if (!digits(p, 4) || p[4] != '/' || !digits(p + 5, 2) || p[7] != '/' || !digits(p + 8, 2) ||
        p[10] != '/')
        return false;
    char d[11];
    snprintf(d, sizeof d, "%.4s-%.2s-%.2s", p, p + 5, p + 8);
    return rw_time_parse(d, day) == RW_OK;
}

static int add_query(rw_buf *q, const char *name, const char *value) {
    if (q->len) rw_buf_putc(q, '&');
    rw_buf_printf(q, "%s=", name);
    return rw_sigv4_uri_encode(q, value, strlen(value), 0);
}

/* One listing under prefix: objects go to each, and with a delimiter the common prefixes (the
 * "folders" below) go to sub. */
static int list_level(rw_aws_client *c, const char *region, const char *bucket, const char *prefix,
                      const char *delimiter, const char *start_after,
                      int (*each)(void *ctx, const rw_s3_object *o),
                      int (*sub)(void *ctx, const char *prefix), void *ctx) {
    char *token = NULL;
    rw_buf path, q;
    rw_buf_init(&path, RW_BUF_DEFAULT_MAX);
    rw_buf_init(&q, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&path, '/');
    rw_sigv4_uri_encode(&path, bucket, strlen(bucket), 0);
    int rc = RW_OK;
    rw_http_response resp;
    rw_http_response_init(&resp);
    for (int page = 1;; page++) {
        rw_buf_reset(&q);
        rw_buf_puts(&q, "");
        add_query(&q, "list-type", "2");
        if (prefix && *prefix) add_query(&q, "prefix", prefix);
        if (delimiter) add_query(&q, "delimiter", delimiter);
        if (token)
            add_query(&q, "continuation-token", token);
        else if (start_after && *start_after)
            add_query(&q, "start-after", start_after);
        rc = rw_aws_rest(c, &rw_aws_s3, region, "ListObjectsV2", "GET", path.data, q.data, NULL, 0,
                         &resp);
        if (rc != RW_OK) break;
        rw_xml *x = NULL;
        rc = rw_xml_parse(&x, resp.body.data ? resp.body.data : "", resp.body.len);
        if (rc != RW_OK) {
            rc = rw_error_wrap(rc, "S3 ListObjectsV2 s3://%s/%s (page %d): the reply is not XML",
                               bucket, prefix, page);
            break;
        }
        for (const rw_xml *e = x->child; e && rc == RW_OK; e = e->next) {
            if (!strcmp(e->name, "CommonPrefixes") && sub) {
                const char *p = rw_xml_text(e, "Prefix");
                if (p && *p) rc = sub(ctx, p);
                continue;
            }
            if (strcmp(e->name, "Contents")) continue;
            const char *key = rw_xml_text(e, "Key");
            const char *size = rw_xml_text(e, "Size");
            if (!key || !*key) continue;
            rw_s3_object o = {key, size ? strtoull(size, NULL, 10) : 0};
            rc = each(ctx, &o);
        }
        const char *trunc = rw_xml_text(x, "IsTruncated");
        const char *next = rw_xml_text(x, "NextContinuationToken");
        bool more = trunc && !strcmp(trunc, "true");
        if (rc == RW_OK && more && (!next || !*next))
            rc = rw_error_set(RW_EIO,
                              "S3 ListObjectsV2 s3://%s/%s: the listing is truncated but has no "
                              "continuation token",
                              bucket, prefix);
        if (rc == RW_OK && more && token && !strcmp(token, next))
            rc = rw_error_set(RW_EIO,
                              "S3 ListObjectsV2 s3://%s/%s: the same continuation token came twice",
                              bucket, prefix);
        if (rc == RW_OK && more) {
            free(token);
            token = rw_xstrdup(next);
        }
        rw_xml_free(x);
        if (rc != RW_OK || !more) break;
    }
    rw_http_response_free(&resp);
    rw_buf_free(&path);
    rw_buf_free(&q);
    free(token);
    return rc;
}

int rw_s3_list(rw_aws_client *c, const char *region, const char *bucket, const char *prefix,
               const char *start_after, int (*each)(void *ctx, const rw_s3_object *o), void *ctx) {
    return list_level(c, region, bucket, prefix, NULL, start_after, each, NULL, ctx);
}

static int ignore_object(void *ctx, const rw_s3_object *o) {
    (void)ctx, (void)o;
    return RW_OK;
}

int rw_s3_list_prefixes(rw_aws_client *c, const char *region, const char *bucket,
                        const char *prefix, int (*sub)(void *ctx, const char *prefix), void *ctx) {
    return list_level(c, region, bucket, prefix, "/", NULL, ignore_object, sub, ctx);
}

/* The time span a "folder" of the CloudTrail layout covers: .../CloudTrail/<region>/YYYY/,
 * .../YYYY/MM/ or .../YYYY/MM/DD/ give [start, end); false for any other prefix. */
static bool prefix_span(const char *p, int64_t *start, int64_t *end) {
    const char *ct = strstr(p, "/CloudTrail/");
    if (ct)
        ct += 12;
    else if (!strncmp(p, "CloudTrail/", 11))
        ct = p + 11;
    else
        return false;
    const char *d = strchr(ct, '/'); /* after the region */
    if (!d) return false;
    d++;
    int y = 0, m = 0, day = 0;
    size_t n = strlen(d);
    if (n == 5 && digits(d, 4) && d[4] == '/') {
        y = atoi(d);
    } else if (n == 8 && digits(d, 4) && d[4] == '/' && digits(d + 5, 2) && d[7] == '/') {
        y = atoi(d), m = atoi(d + 5);
    } else if (n == 11 && digits(d, 4) && d[4] == '/' && digits(d + 5, 2) && d[7] == '/' &&
               digits(d + 8, 2) && d[10] == '/') {
        y = atoi(d), m = atoi(d + 5), day = atoi(d + 8);
    } else {
        return false;
    }
    char a[32], b[32];
    if (!m) {
        snprintf(a, sizeof a, "%04d-01-01", y);
        snprintf(b, sizeof b, "%04d-01-01", y + 1);
    } else if (!day) {
        if (m < 1 || m > 12) return false;
        snprintf(a, sizeof a, "%04d-%02d-01", y, m);
        snprintf(b, sizeof b, "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
    } else {
        snprintf(a, sizeof a, "%04d-%02d-%02d", y, m, day);
        if (rw_time_parse(a, start) != RW_OK) return false;
        *end = *start + 86400;
        return true;
    }
    return rw_time_parse(a, start) == RW_OK && rw_time_parse(b, end) == RW_OK;
}

typedef struct walk {
    rw_aws_client *c;
    const char *region, *bucket;
    const rw_s3_range *range;
    rw_s3_walk_stats *stats;
    int (*each)(void *ctx, const rw_s3_object *o);
    void *ctx;
    int depth;
} walk;

static int walk_each(void *ctx, const rw_s3_object *o) {
    walk *w = ctx;
    return w->each(w->ctx, o);
}

static int walk_sub(void *ctx, const char *prefix) {
    walk *w = ctx;
    size_t n = strlen(prefix);
    /* a digest folder is never listed: its files are not read */
    if (n >= 19 && !strcmp(prefix + n - 19, "/CloudTrail-Digest/")) {
        w->stats->digest_folders++;
        return RW_OK;
    }
    int64_t start, end;
    if (prefix_span(prefix, &start, &end)) {
        if ((w->range->has_since && end <= w->range->since) ||
            (w->range->has_until && start > w->range->until + RW_S3_DELIVERY_DELAY)) {
            w->stats->pruned_folders++;
            return RW_OK;
        }
    }
    w->stats->listings++;
    w->depth++;
    int rc =
        w->depth > 12
            ? list_level(w->c, w->region, w->bucket, prefix, NULL, NULL, walk_each, NULL, w)
            : list_level(w->c, w->region, w->bucket, prefix, "/", NULL, walk_each, walk_sub, w);
    w->depth--;
    return rc;
}

int rw_s3_walk(rw_aws_client *c, const char *region, const char *bucket, const char *prefix,
               const rw_s3_range *range, rw_s3_walk_stats *stats,
               int (*each)(void *ctx, const rw_s3_object *o), void *ctx) {
    memset(stats, 0, sizeof *stats);
    stats->listings = 1;
    if (!range || (!range->has_since && !range->has_until))
        return list_level(c, region, bucket, prefix, NULL, NULL, each, NULL, ctx);
    walk w = {c, region, bucket, range, stats, each, ctx, 0};
    return list_level(c, region, bucket, prefix, "/", NULL, walk_each, walk_sub, &w);
}

char *rw_s3_bucket_region(rw_aws_client *c, const char *bucket, const char *fallback) {
    rw_buf path;
    rw_buf_init(&path, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&path, '/');
    rw_sigv4_uri_encode(&path, bucket, strlen(bucket), 0);
    rw_http_response resp;
    rw_http_response_init(&resp);
    /* HeadBucket answers with the bucket's region, even when it refuses (301 from the wrong
     * region, 403) */
    int rc =
        rw_aws_rest(c, &rw_aws_s3, fallback, "HeadBucket", "HEAD", path.data, NULL, NULL, 0, &resp);
    size_t n;
    const char *r = rw_http_header_get(&resp, "x-amz-bucket-region", &n);
    char *out = NULL;
    if (r && n)
        out = rw_xstrndup(r, n);
    else if (rc == RW_OK)
        out = rw_xstrdup(fallback ? fallback : "us-east-1");
    else if (rc == RW_ENOTFOUND)
        rw_error_set(RW_ENOTFOUND, "s3://%s: no such bucket", bucket);
    else if (resp.status == 403) /* a HEAD has no body to say why */
        rw_error_set(rc,
                     "s3://%s: HeadBucket: AccessDenied (HTTP 403): the credentials may not "
                     "list the bucket (s3:ListBucket; rootwatch iam-policy --for scan)",
                     bucket);
    /* other errors keep the client's message */
    rw_http_response_free(&resp);
    rw_buf_free(&path);
    return out;
}

int rw_s3_get(rw_aws_client *c, const char *region, const char *bucket, const char *key,
              rw_http_response *out) {
    rw_buf path;
    rw_buf_init(&path, RW_BUF_DEFAULT_MAX);
    rw_buf_putc(&path, '/');
    rw_sigv4_uri_encode(&path, bucket, strlen(bucket), 0);
    rw_buf_putc(&path, '/');
    rw_sigv4_uri_encode(&path, key, strlen(key), 1);
    int rc = rw_aws_rest(c, &rw_aws_s3, region, "GetObject", "GET", path.data, NULL, NULL, 0, out);
    rw_buf_free(&path);
    return rc;
}

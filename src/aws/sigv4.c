/* AWS Signature Version 4.
 *
 * The canonical request is
 *   METHOD \n CANONICAL_URI \n CANONICAL_QUERY \n CANONICAL_HEADERS \n \n SIGNED_HEADERS \n
 * PAYLOAD_HASH where, as botocore builds it:
 *   - the URI of services other than S3 has its dot segments removed and repeated slashes
 *     collapsed, then every byte but the unreserved ones and '/' is percent-encoded (so a path
 *     that was already encoded is encoded twice, as AWS expects); S3's path is used as sent;
 *   - the query is split on '&', each name and value decoded then encoded strictly, and the pairs
 *     sorted by name, then by value;
 *   - header names are lower-cased, values trimmed with inner runs of spaces collapsed, repeated
 *     names joined with ',' in the order they came, and the headers sorted by name. */
#include "aws/sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/xmalloc.h"

static const char HEX[] = "0123456789ABCDEF";
static const char hexl[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexl[d[i] >> 4];
        out[2 * i + 1] = hexl[d[i] & 15];
    }
    out[2 * n] = 0;
}

void rw_sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    to_hex(md, sizeof md, out);
}

static void hmac(const void *key, size_t klen, const void *msg, size_t mlen,
                 unsigned char out[32]) {
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n);
}

void rw_sigv4_amz_date(int64_t now, char out[17]) {
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int unreserved(unsigned char c) {
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int rw_sigv4_uri_encode(rw_buf *out, const char *s, size_t n, int keep_slash) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (unreserved(c) || (keep_slash && c == '/')) {
            rc = rw_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
            rc = rw_buf_append(out, e, 3);
        }
        if (rc) return rc;
    }
    return RW_OK;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes %XX in place ('+' is left alone: AWS's query strings encode spaces as %20). */
static size_t uri_decode(char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
            (l = hexval((unsigned char)s[i + 2])) >= 0) {
            s[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

/* Removes dot segments and empty segments from a path (RFC 3986 5.2.4, with repeated slashes
 * collapsed), exactly as botocore's remove_dot_segments: the result starts with '/' when the path
 * did, and ends with '/' when the path did and some segment remains. */
static char *normalize_path(const char *p) {
    size_t n = strlen(p);
    char *out = rw_xmalloc(n + 2);
    size_t o = 0, segs = 0;
    size_t *ends = rw_xcalloc(n + 1, sizeof *ends); /* where each kept segment starts in out */
    if (n && p[0] == '/') out[o++] = '/';
    size_t base = o;
    for (size_t i = 0; i <= n;) {
        size_t s = i;
        while (i < n && p[i] != '/') i++;
        size_t len = i - s;
        i++;
        if (len == 0 || (len == 1 && p[s] == '.')) continue;
        if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
            if (segs) o = ends[--segs];
            continue;
        }
        ends[segs++] = o;
        if (o > base) out[o++] = '/';
        memcpy(out + o, p + s, len);
        o += len;
    }
    if (segs && n && p[n - 1] == '/') out[o++] = '/';
    out[o] = 0;
    free(ends);
    return out;
}

typedef struct qpair {
    rw_buf name, value;
} qpair;

static int qpair_cmp(const void *a, const void *b) {
    const qpair *x = a, *y = b;
    int c = strcmp(x->name.data, y->name.data);
    return c ? c : strcmp(x->value.data, y->value.data);
}

static int canonical_query(rw_buf *out, const char *q) {
    if (!q || !*q) return RW_OK;
    size_t cap = 1;
    for (const char *p = q; *p; p++) cap += *p == '&';
    qpair *pairs = rw_xcalloc(cap, sizeof *pairs);
    size_t np = 0;
    int rc = RW_OK;
    const char *p = q;
    while (*p && rc == RW_OK) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) {
            char *tmp = rw_xstrndup(p, len);
            char *eq = strchr(tmp, '=');
            size_t nlen = eq ? (size_t)(eq - tmp) : len;
            size_t vlen = eq ? len - nlen - 1 : 0;
            nlen = uri_decode(tmp, nlen);
            if (eq) vlen = uri_decode(eq + 1, vlen);
            qpair *qp = &pairs[np++];
            rw_buf_init(&qp->name, RW_BUF_DEFAULT_MAX);
            rw_buf_init(&qp->value, RW_BUF_DEFAULT_MAX);
            rc = rw_buf_puts(&qp->name, "");
            if (!rc) rc = rw_buf_puts(&qp->value, "");
            if (!rc) rc = rw_sigv4_uri_encode(&qp->name, tmp, nlen, 0);
            if (!rc && eq) rc = rw_sigv4_uri_encode(&qp->value, eq + 1, vlen, 0);
            free(tmp);
        }
        p += len;
        if (*p == '&') p++;
    }
    if (rc == RW_OK) {
        qsort(pairs, np, sizeof *pairs, qpair_cmp);
        for (size_t i = 0; i < np && rc == RW_OK; i++) {
            if (i) rc = rw_buf_putc(out, '&');
            if (!rc) rc = rw_buf_printf(out, "%s=%s", pairs[i].name.data, pairs[i].value.data);
        }
    }
    for (size_t i = 0; i < np; i++) {
        rw_buf_free(&pairs[i].name);
        rw_buf_free(&pairs[i].value);
    }
    free(pairs);
    return rc;
}

typedef struct hdr {
    char *name;  /* lower case */
    char *value; /* trimmed, spaces collapsed */
    size_t order;
} hdr;

static int hdr_cmp(const void *a, const void *b) {
    const hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static char *trim_value(const char *v) {
    size_t n = strlen(v);
    char *out = rw_xmalloc(n + 1);
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = 1;
            continue;
        }
        if (space && o) out[o++] = ' ';
        space = 0;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

int rw_sigv4_sign(rw_sigv4_result *out, const rw_sigv4_request *req, const rw_aws_creds *creds,
                  const char *region, const char *service, int64_t now, unsigned flags) {
    memset(out, 0, sizeof *out);
    rw_buf_init(&out->canonical_request, RW_BUF_DEFAULT_MAX);
    rw_buf_init(&out->string_to_sign, RW_BUF_DEFAULT_MAX);
    rw_buf_init(&out->authorization, RW_BUF_DEFAULT_MAX);
    rw_buf_set_secret(&out->canonical_request); /* it holds X-Amz-Security-Token */
    if (!creds || !creds->access_key_id || !creds->secret_access_key)
        return rw_error_set(RW_EINVAL, "signing a request: no credentials");
    rw_sigv4_amz_date(now, out->amz_date);
    if (req->payload_hash)
        snprintf(out->payload_hash, sizeof out->payload_hash, "%s", req->payload_hash);
    else
        rw_sigv4_sha256_hex(req->body ? req->body : "", req->body_len, out->payload_hash);

    rw_buf *cr = &out->canonical_request;
    int rc = rw_buf_printf(cr, "%s\n", req->method);
    const char *path = req->path && *req->path ? req->path : "/";
    if (!rc) {
        if (flags & RW_SIGV4_S3) {
            rc = rw_buf_puts(cr, path);
        } else {
            char *norm = normalize_path(path);
            rc = rw_sigv4_uri_encode(cr, norm, strlen(norm), 1);
            free(norm);
        }
    }
    if (!rc) rc = rw_buf_putc(cr, '\n');
    if (!rc) rc = canonical_query(cr, req->query);
    if (!rc) rc = rw_buf_putc(cr, '\n');

    /* headers */
    hdr *hs = rw_xcalloc(req->nheaders ? req->nheaders : 1, sizeof *hs);
    for (size_t i = 0; i < req->nheaders; i++) {
        hs[i].name = rw_xstrdup(req->headers[i].name);
        for (char *c = hs[i].name; *c; c++) *c = (char)tolower((unsigned char)*c);
        hs[i].value = trim_value(req->headers[i].value ? req->headers[i].value : "");
        hs[i].order = i;
    }
    qsort(hs, req->nheaders, sizeof *hs, hdr_cmp);
    rw_buf signed_headers;
    rw_buf_init(&signed_headers, RW_BUF_DEFAULT_MAX);
    rw_buf_puts(&signed_headers, "");
    for (size_t i = 0; i < req->nheaders && !rc; i++) {
        if (i && !strcmp(hs[i].name, hs[i - 1].name)) {
            rc = rw_buf_printf(cr, ",%s", hs[i].value);
            continue;
        }
        if (i) rc = rw_buf_putc(cr, '\n');
        if (!rc) rc = rw_buf_printf(cr, "%s:%s", hs[i].name, hs[i].value);
        if (!rc)
            rc = rw_buf_printf(&signed_headers, "%s%s", signed_headers.len ? ";" : "", hs[i].name);
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        free(hs[i].name);
        rw_secret_free(hs[i].value, strlen(hs[i].value)); /* the session token among them */
    }
    free(hs);
    if (!rc) rc = rw_buf_printf(cr, "\n\n%s\n%s", signed_headers.data, out->payload_hash);

    /* string to sign */
    char date[9];
    memcpy(date, out->amz_date, 8);
    date[8] = 0;
    char creq_hash[65];
    if (!rc) {
        rw_sigv4_sha256_hex(cr->data, cr->len, creq_hash);
        rc = rw_buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                           out->amz_date, date, region, service, creq_hash);
    }
    if (!rc) {
        size_t sl = strlen(creds->secret_access_key);
        char *k = rw_xmalloc(sl + 5);
        memcpy(k, "AWS4", 4);
        memcpy(k + 4, creds->secret_access_key, sl + 1);
        unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
        hmac(k, sl + 4, date, 8, k1);
        rw_secret_free(k, sl + 5);
        hmac(k1, 32, region, strlen(region), k2);
        hmac(k2, 32, service, strlen(service), k3);
        hmac(k3, 32, "aws4_request", 12, k4);
        hmac(k4, 32, out->string_to_sign.data, out->string_to_sign.len, sig);
        to_hex(sig, 32, out->signature);
        rw_secret_wipe(k1, 32); /* the signing keys derived from the secret key */
        rw_secret_wipe(k2, 32);
        rw_secret_wipe(k3, 32);
        rw_secret_wipe(k4, 32);
        rc = rw_buf_printf(
            &out->authorization,
            "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
            "Signature=%s",
            creds->access_key_id, date, region, service, signed_headers.data, out->signature);
    }
    rw_buf_free(&signed_headers);
    if (rc) return rw_error_wrap(rc, "signing a request");
    return RW_OK;
}

void rw_sigv4_result_free(rw_sigv4_result *r) {
    rw_buf_free(&r->canonical_request);
    rw_buf_free(&r->string_to_sign);
    rw_buf_free(&r->authorization);
}

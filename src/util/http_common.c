/* What both implementations of util/http.h share (http.c over libcurl, http_lite.c over sockets
 * and libssl for rootwatch-lambda): the handle's defaults, which hosts plain http may go to, the
 * checks of a request, and the response's storage (its header lines as they are stored). One copy,
 * so that the two never disagree on the loopback rule. */
#include "util/http_impl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/xmalloc.h"

#define HTTP_DEFAULT_CONNECT_MS 3000L
#define HTTP_DEFAULT_TIMEOUT_MS 60000L
#define HTTP_DEFAULT_MAX_BODY ((size_t)256 << 20)

bool rw_http_host_is_loopback(const char *host) {
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0) return true;
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        char tmp[INET6_ADDRSTRLEN + 1];
        if (n - 2 >= sizeof tmp) return false;
        memcpy(tmp, host + 1, n - 2);
        tmp[n - 2] = 0;
        struct in6_addr a6;
        return inet_pton(AF_INET6, tmp, &a6) == 1 && memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
    }
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    return inet_pton(AF_INET6, host, &a6) == 1 && memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
}

/* The link-local endpoints of EC2's instance metadata and ECS/EKS container credentials. */
bool rw_http_host_is_metadata(const char *host) {
    static const char *const hosts[] = {"169.254.169.254", "169.254.170.2", "169.254.170.23",
                                        "[fd00:ec2::254]", "[fd00:ec2::23]"};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        if (strcasecmp(host, hosts[i]) == 0) return true;
    return false;
}

bool rw_http_has_crlf(const char *s) {
    return s && strpbrk(s, "\r\n");
}

bool rw_http_valid_method(const char *m) {
    if (!m || !*m || strlen(m) > 16) return false;
    for (const char *p = m; *p; p++)
        if (!isupper((unsigned char)*p)) return false;
    return true;
}

bool rw_http_is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *rw_http_handle_opts(rw_http_opts *out, const rw_http_opts *opts) {
    if (opts) *out = *opts;
    if (out->connect_timeout_ms <= 0) out->connect_timeout_ms = HTTP_DEFAULT_CONNECT_MS;
    if (out->timeout_ms <= 0) out->timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
    if (out->max_body == 0) out->max_body = HTTP_DEFAULT_MAX_BODY;
    const char *ca = getenv("AWS_CA_BUNDLE");
    return ca && *ca ? rw_xstrdup(ca) : NULL;
}

int rw_http_check_scheme(const rw_http_request *req, const char *method, const char *scheme,
                         const char *host, const char *port, bool *local) {
    bool direct = rw_http_host_is_loopback(host) ||
                  (req->allow_metadata_http && rw_http_host_is_metadata(host));
    if (local) *local = direct;
    if (strcmp(scheme, "https") == 0 || (strcmp(scheme, "http") == 0 && direct)) return RW_OK;
    if (strcmp(scheme, "http") == 0)
        return rw_error_set(RW_EINVAL,
                            "%s %s://%s:%s: plain http is refused (except to a loopback "
                            "address: 127.0.0.0/8, ::1, localhost); use https",
                            method, scheme, host, port);
    return rw_error_set(RW_EINVAL, "%s: unsupported URL scheme \"%s\" (https only)", method,
                        scheme);
}

int rw_http_check_request(const rw_http_request *req, const char *method) {
    if (strcmp(method, "HEAD") == 0 && req->body_len > 0)
        return rw_error_set(RW_EINVAL, "a HEAD request with a body");
    for (size_t i = 0; i < req->nheaders; i++) {
        const rw_http_header *hd = &req->headers[i];
        if (!hd->name || !*hd->name || strpbrk(hd->name, ":\r\n \t") || rw_http_has_crlf(hd->value))
            return rw_error_set(RW_EINVAL, "a request header with a bad name or a line break");
    }
    return RW_OK;
}

int rw_http_store_header(rw_buf *h, const char *data, size_t n) {
    const char *e = data + n;
    while (e > data && rw_http_is_ws(e[-1])) e--;
    if (e == data) return RW_OK; /* the blank line that ends the headers */
    int rc = RW_OK;
    if (data[0] == ' ' || data[0] == '\t') {
        /* an obsolete folded line: it continues the last header's value */
        const char *s = data;
        while (s < e && rw_http_is_ws(*s)) s++;
        if (h->len > 0 && h->data[h->len - 1] == '\n') {
            h->len--;
            rc = rw_buf_putc(h, ' ');
            if (!rc) rc = rw_buf_append(h, s, (size_t)(e - s));
            if (!rc) rc = rw_buf_putc(h, '\n');
        }
    } else {
        const char *colon = memchr(data, ':', (size_t)(e - data));
        if (!colon) return RW_OK; /* not a header: ignored */
        const char *ne = colon;
        while (ne > data && rw_http_is_ws(ne[-1])) ne--;
        const char *v = colon + 1;
        while (v < e && rw_http_is_ws(*v)) v++;
        size_t start = h->len;
        rc = rw_buf_append(h, data, (size_t)(ne - data));
        for (size_t i = start; !rc && i < h->len; i++)
            h->data[i] = (char)tolower((unsigned char)h->data[i]);
        if (!rc) rc = rw_buf_puts(h, ": ");
        if (!rc) rc = rw_buf_append(h, v, (size_t)(e - v));
        if (!rc) rc = rw_buf_putc(h, '\n');
    }
    return rc;
}

void rw_http_response_init(rw_http_response *r) {
    r->status = 0;
    rw_buf_init(&r->body, 0);
    rw_buf_init(&r->headers, HTTP_MAX_HEADERS);
}

void rw_http_response_free(rw_http_response *r) {
    if (!r) return;
    rw_buf_free(&r->body);
    rw_buf_free(&r->headers);
    r->status = 0;
}

const char *rw_http_header_get(const rw_http_response *r, const char *name, size_t *len) {
    if (!r || !name || !r->headers.data) return NULL;
    size_t n = strlen(name);
    const char *p = r->headers.data, *end = p + r->headers.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) >= n + 2 && strncasecmp(p, name, n) == 0 && p[n] == ':' &&
            p[n + 1] == ' ') {
            if (len) *len = (size_t)(le - p - n - 2);
            return p + n + 2;
        }
        p = nl ? nl + 1 : end;
    }
    return NULL;
}

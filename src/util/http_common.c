/* What both implementations of util/http.h share (http.c over libcurl, http_lite.c over sockets
 * and libssl for rootwatch-lambda): which hosts plain http may go to, request checks, and the
 * response's storage. One copy, so that the two never disagree on the loopback rule. */
#include "util/http_impl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/secret.h"

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

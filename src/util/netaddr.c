#include "util/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define SHAPE "not address:port (127.0.0.1:9464, [::1]:9464)"

int rw_netaddr_parse_listen(const char *v, struct sockaddr_storage *ss, socklen_t *len) {
    memset(ss, 0, sizeof *ss);
    const char *colon = v ? strrchr(v, ':') : NULL;
    if (!colon || colon == v || !colon[1]) return rw_error_set(RW_EINVAL, "%s", SHAPE);
    char host[128];
    size_t hn = (size_t)(colon - v);
    if (v[0] == '[') {
        if (hn < 3 || v[hn - 1] != ']') return rw_error_set(RW_EINVAL, "%s", SHAPE);
        v++;
        hn -= 2;
    } else if (memchr(v, ':', hn)) { /* an IPv6 address without brackets */
        return rw_error_set(RW_EINVAL, "%s: an IPv6 address goes in brackets", SHAPE);
    }
    if (hn >= sizeof host) return rw_error_set(RW_EINVAL, "the address is too long");
    memcpy(host, v, hn);
    host[hn] = 0;
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || port < 0 || port > 65535 || colon[1] == '-' || colon[1] == '+')
        return rw_error_set(RW_EINVAL, "the port is not a number from 0 to 65535");
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
        return rw_error_set(RW_EINVAL,
                            "'%s' is not an IP address (127.0.0.1, 0.0.0.0, [::1], [::])", host);
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    return RW_OK;
}

void rw_netaddr_format(const struct sockaddr_storage *ss, int port, char out[64]) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        snprintf(out, 64, "[%s]:%d", host, port >= 0 ? port : ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        snprintf(out, 64, "%s:%d", host, port >= 0 ? port : ntohs(a->sin_port));
    }
}

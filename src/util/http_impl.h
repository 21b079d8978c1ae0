/* For the implementations of util/http.h only (http.c, http_lite.c): what they share, in
 * http_common.c. */
#ifndef RW_HTTP_IMPL_H
#define RW_HTTP_IMPL_H

#include <stdbool.h>

#include "util/http.h"

#define HTTP_MAX_HEADERS ((size_t)1 << 20) /* all of a response's headers together */

/* localhost, 127.0.0.0/8, ::1 (a host as it stands in a URL: [::1] too) */
bool rw_http_host_is_loopback(const char *host);
/* The link-local endpoints of EC2's instance metadata and ECS/EKS container credentials. */
bool rw_http_host_is_metadata(const char *host);
/* s holds a CR or LF (a header that would split the request) */
bool rw_http_has_crlf(const char *s);
/* an HTTP method rootwatch sends: 1 to 16 upper-case letters */
bool rw_http_valid_method(const char *m);
bool rw_http_is_ws(char c);

#endif

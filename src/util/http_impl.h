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

/* A handle's options (rw_http_new): *out is opts (may be NULL) with defaults for what it leaves
 * unset (3 s to connect, 60 s for an exchange, a body of 256 MB at most). Returns a copy of the
 * CA bundle file AWS_CA_BUNDLE names, or NULL. */
char *rw_http_handle_opts(rw_http_opts *out, const rw_http_opts *opts);

/* Whether a request to url's scheme and host may go: https, or plain http to a loopback host (or
 * to the metadata endpoints when req->allow_metadata_http). *local (local may be NULL) says
 * whether host is one of those (reached directly, never through a proxy). RW_OK, or RW_EINVAL
 * naming method and the URL's scheme, host and port. */
int rw_http_check_scheme(const rw_http_request *req, const char *method, const char *scheme,
                         const char *host, const char *port, bool *local);
/* The request's other checks: no body with HEAD, header names and values that cannot split the
 * request. RW_OK or RW_EINVAL. */
int rw_http_check_request(const rw_http_request *req, const char *method);
/* One line of a response's headers (its CR LF may be there) into headers, as rw_http_header_get
 * reads them: "name: value\n", the name in lower case, the value trimmed; an obsolete folded line
 * continues the last value; the blank line and a line with no colon are passed over. Fails (the
 * headers over their limit) as the buffer does. */
int rw_http_store_header(rw_buf *headers, const char *data, size_t n);

#endif

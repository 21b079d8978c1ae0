/* AWS Signature Version 4
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html), checked
 * against AWS's test suite and against botocore. */
#ifndef RW_SIGV4_H
#define RW_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "aws/creds.h"
#include "util/buf.h"
#include "util/http.h" /* rw_http_header */

typedef struct rw_sigv4_request {
    const char *method;
    const char *path;              /* as sent on the wire (percent-encoded); "" or NULL means "/" */
    const char *query;             /* as sent, without the '?'; NULL or "" when none */
    const rw_http_header *headers; /* as sent, host included; x-amz-date (and, with a session
                                      token, x-amz-security-token) must be among them */
    size_t nheaders;
    const void *body;
    size_t body_len;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"; NULL: computed */
} rw_sigv4_request;

enum {
    RW_SIGV4_S3 = 1, /* S3's rules: the path is not normalised nor encoded again */
};

typedef struct rw_sigv4_result {
    char amz_date[17];        /* 20150830T123600Z */
    char payload_hash[65];    /* what was signed as the payload's hash */
    rw_buf canonical_request; /* for tests and debugging; holds the session token, if any (a
                                 secret buffer: wiped when freed) */
    rw_buf string_to_sign;
    char signature[65];
    rw_buf authorization; /* the Authorization header's value */
} rw_sigv4_result;

/* Formats now as X-Amz-Date wants it. */
void rw_sigv4_amz_date(int64_t now, char out[17]);
/* Signs the request at time now (which must be the x-amz-date header's time). *out is the
 * caller's (need not be initialised): it is filled in, and the caller frees what it holds with
 * rw_sigv4_result_free whatever this returns. req, creds, region and service are read during the
 * call only. */
int rw_sigv4_sign(rw_sigv4_result *out, const rw_sigv4_request *req, const rw_aws_creds *creds,
                  const char *region, const char *service, int64_t now, unsigned flags);
/* Frees (and wipes) the buffers r holds; not r itself. */
void rw_sigv4_result_free(rw_sigv4_result *r);
/* Hex SHA-256 of data (65 bytes with the NUL). */
void rw_sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* Percent-encodes s as SigV4 and S3 want (unreserved kept; '/' kept when keep_slash). */
int rw_sigv4_uri_encode(rw_buf *out, const char *s, size_t n, int keep_slash);

#endif

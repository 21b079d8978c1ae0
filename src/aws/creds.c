/* AWS credentials: owned strings, the secrets zeroed when freed. */
#include "aws/creds.h"

#include <stdlib.h>
#include <string.h>

#include "util/secret.h"
#include "util/xmalloc.h"

static void free_secret(char *s) {
    if (s) rw_secret_free(s, strlen(s));
}

rw_aws_creds *rw_aws_creds_new(const char *access_key_id, const char *secret_access_key,
                               const char *session_token, int64_t expires, const char *source) {
    rw_aws_creds *c = rw_xcalloc(1, sizeof *c);
    c->access_key_id = rw_xstrdup(access_key_id ? access_key_id : "");
    c->secret_access_key = rw_xstrdup(secret_access_key ? secret_access_key : "");
    c->session_token = session_token && *session_token ? rw_xstrdup(session_token) : NULL;
    c->expires = expires;
    c->source = rw_xstrdup(source ? source : "");
    return c;
}

rw_aws_creds *rw_aws_creds_dup(const rw_aws_creds *c) {
    return c ? rw_aws_creds_new(c->access_key_id, c->secret_access_key, c->session_token,
                                c->expires, c->source)
             : NULL;
}

void rw_aws_creds_free(rw_aws_creds *c) {
    if (!c) return;
    free(c->access_key_id);
    free_secret(c->secret_access_key);
    free_secret(c->session_token);
    free(c->source);
    free(c);
}

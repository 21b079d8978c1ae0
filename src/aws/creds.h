/* AWS credentials, and where they came from. Secrets are zeroed when freed and never logged.
 *
 * Ownership: an rw_aws_creds owns its strings; every rw_aws_creds a function returns or puts in an
 * out-parameter (here, provider.h, provider_sts.h) is a new one that its receiver frees with
 * rw_aws_creds_free, never with free(). */
#ifndef RW_AWS_CREDS_H
#define RW_AWS_CREDS_H

#include <stdint.h>

typedef struct rw_aws_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL for long-term keys */
    int64_t expires;     /* epoch seconds; 0 when they do not expire */
    char *source;        /* for people: "environment", "profile dev (/root/.aws/credentials)",
                            "role arn:aws:iam::1:role/x assumed with profile dev", ... */
} rw_aws_creds;

/* A new set; every string is copied (NULL reads as "", a NULL or empty token stays NULL). */
rw_aws_creds *rw_aws_creds_new(const char *access_key_id, const char *secret_access_key,
                               const char *session_token, int64_t expires, const char *source);
/* A new copy of c (NULL for NULL). */
rw_aws_creds *rw_aws_creds_dup(const rw_aws_creds *c);
/* Zeroes the secret and the token, then frees. */
void rw_aws_creds_free(rw_aws_creds *c);

#endif

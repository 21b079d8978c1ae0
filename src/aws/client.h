/* The AWS client: endpoints, signing, the query / JSON / REST-XML protocols, retries.
 *
 * Retries: on throttling (Throttling, ThrottlingException, RequestLimitExceeded, SlowDown,
 * TooManyRequestsException, HTTP 429), on 5xx and on network errors, with exponential backoff and
 * full jitter (a random wait in [0, min(20 s, 100 ms * 2^attempt))), at most max_attempts tries in
 * all. Errors name the service, the operation, AWS's error code and message, and the request id.
 *
 * Environment: ROOTWATCH_AWS_TIMEOUT_MS sets the time one request (connection, upload and reply)
 * may take, in milliseconds (default 60000; 0 keeps the default). A request that times out is a
 * network error, retried as above. Meant for tests of slow services and for slow links. Whatever
 * it says, a request that moves no byte for 60 s fails the same way (the stall limit). */
#ifndef RW_AWS_CLIENT_H
#define RW_AWS_CLIENT_H

#include <stdatomic.h>
#include <stdint.h>

#include "aws/config.h"
#include "aws/provider.h"
#include "aws/xml.h"
#include "util/http.h"
#include "util/json.h"

typedef enum rw_aws_protocol { RW_AWS_QUERY, RW_AWS_JSON, RW_AWS_REST_XML } rw_aws_protocol;

typedef struct rw_aws_service {
    const char *id;           /* endpoints and AWS_ENDPOINT_URL_<ID>: "sts", "s3", "cloudtrail" */
    const char *name;         /* for messages: "STS", "S3", "CloudTrail" */
    const char *signing_name; /* SigV4's service: "sts", "s3", "cloudtrail" */
    rw_aws_protocol protocol;
    const char *version;       /* query: the API version ("2011-06-15") */
    const char *target_prefix; /* JSON: X-Amz-Target's prefix ("CloudTrail_20131101") */
    const char *json_version;  /* JSON: "1.1" (application/x-amz-json-1.1) */
    int global;                /* signed for us-east-1 whatever the region (IAM) */
} rw_aws_service;

extern const rw_aws_service rw_aws_sts, rw_aws_iam, rw_aws_s3, rw_aws_cloudtrail, rw_aws_sns,
    rw_aws_sqs, rw_aws_logs, rw_aws_cloudwatch, rw_aws_events, rw_aws_configservice, rw_aws_ec2;

/* Injected so that tests are exact: the clock, the random numbers of the jitter, and sleeping. */
typedef struct rw_aws_env {
    int64_t (*now)(void *ctx);
    double (*random)(void *ctx); /* in [0, 1) */
    void (*sleep_ms)(void *ctx, long ms);
    void *ctx;
} rw_aws_env;

typedef struct rw_aws_client rw_aws_client;

/* One client per thread (it owns an HTTP handle), freed with rw_aws_client_free. cfg and creds are
 * borrowed: they must outlive it; env (copied; its ctx borrowed) may be NULL (the real clock,
 * random numbers and sleep). */
rw_aws_client *rw_aws_client_new(const rw_aws_config *cfg, rw_aws_provider *creds,
                                 const rw_aws_env *env);
void rw_aws_client_free(rw_aws_client *c);

/* A flag (borrowed; NULL: none) that gives up this client's request in progress as soon as it is
 * set, also while it waits for an answer (RW_ECANCELED; no retry): a watch source's long poll,
 * stopped by a shutdown or a reload. */
void rw_aws_client_set_stop(rw_aws_client *c, const atomic_bool *stop);

/* Spaces this client's requests (retries included) at most per_second apart (CloudTrail's
 * LookupEvents allows 2 per second per account and region); 0 removes the limit. */
void rw_aws_client_set_rate(rw_aws_client *c, double per_second);

/* A time (epoch milliseconds) by which every AWS call of the process must be over, or 0 for none
 * (rootwatch lambda: the invocation's deadline). Each request's time limit is cut to what is left,
 * no retry waits past it, and a call with no time left fails at once (RW_ERETRY, "not sent: the
 * deadline has passed"). */
void rw_aws_set_deadline(int64_t epoch_ms);

/* An AWS error, for callers that handle some (NoSuchBucket, AccessDenied, ...). */
typedef struct rw_aws_error {
    long status;
    char code[128];
    char message[512];
    char request_id[128];
} rw_aws_error;
/* Reads AWS's error out of a reply that is not 2xx: XML (query protocol, S3, EC2) or JSON (JSON
 * protocol, with or without a namespace before '#'), the request id from the headers or the body;
 * without either, a code from the status and the start of the body. Fields are cut to fit and hold
 * no control characters. */
void rw_aws_error_from_reply(rw_aws_error *e, const rw_http_response *r);
/* The last call's error (status 0 when the last call succeeded or never reached AWS): the client's
 * own, overwritten by its next call and gone with rw_aws_client_free. */
const rw_aws_error *rw_aws_client_error(const rw_aws_client *c);

/* Query protocol (STS, IAM, SNS, SQS, CloudWatch): Action and params (name, value pairs,
 * NULL-terminated list); the reply's XML. region NULL: the configured one. *out is a new tree,
 * which the caller frees with rw_xml_free; NULL on error. */
int rw_aws_query(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                 const char *action, const char *const *params, rw_xml **out);
/* JSON protocol (CloudTrail, CloudWatch Logs, EventBridge, Config): the operation and its JSON
 * body; the reply parsed into doc (the caller's; its root is the reply object, owned by doc as
 * util/json.h says). */
int rw_aws_json(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                const char *operation, const char *body, rw_json_doc *doc);
/* The same, with the reply's bytes as they came (for callers that hand them to the trail reader).
 * out is the caller's, initialised with rw_http_response_init; it is emptied and refilled (the
 * error's reply when the call fails), and the caller frees it with rw_http_response_free. */
int rw_aws_json_raw(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                    const char *operation, const char *body, rw_http_response *out);
/* REST (S3): the operation (for messages: "ListObjectsV2"), method, path (already encoded),
 * query (encoded, may be NULL), a body; the raw reply (a 2xx status; anything else is an error,
 * RW_ENOTFOUND for 404, RW_ERETRY for throttling and 5xx that outlasted the retries). out as for
 * rw_aws_json_raw: the caller's, initialised, freed with rw_http_response_free. */
int rw_aws_rest(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                const char *operation, const char *method, const char *path, const char *query,
                const void *body, size_t body_len, rw_http_response *out);

/* S3's virtual-hosted style, as the SDKs use it on AWS's own endpoints: for an https endpoint
 * s3[.-]...amazonaws.com[.cn] and a path /BUCKET/KEY whose bucket is one DNS label, returns the
 * endpoint https://BUCKET.s3... and sets *rest to /KEY (both new strings: the caller frees them);
 * otherwise NULL and *rest NULL (path style: emulators, endpoints given by the user, bucket names
 * with dots). */
char *rw_aws_s3_virtual_host(const char *endpoint, const char *path, char **rest);

/* One page of a JSON-protocol listing: its number (from 1), the reply parsed (NULL when it is not
 * JSON: the caller may say where it breaks) and as it came. Both are borrowed for the call only:
 * copy what must outlive it. Non-zero stops the listing. */
typedef int (*rw_aws_page_fn)(void *ctx, int number, const rw_json *reply, const char *raw,
                              size_t len);
/* Pages through a JSON-protocol operation: request is the request object without its token (a
 * JSON object text); the reply's token_out member ("NextToken") is sent back as token_in, the
 * request's last member, until a reply has none. A reply that is not JSON, a token that is not a
 * string or comes twice end the listing with an error naming the page. */
int rw_aws_json_pages(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                      const char *operation, const char *request, const char *token_in,
                      const char *token_out, rw_aws_page_fn page, void *ctx);

/* Pages through a query-protocol operation: params as for rw_aws_query; each reply goes to page
 * (borrowed for the call only: it is freed when page returns; non-zero stops, and is returned);
 * the text at token_path in the reply ("ListTopicsResult/NextToken", "ListUsersResult/Marker") is
 * sent back as token_param in the next request. */
int rw_aws_query_pages(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                       const char *action, const char *const *params, const char *token_param,
                       const char *token_path, int (*page)(void *ctx, const rw_xml *reply),
                       void *ctx);

#endif

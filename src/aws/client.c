/* The AWS client: one request path for the query, JSON and REST-XML protocols (endpoint, headers,
 * SigV4, HTTP), with AWS's errors read from the reply and bounded retries with full jitter. */
#include "aws/client.h"

#include <ctype.h>
#include <stdatomic.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "aws/sigv4.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define AWS_STALL_MS 60000L /* see rw_http_opts.stall_timeout_ms */

/* clang-format off */
const rw_aws_service rw_aws_sts = {"sts", "STS", "sts", RW_AWS_QUERY, "2011-06-15", NULL, NULL, 0};
const rw_aws_service rw_aws_iam = {"iam", "IAM", "iam", RW_AWS_QUERY, "2010-05-08", NULL, NULL, 1};
const rw_aws_service rw_aws_s3 = {"s3", "S3", "s3", RW_AWS_REST_XML, NULL, NULL, NULL, 0};
const rw_aws_service rw_aws_cloudtrail = {"cloudtrail", "CloudTrail", "cloudtrail", RW_AWS_JSON, NULL,
                                          "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "1.1", 0};
const rw_aws_service rw_aws_sns = {"sns", "SNS", "sns", RW_AWS_QUERY, "2010-03-31", NULL, NULL, 0};
const rw_aws_service rw_aws_sqs = {"sqs", "SQS", "sqs", RW_AWS_QUERY, "2012-11-05", NULL, NULL, 0};
const rw_aws_service rw_aws_logs = {"logs", "CloudWatch Logs", "logs", RW_AWS_JSON, NULL, "Logs_20140328", "1.1", 0};
const rw_aws_service rw_aws_cloudwatch = {"monitoring", "CloudWatch", "monitoring", RW_AWS_QUERY, "2010-08-01", NULL, NULL, 0};
const rw_aws_service rw_aws_events = {"events", "EventBridge", "events", RW_AWS_JSON, NULL, "AWSEvents", "1.1", 0};
const rw_aws_service rw_aws_configservice = {"config", "Config", "config", RW_AWS_JSON, NULL, "StarlingDoveService", "1.1", 0};
const rw_aws_service rw_aws_ec2 = {"ec2", "EC2", "ec2", RW_AWS_QUERY, "2016-11-15", NULL, NULL, 0};
/* clang-format on */

struct rw_aws_client {
    const rw_aws_config *cfg;
    rw_aws_provider *creds;
    rw_aws_env env;
    rw_http *http;
    rw_aws_error err;
    uint64_t rng;
    long min_interval_ms;    /* the least time between two requests (rate limits), 0: none */
    struct timespec last;    /* when the last request went out */
    long timeout_ms;         /* one request's time limit */
    const atomic_bool *stop; /* rw_aws_client_set_stop's, or NULL */
};

/* rw_aws_set_deadline's (epoch milliseconds; 0: none) */
static _Atomic int64_t deadline_ms;

void rw_aws_set_deadline(int64_t epoch_ms) {
    atomic_store(&deadline_ms, epoch_ms);
}

void rw_aws_client_set_stop(rw_aws_client *c, const atomic_bool *stop) {
    c->stop = stop;
}

void rw_aws_client_set_rate(rw_aws_client *c, double per_second) {
    /* 4% more than the bare interval, so that clock granularity never puts a third call in the
     * same second as two others */
    c->min_interval_ms = per_second > 0 ? (long)(1040.0 / per_second + 0.999) : 0;
}

/* Waits until the rate limit allows another request (on the monotonic clock, whatever the
 * injected one says: this is about the service's real limit). */
static void pace(rw_aws_client *c) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (c->min_interval_ms && (c->last.tv_sec || c->last.tv_nsec)) {
        long elapsed =
            (long)(now.tv_sec - c->last.tv_sec) * 1000 + (now.tv_nsec - c->last.tv_nsec) / 1000000;
        if (elapsed < c->min_interval_ms) {
            struct timespec ts = {(c->min_interval_ms - elapsed) / 1000,
                                  ((c->min_interval_ms - elapsed) % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
        }
    }
    c->last = now;
}

static int64_t real_now(void *ctx) {
    (void)ctx;
    return (int64_t)time(NULL);
}

static double real_random(void *ctx) {
    uint64_t *s = ctx;
    /* xorshift64*, seeded from the kernel */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void real_sleep(void *ctx, long ms) {
    (void)ctx;
    if (ms <= 0) return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

rw_aws_client *rw_aws_client_new(const rw_aws_config *cfg, rw_aws_provider *creds,
                                 const rw_aws_env *env) {
    rw_aws_client *c = rw_xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->creds = creds;
    if (getrandom(&c->rng, sizeof c->rng, 0) != sizeof c->rng || !c->rng)
        c->rng = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)(uintptr_t)c;
    if (env) {
        c->env = *env;
    } else {
        c->env.now = real_now;
        c->env.random = real_random;
        c->env.sleep_ms = real_sleep;
        c->env.ctx = &c->rng;
    }
    /* a connection that moves nothing for a minute is given up even when the total limit below
     * is longer (a large download on a slow link) */
    rw_http_opts o = {.stall_timeout_ms = AWS_STALL_MS};
    /* ROOTWATCH_AWS_TIMEOUT_MS: the per-request timeout (tests of slow services); 0 or unset: the
     * HTTP layer's default (60 s) */
    const char *t = getenv("ROOTWATCH_AWS_TIMEOUT_MS");
    if (t && *t) {
        char *end;
        long ms = strtol(t, &end, 10);
        if (*end || ms < 0 || ms > 3600000)
            rw_log(RW_LOG_WARN,
                   "ROOTWATCH_AWS_TIMEOUT_MS \"%.32s\" ignored: expected milliseconds from 0 to "
                   "3600000",
                   t);
        else
            o.timeout_ms = ms;
    }
    c->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 60000;
    c->http = rw_http_new(&o);
    return c;
}

void rw_aws_client_free(rw_aws_client *c) {
    if (!c) return;
    rw_http_free(c->http);
    free(c);
}

const rw_aws_error *rw_aws_client_error(const rw_aws_client *c) {
    return &c->err;
}

static const char *signing_region(const rw_aws_service *svc, const char *region) {
    if (!svc->global) return region;
    const char *p = rw_aws_partition(region);
    if (!strcmp(p, "aws-cn")) return "cn-north-1";
    if (!strcmp(p, "aws-us-gov")) return "us-gov-west-1";
    return "us-east-1";
}

/* The authority (host[:port]) of a URL, for the Host header. */
static char *url_authority(const char *url) {
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    char *h = rw_xstrndup(p, n);
    /* drop a default port, as curl and the SDKs do in Host */
    size_t l = strlen(h);
    if (l > 4 && !strcmp(h + l - 4, ":443") && !strncmp(url, "https:", 6))
        h[l - 4] = 0;
    else if (l > 3 && !strcmp(h + l - 3, ":80") && !strncmp(url, "http:", 5))
        h[l - 3] = 0;
    return h;
}

static bool is_throttle(const char *code) {
    static const char *const codes[] = {"Throttling",
                                        "ThrottlingException",
                                        "ThrottledException",
                                        "RequestThrottledException",
                                        "RequestThrottled",
                                        "TooManyRequestsException",
                                        "RequestLimitExceeded",
                                        "SlowDown",
                                        "ProvisionedThroughputExceededException",
                                        "BandwidthLimitExceeded",
                                        "PriorRequestNotComplete",
                                        "EC2ThrottledException",
                                        "TransactionInProgressException",
                                        NULL};
    for (int i = 0; codes[i]; i++)
        if (!strcmp(code, codes[i])) return true;
    return false;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[o++] = (char)(ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch < 0x20 ? '?' : ch);
    }
    dst[o] = 0;
}

static void set_str(char *dst, size_t cap, const char *s) {
    copy_field(dst, cap, s ? s : "", s ? strlen(s) : 0);
}

/* An error message as the service wrote it, made fit to print: AWS's signature errors quote the
 * canonical request, headers and all (X-Amz-Security-Token among them), so that part is dropped,
 * and the secret key and session token are blanked wherever they still occur. */
static void set_message(rw_aws_error *e, const char *src, size_t n, const rw_aws_creds *cr) {
    char *m = rw_xstrndup(src ? src : "", src ? n : 0);
    char *cut = strstr(m, "The Canonical String for this request");
    if (cut) {
        while (cut > m && isspace((unsigned char)cut[-1])) cut--;
        *cut = 0;
    }
    const char *secrets[2] = {cr ? cr->secret_access_key : NULL, cr ? cr->session_token : NULL};
    for (int i = 0; i < 2; i++) {
        size_t sl = secrets[i] ? strlen(secrets[i]) : 0;
        if (!sl) continue;
        for (char *p = strstr(m, secrets[i]); p; p = strstr(p + 3, secrets[i])) {
            memcpy(p, "***", 3);
            memmove(p + 3, p + sl, strlen(p + sl) + 1);
        }
    }
    copy_field(e->message, sizeof e->message, m, strlen(m));
    rw_secret_free(m, n + 1);
}

/* Reads AWS's error out of a reply that is not 2xx: XML (query, S3) or JSON (JSON protocol). cr:
 * the credentials the request was signed with (kept out of the message), or NULL. */
static void parse_error(rw_aws_error *e, const rw_http_response *r, const rw_aws_creds *cr);

void rw_aws_error_from_reply(rw_aws_error *e, const rw_http_response *r) {
    parse_error(e, r, NULL);
}

static void parse_error(rw_aws_error *e, const rw_http_response *r, const rw_aws_creds *cr) {
    memset(e, 0, sizeof *e);
    e->status = r->status;
    size_t hl;
    const char *rid = rw_http_header_get(r, "x-amzn-requestid", &hl);
    if (!rid) rid = rw_http_header_get(r, "x-amz-request-id", &hl);
    if (rid) copy_field(e->request_id, sizeof e->request_id, rid, hl);
    const char *body = r->body.data ? r->body.data : "";
    size_t blen = r->body.len;
    size_t i = 0;
    while (i < blen && isspace((unsigned char)body[i])) i++;
    if (i < blen && body[i] == '<') {
        rw_xml *x = NULL;
        if (rw_xml_parse(&x, body, blen) == RW_OK && x) {
            /* <ErrorResponse><Error>...</Error><RequestId/></ErrorResponse> or S3's
             * <Error>...</Error> */
            const rw_xml *err = !strcmp(x->name, "Error") ? x : rw_xml_find(x, "Error");
            if (!err) err = rw_xml_find(x, "Errors/Error"); /* EC2's <Response><Errors><Error> */
            if (err) {
                set_str(e->code, sizeof e->code, rw_xml_text(err, "Code"));
                const char *m = rw_xml_text(err, "Message");
                set_message(e, m, m ? strlen(m) : 0, cr);
                const char *r2 = rw_xml_text(err, "RequestId");
                if (!r2) r2 = rw_xml_text(x, "RequestId");
                if (r2 && !e->request_id[0]) set_str(e->request_id, sizeof e->request_id, r2);
            }
        }
        rw_xml_free(x);
    } else if (i < blen && body[i] == '{') {
        rw_json_doc *d = rw_json_doc_new(NULL);
        if (rw_json_doc_parse(d, body, blen) == RW_OK) {
            const rw_json *o = rw_json_doc_root(d);
            const char *t = rw_json_get_str(o, "__type");
            if (!t) t = rw_json_get_str(o, "code");
            if (t) {
                const char *hash = strrchr(t, '#');
                if (hash) t = hash + 1;
                set_str(e->code, sizeof e->code, t);
                char *colon = strchr(e->code, ':');
                if (colon) *colon = 0;
            }
            const char *m = rw_json_get_str(o, "message");
            if (!m) m = rw_json_get_str(o, "Message");
            set_message(e, m, m ? strlen(m) : 0, cr);
        }
        rw_json_doc_free(d);
    }
    if (!e->code[0]) {
        const char *t = rw_http_header_get(r, "x-amzn-errortype", &hl);
        if (t) {
            copy_field(e->code, sizeof e->code, t, hl);
            char *colon = strchr(e->code, ':');
            if (colon) *colon = 0;
        }
    }
    if (!e->code[0]) {
        /* no AWS error in the reply (a HEAD, a proxy's page, a cut-off body): the status is the
         * code, as botocore makes it ("An error occurred (404) ...") */
        snprintf(e->code, sizeof e->code, "%ld", r->status);
        if (!e->message[0] && blen) {
            /* the first 160 bytes, secrets blanked in the whole body first */
            set_message(e, body, blen, cr);
            if (strlen(e->message) > 160) strcpy(e->message + 160, "...");
        }
    }
}

/* Every retried or failed call leaves one line at debug level, never with secrets. */
static int fail(rw_aws_client *c, const rw_aws_service *svc, const char *op, int attempts) {
    rw_aws_error *e = &c->err;
    char tries[48] = "";
    if (attempts > 1) snprintf(tries, sizeof tries, ", after %d attempts", attempts);
    char rid[160] = "";
    if (e->request_id[0]) snprintf(rid, sizeof rid, ", request id %s", e->request_id);
    int code = e->status == 404                                                 ? RW_ENOTFOUND
               : (e->status == 429 || e->status >= 500 || is_throttle(e->code)) ? RW_ERETRY
                                                                                : RW_EIO;
    return rw_error_set(code, "%s %s: %s%s%s (HTTP %ld%s%s)", svc->name, op, e->code,
                        e->message[0] ? ": " : "", e->message, e->status, rid, tries);
}

char *rw_aws_s3_virtual_host(const char *endpoint, const char *path, char **rest) {
    *rest = NULL;
    if (strncmp(endpoint, "https://", 8) || path[0] != '/') return NULL;
    const char *host = endpoint + 8;
    size_t hl = strcspn(host, "/");
    if (host[hl]) return NULL; /* an endpoint with a path of its own */
    bool aws = (hl > 14 && !strncmp(host + hl - 14, ".amazonaws.com", 14)) ||
               (hl > 17 && !strncmp(host + hl - 17, ".amazonaws.com.cn", 17));
    if (!aws || !(!strncmp(host, "s3.", 3) || !strncmp(host, "s3-", 3))) return NULL;
    const char *b = path + 1;
    size_t bl = strcspn(b, "/");
    /* a name that is a DNS label under the TLS certificate's wildcard: no dots, no upper case */
    if (bl < 3 || bl > 63 || b[0] == '-' || b[bl - 1] == '-') return NULL;
    for (size_t i = 0; i < bl; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-'))
            return NULL;
    size_t n = 8 + bl + 1 + hl + 1;
    char *v = rw_xmalloc(n);
    snprintf(v, n, "https://%.*s.%.*s", (int)bl, b, (int)hl, host);
    *rest = rw_xstrdup(b[bl] ? b + bl : "/");
    return v;
}

typedef struct call {
    const rw_aws_service *svc;
    const char *region;
    const char *op; /* for messages */
    const char *method;
    const char *path;  /* encoded */
    const char *query; /* encoded, or NULL */
    const char *content_type;
    const char *target; /* X-Amz-Target, or NULL */
    const void *body;
    size_t body_len;
} call;

static int perform(rw_aws_client *c, const call *k, rw_http_response *resp) {
    memset(&c->err, 0, sizeof c->err);
    const char *region = k->region                  ? k->region
                         : c->cfg && c->cfg->region ? c->cfg->region
                                                    : "us-east-1";
    const char *sregion = signing_region(k->svc, region);
    char *endpoint = rw_aws_endpoint(c->cfg, k->svc->id, region);
    const char *kpath = k->path && *k->path ? k->path : "/";
    char *vpath = NULL;
    if (k->svc->protocol == RW_AWS_REST_XML) {
        char *v = rw_aws_s3_virtual_host(endpoint, kpath, &vpath);
        if (v) {
            free(endpoint);
            endpoint = v;
            kpath = vpath;
        }
    }
    rw_buf url;
    rw_buf_init(&url, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&url, "%s%s%s%s", endpoint, kpath, k->query && *k->query ? "?" : "",
                  k->query && *k->query ? k->query : "");
    /* the path as signed: what follows the authority in the URL */
    const char *after = strstr(endpoint, "://");
    after = after ? after + 3 : endpoint;
    const char *base_path = strchr(after, '/');
    rw_buf spath;
    rw_buf_init(&spath, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&spath, "%s%s", base_path ? base_path : "", kpath);
    char *host = url_authority(endpoint);
    int s3 = k->svc->protocol == RW_AWS_REST_XML;
    /* S3 wants Content-MD5 on the PUTs that configure a bucket (PutBucketTagging,
     * PutPublicAccessBlock, PutBucketEncryption: rootwatch deploy apply); sent with every S3 PUT
     * or POST that has a body */
    char md5[32] = "";
    if (s3 && !strcmp(k->svc->id, "s3") && k->body_len &&
        (!strcmp(k->method, "PUT") || !strcmp(k->method, "POST"))) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        if (EVP_Digest(k->body, k->body_len, d, &dl, EVP_md5(), NULL) == 1 && dl == 16)
            EVP_EncodeBlock((unsigned char *)md5, d, (int)dl);
    }
    int max_attempts = c->cfg && c->cfg->max_attempts > 0 ? c->cfg->max_attempts : 5;
    int rc = RW_EIO;
    int attempt;
    for (attempt = 1; attempt <= max_attempts; attempt++) {
        rw_aws_creds *cr = NULL;
        if (c->creds) {
            rc = rw_aws_provider_get(c->creds, c->env.now(c->env.ctx), &cr);
            if (rc != RW_OK) {
                rc = rw_error_wrap(rc, "%s %s: no credentials", k->svc->name, k->op);
                break;
            }
        }
        int64_t now = c->env.now(c->env.ctx);
        char amz_date[17], payload[65];
        rw_sigv4_amz_date(now, amz_date);
        rw_sigv4_sha256_hex(k->body ? k->body : "", k->body_len, payload);
        rw_http_header h[10];
        size_t nh = 0;
        h[nh++] = (rw_http_header){"Host", host};
        h[nh++] = (rw_http_header){"X-Amz-Date", amz_date};
        if (cr && cr->session_token)
            h[nh++] = (rw_http_header){"X-Amz-Security-Token", cr->session_token};
        if (k->content_type) h[nh++] = (rw_http_header){"Content-Type", k->content_type};
        if (k->target) h[nh++] = (rw_http_header){"X-Amz-Target", k->target};
        if (s3) h[nh++] = (rw_http_header){"X-Amz-Content-SHA256", payload};
        if (md5[0]) h[nh++] = (rw_http_header){"Content-MD5", md5};
        rw_sigv4_request sr = {.method = k->method,
                               .path = spath.data,
                               .query = k->query,
                               .headers = h,
                               .nheaders = nh,
                               .body = k->body,
                               .body_len = k->body_len,
                               .payload_hash = payload};
        rw_sigv4_result sig;
        memset(&sig, 0, sizeof sig);
        if (cr) { /* without a provider the call is unsigned (AssumeRoleWithWebIdentity) */
            rc = rw_sigv4_sign(&sig, &sr, cr, sregion, k->svc->signing_name, now,
                               s3 ? RW_SIGV4_S3 : 0);
            if (rc != RW_OK) {
                rw_sigv4_result_free(&sig);
                rw_aws_creds_free(cr);
                break;
            }
            h[nh++] = (rw_http_header){"Authorization", sig.authorization.data};
        }
        /* in Lambda, the invocation's X-Ray trace goes on with each call, unsigned, as the AWS
         * SDKs send it (rootwatch lambda sets _X_AMZN_TRACE_ID for each invocation) */
        const char *trace = getenv("AWS_LAMBDA_FUNCTION_NAME") ? getenv("_X_AMZN_TRACE_ID") : NULL;
        if (trace && *trace && !strpbrk(trace, "\r\n"))
            h[nh++] = (rw_http_header){"X-Amzn-Trace-Id", trace};
        rw_http_request hr = {.method = k->method,
                              .url = url.data,
                              .headers = h,
                              .nheaders = nh,
                              .body = k->body,
                              .body_len = k->body_len,
                              .stop = c->stop};
        bool secret = resp->body.secret; /* the caller's: the reply may hold credentials */
        rw_http_response_free(resp);
        rw_http_response_init(resp);
        if (secret) rw_buf_set_secret(&resp->body);
        pace(c);
        int64_t dl = atomic_load(&deadline_ms);
        if (dl) { /* the request ends by the deadline, or is not sent */
            int64_t left = dl - rw_time_now_ms();
            if (left <= 0) {
                rw_sigv4_result_free(&sig);
                rw_aws_creds_free(cr);
                memset(&c->err, 0, sizeof c->err);
                snprintf(c->err.code, sizeof c->err.code, "DeadlineExceeded");
                rc = rw_error_set(RW_ERETRY, "%s %s: not sent: the deadline has passed",
                                  k->svc->name, k->op);
                break;
            }
            if (left < c->timeout_ms) hr.timeout_ms = (long)left;
            if (left < 3000) hr.connect_timeout_ms = (long)left;
        }
        rc = rw_http_do(c->http, &hr, resp);
        rw_sigv4_result_free(&sig);
        if (rc == RW_OK && (resp->status < 200 || resp->status >= 300))
            parse_error(&c->err, resp, cr);
        rw_aws_creds_free(cr);
        int retry = 0;
        if (rc == RW_ERETRY) {
            /* a network error: no reply */
            memset(&c->err, 0, sizeof c->err);
            snprintf(c->err.code, sizeof c->err.code, "NetworkError");
            set_str(c->err.message, sizeof c->err.message, rw_error_last());
            retry = 1;
        } else if (rc != RW_OK) {
            rc = rw_error_wrap(rc, "%s %s", k->svc->name, k->op);
            break;
        } else if (resp->status >= 200 && resp->status < 300) {
            rc = RW_OK;
            memset(&c->err, 0, sizeof c->err); /* earlier attempts' errors are over */
            break;
        } else {
            retry = resp->status >= 500 || resp->status == 429 || is_throttle(c->err.code);
        }
        /* no time left for another attempt, or asked to stop */
        if (dl && rw_time_now_ms() + 100 >= dl) retry = 0;
        if (c->stop && atomic_load(c->stop)) retry = 0;
        if (!retry || attempt == max_attempts) {
            if (c->err.status == 0 && rc == RW_ERETRY)
                rc = attempt > 1 ? rw_error_set(RW_ERETRY, "%s %s: %s (gave up after %d attempts)",
                                                k->svc->name, k->op, c->err.message, attempt)
                                 : rw_error_set(RW_ERETRY, "%s %s: %s", k->svc->name, k->op,
                                                c->err.message);
            else
                rc = fail(c, k->svc, k->op, attempt);
            break;
        }
        /* full jitter: a random wait in [0, min(20 s, 100 ms * 2^attempt)) */
        long cap = 100L << (attempt < 8 ? attempt : 8);
        if (cap > 20000) cap = 20000;
        long wait = (long)(c->env.random(c->env.ctx) * (double)cap);
        if (dl && wait > dl - rw_time_now_ms() - 100) wait = (long)(dl - rw_time_now_ms() - 100);
        if (wait < 0) wait = 0;
        rw_log(RW_LOG_INFO, "%s %s: %s (HTTP %ld); attempt %d of %d, retrying in %ld ms",
               k->svc->name, k->op, c->err.code, c->err.status, attempt, max_attempts, wait);
        c->env.sleep_ms(c->env.ctx, wait);
    }
    free(host);
    free(endpoint);
    free(vpath);
    rw_buf_free(&url);
    rw_buf_free(&spath);
    return rc;
}

/* Appends s form-encoded as the AWS SDKs encode a query protocol's body (botocore: urlencode):
 * unreserved characters as they are, a space as '+', every other byte as %XX. AWS reads %20 as
 * well, but a service that checks the signature over the body it decoded and encoded again (moto
 * with IAM enforced) only agrees with the SDKs' bytes. */
static void form_encode(rw_buf *out, const char *s) {
    size_t from = out->len;
    rw_sigv4_uri_encode(out, s, strlen(s), 0);
    size_t w = from;
    for (size_t r = from; r < out->len; r++, w++) {
        if (out->data[r] == '%' && r + 2 < out->len && out->data[r + 1] == '2' &&
            out->data[r + 2] == '0') {
            out->data[w] = '+';
            r += 2;
        } else {
            out->data[w] = out->data[r];
        }
    }
    out->len = w;
    if (out->data) out->data[w] = 0;
}

int rw_aws_query(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                 const char *action, const char *const *params, rw_xml **out) {
    *out = NULL;
    rw_buf body;
    rw_buf_init(&body, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&body, "Action=%s&Version=%s", action, svc->version);
    for (size_t i = 0; params && params[i] && params[i + 1]; i += 2) {
        rw_buf_putc(&body, '&');
        form_encode(&body, params[i]);
        rw_buf_putc(&body, '=');
        form_encode(&body, params[i + 1]);
    }
    call k = {svc,
              region,
              action,
              "POST",
              "/",
              NULL,
              "application/x-www-form-urlencoded; charset=utf-8",
              NULL,
              body.data,
              body.len};
    rw_http_response resp;
    rw_http_response_init(&resp);
    rw_buf_set_secret(&resp.body); /* it may hold secrets (AssumeRole's reply): wiped when freed */
    int rc = perform(c, &k, &resp);
    if (rc == RW_OK) {
        rc = rw_xml_parse(out, resp.body.data ? resp.body.data : "", resp.body.len);
        if (rc != RW_OK) rc = rw_error_wrap(rc, "%s %s: the reply is not XML", svc->name, action);
    }
    rw_buf_free(&body);
    rw_http_response_free(&resp);
    return rc;
}

int rw_aws_json_raw(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                    const char *operation, const char *body, rw_http_response *out) {
    char target[256], ctype[64];
    snprintf(target, sizeof target, "%s.%s", svc->target_prefix, operation);
    snprintf(ctype, sizeof ctype, "application/x-amz-json-%s",
             svc->json_version ? svc->json_version : "1.1");
    const char *b = body && *body ? body : "{}";
    call k = {svc, region, operation, "POST", "/", NULL, ctype, target, b, strlen(b)};
    return perform(c, &k, out);
}

int rw_aws_json(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                const char *operation, const char *body, rw_json_doc *doc) {
    rw_http_response resp;
    rw_http_response_init(&resp);
    int rc = rw_aws_json_raw(c, svc, region, operation, body, &resp);
    if (rc == RW_OK) {
        const char *d = resp.body.data && resp.body.len ? resp.body.data : "{}";
        rc = rw_json_doc_parse(doc, d, resp.body.data && resp.body.len ? resp.body.len : 2);
        if (rc != RW_OK)
            rc = rw_error_set(rc, "%s %s: the reply is not JSON (at byte %zu of %zu)", svc->name,
                              operation, rw_json_doc_error_offset(doc), resp.body.len);
        else if (rw_json_doc_root(doc)->type != RW_JSON_OBJECT)
            rc =
                rw_error_set(RW_EIO, "%s %s: the reply is not a JSON object", svc->name, operation);
    }
    rw_http_response_free(&resp);
    return rc;
}

int rw_aws_rest(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                const char *operation, const char *method, const char *path, const char *query,
                const void *body, size_t body_len, rw_http_response *out) {
    call k = {svc, region, operation, method, path, query, NULL, NULL, body, body_len};
    return perform(c, &k, out);
}

int rw_aws_json_pages(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                      const char *operation, const char *request, const char *token_in,
                      const char *token_out, rw_aws_page_fn page, void *ctx) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_http_response resp;
    rw_http_response_init(&resp);
    char *token = NULL;
    rw_buf body;
    rw_buf_init(&body, RW_BUF_DEFAULT_MAX);
    const char *req = request && *request ? request : "{}";
    size_t rl = strlen(req);
    while (rl && isspace((unsigned char)req[rl - 1])) rl--;
    /* "CloudTrail LookupEvents us-east-1, page 3" */
    char where[256];
    int rc;
    for (int n = 1;; n++) {
        snprintf(where, sizeof where, "%s %s%s%s, page %d", svc->name, operation, region ? " " : "",
                 region ? region : "", n);
        rw_buf_reset(&body);
        if (token) {
            /* the request object with the token as its last member */
            const char *close = rl ? req + rl - 1 : req;
            int empty = 1;
            for (const char *p = req; p < close; p++)
                if (!isspace((unsigned char)*p) && *p != '{') empty = 0;
            rw_buf_append(&body, req, (size_t)(close - req));
            rw_buf_printf(&body, "%s\"%s\":", empty ? "" : ",", token_in);
            rw_json_write_str(&body, token, strlen(token));
            rw_buf_putc(&body, '}');
        } else {
            rw_buf_append(&body, req, rl);
        }
        rc = rw_aws_json_raw(c, svc, region, operation, body.data, &resp);
        if (rc != RW_OK) {
            char *msg = rw_xstrdup(rw_error_last());
            rc = rw_error_set(rc, "%s (page %d)", msg, n);
            free(msg);
            break;
        }
        const char *data = resp.body.data ? resp.body.data : "";
        bool parsed = rw_json_doc_parse(doc, data, resp.body.len) == RW_OK;
        /* the page goes to the caller even when it is not JSON: it may say where it breaks */
        rc = page(ctx, n, parsed ? rw_json_doc_root(doc) : NULL, data, resp.body.len);
        if (rc) break;
        if (!parsed) {
            rc = rw_error_set(RW_EIO,
                              "%s: the reply is not JSON (at byte %zu); the pages after it cannot "
                              "be asked for",
                              where, rw_json_doc_error_offset(doc));
            break;
        }
        const rw_json *next = rw_json_get(rw_json_doc_root(doc), token_out);
        if (!next || next->type == RW_JSON_NULL) break;
        if (next->type != RW_JSON_STRING || !next->len) {
            rc = rw_error_set(RW_EIO, "%s: %s is not a string", where, token_out);
            break;
        }
        if (token && !strcmp(token, next->str)) {
            rc = rw_error_set(RW_EIO, "%s: the same %s came twice", where, token_out);
            break;
        }
        free(token);
        token = rw_xstrdup(next->str);
    }
    free(token);
    rw_buf_free(&body);
    rw_http_response_free(&resp);
    rw_json_doc_free(doc);
    return rc;
}

#include "lambda/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/http.h"
#include "util/json.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* the largest event taken: Lambda's own limit is 6 MB (synchronous) */
#define MAX_EVENT (32u << 20)
/* how long `next` may wait: Lambda freezes the process meanwhile, so in effect for ever */
#define NEXT_TIMEOUT_MS (24L * 3600 * 1000)
#define POST_TIMEOUT_MS 10000L
/* tries of a request to the Runtime API that fails on the network */
#define TRIES 5

struct rw_lambda_runtime {
    char *base; /* http://host:port/2018-06-01/runtime */
    rw_http *http;
};

int rw_lambda_runtime_new(rw_lambda_runtime **out, const char *api) {
    *out = NULL;
    if (!api || !*api)
        return rw_error_set(RW_EINVAL, "AWS_LAMBDA_RUNTIME_API is not set: rootwatch lambda runs "
                                       "inside AWS Lambda (or a Runtime API emulator)");
    const char *colon = strrchr(api, ':');
    if (!colon || colon == api || !colon[1] ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) || strpbrk(api, "/?#@ \t\r\n"))
        return rw_error_set(RW_EINVAL, "AWS_LAMBDA_RUNTIME_API '%.100s' is not HOST:PORT", api);
    rw_http_opts o = {
        .connect_timeout_ms = 3000, .timeout_ms = NEXT_TIMEOUT_MS, .max_body = MAX_EVENT};
    rw_http *h = rw_http_new(&o);
    if (!h) return RW_EIO;
    rw_lambda_runtime *rt = rw_xcalloc(1, sizeof *rt);
    size_t n = strlen(api) + 64;
    rt->base = rw_xmalloc(n);
    snprintf(rt->base, n, "http://%s/2018-06-01/runtime", api);
    rt->http = h;
    *out = rt;
    return RW_OK;
}

void rw_lambda_runtime_free(rw_lambda_runtime *rt) {
    if (!rt) return;
    rw_http_free(rt->http);
    free(rt->base);
    free(rt);
}

void rw_lambda_invocation_free(rw_lambda_invocation *inv) {
    free(inv->request_id);
    free(inv->trace_id);
    free(inv->function_arn);
    rw_buf_free(&inv->event);
    memset(inv, 0, sizeof *inv);
}

static char *header(const rw_http_response *r, const char *name) {
    size_t n;
    const char *v = rw_http_header_get(r, name, &n);
    if (!v) return NULL;
    char *s = rw_xmalloc(n + 1);
    memcpy(s, v, n);
    s[n] = 0;
    return s;
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One request, tried again on network errors; RW_OK with a 2xx reply. stoppable: given up
 * (RW_ECANCELED) as soon as SIGINT or SIGTERM comes, also while it waits (the wait for the next
 * invocation); otherwise it is made whatever comes (an invocation's answer). */
static int call(rw_lambda_runtime *rt, const char *method, const char *path, const char *body,
                const rw_http_header *headers, size_t nheaders, long timeout_ms, bool stoppable,
                rw_http_response *resp) {
    rw_buf url;
    rw_buf_init(&url, 0);
    rw_buf_printf(&url, "%s%s", rt->base, path);
    rw_http_request req = {.method = method,
                           .url = url.data,
                           .headers = headers,
                           .nheaders = nheaders,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .timeout_ms = timeout_ms,
                           .stop_on_signal = stoppable};
    int rc = RW_EIO;
    for (int i = 0; i < TRIES; i++) {
        rc = rw_http_do(rt->http, &req, resp);
        if (rc != RW_ERETRY || (stoppable && rw_signal_stop_requested())) break;
        pause_ms(100L << i);
    }
    if (rc == RW_OK && (resp->status < 200 || resp->status >= 300)) {
        size_t n = resp->body.len > 300 ? 300 : resp->body.len;
        rc = rw_error_set(RW_EIO, "Runtime API %s %s: HTTP %ld: %.*s", method, path, resp->status,
                          (int)rw_json_utf8_valid_prefix(resp->body.data ? resp->body.data : "", n),
                          resp->body.data ? resp->body.data : "");
    } else if (rc != RW_OK && rc != RW_ECANCELED) {
        rc = rw_error_wrap(rc, "Runtime API %s %s", method, path);
    }
    rw_buf_free(&url);
    return rc;
}

int rw_lambda_runtime_next(rw_lambda_runtime *rt, rw_lambda_invocation *inv) {
    rw_lambda_invocation_free(inv);
    rw_http_response r;
    rw_http_response_init(&r);
    int rc = call(rt, "GET", "/invocation/next", NULL, NULL, 0, NEXT_TIMEOUT_MS, true, &r);
    if (rc == RW_OK) {
        inv->request_id = header(&r, "lambda-runtime-aws-request-id");
        if (!inv->request_id || !*inv->request_id) {
            rc = rw_error_set(RW_EIO, "Runtime API: the next invocation came without a "
                                      "Lambda-Runtime-Aws-Request-Id");
        } else {
            char *d = header(&r, "lambda-runtime-deadline-ms");
            if (d) inv->deadline_ms = strtoll(d, NULL, 10);
            free(d);
            inv->trace_id = header(&r, "lambda-runtime-trace-id");
            inv->function_arn = header(&r, "lambda-runtime-invoked-function-arn");
            rw_buf_init(&inv->event, MAX_EVENT);
            rw_buf_append(&inv->event, r.body.data ? r.body.data : "", r.body.len);
        }
    }
    rw_http_response_free(&r);
    return rc;
}

/* The request id as a path segment: Lambda's are UUIDs; anything else is refused. */
static int id_ok(const char *id) {
    return id && *id && strlen(id) < 200 && strspn(id, "0123456789abcdefABCDEF-_.") == strlen(id);
}

int rw_lambda_runtime_respond(rw_lambda_runtime *rt, const char *request_id, const char *body) {
    if (!id_ok(request_id))
        return rw_error_set(RW_EINVAL, "Runtime API: a request id rootwatch cannot post to");
    rw_buf path;
    rw_buf_init(&path, 0);
    rw_buf_printf(&path, "/invocation/%s/response", request_id);
    rw_http_header h[] = {{"Content-Type", "application/json"}};
    rw_http_response r;
    rw_http_response_init(&r);
    int rc = call(rt, "POST", path.data, body, h, 1, POST_TIMEOUT_MS, false, &r);
    rw_http_response_free(&r);
    rw_buf_free(&path);
    return rc;
}

int rw_lambda_runtime_error(rw_lambda_runtime *rt, const char *request_id, const char *type,
                            const char *message) {
    if (request_id && !id_ok(request_id))
        return rw_error_set(RW_EINVAL, "Runtime API: a request id rootwatch cannot post to");
    rw_buf path, body;
    rw_buf_init(&path, 0);
    rw_buf_init(&body, 0);
    if (request_id)
        rw_buf_printf(&path, "/invocation/%s/error", request_id);
    else
        rw_buf_puts(&path, "/init/error");
    rw_buf_puts(&body, "{\"errorMessage\":");
    rw_json_write_str(&body, message, strlen(message));
    rw_buf_puts(&body, ",\"errorType\":");
    rw_json_write_str(&body, type, strlen(type));
    rw_buf_puts(&body, "}");
    /* the header holds the type: rootwatch's are plain words and dots */
    rw_http_header h[] = {{"Content-Type", "application/json"},
                          {"Lambda-Runtime-Function-Error-Type", type}};
    rw_http_response r;
    rw_http_response_init(&r);
    int rc = call(rt, "POST", path.data, body.data, h, 2, POST_TIMEOUT_MS, false, &r);
    rw_http_response_free(&r);
    rw_buf_free(&path);
    rw_buf_free(&body);
    return rc;
}

/* One invocation: the handler, then its response or error posted. */
static void serve(rw_lambda_runtime *rt, const rw_lambda_invocation *inv, rw_lambda_handler handler,
                  void *ctx) {
    if (inv->trace_id)
        setenv("_X_AMZN_TRACE_ID", inv->trace_id, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
    rw_log_set_request_id(inv->request_id);
    int64_t t0 = rw_time_now_ms();
    rw_lambda_reply reply;
    memset(&reply, 0, sizeof reply);
    handler(ctx, inv, &reply);
    int prc;
    if (reply.ok) {
        prc = rw_lambda_runtime_respond(rt, inv->request_id, reply.body ? reply.body : "{}");
        rw_log_info("invocation done in %lld ms (trace %s): %s", (long long)(rw_time_now_ms() - t0),
                    inv->trace_id ? inv->trace_id : "-", reply.body ? reply.body : "{}");
    } else {
        const char *type = reply.error_type ? reply.error_type : "rootwatch.Error";
        const char *msg = reply.error_message ? reply.error_message : "failed";
        prc = rw_lambda_runtime_error(rt, inv->request_id, type, msg);
        rw_log_error("invocation failed in %lld ms (trace %s): %s: %s",
                     (long long)(rw_time_now_ms() - t0), inv->trace_id ? inv->trace_id : "-", type,
                     msg);
    }
    if (prc != RW_OK) rw_log_error("%s", rw_error_last());
    rw_log_set_request_id(NULL);
    free(reply.body);
    free(reply.error_type);
    free(reply.error_message);
}

int rw_lambda_runtime_loop(rw_lambda_runtime *rt, rw_lambda_handler handler, void *ctx) {
    rw_lambda_invocation inv;
    memset(&inv, 0, sizeof inv);
    int rc = RW_OK;
    for (;;) {
        int sig = rw_signal_stop_requested();
        if (sig) {
            rw_log_info("%s while waiting for the next invocation: stopping", rw_signal_name(sig));
            break;
        }
        rc = rw_lambda_runtime_next(rt, &inv);
        if (rc != RW_OK) {
            if ((sig = rw_signal_stop_requested()) != 0) {
                rw_log_info("%s while waiting for the next invocation: stopping",
                            rw_signal_name(sig));
                rc = RW_OK;
            }
            break;
        }
        /* Lambda has handed this invocation over: it is answered whole, whatever signal comes
         * meanwhile (the engine would otherwise leave its units unread) */
        rw_signal_hold();
        serve(rt, &inv, handler, ctx);
        if ((sig = rw_signal_release()) != 0) {
            rw_log_info("%s during an invocation: it was answered; stopping", rw_signal_name(sig));
            break;
        }
    }
    rw_lambda_invocation_free(&inv);
    return rc;
}

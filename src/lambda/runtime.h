/* The Lambda Runtime API (a custom runtime, provided.al2023): the loop that asks for the next
 * invocation, hands its event to a handler and posts the handler's response or error.
 *
 *   GET  http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next
 *   POST .../runtime/invocation/{request id}/response   the handler's JSON
 *   POST .../runtime/invocation/{request id}/error      {"errorMessage":...,"errorType":...}
 *   POST .../runtime/init/error                         when the function cannot start
 *
 * Each invocation's Lambda-Runtime-Trace-Id is passed on as _X_AMZN_TRACE_ID for its duration and
 * its Lambda-Runtime-Deadline-Ms given to the handler. HTTP is util/http.h (plain http, which the
 * Runtime API speaks, to loopback only, as Lambda's is). */
#ifndef RW_LAMBDA_RUNTIME_H
#define RW_LAMBDA_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct rw_lambda_runtime rw_lambda_runtime;

typedef struct rw_lambda_invocation {
    char *request_id;    /* Lambda-Runtime-Aws-Request-Id */
    int64_t deadline_ms; /* Lambda-Runtime-Deadline-Ms (epoch milliseconds); 0 when not given */
    char *trace_id;      /* Lambda-Runtime-Trace-Id, or NULL */
    char *function_arn;  /* Lambda-Runtime-Invoked-Function-Arn, or NULL */
    rw_buf event;        /* the event's bytes */
} rw_lambda_invocation;

/* What the handler answers: ok with body (the response, JSON), or an error of type (say
 * "rootwatch.InvalidEvent") with a message. The strings are new: the loop frees them. */
typedef struct rw_lambda_reply {
    bool ok;
    char *body;
    char *error_type;
    char *error_message;
} rw_lambda_reply;

typedef void (*rw_lambda_handler)(void *ctx, const rw_lambda_invocation *inv,
                                  rw_lambda_reply *reply);

/* A client of the Runtime API at api ("host:port", as AWS_LAMBDA_RUNTIME_API holds it). RW_OK, or
 * RW_EINVAL when api is missing or not host:port. Freed with rw_lambda_runtime_free. */
int rw_lambda_runtime_new(rw_lambda_runtime **out, const char *api);
void rw_lambda_runtime_free(rw_lambda_runtime *rt);

/* The next invocation (blocks until there is one); inv is the caller's, emptied and refilled.
 * An error when the Runtime API cannot be reached or answers without a request id. */
int rw_lambda_runtime_next(rw_lambda_runtime *rt, rw_lambda_invocation *inv);
void rw_lambda_invocation_free(rw_lambda_invocation *inv);
/* Posts an invocation's response (body, JSON). */
int rw_lambda_runtime_respond(rw_lambda_runtime *rt, const char *request_id, const char *body);
/* Posts an invocation's error, or with request_id NULL the function's init error. */
int rw_lambda_runtime_error(rw_lambda_runtime *rt, const char *request_id, const char *type,
                            const char *message);

/* Serves invocations until the Runtime API goes away (an error after a few tries: returned) or a
 * stop is asked for (SIGINT, SIGTERM: RW_OK, and a line saying so is logged). Lambda sends SIGTERM
 * before it shuts an instance down: while the loop waits for the next invocation it stops at once;
 * an invocation in hand is served whole first (rw_signal_hold), its response or error posted, so
 * that nothing it found is left unsaid. One JSON line per invocation is logged (info). */
int rw_lambda_runtime_loop(rw_lambda_runtime *rt, rw_lambda_handler handler, void *ctx);

#endif

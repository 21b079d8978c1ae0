/* The sources of `rootwatch watch`: long-running sources of CloudTrail events (an SQS queue, an
 * HTTP endpoint subscribed to SNS, a polled bucket, polled event history, a watched folder), each
 * one file under src/sources/ that fills in an rw_watch_source_type: a table of options (checked
 * and shown as channels' are: notify/channel.h) and a create() that makes the engine source
 * (engine/source.h) from the configured values.
 *
 * In the configuration file, beside store: and channels:
 *
 *   sources:
 *     - name: trail-queue
 *       type: sqs
 *       queue_url: https://sqs.us-east-1.amazonaws.com/111122223333/rootwatch
 *
 * A watch source's enumerate() does not end by itself: it emits units as they arrive (one queue
 * message, one SNS notification, one new object, one page of event history, one new file) until
 * env->stop is set (shutdown or reload) or the engine stops (rw_emit_stopping), and then returns
 * RW_OK. It waits in slices of at most a second, so that a stop is seen promptly. Its settle()
 * acknowledges a unit only once its alerts are in the store (delete the message, answer the HTTP
 * request, move the checkpoint); a unit settled !ok is left to be delivered again (the message
 * becomes visible again, the checkpoint does not move past it). */
#ifndef RW_SOURCES_WATCH_H
#define RW_SOURCES_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/session.h"
#include "engine/source.h"
#include "notify/channel.h"
#include "store/store.h"
#include "util/metrics.h"

/* What the sources of one watch process share. Borrowed by every source; outlives them. */
typedef struct rw_watch_env {
    /* The AWS session, opened on first use (rw_aws_lazy): NULL with the error set when the AWS
     * settings are wrong. */
    rw_aws_session *(*aws)(struct rw_watch_env *env);
    void *aws_ctx;
    /* The store (alerts, deliveries, checkpoints: store.h), open for the process's life. */
    rw_store *store;
    /* Counters for /metrics (util/metrics.h); never NULL. Sources count what they receive and
     * what they refuse ("rootwatch_source_units_total{source=...}" and the like). */
    rw_metrics *metrics;
    /* Set when the sources must stop (SIGTERM, SIGINT, a reload): enumerate returns soon after. */
    const atomic_bool *stop;
    /* For /healthz (rootwatch watch --metrics): a source says that receiving failed (error says
     * why: a listing, a ReceiveMessage, its folder gone) or works again (error NULL), naming
     * itself by its configured name. May be NULL. */
    void (*health)(struct rw_watch_env *env, const char *source, const char *error);
    void *health_ctx;
} rw_watch_env;

typedef struct rw_watch_source_type {
    const char *type;        /* "sqs", "sns-http", "s3", "lookup-events", "dir" */
    const char *summary;     /* one line for documentation and `rootwatch watch --list-sources` */
    const rw_opt_spec *opts; /* terminated by an entry with a NULL name */
    /* Checks the values beyond their types (a queue URL that is no queue's, a path that is no
     * folder) without touching the network, and makes the source, named name ("sqs trail-queue"
     * in messages). RW_OK with *out, or an error code with the message set, naming the source and
     * the option. opts is borrowed: it outlives the source. */
    int (*create)(rw_source **out, const char *name, const rw_opt_values *opts, rw_watch_env *env);
} rw_watch_source_type;

/* Every watch source type, NULL-terminated, and the one named type (NULL when none is). */
extern const rw_watch_source_type *const rw_watch_source_types[];
const rw_watch_source_type *rw_watch_source_type_find(const char *type);

#endif

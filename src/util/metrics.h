/* Counters, gauges and histograms for `rootwatch watch --metrics ADDR` (/metrics, in Prometheus's
 * text exposition format 0.0.4). Thread-safe: any thread may count at any time.
 *
 * A series is a metric name plus label pairs, given as a NULL-terminated list of name, value:
 *
 *   rw_metrics_add(m, "rootwatch_source_units_total", "Units read, per source", 1,
 *                  (const char *[]){"source", "trail-queue", "type", "sqs", NULL});
 *
 * The first use of a name fixes its kind and help; label values are escaped when rendered. */
#ifndef RW_UTIL_METRICS_H
#define RW_UTIL_METRICS_H

#include "util/buf.h"

typedef struct rw_metrics rw_metrics;

rw_metrics *rw_metrics_new(void);
void rw_metrics_free(rw_metrics *m); /* NULL is ignored */

/* A counter: adds v (>= 0). labels may be NULL (no labels). */
void rw_metrics_add(rw_metrics *m, const char *name, const char *help, double v,
                    const char *const *labels);
/* A gauge: sets it to v. */
void rw_metrics_set(rw_metrics *m, const char *name, const char *help, double v,
                    const char *const *labels);
/* A histogram of seconds (buckets 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, +Inf): one
 * observation of v seconds. */
void rw_metrics_observe(rw_metrics *m, const char *name, const char *help, double v,
                        const char *const *labels);
/* The current value of a counter or gauge series (0 when it does not exist): for tests and the
 * log's summary. */
double rw_metrics_get(rw_metrics *m, const char *name, const char *const *labels);
/* Appends every series, in the order their names were first used, as Prometheus text. */
void rw_metrics_render(rw_metrics *m, rw_buf *out);

#endif

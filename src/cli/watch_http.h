/* rootwatch watch --metrics ADDR: a small HTTP server for operations, beside the service.
 *
 *   GET /metrics   Prometheus text (util/metrics.h): every counter the service keeps
 *   GET /healthz   200 "ok" while the service runs and works; 503 with the reasons, one a line,
 *                  while it is stopping, while its store cannot be written, while a source has
 *                  failed RW_WATCH_HTTP_FAILS times in a row (and not worked since), or when the
 *                  main loop has not run for RW_WATCH_HTTP_STALL_S seconds
 *
 * Plain HTTP, GET and HEAD only, no request body, a few connections at once with a short
 * timeout: meant for loopback or a private network (a Prometheus server, a load balancer's or
 * systemd's health check), never for the internet. The health of the sources and of the store is
 * what the service reports to it (rw_watch_http_source, rw_watch_http_store); every function
 * takes a NULL server (no --metrics) and does nothing. */
#ifndef RW_CLI_WATCH_HTTP_H
#define RW_CLI_WATCH_HTTP_H

#include <stdbool.h>

#include "util/metrics.h"

#define RW_WATCH_HTTP_FAILS 3    /* errors in a row that make a source unhealthy */
#define RW_WATCH_HTTP_STALL_S 30 /* seconds without the main loop's beat that make it unhealthy */

typedef struct rw_watch_http rw_watch_http;

/* Checks addr (address:port, port 0: any free port) without listening: RW_OK, or RW_EINVAL with
 * the message set (for a usage error). */
int rw_watch_http_check(const char *addr);
/* Starts serving on addr, /metrics rendered from m (borrowed: it outlives the server). RW_OK with
 * *out, or an error with the message set (the address is in use, ...). Logs the address. */
int rw_watch_http_start(rw_watch_http **out, const char *addr, rw_metrics *m);
/* The port it listens on (the one chosen when addr's port was 0). */
int rw_watch_http_port(const rw_watch_http *h);
/* A source's last attempt to receive worked (error NULL) or failed (error says why). */
void rw_watch_http_source(rw_watch_http *h, const char *source, const char *error);
/* The sources are replaced (a reload): what was said of the old ones is forgotten. */
void rw_watch_http_sources_reset(rw_watch_http *h);
/* The last write of an alert to the store worked (error NULL) or failed. */
void rw_watch_http_store(rw_watch_http *h, const char *error);
/* The main loop is running (called at each of its turns). */
void rw_watch_http_beat(rw_watch_http *h);
/* The service is stopping (why: "SIGTERM"): /healthz answers 503 from now on. */
void rw_watch_http_stopping(rw_watch_http *h, const char *why);
/* Stops the server and frees it. */
void rw_watch_http_stop(rw_watch_http *h);

#endif

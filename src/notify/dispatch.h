/* The delivery engine: alerts go into the store with a delivery for each channel that wants them;
 * one thread per channel takes that channel's due deliveries from the store and sends them, so a
 * channel that is down holds back no other. Failed deliveries are tried again with exponential
 * backoff, up to the channel's max_attempts. Deliveries left over by an earlier run (a crash, a
 * channel that was down) are sent too. */
#ifndef RW_NOTIFY_DISPATCH_H
#define RW_NOTIFY_DISPATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify/notify.h"
#include "rules/alert.h"
#include "store/store.h"
#include "util/metrics.h"
#include "util/timeutil.h" /* rw_time_now_ms, for deadlines */

typedef struct rw_dispatch rw_dispatch;

/* Stores an alert with one delivery for each of the n channels that wants it (severity and rule
 * filters), in one transaction; lock (may be NULL) is held around the write. *added is false when
 * its eventID was stored already (nothing changes). The delivery engine below uses it, and so does
 * a command that delivers by itself (rootwatch lambda). */
int rw_dispatch_store(rw_store *s, pthread_mutex_t *lock, const rw_alert *a,
                      rw_channel *const *channels, size_t n, bool *added);

/* One attempt at a stored alert's delivery over ch: the alert's JSON (as the store keeps it) read
 * into a notice and sent. RW_OK, or the channel's error with res->error saying what went wrong
 * (res is the caller's, emptied first). The delivery engine below and rootwatch lambda both send
 * through it; marking the delivery in the store is theirs. */
int rw_dispatch_send(rw_channel *ch, const char *event_id, const char *alert_json,
                     int64_t detected_ms, int attempt, rw_send_result *res);

typedef struct rw_dispatch_stats {
    uint64_t alerts_new, alerts_known; /* added to the store, or already there (not sent again) */
    uint64_t sent, failed, retried;    /* deliveries: sent, given up, failed attempts retried */
    uint64_t pending;                  /* left in the store for a later run */
} rw_dispatch_stats;

/* Opens the store (store_path NULL: the configuration's, else the default; copied) and starts the
 * channel threads, which begin with what earlier runs left. *out is new, and freed (with the
 * threads stopped and the store closed) by rw_dispatch_close only; NULL on error. cfg is borrowed:
 * its channels are used by the threads, so it must outlive rw_dispatch_close. */
int rw_dispatch_open(rw_dispatch **out, rw_notify_config *cfg, const char *store_path);
/* The same for a store that other processes on this host share (rootwatch watch run as competing
 * consumers of one queue: each alert is stored once, by eventID, whichever process read it). It
 * never waits for the store's delivery lock: while another process holds it (and delivers), this
 * one stores alerts and stands by, taking the lock over when that process ends, even killed (the
 * deliveries it had in hand are then sent by the new holder: at most the one in flight twice). The
 * channel threads look in the store every 250 ms for alerts the other processes added. */
int rw_dispatch_open_shared(rw_dispatch **out, rw_notify_config *cfg, const char *store_path);
/* rw_dispatch_open_shared for a long-running service (rootwatch watch): a retryable failure of a
 * channel without an explicit max_attempts is retried (backoff capped at 5 minutes) until 24 h
 * after the alert was stored, not given up after max_attempts, so a channel down for hours still
 * gets every alert once back. Counts every delivery in m (borrowed, may be NULL; for rootwatch
 * watch
 * --metrics): rootwatch_deliveries_total{channel,result} (result sent, or failed: given up),
 * rootwatch_delivery_errors_total{channel} (each failed attempt, retried or not) and the histogram
 * rootwatch_delivery_latency_seconds{channel} (from the alert stored to its delivery sent). */
int rw_dispatch_open_counted(rw_dispatch **out, rw_notify_config *cfg, const char *store_path,
                             rw_metrics *m);
/* Stores an alert (a is read during the call only: the store keeps its JSON) and wakes the channels
 * that want it. *added is false when its eventID was already stored (nothing is sent again). */
int rw_dispatch_alert(rw_dispatch *d, const rw_alert *a, bool *added);
/* Waits until no delivery is due before deadline_ms (epoch milliseconds), then stops the threads,
 * closes the store and frees d (NULL is ignored); stats may be NULL. Deliveries waiting for a later
 * attempt stay pending. */
int rw_dispatch_close(rw_dispatch *d, int64_t deadline_ms, rw_dispatch_stats *stats);

#endif

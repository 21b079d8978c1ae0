/* The local store (SQLite, WAL): every alert once (unique by eventID), and an outbox of its
 * deliveries, one per alert and channel, with their state, attempts, next attempt time and last
 * error. A delivery is marked "sending" before it is sent and "sent" after, each in its own
 * transaction, so a process killed at any moment loses nothing: after a restart every delivery
 * not marked sent is sent, and at most the one that was in flight is sent again.
 *
 * SQL lives in store_sql.h; statements are prepared once and kept; the schema version is
 * PRAGMA user_version. One rw_store per thread (SQLite connections are not shared).
 *
 * Ownership: a store (rw_store_open, rw_store_open_readonly) is freed with rw_store_close.
 * Everything read out of it is a copy the caller owns: deliveries (rw_store_due) and alert infos
 * (rw_store_find), freed as said below; nothing points into SQLite's memory. What the caller passes
 * in (alerts, channel names, errors) is read during the call only. */
#ifndef RW_STORE_H
#define RW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rw_store rw_store;

typedef enum rw_delivery_state {
    RW_DELIVERY_PENDING, /* not tried yet, or waiting for its next attempt */
    RW_DELIVERY_SENDING, /* being sent (found so after a crash: sent again) */
    RW_DELIVERY_SENT,
    RW_DELIVERY_FAILED, /* given up after its last attempt, or a permanent error */
} rw_delivery_state;

/* "pending", "sending", ... (a static string). */
const char *rw_store_delivery_state_name(rw_delivery_state s);

/* Opens (creating and migrating) the store at path (copied): *out is new, freed with
 * rw_store_close; NULL on error. Errors name the path: a read-only or full disk, a file that is
 * not a store. */
int rw_store_open(rw_store **out, const char *path);
/* The same for a store that does not outlive its machine (rootwatch lambda's, in the instance's
 * /tmp): SQLite never waits for the disk (PRAGMA synchronous=OFF). A crash of the process loses
 * nothing (the kernel holds what was written); only a crash of the machine could, and that takes
 * the store away anyway. Creating a store then costs no fsync (six with rw_store_open). */
int rw_store_open_volatile(rw_store **out, const char *path);
/* What opening a store at path would find wrong before SQLite is involved, at the cost of a few
 * system calls: makes its folder, creates the file (mode 0600) when there is none, and checks that
 * it is a file rootwatch can read and write holding nothing or a SQLite database. rootwatch lambda
 * checks its store so at init and opens it at the first alert (issue 12: a cold start without
 * SQLite's work). RW_EIO (naming path and why) otherwise. */
int rw_store_check_file(const char *path);
void rw_store_close(rw_store *s);
/* The default path: $ROOTWATCH_STORE, else $XDG_STATE_HOME/rootwatch/rootwatch.db, else
 * ~/.local/state/rootwatch/rootwatch.db (a new string: the caller frees it). */
char *rw_store_default_path(void);

typedef struct rw_store_alert {
    const char *event_id;
    const char *alert_json; /* docs/alert-schema.md */
    const char *event_time; /* RFC 3339 */
    const char *account, *region, *event_name, *rule, *severity;
    int64_t detected_ms;
} rw_store_alert;

/* Adds the alert and a pending delivery for each channel named, in one transaction. When the
 * eventID is already stored nothing changes and *added is false (re-scanning sends nothing). */
int rw_store_add(rw_store *s, const rw_store_alert *a, const char *const *channels,
                 size_t nchannels, bool *added);

typedef struct rw_delivery {
    int64_t id;
    int64_t alert_id;
    char *event_id;
    char *channel;
    rw_delivery_state state;
    int attempts;
    int64_t next_ms; /* when it may be tried (epoch milliseconds) */
    int64_t detected_ms;
    char *alert_json; /* filled by rw_store_due */
    char *last_error;
} rw_delivery;

/* Frees the strings d holds, not d itself (see rw_store_delivery_list_free below). */
void rw_store_delivery_free(rw_delivery *d);

/* Up to max deliveries of channel that may be tried at now_ms (pending and due, or found
 * "sending": interrupted), oldest first: *out is a new array of *n deliveries (NULL when none),
 * which the caller frees with rw_store_delivery_list_free(*out, *n). */
int rw_store_due(rw_store *s, const char *channel, int64_t now_ms, size_t max, rw_delivery **out,
                 size_t *n);
/* The earliest next attempt of a pending delivery of channel, or INT64_MAX when none. */
int64_t rw_store_next_due(rw_store *s, const char *channel);
int rw_store_mark_sending(rw_store *s, int64_t id, int64_t now_ms);
int rw_store_mark_sent(rw_store *s, int64_t id, int64_t now_ms);
/* After a failed attempt: pending again at next_ms, or failed for good when final. */
int rw_store_mark_failed(rw_store *s, int64_t id, int64_t now_ms, int64_t next_ms, bool final,
                         const char *error);
/* Counts of deliveries by state (for summaries). */
int rw_store_counts(rw_store *s, uint64_t counts[4]);

/* ---- additions ------------------------------------------------------------------------------ */

/* rw_store_delivery_free frees what a delivery holds (its strings), not the delivery itself: after
 * rw_store_due, rw_store_delivery_free(&v[i]) for each, then free(v); or
 * rw_store_delivery_list_free(v, n). */
void rw_store_delivery_list_free(rw_delivery *v, size_t n);

/* Errors of every function: RW_EIO with a message naming the store's path and what happened (a
 * read-only file or folder, a full disk, a file that is not a store, a damaged store); RW_ERETRY
 * when another process held the store locked for longer than the busy timeout (5 s); RW_EINVAL
 * for an alert without an eventID; RW_ENOTFOUND from the mark functions for an unknown id, and
 * from rw_store_mark_sending for a delivery no longer to be sent (sent or given up meanwhile,
 * e.g. by another process). rw_store_next_due returns 0 (due now) on an error, so that the next
 * rw_store_due reports it. */

/* Opens an existing store for reading only (rootwatch alerts): never creates, migrates or writes.
 * *out as for rw_store_open (freed with rw_store_close). RW_ENOTFOUND when there is no file at
 * path, or when it holds no store yet (empty). */
int rw_store_open_readonly(rw_store **out, const char *path);
/* The store's path: borrowed, valid until rw_store_close. */
const char *rw_store_path(const rw_store *s);
/* Caps the store's size (bytes, rounded down to whole pages): past it, writes fail as on a full
 * disk. 0 restores SQLite's default (no practical limit). */
int rw_store_set_max_size(rw_store *s, int64_t bytes);

/* A delivery as rootwatch alerts shows it. */
typedef struct rw_store_delivery_info {
    int64_t id;
    char *channel;
    rw_delivery_state state;
    int attempts;
    int64_t next_ms, updated_ms;
    int64_t sent_ms; /* 0 when not sent */
    char *last_error;
} rw_store_delivery_info;

/* A stored alert with its deliveries (in the order they were added). */
typedef struct rw_store_alert_info {
    int64_t id;
    char *event_id, *event_time, *account, *region, *event_name, *rule, *severity;
    int64_t detected_ms, created_ms;
    char *alert_json;
    rw_store_delivery_info *deliveries;
    size_t ndeliveries;
} rw_store_alert_info;

/* Frees a (from rw_store_find), its strings and its deliveries. NULL is ignored. */
void rw_store_alert_info_free(rw_store_alert_info *a);

typedef struct rw_store_query {
    int64_t since_ms; /* alerts detected at or after (INT64_MIN: all) */
    int state;        /* -1: any; else alerts with a delivery in this state (PENDING: pending or
                         sending, that is not delivered yet) */
    size_t limit;     /* 0: no limit */
} rw_store_query;

/* Calls fn for each alert matching q, newest (detected) first; fn returns RW_OK to go on, or an
 * error code that stops the listing and is returned. a is borrowed for the call only (freed when fn
 * returns): copy what must outlive it. fn must not use s. */
int rw_store_list(rw_store *s, const rw_store_query *q,
                  int (*fn)(void *ctx, const rw_store_alert_info *a), void *ctx);
/* The alert whose eventID is key, else whose id is key (digits): *out is new, which the caller
 * frees with rw_store_alert_info_free; NULL and RW_ENOTFOUND when none. */
int rw_store_find(rw_store *s, const char *key, rw_store_alert_info **out);

/* ---- checkpoints (schema version 2) --------------------------------------------------------- */

/* Where a polled source resumes after a restart (rootwatch watch's s3, lookup-events and dir
 * sources): a text value under a text key, both the source's own (a key names the source, say
 * "s3:trail:AWSLogs/111122223333/CloudTrail/us-east-1/"). A write is one transaction of its own,
 * durable once it returns; several processes and connections may read and write at once (each
 * waits up to the busy timeout for another's write).
 *
 * rw_store_checkpoint_get: *value is a new string (the caller frees it), or NULL with RW_OK when
 * there is no checkpoint under key. rw_store_checkpoint_set: sets key to value, replacing what was
 * there; a NULL value deletes the checkpoint. Errors as above; RW_EIO too for an older store
 * opened read-only (rw_store_open_readonly reads a version-1 store, which has no checkpoints). */
int rw_store_checkpoint_get(rw_store *s, const char *key, char **value);
int rw_store_checkpoint_set(rw_store *s, const char *key, const char *value);

#endif

/* Every SQL statement of the store (src/store/store.c), in one place. The schema is described in
 * docs/store.md; its version is PRAGMA user_version. Included by store.c only. */
#ifndef RW_STORE_SQL_H
#define RW_STORE_SQL_H

/* The schema version this build writes; a store of a later version is refused. */
#define RW_STORE_VERSION 2

/* Per connection, before anything else (journal_mode outside any transaction). */
#define RW_SQL_JOURNAL_WAL "PRAGMA journal_mode=WAL"
#define RW_SQL_SETTINGS "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
#define RW_SQL_NO_SYNC "PRAGMA synchronous=OFF" /* rw_store_open_volatile */
#define RW_SQL_QUERY_ONLY "PRAGMA query_only=1"
#define RW_SQL_GET_VERSION "PRAGMA user_version"
#define RW_SQL_COUNT_OBJECTS "SELECT count(*) FROM sqlite_schema"
#define RW_SQL_PAGE_SIZE "PRAGMA page_size"
#define RW_SQL_MAX_PAGES "PRAGMA max_page_count=%lld"

/* Migrations: migrations[v] takes a store from version v to v + 1 (run inside BEGIN IMMEDIATE,
 * followed by PRAGMA user_version = v + 1). */
#define RW_SQL_SCHEMA_1                                                                            \
    "CREATE TABLE alerts ("                                                                        \
    " id INTEGER PRIMARY KEY,"                                                                     \
    " event_id TEXT UNIQUE NOT NULL,"                                                              \
    " event_time TEXT,"                                                                            \
    " account TEXT,"                                                                               \
    " region TEXT,"                                                                                \
    " event_name TEXT,"                                                                            \
    " rule TEXT,"                                                                                  \
    " severity TEXT,"                                                                              \
    " detected_ms INTEGER NOT NULL,"                                                               \
    " alert_json TEXT NOT NULL,"                                                                   \
    " created_ms INTEGER NOT NULL);"                                                               \
    "CREATE INDEX alerts_detected ON alerts(detected_ms);"                                         \
    "CREATE TABLE deliveries ("                                                                    \
    " id INTEGER PRIMARY KEY,"                                                                     \
    " alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"                          \
    " channel TEXT NOT NULL,"                                                                      \
    " state INTEGER NOT NULL DEFAULT 0," /* rw_delivery_state: 0 pending .. 3 failed */            \
    " attempts INTEGER NOT NULL DEFAULT 0,"                                                        \
    " next_ms INTEGER NOT NULL,"                                                                   \
    " last_error TEXT,"                                                                            \
    " updated_ms INTEGER NOT NULL,"                                                                \
    " sent_ms INTEGER,"                                                                            \
    " UNIQUE(alert_id, channel));"                                                                 \
    "CREATE INDEX deliveries_due ON deliveries(channel, state, next_ms);"

/* Version 2 (issue 13): where the polled sources of rootwatch watch (s3, lookup-events, dir)
 * resume after a restart; key and value are the source's own. */
#define RW_SQL_SCHEMA_2                                                                            \
    "CREATE TABLE checkpoints ("                                                                   \
    " key TEXT PRIMARY KEY,"                                                                       \
    " value TEXT NOT NULL,"                                                                        \
    " updated_ms INTEGER NOT NULL);"

static const char *const rw_store_migrations[RW_STORE_VERSION] = {RW_SQL_SCHEMA_1, RW_SQL_SCHEMA_2};

#define RW_SQL_SET_VERSION "PRAGMA user_version=%d"

/* The statements prepared once per connection and kept. */
enum rw_store_stmt {
    RW_ST_BEGIN,
    RW_ST_COMMIT,
    RW_ST_ROLLBACK,
    RW_ST_ADD_ALERT,
    RW_ST_ADD_DELIVERY,
    RW_ST_DUE,
    RW_ST_NEXT_DUE,
    RW_ST_MARK_SENDING,
    RW_ST_MARK_SENT,
    RW_ST_MARK_FAILED,
    RW_ST_DELIVERY_STATE,
    RW_ST_COUNTS,
    RW_ST_LIST,
    RW_ST_FIND_EVENT,
    RW_ST_FIND_ID,
    RW_ST_DELIVERIES_OF,
    RW_ST_CHECKPOINT_GET, /* version 2 on */
    RW_ST_CHECKPOINT_SET,
    RW_ST_CHECKPOINT_DELETE,
    RW_ST_COUNT_,
};

/* The columns of an alert, as read by RW_ST_LIST, RW_ST_FIND_EVENT and RW_ST_FIND_ID. */
#define RW_SQL_ALERT_COLUMNS                                                                       \
    "a.id, a.event_id, a.event_time, a.account, a.region, a.event_name, a.rule, a.severity,"       \
    " a.detected_ms, a.created_ms, a.alert_json"

static const char *const rw_store_sql[RW_ST_COUNT_] = {
    [RW_ST_BEGIN] = "BEGIN IMMEDIATE",
    [RW_ST_COMMIT] = "COMMIT",
    [RW_ST_ROLLBACK] = "ROLLBACK",
    /* ?1 event_id ?2 event_time ?3 account ?4 region ?5 event_name ?6 rule ?7 severity
     * ?8 detected_ms ?9 alert_json ?10 created_ms */
    [RW_ST_ADD_ALERT] = "INSERT OR IGNORE INTO alerts (event_id, event_time, account, region,"
                        " event_name, rule, severity, detected_ms, alert_json, created_ms)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    /* ?1 alert_id ?2 channel ?3 next_ms (and updated_ms) */
    [RW_ST_ADD_DELIVERY] = "INSERT OR IGNORE INTO deliveries (alert_id, channel, state, attempts,"
                           " next_ms, updated_ms) VALUES (?1, ?2, 0, 0, ?3, ?3)",
    /* ?1 channel ?2 now_ms ?3 max: pending and due, or sending (interrupted), oldest first. Two
     * index lookups (channel, state[, next_ms]) so that sent history is never scanned. */
    [RW_ST_DUE] = "SELECT d.id, d.alert_id, a.event_id, d.channel, d.state, d.attempts, d.next_ms,"
                  " a.detected_ms, a.alert_json, d.last_error"
                  " FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
                  " WHERE d.id IN (SELECT id FROM deliveries WHERE channel = ?1 AND state = 0"
                  " AND next_ms <= ?2 UNION ALL"
                  " SELECT id FROM deliveries WHERE channel = ?1 AND state = 1)"
                  " ORDER BY d.id LIMIT ?3",
    [RW_ST_NEXT_DUE] = "SELECT min(next_ms) FROM deliveries WHERE channel = ?1 AND state = 0",
    /* ?1 id ?2 now_ms: only a delivery still to be sent (not sent or given up meanwhile) */
    [RW_ST_MARK_SENDING] = "UPDATE deliveries SET state = 1, attempts = attempts + 1,"
                           " updated_ms = ?2 WHERE id = ?1 AND state IN (0, 1)",
    [RW_ST_MARK_SENT] = "UPDATE deliveries SET state = 2, sent_ms = ?2, updated_ms = ?2"
                        " WHERE id = ?1",
    /* ?1 id ?2 now_ms ?3 next_ms ?4 state (0 or 3) ?5 error */
    [RW_ST_MARK_FAILED] = "UPDATE deliveries SET state = ?4, next_ms = ?3, last_error = ?5,"
                          " updated_ms = ?2 WHERE id = ?1",
    [RW_ST_DELIVERY_STATE] = "SELECT state FROM deliveries WHERE id = ?1",
    [RW_ST_COUNTS] = "SELECT state, count(*) FROM deliveries GROUP BY state",
    /* ?1 since_ms ?2, ?3 delivery states (?2 < 0: any) ?4 limit (-1: none): newest first */
    [RW_ST_LIST] = "SELECT " RW_SQL_ALERT_COLUMNS " FROM alerts a"
                   " WHERE a.detected_ms >= ?1 AND (?2 < 0 OR EXISTS (SELECT 1 FROM deliveries d"
                   " WHERE d.alert_id = a.id AND d.state IN (?2, ?3)))"
                   " ORDER BY a.detected_ms DESC, a.id DESC LIMIT ?4",
    [RW_ST_FIND_EVENT] = "SELECT " RW_SQL_ALERT_COLUMNS " FROM alerts a WHERE a.event_id = ?1",
    [RW_ST_FIND_ID] = "SELECT " RW_SQL_ALERT_COLUMNS " FROM alerts a WHERE a.id = ?1",
    [RW_ST_DELIVERIES_OF] = "SELECT id, channel, state, attempts, next_ms, last_error, updated_ms,"
                            " sent_ms FROM deliveries WHERE alert_id = ?1 ORDER BY id",
    [RW_ST_CHECKPOINT_GET] = "SELECT value FROM checkpoints WHERE key = ?1",
    /* ?1 key ?2 value ?3 updated_ms */
    [RW_ST_CHECKPOINT_SET] = "INSERT INTO checkpoints (key, value, updated_ms) VALUES (?1, ?2, ?3)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                             " updated_ms = excluded.updated_ms",
    [RW_ST_CHECKPOINT_DELETE] = "DELETE FROM checkpoints WHERE key = ?1",
};

/* The schema version each statement needs (0: 1): a store of an older version opened read-only
 * (never migrated) prepares only the statements its tables allow. */
static const int rw_store_sql_since[RW_ST_COUNT_] = {
    [RW_ST_CHECKPOINT_GET] = 2,
    [RW_ST_CHECKPOINT_SET] = 2,
    [RW_ST_CHECKPOINT_DELETE] = 2,
};

#endif

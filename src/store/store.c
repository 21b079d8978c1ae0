/* The local store: SQLite in WAL mode, the schema and statements of store_sql.h. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_sql.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define RW_STORE_BUSY_MS 5000

struct rw_store {
    sqlite3 *db;
    char *path;
    bool readonly;
    int64_t version; /* the schema's: RW_STORE_VERSION, or older when opened read-only */
    sqlite3_stmt *st[RW_ST_COUNT_];
};

const char *rw_store_delivery_state_name(rw_delivery_state s) {
    switch (s) {
    case RW_DELIVERY_PENDING:
        return "pending";
    case RW_DELIVERY_SENDING:
        return "sending";
    case RW_DELIVERY_SENT:
        return "sent";
    case RW_DELIVERY_FAILED:
        return "failed";
    }
    return "unknown";
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- errors --------------------------------------------------------------------------------- */

/* Sets the message for an SQLite result code: the path, what was being done, and what happened
 * in words a person can act on. */
static int fail_sql(const char *path, sqlite3 *db, int rc, const char *what) {
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int sys = db ? sqlite3_system_errno(db) : 0;
    switch (rc & 0xff) {
    case SQLITE_READONLY:
        return rw_error_set(RW_EIO,
                            "store %s: %s: the store is read-only (%s): rootwatch needs to write "
                            "to the file and to its folder",
                            path, what, msg);
    case SQLITE_FULL:
        return rw_error_set(RW_EIO,
                            "store %s: %s: the disk is full, or the store reached its size "
                            "limit (%s)",
                            path, what, msg);
    case SQLITE_NOTADB:
        return rw_error_set(RW_EIO,
                            "store %s: %s: not a rootwatch store (the file is not an SQLite "
                            "database)",
                            path, what);
    case SQLITE_CORRUPT:
        return rw_error_set(RW_EIO, "store %s: %s: the store is damaged (%s)", path, what, msg);
    case SQLITE_CANTOPEN:
        return rw_error_set(RW_EIO, "store %s: %s: cannot open the file or its journal (%s)", path,
                            what, sys ? strerror(sys) : msg);
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return rw_error_set(RW_EIO, "store %s: %s: permission denied (%s)", path, what, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return rw_error_set(RW_ERETRY,
                            "store %s: %s: the store is locked by another process (waited %d "
                            "ms; try again)",
                            path, what, RW_STORE_BUSY_MS);
    case SQLITE_IOERR:
        if (sys)
            return rw_error_set(RW_EIO, "store %s: %s: %s (%s)", path, what, msg, strerror(sys));
        return rw_error_set(RW_EIO, "store %s: %s: %s", path, what, msg);
    default:
        return rw_error_set(RW_EIO, "store %s: %s: %s", path, what, msg);
    }
}

static int fail(rw_store *s, int rc, const char *what) {
    return fail_sql(s->path, s->db, rc, what);
}

/* Runs SQL text (no results wanted). */
static int exec(rw_store *s, const char *sql, const char *what) {
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? RW_OK : fail(s, rc, what);
}

/* The first column of the first row of a one-off query, as an integer. */
static int query_int(rw_store *s, const char *sql, const char *what, int64_t *out) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *out = 0;
        rc = SQLITE_OK;
    }
    int ret = rc == SQLITE_OK ? RW_OK : fail(s, rc, what);
    sqlite3_finalize(st);
    return ret;
}

/* ---- opening -------------------------------------------------------------------------------- */

/* Creates the missing folders of path's parent, each with mode 0700 (alerts name accounts). */
static int make_parent(const char *path) {
    char *dir = rw_xstrdup(path);
    char *slash = strrchr(dir, '/');
    int ret = RW_OK;
    if (!slash || slash == dir) goto out;
    *slash = 0;
    struct stat st;
    if (stat(dir, &st) == 0) goto out;
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            ret = rw_error_set(RW_EIO, "store %s: cannot create the folder %s: %s", path, dir,
                               strerror(errno));
            goto out;
        }
        *p = c;
        if (!c) break;
    }
out:
    free(dir);
    return ret;
}

int rw_store_check_file(const char *path) {
    if (!path || !*path) return rw_error_set(RW_EINVAL, "store: no path given");
    int ret = make_parent(path);
    if (ret) return ret;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return rw_error_set(RW_EIO, "store %s: cannot open the store to write: %s", path,
                            strerror(errno));
    char head[16];
    ssize_t n = read(fd, head, sizeof head);
    int err = errno;
    close(fd);
    if (n < 0)
        return rw_error_set(RW_EIO, "store %s: cannot read the store: %s", path, strerror(err));
    if (n > 0 && (n < (ssize_t)sizeof head || memcmp(head, "SQLite format 3", 16) != 0))
        return rw_error_set(
            RW_EIO, "store %s: not a rootwatch store (the file is not an SQLite database)", path);
    return RW_OK;
}

static void store_free(rw_store *s) {
    if (!s) return;
    for (int i = 0; i < RW_ST_COUNT_; i++) sqlite3_finalize(s->st[i]);
    if (s->db) sqlite3_close(s->db);
    free(s->path);
    free(s);
}

/* Prepares the statements a store of schema version (RW_STORE_VERSION, or older when opened
 * read-only) has the tables for; the others stay NULL. */
static int prepare_all(rw_store *s, int64_t version) {
    for (int i = 0; i < RW_ST_COUNT_; i++) {
        if ((rw_store_sql_since[i] ? rw_store_sql_since[i] : 1) > version) continue;
        int rc = sqlite3_prepare_v3(s->db, rw_store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->st[i], NULL);
        if (rc != SQLITE_OK) return fail(s, rc, "preparing statements");
    }
    return RW_OK;
}

/* Takes the store to RW_STORE_VERSION, one migration after another, in one transaction (so that
 * two processes opening a new store at once do not both create it). */
static int migrate(rw_store *s) {
    int64_t v;
    int ret = query_int(s, RW_SQL_GET_VERSION, "reading the schema version", &v);
    if (ret) return ret;
    if (v == RW_STORE_VERSION) return RW_OK;
    if (v > RW_STORE_VERSION)
        return rw_error_set(RW_EIO,
                            "store %s: schema version %lld is newer than this rootwatch knows "
                            "(%d): use a newer rootwatch",
                            s->path, (long long)v, RW_STORE_VERSION);
    if ((ret = exec(s, rw_store_sql[RW_ST_BEGIN], "migrating the schema"))) return ret;
    /* read again under the write lock: another process may have migrated meanwhile */
    if ((ret = query_int(s, RW_SQL_GET_VERSION, "reading the schema version", &v))) goto fail;
    if (v == 0) {
        int64_t objects;
        if ((ret = query_int(s, RW_SQL_COUNT_OBJECTS, "reading the schema", &objects))) goto fail;
        if (objects > 0) {
            ret = rw_error_set(RW_EIO,
                               "store %s: not a rootwatch store (an SQLite database with other "
                               "tables)",
                               s->path);
            goto fail;
        }
    }
    for (; v < RW_STORE_VERSION; v++) {
        char sql[64];
        if ((ret = exec(s, rw_store_migrations[v], "migrating the schema"))) goto fail;
        snprintf(sql, sizeof sql, RW_SQL_SET_VERSION, (int)v + 1);
        if ((ret = exec(s, sql, "migrating the schema"))) goto fail;
    }
    if ((ret = exec(s, rw_store_sql[RW_ST_COMMIT], "migrating the schema"))) goto fail;
    return RW_OK;
fail:
    sqlite3_exec(s->db, rw_store_sql[RW_ST_ROLLBACK], NULL, NULL, NULL);
    return ret;
}

static int open_db(rw_store *s, const char *name, int flags) {
    int rc = sqlite3_open_v2(name, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) return fail(s, rc, "opening");
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, RW_STORE_BUSY_MS);
    return RW_OK;
}

static int open_rw(rw_store **out, const char *path, bool no_sync) {
    *out = NULL;
    if (!path || !*path) return rw_error_set(RW_EINVAL, "store: no path given");
    rw_store *s = rw_xcalloc(1, sizeof *s);
    s->path = rw_xstrdup(path);
    int ret = make_parent(path);
    if (ret) goto fail;
    /* created here with mode 0600, before SQLite would create it with 0644: alerts name accounts
     * (SQLite gives the -wal and -shm files the mode of the database) */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
    } else if (errno != EEXIST) {
        ret = rw_error_set(RW_EIO, "store %s: cannot create the store: %s", path, strerror(errno));
        goto fail;
    }
    if ((ret = open_db(s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))) goto fail;
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        ret = rw_error_set(RW_EIO,
                           "store %s: the store is read-only (no permission to write the file): "
                           "rootwatch needs to write to it",
                           path);
        goto fail;
    }
    /* before the switch to WAL, which writes the new file's header */
    if (no_sync && (ret = exec(s, RW_SQL_NO_SYNC, "opening"))) goto fail;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, RW_SQL_JOURNAL_WAL, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (!mode || strcmp(mode, "wal") != 0)
            rw_log_warn("store %s: WAL mode is not available here (journal mode %s)", path,
                        mode ? mode : "?");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        ret = fail(s, rc, "opening");
        goto fail;
    }
    if ((ret = exec(s, RW_SQL_SETTINGS, "opening"))) goto fail;
    if (no_sync && (ret = exec(s, RW_SQL_NO_SYNC, "opening"))) goto fail;
    if ((ret = migrate(s))) goto fail;
    s->version = RW_STORE_VERSION;
    if ((ret = prepare_all(s, RW_STORE_VERSION))) goto fail;
    *out = s;
    return RW_OK;
fail:
    store_free(s);
    return ret;
}

int rw_store_open(rw_store **out, const char *path) {
    return open_rw(out, path, false);
}

int rw_store_open_volatile(rw_store **out, const char *path) {
    return open_rw(out, path, true);
}

static bool no_wal(const char *path) {
    size_t n = strlen(path);
    char *wal = rw_xmalloc(n + 5);
    memcpy(wal, path, n);
    memcpy(wal + n, "-wal", 5);
    struct stat st;
    bool none = stat(wal, &st) != 0 && errno == ENOENT;
    free(wal);
    return none;
}

/* file:PATH?immutable=1, the path percent-encoded. */
static char *immutable_uri(const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    char *uri = rw_xmalloc(strlen(path) * 3 + 32), *o = uri;
    o += sprintf(o, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    strcpy(o, "?immutable=1");
    return uri;
}

int rw_store_open_readonly(rw_store **out, const char *path) {
    *out = NULL;
    if (!path || !*path) return rw_error_set(RW_EINVAL, "store: no path given");
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return rw_error_set(RW_ENOTFOUND, "no store at %s", path);
        return rw_error_set(RW_EIO, "store %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return rw_error_set(RW_EIO, "store %s: not a rootwatch store (not a regular file)", path);
    rw_store *s = rw_xcalloc(1, sizeof *s);
    s->path = rw_xstrdup(path);
    s->readonly = true;
    int64_t v = 0;
    /* With the right to write, the connection is opened for writing but made query-only: the
     * last connection to close removes the -wal and -shm files, which a read-only connection
     * would leave behind. */
    int ret =
        open_db(s, path, access(path, W_OK) == 0 ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
    if (!ret) ret = exec(s, RW_SQL_QUERY_ONLY, "opening");
    if (!ret) ret = query_int(s, RW_SQL_GET_VERSION, "reading the schema version", &v);
    if (ret == RW_EIO && s->db && no_wal(path)) {
        /* A store in WAL mode is read through its -shm file, which a reader may have no right
         * to create (a folder it cannot write). With no -wal file there is no writer, and the
         * file alone is the whole store: read it so. */
        int why = sqlite3_extended_errcode(s->db) & 0xff;
        if (why == SQLITE_READONLY || why == SQLITE_CANTOPEN) {
            sqlite3_close(s->db);
            s->db = NULL;
            char *uri = immutable_uri(path);
            ret = open_db(s, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
            free(uri);
            if (!ret) ret = query_int(s, RW_SQL_GET_VERSION, "reading the schema version", &v);
        }
    }
    if (ret) goto fail;
    if (v == 0) {
        int64_t objects;
        if ((ret = query_int(s, RW_SQL_COUNT_OBJECTS, "reading the schema", &objects))) goto fail;
        ret = objects ? rw_error_set(RW_EIO,
                                     "store %s: not a rootwatch store (an SQLite database with "
                                     "other tables)",
                                     path)
                      : rw_error_set(RW_ENOTFOUND, "the store %s is empty", path);
        goto fail;
    }
    /* an older store is read as it is (never migrated here): what it lacks (checkpoints, before
     * version 2) is an error when asked for */
    if (v > RW_STORE_VERSION) {
        ret = rw_error_set(RW_EIO,
                           "store %s: schema version %lld, this rootwatch reads version %d: use a "
                           "newer rootwatch",
                           path, (long long)v, RW_STORE_VERSION);
        goto fail;
    }
    s->version = v;
    if ((ret = prepare_all(s, v))) goto fail;
    *out = s;
    return RW_OK;
fail:
    store_free(s);
    return ret;
}

void rw_store_close(rw_store *s) {
    store_free(s);
}

const char *rw_store_path(const rw_store *s) {
    return s->path;
}

int rw_store_set_max_size(rw_store *s, int64_t bytes) {
    int64_t page;
    int ret = query_int(s, RW_SQL_PAGE_SIZE, "reading the page size", &page);
    if (ret) return ret;
    int64_t pages = bytes > 0 && page > 0 ? bytes / page : 0xfffffffe;
    if (pages < 1) pages = 1;
    char sql[64];
    snprintf(sql, sizeof sql, RW_SQL_MAX_PAGES, (long long)pages);
    return exec(s, sql, "setting the size limit");
}

char *rw_store_default_path(void) {
    const char *env = getenv("ROOTWATCH_STORE");
    char *out;
    if (env && *env) return rw_xstrdup(env);
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    const char *tail = "rootwatch/rootwatch.db";
    if (xdg && xdg[0] == '/') { /* the XDG specification: a relative value is ignored */
        out = rw_xmalloc(strlen(xdg) + strlen(tail) + 2);
        sprintf(out, "%s/%s", xdg, tail);
        return out;
    }
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
    }
    if (!home) return rw_xstrdup("rootwatch.db");
    const char *mid = "/.local/state/";
    out = rw_xmalloc(strlen(home) + strlen(mid) + strlen(tail) + 1);
    sprintf(out, "%s%s%s", home, mid, tail);
    return out;
}

/* ---- statements ----------------------------------------------------------------------------- */

static sqlite3_stmt *stmt(rw_store *s, enum rw_store_stmt i) {
    sqlite3_reset(s->st[i]);
    sqlite3_clear_bindings(s->st[i]);
    return s->st[i];
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no rows; resets it. */
static int run(rw_store *s, enum rw_store_stmt i, const char *what) {
    int rc = sqlite3_step(s->st[i]);
    sqlite3_reset(s->st[i]);
    return rc == SQLITE_DONE ? RW_OK : fail(s, rc, what);
}

static char *col_str(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? rw_xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* ---- adding --------------------------------------------------------------------------------- */

int rw_store_add(rw_store *s, const rw_store_alert *a, const char *const *channels,
                 size_t nchannels, bool *added) {
    *added = false;
    if (!a->event_id || !*a->event_id)
        return rw_error_set(RW_EINVAL, "store %s: an alert without an eventID cannot be stored",
                            s->path);
    if (!a->alert_json)
        return rw_error_set(RW_EINVAL, "store %s: alert %s has no JSON", s->path, a->event_id);
    int ret = run(s, RW_ST_BEGIN, "adding an alert");
    if (ret) return ret;
    sqlite3_stmt *st = stmt(s, RW_ST_ADD_ALERT);
    bind_text(st, 1, a->event_id);
    bind_text(st, 2, a->event_time);
    bind_text(st, 3, a->account);
    bind_text(st, 4, a->region);
    bind_text(st, 5, a->event_name);
    bind_text(st, 6, a->rule);
    bind_text(st, 7, a->severity);
    sqlite3_bind_int64(st, 8, a->detected_ms);
    bind_text(st, 9, a->alert_json);
    sqlite3_bind_int64(st, 10, wall_ms());
    if ((ret = run(s, RW_ST_ADD_ALERT, "adding an alert"))) goto fail;
    bool is_new = sqlite3_changes(s->db) == 1;
    if (is_new) {
        int64_t alert_id = sqlite3_last_insert_rowid(s->db);
        for (size_t i = 0; i < nchannels; i++) {
            st = stmt(s, RW_ST_ADD_DELIVERY);
            sqlite3_bind_int64(st, 1, alert_id);
            bind_text(st, 2, channels[i]);
            sqlite3_bind_int64(st, 3, a->detected_ms);
            if ((ret = run(s, RW_ST_ADD_DELIVERY, "adding a delivery"))) goto fail;
        }
    }
    if ((ret = run(s, RW_ST_COMMIT, "adding an alert"))) goto fail;
    *added = is_new;
    return RW_OK;
fail:
    if (!sqlite3_get_autocommit(s->db)) { /* the message stays that of the failure */
        sqlite3_step(s->st[RW_ST_ROLLBACK]);
        sqlite3_reset(s->st[RW_ST_ROLLBACK]);
    }
    return ret;
}

/* ---- the outbox ----------------------------------------------------------------------------- */

void rw_store_delivery_free(rw_delivery *d) {
    if (!d) return;
    free(d->event_id);
    free(d->channel);
    free(d->alert_json);
    free(d->last_error);
    d->event_id = d->channel = d->alert_json = d->last_error = NULL;
}

void rw_store_delivery_list_free(rw_delivery *v, size_t n) {
    for (size_t i = 0; v && i < n; i++) rw_store_delivery_free(&v[i]);
    free(v);
}

int rw_store_due(rw_store *s, const char *channel, int64_t now_ms, size_t max, rw_delivery **out,
                 size_t *n) {
    *out = NULL;
    *n = 0;
    if (max == 0) return RW_OK;
    sqlite3_stmt *st = stmt(s, RW_ST_DUE);
    bind_text(st, 1, channel);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int64(st, 3, max > INT64_MAX ? INT64_MAX : (int64_t)max);
    rw_delivery *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = rw_xrealloc(v, cap * sizeof *v);
        }
        rw_delivery *d = &v[cnt++];
        d->id = sqlite3_column_int64(st, 0);
        d->alert_id = sqlite3_column_int64(st, 1);
        d->event_id = col_str(st, 2);
        d->channel = col_str(st, 3);
        d->state = (rw_delivery_state)sqlite3_column_int(st, 4);
        d->attempts = sqlite3_column_int(st, 5);
        d->next_ms = sqlite3_column_int64(st, 6);
        d->detected_ms = sqlite3_column_int64(st, 7);
        d->alert_json = col_str(st, 8);
        d->last_error = col_str(st, 9);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        rw_store_delivery_list_free(v, cnt);
        return fail(s, rc, "reading due deliveries");
    }
    *out = v;
    *n = cnt;
    return RW_OK;
}

int64_t rw_store_next_due(rw_store *s, const char *channel) {
    sqlite3_stmt *st = stmt(s, RW_ST_NEXT_DUE);
    bind_text(st, 1, channel);
    int rc = sqlite3_step(st);
    int64_t next = INT64_MAX;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL) next = sqlite3_column_int64(st, 0);
    } else {
        fail(s, rc, "reading the next due delivery");
        next = 0;
    }
    sqlite3_reset(st);
    return next;
}

/* After an update that changed no row: why. */
static int not_updated(rw_store *s, int64_t id) {
    sqlite3_stmt *st = stmt(s, RW_ST_DELIVERY_STATE);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int ret;
    if (rc == SQLITE_ROW)
        ret = rw_error_set(
            RW_ENOTFOUND, "store %s: delivery %lld is %s already, not sent again", s->path,
            (long long)id,
            rw_store_delivery_state_name((rw_delivery_state)sqlite3_column_int(st, 0)));
    else if (rc == SQLITE_DONE)
        ret = rw_error_set(RW_ENOTFOUND, "store %s: no delivery %lld", s->path, (long long)id);
    else
        ret = fail(s, rc, "reading a delivery");
    sqlite3_reset(st);
    return ret;
}

int rw_store_mark_sending(rw_store *s, int64_t id, int64_t now_ms) {
    sqlite3_stmt *st = stmt(s, RW_ST_MARK_SENDING);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    int ret = run(s, RW_ST_MARK_SENDING, "marking a delivery sending");
    if (!ret && sqlite3_changes(s->db) == 0) ret = not_updated(s, id);
    return ret;
}

int rw_store_mark_sent(rw_store *s, int64_t id, int64_t now_ms) {
    sqlite3_stmt *st = stmt(s, RW_ST_MARK_SENT);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    int ret = run(s, RW_ST_MARK_SENT, "marking a delivery sent");
    if (!ret && sqlite3_changes(s->db) == 0) ret = not_updated(s, id);
    return ret;
}

int rw_store_mark_failed(rw_store *s, int64_t id, int64_t now_ms, int64_t next_ms, bool final,
                         const char *error) {
    sqlite3_stmt *st = stmt(s, RW_ST_MARK_FAILED);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int64(st, 3, next_ms);
    sqlite3_bind_int(st, 4, final ? RW_DELIVERY_FAILED : RW_DELIVERY_PENDING);
    bind_text(st, 5, error);
    int ret = run(s, RW_ST_MARK_FAILED, "marking a delivery failed");
    if (!ret && sqlite3_changes(s->db) == 0) ret = not_updated(s, id);
    return ret;
}

int rw_store_counts(rw_store *s, uint64_t counts[4]) {
    memset(counts, 0, 4 * sizeof counts[0]);
    sqlite3_stmt *st = stmt(s, RW_ST_COUNTS);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int state = sqlite3_column_int(st, 0);
        if (state >= 0 && state < 4) counts[state] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? RW_OK : fail(s, rc, "counting deliveries");
}

/* ---- reading alerts ------------------------------------------------------------------------- */

static void info_clear(rw_store_alert_info *a) {
    free(a->event_id);
    free(a->event_time);
    free(a->account);
    free(a->region);
    free(a->event_name);
    free(a->rule);
    free(a->severity);
    free(a->alert_json);
    for (size_t i = 0; i < a->ndeliveries; i++) {
        free(a->deliveries[i].channel);
        free(a->deliveries[i].last_error);
    }
    free(a->deliveries);
    memset(a, 0, sizeof *a);
}

void rw_store_alert_info_free(rw_store_alert_info *a) {
    if (!a) return;
    info_clear(a);
    free(a);
}

/* Reads the alert at st's current row (RW_SQL_ALERT_COLUMNS) and its deliveries. */
static int read_info(rw_store *s, sqlite3_stmt *st, rw_store_alert_info *a) {
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    a->event_id = col_str(st, 1);
    a->event_time = col_str(st, 2);
    a->account = col_str(st, 3);
    a->region = col_str(st, 4);
    a->event_name = col_str(st, 5);
    a->rule = col_str(st, 6);
    a->severity = col_str(st, 7);
    a->detected_ms = sqlite3_column_int64(st, 8);
    a->created_ms = sqlite3_column_int64(st, 9);
    a->alert_json = col_str(st, 10);
    sqlite3_stmt *ds = stmt(s, RW_ST_DELIVERIES_OF);
    sqlite3_bind_int64(ds, 1, a->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(ds)) == SQLITE_ROW) {
        if (a->ndeliveries == cap) {
            cap = cap ? cap * 2 : 4;
            a->deliveries = rw_xrealloc(a->deliveries, cap * sizeof *a->deliveries);
        }
        rw_store_delivery_info *d = &a->deliveries[a->ndeliveries++];
        d->id = sqlite3_column_int64(ds, 0);
        d->channel = col_str(ds, 1);
        d->state = (rw_delivery_state)sqlite3_column_int(ds, 2);
        d->attempts = sqlite3_column_int(ds, 3);
        d->next_ms = sqlite3_column_int64(ds, 4);
        d->last_error = col_str(ds, 5);
        d->updated_ms = sqlite3_column_int64(ds, 6);
        d->sent_ms = sqlite3_column_int64(ds, 7);
    }
    sqlite3_reset(ds);
    if (rc != SQLITE_DONE) {
        info_clear(a);
        return fail(s, rc, "reading deliveries");
    }
    return RW_OK;
}

int rw_store_list(rw_store *s, const rw_store_query *q,
                  int (*fn)(void *ctx, const rw_store_alert_info *a), void *ctx) {
    sqlite3_stmt *st = stmt(s, RW_ST_LIST);
    int lo = -1, hi = -1;
    if (q->state >= 0) {
        lo = hi = q->state;
        if (q->state == RW_DELIVERY_PENDING) hi = RW_DELIVERY_SENDING;
    }
    sqlite3_bind_int64(st, 1, q->since_ms);
    sqlite3_bind_int(st, 2, lo);
    sqlite3_bind_int(st, 3, hi);
    sqlite3_bind_int64(st, 4, q->limit == 0 || q->limit > INT64_MAX ? -1 : (int64_t)q->limit);
    int rc, ret = RW_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rw_store_alert_info a;
        if ((ret = read_info(s, st, &a))) break;
        ret = fn(ctx, &a);
        info_clear(&a);
        if (ret) break;
    }
    sqlite3_reset(st);
    if (ret) return ret;
    return rc == SQLITE_DONE ? RW_OK : fail(s, rc, "listing alerts");
}

static int find_one(rw_store *s, enum rw_store_stmt which, rw_store_alert_info **out) {
    sqlite3_stmt *st = s->st[which];
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        rw_store_alert_info *a = rw_xmalloc(sizeof *a);
        ret = read_info(s, st, a);
        if (ret)
            free(a);
        else
            *out = a;
    } else {
        ret = rc == SQLITE_DONE ? RW_ENOTFOUND : fail(s, rc, "reading an alert");
    }
    sqlite3_reset(st);
    return ret;
}

int rw_store_find(rw_store *s, const char *key, rw_store_alert_info **out) {
    *out = NULL;
    sqlite3_stmt *st = stmt(s, RW_ST_FIND_EVENT);
    bind_text(st, 1, key);
    int ret = find_one(s, RW_ST_FIND_EVENT, out);
    if (ret != RW_ENOTFOUND) return ret;
    char *end;
    errno = 0;
    long long id = *key >= '0' && *key <= '9' ? strtoll(key, &end, 10) : 0;
    if (id > 0 && !*end && !errno) {
        st = stmt(s, RW_ST_FIND_ID);
        sqlite3_bind_int64(st, 1, id);
        ret = find_one(s, RW_ST_FIND_ID, out);
        if (ret != RW_ENOTFOUND) return ret;
    }
    return rw_error_set(RW_ENOTFOUND, "no alert %s in the store %s (neither an eventID nor an id)",
                        key, s->path);
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

/* The checkpoint statements exist from version 2 on: a read-only store of version 1 has none. */
static int checkpoints_missing(rw_store *s) {
    return rw_error_set(RW_EIO,
                        "store %s: schema version %lld has no checkpoints (version 2 has): open "
                        "it with a writing command once to migrate it",
                        s->path, (long long)s->version);
}

int rw_store_checkpoint_get(rw_store *s, const char *key, char **value) {
    *value = NULL;
    if (!key) return rw_error_set(RW_EINVAL, "store %s: a checkpoint needs a key", s->path);
    if (!s->st[RW_ST_CHECKPOINT_GET]) return checkpoints_missing(s);
    sqlite3_stmt *st = stmt(s, RW_ST_CHECKPOINT_GET);
    bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    int ret = RW_OK;
    if (rc == SQLITE_ROW)
        *value = col_str(st, 0);
    else if (rc != SQLITE_DONE)
        ret = fail(s, rc, "reading a checkpoint");
    if (rc == SQLITE_ROW && !*value) *value = rw_xstrdup(""); /* NOT NULL: never, but be sure */
    sqlite3_reset(st);
    return ret;
}

int rw_store_checkpoint_set(rw_store *s, const char *key, const char *value) {
    if (!key) return rw_error_set(RW_EINVAL, "store %s: a checkpoint needs a key", s->path);
    if (!s->st[RW_ST_CHECKPOINT_SET]) return checkpoints_missing(s);
    if (!value) {
        sqlite3_stmt *st = stmt(s, RW_ST_CHECKPOINT_DELETE);
        bind_text(st, 1, key);
        return run(s, RW_ST_CHECKPOINT_DELETE, "deleting a checkpoint");
    }
    sqlite3_stmt *st = stmt(s, RW_ST_CHECKPOINT_SET);
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    sqlite3_bind_int64(st, 3, wall_ms());
    return run(s, RW_ST_CHECKPOINT_SET, "writing a checkpoint");
}

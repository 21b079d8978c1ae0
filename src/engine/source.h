/* A source of CloudTrail data, as the engine sees it: a struct of callbacks, as a notification
 * channel is (notify/channel.h). Adding a source (an SQS queue, a Lambda event, a polled bucket) is
 * one file under src/sources/ that fills in an rw_source_type; nothing in the engine changes.
 *
 * A source hands the engine units of work (a file, an S3 object, a region's event history, a
 * queue message), one at a time, from enumerate(). The engine reads each unit on a worker thread by
 * calling the source's read(), which fetches the unit's bytes and feeds them to the engine's trail
 * reader (rw_unit_read_fd, rw_unit_read_mem). When the unit's alerts are written out and safely in
 * the store, the engine calls settle(): only then may a source acknowledge the unit (delete the
 * queue message, move a checkpoint).
 *
 * Problems travel with their unit: rw_unit_problem() (a byte offset in the unit's decompressed
 * bytes, and a page for paged sources), rw_unit_fail() (the unit could not be read at all). The
 * engine reports and counts them the same way for every source, naming the unit. */
#ifndef RW_ENGINE_SOURCE_H
#define RW_ENGINE_SOURCE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rw_source rw_source;
typedef struct rw_unit rw_unit;
typedef struct rw_emit rw_emit;

typedef struct rw_source_type {
    const char *type; /* "file", "s3", "lookup-events", ... */
    /* Finds the units of work, in order, and hands each to rw_emit_unit(); returns when there are
     * no more (a finite source), or when rw_emit_unit() returns RW_ECANCELED (the engine is
     * stopping: return at once). RW_OK, or an error code with the message set: the source as a
     * whole failed (the engine reports it, naming the source, and counts it as a failed input).
     * Called on the engine's thread. rw_emit_unit() blocks while the engine has as many units in
     * hand as it takes: that is the back-pressure a fast source feels from a slow store. */
    int (*enumerate)(rw_source *src, rw_emit *emit);
    /* Reads one unit: fetches its bytes and passes them to rw_unit_read_fd/mem (as many times as
     * it has pieces, say pages); reports what goes wrong with rw_unit_problem/rw_unit_fail. Called
     * on a worker thread; *worker is this source's state on that thread (NULL the first time; set
     * it, and worker_free frees it when the engine ends). May run for several units at once. */
    void (*read)(rw_source *src, rw_unit *u, void **worker);
    void (*worker_free)(rw_source *src, void *worker); /* may be NULL */
    /* The unit is done with: its alerts are out and stored (ok), or it could not be read in full
     * (!ok: a source that can redeliver it should). Called once per unit, one unit at a time, in
     * the order the units were emitted when the engine is ordered. May be NULL. */
    void (*settle)(rw_source *src, rw_unit *u, bool ok);
    /* The engine has all the units it takes in hand (pause) and has room again (resume): a source
     * that cannot simply block inside rw_emit_unit (an HTTP endpoint) slows its producers down.
     * May be NULL. */
    void (*pause)(rw_source *src);
    void (*resume)(rw_source *src);
    /* After the last unit has settled. Frees state. May be NULL. */
    void (*close)(rw_source *src);
} rw_source_type;

struct rw_source {
    const rw_source_type *type;
    char *name;  /* for messages ("s3://bucket/prefix", "CloudTrail LookupEvents"); owned */
    void *state; /* the type's own */
};

/* A new source of a type (name copied; type borrowed: a static table); state is the type's, freed
 * by its close. The source is freed by rw_source_free, or by the engine once given to
 * rw_engine_run (engine.h). */
rw_source *rw_source_new(const rw_source_type *type, const char *name, void *state);
/* Calls close (which frees state) and frees the source. NULL is ignored. */
void rw_source_free(rw_source *src);

/* ---- for enumerate() ---------------------------------------------------------------------- */

/* Hands the engine a unit named name (copied: a path, "s3://b/k", "CloudTrail LookupEvents
 * us-east-1"; "-" is standard input). named: the user named it (an empty or non-CloudTrail unit
 * is then an error, rather than skipped). data: the source's own, which the engine keeps with the
 * unit and frees with free_data after settle (either may be NULL). RW_OK, or RW_ECANCELED when the
 * engine is stopping (SIGINT, SIGTERM): the unit was not taken (it is counted as not read), data
 * was freed with free_data all the same, and enumerate should return. Either way the engine owns
 * data from the call on. */
int rw_emit_unit(rw_emit *e, const char *name, bool named, void *data, void (*free_data)(void *));
/* An input the source met but could not read at all (a path that does not exist, a listing that
 * failed midway): reported, counted as a failed input. */
void rw_emit_error(rw_emit *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An input the source met and does not read, on purpose: what says why ("a CloudTrail digest
 * file", "a named pipe"). Counted (digest files as such, the rest as skipped); said with -v. */
void rw_emit_skip(rw_emit *e, const char *name, bool digest, const char *what);
/* Does the engine want no more units (SIGINT, SIGTERM)? For long enumerations. */
bool rw_emit_stopping(const rw_emit *e);

/* ---- for read() --------------------------------------------------------------------------- */

/* The unit's name (the engine's copy) and the data given to rw_emit_unit: borrowed, valid until
 * the unit is settled (after settle returns, the engine frees both). */
const char *rw_unit_name(const rw_unit *u);
void *rw_unit_data(const rw_unit *u);
/* The source the unit came from (borrowed: the engine's until it finishes). */
const rw_source *rw_unit_source(const rw_unit *u);
/* Reads bytes of the unit (any container the trail reader knows, plain or gzip) from fd to its
 * end, or from memory, through the reader and the rules. A unit may be read in several pieces
 * (pages); offsets in problems count within the piece. Returns the reader's code (the problems
 * are recorded in the unit already). */
int rw_unit_read_fd(rw_unit *u, int fd); /* fd stays the caller's: it is not closed */
int rw_unit_read_mem(rw_unit *u, const void *data, size_t len); /* data is read during the call */
/* The piece (page) now read: problems name it ("page 3, byte 120"). 0: no pages. */
void rw_unit_set_page(rw_unit *u, int page);
/* What kind of container the unit's pieces were: the reader's rw_trail_kind of the last piece. */
int rw_unit_kind(const rw_unit *u);
#define RW_UNIT_NO_OFFSET UINT64_MAX
/* A problem with the unit at a byte offset of its (decompressed) bytes, or RW_UNIT_NO_OFFSET. */
void rw_unit_problem(rw_unit *u, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The unit could not be read at all (cannot open, access denied, no such key). */
void rw_unit_fail(rw_unit *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Is the engine stopping? A source reading many pages stops asking for more. */
bool rw_unit_stopping(const rw_unit *u);

#endif

/* The trail reader: bytes of any container a user has -> CloudTrail records.
 *
 * Containers, told apart by content: CloudTrail log files ({"Records":[...]}), NDJSON of records
 * (CloudWatch Logs exports, with or without a timestamp before each record), NDJSON of EventBridge
 * events, JSON arrays of records, CloudTrail LookupEvents responses ({"Events":[{"CloudTrailEvent":
 * "<json>"}]}) and CloudWatch Logs FilterLogEvents output ({"events":[{"message":"<json>"}]}); each
 * plain or gzip (multi-member too). CloudTrail digest files and JSON that is none of these are
 * recognised and skipped.
 *
 * Every record is delimited; only candidates (records holding one of the prefilter's literals, or
 * a \u escape that could hide one) are handed on, to be parsed in full by the caller. Memory is
 * bounded: inputs up to max_whole bytes are decompressed in one piece, larger ones are streamed
 * through a window no bigger than the largest record (at most max_record). */
#ifndef RW_TRAIL_READER_H
#define RW_TRAIL_READER_H

#include <stddef.h>
#include <stdint.h>

#include "trail/prefilter.h"

typedef enum rw_trail_kind {
    RW_TRAIL_UNKNOWN = 0, /* nothing read yet */
    RW_TRAIL_CLOUDTRAIL,  /* {"Records":[...]} */
    RW_TRAIL_NDJSON,      /* one record per line */
    RW_TRAIL_EVENTBRIDGE, /* one EventBridge event per line */
    RW_TRAIL_ARRAY,       /* a JSON array of records or events */
    RW_TRAIL_LOOKUP,      /* a LookupEvents response */
    RW_TRAIL_LOGEVENTS,   /* a FilterLogEvents response */
    RW_TRAIL_DIGEST,      /* a CloudTrail digest file */
    RW_TRAIL_OTHER,       /* not CloudTrail */
    RW_TRAIL_EMPTY,       /* no bytes at all */
} rw_trail_kind;

/* "CloudTrail log file", ... (a static string). */
const char *rw_trail_kind_name(rw_trail_kind k);

typedef enum rw_trail_shape {
    RW_SHAPE_RECORD,   /* data is a CloudTrail record */
    RW_SHAPE_ENVELOPE, /* data is an EventBridge event; the record is its "detail" */
    RW_SHAPE_VALUE,    /* an element of a top-level array: a record or an envelope */
} rw_trail_shape;

typedef struct rw_trail_record {
    const char *data; /* the JSON text (valid only during the callback) */
    size_t len;
    uint64_t offset; /* where it starts in the decompressed input (for a record taken out of a
                        JSON string: where that string's element starts) */
    rw_trail_shape shape;
} rw_trail_record;

typedef struct rw_trail_sink {
    void *ctx;
    /* A record that may match (rec and its data borrowed for the call only). Return RW_OK to go
     * on. */
    int (*candidate)(void *ctx, const rw_trail_record *rec);
    /* A problem at a byte offset of the decompressed input (msg borrowed for the call only).
     * Reading goes on where it can. */
    void (*error)(void *ctx, uint64_t offset, const char *msg);
} rw_trail_sink;

typedef struct rw_trail_stats {
    uint64_t bytes_in;     /* bytes read from the input (compressed) */
    uint64_t bytes_out;    /* bytes after decompression */
    uint64_t records;      /* CloudTrail records and events delimited */
    uint64_t candidates;   /* of which handed on */
    uint64_t other_values; /* JSON values that are not records */
    uint64_t errors;       /* problems reported through the sink */
    rw_trail_kind kind;    /* what the input is, from its first value */
    int gzip;              /* the input was gzip */
} rw_trail_stats;

typedef struct rw_trail_opts {
    const rw_prefilter *prefilter; /* NULL: every record is a candidate */
    size_t max_record;             /* the largest record kept (default 16 MiB) */
    size_t max_whole;              /* the largest input read in one piece (default 32 MiB) */
    size_t chunk;                  /* bytes read at a time when streaming (default 1 MiB) */
} rw_trail_opts;

typedef struct rw_trail_reader rw_trail_reader;

/* A reader keeps its buffers between inputs; use one per thread. A new reader, freed with
 * rw_trail_reader_free. opts (copied) may be NULL; its prefilter is borrowed: it must outlive the
 * reader. */
rw_trail_reader *rw_trail_reader_new(const rw_trail_opts *opts);
void rw_trail_reader_free(rw_trail_reader *r);

/* Reads one input from fd (not closed: it stays the caller's) to its end. stats (the caller's) is
 * zeroed first. Returns RW_OK when the input was read without problems, otherwise an error code
 * (the problems went to sink->error, or the message is set when the input could not be read at
 * all). */
int rw_trail_read_fd(rw_trail_reader *r, int fd, rw_trail_stats *stats, const rw_trail_sink *sink);
/* The same for bytes in memory (read during the call only: nothing keeps a pointer to them). */
int rw_trail_read_mem(rw_trail_reader *r, const void *data, size_t len, rw_trail_stats *stats,
                      const rw_trail_sink *sink);

#endif

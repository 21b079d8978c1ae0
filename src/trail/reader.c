#include "trail/reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trail/decompress.h"
#include "trail/skip.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

#define PAD RW_SKIP_PADDING

/* the parser's states; a step either completes a unit of input or asks for more */
enum pstate {
    P_TOP,       /* before a top-level value */
    P_OBJ_KEY,   /* in a top-level object, before a member name (or '}' if first) */
    P_OBJ_VALUE, /* after "name": */
    P_OBJ_SEP,   /* after a member: ',' or '}' */
    P_ARR_ELEM,  /* in an array of records, before an element (or ']' if first) */
    P_ARR_SEP,   /* after an element: ',' or ']' */
    P_RESYNC,    /* after an error in NDJSON: skip to the next line */
    P_DISCARD,   /* skipping a value too large to keep */
    P_DONE,
};

enum arr_kind { ARR_RECORDS, ARR_WRAPPED, ARR_TOP };

/* STEP_AGAIN: the step did not finish its unit but moved the parser elsewhere (recovery) */
enum step { STEP_OK, STEP_MORE, STEP_STOP, STEP_AGAIN };

/* member names that tell what a top-level object is */
enum {
    K_RECORDS = 1 << 0,
    K_EVENTS = 1 << 1,
    K_LOGEVENTS = 1 << 2,
    K_DETAIL = 1 << 3,
    K_DETAIL_TYPE = 1 << 4,
    K_EVENT_VERSION = 1 << 5,
    K_EVENT_NAME = 1 << 6,
    K_EVENT_SOURCE = 1 << 7,
    K_USER_IDENTITY = 1 << 8,
    K_DIGEST = 1 << 9, /* digestStartTime, digestEndTime, digestS3Bucket, logFiles */
};

static const struct {
    const char *name;
    unsigned bit;
} known_keys[] = {
    {"Records", K_RECORDS},
    {"Events", K_EVENTS},
    {"events", K_LOGEVENTS},
    {"detail", K_DETAIL},
    {"detail-type", K_DETAIL_TYPE},
    {"eventVersion", K_EVENT_VERSION},
    {"eventName", K_EVENT_NAME},
    {"eventSource", K_EVENT_SOURCE},
    {"userIdentity", K_USER_IDENTITY},
    {"digestStartTime", K_DIGEST},
    {"digestEndTime", K_DIGEST},
    {"digestS3Bucket", K_DIGEST},
    {"logFiles", K_DIGEST},
};

/* A line that is not a record, met before the input is known to be CloudTrail. */
typedef struct junk_line {
    uint64_t off;
    char *msg;
} junk_line;

#define JUNK_KEEP 50 /* lines named one by one; those after them are counted in one problem */

struct rw_trail_reader {
    rw_trail_opts o;
    rw_decompress *dz;
    char *cbuf; /* the whole input as read, + PAD */
    size_t ccap;
    char *sbuf; /* the streaming window, + PAD */
    size_t scap;

    /* the current input */
    const rw_trail_sink *sink;
    rw_trail_stats *st;
    bool failed; /* an error was reported */
    int stop_rc; /* the candidate callback's error: reading stops */

    /* the window: decompressed bytes [wbase, wbase + wlen) at w */
    char *w;
    size_t wcap, wlen;
    uint64_t wbase;
    bool eof;

    /* prefilter hits (absolute offsets, ascending) */
    rw_u64vec hits;
    size_t hit_i;
    uint64_t scanned_to;

    /* the parser */
    enum pstate ps;
    uint64_t pos;
    bool first;   /* what the input is is not known yet (no record or container seen) */
    bool probing; /* lines that are not records were met before the first one: held in junk */
    struct junk_line *junk; /* those lines, to be reported once a record shows the input is
                               CloudTrail (and dropped if none does: it is not CloudTrail) */
    size_t njunk, junk_cap;
    uint64_t junk_more, junk_more_off, junk_more_line, junk_last_line; /* beyond JUNK_KEEP */
    uint64_t line_pos, line_no; /* while first: the line number at line_pos */
    uint64_t obj_start;
    unsigned obj_keys;
    unsigned obj_flags; /* RW_SKIP_UESCAPE seen in a member value */
    bool obj_empty;     /* no member read yet */
    bool discard_hit;   /* the value being discarded held a prefilter hit */
    unsigned cur_key;
    bool obj_container; /* the object holds a Records/Events array */
    enum arr_kind arr;
    bool arr_first;
    bool arr_nested; /* the array is a member of a top-level object */
    uint64_t arr_index;
    bool skipping;
    rw_skip_state sk;
    uint64_t skip_start;
    enum pstate after_discard;

    rw_json_doc *doc;
    char *scratch;
    size_t scratch_cap;
};

const char *rw_trail_kind_name(rw_trail_kind k) {
    switch (k) {
    case RW_TRAIL_UNKNOWN:
        return "unknown";
    case RW_TRAIL_CLOUDTRAIL:
        return "CloudTrail log file";
    case RW_TRAIL_NDJSON:
        return "NDJSON of CloudTrail records";
    case RW_TRAIL_EVENTBRIDGE:
        return "NDJSON of EventBridge events";
    case RW_TRAIL_ARRAY:
        return "JSON array of records";
    case RW_TRAIL_LOOKUP:
        return "LookupEvents response";
    case RW_TRAIL_LOGEVENTS:
        return "FilterLogEvents response";
    case RW_TRAIL_DIGEST:
        return "CloudTrail digest file";
    case RW_TRAIL_OTHER:
        return "not CloudTrail";
    case RW_TRAIL_EMPTY:
        return "empty";
    }
    return "?";
}

static void decompress_error(void *ctx, uint64_t off, const char *msg);

rw_trail_reader *rw_trail_reader_new(const rw_trail_opts *opts) {
    rw_trail_reader *r = rw_xcalloc(1, sizeof *r);
    if (opts) r->o = *opts;
    if (!r->o.max_record) r->o.max_record = (size_t)16 << 20;
    if (!r->o.max_whole) r->o.max_whole = (size_t)32 << 20;
    if (!r->o.chunk) r->o.chunk = (size_t)1 << 20;
    if (r->o.chunk < 4096) r->o.chunk = 4096;
    r->dz = rw_decompress_new(PAD, decompress_error, r);
    rw_json_opts jo = {.max_depth = 64, .max_memory = (size_t)64 << 20, .repair_utf8 = 1};
    r->doc = rw_json_doc_new(&jo);
    return r;
}

void rw_trail_reader_free(rw_trail_reader *r) {
    if (!r) return;
    rw_decompress_free(r->dz);
    free(r->cbuf);
    free(r->sbuf);
    free(r->scratch);
    for (size_t i = 0; i < r->njunk; i++) free(r->junk[i].msg);
    free(r->junk);
    rw_u64vec_free(&r->hits);
    rw_json_doc_free(r->doc);
    free(r);
}

/* ---- reporting ------------------------------------------------------------------------------ */

static void report(rw_trail_reader *r, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(rw_trail_reader *r, uint64_t off, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->st->errors++;
    r->failed = true;
    if (r->sink && r->sink->error) r->sink->error(r->sink->ctx, off, msg);
}

/* A problem the decompressor met. */
static void decompress_error(void *ctx, uint64_t off, const char *msg) {
    report(ctx, off, "%s", msg);
}

/* ---- the window ----------------------------------------------------------------------------- */

static inline const char *at(const rw_trail_reader *r, uint64_t abs) {
    return r->w + (abs - r->wbase);
}

static inline uint64_t wend(const rw_trail_reader *r) {
    return r->wbase + r->wlen;
}

static void scan_hits(rw_trail_reader *r) {
    if (!r->o.prefilter) return;
    size_t back = rw_prefilter_max_len(r->o.prefilter);
    back = back ? back - 1 : 0;
    uint64_t from = r->scanned_to > r->wbase + back ? r->scanned_to - back : r->wbase;
    if (from < wend(r))
        rw_prefilter_scan(r->o.prefilter, at(r, from), wend(r) - from, from, &r->hits);
    r->scanned_to = wend(r);
}

/* Is there a hit in [start, end)? Calls come with ascending starts. */
static bool has_hit(rw_trail_reader *r, uint64_t start, uint64_t end) {
    if (!r->o.prefilter) return true;
    while (r->hit_i < r->hits.n && r->hits.v[r->hit_i] < start) r->hit_i++;
    return r->hit_i < r->hits.n && r->hits.v[r->hit_i] < end;
}

/* The same in any order (for error paths); the cursor of has_hit starts over. */
static bool any_hit(rw_trail_reader *r, uint64_t start, uint64_t end) {
    r->hit_i = 0;
    return has_hit(r, start, end);
}

/* Makes more bytes available, keeping those from keep on. Returns 1 when bytes were added, 0 at
 * the end of the input, -1 when the window cannot grow (what is kept is too large). */
static uint64_t line_at(rw_trail_reader *r, uint64_t off);

static int fill(rw_trail_reader *r, uint64_t keep) {
    if (r->eof) return 0;
    if (r->first && keep > r->line_pos) line_at(r, keep); /* count the lines about to go */
    if (keep > r->wbase) {
        size_t drop = keep - r->wbase;
        memmove(r->w, r->w + drop, r->wlen - drop);
        r->wbase += drop;
        r->wlen -= drop;
        size_t k = 0;
        while (k < r->hits.n && r->hits.v[k] < r->wbase) k++;
        if (k) memmove(r->hits.v, r->hits.v + k, (r->hits.n - k) * sizeof *r->hits.v);
        r->hits.n -= k;
        r->hit_i = r->hit_i > k ? r->hit_i - k : 0;
    }
    if (r->wlen == r->wcap) {
        size_t limit = r->o.max_record + r->o.chunk;
        if (r->wcap >= limit) return -1;
        size_t cap = r->wcap * 2 < limit ? r->wcap * 2 : limit;
        r->sbuf = rw_xrealloc(r->sbuf, cap + PAD);
        r->scap = cap;
        r->w = r->sbuf;
        r->wcap = cap;
    }
    size_t n = rw_decompress_read(r->dz, r->w + r->wlen, r->wcap - r->wlen, r->st->bytes_out);
    if (n == 0) {
        r->eof = true;
        return 0;
    }
    r->wlen += n;
    r->st->bytes_out += n;
    memset(r->w + r->wlen, ' ', PAD);
    scan_hits(r);
    return 1;
}

/* ---- the stream ---------------------------------------------------------------------------- */

/* Streams the input in r->sbuf, gzip or not, from the memory or descriptor the decompressor was
 * opened on; head[0, h): bytes already read (inflated first when gz). */
static void stream_begin(rw_trail_reader *r, bool gz, const void *head, size_t h) {
    rw_decompress_start(r->dz, gz, head, h);
    if (!r->sbuf) {
        r->scap = r->o.chunk;
        r->sbuf = rw_xmalloc(r->scap + PAD);
    }
    r->w = r->sbuf;
    r->wcap = r->scap;
    r->wlen = 0;
    r->wbase = 0;
    r->eof = false;
}

/* The whole input is buf[0, len) (cap + PAD bytes allocated). */
static void whole_window(rw_trail_reader *r, char *buf, size_t cap, size_t len) {
    r->w = buf;
    r->wcap = cap;
    r->wlen = len;
    r->wbase = 0;
    r->eof = true;
    r->st->bytes_out = len;
    memset(r->w + len, ' ', PAD);
}

/* ---- parsing helpers ------------------------------------------------------------------------ */

static inline bool is_ws(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Skips whitespace from r->pos; false when the window ends first. */
static bool skip_ws(rw_trail_reader *r) {
    uint64_t end = wend(r);
    while (r->pos < end && is_ws(*at(r, r->pos))) r->pos++;
    return r->pos < end;
}

static const char *char_name(char c, char buf[16]) {
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7F)
        snprintf(buf, 16, "'%c'", u);
    else
        snprintf(buf, 16, "byte 0x%02X", u);
    return buf;
}

/* Finds the end of the string at abs (its opening quote). Returns the offset past the closing
 * quote, or 0 when the window ends first. Sets *uesc on a \u escape. */
static uint64_t string_end(rw_trail_reader *r, uint64_t abs, bool *uesc) {
    const char *p = at(r, abs) + 1, *end = at(r, wend(r));
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '"' && *q != '\\') q++;
        if (q >= end) return 0;
        if (*q == '"') return (uint64_t)(q + 1 - r->w) + r->wbase;
        if (q + 1 < end && q[1] == 'u') *uesc = true;
        p = q + 2;
    }
    return 0;
}

/* Finds the end of the number or literal at abs; 0 when the window ends first. */
static uint64_t scalar_end(rw_trail_reader *r, uint64_t abs) {
    const char *p = at(r, abs), *end = at(r, wend(r));
    while (p < end && !is_ws(*p) && *p != ',' && *p != '}' && *p != ']' && *p != '{' && *p != '[' &&
           *p != '"' && *p != ':')
        p++;
    if (p >= end && !r->eof) return 0;
    return (uint64_t)(p - r->w) + r->wbase;
}

static unsigned key_bit(const char *s, size_t n) {
    for (size_t k = 0; k < sizeof known_keys / sizeof known_keys[0]; k++)
        if (strlen(known_keys[k].name) == n && memcmp(known_keys[k].name, s, n) == 0)
            return known_keys[k].bit;
    return 0;
}

/* The bit of the member name in the string [abs, end) (quotes included), unescaping if needed. */
static unsigned key_of(rw_trail_reader *r, uint64_t abs, uint64_t end) {
    const char *s = at(r, abs) + 1;
    size_t n = end - abs - 2;
    if (n > 64) return 0;
    if (!memchr(s, '\\', n)) return key_bit(s, n);
    if (rw_json_doc_parse(r->doc, at(r, abs), end - abs) != RW_OK) return 0;
    rw_json *k = rw_json_doc_root(r->doc);
    return key_bit(k->str, k->len);
}

static void set_kind(rw_trail_reader *r, rw_trail_kind k) {
    if (r->st->kind == RW_TRAIL_UNKNOWN) r->st->kind = k;
}

static void emit(rw_trail_reader *r, const char *data, size_t len, uint64_t off,
                 rw_trail_shape sh) {
    r->st->candidates++;
    rw_trail_record rec = {data, len, off, sh};
    int rc = r->sink && r->sink->candidate ? r->sink->candidate(r->sink->ctx, &rec) : RW_OK;
    if (rc != RW_OK && !r->stop_rc) r->stop_rc = rc; /* run() stops before the next step */
}

/* An element of an Events or events array: the record is the JSON text inside one of its strings.
 */
static void wrapped_element(rw_trail_reader *r, uint64_t start, uint64_t end) {
    const char *field =
        r->arr == ARR_WRAPPED && (r->obj_keys & K_LOGEVENTS) ? "message" : "CloudTrailEvent";
    if (rw_json_doc_parse(r->doc, at(r, start), end - start) != RW_OK) {
        report(r, start,
               "malformed element %llu starting here: %s, counted from the element's first byte",
               (unsigned long long)r->arr_index, rw_error_last());
        return;
    }
    const rw_json *s = rw_json_get(rw_json_doc_root(r->doc), field);
    if (!s || s->type != RW_JSON_STRING) {
        r->st->other_values++;
        return;
    }
    if (r->scratch_cap < (size_t)s->len + PAD) {
        free(r->scratch);
        r->scratch_cap = (size_t)s->len + PAD;
        r->scratch = rw_xmalloc(r->scratch_cap);
    }
    memcpy(r->scratch, s->str, s->len);
    memset(r->scratch + s->len, ' ', PAD);
    /* The record's structure is checked whether or not it is a candidate, as a record's in a log
     * file is: one cut short inside its string is reported (the same with any prefilter) and
     * never handed on half. */
    size_t i = 0, n = s->len, len = 0;
    while (i < n && (r->scratch[i] == ' ' || r->scratch[i] == '\t' || r->scratch[i] == '\n' ||
                     r->scratch[i] == '\r'))
        i++;
    bool whole = false;
    if (i < n && r->scratch[i] == '{') {
        rw_skip_state st;
        rw_skip_init(&st);
        if (rw_skip_container(&st, r->scratch + i, n - i, &len) == RW_OK) {
            whole = true;
            for (size_t k = i + len; k < n; k++)
                if (r->scratch[k] != ' ' && r->scratch[k] != '\t' && r->scratch[k] != '\n' &&
                    r->scratch[k] != '\r')
                    whole = false;
        }
    }
    if (!whole) {
        report(r, start, "element %llu: its %s is not one complete JSON object (cut short?)",
               (unsigned long long)r->arr_index, field);
        return;
    }
    r->st->records++;
    if (!r->o.prefilter || rw_prefilter_contains(r->o.prefilter, r->scratch, s->len) ||
        memmem(r->scratch, s->len, "\\u", 2))
        emit(r, r->scratch, s->len, start, RW_SHAPE_RECORD);
}

static uint64_t next_object_line(rw_trail_reader *r, uint64_t from, uint64_t limit);

/* ---- lines that are not records ------------------------------------------------------------
 *
 * A line-oriented input (NDJSON, CloudWatch Logs exports) is judged line by line: until a record
 * (or a container such as {"Records":[...]}) shows that the input is CloudTrail, the lines that
 * are not records (not JSON, JSON that is not a record, JSON cut short) are held, with where they
 * are and why; the first record reports each of them as a problem, and reading goes on. An input
 * none of whose lines is a record is not CloudTrail, and nothing is reported. Memory stays bounded:
 * past JUNK_KEEP lines only a count is kept. */

/* The line number (from 1) of offset off, counting newlines from the last offset asked for (the
 * offsets asked for only grow; fill() counts the bytes it drops). Only while r->first. */
static uint64_t line_at(rw_trail_reader *r, uint64_t off) {
    if (off > wend(r)) off = wend(r);
    if (off > r->line_pos) {
        const char *p = at(r, r->line_pos), *end = at(r, off);
        while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            r->line_no++;
            p++;
        }
        r->line_pos = off;
    }
    return r->line_no;
}

/* A line that is not a record, at start (in the window), before the input is known to be
 * CloudTrail: held, and reading goes on at the line after resume. */
static enum step junk(rw_trail_reader *r, uint64_t start, uint64_t resume, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum step junk(rw_trail_reader *r, uint64_t start, uint64_t resume, const char *fmt, ...) {
    uint64_t line = line_at(r, start);
    r->probing = true;
    if (r->njunk < JUNK_KEEP) {
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        const char *p = at(r, start), *nl = memchr(p, '\n', wend(r) - start);
        uint64_t end = nl ? start + (uint64_t)(nl - p) : wend(r);
        bool hit = r->o.prefilter && end > start && any_hit(r, start, end);
        char msg[512];
        snprintf(msg, sizeof msg, "line %llu is not a CloudTrail record: %s; skipped%s",
                 (unsigned long long)line, why,
                 hit ? "; it holds text the rules look for, so it may be root activity" : "");
        if (r->njunk == r->junk_cap) {
            r->junk_cap = r->junk_cap ? 2 * r->junk_cap : 8;
            r->junk = rw_xrealloc(r->junk, r->junk_cap * sizeof *r->junk);
        }
        r->junk[r->njunk].off = start;
        r->junk[r->njunk++].msg = rw_xstrdup(msg);
    } else {
        if (!r->junk_more) {
            r->junk_more_off = start;
            r->junk_more_line = line;
        }
        r->junk_more++;
        r->junk_last_line = line;
    }
    r->skipping = false;
    r->pos = resume;
    r->ps = P_RESYNC;
    return STEP_AGAIN;
}

static void junk_drop(rw_trail_reader *r) {
    for (size_t i = 0; i < r->njunk; i++) free(r->junk[i].msg);
    r->njunk = 0;
    r->junk_more = 0;
    r->probing = false;
}

/* The input is CloudTrail: the lines held before this point are problems in it. */
static void decided(rw_trail_reader *r) {
    if (!r->probing) return;
    for (size_t i = 0; i < r->njunk; i++) report(r, r->junk[i].off, "%s", r->junk[i].msg);
    if (r->junk_more)
        report(r, r->junk_more_off,
               "%llu more line%s from line %llu to line %llu %s not CloudTrail records either; "
               "skipped",
               (unsigned long long)r->junk_more, r->junk_more == 1 ? "" : "s",
               (unsigned long long)r->junk_more_line, (unsigned long long)r->junk_last_line,
               r->junk_more == 1 ? "is" : "are");
    junk_drop(r);
}

/* What a top-level object is, from the member names it has (the bits of obj_keys). */
static rw_trail_kind classify(unsigned k) {
    if ((k & K_DETAIL_TYPE) && (k & K_DETAIL)) return RW_TRAIL_EVENTBRIDGE;
    if ((k & K_EVENT_VERSION) || ((k & K_EVENT_NAME) && (k & (K_EVENT_SOURCE | K_USER_IDENTITY))))
        return RW_TRAIL_NDJSON;
    if (k & K_DIGEST) return RW_TRAIL_DIGEST;
    return RW_TRAIL_OTHER;
}

#define NOT_A_RECORD                                                                               \
    "a JSON object without the members of one (eventVersion, or eventName with eventSource or "    \
    "userIdentity, or detail-type with detail; names are case-sensitive)"

/* The top-level object being read cannot be finished (malformed, cut short, too large) before the
 * input is known to be CloudTrail. When the member names read so far are a record's, it is a
 * damaged record: the input is CloudTrail and the caller reports the damage (returns false).
 * Otherwise it is a line that is not a record (returns true, with *s the step to return). */
static bool first_broken(rw_trail_reader *r, enum step *s, const char *why) {
    if (!r->first || (r->ps != P_OBJ_KEY && r->ps != P_OBJ_VALUE && r->ps != P_OBJ_SEP) ||
        r->obj_container)
        return false;
    rw_trail_kind kind = classify(r->obj_keys);
    if (kind == RW_TRAIL_NDJSON || kind == RW_TRAIL_EVENTBRIDGE) {
        decided(r);
        set_kind(r, kind);
        return false;
    }
    *s = junk(r, r->obj_start, r->obj_start, "malformed JSON (%s)", why);
    return true;
}

/* A top-level object has ended at end: decide what it was. The caller has set r->ps to P_TOP. */
static void object_done(rw_trail_reader *r, uint64_t end) {
    if (r->obj_container) {
        r->first = false;
        return;
    }
    rw_trail_kind kind = classify(r->obj_keys);
    rw_trail_shape shape = kind == RW_TRAIL_EVENTBRIDGE ? RW_SHAPE_ENVELOPE : RW_SHAPE_RECORD;
    if (kind == RW_TRAIL_DIGEST || kind == RW_TRAIL_OTHER) {
        if (r->first && !r->probing &&
            (kind == RW_TRAIL_DIGEST || memchr(at(r, r->obj_start), '\n', end - r->obj_start))) {
            /* one JSON document that is not records (a digest file, a settings file): the input */
            set_kind(r, kind);
            r->first = false;
            r->ps = P_DONE;
        } else if (r->first) {
            junk(r, r->obj_start, end, "%s",
                 kind == RW_TRAIL_DIGEST ? "it is a CloudTrail digest" : NOT_A_RECORD);
        } else {
            r->st->other_values++;
            bool hit = r->o.prefilter && has_hit(r, r->obj_start, end);
            report(r, r->obj_start, "not a CloudTrail record: %s; skipped%s",
                   kind == RW_TRAIL_DIGEST ? "a CloudTrail digest" : NOT_A_RECORD,
                   hit ? "; it holds text the rules look for, so it may be root activity" : "");
        }
        return;
    }
    r->first = false;
    decided(r);
    set_kind(r, kind);
    r->st->records++;
    if (has_hit(r, r->obj_start, end) || (r->obj_flags & RW_SKIP_UESCAPE))
        emit(r, at(r, r->obj_start), end - r->obj_start, r->obj_start, shape);
}

static void array_element_done(rw_trail_reader *r, uint64_t start, uint64_t end, unsigned flags) {
    if (r->arr == ARR_WRAPPED) {
        wrapped_element(r, start, end);
    } else {
        r->st->records++;
        if (has_hit(r, start, end) || (flags & RW_SKIP_UESCAPE))
            emit(r, at(r, start), end - start, start,
                 r->arr == ARR_RECORDS ? RW_SHAPE_RECORD : RW_SHAPE_VALUE);
    }
    r->arr_index++;
}

/* A CloudWatch Logs export line starts with a timestamp and a space: "2026-11-20T10:00:00Z ". */
static size_t timestamp_prefix(const char *p, size_t n) {
    size_t i = 0;
    while (i < n && i < 40 &&
           ((p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == ':' || p[i] == 'T' ||
            p[i] == '.' || p[i] == 'Z' || p[i] == '+'))
        i++;
    if (i >= 19 && i < n && p[i] == ' ' && p[4] == '-' && p[10] == 'T') return i + 1;
    return 0;
}

/* The start of the first line after from that starts a JSON object (perhaps after a CloudWatch
 * Logs timestamp), with its newline before limit; 0 when there is none in the window. */
static uint64_t next_object_line(rw_trail_reader *r, uint64_t from, uint64_t limit) {
    if (limit > wend(r)) limit = wend(r);
    const char *p = at(r, from), *stop = at(r, limit), *end = at(r, wend(r));
    while (p < stop && (p = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
        p++;
        size_t n = (size_t)(end - p), t;
        if (n && (*p == '{' || ((t = timestamp_prefix(p, n)) && t < n && p[t] == '{')))
            return (uint64_t)(p - r->w) + r->wbase;
    }
    return 0;
}

/* A top-level object (an NDJSON line) that cannot be finished costs its own line only: reading
 * goes on at the first later line that starts an object, if one begins before limit. A line cut
 * short, or cut inside a string, would otherwise swallow the lines after it. Returns false when
 * there is no such line, or the object is a container ({"Records":[...]}): nothing is changed. */
static bool resume_at_next_line(rw_trail_reader *r, uint64_t limit, const char *why) {
    if ((r->ps != P_OBJ_KEY && r->ps != P_OBJ_VALUE && r->ps != P_OBJ_SEP) || r->obj_container ||
        r->obj_start < r->wbase)
        return false;
    uint64_t line = next_object_line(r, r->obj_start, limit);
    if (!line) return false;
    bool hit = r->o.prefilter && any_hit(r, r->obj_start, line);
    report(r, r->obj_start,
           "malformed JSON: the object starting here is broken (%s); reading goes on at the next "
           "line that starts an object, byte %llu%s",
           why, (unsigned long long)line,
           hit ? "; it holds text the rules look for, so it may be root activity" : "");
    r->first = false;
    r->skipping = false;
    r->pos = line;
    r->ps = P_TOP;
    return true;
}

/* Reports a structural error; NDJSON goes on at the next line, anything else stops. */
static enum step syntax_error(rw_trail_reader *r, uint64_t off, const char *what) {
    char b[16];
    const char *got = off < wend(r) ? char_name(*at(r, off), b) : "end of input";
    bool in_array = r->ps == P_ARR_ELEM || r->ps == P_ARR_SEP;
    char why[96];
    snprintf(why, sizeof why, "unexpected %s at byte %llu, expected %s", got,
             (unsigned long long)off, what);
    enum step s;
    if (first_broken(r, &s, why)) return s;
    if (!in_array && resume_at_next_line(r, off + 1, why)) return STEP_AGAIN;
    report(r, off, "malformed JSON: unexpected %s, expected %s%s", got, what,
           in_array ? "; the rest of this input cannot be delimited and is not read" : "");
    r->first = false;
    if (in_array) {
        r->ps = P_DONE;
        return STEP_STOP;
    }
    r->ps = P_RESYNC;
    return STEP_OK;
}

static enum step truncated(rw_trail_reader *r, uint64_t start, const char *what, bool hit) {
    enum step s;
    if (first_broken(r, &s, "it does not end before the input does")) return s;
    if (resume_at_next_line(r, wend(r), "it does not end before the input does")) return STEP_AGAIN;
    report(r, start, "truncated input: %s starting here is incomplete%s", what,
           !r->o.prefilter ? ""
           : hit           ? "; it holds text the rules look for, so it may be root activity"
                           : "");
    r->ps = P_DONE;
    return STEP_STOP;
}

/* Skips the container at r->skip_start (resuming). Returns STEP_OK with *end set when done. */
static enum step skip_container(rw_trail_reader *r, uint64_t *end, const char *what) {
    size_t len;
    int rc = rw_skip_container(&r->sk, at(r, r->skip_start), wend(r) - r->skip_start, &len);
    if (rc == RW_OK) {
        *end = r->skip_start + len;
        r->skipping = false;
        return STEP_OK;
    }
    if (!r->eof) return STEP_MORE;
    return truncated(r, r->skip_start, what, has_hit(r, r->skip_start, wend(r)));
}

static void begin_skip(rw_trail_reader *r, uint64_t start) {
    r->skipping = true;
    r->skip_start = start;
    rw_skip_init(&r->sk);
}

/* ---- the steps ------------------------------------------------------------------------------ */

static enum step step_top(rw_trail_reader *r) {
    if (!skip_ws(r)) return r->eof ? (r->ps = P_DONE, STEP_STOP) : STEP_MORE;
    if (r->pos == 0 && (unsigned char)*at(r, 0) == 0xEF) { /* a BOM? (a stream has 2 bytes) */
        if (wend(r) < 3 && !r->eof) return STEP_MORE;
        if (wend(r) >= 3 && memcmp(at(r, 0), "\xEF\xBB\xBF", 3) == 0) {
            r->pos = 3;
            return STEP_OK;
        }
    }
    char c = *at(r, r->pos);
    if (c >= '0' && c <= '9') {
        if (wend(r) - r->pos < 48 && !r->eof) return STEP_MORE;
        size_t t = timestamp_prefix(at(r, r->pos), wend(r) - r->pos);
        if (t) {
            r->pos += t;
            return STEP_OK;
        }
    }
    if (c == '{') {
        r->obj_start = r->pos++;
        r->obj_keys = 0;
        r->obj_flags = 0;
        r->obj_container = false;
        r->ps = P_OBJ_KEY;
        r->obj_empty = true;
        return STEP_OK;
    }
    if (c == '[' && !r->probing) { /* (after lines that are not records, it is one more) */
        r->pos++;
        set_kind(r, RW_TRAIL_ARRAY);
        r->first = false;
        r->arr = ARR_TOP;
        r->arr_nested = false;
        r->arr_first = true;
        r->arr_index = 0;
        r->ps = P_ARR_ELEM;
        return STEP_OK;
    }
    if (r->first) { /* not JSON, or not an object: a line that is not a record */
        char b[16];
        return junk(r, r->pos, r->pos, "it is not a JSON object (it starts with %s)",
                    char_name(c, b));
    }
    return syntax_error(r, r->pos, "a JSON object");
}

static enum step step_obj_key(rw_trail_reader *r) {
    if (!skip_ws(r))
        return r->eof
                   ? truncated(r, r->obj_start, "a JSON object", has_hit(r, r->obj_start, wend(r)))
                   : STEP_MORE;
    char c = *at(r, r->pos);
    if (c == '}' && r->obj_empty) {
        r->pos++;
        r->ps = P_TOP;
        object_done(r, r->pos);
        return STEP_OK;
    }
    if (c != '"') return syntax_error(r, r->pos, "a member name in quotes");
    bool uesc = false;
    uint64_t kend = string_end(r, r->pos, &uesc);
    if (!kend)
        return r->eof
                   ? truncated(r, r->obj_start, "a JSON object", has_hit(r, r->obj_start, wend(r)))
                   : STEP_MORE;
    uint64_t save = r->pos;
    r->pos = kend;
    if (!skip_ws(r)) {
        r->pos = save;
        return r->eof
                   ? truncated(r, r->obj_start, "a JSON object", has_hit(r, r->obj_start, wend(r)))
                   : STEP_MORE;
    }
    if (*at(r, r->pos) != ':') return syntax_error(r, r->pos, "':'");
    r->cur_key = key_of(r, save, kend);
    r->obj_keys |= r->cur_key;
    r->pos++;
    r->obj_empty = false;
    r->ps = P_OBJ_VALUE;
    return STEP_OK;
}

static enum step step_obj_value(rw_trail_reader *r) {
    if (!r->skipping) {
        if (!skip_ws(r))
            return r->eof ? truncated(r, r->obj_start, "a JSON object",
                                      has_hit(r, r->obj_start, wend(r)))
                          : STEP_MORE;
        char c = *at(r, r->pos);
        unsigned key = r->cur_key;
        if (c == '[' && (key & (K_RECORDS | K_EVENTS | K_LOGEVENTS))) {
            r->obj_container = true;
            decided(r);
            if (key == K_RECORDS) {
                r->arr = ARR_RECORDS;
                set_kind(r, RW_TRAIL_CLOUDTRAIL);
            } else {
                r->arr = ARR_WRAPPED;
                r->obj_keys &= ~(unsigned)(K_EVENTS | K_LOGEVENTS);
                r->obj_keys |= key; /* which wrapper: its field name depends on it */
                set_kind(r, key == K_EVENTS ? RW_TRAIL_LOOKUP : RW_TRAIL_LOGEVENTS);
            }
            r->first = false;
            r->arr_nested = true;
            r->arr_first = true;
            r->arr_index = 0;
            r->pos++;
            r->ps = P_ARR_ELEM;
            return STEP_OK;
        }
        if (c == '{' || c == '[') {
            if (key == K_DETAIL && c != '{') r->obj_keys &= ~(unsigned)K_DETAIL;
            begin_skip(r, r->pos);
        } else if (c == '"') {
            bool uesc = false;
            uint64_t e = string_end(r, r->pos, &uesc);
            if (!e)
                return r->eof ? truncated(r, r->obj_start, "a JSON object",
                                          has_hit(r, r->obj_start, wend(r)))
                              : STEP_MORE;
            if (uesc) r->obj_flags |= RW_SKIP_UESCAPE;
            if (key == K_DETAIL) r->obj_keys &= ~(unsigned)K_DETAIL;
            r->pos = e;
            r->ps = P_OBJ_SEP;
            return STEP_OK;
        } else if (c == '}' || c == ']' || c == ',' || c == ':') {
            return syntax_error(r, r->pos, "a JSON value");
        } else {
            uint64_t e = scalar_end(r, r->pos);
            if (!e) return STEP_MORE;
            if (key == K_DETAIL) r->obj_keys &= ~(unsigned)K_DETAIL;
            r->pos = e;
            r->ps = P_OBJ_SEP;
            return STEP_OK;
        }
    }
    uint64_t end;
    enum step s = skip_container(r, &end, "a JSON object");
    if (s != STEP_OK) return s;
    r->obj_flags |= r->sk.flags;
    r->pos = end;
    r->ps = P_OBJ_SEP;
    return STEP_OK;
}

static enum step step_obj_sep(rw_trail_reader *r) {
    if (!skip_ws(r))
        return r->eof
                   ? truncated(r, r->obj_start, "a JSON object", has_hit(r, r->obj_start, wend(r)))
                   : STEP_MORE;
    char c = *at(r, r->pos);
    if (c == ',') {
        r->pos++;
        r->ps = P_OBJ_KEY;
        return STEP_OK;
    }
    if (c == '}') {
        r->pos++;
        r->ps = P_TOP;
        object_done(r, r->pos);
        return STEP_OK;
    }
    return syntax_error(r, r->pos, "',' or '}'");
}

static void not_an_object(rw_trail_reader *r, uint64_t off) {
    report(r, off, "element %llu of the %s array is not a JSON object",
           (unsigned long long)r->arr_index,
           r->arr == ARR_RECORDS   ? "Records"
           : r->arr == ARR_WRAPPED ? "Events"
                                   : "top-level");
    r->arr_index++;
}

static enum step step_arr_elem(rw_trail_reader *r) {
    const char *what = r->arr == ARR_RECORDS ? "a record" : "an array element";
    if (!r->skipping) {
        if (!skip_ws(r))
            return r->eof ? truncated(r, r->pos,
                                      r->arr_nested ? "the Records array" : "a JSON array", false)
                          : STEP_MORE;
        char c = *at(r, r->pos);
        if (c == ']' && r->arr_first) {
            r->pos++;
            r->ps = r->arr_nested ? P_OBJ_SEP : P_TOP;
            return STEP_OK;
        }
        if (c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
            /* a value that is not an object: say so and step over it */
            bool u = false;
            uint64_t e = c == '"' ? string_end(r, r->pos, &u) : scalar_end(r, r->pos);
            if (!e) return r->eof ? truncated(r, r->pos, what, false) : STEP_MORE;
            not_an_object(r, r->pos);
            r->pos = e;
            r->ps = P_ARR_SEP;
            return STEP_OK;
        }
        if (c != '{' && c != '[')
            return syntax_error(r, r->pos, r->arr_first ? "a JSON object or ']'" : "a JSON object");
        begin_skip(r, r->pos);
    }
    uint64_t end;
    enum step s = skip_container(r, &end, what);
    if (s != STEP_OK) return s;
    if (*at(r, r->skip_start) == '[')
        not_an_object(r, r->skip_start);
    else
        array_element_done(r, r->skip_start, end, r->sk.flags);
    r->pos = end;
    r->ps = P_ARR_SEP;
    return STEP_OK;
}

static enum step step_arr_sep(rw_trail_reader *r) {
    if (!skip_ws(r))
        return r->eof ? truncated(r, r->pos, r->arr_nested ? "the Records array" : "a JSON array",
                                  false)
                      : STEP_MORE;
    char c = *at(r, r->pos);
    if (c == ',') {
        r->pos++;
        r->arr_first = false;
        r->ps = P_ARR_ELEM;
        return STEP_OK;
    }
    if (c == ']') {
        r->pos++;
        r->ps = r->arr_nested ? P_OBJ_SEP : P_TOP;
        return STEP_OK;
    }
    return syntax_error(r, r->pos, "',' or ']'");
}

static enum step step_resync(rw_trail_reader *r) {
    const char *p = at(r, r->pos);
    const char *nl = memchr(p, '\n', wend(r) - r->pos);
    if (!nl) {
        r->pos = wend(r);
        return r->eof ? (r->ps = P_DONE, STEP_STOP) : STEP_MORE;
    }
    r->pos += (uint64_t)(nl - p) + 1;
    r->ps = P_TOP;
    return STEP_OK;
}

/* Skipping a value larger than the window: only the scanning state is kept. */
static enum step step_discard(rw_trail_reader *r) {
    if (r->skip_start < r->wbase) { /* the window moved on: rebase (by whole blocks) */
        uint64_t d = r->wbase - r->skip_start;
        r->skip_start += d;
        r->sk.pos -= d;
    }
    size_t len;
    int rc = rw_skip_container(&r->sk, at(r, r->skip_start), wend(r) - r->skip_start, &len);
    if (has_hit(r, r->skip_start, rc == RW_OK ? r->skip_start + len : wend(r)))
        r->discard_hit = true;
    if (rc != RW_OK) {
        if (!r->eof) return STEP_MORE;
        return truncated(r, r->obj_start, "a value larger than the record size limit",
                         r->discard_hit);
    }
    uint64_t end = r->skip_start + len;
    /* a top-level object is told from the member names read before it outgrew the window */
    rw_trail_kind kind = r->after_discard == P_TOP ? classify(r->obj_keys) : RW_TRAIL_UNKNOWN;
    bool record =
        r->after_discard == P_ARR_SEP || kind == RW_TRAIL_NDJSON || kind == RW_TRAIL_EVENTBRIDGE;
    report(r, r->obj_start,
           "a %s of %llu bytes is larger than the limit of %zu bytes (--max-record-size) and was "
           "not parsed; %s",
           record ? "record" : "JSON value", (unsigned long long)(end - r->obj_start),
           r->o.max_record,
           !r->o.prefilter ? "it may be root activity"
           : (r->discard_hit || r->sk.flags & RW_SKIP_UESCAPE)
               ? "it holds text the rules look for, so it may be root activity"
               : "it holds nothing the rules look for, so it cannot be root activity");
    if (r->after_discard == P_ARR_SEP) r->arr_index++;
    if (record) {
        r->st->records++;
        if (r->after_discard == P_TOP) set_kind(r, kind);
    }
    r->first = false;
    r->skipping = false;
    r->pos = end;
    r->ps = r->after_discard;
    return STEP_OK;
}

static uint64_t keep_from(const rw_trail_reader *r) {
    switch (r->ps) {
    case P_OBJ_KEY:
    case P_OBJ_VALUE:
    case P_OBJ_SEP:
        return r->obj_container ? r->pos : r->obj_start;
    case P_ARR_ELEM:
        return r->skipping ? r->skip_start : r->pos;
    case P_DISCARD:
        return r->skip_start + r->sk.pos;
    default:
        return r->pos;
    }
}

/* The window cannot hold what must be kept: skip the value without keeping it. */
static enum step too_large(rw_trail_reader *r) {
    char why[96];
    snprintf(why, sizeof why, "it does not end within the record size limit of %zu bytes",
             r->o.max_record);
    enum step s;
    if (first_broken(r, &s, why)) return s;
    if (resume_at_next_line(r, wend(r), "it does not end within the record size limit"))
        return STEP_OK;
    if (r->ps == P_ARR_ELEM && r->skipping) {
        r->obj_start = r->skip_start; /* the record's start, for the message */
        r->discard_hit = false;
        r->after_discard = P_ARR_SEP;
        r->ps = P_DISCARD;
        return STEP_OK;
    }
    if ((r->ps == P_OBJ_KEY || r->ps == P_OBJ_VALUE || r->ps == P_OBJ_SEP) && !r->obj_container) {
        begin_skip(r, r->obj_start);
        r->discard_hit = false;
        r->after_discard = P_TOP;
        r->ps = P_DISCARD;
        return STEP_OK;
    }
    report(r, r->pos,
           "a JSON value here is larger than the limit of %zu bytes (--max-record-size); the rest "
           "of this input is not read",
           r->o.max_record);
    r->ps = P_DONE;
    return STEP_STOP;
}

static void run(rw_trail_reader *r) {
    r->ps = P_TOP;
    r->pos = 0;
    r->first = true;
    junk_drop(r);
    r->line_pos = 0;
    r->line_no = 1;
    r->skipping = false;
    r->hits.n = 0;
    r->hit_i = 0;
    r->scanned_to = 0;
    scan_hits(r);
    while (!r->stop_rc) {
        enum step s;
        switch (r->ps) {
        case P_TOP:
            s = step_top(r);
            break;
        case P_OBJ_KEY:
            s = step_obj_key(r);
            break;
        case P_OBJ_VALUE:
            s = step_obj_value(r);
            break;
        case P_OBJ_SEP:
            s = step_obj_sep(r);
            break;
        case P_ARR_ELEM:
            s = step_arr_elem(r);
            break;
        case P_ARR_SEP:
            s = step_arr_sep(r);
            break;
        case P_RESYNC:
            s = step_resync(r);
            break;
        case P_DISCARD:
            s = step_discard(r);
            break;
        default:
            s = STEP_STOP;
        }
        if (s == STEP_OK || s == STEP_AGAIN) continue;
        if (s == STEP_STOP) break;
        int f = fill(r, keep_from(r));
        if (f < 0 && too_large(r) == STEP_STOP) break;
        /* f == 0: the end of the input; the step sees r->eof and finishes */
    }
    if (r->probing) { /* no line of it is a record: not CloudTrail, and nothing to say */
        set_kind(r, RW_TRAIL_OTHER);
        junk_drop(r);
    }
}

/* ---- entry points --------------------------------------------------------------------------- */

static void begin(rw_trail_reader *r, rw_trail_stats *st, const rw_trail_sink *sink) {
    memset(st, 0, sizeof *st);
    r->st = st;
    r->sink = sink;
    r->failed = false;
    r->stop_rc = RW_OK;
}

static int finish(rw_trail_reader *r) {
    if (r->st->bytes_out == 0 && r->st->errors == 0) r->st->kind = RW_TRAIL_EMPTY;
    if (r->stop_rc) return r->stop_rc; /* the callback's message stands */
    if (r->failed)
        return rw_error_set(RW_EINVAL, "%llu problem%s in the input",
                            (unsigned long long)r->st->errors, r->st->errors == 1 ? "" : "s");
    return RW_OK;
}

static int read_memory(rw_trail_reader *r, const unsigned char *data, size_t len) {
    bool gz = len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    r->st->gzip = gz;
    char *out;
    size_t n, cap;
    if (gz && rw_decompress_whole(r->dz, data, len, r->o.max_whole, &out, &n, &cap)) {
        whole_window(r, out, cap, n);
        run(r);
        return finish(r);
    }
    if (!gz && len <= r->o.max_whole) {
        /* plain bytes: the window is the data itself (copied once, for the padding) */
        if ((const char *)data != r->cbuf || !r->cbuf) { /* no buffer yet: even 0 bytes need one */
            if (!r->cbuf || r->ccap < len) {
                free(r->cbuf);
                r->cbuf = rw_xmalloc(len + PAD);
                r->ccap = len;
            }
            if (len) memcpy(r->cbuf, data, len);
        }
        whole_window(r, r->cbuf, r->ccap, len);
        run(r);
        return finish(r);
    }
    /* too large, or damaged gzip: stream it, so what can be read is read */
    rw_decompress_open_mem(r->dz, data, len);
    stream_begin(r, gz, NULL, 0);
    run(r);
    return finish(r);
}

int rw_trail_read_mem(rw_trail_reader *r, const void *data, size_t len, rw_trail_stats *st,
                      const rw_trail_sink *sink) {
    begin(r, st, sink);
    st->bytes_in = len;
    return read_memory(r, data, len);
}

int rw_trail_read_fd(rw_trail_reader *r, int fd, rw_trail_stats *st, const rw_trail_sink *sink) {
    begin(r, st, sink);
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size <= r->o.max_whole / 2) {
        size_t size = (size_t)sb.st_size;
        if (!r->cbuf || r->ccap < size) { /* even for 0 bytes: the window needs its padding */
            free(r->cbuf);
            r->cbuf = rw_xmalloc(size + PAD);
            r->ccap = size;
        }
        size_t got = 0;
        while (got < size) {
            ssize_t n = read(fd, r->cbuf + got, size - got);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return rw_error_set(RW_EIO, "read error: %s", strerror(errno));
            if (n == 0) break; /* the file shrank: read what is there */
            got += (size_t)n;
        }
        st->bytes_in = got;
        return read_memory(r, (const unsigned char *)r->cbuf, got);
    }
    /* a pipe, or a large file: stream it; sniff gzip from the first bytes */
    rw_decompress_open_fd(r->dz, fd, &st->bytes_in);
    unsigned char head[2];
    size_t h = rw_decompress_raw(r->dz, head, 2, r->st->bytes_out);
    if (h == 0) {
        r->st->kind = RW_TRAIL_EMPTY;
        return finish(r);
    }
    bool gz = h == 2 && head[0] == 0x1f && head[1] == 0x8b;
    r->st->gzip = gz;
    stream_begin(r, gz, head, h);
    if (!gz) {
        memcpy(r->w, head, h);
        r->wlen = h;
        r->st->bytes_out = h;
        memset(r->w + h, ' ', PAD);
    }
    run(r);
    return finish(r);
}

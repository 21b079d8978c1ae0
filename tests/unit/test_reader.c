/* Unit tests for src/trail/reader.c: every container shape, plain and gzip, from memory, pipes and
 * files, whole and streamed through a small window, against a ground truth built with the input. */
#include "rwtest.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>

#include "trail/prefilter.h"
#include "trail/reader.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

/* ---- what the reader hands on --------------------------------------------------------------- */

typedef struct got_rec {
    char *data;
    size_t len;
    uint64_t offset;
    rw_trail_shape shape;
} got_rec;

typedef struct got_err {
    uint64_t offset;
    char *msg;
} got_err;

typedef struct collected {
    got_rec *recs;
    size_t nrec, caprec;
    got_err *errs;
    size_t nerr, caperr;
} collected;

static int on_candidate(void *ctx, const rw_trail_record *rec) {
    collected *c = ctx;
    if (c->nrec == c->caprec) {
        c->caprec = c->caprec ? 2 * c->caprec : 64;
        c->recs = realloc(c->recs, c->caprec * sizeof *c->recs);
    }
    got_rec *g = &c->recs[c->nrec++];
    g->data = malloc(rec->len + 1);
    memcpy(g->data, rec->data, rec->len);
    g->data[rec->len] = 0;
    g->len = rec->len;
    g->offset = rec->offset;
    g->shape = rec->shape;
    return RW_OK;
}

static void on_error(void *ctx, uint64_t offset, const char *msg) {
    collected *c = ctx;
    if (c->nerr == c->caperr) {
        c->caperr = c->caperr ? 2 * c->caperr : 16;
        c->errs = realloc(c->errs, c->caperr * sizeof *c->errs);
    }
    c->errs[c->nerr].offset = offset;
    c->errs[c->nerr].msg = strdup(msg);
    c->nerr++;
}

static void collected_free(collected *c) {
    for (size_t i = 0; i < c->nrec; i++) free(c->recs[i].data);
    for (size_t i = 0; i < c->nerr; i++) free(c->errs[i].msg);
    free(c->recs);
    free(c->errs);
    memset(c, 0, sizeof *c);
}

static const got_err *find_error(const collected *c, const char *needle) {
    for (size_t i = 0; i < c->nerr; i++)
        if (strstr(c->errs[i].msg, needle)) return &c->errs[i];
    return NULL;
}

static void dump_errors(const collected *c) {
    for (size_t i = 0; i < c->nerr; i++)
        fprintf(stderr, "  error at %llu: %s\n", (unsigned long long)c->errs[i].offset,
                c->errs[i].msg);
}

#define assert_error(c, needle)                                                                    \
    do {                                                                                           \
        if (!find_error((c), (needle))) {                                                          \
            dump_errors(c);                                                                        \
            fail_msg("no error mentions \"%s\" (%zu errors)", (needle), (c)->nerr);                \
        }                                                                                          \
    } while (0)

/* ---- the ground truth ----------------------------------------------------------------------- */

typedef struct want_rec {
    size_t start, len; /* in the input text, or in text2 for wrapped records */
    char *text;        /* the record's text (for wrapped records: the unescaped string) */
    uint64_t offset;
    rw_trail_shape shape;
    bool cand; /* a candidate for the prefilter "\"Root\"" */
} want_rec;

typedef struct input {
    rwt_str text;
    want_rec *v;
    size_t n, cap;
    rw_trail_kind kind;
} input;

static void input_free(input *in) {
    for (size_t i = 0; i < in->n; i++) free(in->v[i].text);
    free(in->v);
    rwt_free(&in->text);
    memset(in, 0, sizeof *in);
}

static bool has_u_escape(const char *s, size_t n) {
    bool esc = false;
    for (size_t i = 0; i < n; i++) {
        if (esc && s[i] == 'u') return true;
        esc = !esc && s[i] == '\\';
    }
    return false;
}

static void want(input *in, const char *text, size_t len, uint64_t offset, rw_trail_shape shape) {
    if (in->n == in->cap) {
        in->cap = in->cap ? 2 * in->cap : 64;
        in->v = realloc(in->v, in->cap * sizeof *in->v);
    }
    want_rec *w = &in->v[in->n++];
    w->text = malloc(len + 1);
    memcpy(w->text, text, len);
    w->text[len] = 0;
    w->len = len;
    w->offset = offset;
    w->shape = shape;
    w->cand = memmem(text, len, "\"Root\"", 6) || has_u_escape(text, len);
}

/* A CloudTrail record of roughly pad bytes more than its fields. kind: 0 an IAM user, 1 root,
 * 2 root written with a \u escape, 3 an IAM user with a \u escape elsewhere, 4 "root" that is not
 * the needle. */
static void gen_record(rwt_rng *r, rwt_str *s, int id, int kind, size_t pad) {
    static const char *types[] = {"\"IAMUser\"", "\"Root\"", "\"\\u0052oot\"", "\"IAMUser\"",
                                  "\"IAMUser\""};
    rwt_addf(s,
             "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":%s,\"principalId\":\"AIDA%d\","
             "\"arn\":\"arn:aws:iam::123456789012:%s\",\"accountId\":\"123456789012\"},"
             "\"eventTime\":\"2026-11-20T10:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\","
             "\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\",\"eventID\":\"id-%d\","
             "\"userAgent\":\"%s\",\"requestParameters\":{\"bucketName\":\"b\",\"key\":\"",
             types[kind], id, kind == 4 ? "root" : "user/alice", id / 60 % 60, id % 60, id,
             kind == 3 ? "caf\\u00e9" : "ua \\\"quoted\\\" \\\\ [x] {y}");
    static const char alpha[] = "abcdefgh[]{}:,0123 ";
    for (size_t i = 0; i < pad; i++) {
        char c = alpha[rwt_below(r, sizeof alpha - 1)];
        rwt_add(s, &c, 1);
    }
    rwt_adds(s,
             "\",\"list\":[1,{\"a\":[]},\"]\"]},\"readOnly\":true,\"eventType\":\"AwsApiCall\"}");
}

/* Record sizes: small, medium, and some larger than a 4096-byte chunk. */
static size_t gen_pad(rwt_rng *r) {
    switch (rwt_below(r, 10)) {
    case 0:
        return 4000 + rwt_below(r, 9000);
    case 1:
    case 2:
        return 1000 + rwt_below(r, 3000);
    default:
        return rwt_below(r, 400);
    }
}

static int gen_kind(rwt_rng *r) {
    size_t k = rwt_below(r, 10);
    return k < 5 ? 0 : k < 7 ? 1 : k < 8 ? 2 : k < 9 ? 3 : 4;
}

/* Appends one record to the text and to the truth. */
static void add_record(input *in, rwt_rng *r, int id, rw_trail_shape shape) {
    size_t at = in->text.n;
    gen_record(r, &in->text, id, gen_kind(r), gen_pad(r));
    want(in, in->text.p + at, in->text.n - at, at, shape);
}

static void add_envelope(input *in, rwt_rng *r, int id, rw_trail_shape shape) {
    size_t at = in->text.n;
    rwt_addf(&in->text,
             "{\"version\":\"0\",\"id\":\"ev-%d\",\"detail-type\":\"AWS API Call via CloudTrail\","
             "\"source\":\"aws.s3\",\"account\":\"123456789012\",\"time\":\"2026-11-20T10:00:00Z\","
             "\"region\":\"us-east-1\",\"resources\":[],\"detail\":",
             id);
    gen_record(r, &in->text, id, gen_kind(r), gen_pad(r));
    rwt_adds(&in->text, "}");
    want(in, in->text.p + at, in->text.n - at, at, shape);
}

enum fmt {
    F_CLOUDTRAIL,
    F_CLOUDTRAIL_KEYS, /* other members before and after Records, whitespace */
    F_NDJSON,
    F_NDJSON_CRLF,
    F_CWL,
    F_EVENTBRIDGE,
    F_ARRAY,
    F_ARRAY_ENVELOPES,
    F_LOOKUP,
    F_LOGEVENTS,
    F_CONCAT, /* two CloudTrail log files one after the other */
    F_COUNT
};

static const char *fmt_name[] = {"cloudtrail", "cloudtrail+keys", "ndjson", "ndjson-crlf",
                                 "cwl",        "eventbridge",     "array",  "array-envelopes",
                                 "lookup",     "logevents",       "concat"};

/* An element of a LookupEvents or FilterLogEvents response, wrapping a record in a string. */
static void add_wrapped(input *in, rwt_rng *r, int id, bool lookup) {
    rwt_str rec = {0};
    gen_record(r, &rec, id, gen_kind(r), gen_pad(r));
    rw_buf esc;
    rw_buf_init(&esc, 0);
    assert_int_equal(rw_json_write_str(&esc, rec.p, rec.n), RW_OK);
    size_t at = in->text.n;
    if (lookup)
        rwt_addf(
            &in->text,
            "{\"EventId\":\"ev-%d\",\"EventName\":\"GetObject\",\"ReadOnly\":\"true\","
            "\"Resources\":[{\"ResourceType\":\"x\"}],\"CloudTrailEvent\":%s,\"Username\":\"u\"}",
            id, esc.data);
    else
        rwt_addf(
            &in->text,
            "{\"logStreamName\":\"123456789012_CloudTrail_us-east-1\",\"timestamp\":1795168800000,"
            "\"message\":%s,\"ingestionTime\":1795168800500,\"eventId\":\"%d\"}",
            esc.data, id);
    want(in, rec.p, rec.n, at, RW_SHAPE_RECORD);
    rw_buf_free(&esc);
    rwt_free(&rec);
}

static void build(input *in, enum fmt f, int nrec, uint64_t seed) {
    memset(in, 0, sizeof *in);
    rwt_rng r = {seed};
    rwt_str *t = &in->text;
    switch (f) {
    case F_CLOUDTRAIL:
    case F_CONCAT:
        for (int part = 0; part < (f == F_CONCAT ? 2 : 1); part++) {
            rwt_adds(t, "{\"Records\":[");
            for (int i = 0; i < nrec; i++) {
                if (i) rwt_adds(t, ",");
                add_record(in, &r, part * 1000 + i, RW_SHAPE_RECORD);
            }
            rwt_adds(t, "]}");
            if (f == F_CONCAT) rwt_adds(t, "\n");
        }
        in->kind = RW_TRAIL_CLOUDTRAIL;
        break;
    case F_CLOUDTRAIL_KEYS:
        rwt_adds(t, " \n{ \"before\" : {\"Records\":[{\"eventVersion\":\"x\","
                    "\"userIdentity\":{\"type\":\"Root\"}}], \"s\":\"]}\"},\n  \"n\":1,\n"
                    "  \"Records\" :\n  [\n    ");
        for (int i = 0; i < nrec; i++) {
            if (i) rwt_adds(t, i % 2 ? " ,\n    " : ",");
            add_record(in, &r, i, RW_SHAPE_RECORD);
        }
        rwt_adds(t, "\n  ] ,\n  \"after\" : [ {\"Records\":[]}, \"\\u0052oot\" ], \"z\":null\n}\n");
        in->kind = RW_TRAIL_CLOUDTRAIL;
        break;
    case F_NDJSON:
    case F_NDJSON_CRLF:
    case F_CWL:
        for (int i = 0; i < nrec; i++) {
            if (f == F_CWL)
                rwt_addf(t, "2026-11-20T10:%02d:%02d.%03dZ ", i / 60 % 60, i % 60, i % 1000);
            add_record(in, &r, i, RW_SHAPE_RECORD);
            rwt_adds(t, f == F_NDJSON_CRLF ? "\r\n" : "\n");
            if (f == F_NDJSON && i % 17 == 3) rwt_adds(t, "\n"); /* blank lines */
        }
        in->kind = RW_TRAIL_NDJSON;
        break;
    case F_EVENTBRIDGE:
        for (int i = 0; i < nrec; i++) {
            add_envelope(in, &r, i, RW_SHAPE_ENVELOPE);
            rwt_adds(t, "\n");
        }
        in->kind = RW_TRAIL_EVENTBRIDGE;
        break;
    case F_ARRAY:
    case F_ARRAY_ENVELOPES:
        rwt_adds(t, "[\n");
        for (int i = 0; i < nrec; i++) {
            if (i) rwt_adds(t, ",\n");
            if (f == F_ARRAY)
                add_record(in, &r, i, RW_SHAPE_VALUE);
            else
                add_envelope(in, &r, i, RW_SHAPE_VALUE);
        }
        rwt_adds(t, "\n]\n");
        in->kind = RW_TRAIL_ARRAY;
        break;
    case F_LOOKUP:
    case F_LOGEVENTS:
        rwt_adds(t, f == F_LOOKUP ? "{\"NextToken\":\"abc\",\"Events\":[" : "{\"events\":[");
        for (int i = 0; i < nrec; i++) {
            if (i) rwt_adds(t, ",");
            add_wrapped(in, &r, i, f == F_LOOKUP);
        }
        rwt_adds(t, f == F_LOOKUP ? "]}" : "],\"searchedLogStreams\":[]}");
        in->kind = f == F_LOOKUP ? RW_TRAIL_LOOKUP : RW_TRAIL_LOGEVENTS;
        break;
    case F_COUNT:
        break;
    }
}

/* ---- gzip ----------------------------------------------------------------------------------- */

static unsigned char *gzip_bytes(const void *data, size_t len, size_t *out_len) {
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* Several gzip members, split at the given points of the text. */
static unsigned char *gzip_members(const char *data, size_t len, const size_t *cuts, size_t ncuts,
                                   size_t *out_len) {
    unsigned char *all = NULL;
    size_t n = 0, from = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        size_t m;
        unsigned char *g = gzip_bytes(data + from, to - from, &m);
        all = realloc(all, n + m);
        memcpy(all + n, g, m);
        n += m;
        free(g);
        from = to;
    }
    *out_len = n;
    return all;
}

/* ---- running the reader --------------------------------------------------------------------- */

enum mode { M_MEM, M_PIPE, M_FILE };

typedef struct writer_arg {
    int fd;
    const unsigned char *data;
    size_t len;
} writer_arg;

static void *writer(void *p) {
    writer_arg *w = p;
    size_t off = 0;
    while (off < w->len) {
        size_t n = w->len - off < 7000 ? w->len - off : 7000; /* odd-sized pieces */
        ssize_t k = write(w->fd, w->data + off, n);
        if (k <= 0) break;
        off += (size_t)k;
    }
    close(w->fd);
    return NULL;
}

static int read_with(enum mode m, const rw_trail_opts *opts, const void *data, size_t len,
                     rw_trail_stats *st, collected *c) {
    rw_trail_reader *r = rw_trail_reader_new(opts);
    rw_trail_sink sink = {c, on_candidate, on_error};
    int rc;
    if (m == M_MEM) {
        rc = rw_trail_read_mem(r, data, len, st, &sink);
    } else if (m == M_PIPE) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        writer_arg w = {fds[1], data, len};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, writer, &w), 0);
        rc = rw_trail_read_fd(r, fds[0], st, &sink);
        close(fds[0]); /* a reader that stopped early must not leave the writer blocked */
        pthread_join(th, NULL);
    } else {
        char path[] = "/tmp/rw_test_reader_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        rc = rw_trail_read_fd(r, fd, st, &sink);
        close(fd);
    }
    rw_trail_reader_free(r);
    return rc;
}

static const char *const root_needle[] = {"\"Root\""};

/* Reads the input in the given way and checks everything against the truth. */
static void check_input(const input *in, enum mode m, bool gz, bool stream, bool use_pf,
                        const char *what) {
    rw_prefilter *pf = use_pf ? rw_prefilter_new(root_needle, 1) : NULL;
    rw_trail_opts o = {.prefilter = pf};
    if (stream) {
        o.max_whole = 4096;
        o.chunk = 4096;
    }
    size_t len = in->text.n;
    unsigned char *bytes = (unsigned char *)in->text.p;
    if (gz) bytes = gzip_bytes(in->text.p, in->text.n, &len);
    rw_trail_stats st;
    collected c = {0};
    int rc = read_with(m, &o, bytes, len, &st, &c);
    if (rc != RW_OK || c.nerr) {
        dump_errors(&c);
        fail_msg("%s: rc %d, %zu errors", what, rc, c.nerr);
    }
    size_t ncand = 0;
    for (size_t i = 0; i < in->n; i++) ncand += !use_pf || in->v[i].cand;
    if (st.kind != in->kind) fail_msg("%s: kind %s", what, rw_trail_kind_name(st.kind));
    if (st.records != in->n)
        fail_msg("%s: %llu records, expected %zu", what, (unsigned long long)st.records, in->n);
    if (st.candidates != ncand || c.nrec != ncand)
        fail_msg("%s: %llu candidates (%zu delivered), expected %zu", what,
                 (unsigned long long)st.candidates, c.nrec, ncand);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.gzip, gz);
    assert_int_equal(st.bytes_out, in->text.n);
    assert_int_equal(st.bytes_in, len);
    size_t k = 0;
    for (size_t i = 0; i < in->n; i++) {
        const want_rec *w = &in->v[i];
        if (use_pf && !w->cand) continue;
        const got_rec *g = &c.recs[k++];
        if (g->offset != w->offset || g->len != w->len || g->shape != w->shape ||
            memcmp(g->data, w->text, w->len) != 0)
            fail_msg("%s: candidate %zu (record %zu): offset %llu len %zu shape %d, expected "
                     "offset %llu len %zu shape %d%s",
                     what, k - 1, i, (unsigned long long)g->offset, g->len, g->shape,
                     (unsigned long long)w->offset, w->len, w->shape,
                     g->len == w->len ? " (the text differs)" : "");
        /* a record handed on lies at its offset in the input (wrapped ones: their element) */
        if (in->kind != RW_TRAIL_LOOKUP && in->kind != RW_TRAIL_LOGEVENTS)
            assert_memory_equal(in->text.p + g->offset, g->data, g->len);
        else
            assert_int_equal(in->text.p[g->offset], '{');
    }
    collected_free(&c);
    if (gz) free(bytes);
    rw_prefilter_free(pf);
}

/* ---- container shapes, every way of reading them -------------------------------------------- */

static void test_shapes_all_modes(void **state) {
    (void)state;
    for (int f = 0; f < F_COUNT; f++) {
        input in;
        build(&in, (enum fmt)f, 40, 1000 + (uint64_t)f);
        for (int gz = 0; gz < 2; gz++)
            for (int m = 0; m < 3; m++)
                for (int stream = 0; stream < 2; stream++)
                    for (int pf = 0; pf < 2; pf++) {
                        char what[128];
                        snprintf(what, sizeof what, "%s %s %s %s %s", fmt_name[f],
                                 gz ? "gzip" : "plain",
                                 m == M_MEM    ? "memory"
                                 : m == M_PIPE ? "pipe"
                                               : "file",
                                 stream ? "streamed" : "whole", pf ? "prefilter" : "all");
                        check_input(&in, (enum mode)m, gz, stream, pf, what);
                    }
        input_free(&in);
    }
}

/* Many random inputs streamed through the small window: records larger than the chunk, records
 * and needles across chunk boundaries, in every shape. */
static void test_streaming_random(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        input in;
        enum fmt f = (enum fmt)(seed % F_COUNT);
        build(&in, f, 5 + (int)(seed % 30), seed * 31);
        char what[96];
        snprintf(what, sizeof what, "seed %llu %s", (unsigned long long)seed, fmt_name[f]);
        check_input(&in, M_MEM, seed % 3 == 0, true, true, what);
        check_input(&in, M_PIPE, seed % 2 == 0, true, true, what);
        input_free(&in);
    }
}

/* The needle at every position around the first chunk boundary (4096). */
static void test_needle_across_chunk_boundary(void **state) {
    (void)state;
    for (size_t at = 4080; at <= 4100; at++) {
        input in;
        memset(&in, 0, sizeof in);
        in.kind = RW_TRAIL_NDJSON;
        /* a first record, padded so that the second one's "Root" starts at `at` */
        const char *head = "{\"eventVersion\":\"1.08\",\"eventName\":\"X\",\"pad\":\"";
        const char *second = "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"}}";
        size_t needle_in_second = (size_t)(strstr(second, "\"Root\"") - second);
        size_t first_len = at - needle_in_second - 1; /* minus the newline */
        rwt_adds(&in.text, head);
        while (in.text.n < first_len - 2) rwt_adds(&in.text, "p");
        rwt_adds(&in.text, "\"}");
        want(&in, in.text.p, in.text.n, 0, RW_SHAPE_RECORD);
        rwt_adds(&in.text, "\n");
        size_t s2 = in.text.n;
        rwt_adds(&in.text, second);
        want(&in, second, strlen(second), s2, RW_SHAPE_RECORD);
        assert_int_equal(s2 + needle_in_second, at);
        rwt_adds(&in.text, "\n");
        char what[64];
        snprintf(what, sizeof what, "needle at %zu", at);
        check_input(&in, M_MEM, false, true, true, what);
        check_input(&in, M_PIPE, false, true, true, what);
        input_free(&in);
    }
}

/* A UTF-8 byte order mark before the JSON is skipped; offsets count it. */
static void add_bom(input *in) {
    rwt_str t = {0};
    rwt_adds(&t, "\xEF\xBB\xBF");
    rwt_add(&t, in->text.p, in->text.n);
    rwt_free(&in->text);
    in->text = t;
    for (size_t i = 0; i < in->n; i++) in->v[i].offset += 3;
}

static void test_bom(void **state) {
    (void)state;
    static const enum fmt fmts[] = {F_CLOUDTRAIL_KEYS, F_NDJSON, F_ARRAY, F_LOOKUP};
    for (size_t i = 0; i < 4; i++) {
        input in;
        build(&in, fmts[i], 20, 55 + i);
        add_bom(&in);
        char what[64];
        snprintf(what, sizeof what, "BOM + %s", fmt_name[fmts[i]]);
        for (int pf = 0; pf < 2; pf++) {
            check_input(&in, M_MEM, false, false, pf, what);
            check_input(&in, M_MEM, false, true, pf, what);
            check_input(&in, M_FILE, false, false, pf, what);
            for (int m = 0; m < 3; m++)
                for (int stream = 0; stream < 2; stream++)
                    check_input(&in, (enum mode)m, true, stream, pf, what);
            /* plain through a pipe, or a plain file too large to read whole: see
             * test_reader_bugs.c */
        }
        input_free(&in);
    }
}

/* ---- candidates and the prefilter ----------------------------------------------------------- */

static void test_prefilter_candidates(void **state) {
    (void)state;
    const char *lines[] = {
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"}}",               /* hit */
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\"}}",            /* no */
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"\\u0052oot\"}}",         /* \u */
        "{\"eventVersion\":\"1.08\",\"userAgent\":\"\\u00e9\"}",                          /* \u */
        "{\"eventVersion\":\"1.08\",\"userAgent\":\"\\\\u0052oot\"}",                     /* no */
        "{\"eventVersion\":\"1.08\",\"arn\":\"arn:aws:iam::1:root\",\"n\":\"Root\\\"\"}", /* no */
        "{\"eventVersion\":\"1.08\",\"note\":\"a \\\"Root\\\" b\"}",                      /* no */
        "{\"eventVersion\":\"1.08\",\"x\":[\"Root\"]}",                                   /* hit */
    };
    const bool cand[] = {true, false, true, true, false, false, false, true};
    input in;
    memset(&in, 0, sizeof in);
    in.kind = RW_TRAIL_NDJSON;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t at = in.text.n;
        rwt_adds(&in.text, lines[i]);
        want(&in, lines[i], strlen(lines[i]), at, RW_SHAPE_RECORD);
        assert_int_equal(in.v[i].cand, cand[i]); /* the truth agrees with the table */
        rwt_adds(&in.text, "\n");
    }
    for (int m = 0; m < 3; m++)
        for (int stream = 0; stream < 2; stream++) {
            check_input(&in, (enum mode)m, false, stream, true, "prefilter table");
            check_input(&in, (enum mode)m, true, stream, true, "prefilter table gz");
        }
    input_free(&in);
}

/* ---- non-record inputs ---------------------------------------------------------------------- */

static void read_plain(const char *data, size_t len, rw_trail_stats *st, collected *c, int *rc) {
    rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
    rw_trail_opts o = {.prefilter = pf};
    *rc = read_with(M_MEM, &o, data, len, st, c);
    rw_prefilter_free(pf);
}

static void expect_kind(const char *data, size_t len, rw_trail_kind kind) {
    for (int gz = 0; gz < 2; gz++)
        for (int m = 0; m < 3; m++) {
            size_t n = len;
            const void *bytes = data;
            unsigned char *g = NULL;
            if (gz) bytes = g = gzip_bytes(data, len, &n);
            rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
            rw_trail_opts o = {.prefilter = pf};
            rw_trail_stats st;
            collected c = {0};
            int rc = read_with((enum mode)m, &o, bytes, n, &st, &c);
            if (st.kind != kind || rc != RW_OK || c.nerr || c.nrec || st.records)
                fail_msg("'%.40s' (gzip %d, mode %d): kind %s, rc %d, %zu errors, %zu candidates, "
                         "%llu records",
                         data, gz, m, rw_trail_kind_name(st.kind), rc, c.nerr, c.nrec,
                         (unsigned long long)st.records);
            assert_int_equal(st.gzip, gz);
            if (kind == RW_TRAIL_OTHER) {
                /* reading may stop as soon as the input is known not to be CloudTrail */
                assert_true(st.bytes_out > 0 && st.bytes_out <= len);
                assert_true(st.bytes_in > 0 && st.bytes_in <= n);
            } else {
                assert_int_equal(st.bytes_out, len);
                assert_int_equal(st.bytes_in, n);
            }
            collected_free(&c);
            rw_prefilter_free(pf);
            free(g);
        }
}

#define EXPECT_KIND(lit, kind) expect_kind((lit), sizeof(lit) - 1, (kind))

/* No bytes at all: from memory, an empty file, a pipe, gzip of nothing; on a new reader (this
 * crashed in the first version: NULL + padding written) and on one that has read before. */
static void test_empty_input(void) {
    rw_trail_opts o = {0};
    rw_trail_stats st;
    collected c = {0};
    for (int m = 0; m < 3; m++) {
        assert_int_equal(read_with((enum mode)m, &o, "", 0, &st, &c), RW_OK);
        assert_int_equal(st.kind, RW_TRAIL_EMPTY);
        assert_int_equal(st.gzip, 0);
        assert_int_equal(st.bytes_in, 0);
        assert_int_equal(st.bytes_out, 0);
        assert_int_equal(c.nerr + c.nrec, 0);
    }
    rw_trail_reader *r = rw_trail_reader_new(NULL);
    rw_trail_sink sink = {&c, on_candidate, on_error};
    assert_int_equal(rw_trail_read_mem(r, "[]", 2, &st, &sink), RW_OK);
    assert_int_equal(rw_trail_read_mem(r, "", 0, &st, &sink), RW_OK);
    assert_int_equal(st.kind, RW_TRAIL_EMPTY);
    assert_int_equal(c.nerr + c.nrec, 0);
    rw_trail_reader_free(r);
    /* gzip of nothing: empty too, but gzip */
    size_t n;
    unsigned char *g = gzip_bytes("", 0, &n);
    for (int m = 0; m < 3; m++)
        for (int stream = 0; stream < 2; stream++) {
            o.max_whole = o.chunk = stream ? 4096 : 0;
            assert_int_equal(read_with((enum mode)m, &o, g, n, &st, &c), RW_OK);
            assert_int_equal(st.kind, RW_TRAIL_EMPTY);
            assert_int_equal(st.gzip, 1);
            assert_int_equal(st.bytes_in, n);
            assert_int_equal(st.bytes_out, 0);
            assert_int_equal(c.nerr + c.nrec, 0);
        }
    free(g);
}

static void test_digest_other_empty(void **state) {
    (void)state;
    EXPECT_KIND("{\"awsAccountId\":\"123456789012\",\"digestStartTime\":\"2026-11-20T09:00:00Z\","
                "\"digestEndTime\":\"2026-11-20T10:00:00Z\",\"digestS3Bucket\":\"b\","
                "\"digestS3Object\":\"o\",\"digestPublicKeyFingerprint\":\"f\","
                "\"digestSignatureAlgorithm\":\"SHA256withRSA\",\"newestEventTime\":"
                "\"2026-11-20T09:59:00Z\",\"previousDigestS3Bucket\":\"b\",\"logFiles\":[{"
                "\"s3Bucket\":\"b\",\"s3Object\":\"o\",\"hashValue\":\"ab\",\"hashAlgorithm\":"
                "\"SHA-256\",\"newestEventTime\":\"x\",\"oldestEventTime\":\"y\"}]}",
                RW_TRAIL_DIGEST);
    EXPECT_KIND("{\"logFiles\":[],\"userIdentity\":{\"type\":\"Root\"}}", RW_TRAIL_DIGEST);
    EXPECT_KIND("hello world, this is not JSON", RW_TRAIL_OTHER);
    EXPECT_KIND("<?xml version=\"1.0\"?><Records/>", RW_TRAIL_OTHER);
    EXPECT_KIND("\"Root\"", RW_TRAIL_OTHER);
    EXPECT_KIND("42", RW_TRAIL_OTHER);
    EXPECT_KIND("\x01\x02\x03\xff\xfe binary", RW_TRAIL_OTHER);
    EXPECT_KIND("{\"a\":1,\"b\":[1,2,{\"type\":\"Root\"}]}", RW_TRAIL_OTHER);
    EXPECT_KIND("{\"Records\":\"not an array\",\"x\":{\"type\":\"Root\"}}", RW_TRAIL_OTHER);
    EXPECT_KIND("{}", RW_TRAIL_OTHER);
    test_empty_input();
    /* a log file with no records is a log file */
    EXPECT_KIND("{\"Records\":[]}", RW_TRAIL_CLOUDTRAIL);
    EXPECT_KIND("[]", RW_TRAIL_ARRAY);
    EXPECT_KIND("{\"Events\":[]}", RW_TRAIL_LOOKUP);
    EXPECT_KIND("{\"events\":[],\"searchedLogStreams\":[]}", RW_TRAIL_LOGEVENTS);

    /* an object that is not a record among records is counted, reported where it starts (a line
     * that is not a record is a problem wherever it is), and skipped */
    rw_trail_stats st;
    collected c = {0};
    int rc;
    const char *s =
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"}}\n{\"a\":\"Root\"}\n"
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"}}\n";
    read_plain(s, strlen(s), &st, &c, &rc);
    assert_int_equal(rc, RW_EINVAL);
    assert_int_equal(st.kind, RW_TRAIL_NDJSON);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.other_values, 1);
    assert_int_equal(c.nrec, 2);
    assert_int_equal(c.nerr, 1);
    assert_int_equal(c.errs[0].offset, strstr(s, "{\"a\"") - s);
    assert_contains(c.errs[0].msg, "not a CloudTrail record");
    assert_contains(c.errs[0].msg, "may be root activity");
    collected_free(&c);
    /* LookupEvents elements without a CloudTrailEvent string */
    s = "{\"Events\":[{\"EventId\":\"1\"},{\"CloudTrailEvent\":7},{\"CloudTrailEvent\":"
        "\"{\\\"userIdentity\\\":{\\\"type\\\":\\\"Root\\\"}}\"}]}";
    read_plain(s, strlen(s), &st, &c, &rc);
    assert_int_equal(rc, RW_OK);
    assert_int_equal(st.kind, RW_TRAIL_LOOKUP);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.other_values, 2);
    assert_int_equal(c.nrec, 1);
    assert_string_equal(c.recs[0].data, "{\"userIdentity\":{\"type\":\"Root\"}}");
    assert_int_equal(c.recs[0].offset, strstr(s, "{\"CloudTrailEvent\":\"") - s);
    collected_free(&c);
}

/* ---- gzip damage ---------------------------------------------------------------------------- */

static void test_gzip_multi_member(void **state) {
    (void)state;
    for (int f = 0; f < F_COUNT; f++) {
        input in;
        build(&in, (enum fmt)f, 30, 77 + (uint64_t)f);
        /* cut anywhere, even inside a record; an empty member too */
        size_t cuts[] = {in.text.n / 3, in.text.n / 3, in.text.n / 3 + 1, 2 * in.text.n / 3 + 5};
        size_t gl;
        unsigned char *g = gzip_members(in.text.p, in.text.n, cuts, 4, &gl);
        for (int m = 0; m < 3; m++)
            for (int stream = 0; stream < 2; stream++) {
                rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
                rw_trail_opts o = {.prefilter = pf};
                if (stream) o.max_whole = o.chunk = 4096;
                rw_trail_stats st;
                collected c = {0};
                int rc = read_with((enum mode)m, &o, g, gl, &st, &c);
                if (rc != RW_OK) dump_errors(&c);
                assert_int_equal(rc, RW_OK);
                assert_int_equal(st.gzip, 1);
                assert_int_equal(st.kind, in.kind);
                assert_int_equal(st.records, in.n);
                assert_int_equal(st.bytes_out, in.text.n);
                assert_int_equal(st.bytes_in, gl);
                size_t k = 0;
                for (size_t i = 0; i < in.n; i++) {
                    if (!in.v[i].cand) continue;
                    assert_true(k < c.nrec);
                    assert_int_equal(c.recs[k].offset, in.v[i].offset);
                    assert_int_equal(c.recs[k].len, in.v[i].len);
                    assert_memory_equal(c.recs[k].data, in.v[i].text, in.v[i].len);
                    k++;
                }
                assert_int_equal(k, c.nrec);
                collected_free(&c);
                rw_prefilter_free(pf);
            }
        free(g);
        input_free(&in);
    }
}

/* Delivered candidates must be the first ones of the truth, exactly. */
static size_t check_prefix(const input *in, const collected *c) {
    size_t k = 0;
    for (size_t i = 0; i < in->n && k < c->nrec; i++) {
        if (!in->v[i].cand) continue;
        if (c->recs[k].offset != in->v[i].offset || c->recs[k].len != in->v[i].len ||
            memcmp(c->recs[k].data, in->v[i].text, in->v[i].len) != 0)
            fail_msg("candidate %zu is not record %zu", k, i);
        k++;
    }
    assert_int_equal(k, c->nrec);
    return k;
}

static void test_gzip_truncated(void **state) {
    (void)state;
    input in;
    build(&in, F_NDJSON, 300, 4242);
    size_t ncand = 0;
    for (size_t i = 0; i < in.n; i++) ncand += in.v[i].cand;
    size_t gl;
    unsigned char *g = gzip_bytes(in.text.p, in.text.n, &gl);
    for (int cut = 1; cut <= 3; cut++)
        for (int m = 0; m < 3; m++)
            for (int stream = 0; stream < 2; stream++) {
                size_t n = gl * (size_t)cut / 4;
                rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
                rw_trail_opts o = {.prefilter = pf};
                if (stream) o.max_whole = o.chunk = 4096;
                rw_trail_stats st;
                collected c = {0};
                int rc = read_with((enum mode)m, &o, g, n, &st, &c);
                assert_int_equal(rc, RW_EINVAL);
                assert_error(&c, "truncated gzip");
                assert_int_equal(st.gzip, 1);
                assert_int_equal(st.kind, RW_TRAIL_NDJSON);
                assert_int_equal(st.bytes_in, n);
                assert_true(st.bytes_out < in.text.n);
                size_t k = check_prefix(&in, &c);
                /* the records before the cut are all there */
                size_t before = 0;
                for (size_t i = 0; i < in.n; i++)
                    if (in.v[i].cand && in.v[i].offset + in.v[i].len <= st.bytes_out) before++;
                assert_int_equal(k, before);
                assert_true(k > 0 && k < ncand);
                assert_int_equal(st.errors, c.nerr);
                collected_free(&c);
                rw_prefilter_free(pf);
            }
    free(g);
    input_free(&in);
}

static void test_gzip_corrupt_and_trailing(void **state) {
    (void)state;
    input in;
    build(&in, F_CLOUDTRAIL, 60, 999);
    size_t gl;
    unsigned char *g = gzip_bytes(in.text.p, in.text.n, &gl);
    unsigned char *bad = malloc(gl + 64);
    size_t ncand = 0;
    for (size_t i = 0; i < in.n; i++) ncand += in.v[i].cand;
    for (int m = 0; m < 3; m++)
        for (int stream = 0; stream < 2; stream++) {
            rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
            rw_trail_opts o = {.prefilter = pf};
            if (stream) o.max_whole = o.chunk = 4096;
            rw_trail_stats st;
            collected c = {0};

            /* an unknown compression method: nothing can be read */
            memcpy(bad, g, gl);
            bad[2] = 7;
            int rc = read_with((enum mode)m, &o, bad, gl, &st, &c);
            assert_int_equal(rc, RW_EINVAL);
            assert_error(&c, "corrupt gzip");
            assert_int_equal(c.nrec, 0);
            assert_int_equal(st.gzip, 1);
            collected_free(&c);

            /* a bad checksum: every record is read, then the damage is reported */
            memcpy(bad, g, gl);
            bad[gl - 8] ^= 0x55;
            rc = read_with((enum mode)m, &o, bad, gl, &st, &c);
            assert_int_equal(rc, RW_EINVAL);
            assert_error(&c, "corrupt gzip");
            check_prefix(&in, &c);
            assert_int_equal(c.nrec, ncand);
            collected_free(&c);

            /* damage in the middle: reported, and never a crash (what zlib makes of the damaged
             * part before it notices may be garbage, so the records are not checked) */
            memcpy(bad, g, gl);
            for (size_t i = gl / 2; i < gl / 2 + 16; i++) bad[i] = 0xFF;
            rc = read_with((enum mode)m, &o, bad, gl, &st, &c);
            assert_int_equal(rc, RW_EINVAL);
            assert_true(c.nerr >= 1);
            assert_true(st.errors >= 1);
            collected_free(&c);

            /* garbage after the gzip stream: all records, and the garbage reported */
            memcpy(bad, g, gl);
            memcpy(bad + gl, "garbage after the end", 21);
            rc = read_with((enum mode)m, &o, bad, gl + 21, &st, &c);
            assert_int_equal(rc, RW_EINVAL);
            assert_error(&c, "after the end of the gzip stream");
            assert_int_equal(check_prefix(&in, &c), c.nrec);
            assert_int_equal(c.nrec, ncand);
            assert_int_equal(st.records, in.n);
            assert_int_equal(st.bytes_out, in.text.n);
            collected_free(&c);
            rw_prefilter_free(pf);
        }
    free(bad);
    free(g);
    input_free(&in);
}

/* ---- oversize records ----------------------------------------------------------------------- */

/* A small record, a huge one (with "Root" in its middle or not), a small root record. */
static void build_oversize(input *in, enum fmt f, bool huge_root, size_t huge) {
    memset(in, 0, sizeof in[0]);
    rwt_rng r = {5};
    const bool array = f == F_CLOUDTRAIL || f == F_ARRAY;
    rw_trail_shape sh = f == F_ARRAY ? RW_SHAPE_VALUE : RW_SHAPE_RECORD;
    rwt_adds(&in->text, f == F_CLOUDTRAIL ? "{\"Records\":[" : f == F_ARRAY ? "[" : "");
    size_t at = in->text.n;
    gen_record(&r, &in->text, 1, 1, 100);
    want(in, in->text.p + at, in->text.n - at, at, sh);
    rwt_adds(&in->text, array ? "," : "\n");
    at = in->text.n;
    rwt_adds(&in->text, "{\"eventVersion\":\"1.08\",\"requestParameters\":{\"a\":[\"");
    for (size_t i = 0; in->text.n - at < huge / 2; i++) rwt_adds(&in->text, i % 9 ? "x" : "]}\\\"");
    rwt_adds(&in->text,
             huge_root ? "\"],\"userIdentity\":{\"type\":\"Root\"},\"b\":[\"" : "\"],\"b\":[\"");
    while (in->text.n - at < huge) rwt_adds(&in->text, "y");
    rwt_adds(&in->text, "\"]},\"eventName\":\"Big\"}");
    size_t big_at = at, big_len = in->text.n - at;
    rwt_adds(&in->text, array ? "," : "\n");
    at = in->text.n;
    gen_record(&r, &in->text, 3, 1, 100);
    want(in, in->text.p + at, in->text.n - at, at, sh);
    rwt_adds(&in->text, f == F_CLOUDTRAIL ? "]}" : f == F_ARRAY ? "]" : "\n");
    in->kind = f == F_CLOUDTRAIL ? RW_TRAIL_CLOUDTRAIL
               : f == F_ARRAY    ? RW_TRAIL_ARRAY
                                 : RW_TRAIL_NDJSON;
    /* remember the big one in the truth's spare slot */
    want(in, in->text.p + big_at, big_len, big_at, sh);
    in->n--;
}

static void test_oversize_record(void **state) {
    (void)state;
    static const enum fmt fmts[] = {F_NDJSON, F_CLOUDTRAIL, F_ARRAY};
    for (size_t fi = 0; fi < 3; fi++)
        for (int huge_root = 0; huge_root < 2; huge_root++)
            for (int gz = 0; gz < 2; gz++)
                for (int m = 0; m < 3; m++) {
                    input in;
                    build_oversize(&in, fmts[fi], huge_root, 100000);
                    const want_rec *big = &in.v[in.n]; /* the spare slot */
                    size_t len = in.text.n;
                    unsigned char *bytes = (unsigned char *)in.text.p, *g = NULL;
                    if (gz) bytes = g = gzip_bytes(in.text.p, in.text.n, &len);
                    rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
                    rw_trail_opts o = {
                        .prefilter = pf, .max_record = 8192, .max_whole = 4096, .chunk = 4096};
                    rw_trail_stats st;
                    collected c = {0};
                    int rc = read_with((enum mode)m, &o, bytes, len, &st, &c);
                    char what[80];
                    snprintf(what, sizeof what, "%s root %d gzip %d mode %d", fmt_name[fmts[fi]],
                             huge_root, gz, m);
                    if (rc != RW_EINVAL || c.nerr != 1) {
                        dump_errors(&c);
                        fail_msg("%s: rc %d, %zu errors", what, rc, c.nerr);
                    }
                    assert_int_equal(c.errs[0].offset, big->offset);
                    assert_contains(c.errs[0].msg, "larger than the limit of 8192 bytes");
                    char size[64];
                    snprintf(size, sizeof size, "%zu bytes", big->len);
                    assert_contains(c.errs[0].msg, size);
                    assert_contains(c.errs[0].msg,
                                    huge_root ? "may be root activity" : "cannot be root activity");
                    /* reading went on: both small root records are there, exactly */
                    assert_int_equal(c.nrec, 2);
                    for (size_t i = 0; i < 2; i++) {
                        assert_int_equal(c.recs[i].offset, in.v[i].offset);
                        assert_int_equal(c.recs[i].len, in.v[i].len);
                        assert_memory_equal(c.recs[i].data, in.v[i].text, in.v[i].len);
                    }
                    assert_int_equal(st.records, 3);
                    assert_int_equal(st.kind, in.kind);
                    assert_int_equal(st.bytes_out, in.text.n);
                    collected_free(&c);
                    rw_prefilter_free(pf);
                    free(g);
                    in.n++; /* free the spare slot too */
                    input_free(&in);
                }
}

/* A record far larger than memory should hold, through a pipe: the reader's memory stays within
 * the window (max_record + chunk) however large the record. */
typedef struct big_writer {
    int fd;
    size_t total;
    long max_rss_kb;
} big_writer;

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void *big_writer_fn(void *p) {
    big_writer *w = p;
    static char chunk[65536];
    memset(chunk, 'z', sizeof chunk);
    const char *head = "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"},\"pad\":\"";
    ssize_t k = write(w->fd, head, strlen(head));
    (void)k;
    size_t sent = 0;
    int n = 0;
    while (sent < w->total) {
        size_t m = w->total - sent < sizeof chunk ? w->total - sent : sizeof chunk;
        if (write(w->fd, chunk, m) != (ssize_t)m) break;
        sent += m;
        if (++n % 16 == 0) {
            long rss = rss_kb();
            if (rss > w->max_rss_kb) w->max_rss_kb = rss;
        }
    }
    const char *tail = "\"}\n{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"}}\n";
    k = write(w->fd, tail, strlen(tail));
    close(w->fd);
    return NULL;
}

static void test_oversize_memory_bounded(void **state) {
    (void)state;
    rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
    rw_trail_opts o = {.prefilter = pf, .max_record = 8192, .chunk = 4096};
    rw_trail_reader *r = rw_trail_reader_new(&o);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    long before = rss_kb();
    big_writer w = {fds[1], (size_t)64 << 20, before};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, big_writer_fn, &w), 0);
    collected c = {0};
    rw_trail_sink sink = {&c, on_candidate, on_error};
    rw_trail_stats st;
    int rc = rw_trail_read_fd(r, fds[0], &st, &sink);
    close(fds[0]);
    pthread_join(th, NULL);
    assert_int_equal(rc, RW_EINVAL);
    assert_int_equal(c.nerr, 1);
    assert_int_equal(c.errs[0].offset, 0);
    assert_contains(c.errs[0].msg, "larger than the limit");
    assert_int_equal(c.nrec, 1); /* the small record after it */
    assert_string_equal(c.recs[0].data,
                        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"}}");
    assert_int_equal(st.records, 2);
    /* 64 MiB went through; the process grew by far less */
    if (w.max_rss_kb - before > 16 * 1024)
        fail_msg("memory grew by %ld KiB while reading a 64 MiB record", w.max_rss_kb - before);
    collected_free(&c);
    rw_trail_reader_free(r);
    rw_prefilter_free(pf);
}

/* ---- malformed input ------------------------------------------------------------------------ */

/* NDJSON: lines A, BROKEN, C, D; the broken line is reported and the others read. */
static void check_broken_line(const char *broken, size_t err_at_in_line) {
    input in;
    memset(&in, 0, sizeof in);
    in.kind = RW_TRAIL_NDJSON;
    rwt_rng r = {3};
    add_record(&in, &r, 1, RW_SHAPE_RECORD);
    rwt_adds(&in.text, "\n");
    size_t b = in.text.n;
    rwt_adds(&in.text, broken);
    rwt_adds(&in.text, "\n");
    add_record(&in, &r, 3, RW_SHAPE_RECORD);
    rwt_adds(&in.text, "\n");
    add_record(&in, &r, 4, RW_SHAPE_RECORD);
    rwt_adds(&in.text, "\n");
    for (int gz = 0; gz < 2; gz++)
        for (int m = 0; m < 3; m++)
            for (int stream = 0; stream < 2; stream++) {
                rw_trail_opts o = {0}; /* no prefilter: every record is handed on */
                if (stream) o.max_whole = o.chunk = 4096;
                size_t len = in.text.n;
                unsigned char *bytes = (unsigned char *)in.text.p, *g = NULL;
                if (gz) bytes = g = gzip_bytes(in.text.p, in.text.n, &len);
                rw_trail_stats st;
                collected c = {0};
                int rc = read_with((enum mode)m, &o, bytes, len, &st, &c);
                if (rc != RW_EINVAL || c.nerr != 1 || c.nrec != 3) {
                    dump_errors(&c);
                    fail_msg("broken line '%s' (gzip %d mode %d stream %d): rc %d, %zu errors, %zu "
                             "records",
                             broken, gz, m, stream, rc, c.nerr, c.nrec);
                }
                /* the error points at the broken line, or at the byte where it breaks */
                uint64_t off = c.errs[0].offset;
                if (off != b && off != b + err_at_in_line)
                    fail_msg("broken line '%s': error at %llu, the line starts at %zu: %s", broken,
                             (unsigned long long)off, b, c.errs[0].msg);
                assert_contains(c.errs[0].msg, "malformed");
                for (size_t i = 0; i < 3; i++) {
                    assert_int_equal(c.recs[i].offset, in.v[i].offset);
                    assert_int_equal(c.recs[i].len, in.v[i].len);
                    assert_memory_equal(c.recs[i].data, in.v[i].text, in.v[i].len);
                }
                assert_int_equal(st.records, 3);
                assert_int_equal(st.errors, 1);
                collected_free(&c);
                free(g);
            }
    input_free(&in);
}

static void test_malformed_ndjson(void **state) {
    (void)state;
    check_broken_line("{\"eventVersion\":\"1.08\",\"eventName\":}", 35);
    check_broken_line("{\"eventVersion\":\"1.08\" \"eventName\":\"X\"}", 23);
    check_broken_line("{\"eventVersion\" 1}", 16);
    check_broken_line("{\"eventVersion\":\"1.08\",eventName:1}", 23);
    check_broken_line("this line is not JSON", 0);
    check_broken_line("]", 0);
}

/* A line cut short (a crash while writing) costs that line only. */
static void test_truncated_ndjson_line(void **state) {
    (void)state;
    check_broken_line("{\"eventVersion\":\"1.08\",\"eventName\":\"X\"", 38);
    check_broken_line("{\"eventVersion\":\"1.08\",\"eventName\":\"X", 0);
    check_broken_line("{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"", 0);
}

/* ---- lines that are not records ------------------------------------------------------------ */

typedef struct junk_want {
    size_t off;  /* where the problem is reported: the line's first byte that is not blank */
    size_t line; /* its line number, from 1 */
    bool hit;    /* it holds the needle ("may be root activity") */
} junk_want;

static size_t line_of(const rwt_str *t, size_t off) {
    size_t n = 1;
    for (size_t i = 0; i < off; i++) n += t->p[i] == '\n';
    return n;
}

/* Appends a line that is not a record; where its problem is reported is at + skip. */
static void add_junk(input *in, junk_want *jw, size_t *nj, const char *line, size_t skip) {
    size_t at = in->text.n;
    rwt_adds(&in->text, line);
    rwt_adds(&in->text, "\n");
    jw[*nj].off = at + skip;
    jw[*nj].line = line_of(&in->text, at);
    jw[*nj].hit = strstr(line, "\"Root\"") != NULL;
    (*nj)++;
}

/* Reads the input every way (plain and gzip; memory, pipe, file; whole and streamed; with and
 * without the prefilter) and checks the records against the truth and the problems against jw. */
static void check_junk(const input *in, const junk_want *jw, size_t nj, const char *mid_msg,
                       size_t mid_off) {
    for (int gz = 0; gz < 2; gz++)
        for (int m = 0; m < 3; m++)
            for (int stream = 0; stream < 2; stream++)
                for (int use_pf = 0; use_pf < 2; use_pf++) {
                    rw_prefilter *pf = use_pf ? rw_prefilter_new(root_needle, 1) : NULL;
                    rw_trail_opts o = {.prefilter = pf};
                    if (stream) o.max_whole = o.chunk = 4096;
                    size_t len = in->text.n;
                    unsigned char *bytes = (unsigned char *)in->text.p, *g = NULL;
                    if (gz) bytes = g = gzip_bytes(in->text.p, in->text.n, &len);
                    rw_trail_stats st;
                    collected c = {0};
                    int rc = read_with((enum mode)m, &o, bytes, len, &st, &c);
                    size_t nerr = nj + (mid_msg != NULL);
                    size_t ncand = 0;
                    for (size_t i = 0; i < in->n; i++) ncand += !use_pf || in->v[i].cand;
                    if (rc != RW_EINVAL || c.nerr != nerr || st.errors != nerr ||
                        st.kind != in->kind || st.records != in->n || c.nrec != ncand) {
                        dump_errors(&c);
                        fail_msg("gzip %d mode %d stream %d prefilter %d: rc %d, %zu errors "
                                 "(expected %zu), kind %s, %llu records (expected %zu), %zu "
                                 "candidates (expected %zu)",
                                 gz, m, stream, use_pf, rc, c.nerr, nerr,
                                 rw_trail_kind_name(st.kind), (unsigned long long)st.records, in->n,
                                 c.nrec, ncand);
                    }
                    for (size_t k = 0; k < nj; k++) {
                        char line[64];
                        snprintf(line, sizeof line, "line %zu is not a CloudTrail record",
                                 jw[k].line);
                        if (c.errs[k].offset != jw[k].off || !strstr(c.errs[k].msg, line)) {
                            dump_errors(&c);
                            fail_msg("problem %zu: expected at %zu, naming line %zu", k, jw[k].off,
                                     jw[k].line);
                        }
                        bool says_hit = strstr(c.errs[k].msg, "may be root activity") != NULL;
                        assert_int_equal(says_hit, use_pf && jw[k].hit);
                    }
                    if (mid_msg) {
                        assert_int_equal(c.errs[nj].offset, mid_off);
                        assert_contains(c.errs[nj].msg, mid_msg);
                    }
                    size_t k = 0;
                    for (size_t i = 0; i < in->n; i++) {
                        if (use_pf && !in->v[i].cand) continue;
                        assert_int_equal(c.recs[k].offset, in->v[i].offset);
                        assert_int_equal(c.recs[k].len, in->v[i].len);
                        assert_memory_equal(c.recs[k].data, in->v[i].text, in->v[i].len);
                        k++;
                    }
                    assert_int_equal(st.bytes_out, in->text.n);
                    collected_free(&c);
                    rw_prefilter_free(pf);
                    free(g);
                }
}

/* An NDJSON input whose first lines are not records (member names in the wrong case, text, a line
 * cut short, an array, a timestamped line that is not a record, a digest's members, blank lines
 * between them) is read in full: each of those lines is a problem, named by its line number and
 * found at its first byte, and every record after them is read. Before, the first two lines
 * decided that the whole input was not CloudTrail. A line that is not a record after the first
 * record is a problem too. */
static void test_junk_lines_before_records(void **state) {
    (void)state;
    input in;
    memset(&in, 0, sizeof in);
    in.kind = RW_TRAIL_NDJSON;
    junk_want jw[16];
    size_t nj = 0;
    rwt_rng r = {11};
    add_junk(&in, jw, &nj,
             "{\"eventversion\":\"1.08\",\"useridentity\":{\"type\":\"Root\"},\"eventname\":\"X\"}",
             0);
    add_junk(&in, jw, &nj, "{\"eventversion\":\"1.08\",\"useridentity\":{\"type\":\"IAMUser\"}}",
             0);
    rwt_adds(&in.text, "\n   \n\t\n");
    add_junk(&in, jw, &nj, "this line is not JSON, \"Root\" or not", 0);
    add_junk(&in, jw, &nj, "{\"a\":1,\"b\":", 0); /* cut short; the next line is not its value */
    add_junk(&in, jw, &nj, "[1,2,3]", 0);
    add_junk(&in, jw, &nj, "2026-11-20T10:00:00.000Z {\"message\":\"hello\"}", 25);
    add_junk(&in, jw, &nj, "{\"logFiles\":[],\"digestStartTime\":\"x\"}", 0);
    add_junk(&in, jw, &nj, "\x01\x02 binary", 0);
    for (int i = 0; i < 6; i++) {
        add_record(&in, &r, i, RW_SHAPE_RECORD);
        rwt_adds(&in.text, i % 2 ? "\r\n" : "\n");
    }
    size_t mid = in.text.n;
    rwt_adds(&in.text, "{\"eventname\":\"Y\",\"useridentity\":{}}\n");
    for (int i = 6; i < 9; i++) {
        add_record(&in, &r, i, RW_SHAPE_RECORD);
        rwt_adds(&in.text, "\n");
    }
    check_junk(&in, jw, nj, "not a CloudTrail record", mid);
    input_free(&in);
}

/* More lines that are not records than are named one by one: the first 50 are, the others are
 * counted in one problem; the record after them is read. */
static void test_junk_lines_many(void **state) {
    (void)state;
    input in;
    memset(&in, 0, sizeof in);
    in.kind = RW_TRAIL_NDJSON;
    junk_want jw[50];
    size_t nj = 0;
    rwt_rng r = {12};
    size_t more_at = 0;
    for (int i = 0; i < 120; i++) {
        if (i == 50) more_at = in.text.n;
        if (i < 50)
            add_junk(&in, jw, &nj, "{\"eventname\":\"GetObject\",\"eventsource\":\"s3\"}", 0);
        else
            rwt_adds(&in.text, "{\"eventname\":\"GetObject\",\"eventsource\":\"s3\"}\n");
    }
    add_record(&in, &r, 1, RW_SHAPE_RECORD);
    rwt_adds(&in.text, "\n");
    check_junk(&in, jw, nj, "70 more lines from line 51 to line 120", more_at);
    input_free(&in);
}

/* An input none of whose lines is a record is not CloudTrail, however many lines it has and
 * however they are broken, and nothing is reported (a named file is reported by the caller). */
static void test_junk_lines_only(void **state) {
    (void)state;
    EXPECT_KIND("{\"eventname\":\"X\",\"useridentity\":{\"type\":\"Root\"}}\n"
                "{\"eventname\":\"Y\",\"useridentity\":{\"type\":\"IAMUser\"}}\n",
                RW_TRAIL_OTHER);
    EXPECT_KIND("not JSON\n\n{\"a\":1}\n{\"b\":\n[1]\n2026-11-20T10:00:00Z x\n", RW_TRAIL_OTHER);
    EXPECT_KIND("{\"a\":1}\n{\"b\":2}\n{\"c\":", RW_TRAIL_OTHER);
    EXPECT_KIND("{garbage\n{more garbage", RW_TRAIL_OTHER);
    rwt_str t = {0};
    for (int i = 0; i < 3000; i++)
        rwt_addf(&t, "{\"level\":\"info\",\"msg\":\"request %d served\",\"type\":\"Root\"}\n", i);
    expect_kind(t.p, t.n, RW_TRAIL_OTHER);
    /* and streamed through a small window */
    rw_trail_opts o = {.max_whole = 4096, .chunk = 4096, .max_record = 1024};
    for (int m = 0; m < 3; m++) {
        rw_trail_stats st;
        collected c = {0};
        int rc = read_with((enum mode)m, &o, t.p, t.n, &st, &c);
        assert_int_equal(rc, RW_OK);
        assert_int_equal(c.nerr, 0);
        assert_int_equal(st.kind, RW_TRAIL_OTHER);
        assert_int_equal(st.records, 0);
        collected_free(&c);
    }
    rwt_free(&t);
}

/* A first line that is a record, damaged (its member names say so), makes the input CloudTrail:
 * the damage is a problem in it, not a sign that the input is something else. */
static void test_first_line_damaged_record(void **state) {
    (void)state;
    static const char *const firsts[] = {
        "{\"eventVersion\":\"1.08\",\"eventName\":}",
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"",
    };
    for (size_t f = 0; f < 2; f++)
        for (int alone = 0; alone < 2; alone++) {
            rwt_str t = {0};
            rwt_adds(&t, firsts[f]);
            rwt_adds(&t, "\n");
            rwt_rng r = {13};
            if (!alone) gen_record(&r, &t, 1, 1, 10);
            rw_trail_stats st;
            collected c = {0};
            int rc;
            read_plain(t.p, t.n, &st, &c, &rc);
            if (rc != RW_EINVAL || c.nerr != 1 || st.kind != RW_TRAIL_NDJSON ||
                st.records != (alone ? 0u : 1u)) {
                dump_errors(&c);
                fail_msg("'%s' %s: rc %d, %zu errors, kind %s", firsts[f],
                         alone ? "alone" : "before a record", rc, c.nerr,
                         rw_trail_kind_name(st.kind));
            }
            assert_true(c.errs[0].offset <= strlen(firsts[f])); /* the line, or where it breaks */
            assert_int_equal(c.nrec, alone ? 0 : 1);
            collected_free(&c);
            rwt_free(&t);
        }
}

static void test_malformed_records_array(void **state) {
    (void)state;
    input in;
    memset(&in, 0, sizeof in);
    in.kind = RW_TRAIL_CLOUDTRAIL;
    rwt_rng r = {11};
    rwt_adds(&in.text, "{\"Records\":[");
    add_record(&in, &r, 1, RW_SHAPE_RECORD);
    size_t bad[5];
    const char *bads[] = {"42", "\"a string with ] and }\"", "null", "[1,{\"type\":\"Root\"}]",
                          "true"};
    for (int i = 0; i < 5; i++) {
        rwt_adds(&in.text, ", ");
        bad[i] = in.text.n;
        rwt_adds(&in.text, bads[i]);
    }
    rwt_adds(&in.text, ",");
    add_record(&in, &r, 2, RW_SHAPE_RECORD);
    rwt_adds(&in.text, "]}");
    for (int m = 0; m < 3; m++)
        for (int stream = 0; stream < 2; stream++) {
            rw_trail_opts o = {0};
            if (stream) o.max_whole = o.chunk = 4096;
            rw_trail_stats st;
            collected c = {0};
            int rc = read_with((enum mode)m, &o, in.text.p, in.text.n, &st, &c);
            assert_int_equal(rc, RW_EINVAL);
            assert_int_equal(c.nerr, 5);
            for (int i = 0; i < 5; i++) {
                assert_int_equal(c.errs[i].offset, bad[i]);
                char e[64];
                snprintf(e, sizeof e, "element %d of the Records array is not a JSON object",
                         i + 1);
                assert_contains(c.errs[i].msg, e);
            }
            assert_int_equal(c.nrec, 2);
            assert_int_equal(st.records, 2);
            for (size_t i = 0; i < 2; i++) {
                assert_int_equal(c.recs[i].offset, in.v[i].offset);
                assert_memory_equal(c.recs[i].data, in.v[i].text, in.v[i].len);
            }
            collected_free(&c);
        }
    input_free(&in);

    /* a syntax error inside the array: what came before is read, the error is where it is */
    const char *s = "{\"Records\":[{\"eventVersion\":\"1\",\"userIdentity\":{\"type\":\"Root\"}} x "
                    "{\"eventVersion\":\"2\"}]}";
    for (int m = 0; m < 3; m++) {
        rw_trail_opts o = {0};
        rw_trail_stats st;
        collected c = {0};
        int rc = read_with((enum mode)m, &o, s, strlen(s), &st, &c);
        assert_int_equal(rc, RW_EINVAL);
        assert_int_equal(c.nrec, 1);
        assert_int_equal(c.nerr, 1);
        assert_int_equal(c.errs[0].offset, strchr(s, 'x') - s);
        assert_contains(c.errs[0].msg, "unexpected 'x'");
        collected_free(&c);
    }
    /* the array cut short */
    s = "{\"Records\":[{\"eventVersion\":\"1\",\"userIdentity\":{\"type\":\"Root\"}},{\"eventVer";
    for (int m = 0; m < 3; m++) {
        rw_trail_opts o = {0};
        rw_trail_stats st;
        collected c = {0};
        int rc = read_with((enum mode)m, &o, s, strlen(s), &st, &c);
        assert_int_equal(rc, RW_EINVAL);
        assert_int_equal(c.nrec, 1);
        assert_int_equal(c.nerr, 1);
        assert_int_equal(c.errs[0].offset, strrchr(s, '{') - s);
        assert_contains(c.errs[0].msg, "truncated");
        collected_free(&c);
    }
}

/* One reader for many inputs, of every kind in turn: nothing leaks from one to the next. */
static void test_reader_reuse(void **state) {
    (void)state;
    rw_prefilter *pf = rw_prefilter_new(root_needle, 1);
    rw_trail_opts o = {.prefilter = pf, .max_whole = 4096, .chunk = 4096};
    rw_trail_reader *r = rw_trail_reader_new(&o);
    for (int round = 0; round < 3; round++)
        for (int f = 0; f < F_COUNT; f++) {
            input in;
            build(&in, (enum fmt)f, 12, (uint64_t)(round * 100 + f));
            size_t len = in.text.n;
            unsigned char *bytes = (unsigned char *)in.text.p, *g = NULL;
            if ((f + round) % 2) bytes = g = gzip_bytes(in.text.p, in.text.n, &len);
            collected c = {0};
            rw_trail_sink sink = {&c, on_candidate, on_error};
            rw_trail_stats st;
            int rc = rw_trail_read_mem(r, bytes, len, &st, &sink);
            assert_int_equal(rc, RW_OK);
            assert_int_equal(st.kind, in.kind);
            assert_int_equal(st.records, in.n);
            check_prefix(&in, &c);
            size_t ncand = 0;
            for (size_t i = 0; i < in.n; i++) ncand += in.v[i].cand;
            assert_int_equal(c.nrec, ncand);
            collected_free(&c);
            free(g);
            input_free(&in);
            /* an input that fails in between */
            const char *broken = "{\"Records\":[{\"a\":";
            c = (collected){0};
            assert_int_equal(rw_trail_read_mem(r, broken, strlen(broken), &st, &sink), RW_EINVAL);
            collected_free(&c);
        }
    rw_trail_reader_free(r);
    rw_prefilter_free(pf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversize_memory_bounded), /* first: it measures memory */
        cmocka_unit_test(test_shapes_all_modes),
        cmocka_unit_test(test_streaming_random),
        cmocka_unit_test(test_needle_across_chunk_boundary),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_prefilter_candidates),
        cmocka_unit_test(test_digest_other_empty),
        cmocka_unit_test(test_gzip_multi_member),
        cmocka_unit_test(test_gzip_truncated),
        cmocka_unit_test(test_gzip_corrupt_and_trailing),
        cmocka_unit_test(test_oversize_record),
        cmocka_unit_test(test_malformed_ndjson),
        cmocka_unit_test(test_truncated_ndjson_line),
        cmocka_unit_test(test_junk_lines_before_records),
        cmocka_unit_test(test_junk_lines_many),
        cmocka_unit_test(test_junk_lines_only),
        cmocka_unit_test(test_first_line_damaged_record),
        cmocka_unit_test(test_malformed_records_array),
        cmocka_unit_test(test_reader_reuse),
    };
    signal(SIGPIPE, SIG_IGN); /* a writer whose reader stopped gets EPIPE */
    if (getenv("RW_TEST_FILTER")) cmocka_set_test_filter(getenv("RW_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Fuzzes the trail reader (gzip, container detection, record delimiting) and the detector that
 * decides its candidates.
 *
 * The input is read five ways:
 *   A   from memory, default options, the prefilter rootwatch scan uses (the built-in rules'
 *       literals, of several lengths), and A2: the same reader again
 *   B   from memory, tiny options (max_whole 256, chunk 4096, max_record 1024): the streaming path
 *   C   from memory, default options, no prefilter (every record is a candidate)
 *   D   from a memfd (a regular file: read whole through the reader's own buffer), as A
 *   E   from a pipe (streamed, gzip sniffed from the first bytes), tiny options
 * Every candidate is decided by an rw_detector with the built-in rules. Invariants, each an abort()
 * when broken:
 *   - stats.candidates is the number of candidate callbacks, and at most stats.records;
 *   - stats.errors is the number of error callbacks, and the return code is RW_OK exactly when
 *     there were none; bytes_in and gzip describe the input;
 *   - a candidate that is a top-level object or an element of a top-level array (not a record
 *     taken out of a string) is the input's own bytes at its offset, when the input is not gzip;
 *   - every candidate starts in the decompressed input, and is no longer than three times what
 *     follows (a record taken out of a string may have its invalid UTF-8 repaired to U+FFFD);
 *   - A2 and D equal A (reusing a reader, and reading a file, change nothing);
 *   - C has A's counts; A's candidates are a subsequence of C's; every C candidate that holds one
 *     of the prefilter's literals, or on which a rule fires (any verdict but NONE), is also one of
 *     A's (the prefilter never loses a record the rules would alert on);
 *   - an alert serialises (rw_alert_to_json) to valid JSON;
 *   - when neither reports a problem, B and E delimit the same records and hand on the same
 *     candidates as A. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rules/detect.h"
#include "rules/ruleset.h"
#include "trail/prefilter.h"
#include "trail/reader.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_reader: invariant broken at %s:%d: %s\n", __FILE__, __LINE__,    \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The prefilter rootwatch scan uses: the literals of the built-in rules (loaded once; never
 * changed after). */
static rw_ruleset *rules;
static const char *const *lits;
static size_t nlits;
static rw_prefilter *prefilter;

static void init_prefilter(void) {
    if (prefilter) return;
    rules = rw_ruleset_new();
    CHECK(rw_ruleset_load_builtin(rules) == RW_OK);
    rw_ruleset_freeze(rules, 1795000000);
    CHECK(rw_ruleset_literals(rules, &lits, &nlits) && nlits > 0);
    prefilter = rw_prefilter_new((const char **)lits, nlits);
}

static int has_literal(const char *p, size_t n) {
    for (size_t k = 0; k < nlits; k++)
        if (n && memmem(p, n, lits[k], strlen(lits[k]))) return 1;
    return 0;
}

typedef struct cand {
    uint64_t offset;
    size_t len;
    rw_trail_shape shape;
    uint64_t hash;
    rw_verdict verdict;
    int has_needle;
} cand;

typedef struct result {
    cand *v;
    size_t n, cap;
    uint64_t errors_seen;
    uint64_t problems;
    rw_detector *det;
    const uint8_t *in; /* the input, when it is not gzip (then offsets are offsets into it) */
    size_t in_len;
    rw_trail_stats st;
    int rc;
} result;

static uint64_t fnv1a(const char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

static void on_problem(void *ctx, uint64_t offset, const char *msg) {
    result *r = ctx;
    (void)offset;
    CHECK(msg != NULL && strlen(msg) < 4096);
    r->problems++;
}

static int on_candidate(void *ctx, const rw_trail_record *rec) {
    result *r = ctx;
    CHECK(rec != NULL);
    CHECK(rec->data != NULL || rec->len == 0);
    CHECK(rec->shape == RW_SHAPE_RECORD || rec->shape == RW_SHAPE_ENVELOPE ||
          rec->shape == RW_SHAPE_VALUE);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        CHECK(r->v != NULL);
    }
    if (r->in && (rec->shape == RW_SHAPE_ENVELOPE || rec->shape == RW_SHAPE_VALUE)) {
        /* a top-level object or array element: the input's own bytes */
        CHECK(rec->offset <= r->in_len && rec->len <= r->in_len - rec->offset);
        CHECK(rec->len >= 2 && rec->data[0] == '{');
        CHECK(memcmp(rec->data, r->in + rec->offset, rec->len) == 0);
    }
    cand *c = &r->v[r->n++];
    c->offset = rec->offset;
    c->len = rec->len;
    c->shape = rec->shape;
    c->hash = fnv1a(rec->data, rec->len); /* reads every byte: ASan checks the bounds */
    c->has_needle = has_literal(rec->data, rec->len);
    rw_alert *a = NULL;
    c->verdict = rw_detector_check(r->det, rec, "fuzz", &a, on_problem, r);
    if (c->verdict == RW_VERDICT_ALERT) {
        CHECK(a != NULL);
        CHECK(a->event_json != NULL && a->rule != NULL && a->file != NULL);
        CHECK(a->offset == rec->offset);
        /* the alert as rootwatch prints it (--format json) is valid JSON, and valid UTF-8 */
        rw_buf out;
        rw_buf_init(&out, 0);
        CHECK(rw_alert_to_json(&out, a) == RW_OK);
        rw_json_doc *doc = rw_json_doc_new(NULL);
        CHECK(rw_json_doc_parse(doc, out.data, out.len) == RW_OK);
        CHECK(rw_json_doc_root(doc)->type == RW_JSON_OBJECT);
        rw_json_doc_free(doc);
        rw_buf_free(&out);
        rw_alert_free(a);
    } else if (c->verdict == RW_VERDICT_FILTERED) { /* the alert the filters kept out */
        CHECK(a != NULL && a->event_json == NULL);
        rw_alert_free(a);
    } else if (c->verdict == RW_VERDICT_SERVICE) { /* a service's root event, counted */
        CHECK(a != NULL && a->event_json == NULL && a->invoked_by != NULL);
        rw_alert_free(a);
    } else {
        CHECK(a == NULL);
    }
    return RW_OK;
}

static void on_error(void *ctx, uint64_t offset, const char *msg) {
    result *r = ctx;
    (void)offset;
    CHECK(msg != NULL && strlen(msg) < 4096);
    r->errors_seen++;
}

static rw_trail_sink sink_for(result *r) {
    rw_trail_sink s = {r, on_candidate, on_error};
    return s;
}

/* The checks that hold for every read of the input. */
static void check_one(const result *r, const uint8_t *data, size_t size, int from_mem) {
    const rw_trail_stats *st = &r->st;
    CHECK(st->candidates == r->n);
    CHECK(st->candidates <= st->records);
    CHECK(st->errors == r->errors_seen);
    CHECK((r->rc == RW_OK) == (st->errors == 0));
    CHECK(st->kind >= RW_TRAIL_UNKNOWN && st->kind <= RW_TRAIL_EMPTY);
    CHECK(rw_trail_kind_name(st->kind) != NULL);
    int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    CHECK(st->gzip == gz);
    if (from_mem) CHECK(st->bytes_in == size);
    if (size == 0) CHECK(st->kind == RW_TRAIL_EMPTY && st->records == 0);
    for (size_t i = 0; i < r->n; i++) {
        /* a record taken out of a JSON string (LookupEvents) is unescaped, and its invalid UTF-8
         * repaired: one byte can become three (U+FFFD) */
        CHECK(r->v[i].offset < st->bytes_out);
        CHECK(r->v[i].len <= 3 * (st->bytes_out - r->v[i].offset));
    }
}

static int same_cand(const cand *a, const cand *b) {
    return a->offset == b->offset && a->len == b->len && a->shape == b->shape &&
           a->hash == b->hash && a->verdict == b->verdict;
}

/* Same records, same candidates (the counts and the list). */
static void check_same(const result *a, const result *b, int bytes_too) {
    CHECK(a->st.records == b->st.records);
    CHECK(a->st.candidates == b->st.candidates);
    CHECK(a->st.other_values == b->st.other_values);
    CHECK(a->st.kind == b->st.kind);
    if (bytes_too) {
        CHECK(a->st.errors == b->st.errors);
        CHECK(a->st.bytes_out == b->st.bytes_out);
    }
    CHECK(a->n == b->n);
    for (size_t i = 0; i < a->n; i++) CHECK(same_cand(&a->v[i], &b->v[i]));
}

static void read_mem(rw_trail_reader *rd, result *r, const uint8_t *data, size_t size) {
    rw_trail_sink sink = sink_for(r);
    r->rc = rw_trail_read_mem(rd, data, size, &r->st, &sink);
}

static void read_fd(rw_trail_reader *rd, result *r, int fd) {
    rw_trail_sink sink = sink_for(r);
    r->rc = rw_trail_read_fd(rd, fd, &r->st, &sink);
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_prefilter();
    const rw_prefilter *pf = prefilter;
    rw_filter filter = {.has_since = true, .since = 0, .has_until = true, .until = 4102444800};
    rw_detector *det = rw_detector_new(&filter, 0);
    rw_trail_opts big = {.prefilter = pf};
    rw_trail_opts tiny = {.prefilter = pf, .max_record = 1024, .max_whole = 256, .chunk = 4096};
    rw_trail_opts all = {.prefilter = NULL};
    const uint8_t *in = size >= 2 && data[0] == 0x1f && data[1] == 0x8b ? NULL : data;
    result A = {.det = det, .in = in, .in_len = size}, A2 = A, B = A, C = A, D = A, E = A;

    rw_trail_reader *ra = rw_trail_reader_new(&big);
    read_mem(ra, &A, data, size);
    check_one(&A, data, size, 1);
    if (!A.st.gzip) CHECK(A.st.bytes_out == size);
    read_mem(ra, &A2, data, size);
    check_one(&A2, data, size, 1);
    check_same(&A, &A2, 1);

    rw_trail_reader *rb = rw_trail_reader_new(&tiny);
    read_mem(rb, &B, data, size);
    check_one(&B, data, size, 1);
    if (A.st.errors == 0 && B.st.errors == 0) check_same(&A, &B, 0);

    rw_trail_reader *rc = rw_trail_reader_new(&all);
    read_mem(rc, &C, data, size);
    check_one(&C, data, size, 1);
    CHECK(C.st.records == A.st.records && C.st.other_values == A.st.other_values);
    CHECK(C.st.errors == A.st.errors && C.st.kind == A.st.kind);
    CHECK(C.st.bytes_out == A.st.bytes_out);
    if (C.st.bytes_out < ((uint64_t)16 << 20)) CHECK(C.st.candidates == C.st.records);
    {
        size_t j = 0; /* A's candidates, in order, among C's */
        for (size_t i = 0; i < C.n; i++) {
            int in_a = j < A.n && same_cand(&A.v[j], &C.v[i]);
            if (in_a) j++;
            if (C.v[i].has_needle || C.v[i].verdict != RW_VERDICT_NONE) CHECK(in_a);
        }
        CHECK(j == A.n);
    }

    int mfd = memfd_create("fuzz_reader", 0);
    if (mfd >= 0) {
        if (write_all(mfd, data, size) == 0 && lseek(mfd, 0, SEEK_SET) == 0) {
            rw_trail_reader *rd = rw_trail_reader_new(&big);
            read_fd(rd, &D, mfd);
            check_one(&D, data, size, 0);
            CHECK(D.st.bytes_in == size);
            check_same(&A, &D, 1);
            rw_trail_reader_free(rd);
        }
        close(mfd);
    }

    int p[2];
    if (size <= 32768 && pipe(p) == 0) {
        int ok = write_all(p[1], data, size) == 0;
        close(p[1]);
        if (ok) {
            rw_trail_reader *re = rw_trail_reader_new(&tiny);
            read_fd(re, &E, p[0]);
            check_one(&E, data, size, 0);
            if (A.st.errors == 0 && E.st.errors == 0) check_same(&A, &E, 0);
            rw_trail_reader_free(re);
        }
        close(p[0]);
    }

    rw_trail_reader_free(ra);
    rw_trail_reader_free(rb);
    rw_trail_reader_free(rc);
    free(A.v);
    free(A2.v);
    free(B.v);
    free(C.v);
    free(D.v);
    free(E.v);
    rw_detector_free(det);
    return 0;
}

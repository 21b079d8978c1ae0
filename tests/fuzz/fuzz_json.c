/* Fuzzes the JSON parser and writer.
 *
 * The input is parsed with several option sets (default and small max_depth, with and without
 * repair_utf8, a small memory cap, lone surrogates read as '?'). Invariants, each an abort() when
 * broken:
 * - a failed parse returns RW_EINVAL or RW_ELIMIT with an error offset inside the input, and
 *   leaves no root;
 * - a successful parse writes with rw_json_write; the output is valid UTF-8, parses again (even
 *   without repair_utf8, with no repairs) and writes identically (the round trip);
 * - parsing the same input again in the same document (memory reused) writes the same bytes;
 * - what parses without repair parses with repair to the same tree, with no repairs;
 * - what parses with a small max_depth or a memory cap parses without them to the same tree, and
 *   a failure under the cap is RW_ELIMIT when the uncapped parse succeeded;
 * - reading lone surrogates as '?' does not change whether the input parses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_json: invariant broken at %s:%d: %s\n", __FILE__, __LINE__,      \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct cfg {
    size_t max_depth;
    size_t max_memory;
    int repair;
    int surrogate_q;
} cfg;

static const cfg cfgs[] = {
    {0, 0, 0, 0},         /* 0: the defaults */
    {0, 0, 1, 0},         /* 1: repair */
    {6, 0, 0, 0},         /* 2: small depth */
    {6, 0, 1, 0},         /* 3: small depth, repair */
    {0, 128 << 10, 1, 0}, /* 4: a memory cap of two arena chunks */
    {0, 0, 1, 1},         /* 5: repair, lone surrogates as '?' (as the detector parses records) */
};
#define NCFG (sizeof cfgs / sizeof cfgs[0])

/* A few lookups, for coverage of the accessors; results are only checked for consistency. */
static void touch(const rw_json *root) {
    static const char *const keys[] = {"Records", "eventName", "userIdentity", "", "a"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        rw_json *v = rw_json_get(root, keys[k]);
        size_t n = rw_json_count(root, keys[k]);
        CHECK((v != NULL) == (n > 0));
        const char *s = rw_json_get_str(root, keys[k]);
        CHECK(!s || (v && v->type == RW_JSON_STRING && s == v->str));
        /* a string holding a NUL is never handed out as a C string that would read cut short */
        if (v && v->type == RW_JSON_STRING) {
            CHECK((s != NULL) == !rw_json_str_has_nul(v));
            CHECK(!s || strlen(s) == v->len);
            size_t nuls;
            char *vis = rw_json_str_dup_visible(v, &nuls);
            CHECK(strlen(vis) == v->len + 2 * nuls);
            CHECK(rw_json_str_has_nul(v) == (nuls > 0));
            free(vis);
        }
    }
    (void)rw_json_path(root, "userIdentity.sessionContext.attributes");
    (void)rw_json_path(root, "a.b.c");
    (void)rw_json_type_name(root->type);
}

/* Parses data with c into doc; on success writes the tree to out. Returns the parse code. */
static int parse_write(rw_json_doc *doc, const uint8_t *data, size_t size, rw_buf *out) {
    int rc = rw_json_doc_parse(doc, (const char *)data, size);
    if (rc != RW_OK) {
        CHECK(rc == RW_EINVAL || rc == RW_ELIMIT);
        CHECK(rw_json_doc_error_offset(doc) <= size);
        CHECK(rw_json_doc_root(doc) == NULL); /* never a half-built tree */
        return rc;
    }
    rw_json *root = rw_json_doc_root(doc);
    CHECK(root != NULL);
    rw_buf_reset(out);
    CHECK(rw_json_write(out, root) == RW_OK);
    return rc;
}

static int same(const rw_buf *a, const rw_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int rcs[NCFG];
    size_t repairs[NCFG];
    rw_buf outs[NCFG];
    rw_buf again, round, round2;
    rw_buf_init(&again, 0);
    rw_buf_init(&round, 0);
    rw_buf_init(&round2, 0);

    for (size_t k = 0; k < NCFG; k++) {
        rw_json_opts o = {.max_depth = cfgs[k].max_depth,
                          .max_memory = cfgs[k].max_memory,
                          .repair_utf8 = cfgs[k].repair,
                          .surrogate_as_question = cfgs[k].surrogate_q};
        rw_json_doc *doc = rw_json_doc_new(&o);
        rw_buf_init(&outs[k], 0);
        rcs[k] = parse_write(doc, data, size, &outs[k]);
        repairs[k] = rw_json_doc_repairs(doc);
        if (!cfgs[k].repair) CHECK(repairs[k] == 0);
        if (rcs[k] == RW_OK) {
            touch(rw_json_doc_root(doc));
            const rw_buf *w = &outs[k];
            CHECK(rw_json_utf8_valid_prefix(w->data, w->len) == w->len);

            /* the same document again: its memory is reused */
            CHECK(parse_write(doc, data, size, &again) == RW_OK);
            CHECK(same(w, &again));
            CHECK(rw_json_doc_repairs(doc) == repairs[k]);

            /* the round trip, in a fresh document without repair */
            rw_json_opts o2 = {.max_depth = cfgs[k].max_depth};
            rw_json_doc *doc2 = rw_json_doc_new(&o2);
            CHECK(parse_write(doc2, (const uint8_t *)w->data, w->len, &round) == RW_OK);
            CHECK(rw_json_doc_repairs(doc2) == 0);
            CHECK(same(w, &round));
            /* and once more in the document that parsed the input (under a memory cap the
             * output may need a little more memory than the input did: unescaped U+FFFD) */
            int rc2 = parse_write(doc, (const uint8_t *)w->data, w->len, &round2);
            if (!cfgs[k].max_memory) CHECK(rc2 == RW_OK);
            if (rc2 == RW_OK) CHECK(same(w, &round2));
            rw_json_doc_free(doc2);
        } else if (size > 0) {
            /* a failure must not leave the document unusable */
            const char ok[] = "{\"a\":[1,\"x\",null]}";
            CHECK(rw_json_doc_parse(doc, ok, sizeof ok - 1) == RW_OK);
        }
        rw_json_doc_free(doc);
    }

    /* repair only changes inputs with invalid UTF-8 */
    if (rcs[0] == RW_OK) {
        CHECK(rcs[1] == RW_OK && repairs[1] == 0 && same(&outs[0], &outs[1]));
    }
    if (rcs[1] == RW_OK && repairs[1] == 0) CHECK(rcs[0] == RW_OK);
    /* a depth limit only removes documents */
    if (rcs[2] == RW_OK) CHECK(rcs[0] == RW_OK && same(&outs[0], &outs[2]));
    if (rcs[3] == RW_OK) CHECK(rcs[1] == RW_OK && same(&outs[1], &outs[3]));
    if (rcs[2] == RW_EINVAL) CHECK(rcs[0] == RW_EINVAL);
    /* so does a memory cap, and only with RW_ELIMIT */
    if (rcs[4] == RW_OK) CHECK(rcs[1] == RW_OK && same(&outs[1], &outs[4]));
    if (rcs[1] == RW_OK && rcs[4] != RW_OK) CHECK(rcs[4] == RW_ELIMIT);
    /* reading lone surrogates as '?' changes values, never whether the text parses */
    CHECK(rcs[5] == rcs[1] && repairs[5] == repairs[1]);

    for (size_t k = 0; k < NCFG; k++) rw_buf_free(&outs[k]);
    rw_buf_free(&again);
    rw_buf_free(&round);
    rw_buf_free(&round2);
    return 0;
}

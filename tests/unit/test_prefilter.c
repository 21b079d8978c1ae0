/* Unit tests for src/trail/prefilter.c: every occurrence of every needle, at its exact offset,
 * checked against a naive search. */
#include "rwtest.h"

#include "trail/prefilter.h"
#include "util/vec.h"

#define PAD 64

/* Offsets of needle in data[0, len), by brute force. */
static void naive(const char *needle, const char *data, size_t len, uint64_t base, rw_u64vec *out) {
    size_t n = strlen(needle);
    for (size_t i = 0; n && i + n <= len; i++)
        if (memcmp(data + i, needle, n) == 0) rw_u64vec_push(out, base + i);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* data + PAD bytes of padding that repeats the first needle, to catch hits read from padding. */
static char *with_padding(const char *data, size_t len, const char *fill) {
    char *p = malloc(len + PAD);
    memcpy(p, data, len);
    size_t fl = strlen(fill);
    for (size_t i = 0; i < PAD; i++) p[len + i] = fl ? fill[i % fl] : 'x';
    return p;
}

static void check_scan(const char *const *needles, size_t count, const char *data, size_t len,
                       uint64_t base, uint64_t seed) {
    rw_prefilter *pf = rw_prefilter_new(needles, count);
    rw_u64vec want = {0}, got = {0};
    for (size_t k = 0; k < count; k++) naive(needles[k], data, len, base, &want);
    if (want.n > 1) qsort(want.v, want.n, sizeof *want.v, cmp_u64);
    /* hits are appended after what the vector holds */
    rw_u64vec_push(&got, 0xDEADBEEF);
    char *p = with_padding(data, len, count ? needles[0] : "");
    rw_prefilter_scan(pf, p, len, base, &got);
    assert_int_equal(got.v[0], 0xDEADBEEF);
    if (got.n - 1 != want.n)
        fail_msg("seed %llu: %zu hits, expected %zu (len %zu, %zu needles, first '%s')",
                 (unsigned long long)seed, got.n - 1, want.n, len, count, count ? needles[0] : "");
    for (size_t i = 0; i < want.n; i++)
        if (got.v[i + 1] != want.v[i])
            fail_msg("seed %llu: hit %zu at %llu, expected %llu", (unsigned long long)seed, i,
                     (unsigned long long)got.v[i + 1], (unsigned long long)want.v[i]);
    /* contains, on a buffer with no padding at all */
    char *exact = malloc(len ? len : 1);
    memcpy(exact, data, len);
    assert_int_equal(rw_prefilter_contains(pf, exact, len), want.n > 0);
    free(exact);
    free(p);
    rw_u64vec_free(&want);
    rw_u64vec_free(&got);
    rw_prefilter_free(pf);
}

static void test_single_needle_known(void **state) {
    (void)state;
    const char *needles[] = {"\"Root\""};
    const char *data = "{\"type\":\"Root\",\"x\":\"Root\",\"y\":\"\\\"Root\\\"\",\"z\":\"Root\"}";
    rw_prefilter *pf = rw_prefilter_new(needles, 1);
    assert_int_equal(rw_prefilter_max_len(pf), 6);
    rw_u64vec hits = {0};
    char *p = with_padding(data, strlen(data), "\"Root\"");
    rw_prefilter_scan(pf, p, strlen(data), 1000, &hits);
    assert_int_equal(hits.n, 3);
    assert_int_equal(hits.v[0], 1000 + 8);
    assert_int_equal(hits.v[1], 1000 + 19);
    assert_int_equal(hits.v[2], 1000 + (uint64_t)(strstr(data, "\"z\":") - data) + 4);
    /* an occurrence that ends exactly at len counts; one cut by len does not */
    hits.n = 0;
    rw_prefilter_scan(pf, p, strlen(data) - 1, 0, &hits); /* without the final '}' */
    assert_int_equal(hits.n, 3);
    hits.n = 0;
    rw_prefilter_scan(pf, p, strlen(data) - 2, 0, &hits); /* the last "Root" is cut */
    assert_int_equal(hits.n, 2);
    hits.n = 0;
    rw_prefilter_scan(pf, p, 14, 0, &hits); /* {"type":"Root" ends at 14 */
    assert_int_equal(hits.n, 1);
    assert_int_equal(hits.v[0], 8);
    hits.n = 0;
    rw_prefilter_scan(pf, p, 13, 0, &hits);
    assert_int_equal(hits.n, 0);
    hits.n = 0;
    rw_prefilter_scan(pf, p, 0, 0, &hits);
    assert_int_equal(hits.n, 0);
    assert_true(rw_prefilter_contains(pf, data, strlen(data)));
    assert_false(rw_prefilter_contains(pf, data, 13));
    assert_false(rw_prefilter_contains(pf, "\"root\" \"ROOT\" Root", 18));
    free(p);
    rw_u64vec_free(&hits);
    rw_prefilter_free(pf);
}

static void test_needle_limits(void **state) {
    (void)state;
    char n256[257], n257[258];
    memset(n256, 'q', 256);
    n256[256] = 0;
    memset(n257, 'w', 257);
    n257[257] = 0;
    const char *needles[] = {"", n257, "ab", n256};
    rw_prefilter *pf = rw_prefilter_new(needles, 4);
    assert_int_equal(rw_prefilter_max_len(pf), 256); /* the empty and the too long are dropped */
    rwt_str s = {0};
    rwt_adds(&s, "xxab");
    rwt_add(&s, n257, 257);
    rwt_add(&s, n256, 256);
    rwt_adds(&s, "ab");
    rw_u64vec hits = {0};
    char *p = with_padding(s.p, s.n, "");
    rw_prefilter_scan(pf, p, s.n, 0, &hits);
    /* "ab" at 2, n256 at 261, "ab" at the end; n257 (all 'w') is not searched */
    assert_int_equal(hits.n, 3);
    assert_int_equal(hits.v[0], 2);
    assert_int_equal(hits.v[1], 4 + 257);
    assert_int_equal(hits.v[2], s.n - 2);
    assert_false(rw_prefilter_contains(pf, n257, 257));
    free(p);
    rw_u64vec_free(&hits);
    rw_prefilter_free(pf);
    rwt_free(&s);

    /* no needles: nothing is ever found */
    pf = rw_prefilter_new(NULL, 0);
    assert_int_equal(rw_prefilter_max_len(pf), 0);
    char buf[PAD + 8] = "anything";
    rw_prefilter_scan(pf, buf, 8, 0, &hits);
    assert_int_equal(hits.n, 0);
    assert_false(rw_prefilter_contains(pf, buf, 8));
    rw_prefilter_free(pf);
    rw_prefilter_free(NULL);
}

/* Overlapping occurrences and several needles at the same offset are all reported. */
static void test_overlaps_and_duplicates(void **state) {
    (void)state;
    const char *needles[] = {"aa", "aaa", "a"};
    rw_prefilter *pf = rw_prefilter_new(needles, 3);
    rw_u64vec hits = {0};
    char *p = with_padding("aaaa", 4, "aaaa");
    rw_prefilter_scan(pf, p, 4, 10, &hits);
    /* a: 0,1,2,3; aa: 0,1,2; aaa: 0,1 */
    uint64_t want[] = {10, 10, 10, 11, 11, 11, 12, 12, 13};
    assert_int_equal(hits.n, 9);
    for (size_t i = 0; i < 9; i++) assert_int_equal(hits.v[i], want[i]);
    free(p);
    rw_u64vec_free(&hits);
    rw_prefilter_free(pf);
}

/* Random data from a small alphabet so that needles occur often; needles taken from the data
 * (at the start, middle and end) or random, of lengths from 1 to 100 (past the SIMD path's
 * reach). */
static void test_random_vs_naive(void **state) {
    (void)state;
    static const char alpha[] = "Root\"ab";
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        rwt_rng r = {seed};
        size_t len = rwt_below(&r, seed % 50 == 0 ? 20000 : 600);
        char *data = malloc(len + 1);
        for (size_t i = 0; i < len; i++) data[i] = alpha[rwt_below(&r, sizeof alpha - 1)];
        data[len] = 0;
        size_t count = 1 + rwt_below(&r, 4);
        char *needles[4];
        for (size_t k = 0; k < count; k++) {
            size_t nl = 1 + rwt_below(&r, rwt_below(&r, 4) ? 8 : 100);
            needles[k] = malloc(nl + 1);
            size_t kind = rwt_below(&r, 4);
            if (len >= nl && kind < 3) {
                /* from the data: the start, anywhere, or the very end */
                size_t at = kind == 0 ? 0 : kind == 2 ? len - nl : rwt_below(&r, len - nl + 1);
                memcpy(needles[k], data + at, nl);
            } else {
                for (size_t i = 0; i < nl; i++)
                    needles[k][i] = alpha[rwt_below(&r, sizeof alpha - 1)];
            }
            needles[k][nl] = 0;
        }
        uint64_t base = rwt_below(&r, 2) ? 0 : rwt_next(&r) >> 20;
        check_scan((const char *const *)needles, count, data, len, base, seed);
        for (size_t k = 0; k < count; k++) free(needles[k]);
        free(data);
    }
}

/* Needles whose rarest bytes are far apart (CloudTrail-like text). */
static void test_cloudtrail_like(void **state) {
    (void)state;
    const char *needles[] = {"\"Root\"", "\"type\":\"Root\"", "arn:aws:iam::123456789012:root", "Z",
                             "\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"1234\","
                             "\"arn\":\"arn:aws:iam::1234:root\"}"};
    rwt_rng r = {99};
    rwt_str s = {0};
    for (int i = 0; i < 400; i++) {
        size_t pick = rwt_below(&r, 8);
        if (pick < 5)
            rwt_adds(&s, needles[pick]);
        else
            rwt_addf(&s, "{\"eventName\":\"Describe%d\",\"x\":\"%*s\"}", i, (int)rwt_below(&r, 90),
                     "");
    }
    for (size_t count = 1; count <= 5; count++)
        for (size_t cut = 0; cut < 100; cut += 7)
            check_scan(needles, count, s.p, s.n - cut, 7, cut);
    rwt_free(&s);
}

/* Many needles that start with a quote are found by one pass (the quote group): every position
 * where some needle occurs must be reported, once, in ascending order, and nothing else. */
static void test_quote_group_vs_naive(void **state) {
    (void)state;
    rwt_rng rng = {20261123};
    const char alpha[] = "\"\"\"abcRoot:,{}[] xyzABC";
    for (int round = 0; round < 300; round++) {
        size_t nn = 4 + rwt_below(&rng, 60);
        char **needles = calloc(nn, sizeof *needles);
        for (size_t k = 0; k < nn; k++) {
            size_t len = 4 + rwt_below(&rng, 8);
            needles[k] = calloc(len + 1, 1);
            needles[k][0] = '"';
            for (size_t i = 1; i < len; i++)
                needles[k][i] = alpha[rwt_below(&rng, sizeof alpha - 1)];
        }
        size_t len = rwt_below(&rng, 3000);
        char *data = calloc(len + 64, 1);
        for (size_t i = 0; i < len; i++) data[i] = alpha[rwt_below(&rng, sizeof alpha - 1)];
        for (int plant = 0; plant < 20 && len > 20; plant++) { /* put some needles in */
            const char *nd = needles[rwt_below(&rng, nn)];
            size_t at = rwt_below(&rng, len - strlen(nd) + 1);
            memcpy(data + at, nd, strlen(nd));
        }
        memset(data + len, '"', 64); /* padding full of quotes must not make hits */
        rw_prefilter *pf = rw_prefilter_new((const char *const *)needles, nn);
        rw_u64vec hits = {0};
        rw_prefilter_scan(pf, data, len, 1000, &hits);
        size_t k = 0;
        for (size_t i = 0; i < len; i++) {
            bool any = false;
            for (size_t j = 0; j < nn && !any; j++)
                any = strlen(needles[j]) <= len - i &&
                      memcmp(data + i, needles[j], strlen(needles[j])) == 0;
            if (!any) continue;
            if (k >= hits.n || hits.v[k] != 1000 + i)
                fail_msg("round %d: the needle at %zu was not reported", round, i);
            k++;
        }
        if (k != hits.n) fail_msg("round %d: %zu hits where no needle is", round, hits.n - k);
        rw_u64vec_free(&hits);
        rw_prefilter_free(pf);
        free(data);
        for (size_t j = 0; j < nn; j++) free(needles[j]);
        free(needles);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_needle_known),     cmocka_unit_test(test_needle_limits),
        cmocka_unit_test(test_overlaps_and_duplicates), cmocka_unit_test(test_random_vs_naive),
        cmocka_unit_test(test_cloudtrail_like),         cmocka_unit_test(test_quote_group_vs_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

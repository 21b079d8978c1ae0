/* Unit tests for src/util/json.c: the parser, the accessors and the writer. */
#include "rwtest.h"

#include <math.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static rw_json *parse_ok(rw_json_doc *d, const char *s, size_t n) {
    int rc = rw_json_doc_parse(d, s, n);
    if (rc != RW_OK) fail_msg("parsing %.*s failed: %s", (int)n, s, rw_error_last());
    rw_json *root = rw_json_doc_root(d);
    assert_non_null(root);
    return root;
}

#define PARSE_OK(d, lit) parse_ok((d), (lit), sizeof(lit) - 1)

/* Parses and expects failure with code at offset, with msg in the message. */
static void parse_fails(rw_json_doc *d, const char *s, size_t n, int code, size_t offset,
                        const char *msg) {
    int rc = rw_json_doc_parse(d, s, n);
    if (rc != code)
        fail_msg("parsing '%.*s': expected code %d, got %d (%s)", (int)n, s, code, rc,
                 rw_error_last());
    if (rw_json_doc_error_offset(d) != offset)
        fail_msg("parsing '%.*s': expected the error at byte %zu, got %zu (%s)", (int)n, s, offset,
                 rw_json_doc_error_offset(d), rw_error_last());
    assert_null(rw_json_doc_root(d));
    if (msg) assert_contains(rw_error_last(), msg);
    char at[40];
    snprintf(at, sizeof at, "at byte %zu", offset);
    assert_contains(rw_error_last(), at);
}

#define PARSE_FAILS(d, lit, code, offset, msg)                                                     \
    parse_fails((d), (lit), sizeof(lit) - 1, code, offset, msg)

static rw_json *child_at(const rw_json *v, size_t i) {
    rw_json *c = v->child;
    while (c && i--) c = c->next;
    assert_non_null(c);
    return c;
}

/* Deep comparison of two trees: types, texts (byte for byte), keys and order. */
static void assert_same_tree(const rw_json *a, const rw_json *b) {
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->len, b->len);
    assert_int_equal(a->key_len, b->key_len);
    if (a->key_len) assert_memory_equal(a->key, b->key, a->key_len);
    switch (a->type) {
    case RW_JSON_NUMBER:
    case RW_JSON_STRING:
        if (a->len) assert_memory_equal(a->str, b->str, a->len);
        break;
    case RW_JSON_ARRAY:
    case RW_JSON_OBJECT: {
        const rw_json *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next) assert_same_tree(x, y);
        assert_null(x);
        assert_null(y);
        break;
    }
    default:
        break;
    }
}

static char *write_compact(const rw_json *v) {
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_json_write(&b, v), RW_OK);
    return rw_buf_take(&b);
}

/* parse -> write -> parse gives the same tree, and writing again gives the same text. */
static void round_trip(const char *s, size_t n) {
    rw_json_doc *d1 = rw_json_doc_new(NULL), *d2 = rw_json_doc_new(NULL);
    rw_json *t1 = parse_ok(d1, s, n);
    char *w1 = write_compact(t1);
    rw_json *t2 = parse_ok(d2, w1, strlen(w1));
    assert_same_tree(t1, t2);
    char *w2 = write_compact(t2);
    assert_string_equal(w1, w2);
    free(w1);
    free(w2);
    rw_json_doc_free(d1);
    rw_json_doc_free(d2);
}

static void expect_compact(const char *in, const char *out) {
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *t = parse_ok(d, in, strlen(in));
    char *w = write_compact(t);
    assert_string_equal(w, out);
    free(w);
    rw_json_doc_free(d);
}

/* ---- value types ---------------------------------------------------------------------------- */

static void test_literals(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v = PARSE_OK(d, "null");
    assert_int_equal(v->type, RW_JSON_NULL);
    v = PARSE_OK(d, "true");
    assert_int_equal(v->type, RW_JSON_TRUE);
    v = PARSE_OK(d, " \t\r\nfalse \n");
    assert_int_equal(v->type, RW_JSON_FALSE);
    assert_int_equal(v->offset, 4);
    assert_null(v->key);
    assert_null(v->next);
    /* misspelt or cut literals fail where the literal starts */
    PARSE_FAILS(d, "tru", RW_EINVAL, 0, "expected a JSON value");
    PARSE_FAILS(d, "nul", RW_EINVAL, 0, NULL);
    PARSE_FAILS(d, "[true, fals]", RW_EINVAL, 7, NULL);
    PARSE_FAILS(d, "True", RW_EINVAL, 0, "'T'");
    PARSE_FAILS(d, "nulls", RW_EINVAL, 4, "after the JSON value");
    PARSE_FAILS(d, "NaN", RW_EINVAL, 0, NULL);
    PARSE_FAILS(d, "Infinity", RW_EINVAL, 0, NULL);
    rw_json_doc_free(d);
}

static void test_strings_basic(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v = PARSE_OK(d, "\"hello\"");
    assert_int_equal(v->type, RW_JSON_STRING);
    assert_int_equal(v->len, 5);
    assert_string_equal(v->str, "hello");
    v = PARSE_OK(d, "\"\"");
    assert_int_equal(v->type, RW_JSON_STRING);
    assert_int_equal(v->len, 0);
    assert_string_equal(v->str, "");
    /* UTF-8 of every length is kept as it is */
    v = PARSE_OK(d, "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF\"");
    assert_int_equal(v->len, 2 + 3 + 4 + 3 + 4);
    assert_memory_equal(v->str, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF",
                        v->len);
    /* DEL is not a control character for JSON */
    v = PARSE_OK(d, "\"a\x7F\"");
    assert_int_equal(v->len, 2);
    PARSE_FAILS(d, "\"abc", RW_EINVAL, 0, "unterminated string");
    PARSE_FAILS(d, "[1, \"abc]", RW_EINVAL, 4, "unterminated string");
    PARSE_FAILS(d, "\"abc\\\"", RW_EINVAL, 0, "unterminated string");
    PARSE_FAILS(d, "\"abc\\", RW_EINVAL, 0, "unterminated string");
    rw_json_doc_free(d);
}

static void test_string_escapes(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v = PARSE_OK(d, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
    assert_int_equal(v->len, 8);
    assert_memory_equal(v->str, "\"\\/\b\f\n\r\t", 8);

    v = PARSE_OK(d, "\"\\u0041\\u00e9\\u00E9\\u20AC\\uFFFF\"");
    assert_int_equal(v->len, 1 + 2 + 2 + 3 + 3);
    assert_memory_equal(v->str, "A\xC3\xA9\xC3\xA9\xE2\x82\xAC\xEF\xBF\xBF", v->len);

    /* a surrogate pair is one code point, in 4 bytes */
    v = PARSE_OK(d, "\"\\uD83D\\uDE00\"");
    assert_int_equal(v->len, 4);
    assert_memory_equal(v->str, "\xF0\x9F\x98\x80", 4);
    v = PARSE_OK(d, "\"\\udbff\\udfff\"");
    assert_int_equal(v->len, 4);
    assert_memory_equal(v->str, "\xF4\x8F\xBF\xBF", 4);

    /* lone surrogates become U+FFFD (and do not count as repairs of UTF-8) */
    v = PARSE_OK(d, "\"\\uD800\"");
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->str, "\xEF\xBF\xBD", 3);
    v = PARSE_OK(d, "\"\\uDC00x\"");
    assert_int_equal(v->len, 4);
    assert_memory_equal(v->str, "\xEF\xBF\xBDx", 4);
    v = PARSE_OK(d, "\"\\uD800\\u0041\"");
    assert_int_equal(v->len, 4);
    assert_memory_equal(v->str,
                        "\xEF\xBF\xBD"
                        "A",
                        4);
    v = PARSE_OK(d, "\"\\uD800\\uD800\\uDC00\"");
    assert_int_equal(v->len, 7);
    assert_memory_equal(v->str, "\xEF\xBF\xBD\xF0\x90\x80\x80", 7);
    v = PARSE_OK(d, "\"\\uDE00\\uD83D\"");
    assert_int_equal(v->len, 6);
    assert_memory_equal(v->str, "\xEF\xBF\xBD\xEF\xBF\xBD", 6);
    assert_int_equal(rw_json_doc_repairs(d), 0);

    /* \u0000 is a byte of the value, counted by len */
    v = PARSE_OK(d, "\"a\\u0000b\"");
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->str, "a\0b", 4);
    v = PARSE_OK(d, "\"\\u0000\"");
    assert_int_equal(v->len, 1);
    assert_int_equal(v->str[0], 0);

    /* bad escapes fail at the backslash */
    PARSE_FAILS(d, "\"ab\\x\"", RW_EINVAL, 3, "invalid escape '\\x'");
    PARSE_FAILS(d, "\"ab\\u12\"", RW_EINVAL, 3, "invalid \\u escape");
    PARSE_FAILS(d, "\"ab\\u12G4\"", RW_EINVAL, 3, "invalid \\u escape");
    PARSE_FAILS(d, "\"\\U0041\"", RW_EINVAL, 1, "invalid escape");
    PARSE_FAILS(d, "[\"\\'\"]", RW_EINVAL, 2, "invalid escape");
    PARSE_FAILS(d, "\"\\\x01\"", RW_EINVAL, 1, "invalid escape '\\?'");
    /* a backslash before a multi-byte character is a bad escape, not bad UTF-8, in both modes */
    PARSE_FAILS(d, "\"\\\xC3\xA9\"", RW_EINVAL, 1, "invalid escape");
    rw_json_opts o = {.repair_utf8 = 1};
    rw_json_doc *lenient = rw_json_doc_new(&o);
    PARSE_FAILS(lenient, "\"\\\xC3\xA9\"", RW_EINVAL, 1, "invalid escape");
    PARSE_FAILS(lenient, "\"ok\\q\xFF\"", RW_EINVAL, 3, "invalid escape '\\q'");
    rw_json_doc_free(lenient);
    rw_json_doc_free(d);
}

static void test_numbers(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    static const struct {
        const char *text;
        double value;
    } cases[] = {
        {"0", 0},       {"-0", -0.0},      {"300", 300},
        {"300.0", 300}, {"300.000", 300},  {"3e2", 300},
        {"3E+2", 300},  {"30000e-2", 300}, {"-1.5", -1.5},
        {"0.25", 0.25}, {"1e-3", 0.001},   {"123456789", 123456789},
        {"0e0", 0},     {"-0.0", -0.0},    {"9007199254740993", 9007199254740992.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rw_json *v = parse_ok(d, cases[i].text, strlen(cases[i].text));
        assert_int_equal(v->type, RW_JSON_NUMBER);
        assert_string_equal(v->str, cases[i].text); /* the text as written */
        assert_int_equal(v->len, strlen(cases[i].text));
        if (v->num != cases[i].value) fail_msg("%s parsed as %g", cases[i].text, v->num);
    }
    rw_json *v = PARSE_OK(d, "-0");
    assert_true(signbit(v->num));
    v = PARSE_OK(d, "1e400");
    assert_true(isinf(v->num) && v->num > 0);
    assert_string_equal(v->str, "1e400");
    v = PARSE_OK(d, "-1e400");
    assert_true(isinf(v->num) && v->num < 0);
    assert_string_equal(v->str, "-1e400");
    v = PARSE_OK(d, "1e-400");
    assert_true(v->num == 0);
    assert_string_equal(v->str, "1e-400");
    /* a long number keeps every digit of its text */
    const char *big = "123456789012345678901234567890.000000000000000000001";
    v = parse_ok(d, big, strlen(big));
    assert_string_equal(v->str, big);
    /* a number inside a container is cut at the right place */
    v = PARSE_OK(d, "[1.50,-2e+3,7]");
    assert_string_equal(child_at(v, 0)->str, "1.50");
    assert_string_equal(child_at(v, 1)->str, "-2e+3");
    assert_true(child_at(v, 1)->num == -2000);
    assert_string_equal(child_at(v, 2)->str, "7");

    PARSE_FAILS(d, "-", RW_EINVAL, 0, "invalid number");
    PARSE_FAILS(d, "-a", RW_EINVAL, 0, "invalid number");
    PARSE_FAILS(d, "1.", RW_EINVAL, 2, "decimal point");
    PARSE_FAILS(d, "1.e5", RW_EINVAL, 2, "decimal point");
    PARSE_FAILS(d, "1e", RW_EINVAL, 2, "exponent");
    PARSE_FAILS(d, "1e+", RW_EINVAL, 3, "exponent");
    PARSE_FAILS(d, "[1E-x]", RW_EINVAL, 4, "exponent");
    PARSE_FAILS(d, ".5", RW_EINVAL, 0, "'.'");
    PARSE_FAILS(d, "+1", RW_EINVAL, 0, "'+'");
    PARSE_FAILS(d, "01", RW_EINVAL, 1, "after the JSON value");
    PARSE_FAILS(d, "[01]", RW_EINVAL, 2, "expected ',' or ']'");
    PARSE_FAILS(d, "-01", RW_EINVAL, 2, NULL);
    PARSE_FAILS(d, "0x10", RW_EINVAL, 1, "'x'");
    PARSE_FAILS(d, "1.5.2", RW_EINVAL, 3, NULL);
    rw_json_doc_free(d);
}

static void test_containers_and_offsets(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    const char *s = " {\"a\": [10, \"x\", {}, []], \"b\" :{\"c\":null} }";
    rw_json *v = parse_ok(d, s, strlen(s));
    assert_int_equal(v->type, RW_JSON_OBJECT);
    assert_int_equal(v->offset, 1);
    assert_int_equal(v->len, 2);
    rw_json *a = child_at(v, 0);
    assert_string_equal(a->key, "a");
    assert_int_equal(a->key_len, 1);
    assert_int_equal(a->type, RW_JSON_ARRAY);
    assert_int_equal(a->len, 4);
    assert_int_equal(a->offset, (size_t)(strchr(s, '[') - s));
    assert_int_equal(child_at(a, 0)->offset, (size_t)(strstr(s, "10") - s));
    assert_int_equal(child_at(a, 1)->offset, (size_t)(strstr(s, "\"x\"") - s));
    assert_null(child_at(a, 0)->key); /* array elements have no key */
    rw_json *e = child_at(a, 2);
    assert_int_equal(e->type, RW_JSON_OBJECT);
    assert_int_equal(e->len, 0);
    assert_null(e->child);
    e = child_at(a, 3);
    assert_int_equal(e->type, RW_JSON_ARRAY);
    assert_int_equal(e->len, 0);
    assert_null(child_at(a, 3)->next);
    rw_json *b = child_at(v, 1);
    assert_string_equal(b->key, "b");
    assert_int_equal(b->offset, (size_t)(strstr(s, "{\"c\"") - s));
    assert_int_equal(rw_json_get(b, "c")->type, RW_JSON_NULL);
    assert_null(b->next);

    v = PARSE_OK(d, "[]");
    assert_int_equal(v->type, RW_JSON_ARRAY);
    assert_int_equal(v->len, 0);
    v = PARSE_OK(d, "{ }");
    assert_int_equal(v->type, RW_JSON_OBJECT);
    assert_int_equal(v->len, 0);
    v = PARSE_OK(d, "[[[]],[{}]]");
    assert_int_equal(v->len, 2);
    assert_int_equal(child_at(v, 0)->len, 1);
    assert_int_equal(child_at(child_at(v, 0), 0)->len, 0);
    rw_json_doc_free(d);
}

/* ---- structural errors ---------------------------------------------------------------------- */

static void test_structure_errors(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    PARSE_FAILS(d, "", RW_EINVAL, 0, "empty input");
    PARSE_FAILS(d, "   \n", RW_EINVAL, 4, "empty input");
    /* trailing commas */
    PARSE_FAILS(d, "[1,]", RW_EINVAL, 3, "unexpected ']', expected a JSON value");
    PARSE_FAILS(d, "{\"a\":1,}", RW_EINVAL, 7, "expected a member name");
    PARSE_FAILS(d, "{\"a\":1 , }", RW_EINVAL, 9, "expected a member name");
    PARSE_FAILS(d, "[,1]", RW_EINVAL, 1, "unexpected ','");
    PARSE_FAILS(d, "{,}", RW_EINVAL, 1, "expected a member name");
    PARSE_FAILS(d, "[1,,2]", RW_EINVAL, 3, NULL);
    /* missing or wrong separators */
    PARSE_FAILS(d, "{\"a\" 1}", RW_EINVAL, 5, "expected ':'");
    PARSE_FAILS(d, "{\"a\"}", RW_EINVAL, 4, "expected ':'");
    PARSE_FAILS(d, "{\"a\"=1}", RW_EINVAL, 4, "'='");
    PARSE_FAILS(d, "{\"a\":}", RW_EINVAL, 5, "expected a JSON value");
    PARSE_FAILS(d, "{\"a\":1 \"b\":2}", RW_EINVAL, 7, "expected ',' or '}'");
    PARSE_FAILS(d, "[1 2]", RW_EINVAL, 3, "expected ',' or ']'");
    PARSE_FAILS(d, "{1:2}", RW_EINVAL, 1, "expected a member name in quotes");
    PARSE_FAILS(d, "{a:2}", RW_EINVAL, 1, "member name");
    PARSE_FAILS(d, "{'a':2}", RW_EINVAL, 1, "member name");
    /* mismatched brackets */
    PARSE_FAILS(d, "[1}", RW_EINVAL, 2, "expected ',' or ']'");
    PARSE_FAILS(d, "{\"a\":1]", RW_EINVAL, 6, "expected ',' or '}'");
    PARSE_FAILS(d, "[[1]]]", RW_EINVAL, 5, "after the JSON value");
    PARSE_FAILS(d, "]", RW_EINVAL, 0, NULL);
    PARSE_FAILS(d, "}", RW_EINVAL, 0, NULL);
    /* trailing garbage */
    PARSE_FAILS(d, "1 2", RW_EINVAL, 2, "unexpected '2' after the JSON value");
    PARSE_FAILS(d, "{} x", RW_EINVAL, 3, "after the JSON value");
    PARSE_FAILS(d, "\"a\"\"b\"", RW_EINVAL, 3, "after the JSON value");
    PARSE_FAILS(d, "{}\x01", RW_EINVAL, 2, "byte 0x01");
    PARSE_FAILS(d, "[]\0", RW_EINVAL, 2, "byte 0x00");
    /* whitespace JSON does not allow */
    PARSE_FAILS(d, "\f1", RW_EINVAL, 0, "byte 0x0C");
    PARSE_FAILS(d, "[1,\v2]", RW_EINVAL, 3, NULL);
    PARSE_FAILS(d,
                "\xC2\xA0"
                "1",
                RW_EINVAL, 0, "byte 0xC2");
    PARSE_FAILS(d, "\xEF\xBB\xBF{}", RW_EINVAL, 0, "byte 0xEF"); /* a BOM is not JSON */
    /* truncated input */
    PARSE_FAILS(d, "[", RW_EINVAL, 1, "truncated");
    PARSE_FAILS(d, "{", RW_EINVAL, 1, "truncated");
    PARSE_FAILS(d, "[1,", RW_EINVAL, 3, "truncated");
    PARSE_FAILS(d, "[1", RW_EINVAL, 2, "truncated");
    PARSE_FAILS(d, "{\"a\"", RW_EINVAL, 4, "truncated");
    PARSE_FAILS(d, "{\"a\":", RW_EINVAL, 5, "truncated");
    PARSE_FAILS(d, "{\"a\":1", RW_EINVAL, 6, "truncated");
    PARSE_FAILS(d, "{\"a\":[1,2", RW_EINVAL, 9, "truncated");
    PARSE_FAILS(d, "{\"a\":[1,2]  ", RW_EINVAL, 12, "truncated");
    PARSE_FAILS(d, "{\"ab", RW_EINVAL, 1, "unterminated string");
    /* the length given is what counts, not a NUL */
    parse_fails(d, "[1,2]", 4, RW_EINVAL, 4, "truncated");
    rw_json *v = parse_ok(d, "[1,2] trailing", 5);
    assert_int_equal(v->len, 2);
    rw_json_doc_free(d);
}

static void test_control_characters(void **state) {
    (void)state;
    rw_json_opts o = {.repair_utf8 = 1};
    rw_json_doc *strict = rw_json_doc_new(NULL), *lenient = rw_json_doc_new(&o);
    rw_json_doc *docs[] = {strict, lenient};
    for (int k = 0; k < 2; k++) {
        rw_json_doc *d = docs[k];
        PARSE_FAILS(d,
                    "\"a\x01"
                    "b\"",
                    RW_EINVAL, 2, "control character 0x01");
        PARSE_FAILS(d, "\"a\tb\"", RW_EINVAL, 2, "control character 0x09");
        PARSE_FAILS(d, "[\"ok\", \"line\nbreak\"]", RW_EINVAL, 12, "control character 0x0A");
        PARSE_FAILS(d, "{\"k\x1F\":1}", RW_EINVAL, 3, "control character 0x1F");
        /* a raw NUL inside a string */
        PARSE_FAILS(d, "\"a\0b\"", RW_EINVAL, 2, "control character 0x00");
    }
    rw_json_doc_free(strict);
    rw_json_doc_free(lenient);
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

static const struct bad_utf8 {
    const char *json; /* a JSON string holding invalid UTF-8 */
    size_t len;
    size_t offset; /* where the first invalid byte is */
} bad_utf8[] = {
#define B(lit, off)                                                                                \
    { lit, sizeof(lit) - 1, off }
    B("\"\x80\"", 1),             /* a lone continuation byte */
    B("\"ab\xBF\"", 3),           /* another */
    B("\"\xC0\x80\"", 1),         /* overlong NUL */
    B("\"\xC1\xBF\"", 1),         /* overlong 2-byte */
    B("\"\xE0\x80\x80\"", 1),     /* overlong 3-byte */
    B("\"\xE0\x9F\xBF\"", 1),     /* overlong 3-byte, highest */
    B("\"x\xED\xA0\x80\"", 2),    /* UTF-8 of the surrogate U+D800 */
    B("\"\xED\xBF\xBF\"", 1),     /* U+DFFF */
    B("\"\xF0\x80\x80\x80\"", 1), /* overlong 4-byte */
    B("\"\xF0\x8F\xBF\xBF\"", 1), /* overlong 4-byte, highest */
    B("\"\xF4\x90\x80\x80\"", 1), /* above U+10FFFF */
    B("\"\xF5\x80\x80\x80\"", 1), /* lead byte that never occurs */
    B("\"\xFF\"", 1),             /* 0xFF */
    B("\"\xFE\"", 1),             /* 0xFE */
    B("\"\xC3\"", 1),             /* a lead byte cut by the quote */
    B("\"\xE2\x82\"", 1),         /* a 3-byte sequence cut */
    B("\"\xF0\x9F\x98\"", 1),     /* a 4-byte sequence cut */
    B("\"\xC3"
      "A\"",
      1),                              /* a lead byte followed by ASCII */
    B("\"\xE2\x28\xA1\"", 1),          /* bad second byte */
    B("[\"ok\",\"\xC3\xA9\x80\"]", 9), /* valid, then a stray continuation */
    B("{\"\xC0\xAF\":1}", 2),          /* in a member name */
#undef B
};

static void test_invalid_utf8_rejected(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++)
        parse_fails(d, bad_utf8[i].json, bad_utf8[i].len, RW_EINVAL, bad_utf8[i].offset,
                    "invalid UTF-8");
    rw_json_doc_free(d);
}

/* Counts U+FFFD in s and checks that nothing else but valid UTF-8 is there. */
static size_t count_fffd(const char *s, size_t n) {
    assert_int_equal(rw_json_utf8_valid_prefix(s, n), n);
    size_t c = 0;
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(s + i, "\xEF\xBF\xBD", 3) == 0) c++;
    return c;
}

static void test_invalid_utf8_repaired(void **state) {
    (void)state;
    rw_json_opts o = {.repair_utf8 = 1};
    rw_json_doc *d = rw_json_doc_new(&o);
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        rw_json *v = parse_ok(d, bad_utf8[i].json, bad_utf8[i].len);
        size_t reps = rw_json_doc_repairs(d);
        assert_true(reps >= 1);
        /* find the string that was repaired */
        const rw_json *s = v->type == RW_JSON_STRING  ? v
                           : v->type == RW_JSON_ARRAY ? child_at(v, 1)
                                                      : NULL;
        if (s) {
            assert_int_equal(count_fffd(s->str, s->len), reps);
        } else {
            rw_json *m = child_at(v, 0);
            assert_int_equal(count_fffd(m->key, m->key_len), reps);
        }
    }
    /* exact replacements where the answer is unambiguous: one byte, one U+FFFD */
    rw_json *v = PARSE_OK(d, "\"a\x80"
                             "b\xFF"
                             "c\"");
    assert_int_equal(v->len, 9);
    assert_memory_equal(v->str,
                        "a\xEF\xBF\xBD"
                        "b\xEF\xBF\xBD"
                        "c",
                        9);
    assert_int_equal(rw_json_doc_repairs(d), 2);
    /* valid text around repairs is untouched, escapes still work */
    v = PARSE_OK(d, "{\"k\":\"\xC3\xA9\\n\xFE\\u0041\"}");
    rw_json *k = rw_json_get(v, "k");
    assert_non_null(k);
    assert_int_equal(k->len, 2 + 1 + 3 + 1);
    assert_memory_equal(k->str,
                        "\xC3\xA9\n\xEF\xBF\xBD"
                        "A",
                        k->len);
    assert_int_equal(rw_json_doc_repairs(d), 1);
    /* many repairs in one string: the output grows beyond the input */
    char big[1 + 300 + 1];
    big[0] = '"';
    memset(big + 1, 0x80, 300);
    big[301] = '"';
    v = parse_ok(d, big, sizeof big);
    assert_int_equal(v->len, 900);
    assert_int_equal(rw_json_doc_repairs(d), 300);
    assert_int_equal(count_fffd(v->str, v->len), 300);
    /* repairs are counted per parse */
    PARSE_OK(d, "\"clean\"");
    assert_int_equal(rw_json_doc_repairs(d), 0);
    /* invalid UTF-8 outside strings is still a syntax error */
    PARSE_FAILS(d, "[1,\x80]", RW_EINVAL, 3, "byte 0x80");
    rw_json_doc_free(d);
}

static void test_utf8_valid_prefix(void **state) {
    (void)state;
    assert_int_equal(rw_json_utf8_valid_prefix("", 0), 0);
    assert_int_equal(rw_json_utf8_valid_prefix("abc", 3), 3);
    assert_int_equal(rw_json_utf8_valid_prefix("a\xC3\xA9z", 4), 4);
    assert_int_equal(rw_json_utf8_valid_prefix("ab\xC3", 3), 2); /* cut at the end */
    assert_int_equal(rw_json_utf8_valid_prefix("ab\xED\xA0\x80", 5), 2);
    assert_int_equal(rw_json_utf8_valid_prefix("\xF0\x9F\x98\x80\xF4\x90\x80\x80", 8), 4);
    assert_int_equal(rw_json_utf8_valid_prefix("\xF4\x8F\xBF\xBF", 4), 4);
    assert_int_equal(rw_json_utf8_valid_prefix("x\xE0\xA0\x80", 4), 4);
    assert_int_equal(rw_json_utf8_valid_prefix("x\xE0\x9F\x80", 4), 1);
}

/* ---- limits --------------------------------------------------------------------------------- */

static void test_depth_limit(void **state) {
    (void)state;
    const size_t n = 100000;
    char *deep = malloc(2 * n);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    rw_json_doc *d = rw_json_doc_new(NULL); /* the default limit is 512 */
    parse_fails(d, deep, n, RW_ELIMIT, 512, "nesting deeper than 512 levels");
    parse_fails(d, deep, 2 * n, RW_ELIMIT, 512, "nesting deeper than 512 levels");
    /* objects count too */
    rwt_str s = {0};
    for (int i = 0; i < 600; i++) rwt_adds(&s, "{\"a\":");
    parse_fails(d, s.p, s.n, RW_ELIMIT, 512 * 5, "nesting");
    rwt_free(&s);
    rw_json_doc_free(d);

    /* exactly at the limit is accepted, one more is not */
    rw_json_opts o = {.max_depth = 3};
    d = rw_json_doc_new(&o);
    rw_json *v = PARSE_OK(d, "[[[1]]]");
    assert_string_equal(child_at(child_at(child_at(v, 0), 0), 0)->str, "1");
    PARSE_OK(d, "{\"a\":{\"b\":{}}}");
    PARSE_OK(d, "[[[]],[[]]]");
    PARSE_FAILS(d, "[[[[1]]]]", RW_ELIMIT, 3, "deeper than 3");
    PARSE_FAILS(d, "[[[{}]]]", RW_ELIMIT, 3, NULL);
    PARSE_FAILS(d, "{\"a\":[{\"b\":[]}]}", RW_ELIMIT, 11, NULL);
    rw_json_doc_free(d);

    /* with a limit high enough, 100000 levels parse (no recursion) and write back */
    o.max_depth = 2 * n;
    d = rw_json_doc_new(&o);
    v = parse_ok(d, deep, 2 * n);
    size_t depth = 0;
    for (const rw_json *c = v; c; c = c->child) depth++;
    assert_int_equal(depth, n);
    char *w = write_compact(v);
    assert_int_equal(strlen(w), 2 * n);
    assert_memory_equal(w, deep, 2 * n);
    free(w);
    parse_fails(d, deep, n, RW_EINVAL, n, "truncated");
    rw_json_doc_free(d);
    free(deep);
}

static void test_memory_limit(void **state) {
    (void)state;
    /* a large document past the limit fails cleanly, and the document is usable after */
    rwt_str s = {0};
    rwt_adds(&s, "[");
    for (int i = 0; i < 20000; i++) rwt_addf(&s, "%s{\"k\":%d}", i ? "," : "", i);
    rwt_adds(&s, "]");
    rw_json_opts o = {.max_memory = 256 << 10};
    rw_json_doc *d = rw_json_doc_new(&o);
    int rc = rw_json_doc_parse(d, s.p, s.n);
    assert_int_equal(rc, RW_ELIMIT);
    assert_contains(rw_error_last(), "memory limit");
    assert_null(rw_json_doc_root(d));
    assert_true(rw_json_doc_error_offset(d) > 0 && rw_json_doc_error_offset(d) < s.n);
    rw_json *v = PARSE_OK(d, "{\"a\":[1,2,3]}");
    assert_int_equal(rw_json_get(v, "a")->len, 3);
    /* the same document parses with a larger limit */
    rw_json_doc_free(d);
    o.max_memory = 64 << 20;
    d = rw_json_doc_new(&o);
    v = parse_ok(d, s.p, s.n);
    assert_int_equal(v->len, 20000);
    rw_json_doc_free(d);

    /* one string larger than the limit */
    rwt_free(&s);
    rwt_adds(&s, "[\"");
    for (int i = 0; i < 300000; i++) rwt_adds(&s, "x");
    rwt_adds(&s, "\"]");
    o.max_memory = 256 << 10;
    d = rw_json_doc_new(&o);
    parse_fails(d, s.p, s.n, RW_ELIMIT, 1, "memory limit");
    rw_json_doc_free(d);
    rwt_free(&s);

    /* a limit below the arena's chunk size still lets small documents parse */
    o.max_memory = 4096;
    d = rw_json_doc_new(&o);
    v = PARSE_OK(d, "{\"a\":[1,2,3],\"b\":\"text\"}");
    assert_string_equal(rw_json_get_str(v, "b"), "text");
    rwt_adds(&s, "[");
    for (int i = 0; i < 1000; i++) rwt_addf(&s, "%s%d", i ? "," : "", i);
    rwt_adds(&s, "]");
    rc = rw_json_doc_parse(d, s.p, s.n);
    assert_int_equal(rc, RW_ELIMIT);
    v = PARSE_OK(d, "[true]");
    assert_int_equal(v->len, 1);
    rw_json_doc_free(d);
    rwt_free(&s);
}

/* ---- accessors ------------------------------------------------------------------------------ */

/* An escaped NUL keeps the string's whole length through parsing, access and writing: two strings
 * that differ only after a NUL never read alike (issue: "dup\u0000a" and "dup" merged). */
static void test_nul_escape_keeps_length(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v = PARSE_OK(d, "{\"id\":\"dup\\u0000a\",\"plain\":\"dup\",\"t\":\"Root\\u0000x\","
                             "\"k\\u0000ey\":\"v\",\"ua\":\"esc\\u0000nul\\u0000\"}");
    rw_json *id = rw_json_get(v, "id");
    assert_int_equal(id->len, 5);
    assert_memory_equal(id->str, "dup\0a", 5);
    assert_true(rw_json_str_has_nul(id));
    assert_false(rw_json_str_has_nul(rw_json_get(v, "plain")));
    assert_false(rw_json_str_has_nul(v)); /* not a string */
    /* a C-string accessor never hands out a string that would read cut short */
    assert_null(rw_json_get_str(v, "id"));
    assert_null(rw_json_get_str(v, "t"));
    assert_string_equal(rw_json_get_str(v, "plain"), "dup");
    /* whole-length comparison: "Root\u0000x" is not "Root", "dup\u0000a" is not "dup" */
    assert_false(rw_json_str_is(rw_json_get(v, "t"), "Root"));
    assert_false(rw_json_str_is(id, "dup"));
    assert_true(rw_json_str_is(rw_json_get(v, "plain"), "dup"));
    /* member names keep their length too: "k\u0000ey" is not "k" */
    assert_null(rw_json_get(v, "k"));
    /* a visible copy: every NUL becomes U+FFFD, nothing is cut */
    size_t nuls;
    char *ua = rw_json_str_dup_visible(rw_json_get(v, "ua"), &nuls);
    assert_int_equal(nuls, 2);
    assert_string_equal(ua, "esc\xEF\xBF\xBDnul\xEF\xBF\xBD");
    free(ua);
    /* and the writer gives the escape back */
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_json_write(&b, id), RW_OK);
    assert_int_equal(b.len, strlen("\"dup\\u0000a\""));
    assert_memory_equal(b.data, "\"dup\\u0000a\"", b.len);
    rw_buf_free(&b);
    rw_json_doc_free(d);
}

static void test_repeated_keys(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v = PARSE_OK(d, "{\"a\":1,\"b\":2,\"a\":3,\"c\":\"x\",\"a\":{\"z\":true}}");
    assert_int_equal(v->len, 5);
    static const char *keys[] = {"a", "b", "a", "c", "a"};
    for (size_t i = 0; i < 5; i++) assert_string_equal(child_at(v, i)->key, keys[i]);
    assert_string_equal(child_at(v, 0)->str, "1");
    assert_string_equal(child_at(v, 2)->str, "3");
    rw_json *a = rw_json_get(v, "a");
    assert_ptr_equal(a, child_at(v, 4)); /* the last one */
    assert_int_equal(a->type, RW_JSON_OBJECT);
    assert_int_equal(rw_json_count(v, "a"), 3);
    assert_int_equal(rw_json_count(v, "b"), 1);
    assert_int_equal(rw_json_count(v, "z"), 0);
    assert_int_equal(rw_json_count(v, ""), 0);
    assert_string_equal(rw_json_get(v, "b")->str, "2");
    assert_null(rw_json_get(v, "A"));
    assert_null(rw_json_get(v, "ab"));
    assert_string_equal(rw_json_get_str(v, "c"), "x");
    assert_null(rw_json_get_str(v, "a")); /* not a string */
    assert_null(rw_json_get_str(v, "b"));
    assert_null(rw_json_get_str(v, "missing"));
    /* the last duplicate wins even when it is null */
    v = PARSE_OK(d, "{\"k\":\"v\",\"k\":null}");
    assert_int_equal(rw_json_get(v, "k")->type, RW_JSON_NULL);
    assert_null(rw_json_get_str(v, "k"));
    /* not an object */
    v = PARSE_OK(d, "[{\"a\":1}]");
    assert_null(rw_json_get(v, "a"));
    assert_int_equal(rw_json_count(v, "a"), 0);
    assert_null(rw_json_get(NULL, "a"));
    assert_int_equal(rw_json_count(NULL, "a"), 0);
    assert_null(rw_json_get_str(NULL, "a"));
    /* keys are compared as unescaped bytes, with their length */
    v = PARSE_OK(d, "{\"a\\u0000b\":1,\"\\u0061\":2,\"\":3}");
    assert_int_equal(child_at(v, 0)->key_len, 3);
    assert_memory_equal(child_at(v, 0)->key, "a\0b", 3);
    assert_string_equal(rw_json_get(v, "a")->str, "2");
    assert_string_equal(rw_json_get(v, "")->str, "3");
    assert_int_equal(rw_json_count(v, "a"), 1);
    rw_json_doc_free(d);
}

static void test_path(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v =
        PARSE_OK(d, "{\"userIdentity\":{\"type\":\"Root\",\"sessionContext\":{\"attributes\":"
                    "{\"mfaAuthenticated\":\"true\"}}},\"list\":[1],\"s\":\"x\","
                    "\"a\":{\"b\":1},\"a\":{\"c\":2}}");
    rw_json *m = rw_json_path(v, "userIdentity.sessionContext.attributes.mfaAuthenticated");
    assert_non_null(m);
    assert_string_equal(m->str, "true");
    assert_string_equal(rw_json_path(v, "userIdentity.type")->str, "Root");
    assert_ptr_equal(rw_json_path(v, "userIdentity"), rw_json_get(v, "userIdentity"));
    assert_ptr_equal(rw_json_path(v, ""), v);
    assert_null(rw_json_path(v, "userIdentity.missing"));
    assert_null(rw_json_path(v, "missing.type"));
    assert_null(rw_json_path(v, "userIdentity.type.deeper")); /* through a string */
    assert_null(rw_json_path(v, "list.0"));                   /* arrays have no members */
    assert_null(rw_json_path(v, "s.x"));
    assert_null(rw_json_path(NULL, "a"));
    /* repeated keys: the last one, at every step */
    assert_null(rw_json_path(v, "a.b"));
    assert_string_equal(rw_json_path(v, "a.c")->str, "2");
    /* a long member name is found like any other */
    char longname[300];
    memset(longname, 'k', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    rwt_str s = {0};
    rwt_addf(&s, "{\"%s\":{\"x\":1}}", longname);
    v = parse_ok(d, s.p, s.n);
    assert_non_null(rw_json_get(v, longname));
    rwt_str p = {0};
    rwt_addf(&p, "%s.x", longname);
    rw_json *x = rw_json_path(v, p.p);
    assert_non_null(x);
    assert_string_equal(x->str, "1");
    longname[120] = 0;
    assert_null(rw_json_path(v, longname)); /* a prefix of the name does not match */
    rwt_free(&s);
    rwt_free(&p);
    rw_json_doc_free(d);
}

static void test_type_names(void **state) {
    (void)state;
    assert_string_equal(rw_json_type_name(RW_JSON_NULL), "null");
    assert_string_equal(rw_json_type_name(RW_JSON_TRUE), "a boolean");
    assert_string_equal(rw_json_type_name(RW_JSON_FALSE), "a boolean");
    assert_string_equal(rw_json_type_name(RW_JSON_NUMBER), "a number");
    assert_string_equal(rw_json_type_name(RW_JSON_STRING), "a string");
    assert_string_equal(rw_json_type_name(RW_JSON_ARRAY), "an array");
    assert_string_equal(rw_json_type_name(RW_JSON_OBJECT), "an object");
}

/* ---- writer --------------------------------------------------------------------------------- */

static void test_write_compact_exact(void **state) {
    (void)state;
    expect_compact(" { \"a\" : [ 1 , 2.50 , \"x\\ny\" ] ,\n\t\"b\" : null } ",
                   "{\"a\":[1,2.50,\"x\\ny\"],\"b\":null}");
    expect_compact("[ true,false ,null,-0,1e400,300.0 ]", "[true,false,null,-0,1e400,300.0]");
    expect_compact("[ ]", "[]");
    expect_compact("{ }", "{}");
    expect_compact("[[],{},[[]],{\"a\":{}}]", "[[],{},[[]],{\"a\":{}}]");
    expect_compact("\"\\u00e9\\/\\u0001\\u001F\\u007f\"", "\"\xC3\xA9/\\u0001\\u001f\x7F\"");
    expect_compact("\"\\uD83D\\uDE00\"", "\"\xF0\x9F\x98\x80\"");
    expect_compact("\"\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\b\\f\\n\\r\\t\\\"\\\\\"");
    expect_compact("{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}"); /* repeated keys kept */
    expect_compact("{\"k\\u0000\\n\":\"v\\u0000\"}", "{\"k\\u0000\\n\":\"v\\u0000\"}");
    expect_compact("42", "42");
    expect_compact("\"\"", "\"\"");
    expect_compact("{\"\":\"\"}", "{\"\":\"\"}");
}

static void test_write_subtree(void **state) {
    (void)state;
    /* writing a member writes that value alone, not its following siblings */
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v = PARSE_OK(d, "{\"a\":{\"x\":[1,{\"y\":2}]},\"b\":[3],\"c\":4}");
    char *w = write_compact(rw_json_get(v, "a"));
    assert_string_equal(w, "{\"x\":[1,{\"y\":2}]}");
    free(w);
    w = write_compact(rw_json_get(v, "b"));
    assert_string_equal(w, "[3]");
    free(w);
    w = write_compact(child_at(rw_json_path(v, "a.x"), 0));
    assert_string_equal(w, "1");
    free(w);
    /* appends to what the buffer holds */
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_puts(&b, "event=");
    assert_int_equal(rw_json_write(&b, v), RW_OK);
    assert_string_equal(b.data, "event={\"a\":{\"x\":[1,{\"y\":2}]},\"b\":[3],\"c\":4}");
    rw_buf_free(&b);
    /* a buffer too small fails loudly */
    rw_buf_init(&b, 10);
    assert_int_equal(rw_json_write(&b, v), RW_ELIMIT);
    rw_buf_free(&b);
    rw_json_doc_free(d);
}

static void test_write_round_trip(void **state) {
    (void)state;
    static const char *docs[] = {
        ("{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"123\","
         "\"arn\":\"arn:aws:iam::123:root\",\"sessionContext\":{\"attributes\":{"
         "\"mfaAuthenticated\":\"false\",\"creationDate\":\"2026-11-20T10:00:00Z\"}}},"
         "\"eventTime\":\"2026-11-20T10:00:00Z\",\"readOnly\":true,\"n\":[300.0,-0,1e400,1E-7]}"),
        ("[\"\\u0000\\u0001\\u001f\\\"\\\\/"
         "\\b\\f\\n\\r\\t\",\"\\uD800\",\"\xC3\xA9\xF0\x9F\x98\x80\"]"),
        "{\"a\":1,\"a\":[],\"a\":{},\"\":null,\"k\\\"q\":\"v\"}",
        "[[[[[[[[[[{\"deep\":[[[[true]]]]}]]]]]]]]]]",
        "\"just a string\"",
        "-12.5e-3",
        "null",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) round_trip(docs[i], strlen(docs[i]));
    /* every byte value through a string */
    char all[256 * 6 + 3];
    size_t n = 0;
    all[n++] = '"';
    for (int c = 1; c < 128; c++) {
        if (c < 0x20 || c == '"' || c == '\\')
            n += (size_t)sprintf(all + n, "\\u%04x", c);
        else
            all[n++] = (char)c;
    }
    all[n++] = '"';
    round_trip(all, n);
}

/* Random trees: generate, write, parse, write again. */
static void gen_value(rwt_rng *r, rwt_str *s, int depth) {
    size_t t = rwt_below(r, depth > 5 ? 5 : 8);
    static const char *strs[] = {
        "", "Root", "a\\\"b", "\\u0041\\u00e9", "\\uD83D\\uDE00", "x\\ny\\t", "\xC3\xA9", "\\\\"};
    static const char *nums[] = {"0", "-0", "300.0", "1e400", "-12.5E-3", "123456789012345"};
    switch (t) {
    case 0:
        rwt_adds(s, "null");
        break;
    case 1:
        rwt_adds(s, rwt_below(r, 2) ? "true" : "false");
        break;
    case 2:
        rwt_adds(s, nums[rwt_below(r, 6)]);
        break;
    case 3:
    case 4:
        rwt_addf(s, "\"%s\"", strs[rwt_below(r, 8)]);
        break;
    case 5:
    case 6: {
        size_t k = rwt_below(r, 4);
        rwt_adds(s, "[");
        for (size_t i = 0; i < k; i++) {
            if (i) rwt_adds(s, rwt_below(r, 2) ? "," : " , ");
            gen_value(r, s, depth + 1);
        }
        rwt_adds(s, "]");
        break;
    }
    default: {
        size_t k = rwt_below(r, 4);
        rwt_adds(s, "{");
        for (size_t i = 0; i < k; i++) {
            if (i) rwt_adds(s, ",");
            rwt_addf(s, "\"%s\" : ", strs[rwt_below(r, 8)]);
            gen_value(r, s, depth + 1);
        }
        rwt_adds(s, "}");
    }
    }
}

static void test_write_round_trip_random(void **state) {
    (void)state;
    rwt_rng r = {12345};
    for (int i = 0; i < 2000; i++) {
        rwt_str s = {0};
        gen_value(&r, &s, 0);
        round_trip(s.p, s.n);
        rwt_free(&s);
    }
}

static void test_write_str(void **state) {
    (void)state;
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_json_write_str(&b, "plain", 5), RW_OK);
    assert_string_equal(b.data, "\"plain\"");
    rw_buf_reset(&b);
    assert_int_equal(rw_json_write_str(&b, "a\"b\\c/d", 7), RW_OK);
    assert_string_equal(b.data, "\"a\\\"b\\\\c/d\"");
    rw_buf_reset(&b);
    assert_int_equal(rw_json_write_str(&b, "\n\r\t\b\f", 5), RW_OK);
    assert_string_equal(b.data, "\"\\n\\r\\t\\b\\f\"");
    rw_buf_reset(&b);
    assert_int_equal(rw_json_write_str(&b, "\x01\x1f\x0b\x7f", 4), RW_OK);
    assert_string_equal(b.data, "\"\\u0001\\u001f\\u000b\x7f\"");
    rw_buf_reset(&b);
    assert_int_equal(rw_json_write_str(&b, "a\0b", 3), RW_OK); /* n counts, not NUL */
    assert_string_equal(b.data, "\"a\\u0000b\"");
    rw_buf_reset(&b);
    assert_int_equal(rw_json_write_str(&b, "", 0), RW_OK);
    assert_string_equal(b.data, "\"\"");
    rw_buf_reset(&b);
    assert_int_equal(rw_json_write_str(&b, "\xC3\xA9\xE2\x82\xAC", 5), RW_OK); /* UTF-8 raw */
    assert_string_equal(b.data, "\"\xC3\xA9\xE2\x82\xAC\"");
    rw_buf_reset(&b);
    assert_int_equal(rw_json_write_str(&b, "xyz", 2), RW_OK); /* only n bytes */
    assert_string_equal(b.data, "\"xy\"");
    /* appends */
    assert_int_equal(rw_json_write_str(&b, "\"", 1), RW_OK);
    assert_string_equal(b.data, "\"xy\"\"\\\"\"");
    assert_int_equal(b.len, strlen(b.data));
    rw_buf_free(&b);

    /* every control character is escaped and parses back to itself */
    rw_json_doc *d = rw_json_doc_new(NULL);
    char raw[64];
    for (int c = 0; c < 64; c++) raw[c] = (char)c;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_json_write_str(&b, raw, sizeof raw), RW_OK);
    for (size_t i = 0; i < b.len; i++) assert_true((unsigned char)b.data[i] >= 0x20);
    rw_json *v = parse_ok(d, b.data, b.len);
    assert_int_equal(v->len, sizeof raw);
    assert_memory_equal(v->str, raw, sizeof raw);
    rw_buf_free(&b);
    rw_json_doc_free(d);

    /* a limit smaller than the output fails loudly */
    rw_buf_init(&b, 8);
    assert_int_equal(rw_json_write_str(&b, "0123456789", 10), RW_ELIMIT);
    rw_buf_free(&b);
    rw_buf_init(&b, 12);
    assert_int_equal(rw_json_write_str(&b, "\x01\x02\x03", 3), RW_ELIMIT); /* 20 bytes escaped */
    rw_buf_free(&b);
}

/* ---- document reuse ------------------------------------------------------------------------- */

static void test_doc_reuse(void **state) {
    (void)state;
    rw_json_doc *d = rw_json_doc_new(NULL);
    rw_json *v = PARSE_OK(d, "{\"a\":\"first\"}");
    assert_string_equal(rw_json_get_str(v, "a"), "first");
    PARSE_FAILS(d, "{\"a\":", RW_EINVAL, 5, NULL);
    assert_null(rw_json_doc_root(d));
    v = PARSE_OK(d, "[\"second\"]");
    assert_int_equal(rw_json_doc_error_offset(d), 0);
    assert_string_equal(child_at(v, 0)->str, "second");
    /* many parses of growing and shrinking documents in one doc */
    for (int round = 0; round < 50; round++) {
        rwt_str s = {0};
        int n = (round % 7) * 3000 + 1;
        rwt_adds(&s, "[");
        for (int i = 0; i < n; i++) rwt_addf(&s, "%s\"item%d\"", i ? "," : "", i + round);
        rwt_adds(&s, "]");
        v = parse_ok(d, s.p, s.n);
        assert_int_equal(v->len, n);
        char want[32];
        snprintf(want, sizeof want, "item%d", n - 1 + round);
        rw_json *last = v->child;
        while (last->next) last = last->next;
        assert_string_equal(last->str, want);
        rwt_free(&s);
    }
    /* strdup copies into the document */
    char *p = rw_json_doc_strdup(d, "hello world", 5);
    assert_string_equal(p, "hello");
    rw_json_doc_free(d);
    rw_json_doc_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_strings_basic),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_containers_and_offsets),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_invalid_utf8_rejected),
        cmocka_unit_test(test_invalid_utf8_repaired),
        cmocka_unit_test(test_utf8_valid_prefix),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_nul_escape_keeps_length),
        cmocka_unit_test(test_repeated_keys),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_write_compact_exact),
        cmocka_unit_test(test_write_subtree),
        cmocka_unit_test(test_write_round_trip),
        cmocka_unit_test(test_write_round_trip_random),
        cmocka_unit_test(test_write_str),
        cmocka_unit_test(test_doc_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

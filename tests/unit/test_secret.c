/* Unit tests for src/util/secret.c (wiping secrets) and its users in util (rw_buf marked secret, a
 * JSON document holding secrets), and the check that no file in src/ wipes memory another way:
 * explicit_bzero, OPENSSL_cleanse and their kin, a volatile byte loop, or a memset of memory that
 * is freed right after (a dead store the compiler may drop) belong in src/util/secret.c only. */
#include "rwtest.h"

#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/secret.h"

#ifndef RW_SOURCE_DIR
#error "RW_SOURCE_DIR: the tests' CMakeLists.txt defines it"
#endif

/* ---- the wipe itself ------------------------------------------------------------------------ */

static void test_secret_wipe(void **state) {
    (void)state;
    unsigned char b[256];
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n + off <= 64; n += 7) {
            memset(b, 0xA5, sizeof b);
            rw_secret_wipe(b + off, n);
            for (size_t i = 0; i < sizeof b; i++) {
                bool inside = i >= off && i < off + n;
                if (b[i] != (inside ? 0 : 0xA5))
                    fail_msg("wiping %zu bytes at %zu: byte %zu is 0x%02x", n, off, i, b[i]);
            }
        }
    rw_secret_wipe(NULL, 0); /* nothing to do */
    rw_secret_wipe(b, 0);
    assert_int_equal(b[0], 0xA5);
}

static void test_secret_free(void **state) {
    (void)state;
    rw_secret_free(NULL, 0);
    rw_secret_free(NULL, 12);
    char *s = strdup("AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert_non_null(s);
    rw_secret_free(s, strlen(s)); /* ASan: freed once, and nothing leaks */
}

/* ---- rw_buf marked secret ------------------------------------------------------------------- */

static void test_buf_secret(void **state) {
    (void)state;
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_false(b.secret);
    rw_buf_set_secret(&b);
    /* grows many times: the bytes move to new blocks and stay whole */
    rwt_str want = {0};
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(rw_buf_printf(&b, "secret-%04d;", i), RW_OK);
        rwt_addf(&want, "secret-%04d;", i);
    }
    assert_int_equal(b.len, want.n);
    assert_memory_equal(b.data, want.p, want.n);
    assert_int_equal(b.data[b.len], 0);
    assert_true(b.secret);
    rw_buf_free(&b);
    assert_null(b.data);
    assert_true(b.secret); /* reused, it still holds a secret */
    assert_int_equal(rw_buf_puts(&b, "again"), RW_OK);
    char *taken = rw_buf_take(&b);
    assert_string_equal(taken, "again");
    rw_secret_free(taken, strlen(taken));
    rw_buf_free(&b);
    /* the limit still holds */
    rw_buf_init(&b, 10);
    rw_buf_set_secret(&b);
    assert_int_equal(rw_buf_puts(&b, "0123456789"), RW_OK);
    assert_int_equal(rw_buf_putc(&b, 'x'), RW_ELIMIT);
    rw_buf_free(&b);
    rwt_free(&want);
}

static void test_buf_read_file_secret(void **state) {
    (void)state;
    char path[] = "/tmp/rw-test-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    rwt_str text = {0};
    for (int i = 0; i < 5000; i++) rwt_addf(&text, "aws_secret_access_key = key%d\n", i);
    assert_int_equal(write(fd, text.p, text.n), (ssize_t)text.n);
    close(fd);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_set_secret(&b);
    assert_int_equal(rw_buf_read_file(&b, path), RW_OK);
    assert_int_equal(b.len, text.n);
    assert_memory_equal(b.data, text.p, text.n);
    rw_buf_free(&b);
    unlink(path);
    rwt_free(&text);
}

/* A document marked secret wipes its tree when it is parsed again: the memory a string of the
 * first tree took holds nothing of it afterwards. */
static void test_json_secret(void **state) {
    (void)state;
    static const char first[] =
        "{\"SecretAccessKey\":\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"}";
    static const char key[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    for (int secret = 0; secret < 2; secret++) {
        rw_json_opts jo = {.secret = secret};
        rw_json_doc *d = rw_json_doc_new(&jo);
        assert_int_equal(rw_json_doc_parse(d, first, sizeof first - 1), RW_OK);
        const char *s = rw_json_get_str(rw_json_doc_root(d), "SecretAccessKey");
        assert_non_null(s);
        assert_string_equal(s, key);
        /* the arena's first chunk is kept and reused: s still points into live memory */
        assert_int_equal(rw_json_doc_parse(d, "1", 1), RW_OK);
        bool still = memmem(s, sizeof key - 1, "K7MDENG/bPxRfiCYEXAMPLEKEY", 26) != NULL;
        if (secret)
            assert_false(still);
        else
            assert_true(still); /* without the mark nothing is wiped: the test can tell */
        rw_json_doc_free(d);
    }
}

/* ---- no other way to wipe in src/ ----------------------------------------------------------- */

/* The text with comments and the contents of string and character literals blanked (as spaces:
 * line numbers stay). */
static char *code_of(const char *s, size_t n) {
    char *o = malloc(n + 1);
    assert_non_null(o);
    memcpy(o, s, n);
    o[n] = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < n && !(s[j] == '*' && s[j + 1] == '/')) j++;
            j = j + 2 <= n ? j + 2 : n;
            for (size_t k = i; k < j; k++)
                if (o[k] != '\n') o[k] = ' ';
            i = j;
        } else if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') {
            while (i < n && s[i] != '\n') o[i++] = ' ';
        } else if (s[i] == '"' || s[i] == '\'') {
            char q = s[i++];
            while (i < n && s[i] != q && s[i] != '\n') {
                if (s[i] == '\\' && i + 1 < n) o[i++] = ' ';
                o[i++] = ' ';
            }
            if (i < n) i++;
        } else {
            i++;
        }
    }
    return o;
}

static bool ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static size_t line_of(const char *code, const char *at) {
    size_t l = 1;
    for (const char *p = code; p < at; p++) l += *p == '\n';
    return l;
}

/* The argument text of a call whose '(' is at open, trimmed, up to the first top-level comma or
 * the closing parenthesis; NULL when it cannot be read. */
static char *first_arg(const char *open) {
    int depth = 0;
    const char *p = open + 1;
    while (*p == ' ') p++;
    const char *start = p;
    for (; *p; p++) {
        if (*p == '(' || *p == '[') depth++;
        if ((*p == ')' || *p == ']') && depth-- == 0) break;
        if (*p == ',' && depth == 0) break;
    }
    if (!*p) return NULL;
    const char *end = p;
    while (end > start && end[-1] == ' ') end--;
    return strndup(start, (size_t)(end - start));
}

/* Is the call pat in [from, to), as a name of its own (free( is not rw_sigv4_result_free()? */
static bool has_call(const char *from, const char *to, const char *pat) {
    for (const char *hit = strstr(from, pat); hit && hit < to; hit = strstr(hit + 1, pat))
        if (hit == from || !ident_char(hit[-1])) return true;
    return false;
}

/* Does the statement text [from, to) free what arg points to: free(arg), rw_buf_free(&B) or
 * rw_http_response_free of its owner when arg is B.data (or B->data, B.body.data...)? */
static bool frees(const char *from, const char *to, const char *arg) {
    char pat[512];
    size_t al = strlen(arg);
    snprintf(pat, sizeof pat, "free(%s)", arg);
    if (has_call(from, to, pat)) return true;
    const char *tail = al > 5 && !strcmp(arg + al - 5, ".data")    ? arg + al - 5
                       : al > 6 && !strcmp(arg + al - 6, "->data") ? arg + al - 6
                                                                   : NULL;
    if (!tail) return false;
    int bl = (int)(tail - arg);
    const char *frees_buf[] = {"rw_buf_free(&%.*s)", "rw_buf_free(%.*s)"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(pat, sizeof pat, frees_buf[i], bl, arg);
        if (has_call(from, to, pat)) return true;
    }
    /* resp.body.data: rw_http_response_free(&resp) */
    const char *dot = memrchr(arg, '.', (size_t)bl);
    if (dot && !strncmp(dot, ".body", 5)) {
        snprintf(pat, sizeof pat, "rw_http_response_free(&%.*s)", (int)(dot - arg), arg);
        if (has_call(from, to, pat)) return true;
    }
    return false;
}

/* Appends to out one line per way of wiping memory in the file's text other than util/secret.h:
 * "path:line: what". */
static void check_text(rwt_str *out, const char *path, const char *text, size_t n) {
    char *code = code_of(text, n);
    static const char *const calls[] = {
        "explicit_bzero",     "OPENSSL_cleanse",  "memset_s", "memset_explicit",
        "explicit_memset",    "SecureZeroMemory", "bzero",    "sodium_memzero",
        "OPENSSL_clear_free", "CRYPTO_clear_free"};
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        size_t cl = strlen(calls[c]);
        for (const char *p = strstr(code, calls[c]); p; p = strstr(p + cl, calls[c])) {
            if (p > code && ident_char(p[-1])) continue;
            const char *q = p + cl;
            while (*q == ' ' || *q == '\t' || *q == '\n') q++;
            if (ident_char(p[cl]) || *q != '(') continue;
            rwt_addf(out, "%s:%zu: %s (use rw_secret_wipe, util/secret.h)\n", path,
                     line_of(code, p), calls[c]);
        }
    }
    /* a volatile pointer to bytes: the hand-made wipe loop */
    for (const char *p = strstr(code, "volatile"); p; p = strstr(p + 8, "volatile")) {
        if ((p > code && ident_char(p[-1])) || ident_char(p[8])) continue;
        const char *end = p + strcspn(p, ";{)=");
        char decl[256];
        snprintf(decl, sizeof decl, "%.*s", (int)(end - p), p);
        if ((strstr(decl, "char") || strstr(decl, "uint8_t") || strstr(decl, "void")) &&
            strchr(decl, '*'))
            rwt_addf(out, "%s:%zu: a volatile byte pointer (a wipe loop? use rw_secret_wipe)\n",
                     path, line_of(code, p));
    }
    /* memset(X, 0, ...) with X freed in the next two statements: a dead store */
    for (const char *p = strstr(code, "memset"); p; p = strstr(p + 6, "memset")) {
        if ((p > code && ident_char(p[-1])) || p[6] != '(') continue;
        char *arg = first_arg(p + 6);
        if (!arg) continue;
        const char *zero = p + 7 + strspn(p + 7, " ");
        zero += strlen(arg);
        zero += strspn(zero, " ,");
        const char *stmt_end = strchr(p, ';'), *to = stmt_end;
        for (int k = 0; k < 2 && to && *to; k++) {
            const char *next = strchr(to + 1, ';');
            to = next ? next : to + strlen(to);
        }
        if (*zero == '0' && !ident_char(zero[1]) && stmt_end && frees(stmt_end, to, arg))
            rwt_addf(out,
                     "%s:%zu: memset(%s, 0, ...) and then freed: a store the compiler may "
                     "drop (use rw_secret_wipe, or a buffer marked rw_buf_set_secret)\n",
                     path, line_of(code, p), arg);
        free(arg);
    }
    free(code);
}

static rwt_str found;
static size_t files_checked;

static int visit(const char *fpath, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)ftw;
    size_t l = strlen(fpath);
    if (flag != FTW_F || l < 2 || (strcmp(fpath + l - 2, ".c") && strcmp(fpath + l - 2, ".h")))
        return 0;
    const char *rel = fpath + strlen(RW_SOURCE_DIR) + 1;
    if (!strcmp(rel, "src/util/secret.c")) return 0; /* the one place */
    FILE *f = fopen(fpath, "rb");
    if (!f) fail_msg("%s: cannot read", fpath);
    rwt_str text = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) rwt_add(&text, chunk, n);
    fclose(f);
    check_text(&found, rel, text.p ? text.p : "", text.n);
    rwt_free(&text);
    files_checked++;
    return 0;
}

static void test_no_other_wipe_in_src(void **state) {
    (void)state;
    rwt_free(&found);
    files_checked = 0;
    assert_int_equal(nftw(RW_SOURCE_DIR "/src", visit, 16, FTW_PHYS), 0);
    assert_true(files_checked > 50);
    if (found.n) {
        fprintf(stderr, "wiping outside src/util/secret.c:\n%s", found.p);
        fail_msg("src/ wipes memory another way than util/secret.h (listed above)");
    }
    rwt_free(&found);
}

/* The check catches each way it is meant to catch, and not the words in comments and strings. */
static void test_check_catches(void **state) {
    (void)state;
    static const struct {
        const char *text;
        const char *want; /* NULL: nothing found */
    } cases[] = {
        {"void f(char *k) { explicit_bzero(k, 32); }", "x.c:1: explicit_bzero"},
        {"static void g(void) {\n  OPENSSL_cleanse (key, sizeof key);\n}",
         "x.c:2: OPENSSL_cleanse"},
        {"bzero(p, n);", "x.c:1: bzero"},
        {"memset_s(p, n, 0, n);", "x.c:1: memset_s"},
        {"void w(void *p, size_t n) {\n volatile unsigned char *v = p;\n while (n--) *v++ = 0;\n}",
         "x.c:2: a volatile byte pointer"},
        {"volatile char *v = p;", "x.c:1: a volatile byte pointer"},
        {"if (b.data) memset(b.data, 0, b.len);\n    rw_buf_free(&b);", "x.c:1: memset(b.data"},
        {"memset(b->data, 0, b->len); rw_buf_free(b);", "x.c:1: memset(b->data"},
        {"memset(msg, 0, len);\nfree(msg);", "x.c:1: memset(msg"},
        {"memset(resp.body.data, 0, resp.body.len);\nrw_http_response_free(&resp);",
         "x.c:1: memset(resp.body.data"},
        /* not wipes */
        {"/* built on explicit_bzero(3), not OPENSSL_cleanse() */ int x;", NULL},
        {"// explicit_bzero(k, 32);\nint y;", NULL},
        {"puts(\"explicit_bzero(k, 32)\");", NULL},
        {"rw_secret_wipe(k, 32); my_bzero_like(p);", NULL},
        {"static volatile sig_atomic_t stop;", NULL},
        {"memset(&sa, 0, sizeof sa);\nsigaction(SIGINT, &sa, NULL);", NULL},
        {"memset(out, ' ', n); free(out);", NULL},
        {"memset(msg, 0, len);\nsend(msg);\nfree(msg2);", NULL},
        {"memset(&sig, 0, sizeof sig);\nrw_sigv4_result_free(&sig);", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rwt_str out = {0};
        check_text(&out, "x.c", cases[i].text, strlen(cases[i].text));
        if (cases[i].want && (!out.p || !strstr(out.p, cases[i].want)))
            fail_msg("case %zu: %s\nexpected \"%s\", found:\n%s", i, cases[i].text, cases[i].want,
                     out.p ? out.p : "(nothing)");
        if (!cases[i].want && out.n)
            fail_msg("case %zu: %s\nexpected nothing, found:\n%s", i, cases[i].text, out.p);
        rwt_free(&out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_wipe),          cmocka_unit_test(test_secret_free),
        cmocka_unit_test(test_buf_secret),           cmocka_unit_test(test_buf_read_file_secret),
        cmocka_unit_test(test_json_secret),          cmocka_unit_test(test_check_catches),
        cmocka_unit_test(test_no_other_wipe_in_src),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

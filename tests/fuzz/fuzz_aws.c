/* Fuzzes what rootwatch reads from AWS and from the user's AWS files: the XML reader (rw_xml_parse,
 * rw_xml_find, rw_xml_text), AWS error replies (rw_aws_error_from_reply, on the input as an XML or
 * JSON body with statuses 400, 403 and 503), and the INI reader of ~/.aws/config and credentials
 * (rw_ini_parse, rw_ini_get). Invariants, each an abort() when broken: parsers return RW_OK or
 * RW_EINVAL/RW_ELIMIT; a parsed tree's texts are NUL-terminated at their length; an error's fields
 * are NUL-terminated, hold no control character, and its code is never empty. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/xml.h"
#include "util/err.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_aws: invariant broken at %s:%d: %s\n", __FILE__, __LINE__,       \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void walk(const rw_xml *x, int depth) {
    for (; x; x = x->next) {
        CHECK(x->name != NULL && x->text != NULL);
        CHECK(strlen(x->text) <= x->text_len); /* NUL inside is possible only via &#0; (refused) */
        CHECK(x->text[x->text_len] == 0);
        CHECK(depth < 1000);
        walk(x->child, depth + 1);
    }
}

static void clean_field(const char *f, size_t cap) {
    size_t n = strnlen(f, cap);
    CHECK(n < cap);
    for (size_t i = 0; i < n; i++) CHECK((unsigned char)f[i] >= 0x20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1 << 16) return 0;
    const char *text = (const char *)data;
    rw_xml *x = NULL;
    int rc = rw_xml_parse(&x, text, size);
    CHECK(rc == RW_OK || rc == RW_EINVAL || rc == RW_ELIMIT);
    if (rc == RW_OK) {
        CHECK(x != NULL);
        walk(x, 0);
        (void)rw_xml_find(x, "Error/Code");
        (void)rw_xml_text(x, "GetCallerIdentityResult/Account");
    }
    rw_xml_free(x);

    static const long statuses[] = {400, 403, 503};
    for (size_t i = 0; i < 3; i++) {
        rw_http_response r;
        rw_http_response_init(&r);
        rw_buf_append(&r.body, text, size);
        if (i == 1) rw_buf_puts(&r.headers, "x-amzn-requestid: abc\n");
        r.status = statuses[i];
        rw_aws_error e;
        rw_aws_error_from_reply(&e, &r);
        clean_field(e.code, sizeof e.code);
        clean_field(e.message, sizeof e.message);
        clean_field(e.request_id, sizeof e.request_id);
        CHECK(e.code[0] != 0);
        CHECK(e.status == statuses[i]);
        rw_http_response_free(&r);
    }

    rw_ini *ini = NULL;
    rc = rw_ini_parse(&ini, text, size, "fuzz");
    CHECK(rc == RW_OK || rc == RW_EINVAL || rc == RW_ELIMIT);
    if (rc == RW_OK) {
        (void)rw_ini_get(ini, "default", "region");
        (void)rw_ini_get(ini, "profile dev", "s3.addressing_style");
        (void)rw_ini_has_section(ini, "default");
    } else {
        CHECK(strstr(rw_error_last(), "fuzz") != NULL); /* the message names the file */
    }
    rw_ini_free(ini);
    return 0;
}

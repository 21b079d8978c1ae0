/* Fuzzes the notification configuration (rw_notify_config_parse: YAML, channels, every type's
 * option table, secrets written as env:/file:) and the words of a notice (rw_render_*) on alerts
 * read from the input. Invariants, each an abort() when broken: parsing returns RW_OK or RW_EINVAL
 * with a message naming the file; a parsed configuration has at least one channel, each with a
 * known type; an SNS subject is at most 100 printable ASCII characters. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"
#include "notify/render.h"
#include "util/err.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_notify: invariant broken at %s:%d: %s\n", __FILE__, __LINE__,    \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1 << 16) return 0;
    const char *text = (const char *)data;
    rw_notify_config *c = NULL;
    int rc = rw_notify_config_parse(&c, text, size, "fuzz.yaml");
    CHECK(rc == RW_OK || rc == RW_EINVAL);
    if (rc == RW_OK) {
        CHECK(c->nchannels > 0);
        for (size_t i = 0; i < c->nchannels; i++)
            CHECK(rw_channel_type_find(c->channels[i]->type->type) == c->channels[i]->type);
    } else {
        CHECK(strstr(rw_error_last(), "fuzz.yaml") != NULL);
    }
    rw_notify_config_free(c);

    /* the input as an alert */
    rw_json_doc *d = rw_json_doc_new(NULL);
    if (rw_json_doc_parse(d, text, size) == RW_OK && rw_json_doc_root(d)->type == RW_JSON_OBJECT) {
        rw_notice n = {.alert = rw_json_doc_root(d), .alert_json = text, .alert_len = size};
        for (int test = 0; test < 2; test++) {
            n.test = test;
            char *s = rw_render_sns_subject(&n, test ? "alias-\xc3\xa9\n" : NULL);
            CHECK(strlen(s) <= 100);
            for (const char *p = s; *p; p++) CHECK(*p >= 0x20 && *p <= 0x7e);
            free(s);
            free(rw_render_title(&n, NULL));
            free(rw_render_text(&n, "a"));
            free(rw_render_html(&n, "<b>"));
            free(rw_render_console_link(&n));
        }
    }
    rw_json_doc_free(d);
    return 0;
}

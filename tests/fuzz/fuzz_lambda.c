/* Fuzzes the Lambda event parser (rw_lambda_event_parse: EventBridge events, SQS batches whose
 * bodies are events or SNS notifications wrapping them, SNS events). Invariants, each an abort()
 * when broken: parsing returns RW_OK or RW_EINVAL with a message; a parsed event has at least one
 * item; each item has an id, a name, and either an error or a body that is one line of JSON
 * ending in a line break; an EventBridge or SNS event's single item has no error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/in_lambda.h"
#include "util/err.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_lambda: invariant broken at %s:%d: %s\n", __FILE__, __LINE__,    \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1 << 20) return 0;
    rw_lambda_event *ev = NULL;
    int rc = rw_lambda_event_parse(&ev, (const char *)data, size);
    CHECK(rc == RW_OK || rc == RW_EINVAL);
    if (rc != RW_OK) {
        CHECK(ev == NULL);
        CHECK(*rw_error_last() != 0);
        return 0;
    }
    CHECK(ev && ev->nitems > 0);
    for (size_t i = 0; i < ev->nitems; i++) {
        const rw_lambda_item *it = &ev->items[i];
        CHECK(it->id && it->name && *it->name);
        CHECK((it->error != NULL) != (it->body != NULL));
        if (it->body) {
            CHECK(it->len > 0 && it->body[it->len - 1] == '\n');
            CHECK(memchr(it->body, '\n', it->len) == it->body + it->len - 1);
            CHECK(strlen(it->body) == it->len);
        }
        if (ev->kind != RW_LAMBDA_SQS && ev->nitems == 1) CHECK(it->error == NULL);
    }
    rw_lambda_event_free(ev);
    return 0;
}

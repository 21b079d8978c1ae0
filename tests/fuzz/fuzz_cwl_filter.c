/* Fuzzes the CloudWatch Logs filter pattern compiler and evaluator (rules/cwl_filter.c, issue 14).
 *
 * The input is PATTERN \0 EVENT (either may be empty). The pattern must compile or fail cleanly
 * with a message naming an offset; when it compiles it is evaluated on the event's text, on the
 * canonical root cases, and, when the event is JSON, on its tree. Invariants:
 *   - a JSON pattern answers the same on the text and on the parsed tree;
 *   - the empty pattern matches everything;
 *   - the canonical cases' answer is the same twice (no state kept between calls). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/cwl_filter.h"
#include "util/err.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 16384) return 0;
    const char *text = (const char *)data;
    const char *zero = memchr(text, 0, size);
    size_t plen = zero ? (size_t)(zero - text) : size;
    const char *ev = zero ? zero + 1 : "";
    size_t elen = zero ? size - plen - 1 : 0;

    rw_cwl_filter *f = NULL;
    int rc = rw_cwl_filter_compile(&f, text, plen);
    if (rc != 0) {
        if (f || !strstr(rw_error_last(), "filter pattern:")) abort();
        return 0;
    }
    bool line = rw_cwl_filter_match_line(f, ev, elen);
    rw_cwl_kind kind = rw_cwl_filter_kind(f);
    if (kind == RW_CWL_ALL && !line) abort();
    rw_json_opts o = {.max_depth = 512, .max_memory = (size_t)64 << 20};
    rw_json_doc *doc = rw_json_doc_new(&o);
    if (rw_json_doc_parse(doc, ev, elen) == 0) {
        bool tree = rw_cwl_filter_match(f, rw_json_doc_root(doc));
        if (kind == RW_CWL_JSON && tree != line) abort();
    } else if (kind == RW_CWL_JSON && line) {
        abort(); /* a message that is not JSON matches no JSON pattern */
    }
    rw_json_doc_free(doc);
    if (rw_cwl_filter_root_wrong(f) != rw_cwl_filter_root_wrong(f)) abort();
    rw_cwl_filter_free(f);
    return 0;
}

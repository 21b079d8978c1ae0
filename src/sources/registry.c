/* Every source type of rootwatch watch (sources/watch.h): one line per type. */
#include <string.h>

#include "sources/watch.h"

extern const rw_watch_source_type rw_watch_source_sqs;
extern const rw_watch_source_type rw_watch_source_s3, rw_watch_source_lookup_events,
    rw_watch_source_dir, rw_watch_source_sns_http;

/* one line per type, so that adding one is a one-line change */
/* clang-format off */
const rw_watch_source_type *const rw_watch_source_types[] = {
    &rw_watch_source_sqs,
    &rw_watch_source_s3,
    &rw_watch_source_lookup_events,
    &rw_watch_source_dir,
    &rw_watch_source_sns_http,
    NULL,
};
/* clang-format on */

const rw_watch_source_type *rw_watch_source_type_find(const char *type) {
    for (size_t i = 0; type && rw_watch_source_types[i]; i++)
        if (!strcmp(rw_watch_source_types[i]->type, type)) return rw_watch_source_types[i];
    return NULL;
}

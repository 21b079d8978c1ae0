/* The sources: list of rootwatch watch's configuration file (beside store: and channels:, which
 * notify/config.c reads from the same text), each source's options checked against its type's
 * table (sources/watch.h) as a channel's are: unknown options, wrong types and missing required
 * ones are refused with file:line:column, the source and the option named. */
#ifndef RW_SOURCES_WATCH_CONFIG_H
#define RW_SOURCES_WATCH_CONFIG_H

#include <stddef.h>

#include "sources/watch.h"
#include "util/json.h"

typedef struct rw_watch_source_conf {
    char *name;
    const rw_watch_source_type *type;
    rw_opt_values *opts; /* checked, defaults filled in */
} rw_watch_source_conf;

typedef struct rw_watch_config {
    rw_watch_source_conf *sources;
    size_t n, cap;
} rw_watch_config;

/* Reads the sources: list of a configuration's text (name: the file, for messages); a text
 * without sources: gives an empty list. *out is new (freed with rw_watch_config_free); NULL and
 * RW_EINVAL with the message set on the first problem. */
int rw_watch_config_parse(rw_watch_config **out, const char *text, size_t len, const char *name);
/* Adds a source given outside the file (rootwatch watch --sqs URL): settings is an object of its
 * options. A name already used is refused. RW_OK, or RW_EINVAL with the message set. */
int rw_watch_config_add(rw_watch_config *c, const char *name, const char *type,
                        const rw_json *settings);
/* Is a source of that name configured? */
bool rw_watch_config_has(const rw_watch_config *c, const char *name);
void rw_watch_config_free(rw_watch_config *c);

#endif

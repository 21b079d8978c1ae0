/* The pattern text as AWS's JSON parser (Jackson) reads it, for the compiler (pattern_json.c). */
#ifndef RW_PATTERN_JSON_H
#define RW_PATTERN_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/pattern.h"

/* Scans text[0, len) as Jackson would before the pattern is parsed. On a syntax error, or when
 * the first token is not '{' ("Filter is not an object"), fills err->reason and err->offset with
 * Jackson's message and where it applies, and returns false (*copy and *n are then not set).
 * Otherwise returns true with *n the length Jackson reads (up to the end of the root object: text
 * after it is never read) and *copy NULL (read text[0, *n)) or, when an escaped surrogate is
 * unpaired, the text Jackson reads with each such escape as '?', *n bytes long (not
 * NUL-terminated): a new buffer, which the caller frees with free(). */
bool rw_pattern_json_scan(const char *text, size_t len, rw_pattern_error *err, char **copy,
                          size_t *n);

#endif

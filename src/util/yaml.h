/* YAML read into the same tree as JSON, so that rule files can hold event patterns written in
 * YAML. Plain scalars are typed by the YAML 1.2 core schema as JSON sees them: true/false,
 * null/~/empty, JSON numbers (their text kept); everything else, and every quoted scalar, is a
 * string. Node offsets are byte offsets in the YAML text. */
#ifndef RW_YAML_H
#define RW_YAML_H

#include <stddef.h>

#include "util/json.h"

/* Parses the first YAML document of text into doc, whose root it becomes: the tree is owned by doc
 * as a parsed one is (util/json.h) and keeps no pointer into text. On failure returns RW_EINVAL
 * with a message and *err_offset set (byte offset in text; err_offset may be NULL). */
int rw_yaml_parse(rw_json_doc *doc, const char *text, size_t len, size_t *err_offset);

/* Line and column (1-based) of a byte offset in text. */
void rw_yaml_text_position(const char *text, size_t len, size_t offset, size_t *line, size_t *col);

#endif

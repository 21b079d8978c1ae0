/* Writing a template tree (deploy/template.h) out: indented JSON, or block-style YAML that any
 * YAML parser reads as the same tree (strings that could read as something else are quoted; no
 * tags). Both recurse: they are for the trees rootwatch builds, not for input. */
#ifndef RW_DEPLOY_EMIT_H
#define RW_DEPLOY_EMIT_H

#include "util/buf.h"
#include "util/json.h"

/* Appends v as JSON indented by two spaces, with a final newline. */
int rw_deploy_emit_json(rw_buf *out, const rw_json *v);
/* Appends v as YAML (block style, two spaces), with a final newline. */
int rw_deploy_emit_yaml(rw_buf *out, const rw_json *v);

#endif

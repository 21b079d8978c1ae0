/* Writes alerts as a table, JSON, NDJSON or CSV (docs/alert-schema.md). */
#ifndef RW_FORMAT_H
#define RW_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "rules/alert.h"

typedef enum rw_format { RW_FMT_TABLE, RW_FMT_JSON, RW_FMT_NDJSON, RW_FMT_CSV } rw_format;

int rw_format_parse(const char *s, rw_format *out);
/* Makes text from a record safe to show on a terminal, in place: control characters (C0, DEL, and
 * C1 written as UTF-8) become '?', so that an escape sequence in a record cannot rewrite the
 * screen. */
void rw_format_term_safe(char *p, size_t n);

typedef struct rw_writer rw_writer;

/* A new writer to out (borrowed: never closed), freed by rw_writer_end. */
rw_writer *rw_writer_new(FILE *out, rw_format fmt, bool color);
/* Writes one alert (read during the call only). */
int rw_writer_alert(rw_writer *w, const rw_alert *a);
/* Finishes the output (closes a JSON array) and reports a failed write. Frees w. */
int rw_writer_end(rw_writer *w);

#endif

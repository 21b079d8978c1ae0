/* A JSON parser building a tree in an arena, and a compact writer.
 *
 * Written here rather than taken from a library because rootwatch needs, all at once: the original
 * text of numbers (EventBridge compares 300.0 with 300 numerically but also by text), objects that
 * keep repeated keys in order (AWS accepts them in patterns), byte offsets in every error, no
 * recursion (100 000 levels of nesting must fail cleanly), optional repair of invalid UTF-8, and a
 * memory cap. See docs/design-notes.md.
 *
 * Ownership: a document (rw_json_doc_new, freed with rw_json_doc_free) owns every node and every
 * string of its tree, parsed or built by hand: a node, a node's str and key, and every pointer
 * rw_json_doc_root, rw_json_doc_strdup, rw_json_doc_node, rw_json_get, rw_json_get_str and
 * rw_json_path return, are borrowed from it and stay valid until the document is parsed again
 * (rw_json_doc_parse) or freed; none is freed on its own. A tree never points into the text it was
 * parsed from, which the caller may free once rw_json_doc_parse returns. */
#ifndef RW_JSON_H
#define RW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum rw_json_type {
    RW_JSON_NULL,
    RW_JSON_FALSE,
    RW_JSON_TRUE,
    RW_JSON_NUMBER,
    RW_JSON_STRING,
    RW_JSON_ARRAY,
    RW_JSON_OBJECT,
} rw_json_type;

typedef struct rw_json rw_json;
struct rw_json {
    rw_json_type type;
    uint32_t len;    /* STRING: bytes; NUMBER: bytes of text; ARRAY, OBJECT: number of children */
    const char *str; /* STRING: the unescaped value; NUMBER: its text as written (NUL-terminated) */
    const char *key; /* the member name when the parent is an object (unescaped, NUL-terminated) */
    uint32_t key_len;
    rw_json *child; /* ARRAY, OBJECT: first element or member */
    rw_json *next;  /* the next sibling */
    double num;     /* NUMBER: the value (may be +-inf for huge exponents) */
    size_t offset;  /* where the value starts in the input */
};

/* Every string of a document (values, numbers' text, member names) is followed by at least this
 * many readable bytes, so that readers may load a whole machine word at its end (masking off what
 * is past the string). */
#define RW_JSON_SLACK 8

typedef struct rw_json_opts {
    size_t max_depth;          /* deepest nesting accepted (default 512) */
    size_t max_memory;         /* most bytes the tree may use (default 64 MiB) */
    int repair_utf8;           /* replace invalid UTF-8 in strings with U+FFFD instead of failing */
    int surrogate_as_question; /* an unpaired \uD800-\uDFFF escape reads as '?' (as EventBridge,
                                  whose Java strings write them so), not U+FFFD */
    int secret;                /* the document holds secrets (credentials): the tree's memory is
                                  wiped when it is parsed again or freed (util/secret.h) */
} rw_json_opts;

typedef struct rw_json_doc rw_json_doc;

/* A document holds one parsed tree; parsing again reuses its memory (and ends the old tree). opts
 * (copied) may be NULL. */
rw_json_doc *rw_json_doc_new(const rw_json_opts *opts);
void rw_json_doc_free(rw_json_doc *doc);
/* Parses exactly one JSON value (surrounded by optional whitespace). On failure returns
 * RW_EINVAL (or RW_ELIMIT for depth and memory), sets the error message,
 * rw_json_doc_error_offset() tells where, and rw_json_doc_root() is NULL. */
int rw_json_doc_parse(rw_json_doc *doc, const char *data, size_t len);
/* The tree's root (NULL after a failed parse), owned by doc. */
rw_json *rw_json_doc_root(const rw_json_doc *doc);
size_t rw_json_doc_error_offset(const rw_json_doc *doc);
/* How many invalid UTF-8 sequences the last parse replaced (with repair_utf8). */
size_t rw_json_doc_repairs(const rw_json_doc *doc);
/* Copies s[0..n) into the document's memory, NUL-terminated (owned by doc: never freed on its own);
 * NULL when the document's memory limit is reached. */
char *rw_json_doc_strdup(rw_json_doc *doc, const char *s, size_t n);

/* Building trees by hand (for events rootwatch wraps, and YAML converted to JSON). A new node in
 * the document's memory, with text copied for strings and numbers (a number's text must be a JSON
 * number); NULL when the document's memory limit is reached. */
rw_json *rw_json_doc_node(rw_json_doc *doc, rw_json_type type, const char *text, size_t len,
                          size_t offset);
/* Appends child (which must not be in a tree yet) to an array, or to an object under key (copied
 * into the document). Returns false when the memory limit is reached. */
bool rw_json_doc_append(rw_json_doc *doc, rw_json *parent, rw_json *child, const char *key,
                        size_t key_len);
/* Makes root the document's root (for documents built by hand). */
void rw_json_doc_set_root(rw_json_doc *doc, rw_json *root);

/* The member named key (the last one when the key repeats), or NULL. obj may be NULL or not an
 * object. */
rw_json *rw_json_get(const rw_json *obj, const char *key);
/* How many members are named key. */
size_t rw_json_count(const rw_json *obj, const char *key);
/* The member's string value, or NULL when it is absent, not a string, or holds a NUL character
 * (an escaped \u0000: as a C string it would read cut short, so that "Root\u0000x" would pass for
 * "Root"; use rw_json_get and the node's len for such strings). */
const char *rw_json_get_str(const rw_json *obj, const char *key);
/* Does the string node v hold a NUL character? (false for anything but a string) */
bool rw_json_str_has_nul(const rw_json *v);
/* Is v a string equal to lit, over its whole length (embedded NULs included)? */
bool rw_json_str_is(const rw_json *v, const char *lit);
/* A copy of the string node v (a new NUL-terminated string, the caller frees it with free()) in
 * which every NUL character is written as U+FFFD, so that no reader of the copy finds it cut short;
 * *nuls (may be NULL) says how many there were. */
char *rw_json_str_dup_visible(const rw_json *v, size_t *nuls);
/* Follows a dotted path of member names ("userIdentity.sessionContext.attributes"); NULL when a
 * member is missing. */
rw_json *rw_json_path(const rw_json *obj, const char *path);
/* "a string", "an object", ... (a static string). */
const char *rw_json_type_name(rw_json_type t);

/* Appends v as compact JSON. */
int rw_json_write(rw_buf *out, const rw_json *v);
/* Appends s (n bytes of UTF-8) as a quoted, escaped JSON string. */
int rw_json_write_str(rw_buf *out, const char *s, size_t n);

/* Checks that s[0..n) is valid UTF-8; returns the offset of the first invalid byte or n. */
size_t rw_json_utf8_valid_prefix(const char *s, size_t n);

#endif

/* A small XML tree read with expat: elements, their text and their children (AWS's XML replies:
 * no mixed content that matters, attributes ignored).
 *
 * Ownership: the tree owns every node and string in it. The elements and texts rw_xml_find,
 * rw_xml_text and rw_xml_next return are borrowed from it: valid until rw_xml_free of its root. */
#ifndef RW_XML_H
#define RW_XML_H

#include <stddef.h>

typedef struct rw_xml {
    char *name; /* the local name (namespace prefix dropped) */
    char *text; /* the element's character data, NUL-terminated ("" when none) */
    size_t text_len;
    struct rw_xml *child, *next;
} rw_xml;

/* Parses data (copied: it need not outlive the tree); *out is the root element, a new tree which
 * the caller frees with rw_xml_free; NULL on error. On a syntax error returns RW_EINVAL with a
 * message giving the line and column. Elements nest at most 256 deep (RW_ELIMIT past that); a DTD
 * that declares entities is refused. */
int rw_xml_parse(rw_xml **out, const char *data, size_t len);
/* Frees x, its children and the siblings after it: for a root from rw_xml_parse only. NULL is
 * ignored. The texts are not wiped: a caller whose tree holds secrets wipes them first. */
void rw_xml_free(rw_xml *x);
/* The first child of x named name (NULL if none); a path "A/B/C" descends, taking the first match
 * at each step. Components are matched against children only: with root the element
 * <ListBucketResult>, rw_xml_find(root, "ListBucketResult") is NULL and rw_xml_find(root,
 * "Contents/Key") is the first object's key. An empty path is x itself. */
const rw_xml *rw_xml_find(const rw_xml *x, const char *path);
/* The text of rw_xml_find(x, path), or NULL. */
const char *rw_xml_text(const rw_xml *x, const char *path);
/* The next sibling of x named name (x's own name when name is NULL), or NULL: for repeated
 * elements, for (c = rw_xml_find(root, "Contents"); c; c = rw_xml_next(c, "Contents")). */
const rw_xml *rw_xml_next(const rw_xml *x, const char *name);

#endif

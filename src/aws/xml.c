/* AWS's XML replies as a small tree, read with expat. Namespace prefixes are dropped, attributes
 * ignored, and a DTD declaring entities is refused (no reply of AWS's has one, and it is how
 * entity expansion attacks begin). */
#include "aws/xml.h"

#include <expat.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

#define XML_MAX_DEPTH 256

typedef struct level {
    rw_xml *node;
    rw_xml *last; /* the last child so far, for appending in order */
    rw_buf text;
} level;

typedef struct parse_state {
    XML_Parser parser;
    rw_xml *root;
    level stack[XML_MAX_DEPTH];
    int depth;
    int err;         /* set when a handler stopped the parser */
    const char *why; /* what the handler found */
} parse_state;

static const char *local_name(const char *name) {
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static void stop(parse_state *st, int code, const char *why) {
    if (!st->err) {
        st->err = code;
        st->why = why;
    }
    XML_StopParser(st->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
    parse_state *st = ud;
    (void)attrs;
    if (st->err) return;
    if (st->depth >= XML_MAX_DEPTH) {
        stop(st, RW_ELIMIT, "elements nested too deeply");
        return;
    }
    rw_xml *x = rw_xcalloc(1, sizeof *x);
    x->name = rw_xstrdup(local_name(name));
    if (st->depth == 0) {
        st->root = x;
    } else {
        level *parent = &st->stack[st->depth - 1];
        if (parent->last)
            parent->last->next = x;
        else
            parent->node->child = x;
        parent->last = x;
    }
    level *l = &st->stack[st->depth++];
    l->node = x;
    l->last = NULL;
    rw_buf_init(&l->text, 0);
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
    parse_state *st = ud;
    (void)name;
    if (st->err || st->depth == 0) return;
    level *l = &st->stack[--st->depth];
    l->node->text_len = l->text.len;
    l->node->text = rw_buf_take(&l->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
    parse_state *st = ud;
    if (st->err || st->depth == 0 || len <= 0) return;
    int rc = rw_buf_append(&st->stack[st->depth - 1].text, s, (size_t)len);
    if (rc) stop(st, rc, "an element's text is too long");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *entity_name, int is_parameter_entity,
                                   const XML_Char *value, int value_length, const XML_Char *base,
                                   const XML_Char *system_id, const XML_Char *public_id,
                                   const XML_Char *notation_name) {
    (void)entity_name, (void)is_parameter_entity, (void)value, (void)value_length, (void)base;
    (void)system_id, (void)public_id, (void)notation_name;
    stop(ud, RW_EINVAL, "entity declarations are not accepted");
}

int rw_xml_parse(rw_xml **out, const char *data, size_t len) {
    *out = NULL;
    parse_state st;
    memset(&st, 0, sizeof st);
    st.parser = XML_ParserCreate(NULL);
    if (!st.parser) return rw_error_set(RW_EIO, "XML: cannot create a parser");
    XML_SetUserData(st.parser, &st);
    XML_SetElementHandler(st.parser, on_start, on_end);
    XML_SetCharacterDataHandler(st.parser, on_text);
    XML_SetEntityDeclHandler(st.parser, on_entity_decl);

    int rc = RW_OK;
    size_t off = 0;
    do { /* XML_Parse takes an int length: feed huge inputs in pieces */
        size_t n = len - off > INT_MAX / 2 ? INT_MAX / 2 : len - off;
        int final = off + n == len;
        if (XML_Parse(st.parser, data ? data + off : "", (int)n, final) != XML_STATUS_OK) {
            unsigned long line = XML_GetCurrentLineNumber(st.parser);
            unsigned long col = XML_GetCurrentColumnNumber(st.parser) + 1;
            if (st.err)
                rc = rw_error_set(st.err, "XML at line %lu, column %lu: %s", line, col, st.why);
            else
                rc = rw_error_set(RW_EINVAL, "XML syntax error at line %lu, column %lu: %s", line,
                                  col, XML_ErrorString(XML_GetErrorCode(st.parser)));
            break;
        }
        off += n;
    } while (off < len);

    /* the open elements' texts (after an error) were never handed to their nodes */
    for (int i = 0; i < st.depth; i++) rw_buf_free(&st.stack[i].text);
    XML_ParserFree(st.parser);
    if (rc) {
        rw_xml_free(st.root); /* the elements left open have a NULL text: free() takes it */
        return rc;
    }
    *out = st.root;
    return RW_OK;
}

void rw_xml_free(rw_xml *x) {
    while (x) {
        rw_xml *next = x->next;
        rw_xml_free(x->child); /* depth is at most XML_MAX_DEPTH */
        free(x->name);
        free(x->text);
        free(x);
        x = next;
    }
}

static const rw_xml *child_named(const rw_xml *x, const char *name, size_t n) {
    for (const rw_xml *c = x->child; c; c = c->next)
        if (strlen(c->name) == n && memcmp(c->name, name, n) == 0) return c;
    return NULL;
}

const rw_xml *rw_xml_find(const rw_xml *x, const char *path) {
    if (!x || !path) return NULL;
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0) return NULL;
        x = child_named(x, p, n);
        if (!x) return NULL;
        p += n;
        if (*p == '/') {
            p++;
            if (!*p) return NULL; /* "A/" */
        }
    }
    return x;
}

const char *rw_xml_text(const rw_xml *x, const char *path) {
    const rw_xml *f = rw_xml_find(x, path);
    return f ? f->text : NULL;
}

const rw_xml *rw_xml_next(const rw_xml *x, const char *name) {
    if (!x) return NULL;
    if (!name) name = x->name;
    for (const rw_xml *s = x->next; s; s = s->next)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

#include "util/yaml.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

#include "util/err.h"

#define MAX_NODES 1000000 /* aliases can multiply a small file: bound what they expand to */
#define MAX_DEPTH 256

typedef struct conv {
    rw_json_doc *doc;
    yaml_document_t *y;
    size_t nodes;
    size_t *err_offset;
} conv;

static bool is_json_number(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return false;
    if (s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return false;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return false;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    return i == n;
}

static bool word(const char *s, size_t n, const char *a, const char *b, const char *c) {
    return (strlen(a) == n && !memcmp(s, a, n)) || (strlen(b) == n && !memcmp(s, b, n)) ||
           (strlen(c) == n && !memcmp(s, c, n));
}

static int fail(conv *c, const yaml_node_t *n, const char *msg) {
    *c->err_offset = n ? n->start_mark.index : 0;
    return rw_error_set(RW_EINVAL, "%s", msg);
}

/* Appends child to parent (an array, or an object under key) as rw_json_doc_append does, but at
 * *tail, the end of parent's children, which it then moves on: rw_json_doc_append walks the list
 * to its end, so a sequence of n items took n^2/2 steps (a configuration of 126,000 channels did
 * not load in two minutes). False when the document's memory limit is reached. */
static bool append_at(conv *c, rw_json *parent, rw_json ***tail, rw_json *child, const char *key,
                      size_t key_len) {
    if (parent->type == RW_JSON_OBJECT) {
        if (key_len > UINT32_MAX || !(child->key = rw_json_doc_strdup(c->doc, key, key_len)))
            return false;
        child->key_len = (uint32_t)key_len;
    }
    if (parent->len == UINT32_MAX) return false;
    child->next = NULL;
    **tail = child;
    *tail = &child->next;
    parent->len++;
    return true;
}

static int convert(conv *c, yaml_node_t *n, int depth, rw_json **out) {
    if (++c->nodes > MAX_NODES) return fail(c, n, "the YAML expands to too many nodes (aliases?)");
    if (depth > MAX_DEPTH) return fail(c, n, "the YAML is nested too deeply");
    size_t off = n->start_mark.index;
    rw_json *v = NULL, **tail;
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)n->data.scalar.value;
        size_t len = n->data.scalar.length;
        rw_json_type t = RW_JSON_STRING;
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            if (len == 0 || word(s, len, "null", "Null", "NULL") || (len == 1 && s[0] == '~'))
                t = RW_JSON_NULL;
            else if (word(s, len, "true", "True", "TRUE"))
                t = RW_JSON_TRUE;
            else if (word(s, len, "false", "False", "FALSE"))
                t = RW_JSON_FALSE;
            else if (is_json_number(s, len))
                t = RW_JSON_NUMBER;
        }
        v = rw_json_doc_node(c->doc, t, s, len, off);
        break;
    }
    case YAML_SEQUENCE_NODE:
        v = rw_json_doc_node(c->doc, RW_JSON_ARRAY, NULL, 0, off);
        tail = v ? &v->child : NULL;
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             v && it < n->data.sequence.items.top; it++) {
            rw_json *e;
            int rc = convert(c, yaml_document_get_node(c->y, *it), depth + 1, &e);
            if (rc) return rc;
            if (!append_at(c, v, &tail, e, NULL, 0)) v = NULL;
        }
        break;
    case YAML_MAPPING_NODE:
        v = rw_json_doc_node(c->doc, RW_JSON_OBJECT, NULL, 0, off);
        tail = v ? &v->child : NULL;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; v && p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(c->y, p->key);
            if (!k || k->type != YAML_SCALAR_NODE)
                return fail(c, k, "a mapping key must be a plain string");
            rw_json *e;
            int rc = convert(c, yaml_document_get_node(c->y, p->value), depth + 1, &e);
            if (rc) return rc;
            if (!append_at(c, v, &tail, e, (const char *)k->data.scalar.value,
                           k->data.scalar.length))
                v = NULL;
        }
        break;
    default:
        return fail(c, n, "an empty YAML node");
    }
    if (!v) return fail(c, n, "the YAML is too large");
    *out = v;
    return RW_OK;
}

int rw_yaml_parse(rw_json_doc *doc, const char *text, size_t len, size_t *err_offset) {
    yaml_parser_t parser;
    yaml_document_t y;
    size_t scratch;
    if (!err_offset) err_offset = &scratch;
    *err_offset = 0;
    if (!yaml_parser_initialize(&parser))
        return rw_error_set(RW_EINVAL, "cannot start the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = RW_OK;
    if (!yaml_parser_load(&parser, &y)) {
        *err_offset = parser.problem_mark.index;
        rc = rw_error_set(RW_EINVAL, "YAML: %s%s%s",
                          parser.problem ? parser.problem : "syntax error",
                          parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&y);
    if (!root) {
        rc = rw_error_set(RW_EINVAL, "the YAML text is empty");
    } else {
        conv c = {doc, &y, 0, err_offset};
        rw_json *r;
        rc = convert(&c, root, 0, &r);
        if (!rc) rw_json_doc_set_root(doc, r);
    }
    yaml_document_delete(&y);
    yaml_parser_delete(&parser);
    return rc;
}

void rw_yaml_text_position(const char *text, size_t len, size_t offset, size_t *line, size_t *col) {
    size_t l = 1, c = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n')
            l++, c = 1;
        else if (((unsigned char)text[i] & 0xC0) != 0x80)
            c++;
    }
    *line = l;
    *col = c;
}

#include "sources/watch_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include "util/yaml.h"

/* as channel names: letters, digits, - _ .; at most 64 */
static bool valid_name(const char *s) {
    if (!*s || strlen(s) > 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

bool rw_watch_config_has(const rw_watch_config *c, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->sources[i].name, name)) return true;
    return false;
}

void rw_watch_config_free(rw_watch_config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->sources[i].name);
        rw_opt_values_free(c->sources[i].opts);
    }
    free(c->sources);
    free(c);
}

static void types_list(rw_buf *e) {
    rw_buf_puts(e, " (there are:");
    for (size_t i = 0; rw_watch_source_types[i]; i++)
        rw_buf_printf(e, " %s", rw_watch_source_types[i]->type);
    rw_buf_puts(e, ")");
}

/* Checks and adds one source; the message (without a position) in e on error. */
static void add(rw_watch_config *c, const char *name, const char *type, const rw_json *settings,
                rw_buf *e) {
    if (!name || !valid_name(name)) {
        rw_buf_puts(e, "a source needs a name (letters, digits, - _ .; at most 64)");
        return;
    }
    if (rw_watch_config_has(c, name)) {
        rw_buf_printf(e, "source %s: the name is used twice", name);
        return;
    }
    const rw_watch_source_type *t = type ? rw_watch_source_type_find(type) : NULL;
    if (!t) {
        rw_buf_printf(e, "source %s: %s type '%s'", name, type ? "unknown" : "no",
                      type ? type : "");
        types_list(e);
        return;
    }
    char *msg = NULL;
    rw_opt_values *v = rw_opt_values_parse(t->opts, "source", t->type, settings, name, &msg);
    if (!v) {
        rw_buf_puts(e, msg ? msg : "bad options");
        free(msg);
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4;
        c->sources = rw_xrealloc(c->sources, c->cap * sizeof *c->sources);
    }
    c->sources[c->n++] = (rw_watch_source_conf){rw_xstrdup(name), t, v};
}

int rw_watch_config_add(rw_watch_config *c, const char *name, const char *type,
                        const rw_json *settings) {
    rw_buf e;
    rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
    add(c, name, type, settings, &e);
    int rc = e.len ? rw_error_set(RW_EINVAL, "%s", e.data) : RW_OK;
    rw_buf_free(&e);
    return rc;
}

int rw_watch_config_parse(rw_watch_config **out, const char *text, size_t len, const char *name) {
    *out = NULL;
    rw_json_opts jo = {.secret = 1}; /* options may be secrets: wiped when the tree is freed */
    rw_json_doc *doc = rw_json_doc_new(&jo);
    rw_watch_config *c = rw_xcalloc(1, sizeof *c);
    rw_buf e;
    rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
    size_t eoff = 0, line, col;
    if (rw_yaml_parse(doc, text, len, &eoff) != RW_OK) {
        rw_yaml_text_position(text, len, eoff, &line, &col);
        rw_buf_printf(&e, "%s:%zu:%zu: %s", name, line, col, rw_error_last());
    }
    const rw_json *root = e.len ? NULL : rw_json_doc_root(doc);
    const rw_json *list =
        root && root->type == RW_JSON_OBJECT ? rw_json_get(root, "sources") : NULL;
    if (list && list->type != RW_JSON_ARRAY && list->type != RW_JSON_NULL) {
        rw_yaml_text_position(text, len, list->offset, &line, &col);
        rw_buf_printf(&e, "%s:%zu:%zu: sources: must be a list of sources (name, type, options)",
                      name, line, col);
    }
    for (const rw_json *s = list && !e.len && list->type == RW_JSON_ARRAY ? list->child : NULL;
         s && !e.len; s = s->next) {
        rw_yaml_text_position(text, len, s->offset, &line, &col);
        rw_buf_printf(&e, "%s:%zu:%zu: ", name, line, col);
        size_t mark = e.len;
        if (s->type != RW_JSON_OBJECT) {
            rw_buf_puts(&e, "a source must be a mapping (name, type, options)");
            break;
        }
        const rw_json *nj = rw_json_get(s, "name"), *tj = rw_json_get(s, "type");
        const char *sname = nj && nj->type == RW_JSON_STRING ? nj->str : NULL;
        const char *stype = tj && tj->type == RW_JSON_STRING ? tj->str : NULL;
        static const char *const skip[] = {"name", "type", NULL};
        rw_json_doc *sd = rw_opt_settings_copy(s, skip);
        add(c, sname, stype, rw_json_doc_root(sd), &e);
        rw_json_doc_free(sd);
        if (e.len == mark) rw_buf_reset(&e); /* no problem: the position goes */
    }
    rw_json_doc_free(doc);
    if (e.len) {
        int rc = rw_error_set(RW_EINVAL, "%s", e.data);
        rw_buf_free(&e);
        rw_watch_config_free(c);
        return rc;
    }
    rw_buf_free(&e);
    *out = c;
    return RW_OK;
}

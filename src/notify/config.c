/* The notification configuration (YAML): channels, their options checked against each type's
 * table, secrets read from the environment or files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "notify/notify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/http.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/strset.h"
#include "util/xmalloc.h"
#include "util/yaml.h"

/* ---- option values ---- */

typedef struct opt_value {
    const rw_opt_spec *spec;
    bool set;
    char *str;
    long num;
    bool flag;
    char **list; /* NULL-terminated */
} opt_value;

struct rw_opt_values {
    size_t n;
    opt_value *v;
};

static const char *const no_items[] = {NULL};

static const opt_value *find_value(const rw_opt_values *v, const char *name) {
    for (size_t i = 0; v && i < v->n; i++)
        if (!strcmp(v->v[i].spec->name, name)) return &v->v[i];
    return NULL;
}

const char *rw_opt_str(const rw_opt_values *v, const char *name) {
    const opt_value *o = find_value(v, name);
    return o && o->set ? o->str : NULL;
}

long rw_opt_int(const rw_opt_values *v, const char *name) {
    const opt_value *o = find_value(v, name);
    return o && o->set ? o->num : 0;
}

bool rw_opt_bool(const rw_opt_values *v, const char *name) {
    const opt_value *o = find_value(v, name);
    return o && o->set && o->flag;
}

const char *const *rw_opt_list(const rw_opt_values *v, const char *name) {
    const opt_value *o = find_value(v, name);
    return o && o->set && o->list ? (const char *const *)o->list : no_items;
}

void rw_opt_values_free(rw_opt_values *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        opt_value *o = &v->v[i];
        if (o->str) rw_secret_free(o->str, strlen(o->str));
        for (char **p = o->list; p && *p; p++) rw_secret_free(*p, strlen(*p));
        free(o->list);
    }
    free(v->v);
    free(v);
}

/* A secret's value: "env:NAME" reads the variable, "file:PATH" the file (trailing line breaks
 * dropped); anything else is the value itself. */
static char *resolve_secret(const char *s, const char *kind, const char *chan, const char *opt,
                            char **err) {
    rw_buf e;
    rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
    char *out = NULL;
    if (!strncmp(s, "env:", 4)) {
        const char *v = getenv(s + 4);
        if (!v || !*v)
            rw_buf_printf(&e, "%s %s: option %s: the environment variable %s is not set", kind,
                          chan, opt, s + 4);
        else
            out = rw_xstrdup(v);
    } else if (!strncmp(s, "file:", 5)) {
        rw_buf b;
        rw_buf_init(&b, 1 << 20);
        rw_buf_set_secret(&b); /* taken: freed with rw_secret_free as every option's value */
        int rc = rw_buf_read_file(&b, s + 5);
        while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
            b.data[--b.len] = 0;
        if (rc != RW_OK || !b.len) {
            if (rc != RW_OK)
                rw_buf_printf(&e, "%s %s: option %s: cannot read %s", kind, chan, opt,
                              rw_error_last());
            else
                rw_buf_printf(&e, "%s %s: option %s: %s is empty", kind, chan, opt, s + 5);
            rw_buf_free(&b);
        } else {
            out = rw_buf_take(&b);
        }
    } else {
        out = rw_xstrdup(s);
    }
    if (e.len) *err = rw_buf_take(&e);
    rw_buf_free(&e);
    return out;
}

static int set_from_text(opt_value *o, const char *text, const char *kind, const char *chan,
                         char **err) {
    const rw_opt_spec *sp = o->spec;
    switch (sp->type) {
    case RW_OPT_STRING:
        o->str = rw_xstrdup(text);
        break;
    case RW_OPT_SECRET:
    case RW_OPT_URL:
    case RW_OPT_SECRET_URL:
        o->str = resolve_secret(text, kind, chan, sp->name, err);
        if (!o->str) return RW_EINVAL;
        if (sp->type != RW_OPT_SECRET) {
            bool https = !strncmp(o->str, "https://", 8);
            bool local = !strncmp(o->str, "http://", 7) && rw_http_is_loopback(o->str);
            if (!https && !local) {
                rw_buf e;
                rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
                /* never the URL itself: it may hold a token */
                rw_buf_printf(&e,
                              "%s %s: option %s: the URL must be https:// (plain http:// only to a "
                              "loopback address)",
                              kind, chan, sp->name);
                *err = rw_buf_take(&e);
                return RW_EINVAL;
            }
        }
        break;
    case RW_OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end) {
            rw_buf e;
            rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
            rw_buf_printf(&e, "%s %s: option %s: '", kind, chan, sp->name);
            rw_opt_show(&e, sp->type, text);
            rw_buf_puts(&e, "' is not a whole number");
            *err = rw_buf_take(&e);
            return RW_EINVAL;
        }
        o->num = v;
        break;
    }
    case RW_OPT_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcmp(text, "1"))
            o->flag = true;
        else if (!strcasecmp(text, "false") || !strcasecmp(text, "no") || !strcmp(text, "0"))
            o->flag = false;
        else {
            rw_buf e;
            rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
            rw_buf_printf(&e, "%s %s: option %s: '", kind, chan, sp->name);
            rw_opt_show(&e, sp->type, text);
            rw_buf_puts(&e, "' is not true or false");
            *err = rw_buf_take(&e);
            return RW_EINVAL;
        }
        break;
    case RW_OPT_LIST:
    case RW_OPT_HEADERS:
        o->list = rw_xcalloc(2, sizeof *o->list);
        o->list[0] = rw_xstrdup(text);
        break;
    }
    o->set = true;
    return RW_OK;
}

rw_opt_values *rw_opt_values_from_json(const rw_channel_type *t, const rw_json *settings,
                                       const char *chan, char **err) {
    return rw_opt_values_parse(t->opts, "channel", t->type, settings, chan, err);
}

rw_opt_values *rw_opt_values_parse(const rw_opt_spec *specs, const char *kind, const char *type,
                                   const rw_json *settings, const char *chan, char **err) {
    *err = NULL;
    rw_opt_values *v = rw_xcalloc(1, sizeof *v);
    for (const rw_opt_spec *sp = specs; sp && sp->name; sp++) v->n++;
    v->v = rw_xcalloc(v->n ? v->n : 1, sizeof *v->v);
    size_t i = 0;
    for (const rw_opt_spec *sp = specs; sp && sp->name; sp++) v->v[i++].spec = sp;
    rw_buf e;
    rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
    /* unknown options first: a typo must not pass for a missing option */
    for (const rw_json *m = settings && settings->type == RW_JSON_OBJECT ? settings->child : NULL;
         m; m = m->next) {
        opt_value *o = (opt_value *)find_value(v, m->key);
        if (!o) {
            rw_buf_printf(&e, "%s %s: unknown option '%s' for a %s %s (it has:", kind, chan, m->key,
                          type, kind);
            for (size_t k = 0; k < v->n; k++) rw_buf_printf(&e, " %s", v->v[k].spec->name);
            rw_buf_puts(&e, ")");
            break;
        }
        if (o->set) {
            rw_buf_printf(&e, "%s %s: option %s is given twice", kind, chan, m->key);
            break;
        }
        char *msg = NULL;
        int rc = RW_OK;
        if (m->type == RW_JSON_STRING || m->type == RW_JSON_NUMBER) {
            rc = set_from_text(o, m->str, kind, chan, &msg);
        } else if (m->type == RW_JSON_TRUE || m->type == RW_JSON_FALSE) {
            if (o->spec->type == RW_OPT_BOOL) {
                o->flag = m->type == RW_JSON_TRUE;
                o->set = true;
            } else {
                rc = set_from_text(o, m->type == RW_JSON_TRUE ? "true" : "false", kind, chan, &msg);
            }
        } else if (m->type == RW_JSON_ARRAY && rw_opt_type_list(o->spec->type)) {
            size_t n = 0;
            o->list = rw_xcalloc(m->len + 1, sizeof *o->list);
            for (const rw_json *it = m->child; it; it = it->next) {
                if (it->type != RW_JSON_STRING) {
                    rw_buf_printf(&e, "%s %s: option %s: every item must be a string", kind, chan,
                                  m->key);
                    break;
                }
                o->list[n++] = rw_xstrdup(it->str);
            }
            o->set = true;
        } else if (m->type == RW_JSON_NULL) {
            /* "option:" with nothing after it: unset */
        } else {
            rw_buf_printf(&e, "%s %s: option %s: a %s is not a %s", kind, chan, m->key,
                          rw_json_type_name(m->type),
                          rw_opt_type_list(o->spec->type) ? "list of strings" : "value");
        }
        if (rc != RW_OK && msg) {
            rw_buf_puts(&e, msg);
            free(msg);
        }
        if (e.len) break;
    }
    for (size_t k = 0; k < v->n && !e.len; k++) {
        opt_value *o = &v->v[k];
        if (o->set) continue;
        if (o->spec->def) {
            char *msg = NULL;
            if (set_from_text(o, o->spec->def, kind, chan, &msg) != RW_OK) {
                rw_buf_puts(&e, msg ? msg : "bad default");
                free(msg);
            }
        } else if (o->spec->required) {
            rw_buf_printf(&e, "%s %s: option %s is required for a %s %s (%s)", kind, chan,
                          o->spec->name, type, kind, o->spec->help ? o->spec->help : "");
        }
    }
    if (e.len) {
        *err = rw_buf_take(&e);
        rw_opt_values_free(v);
        return NULL;
    }
    rw_buf_free(&e);
    return v;
}

/* ---- the shared environment ---- */

rw_aws_session *rw_notify_aws(rw_notify_env *env) {
    pthread_mutex_lock(&env->lock);
    rw_aws_session *s = NULL;
    if (env->aws_open || rw_aws_session_open(&env->aws, &env->aws_opts) == RW_OK) {
        env->aws_open = true;
        s = &env->aws;
    }
    pthread_mutex_unlock(&env->lock);
    return s;
}

/* ---- the configuration file ---- */

char *rw_notify_config_find(const char *path) {
    if (path) return rw_xstrdup(path);
    const char *e = getenv("ROOTWATCH_CONFIG");
    if (e && *e) return rw_xstrdup(e);
    char buf[4096];
    struct stat st;
    if (stat("rootwatch.yaml", &st) == 0) return rw_xstrdup("rootwatch.yaml");
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, sizeof buf, "%s/rootwatch/config.yaml", xdg);
    else if (home && *home)
        snprintf(buf, sizeof buf, "%s/.config/rootwatch/config.yaml", home);
    else
        buf[0] = 0;
    if (buf[0] && stat(buf, &st) == 0) return rw_xstrdup(buf);
    if (stat("/etc/rootwatch/config.yaml", &st) == 0)
        return rw_xstrdup("/etc/rootwatch/config.yaml");
    return NULL;
}

static void free_channel(rw_channel *ch) {
    if (!ch) return;
    if (ch->state && ch->type && ch->type->close) ch->type->close(ch);
    free(ch->name);
    rw_opt_values_free(ch->opts);
    for (char **p = ch->rules; p && *p; p++) free(*p);
    free(ch->rules);
    free(ch);
}

void rw_notify_config_free(rw_notify_config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nchannels; i++) free_channel(c->channels[i]);
    free(c->channels);
    free(c->path);
    free(c->store_path);
    if (c->env.aws_open) rw_aws_session_close(&c->env.aws);
    pthread_mutex_destroy(&c->env.lock);
    free(c);
}

rw_channel *rw_notify_channel(const rw_notify_config *c, const char *name) {
    for (size_t i = 0; i < c->nchannels; i++)
        if (!strcmp(c->channels[i]->name, name)) return c->channels[i];
    return NULL;
}

static bool valid_name(const char *s) {
    if (!*s || strlen(s) > 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

/* Copies a member of a mapping (a scalar, or a list of scalars) into settings, an object of sd. */
static void copy_member(rw_json_doc *sd, rw_json *settings, const rw_json *m) {
    rw_json *copy = rw_json_doc_node(sd, m->type, m->str, m->len, m->offset);
    if (m->type == RW_JSON_ARRAY)
        for (const rw_json *it = m->child; it; it = it->next)
            rw_json_doc_append(
                sd, copy, rw_json_doc_node(sd, it->type, it->str, it->len, it->offset), NULL, 0);
    if (m->type == RW_JSON_NUMBER) copy->num = m->num;
    rw_json_doc_append(sd, settings, copy, m->key, m->key_len);
}

rw_json_doc *rw_opt_settings_copy(const rw_json *obj, const char *const *skip) {
    rw_json_opts jo = {.secret = 1}; /* settings may hold secrets: wiped when freed */
    rw_json_doc *sd = rw_json_doc_new(&jo);
    rw_json *settings = rw_json_doc_node(sd, RW_JSON_OBJECT, NULL, 0, 0);
    rw_json_doc_set_root(sd, settings);
    for (const rw_json *m = obj && obj->type == RW_JSON_OBJECT ? obj->child : NULL; m;
         m = m->next) {
        bool skipped = false;
        for (const char *const *k = skip; k && *k && !skipped; k++) skipped = !strcmp(m->key, *k);
        if (!skipped) copy_member(sd, settings, m);
    }
    return sd;
}

/* "line:column" of a byte offset */
static const char *pos(const char *text, size_t len, size_t off, char buf[48]) {
    size_t line, col;
    rw_yaml_text_position(text, len, off, &line, &col);
    snprintf(buf, 48, "%zu:%zu", line, col);
    return buf;
}

int rw_notify_config_parse(rw_notify_config **out, const char *text, size_t len, const char *name) {
    *out = NULL;
    rw_json_opts jo = {.secret = 1}; /* the channels' secrets: wiped when the trees are freed */
    rw_json_doc *doc = rw_json_doc_new(&jo);
    size_t eoff = 0;
    rw_buf e;
    rw_buf_init(&e, RW_BUF_DEFAULT_MAX);
    rw_notify_config *c = rw_xcalloc(1, sizeof *c);
    c->path = rw_xstrdup(name);
    pthread_mutex_init(&c->env.lock, NULL);
    rw_strset names = {0}; /* the channels' names so far */
    size_t cap = 0;        /* of c->channels */
    char pb[48];
#define AT(node) pos(text, len, (node)->offset, pb)
    if (rw_yaml_parse(doc, text, len, &eoff) != RW_OK) {
        rw_buf_printf(&e, "%s:%s: %s", name, pos(text, len, eoff, pb), rw_error_last());
        goto done;
    }
    const rw_json *root = rw_json_doc_root(doc);
    if (root->type != RW_JSON_OBJECT) {
        rw_buf_printf(&e, "%s: the configuration must be a mapping with a 'channels' list", name);
        goto done;
    }
    for (const rw_json *m = root->child; m && !e.len; m = m->next) {
        if (!strcmp(m->key, "store")) {
            if (m->type != RW_JSON_STRING)
                rw_buf_printf(&e, "%s:%s: store: must be a path", name, AT(m));
            else if (c->store_path)
                rw_buf_printf(&e, "%s:%s: store: is given twice", name, AT(m));
            else
                c->store_path = rw_xstrdup(m->str);
        } else if (strcmp(m->key, "channels") && strcmp(m->key, "sources")) {
            /* sources: rootwatch watch's, read and checked by the sources module (watch.h) */
            rw_buf_printf(&e, "%s:%s: unknown setting '%s' (there are: channels, sources, store)",
                          name, AT(m), m->key);
        }
    }
    const rw_json *chans = rw_json_get(root, "channels");
    if (!e.len && (!chans || chans->type != RW_JSON_ARRAY))
        rw_buf_printf(&e, "%s: 'channels' must be a list of channels", name);
    for (const rw_json *cj = chans && !e.len ? chans->child : NULL; cj && !e.len; cj = cj->next) {
        if (cj->type != RW_JSON_OBJECT) {
            rw_buf_printf(&e, "%s:%s: a channel must be a mapping (name, type, options)", name,
                          AT(cj));
            break;
        }
        const char *cname = rw_json_get_str(cj, "name"), *ctype = rw_json_get_str(cj, "type");
        if (!cname || !valid_name(cname)) {
            rw_buf_printf(&e, "%s:%s: a channel needs a name (letters, digits, - _ .; at most 64)",
                          name, AT(cj));
            break;
        }
        if (!rw_strset_add(&names, cname)) { /* a hash set: a linear search made loading n^2 */
            rw_buf_printf(&e, "%s:%s: channel %s: the name is used twice", name, AT(cj), cname);
            break;
        }
        const rw_channel_type *t = ctype ? rw_channel_type_find(ctype) : NULL;
        if (!t) {
            rw_buf_printf(&e, "%s:%s: channel %s: %s type '%s' (there are:", name, AT(cj), cname,
                          ctype ? "unknown" : "no", ctype ? ctype : "");
            for (size_t i = 0; rw_channel_types[i]; i++)
                rw_buf_printf(&e, " %s", rw_channel_types[i]->type);
            rw_buf_puts(&e, ")");
            break;
        }
        rw_channel *ch = rw_xcalloc(1, sizeof *ch);
        ch->name = rw_xstrdup(cname);
        ch->type = t;
        ch->min_severity = RW_SEV_LOW;
        ch->max_attempts = 8;
        ch->env = &c->env;
        if (c->nchannels == cap) {
            cap = cap ? 2 * cap : 8;
            c->channels = rw_xrealloc(c->channels, cap * sizeof *c->channels);
        }
        c->channels[c->nchannels++] = ch;
        /* the channel's own settings, and the options of its type */
        rw_json_doc *sd = rw_json_doc_new(&jo);
        rw_json *settings = rw_json_doc_node(sd, RW_JSON_OBJECT, NULL, 0, 0);
        rw_json_doc_set_root(sd, settings);
        for (const rw_json *m = cj->child; m && !e.len; m = m->next) {
            if (!strcmp(m->key, "name") || !strcmp(m->key, "type")) continue;
            if (!strcmp(m->key, "min_severity")) {
                if (m->type != RW_JSON_STRING ||
                    rw_alert_severity_parse(m->str, &ch->min_severity) != RW_OK)
                    rw_buf_printf(&e,
                                  "%s:%s: channel %s: min_severity is one of low, medium, "
                                  "high, critical",
                                  name, AT(m), cname);
            } else if (!strcmp(m->key, "max_attempts")) {
                if (m->type != RW_JSON_NUMBER || m->num < 1 || m->num > 100 ||
                    m->num != (int)m->num)
                    rw_buf_printf(&e,
                                  "%s:%s: channel %s: max_attempts is a whole number from 1 to 100",
                                  name, AT(m), cname);
                else {
                    ch->max_attempts = (int)m->num;
                    ch->max_attempts_set = true;
                }
            } else if (!strcmp(m->key, "retry_for")) {
                int64_t secs = 0;
                if (m->type != RW_JSON_STRING || rw_duration_parse(m->str, &secs) != RW_OK ||
                    secs < 60 || secs > 30 * 86400)
                    rw_buf_printf(&e,
                                  "%s:%s: channel %s: retry_for is a duration from 1m to 30d "
                                  "(e.g. 6h, 3d)",
                                  name, AT(m), cname);
                else
                    ch->retry_for_s = secs;
            } else if (!strcmp(m->key, "rules")) {
                if (ch->rules) {
                    rw_buf_printf(&e, "%s:%s: channel %s: rules is given twice", name, AT(m),
                                  cname);
                    break;
                }
                size_t n = 0;
                const rw_json *it = m->type == RW_JSON_ARRAY ? m->child : m;
                ch->rules =
                    rw_xcalloc((m->type == RW_JSON_ARRAY ? m->len : 1) + 1, sizeof *ch->rules);
                for (; it && !e.len; it = m->type == RW_JSON_ARRAY ? it->next : NULL) {
                    if (it->type != RW_JSON_STRING)
                        rw_buf_printf(&e, "%s:%s: channel %s: rules is a list of rule ids", name,
                                      AT(it), cname);
                    else
                        ch->rules[n++] = rw_xstrdup(it->str);
                }
            } else {
                copy_member(sd, settings, m);
            }
        }
        if (!e.len) {
            char *msg = NULL;
            ch->opts = rw_opt_values_from_json(t, settings, cname, &msg);
            if (!ch->opts) {
                rw_buf_printf(&e, "%s:%s: %s", name, AT(cj), msg ? msg : "bad options");
                free(msg);
            } else if (t->open && t->open(ch) != RW_OK) {
                /* the type's own words, with whatever of a secret they might quote taken out */
                rw_buf_printf(&e, "%s:%s: ", name, AT(cj));
                const char *msg = rw_error_last();
                rw_channel_scrub(ch, &e, msg, strlen(msg));
            }
        }
        rw_json_doc_free(sd);
    }
    if (!e.len && c->nchannels == 0) rw_buf_printf(&e, "%s: no channel is configured", name);
done:
#undef AT
    rw_strset_free(&names);
    rw_json_doc_free(doc);
    if (e.len) {
        rw_error_set(RW_EINVAL, "%s", e.data);
        rw_buf_free(&e);
        rw_notify_config_free(c);
        return RW_EINVAL;
    }
    rw_buf_free(&e);
    *out = c;
    return RW_OK;
}

int rw_notify_config_load(rw_notify_config **out, const char *path) {
    *out = NULL;
    rw_buf b;
    rw_buf_init(&b, 16 << 20);
    rw_buf_set_secret(&b); /* it may hold secrets */
    int rc = rw_buf_read_file(&b, path);
    if (rc == RW_OK)
        rc = rw_notify_config_parse(out, b.data, b.len, path);
    else
        rw_error_wrap(rc, "cannot read the configuration");
    rw_buf_free(&b);
    return rc;
}

/* ---- helpers for channels ---- */

const char *rw_notice_field(const rw_notice *n, const char *path) {
    const rw_json *v = rw_json_path(n->alert, path);
    return v && (v->type == RW_JSON_STRING || v->type == RW_JSON_NUMBER) ? v->str : "";
}

bool rw_channel_wants(const rw_channel *ch, const rw_json *alert) {
    rw_severity sev = RW_SEV_LOW;
    const char *s = rw_json_get_str(alert, "severity");
    if (s) rw_alert_severity_parse(s, &sev);
    if (sev < ch->min_severity) return false;
    if (!ch->rules) return true;
    const rw_json *rules = rw_json_get(alert, "rules");
    for (char **r = ch->rules; *r; r++) {
        for (const rw_json *it = rules ? rules->child : NULL; it; it = it->next)
            if (it->type == RW_JSON_STRING && !strcmp(it->str, *r)) return true;
        const char *rule = rw_json_get_str(alert, "rule");
        if (rule && !strcmp(rule, *r)) return true;
    }
    return false;
}

char *rw_notify_config_store(void) {
    char *path = rw_notify_config_find(NULL);
    if (!path) return NULL;
    char *out = NULL;
    rw_buf b;
    rw_buf_init(&b, 16 << 20);
    rw_buf_set_secret(&b); /* the configuration may hold secrets */
    if (rw_buf_read_file(&b, path) == RW_OK) {
        rw_json_opts jo = {.secret = 1};
        rw_json_doc *doc = rw_json_doc_new(&jo);
        size_t eoff;
        if (rw_yaml_parse(doc, b.data, b.len, &eoff) == RW_OK) {
            const char *st = rw_json_get_str(rw_json_doc_root(doc), "store");
            if (st && *st) out = rw_xstrdup(st);
        }
        rw_json_doc_free(doc);
    }
    rw_buf_free(&b);
    free(path);
    return out;
}

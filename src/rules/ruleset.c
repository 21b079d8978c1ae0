#include "rules/ruleset.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"
#include "util/yaml.h"

extern const unsigned char rw_builtin_rules[];
extern const size_t rw_builtin_rules_len;

#define MAX_RULE_FILE ((size_t)16 << 20)

struct rw_ruleset {
    rw_rule *rules;
    size_t n, cap;
    rw_matcher *matcher;
    size_t *owner_rule; /* per matcher pattern: its rule */
    long *owner_exc;    /* per matcher pattern: its exception, or -1 for the rule's own pattern */
    size_t npatterns;
    char **literals;
    size_t nliterals;
    bool literal_free;
    bool frozen;
    rw_buf errors, warnings;
};

rw_ruleset *rw_ruleset_new(void) {
    rw_ruleset *rs = rw_xcalloc(1, sizeof *rs);
    rw_buf_init(&rs->errors, 0);
    rw_buf_init(&rs->warnings, 0);
    return rs;
}

static void free_rule(rw_rule *r) {
    free(r->id);
    free(r->title);
    free(r->description);
    free(r->pattern_json);
    free(r->origin);
    rw_pattern_free(r->pattern);
    for (size_t i = 0; i < r->nexceptions; i++) {
        free(r->exceptions[i].reason);
        free(r->exceptions[i].pattern_json);
        rw_pattern_free(r->exceptions[i].pattern);
    }
    free(r->exceptions);
}

void rw_ruleset_free(rw_ruleset *rs) {
    if (!rs) return;
    for (size_t i = 0; i < rs->n; i++) free_rule(&rs->rules[i]);
    free(rs->rules);
    rw_matcher_free(rs->matcher);
    free(rs->owner_rule);
    free(rs->owner_exc);
    for (size_t i = 0; i < rs->nliterals; i++) free(rs->literals[i]);
    free(rs->literals);
    rw_buf_free(&rs->errors);
    rw_buf_free(&rs->warnings);
    free(rs);
}

const char *rw_ruleset_errors(const rw_ruleset *rs) {
    return rs->errors.data ? rs->errors.data : "";
}

const char *rw_ruleset_warnings(const rw_ruleset *rs) {
    return rs->warnings.data ? rs->warnings.data : "";
}

size_t rw_ruleset_count(const rw_ruleset *rs) {
    return rs->n;
}

const rw_rule *rw_ruleset_rule(const rw_ruleset *rs, size_t i) {
    return &rs->rules[i];
}

size_t rw_ruleset_npatterns(const rw_ruleset *rs) {
    return rs->npatterns;
}

/* ---- loading ----------------------------------------------------------------------------------
 */

typedef struct loader {
    rw_ruleset *rs;
    const char *name, *text;
    size_t len;
    size_t nerrors;
    size_t at,
        line; /* a position already counted: rules come in order, so lines are counted once */
} loader;

/* The line of an offset, counting on from the last one asked when it is further on. */
static size_t line_of(loader *l, size_t offset) {
    if (offset < l->at) l->at = 0, l->line = 1;
    for (; l->at < offset && l->at < l->len; l->at++)
        if (l->text[l->at] == '\n') l->line++;
    return l->line;
}

static void problem(loader *l, size_t offset, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(loader *l, size_t offset, const char *rule, const char *fmt, ...) {
    size_t line, col;
    rw_yaml_text_position(l->text, l->len, offset, &line, &col);
    rw_buf_printf(&l->rs->errors, "%s:%zu:%zu: ", l->name, line, col);
    if (rule) rw_buf_printf(&l->rs->errors, "rule '%s': ", rule);
    va_list ap;
    va_start(ap, fmt);
    rw_buf_vprintf(&l->rs->errors, fmt, ap);
    va_end(ap);
    rw_buf_putc(&l->rs->errors, '\n');
    l->nerrors++;
}

static bool valid_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 128) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '-' || c == '_' || c == '.'));
        if (!ok) return false;
    }
    return true;
}

/* Compiles a pattern given as a YAML/JSON mapping or as a string of JSON text. */
static rw_pattern *compile(loader *l, const rw_json *v, const char *rule, const char *what,
                           char **json) {
    rw_pattern_error err;
    rw_pattern *p = NULL;
    if (v->type == RW_JSON_STRING) {
        if (rw_pattern_compile(&p, v->str, v->len, &err) != RW_OK) {
            problem(l, v->offset, rule,
                    "%s: Event pattern is not valid. Reason: %s (at byte %zu of the pattern text)",
                    what, err.reason, err.offset);
            return NULL;
        }
        *json = rw_xstrndup(v->str, v->len);
        return p;
    }
    if (rw_pattern_compile_json(&p, v, &err) != RW_OK) {
        problem(l, err.offset ? err.offset : v->offset, rule,
                "%s: Event pattern is not valid. Reason: %s", what, err.reason);
        return NULL;
    }
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_json_write(&b, v);
    *json = rw_buf_take(&b);
    return p;
}

static bool check_keys(loader *l, const rw_json *obj, const char *rule, const char *const *allowed,
                       const char *where) {
    bool ok = true;
    for (const rw_json *m = obj->child; m; m = m->next) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++) known = strcmp(m->key, *a) == 0;
        if (!known) {
            rw_buf list;
            rw_buf_init(&list, 0);
            for (const char *const *a = allowed; *a; a++)
                rw_buf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
            problem(l, m->offset, rule, "unknown key '%s' in %s (expected %s)", m->key, where,
                    list.data);
            rw_buf_free(&list);
            ok = false;
        } else if (rw_json_count(obj, m->key) > 1) {
            problem(l, m->offset, rule, "'%s' is given twice in %s", m->key, where);
            ok = false;
        }
    }
    return ok;
}

static const char *get_string(loader *l, const rw_json *obj, const char *key, bool required,
                              const char *rule) {
    const rw_json *v = rw_json_get(obj, key);
    if (!v) {
        if (required) problem(l, obj->offset, rule, "'%s' is missing", key);
        return NULL;
    }
    if (v->type != RW_JSON_STRING) {
        problem(l, v->offset, rule, "'%s' must be a string, not %s", key,
                rw_json_type_name(v->type));
        return NULL;
    }
    return v->str;
}

static bool get_time(loader *l, const rw_json *obj, const char *key, const char *rule, bool *has,
                     int64_t *t) {
    const rw_json *v = rw_json_get(obj, key);
    *has = false;
    if (!v) return true;
    if (v->type != RW_JSON_STRING || rw_time_parse(v->str, t) != RW_OK) {
        problem(l, v->offset, rule, "'%s' must be a time such as 2026-12-01T00:00:00Z", key);
        return false;
    }
    *has = true;
    return true;
}

static void load_rule(loader *l, const rw_json *r, bool builtin) {
    static const char *const keys[] = {"id",      "title",      "severity", "description",
                                       "pattern", "exceptions", NULL};
    static const char *const exc_keys[] = {"reason", "pattern", "from", "expires", NULL};
    if (r->type != RW_JSON_OBJECT) {
        problem(l, r->offset, NULL,
                "a rule must be a mapping (id, title, severity, pattern, ...), not %s",
                rw_json_type_name(r->type));
        return;
    }
    size_t before = l->nerrors;
    const char *id = get_string(l, r, "id", true, NULL);
    const char *rid = id ? id : "?"; /* for messages, even when the id is not valid */
    if (id && !valid_id(id)) {
        problem(
            l, rw_json_get(r, "id")->offset, NULL,
            "rule id '%s' must be letters, digits, '-', '_' or '.' (at most 128, starting with a "
            "letter or digit)",
            id);
        id = NULL;
    }
    check_keys(l, r, rid, keys, "a rule");
    if (id)
        for (size_t i = 0; i < l->rs->n; i++)
            if (strcmp(l->rs->rules[i].id, id) == 0)
                problem(l, rw_json_get(r, "id")->offset, rid,
                        "the id is already used by the rule from %s", l->rs->rules[i].origin);
    const char *title = get_string(l, r, "title", true, rid);
    const char *desc = get_string(l, r, "description", false, rid);
    const char *sev = get_string(l, r, "severity", true, rid);
    rw_rule rule;
    memset(&rule, 0, sizeof rule);
    if (sev) {
        if (builtin && strcmp(sev, "auto") == 0)
            rule.severity_auto = true;
        else if (rw_alert_severity_parse(sev, &rule.severity) != RW_OK)
            problem(l, rw_json_get(r, "severity")->offset, rid,
                    "severity '%s' is not one of low, medium, high, critical", sev);
    }
    const rw_json *pat = rw_json_get(r, "pattern");
    if (!pat)
        problem(l, r->offset, rid, "'pattern' is missing (an EventBridge event pattern)");
    else if (pat->type != RW_JSON_OBJECT && pat->type != RW_JSON_STRING)
        problem(l, pat->offset, rid, "'pattern' must be a mapping or a string of JSON, not %s",
                rw_json_type_name(pat->type));
    else
        rule.pattern = compile(l, pat, rid, "pattern", &rule.pattern_json);
    const rw_json *ex = rw_json_get(r, "exceptions");
    if (ex && ex->type != RW_JSON_ARRAY) {
        problem(l, ex->offset, rid, "'exceptions' must be a list");
    } else if (ex) {
        rule.exceptions = rw_xcalloc(ex->len ? ex->len : 1, sizeof *rule.exceptions);
        for (const rw_json *e = ex->child; e; e = e->next) {
            if (e->type != RW_JSON_OBJECT) {
                problem(l, e->offset, rid,
                        "an exception must be a mapping (reason, pattern, from, expires)");
                continue;
            }
            check_keys(l, e, rid, exc_keys, "an exception");
            rw_rule_exception x;
            memset(&x, 0, sizeof x);
            const char *reason = get_string(l, e, "reason", true, rid);
            const rw_json *ep = rw_json_get(e, "pattern");
            if (!ep)
                problem(l, e->offset, rid, "an exception needs a 'pattern'");
            else if (ep->type != RW_JSON_OBJECT && ep->type != RW_JSON_STRING)
                problem(l, ep->offset, rid,
                        "an exception's 'pattern' must be a mapping or a string of JSON");
            else
                x.pattern = compile(l, ep, rid, "exception pattern", &x.pattern_json);
            bool ok_from = get_time(l, e, "from", rid, &x.has_from, &x.from); /* both reported */
            bool ok = get_time(l, e, "expires", rid, &x.has_expires, &x.expires) && ok_from;
            if (ok && x.has_from && x.has_expires && x.expires <= x.from)
                problem(l, e->offset, rid,
                        "an exception's 'expires' must be later than its 'from'");
            x.reason = reason ? rw_xstrdup(reason) : NULL;
            rule.exceptions[rule.nexceptions++] = x;
        }
    }
    if (l->nerrors != before) {
        rule.id = NULL;
        free_rule(&rule);
        return;
    }
    rule.id = rw_xstrdup(id);
    rule.title = rw_xstrdup(title);
    rule.description = desc ? rw_xstrdup(desc) : NULL;
    rule.builtin = builtin;
    if (builtin) {
        rule.origin = rw_xstrdup("built-in");
    } else {
        size_t line = line_of(l, r->offset);
        char o[64];
        snprintf(o, sizeof o, ":%zu", line);
        rule.origin = rw_xmalloc(strlen(l->name) + strlen(o) + 1);
        strcpy(rule.origin, l->name);
        strcat(rule.origin, o);
    }
    rw_ruleset *rs = l->rs;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 8;
        rs->rules = rw_xrealloc(rs->rules, rs->cap * sizeof *rs->rules);
    }
    rs->rules[rs->n++] = rule;
}

static int load(rw_ruleset *rs, const char *text, size_t len, const char *name, bool builtin) {
    loader l = {rs, name, text, len, 0, 0, 1};
    if (rs->frozen) {
        problem(&l, 0, NULL, "rules cannot be added after matching has begun");
        return RW_EINVAL;
    }
    rw_json_opts o = {.max_depth = 300, .max_memory = (size_t)256 << 20};
    rw_json_doc *doc = rw_json_doc_new(&o);
    size_t off;
    if (rw_yaml_parse(doc, text, len, &off) != RW_OK) {
        problem(&l, off, NULL, "%s", rw_error_last());
        rw_json_doc_free(doc);
        return RW_EINVAL;
    }
    const rw_json *root = rw_json_doc_root(doc), *list = root;
    if (root->type == RW_JSON_OBJECT) {
        static const char *const top[] = {"rules", NULL};
        check_keys(&l, root, NULL, top, "a rule file");
        list = rw_json_get(root, "rules");
        if (!list) problem(&l, root->offset, NULL, "a rule file needs a 'rules' list");
    }
    if (list && list->type != RW_JSON_ARRAY) {
        problem(&l, list->offset, NULL, "'rules' must be a list of rules");
    } else if (list) {
        if (!list->child) problem(&l, list->offset, NULL, "the rule file holds no rule");
        for (const rw_json *r = list->child; r; r = r->next) load_rule(&l, r, builtin);
    }
    rw_json_doc_free(doc);
    return l.nerrors ? RW_EINVAL : RW_OK;
}

int rw_ruleset_load_text(rw_ruleset *rs, const char *text, size_t len, const char *name) {
    return load(rs, text, len, name, false);
}

int rw_ruleset_load_builtin(rw_ruleset *rs) {
    return load(rs, (const char *)rw_builtin_rules, rw_builtin_rules_len, "built-in rules", true);
}

int rw_ruleset_load_file(rw_ruleset *rs, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        rw_buf_printf(&rs->errors, "%s: cannot read the rule file: %s\n", path, strerror(errno));
        return RW_EIO;
    }
    rw_buf b;
    rw_buf_init(&b, MAX_RULE_FILE);
    char chunk[65536];
    size_t n;
    int rc = RW_OK;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = rw_buf_append(&b, chunk, n);
    bool bad = ferror(f);
    fclose(f);
    if (rc || bad) {
        rw_buf_printf(&rs->errors, "%s: cannot read the rule file: %s\n", path,
                      rc ? "larger than 16 MiB" : strerror(errno));
        rw_buf_free(&b);
        return RW_EIO;
    }
    rc = load(rs, b.data ? b.data : "", b.len, path, false);
    rw_buf_free(&b);
    return rc;
}

/* ---- matching ---------------------------------------------------------------------------------
 */

static void add_literal(rw_ruleset *rs, const char *s) {
    for (size_t i = 0; i < rs->nliterals; i++)
        if (strcmp(rs->literals[i], s) == 0) return;
    rs->literals = rw_xrealloc(rs->literals, (rs->nliterals + 1) * sizeof *rs->literals);
    rs->literals[rs->nliterals++] = rw_xstrdup(s);
}

void rw_ruleset_freeze(rw_ruleset *rs, int64_t now) {
    if (rs->frozen) return;
    rs->frozen = true;
    rs->matcher = rw_matcher_new();
    size_t total = 0;
    for (size_t i = 0; i < rs->n; i++) total += 1 + rs->rules[i].nexceptions;
    rs->owner_rule = rw_xcalloc(total ? total : 1, sizeof *rs->owner_rule);
    rs->owner_exc = rw_xcalloc(total ? total : 1, sizeof *rs->owner_exc);
    for (size_t i = 0; i < rs->n; i++) {
        rw_rule *r = &rs->rules[i];
        size_t k = rw_matcher_add(rs->matcher, r->pattern);
        rs->owner_rule[k] = i, rs->owner_exc[k] = -1;
        for (size_t e = 0; e < r->nexceptions; e++) {
            k = rw_matcher_add(rs->matcher, r->exceptions[e].pattern);
            rs->owner_rule[k] = i, rs->owner_exc[k] = (long)e;
            if (r->exceptions[e].has_expires && r->exceptions[e].expires <= now) {
                char when[32];
                rw_time_format(r->exceptions[e].expires, when);
                rw_buf_printf(&rs->warnings,
                              "rule '%s': the exception \"%s\" expired at %s: it holds back only "
                              "older events\n",
                              r->id, r->exceptions[e].reason, when);
            }
        }
        const char *const *lits;
        size_t nl;
        if (!rw_pattern_literals(r->pattern, &lits, &nl))
            rw_buf_printf(
                &rs->warnings,
                "rule '%s' can match without any fixed text under \"detail\", so every record "
                "must be parsed: scans are slower\n",
                r->id);
    }
    /* the literals, chosen for all the rules together (exceptions only hold rules back) */
    const rw_pattern **ps = rw_xcalloc(rs->n ? rs->n : 1, sizeof *ps);
    for (size_t i = 0; i < rs->n; i++) ps[i] = rs->rules[i].pattern;
    char **chosen;
    size_t nchosen;
    rs->literal_free = !rw_patterns_literals(ps, rs->n, &chosen, &nchosen);
    for (size_t j = 0; j < nchosen; j++) {
        add_literal(rs, chosen[j]);
        free(chosen[j]);
    }
    free(chosen);
    free(ps);
    rs->npatterns = total;
    /* build the matcher's indexes now, on this thread: matching from several threads only reads */
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_json_doc_parse(doc, "{}", 2);
    rw_match_scratch *s = rw_match_scratch_new();
    size_t dummy;
    rw_matcher_match(rs->matcher, s, rw_json_doc_root(doc), &dummy, 0);
    rw_match_scratch_free(s);
    rw_json_doc_free(doc);
}

bool rw_ruleset_literals(const rw_ruleset *rs, const char *const **out, size_t *n) {
    *out = (const char *const *)rs->literals;
    *n = rs->nliterals;
    return !rs->literal_free && rs->n > 0;
}

static bool active(const rw_rule_exception *x, int64_t t) {
    if (t == INT64_MIN) return !x->has_from && !x->has_expires;
    return (!x->has_from || t >= x->from) && (!x->has_expires || t < x->expires);
}

size_t rw_ruleset_match(const rw_ruleset *rs, rw_match_scratch *s, const rw_json *event,
                        int64_t time, size_t *hits, size_t *fired, size_t max, size_t *suppressed) {
    *suppressed = 0;
    size_t nh = rw_matcher_match(rs->matcher, s, event, hits, rs->npatterns);
    size_t count = 0;
    /* hits are ascending, and a rule's own pattern comes before its exceptions */
    for (size_t i = 0; i < nh;) {
        size_t r = rs->owner_rule[hits[i]];
        bool own = false, held = false;
        for (; i < nh && rs->owner_rule[hits[i]] == r; i++) {
            long e = rs->owner_exc[hits[i]];
            if (e < 0)
                own = true;
            else if (active(&rs->rules[r].exceptions[e], time))
                held = true;
        }
        if (!own) continue;
        if (held) {
            (*suppressed)++;
            continue;
        }
        if (count < max) fired[count] = r;
        count++;
    }
    return count < max ? count : max;
}

/* Resource policy evaluation for one service request (aws/respolicy.h says what is evaluated). */
#include "aws/respolicy.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/json.h"

/* A part of a statement: it holds, it does not, or it depends on what is not evaluated. */
typedef enum { NO, YES, UNKNOWN } tri;

static tri tri_not(tri t) {
    return t == UNKNOWN ? UNKNOWN : t == YES ? NO : YES;
}

/* p[0..pn) against t[0..tn) */
static int wildcard_n(const char *p, size_t pn, const char *t, size_t tn, int icase) {
    size_t i = 0, j = 0, star = (size_t)-1, back = 0;
    while (j < tn) {
        char pc = i < pn ? p[i] : 0, tc = t[j];
        if (icase) pc = (char)tolower((unsigned char)pc), tc = (char)tolower((unsigned char)tc);
        if (i < pn && p[i] == '*') {
            star = ++i;
            back = j;
        } else if (i < pn && (p[i] == '?' || pc == tc)) {
            i++;
            j++;
        } else if (star != (size_t)-1) {
            i = star;
            j = ++back;
        } else {
            return 0;
        }
    }
    while (i < pn && p[i] == '*') i++;
    return i == pn;
}

int rw_respolicy_wildcard(const char *p, const char *t, int icase) {
    return wildcard_n(p, strlen(p), t, strlen(t), icase);
}

/* The string elements of v (a string, or an array of them): the first, then the next. */
static const rw_json *first(const rw_json *v) {
    return v && v->type == RW_JSON_ARRAY ? v->child : v;
}
static const rw_json *next(const rw_json *v, const rw_json *one) {
    return v->type == RW_JSON_ARRAY ? one->next : NULL;
}
static bool is_str(const rw_json *one) {
    return one->type == RW_JSON_STRING && !rw_json_str_has_nul(one);
}

/* Does some string of v match text with IAM's wildcards? */
static bool any_wildcard(const rw_json *v, const char *text, int icase) {
    for (const rw_json *one = first(v); one; one = next(v, one))
        if (is_str(one) && rw_respolicy_wildcard(one->str, text, icase)) return true;
    return false;
}

static tri principal_names(const rw_json *p, const char *service) {
    if (!p) return NO;
    if (p->type == RW_JSON_STRING) return rw_json_str_is(p, "*") ? YES : NO;
    if (p->type != RW_JSON_OBJECT) return NO;
    for (const rw_json *m = p->child; m; m = m->next)
        for (const rw_json *one = first(m); one; one = next(m, one)) {
            if (!is_str(one)) continue;
            if (!strcmp(m->key, "AWS") && !strcmp(one->str, "*")) return YES;
            if (!strcmp(m->key, "Service") && !strcasecmp(one->str, service)) return YES;
        }
    return NO;
}

static tri principal(const rw_json *s, const rw_respolicy_request *req) {
    const rw_json *p = rw_json_get(s, "Principal"), *np = rw_json_get(s, "NotPrincipal");
    if (p) return principal_names(p, req->service);
    if (np) return tri_not(principal_names(np, req->service));
    return NO; /* a resource policy's statement names its principal */
}

static tri action(const rw_json *s, const rw_respolicy_request *req) {
    const rw_json *a = rw_json_get(s, "Action"), *na = rw_json_get(s, "NotAction");
    if (a) return any_wildcard(a, req->action, 1) ? YES : NO;
    if (na) return any_wildcard(na, req->action, 1) ? NO : YES;
    return NO;
}

static tri resource(const rw_json *s, const rw_respolicy_request *req) {
    if (!req->resource) return YES;
    const rw_json *r = rw_json_get(s, "Resource"), *nr = rw_json_get(s, "NotResource");
    if (r) return any_wildcard(r, req->resource, 0) ? YES : NO;
    if (nr) return any_wildcard(nr, req->resource, 0) ? NO : YES;
    return YES;
}

/* ---- conditions ------------------------------------------------------------------------------ */

enum { STR_EQ, STR_EQ_IC, STR_LIKE, ARN, BOOL, NUL };
static const struct {
    const char *name;
    int kind;
    bool negate;
} ops[] = {
    {"StringEquals", STR_EQ, false},
    {"StringNotEquals", STR_EQ, true},
    {"StringEqualsIgnoreCase", STR_EQ_IC, false},
    {"StringNotEqualsIgnoreCase", STR_EQ_IC, true},
    {"StringLike", STR_LIKE, false},
    {"StringNotLike", STR_LIKE, true},
    {"ArnEquals", ARN, false},
    {"ArnLike", ARN, false},
    {"ArnNotEquals", ARN, true},
    {"ArnNotLike", ARN, true},
    {"Bool", BOOL, false},
    {"Null", NUL, false},
};

/* IAM's ArnEquals/ArnLike: the six parts arn:partition:service:region:account:resource each
 * matched on its own (the resource part is the rest, colons and all). */
static bool arn_match(const char *pat, const char *arn) {
    for (int part = 0; part < 6; part++) {
        size_t pn = part < 5 ? strcspn(pat, ":") : strlen(pat);
        size_t an = part < 5 ? strcspn(arn, ":") : strlen(arn);
        if (part < 5 && (!pat[pn] || !arn[an])) return false; /* fewer than six parts */
        if (!wildcard_n(pat, pn, arn, an, 0)) return false;
        pat += pn + (part < 5);
        arn += an + (part < 5);
    }
    return true;
}

static bool value_matches(int kind, const char *want, const char *have) {
    switch (kind) {
    case STR_EQ:
        return !strcmp(want, have);
    case STR_EQ_IC:
    case BOOL:
        return !strcasecmp(want, have);
    case STR_LIKE:
        return rw_respolicy_wildcard(want, have, 0);
    default:
        return arn_match(want, have);
    }
}

/* The request's value of a condition key; *known false for a key not evaluated. extra: the
 * caller's further keys (key, value pairs, NULL-terminated), or NULL. */
static const char *context(const rw_respolicy_request *req, const char *const *extra,
                           const char *key, bool *known) {
    *known = true;
    if (!strcasecmp(key, "aws:SourceArn")) return req->source_arn;
    if (!strcasecmp(key, "aws:SourceAccount")) return req->source_account;
    if (!strcasecmp(key, "aws:SecureTransport")) return "true"; /* services deliver over TLS */
    for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2)
        if (!strcasecmp(key, extra[i])) return extra[i + 1];
    *known = false;
    return NULL;
}

/* One "Operator": {"key": values} pair. */
static tri condition_one(const rw_respolicy_request *req, const char *const *extra,
                         const char *opname, const rw_json *k) {
    size_t n = strlen(opname);
    bool if_exists = n > 8 && !strcmp(opname + n - 8, "IfExists");
    if (if_exists) n -= 8;
    int op = -1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strlen(ops[i].name) == n && !strncmp(ops[i].name, opname, n)) op = (int)i;
    bool known;
    const char *have = context(req, extra, k->key, &known);
    if (op < 0 || !known || (if_exists && ops[op].kind == NUL)) return UNKNOWN;
    if (ops[op].kind == NUL) {
        /* "Null": {"key": "true"}: the key is absent */
        tri out = NO;
        for (const rw_json *one = first(k); one; one = next(k, one)) {
            const char *v = one->type == RW_JSON_TRUE    ? "true"
                            : one->type == RW_JSON_FALSE ? "false"
                            : is_str(one)                ? one->str
                                                         : NULL;
            if (!v || (strcasecmp(v, "true") && strcasecmp(v, "false"))) return UNKNOWN;
            if ((!strcasecmp(v, "true")) == !have) out = YES;
        }
        return out;
    }
    if (!have) return ops[op].negate || if_exists ? YES : NO;
    bool matched = false, unknown = false;
    for (const rw_json *one = first(k); one; one = next(k, one)) {
        const char *v = NULL;
        if (is_str(one))
            v = one->str;
        else if (ops[op].kind == BOOL && one->type == RW_JSON_TRUE)
            v = "true";
        else if (ops[op].kind == BOOL && one->type == RW_JSON_FALSE)
            v = "false";
        if (!v || strstr(v, "${")) { /* not a string, or a policy variable */
            unknown = true;
            continue;
        }
        if (value_matches(ops[op].kind, v, have)) matched = true;
    }
    if (matched) return ops[op].negate ? NO : YES;
    if (unknown) return UNKNOWN;
    return ops[op].negate ? YES : NO;
}

/* Every condition of the statement (all must hold). The first one that does not hold, or that is
 * not evaluated, is described in *what ("condition ArnEquals aws:SourceArn [...]"). */
static tri conditions(const rw_json *s, const rw_respolicy_request *req, const char *const *extra,
                      rw_buf *what) {
    const rw_json *cond = rw_json_get(s, "Condition");
    if (!cond) return YES;
    if (cond->type != RW_JSON_OBJECT) {
        rw_buf_puts(what, "a Condition that is not an object");
        return UNKNOWN;
    }
    tri out = YES;
    for (const rw_json *op = cond->child; op; op = op->next) {
        if (op->type != RW_JSON_OBJECT) {
            if (out == YES)
                rw_buf_printf(what, "condition %s (not an object)", op->key), out = UNKNOWN;
            continue;
        }
        for (const rw_json *k = op->child; k; k = k->next) {
            tri t = condition_one(req, extra, op->key, k);
            if (t == YES || out == NO || (t == UNKNOWN && out == UNKNOWN)) continue;
            /* the first NO is what is told (a NO decides whatever is unknown) */
            rw_buf_reset(what);
            rw_buf_printf(what, "condition %s %s ", op->key, k->key);
            rw_json_write(what, k);
            out = t;
        }
    }
    return out;
}

/* ---- statements ------------------------------------------------------------------------------ */

static void name(rw_buf *b, const rw_json *s, size_t i) {
    const char *sid = rw_json_get_str(s, "Sid");
    if (sid && *sid)
        rw_buf_printf(b, "statement %s", sid);
    else
        rw_buf_printf(b, "statement %zu (no Sid)", i + 1);
}

static void request_words(rw_buf *b, const rw_respolicy_request *req) {
    rw_buf_printf(b, "%s %s", req->service, req->action);
    if (req->source_arn) rw_buf_printf(b, " for aws:SourceArn %s", req->source_arn);
}

const char *rw_respolicy_verdict_name(rw_respolicy_verdict v) {
    switch (v) {
    case RW_RESPOLICY_ALLOWED:
        return "ALLOWED";
    case RW_RESPOLICY_NOT_ALLOWED:
        return "NOT_ALLOWED";
    case RW_RESPOLICY_DENIED:
        return "DENIED";
    default:
        return "INVALID";
    }
}

rw_respolicy_verdict rw_respolicy_eval(const char *policy, size_t len,
                                       const rw_respolicy_request *req, rw_buf *why) {
    return rw_respolicy_eval_ctx(policy, len, req, NULL, why);
}

rw_respolicy_verdict rw_respolicy_eval_ctx(const char *policy, size_t len,
                                           const rw_respolicy_request *req,
                                           const char *const *extra, rw_buf *why) {
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf tmp, deny, maybe_deny, allow, maybe_allow, near;
    rw_buf_init(&tmp, 0);
    rw_buf_init(&deny, 0);
    rw_buf_init(&maybe_deny, 0);
    rw_buf_init(&allow, 0);
    rw_buf_init(&maybe_allow, 0);
    rw_buf_init(&near, 0);
    rw_respolicy_verdict v = RW_RESPOLICY_INVALID;
    const rw_json *root = NULL, *sts = NULL;
    if (rw_json_doc_parse(doc, policy ? policy : "", policy ? len : 0) != RW_OK) {
        if (why) rw_buf_printf(why, "the policy is not JSON: %s", rw_error_last());
        goto out;
    }
    root = rw_json_doc_root(doc);
    sts = rw_json_get(root, "Statement");
    if (!sts || (sts->type != RW_JSON_ARRAY && sts->type != RW_JSON_OBJECT)) {
        if (why) rw_buf_puts(why, "the policy has no Statement");
        goto out;
    }
    size_t i = 0;
    for (const rw_json *s = first(sts); s; s = next(sts, s), i++) {
        if (s->type != RW_JSON_OBJECT) continue;
        const rw_json *effect = rw_json_get(s, "Effect");
        bool is_deny = effect && is_str(effect) && !strcasecmp(effect->str, "Deny");
        bool is_allow = effect && is_str(effect) && !strcasecmp(effect->str, "Allow");
        if (!is_deny && !is_allow) continue;
        tri who = principal(s, req), what = action(s, req), on = resource(s, req);
        if (who == NO || what == NO || on == NO) continue;
        rw_buf_reset(&tmp);
        tri c = conditions(s, req, extra, &tmp);
        rw_buf *to = NULL;
        if (c == YES) {
            to = is_deny ? &deny : &allow;
            if (!to->len) name(to, s, i);
        } else if (c == UNKNOWN) {
            to = is_deny ? &maybe_deny : &maybe_allow;
            if (!to->len) {
                name(to, s, i);
                rw_buf_printf(to, " %s it only under %s, which rootwatch does not evaluate",
                              is_deny ? "denies" : "allows", tmp.data);
            }
        } else if (is_allow && !near.len) {
            name(&near, s, i);
            rw_buf_printf(&near, " allows %s %s only where %s holds", req->service, req->action,
                          tmp.data);
        }
    }
    if (deny.len) {
        v = RW_RESPOLICY_DENIED;
        if (why) rw_buf_printf(why, "%s (Deny) denies ", deny.data), request_words(why, req);
    } else if (maybe_deny.len) {
        v = RW_RESPOLICY_DENIED;
        if (why)
            rw_buf_printf(why, "%s (taken as denying %s %s)", maybe_deny.data, req->service,
                          req->action);
    } else if (allow.len) {
        v = RW_RESPOLICY_ALLOWED;
        if (why) rw_buf_printf(why, "%s allows ", allow.data), request_words(why, req);
    } else {
        v = RW_RESPOLICY_NOT_ALLOWED;
        if (why) {
            rw_buf_puts(why, "no statement allows ");
            request_words(why, req);
            if (maybe_allow.len || near.len)
                rw_buf_printf(why, " (%s%s%s)", maybe_allow.data ? maybe_allow.data : "",
                              maybe_allow.len && near.len ? "; " : "", near.data ? near.data : "");
        }
    }
out:
    rw_buf_free(&tmp);
    rw_buf_free(&deny);
    rw_buf_free(&maybe_deny);
    rw_buf_free(&allow);
    rw_buf_free(&maybe_allow);
    rw_buf_free(&near);
    rw_json_doc_free(doc);
    return v;
}

#include "rules/alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

void rw_alert_free(rw_alert *a) {
    if (!a) return;
    char **fields[] = {&a->event_id,     &a->event_time,    &a->account,       &a->region,
                       &a->event_source, &a->event_name,    &a->source_ip,     &a->user_agent,
                       &a->error_code,   &a->error_message, &a->access_key_id, &a->rule,
                       &a->event_json,   &a->file,          &a->invoked_by};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) free(*fields[i]);
    for (int i = 0; i < a->nreasons; i++) free(a->reasons[i]);
    for (int i = 0; i < a->nrules; i++) free(a->rules[i]);
    free(a->rules);
    free(a);
}

void rw_alert_add_rule(rw_alert *a, const char *id, bool set_primary) {
    a->rules = rw_xrealloc(a->rules, (size_t)(a->nrules + 1) * sizeof *a->rules);
    a->rules[a->nrules++] = rw_xstrdup(id);
    if (set_primary || !a->rule) {
        free(a->rule);
        a->rule = rw_xstrdup(id);
    }
}

void rw_alert_reason(rw_alert *a, rw_severity sev, const char *fmt, ...) {
    if (sev > a->severity) a->severity = sev;
    if (a->nreasons == RW_ALERT_MAX_REASONS) return;
    rw_buf b; /* grown to fit: a reason quoting record text is never cut (mid-character or not) */
    rw_buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    if (rw_buf_vprintf(&b, fmt, ap) != RW_OK) rw_buf_puts(&b, "(reason too long)");
    va_end(ap);
    a->reasons[a->nreasons++] = rw_buf_take(&b);
}

const char *rw_alert_kind_name(rw_kind k) {
    switch (k) {
    case RW_KIND_CONSOLE_LOGIN:
        return "console_login";
    case RW_KIND_SIGNIN_OTHER:
        return "signin_other";
    case RW_KIND_API_CALL:
        return "api_call";
    }
    return "?";
}

const char *rw_alert_outcome_name(rw_outcome o) {
    switch (o) {
    case RW_OUTCOME_SUCCESS:
        return "success";
    case RW_OUTCOME_FAILURE:
        return "failure";
    case RW_OUTCOME_UNKNOWN:
        break;
    }
    return NULL;
}

const char *rw_alert_credential_name(rw_credential c) {
    switch (c) {
    case RW_CRED_NONE:
        return NULL;
    case RW_CRED_ACCESS_KEY:
        return "access_key";
    case RW_CRED_CONSOLE_SESSION:
        return "console_session";
    case RW_CRED_ASSUMED_ROOT:
        return "assumed_root";
    case RW_CRED_UNKNOWN:
        return "unknown";
    }
    return NULL;
}

static const char *sev_names[] = {"low", "medium", "high", "critical"};

const char *rw_alert_severity_name(rw_severity s) {
    return sev_names[s];
}

int rw_alert_severity_parse(const char *s, rw_severity *out) {
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, sev_names[i]) == 0) {
            *out = (rw_severity)i;
            return RW_OK;
        }
    return rw_error_set(RW_EINVAL, "unknown severity '%s' (low, medium, high, critical)", s);
}

static int put_key(rw_buf *b, const char *k) {
    int rc = RW_OK;
    if (b->len && b->data[b->len - 1] != '{') rc = rw_buf_putc(b, ',');
    if (!rc) rc = rw_json_write_str(b, k, strlen(k));
    if (!rc) rc = rw_buf_putc(b, ':');
    return rc;
}

static int put_str(rw_buf *b, const char *k, const char *v) {
    int rc = put_key(b, k);
    if (rc) return rc;
    return v ? rw_json_write_str(b, v, strlen(v)) : rw_buf_puts(b, "null");
}

static int put_tri(rw_buf *b, const char *k, rw_tri v) {
    int rc = put_key(b, k);
    if (rc) return rc;
    return rw_buf_puts(b, v == RW_TRI_TRUE ? "true" : v == RW_TRI_FALSE ? "false" : "null");
}

int rw_alert_to_json(rw_buf *b, const rw_alert *a) {
    int rc = rw_buf_putc(b, '{');
    if (!rc) rc = put_str(b, "eventID", a->event_id);
    if (!rc) rc = put_key(b, "eventIDDerived");
    if (!rc) rc = rw_buf_puts(b, a->event_id_derived ? "true" : "false");
    if (!rc) rc = put_str(b, "eventTime", a->event_time);
    if (!rc) rc = put_str(b, "account", a->account);
    if (!rc) rc = put_str(b, "region", a->region);
    if (!rc) rc = put_str(b, "eventSource", a->event_source);
    if (!rc) rc = put_str(b, "eventName", a->event_name);
    if (!rc) rc = put_str(b, "sourceIPAddress", a->source_ip);
    if (!rc) rc = put_str(b, "userAgent", a->user_agent);
    if (!rc) rc = put_str(b, "kind", rw_alert_kind_name(a->kind));
    if (!rc) rc = put_str(b, "outcome", rw_alert_outcome_name(a->outcome));
    if (!rc) rc = put_tri(b, "mfa", a->mfa);
    if (!rc) rc = put_str(b, "credential", rw_alert_credential_name(a->credential));
    if (!rc) rc = put_str(b, "accessKeyId", a->access_key_id);
    if (!rc) rc = put_tri(b, "readOnly", a->read_only);
    if (!rc) rc = put_str(b, "errorCode", a->error_code);
    if (!rc) rc = put_str(b, "errorMessage", a->error_message);
    if (!rc) rc = put_tri(b, "sensitive", a->sensitive ? RW_TRI_TRUE : RW_TRI_FALSE);
    if (!rc) rc = put_str(b, "severity", rw_alert_severity_name(a->severity));
    if (!rc) rc = put_key(b, "reasons");
    if (!rc) rc = rw_buf_putc(b, '[');
    for (int i = 0; !rc && i < a->nreasons; i++) {
        if (i) rc = rw_buf_putc(b, ',');
        if (!rc) rc = rw_json_write_str(b, a->reasons[i], strlen(a->reasons[i]));
    }
    if (!rc) rc = rw_buf_putc(b, ']');
    if (!rc) rc = put_str(b, "rule", a->rule);
    if (!rc) rc = put_key(b, "rules");
    if (!rc) rc = rw_buf_putc(b, '[');
    for (int i = 0; !rc && i < a->nrules; i++) {
        if (i) rc = rw_buf_putc(b, ',');
        if (!rc) rc = rw_json_write_str(b, a->rules[i], strlen(a->rules[i]));
    }
    if (!rc) rc = rw_buf_putc(b, ']');
    if (!rc) rc = put_key(b, "source");
    if (!rc) rc = rw_buf_putc(b, '{');
    if (!rc) rc = put_str(b, "file", a->file);
    if (!rc) rc = put_key(b, "offset");
    if (!rc) rc = rw_buf_printf(b, "%llu}", (unsigned long long)a->offset);
    if (!rc) rc = put_key(b, "event");
    if (!rc) rc = rw_buf_puts(b, a->event_json ? a->event_json : "null");
    if (!rc) rc = rw_buf_putc(b, '}');
    return rc;
}

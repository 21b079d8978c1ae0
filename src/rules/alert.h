/* An alert: one root action, classified, with the record it came from.
 *
 * Ownership: an alert is allocated whole (rw_root_classify, rw_detector_check) and owns every
 * string in it (but event_id_derived, a static string); rw_alert_free frees the alert and all of
 * them. The functions below copy what they are given. */
#ifndef RW_ALERT_H
#define RW_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum rw_kind { RW_KIND_CONSOLE_LOGIN, RW_KIND_SIGNIN_OTHER, RW_KIND_API_CALL } rw_kind;
typedef enum rw_outcome { RW_OUTCOME_UNKNOWN, RW_OUTCOME_SUCCESS, RW_OUTCOME_FAILURE } rw_outcome;
typedef enum rw_tri { RW_TRI_UNKNOWN = -1, RW_TRI_FALSE = 0, RW_TRI_TRUE = 1 } rw_tri;
typedef enum rw_credential {
    RW_CRED_NONE,            /* a sign-in event: no credential yet */
    RW_CRED_ACCESS_KEY,      /* a long-term root access key (AKIA...) */
    RW_CRED_CONSOLE_SESSION, /* a temporary session: the console, or GetSessionToken */
    RW_CRED_ASSUMED_ROOT,    /* a task-scoped session opened with sts:AssumeRoot */
    RW_CRED_UNKNOWN,
} rw_credential;
typedef enum rw_severity { RW_SEV_LOW, RW_SEV_MEDIUM, RW_SEV_HIGH, RW_SEV_CRITICAL } rw_severity;

#define RW_ALERT_MAX_REASONS 8

typedef struct rw_alert {
    char *event_id; /* the record's eventID, or one derived from the record (see below) */
    /* Why event_id was derived (the record has no usable eventID: none, empty, not a string, or
     * holding a NUL character): a static string, or NULL when event_id is the record's own. A
     * derived id is "rw-sha256:" and the first 32 hex digits of the SHA-256 of the record as
     * compact JSON, so the same record read again, from any source, gets the same id. */
    const char *event_id_derived;
    char *event_time;
    int64_t time; /* epoch seconds; INT64_MIN when unknown */
    char *account, *region, *event_source, *event_name, *source_ip, *user_agent;
    char *error_code, *error_message, *access_key_id;
    char *invoked_by; /* userIdentity.invokedBy: the console, or the service (not in the JSON) */
    rw_kind kind;
    rw_outcome outcome;
    rw_tri mfa;
    rw_credential credential;
    rw_tri read_only;
    bool sensitive;
    rw_severity severity;
    char *reasons[RW_ALERT_MAX_REASONS];
    int nreasons;
    char *rule;   /* the rule that fired (the most severe, when several did) */
    char **rules; /* every rule that fired */
    int nrules;
    char *event_json; /* the CloudTrail record, compact JSON */
    char *file;       /* where it was read, and at which byte */
    uint64_t offset;
} rw_alert;

/* Frees a and every string it holds. NULL is ignored. */
void rw_alert_free(rw_alert *a);
/* Records that a rule fired; the first one added is the alert's rule unless set_primary. */
void rw_alert_add_rule(rw_alert *a, const char *id, bool set_primary);
/* Adds a reason with its severity (raising the alert's severity if higher). */
void rw_alert_reason(rw_alert *a, rw_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends the alert as one JSON object (the schema in docs/alert-schema.md). */
int rw_alert_to_json(rw_buf *out, const rw_alert *a);

/* The names the alert's JSON uses: static strings. rw_alert_outcome_name is NULL for
 * RW_OUTCOME_UNKNOWN, rw_alert_credential_name for RW_CRED_NONE (the JSON has null). */
const char *rw_alert_kind_name(rw_kind k);
const char *rw_alert_outcome_name(rw_outcome o);
const char *rw_alert_credential_name(rw_credential c);
const char *rw_alert_severity_name(rw_severity s);
int rw_alert_severity_parse(const char *s, rw_severity *out);

#endif

/* Notification channels: each a struct of callbacks with a table of its options (name, type,
 * default, help), so that one table gives parsing, defaults, validation and documentation.
 *
 * A channel sends a notice: one alert, as JSON (docs/alert-schema.md, the CloudTrail record under
 * "event"), read back from the store, so that a delivery retried after a restart is the same as
 * the first. Channels never log secrets (webhook URLs, tokens, passwords, routing keys): their
 * messages name the channel and the host at most. */
#ifndef RW_NOTIFY_CHANNEL_H
#define RW_NOTIFY_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/alert.h"
#include "util/buf.h"
#include "util/json.h"

/* An option's type says how it is read, checked and shown. What rootwatch shows of a value (notify
 * check, notify test, error messages, -v logs) comes from its type alone, through rw_opt_show:
 * an option that holds a secret has a secret type (rw_opt_type_secret), so that no table, message
 * or listing can show it by forgetting to. */
typedef enum rw_opt_type {
    RW_OPT_STRING, /* shown as written */
    RW_OPT_SECRET, /* a secret string, which may be written "env:NAME" or "file:PATH" (read at
                      load); never shown */
    RW_OPT_URL,    /* a URL (https; plain http only to loopback; env:/file: too); shown as
                      scheme://host[:port]/... */
    RW_OPT_INT,
    RW_OPT_BOOL,
    RW_OPT_LIST,       /* a list of strings (YAML sequence, or one string); shown as written */
    RW_OPT_SECRET_URL, /* a URL that is itself a secret (a webhook URL with a token in its path or
                          query): read and shown as RW_OPT_URL, never shown whole */
    RW_OPT_HEADERS,    /* a list of HTTP headers "Name: value" whose values are secrets (API keys,
                          cookies): the names are shown, the values never */
} rw_opt_type;

typedef struct rw_opt_spec {
    const char *name;
    rw_opt_type type;
    const char *def; /* default as text, NULL: none */
    bool required;
    const char *help;
} rw_opt_spec;

/* The type's name, as `rootwatch notify channels` lists it ("string", "secret", "url", ...): a
 * static string. */
const char *rw_opt_type_name(rw_opt_type t);
/* Does an option of this type hold a secret (SECRET, SECRET_URL, HEADERS)? */
bool rw_opt_type_secret(rw_opt_type t);
/* A list type (LIST, HEADERS): a YAML sequence or one string, read with rw_opt_list. */
bool rw_opt_type_list(rw_opt_type t);

/* The values of a channel's options, after defaults and validation (made by
 * rw_opt_values_from_json, freed by rw_opt_values_free: notify.h). The strings and lists the
 * getters return are borrowed from v: valid until it is freed (for a channel's options, until
 * its configuration is: rw_notify_config_free). They may be secrets: show them only through
 * rw_opt_show. */
typedef struct rw_opt_values rw_opt_values;
const char *rw_opt_str(const rw_opt_values *v, const char *name); /* NULL when unset */
long rw_opt_int(const rw_opt_values *v, const char *name);        /* 0 when unset */
bool rw_opt_bool(const rw_opt_values *v, const char *name);
/* A list option: the items (NULL-terminated; never NULL). */
const char *const *rw_opt_list(const rw_opt_values *v, const char *name);

/* One notice, as the delivery engine hands it to a channel's send: every pointer in it is borrowed
 * for that call only. */
typedef struct rw_notice {
    const char *event_id;
    const rw_json *alert;   /* the alert object */
    const char *alert_json; /* the same, as text */
    size_t alert_len;
    bool test;           /* `rootwatch notify test`: say so plainly */
    int64_t detected_ms; /* when rootwatch detected it (epoch milliseconds) */
    int attempt;         /* 1 for the first try */
} rw_notice;

typedef struct rw_send_result {
    bool retryable;      /* worth another try later (network, 5xx, throttling) */
    long retry_after_ms; /* the receiver asked to wait this long first (Retry-After), or 0 */
    char error[512];     /* what went wrong, for the store and the log (no secret) */
} rw_send_result;

typedef struct rw_channel rw_channel;

typedef struct rw_channel_type {
    const char *type;        /* "webhook", "slack", ... as written in the configuration */
    const char *summary;     /* one line for documentation */
    const rw_opt_spec *opts; /* terminated by an entry with a NULL name */
    bool idempotency_key;    /* the eventID travels with each delivery (a repeat is harmless) */
    /* Prepares the channel (checks settings beyond their types, opens connections lazily).
     * RW_OK, or an error code with the message set (naming the channel). */
    int (*open)(rw_channel *ch);
    /* Sends one notice: RW_OK, or an error code with res filled. Called from one thread per
     * channel at a time. */
    int (*send)(rw_channel *ch, const rw_notice *n, rw_send_result *res);
    void (*close)(rw_channel *ch);
} rw_channel_type;

/* A configured channel: owned by its configuration (notify.h), which frees it, its strings, its
 * options and, through the type's close, its state. */
struct rw_channel {
    char *name;
    const rw_channel_type *type;
    rw_opt_values *opts;
    rw_severity min_severity;
    char **rules;          /* only alerts of these rules (NULL: all) */
    int max_attempts;      /* deliveries given up after this many tries */
    bool max_attempts_set; /* given in the configuration (rw_dispatch_open_counted honours it) */
    int64_t retry_for_s;   /* retry_for: rootwatch watch's retry window (0: not given) */
    void *state;           /* the type's own */
    struct rw_notify_env *env; /* shared: AWS session, clock */
};

extern const rw_channel_type rw_channel_stdout, rw_channel_webhook, rw_channel_slack,
    rw_channel_teams, rw_channel_pagerduty, rw_channel_sns, rw_channel_smtp, rw_channel_syslog;

/* Every channel type rootwatch has, NULL-terminated. */
extern const rw_channel_type *const rw_channel_types[];
/* The type named type (one of rw_channel_types: static), or NULL. */
const rw_channel_type *rw_channel_type_find(const char *type);

/* Does this alert go to this channel (severity and rule filters)? */
bool rw_channel_wants(const rw_channel *ch, const rw_json *alert);

/* The one way a value of an option is shown anywhere (notify check, notify test, messages, -v
 * logs), by the option's type t; value is one scalar, or one item of a list. Appends to out:
 *   STRING, INT, BOOL, LIST items   the value as written (control characters as '?')
 *   SECRET                          "(secret)"
 *   URL, SECRET_URL                 scheme://host[:port], then "/..." when anything follows it
 *                                   (a path, query or fragment, where tokens are kept); user
 *                                   information (user:password@) is never shown; a value that is
 *                                   not scheme://... is shown as "(not a URL)"
 *   HEADERS items                   "Name: (secret)" ("(secret)" when the item has no name) */
void rw_opt_show(rw_buf *out, rw_opt_type t, const char *value);
/* The value of option sp in v, shown by rw_opt_show (the items of a list separated by ", ").
 * False, and nothing appended, when the option is unset (or an empty list). */
bool rw_opt_show_value(rw_buf *out, const rw_opt_values *v, const rw_opt_spec *sp);
/* Appends s[0..n) to out with every secret of ch's options replaced by "[redacted]" and control
 * characters by spaces, for messages made of what others wrote (a receiver's reply, a library's
 * error). The secrets are found by the options' types: the value of each SECRET option (and its
 * last word, the credential of "Bearer TOKEN"); the value of each HEADERS item (and its last
 * word); of each URL and SECRET_URL option the whole URL, its path and query together, the
 * password of its user information, the Basic credentials libcurl makes of that (base64 of
 * "user:password"), and each piece of its path and query of 12 bytes or more.
 * Secrets shorter than 4 bytes are left alone (they would hide ordinary words). */
void rw_channel_scrub(const rw_channel *ch, rw_buf *out, const char *s, size_t n);
/* msg (NUL-terminated, at most cap bytes with the NUL) scrubbed by rw_channel_scrub, in place:
 * cut at a character boundary when the redactions make it longer than cap - 1 bytes. */
void rw_channel_scrub_msg(const rw_channel *ch, char *msg, size_t cap);

/* Helpers for channel types: the alert's fields as strings ("" when absent), borrowed from the
 * notice's alert tree: valid as long as the notice is (the send call). */
const char *rw_notice_field(const rw_notice *n, const char *path);

#endif

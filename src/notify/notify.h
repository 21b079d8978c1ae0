/* Notification: the configuration (channels), the environment channels share, and the delivery
 * engine that takes alerts to the store and the store's deliveries to the channels. */
#ifndef RW_NOTIFY_H
#define RW_NOTIFY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/session.h"
#include "notify/channel.h"
#include "rules/alert.h"

/* What channels share: the AWS session (opened on first use, for SNS), settings for AWS calls. */
struct rw_notify_env {
    rw_aws_opts aws_opts;
    rw_aws_session aws;
    bool aws_open;
    pthread_mutex_t lock;
};
typedef struct rw_notify_env rw_notify_env;

/* The AWS session, opened on first use; NULL with the error set when the settings are wrong. It
 * is env's (not to be closed by the caller): valid until the configuration holding env is freed. */
rw_aws_session *rw_notify_aws(rw_notify_env *env);

/* A notification configuration: the channels (docs/notify.md). It owns everything in it (the
 * channels, their options and state, the strings, the AWS session): rw_notify_config_free frees it
 * all. */
typedef struct rw_notify_config {
    char *path;
    rw_channel **channels;
    size_t nchannels;
    char *store_path; /* "store:" in the file, or NULL (the default) */
    rw_notify_env env;
} rw_notify_config;

/* The configuration file: path if given, else $ROOTWATCH_CONFIG, ./rootwatch.yaml,
 * $XDG_CONFIG_HOME/rootwatch/config.yaml (~/.config/...), /etc/rootwatch/config.yaml; the first
 * that exists (a new string: the caller frees it), or NULL when none does. */
char *rw_notify_config_find(const char *path);
/* Loads and checks a configuration; every problem is reported (file:line:column, the channel and
 * the option) in the message, and nothing is half-loaded. Secrets given as env:NAME or file:PATH
 * are read now. *out is a new configuration, which the caller frees with rw_notify_config_free;
 * NULL on error. rw_notify_config_parse copies what it keeps of text (name is copied as path). */
int rw_notify_config_load(rw_notify_config **out, const char *path);
int rw_notify_config_parse(rw_notify_config **out, const char *text, size_t len, const char *name);
void rw_notify_config_free(rw_notify_config *c);
/* The store: setting of the configuration found as rw_notify_config_find(NULL) finds it (a new
 * string: the caller frees it), or NULL (no configuration, no such setting); the rest of the file
 * is not checked. */
char *rw_notify_config_store(void);
/* The channel named name, or NULL: borrowed from c, valid until rw_notify_config_free(c). */
rw_channel *rw_notify_channel(const rw_notify_config *c, const char *name);

/* Builds a channel's option values from a JSON object of settings (copied: settings need not
 * outlive them): new values, which the caller frees with rw_opt_values_free (which wipes them), and
 * *err NULL. Unknown options, wrong types, missing required ones: NULL with *err a new string
 * naming channel and option, which the caller frees. */
rw_opt_values *rw_opt_values_from_json(const rw_channel_type *t, const rw_json *settings,
                                       const char *channel_name, char **err);
/* The same for any table of options (a channel type's, a watch source type's: sources/watch.h):
 * messages name kind ("channel", "source"), name and the option, and type in "for a sqs source". */
rw_opt_values *rw_opt_values_parse(const rw_opt_spec *specs, const char *kind, const char *type,
                                   const rw_json *settings, const char *name, char **err);
/* A new document (freed with rw_json_doc_free; it wipes what it held) whose root is an object of
 * obj's members but those named in skip (NULL-terminated; may be NULL): the settings of a channel
 * or source as written in a configuration mapping, without its name and type. Offsets are kept. */
rw_json_doc *rw_opt_settings_copy(const rw_json *obj, const char *const *skip);
void rw_opt_values_free(rw_opt_values *v);

#endif

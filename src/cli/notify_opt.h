/* What the commands that notify share (notify, scan --notify). */
#ifndef RW_NOTIFY_OPT_H
#define RW_NOTIFY_OPT_H

#include "notify/dispatch.h"
#include "notify/notify.h"
#include "util/buf.h"

/* Loads the configuration named by --config (NULL: the default places); reports errors. A new
 * configuration, which the caller frees with rw_notify_config_free; NULL after reporting. */
rw_notify_config *rw_cli_notify_config(const char *path);
/* One line on stderr: alerts stored, deliveries sent, failed, retried, pending. */
void rw_cli_notify_report(const rw_dispatch_stats *st);
/* Appends "name: value" for each option of ch that is set, separated by sep, every value as its
 * type allows it to be shown (rw_opt_show). */
void rw_cli_notify_show_options(rw_buf *out, const rw_channel *ch, const char *sep);

#endif

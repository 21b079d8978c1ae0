/* What the commands that notify share (notify, scan --notify): loading the configuration and the
 * summary line of a dispatch. */
#include "cli/notify_opt.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* "name: value" of each option of ch that is set, separated by sep; every value as its type
 * allows it to be shown (rw_opt_show). */
void rw_cli_notify_show_options(rw_buf *out, const rw_channel *ch, const char *sep) {
    bool first = true;
    for (const rw_opt_spec *o = ch->type->opts; o && o->name; o++) {
        size_t mark = out->len;
        rw_buf_printf(out, "%s%s: ", first ? "" : sep, o->name);
        if (!rw_opt_show_value(out, ch->opts, o)) {
            out->len = mark; /* unset: nothing */
            if (out->data) out->data[mark] = 0;
            continue;
        }
        first = false;
    }
}

/* Loads the configuration the options name (or the default one); reports and returns NULL. With
 * -v, each channel and its options (as rw_opt_show shows them) are logged. */
rw_notify_config *rw_cli_notify_config(const char *path) {
    char *p = rw_notify_config_find(path);
    if (!p) {
        rw_log_error("no notification configuration: give --config FILE, or write one of "
                     "$ROOTWATCH_CONFIG, ./rootwatch.yaml, ~/.config/rootwatch/config.yaml, "
                     "/etc/rootwatch/config.yaml (docs/notify.md; examples/rootwatch.yaml)");
        return NULL;
    }
    rw_notify_config *c = NULL;
    if (rw_notify_config_load(&c, p) != RW_OK) rw_log_error("%s", rw_error_last());
    free(p);
    if (c && rw_log_get_level() >= RW_LOG_INFO) {
        rw_buf b;
        rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
        for (size_t i = 0; i < c->nchannels; i++) {
            const rw_channel *ch = c->channels[i];
            rw_buf_reset(&b);
            rw_cli_notify_show_options(&b, ch, "; ");
            rw_log_info("%s: channel %s (%s): %s", c->path, ch->name, ch->type->type,
                        b.len ? b.data : "no options set");
        }
        rw_buf_free(&b);
    }
    return c;
}

void rw_cli_notify_report(const rw_dispatch_stats *st) {
    fprintf(stderr,
            "notify: %llu new alerts stored (%llu already known, not sent again); deliveries: %llu "
            "sent, "
            "%llu failed, %llu retried",
            (unsigned long long)st->alerts_new, (unsigned long long)st->alerts_known,
            (unsigned long long)st->sent, (unsigned long long)st->failed,
            (unsigned long long)st->retried);
    if (st->pending)
        fprintf(stderr, ", %llu waiting for a later attempt ('rootwatch notify flush' sends them)",
                (unsigned long long)st->pending);
    fputc('\n', stderr);
}

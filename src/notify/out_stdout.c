/* The stdout channel: each alert as one JSON line (format: json) or as the readable text, on
 * standard output; for pipelines and for trying a configuration out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/channel.h"
#include "notify/render.h"
#include "util/err.h"

static const rw_opt_spec opts[] = {
    {"format", RW_OPT_STRING, "json", false, "json (one alert per line) or text"},
    {NULL, 0, NULL, false, NULL},
};

static int open_stdout(rw_channel *ch) {
    const char *f = rw_opt_str(ch->opts, "format");
    if (strcmp(f, "json") && strcmp(f, "text"))
        return rw_error_set(RW_EINVAL, "channel %s: option format: json or text, not '%s'",
                            ch->name, f);
    return RW_OK;
}

static int send_stdout(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    int rc;
    flockfile(stdout); /* one whole alert at a time, whatever else writes to standard output */
    if (!strcmp(rw_opt_str(ch->opts, "format"), "text")) {
        char *t = rw_render_text(n, NULL);
        rc = fputs(t, stdout) < 0 || fputc('\n', stdout) < 0 ? -1 : 0;
        free(t);
    } else {
        rc = fwrite(n->alert_json, 1, n->alert_len, stdout) != n->alert_len ||
                     fputc('\n', stdout) < 0
                 ? -1
                 : 0;
    }
    if (rc == 0 && fflush(stdout) != 0) rc = -1;
    funlockfile(stdout); /* it was never given back: the next write to stdout (the scan's own
                            output, the flush at exit) waited for ever when stdout was a pipe */
    if (rc == 0) return RW_OK;
    res->retryable = false;
    snprintf(res->error, sizeof res->error, "writing to standard output failed");
    return RW_EIO;
}

const rw_channel_type rw_channel_stdout = {
    .type = "stdout",
    .summary = "each alert on standard output, as a JSON line or as text",
    .opts = opts,
    .idempotency_key = false,
    .open = open_stdout,
    .send = send_stdout,
    .close = NULL,
};

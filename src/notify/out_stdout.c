/* The stdout channel: each alert as one JSON line (format: json), as the readable text (text), or
 * as one short line for a terminal or a log (line), on standard output; for pipelines, services
 * under systemd, and trying a configuration out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/channel.h"
#include "notify/render.h"
#include "util/err.h"

static const rw_opt_spec opts[] = {
    {"format", RW_OPT_STRING, "json", false,
     "json (one alert per line), text (the readable message) or line (one short line)"},
    {NULL, 0, NULL, false, NULL},
};

static int open_stdout(rw_channel *ch) {
    const char *f = rw_opt_str(ch->opts, "format");
    if (strcmp(f, "json") && strcmp(f, "text") && strcmp(f, "line"))
        return rw_error_set(RW_EINVAL, "channel %s: option format: json, text or line, not '%s'",
                            ch->name, f);
    return RW_OK;
}

/* "ROOT ALERT critical 111122223333 us-east-1: <first reason> [eventID]", made safe
 * for a terminal (the fields come from the record). */
static int put_line(const rw_notice *n) {
    const rw_json *reasons = rw_json_get(n->alert, "reasons");
    const char *why = reasons && reasons->child && reasons->child->type == RW_JSON_STRING
                          ? reasons->child->str
                          : "";
    char *line = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&line, &len);
    if (!m) return -1;
    fprintf(m, "%sROOT ALERT %s %s %s: %s [%s]", n->test ? "TEST " : "",
            rw_notice_field(n, "severity"), rw_notice_field(n, "account"),
            rw_notice_field(n, "region"), why, n->event_id ? n->event_id : "");
    fclose(m);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    int rc = fputs(line, stdout) < 0 || fputc('\n', stdout) < 0 ? -1 : 0;
    free(line);
    return rc;
}

static int send_stdout(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    int rc;
    const char *format = rw_opt_str(ch->opts, "format");
    flockfile(stdout); /* one whole alert at a time, whatever else writes to standard output */
    if (!strcmp(format, "line")) {
        rc = put_line(n);
    } else if (!strcmp(format, "text")) {
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

/* Sends alerts through one channel type, for the channel tests (tests/integration/
 * test_notify_*.py), without a configuration file.
 *
 *   notify_tool TYPE SETTINGS ALERTS [--test] [--detected-ms MS] [--attempt N] [--interval-ms MS]
 *
 * SETTINGS is the channel's options as a JSON object (or @FILE holding one); ALERTS an NDJSON
 * file of alerts (docs/alert-schema.md; - for standard input). For each alert it prints one line:
 *   ok EVENTID
 *   fail retryable EVENTID: MESSAGE
 *   fail permanent EVENTID: MESSAGE
 * Exit status 0 when every alert was sent, 1 when one failed, 2 for bad arguments, settings or a
 * channel that does not open (the message on stderr). AWS settings come from the environment.
 * --interval-ms waits that long between alerts (for tests of connections the server closes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/notify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

static int read_all(const char *path, rw_buf *out) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return -1;
    char tmp[65536];
    size_t n;
    rw_buf_puts(out, "");
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) rw_buf_append(out, tmp, n);
    if (f != stdin) fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: notify_tool TYPE SETTINGS ALERTS [--test] [--detected-ms MS] "
                        "[--attempt N]\n");
        return 2;
    }
    bool test = false;
    long long detected = 1763632800000LL; /* 2025-11-20T10:00:00Z: messages are exact */
    int attempt = 1;
    long interval = 0;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--test"))
            test = true;
        else if (!strcmp(argv[i], "--detected-ms") && i + 1 < argc)
            detected = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--attempt") && i + 1 < argc)
            attempt = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--interval-ms") && i + 1 < argc)
            interval = atol(argv[++i]);
        else {
            fprintf(stderr, "notify_tool: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    const rw_channel_type *t = rw_channel_type_find(argv[1]);
    if (!t) {
        fprintf(stderr, "notify_tool: no channel type %s\n", argv[1]);
        return 2;
    }
    rw_buf sb;
    rw_buf_init(&sb, RW_BUF_DEFAULT_MAX);
    if (argv[2][0] == '@') {
        if (read_all(argv[2] + 1, &sb)) {
            fprintf(stderr, "notify_tool: cannot read %s\n", argv[2] + 1);
            return 2;
        }
    } else {
        rw_buf_puts(&sb, argv[2]);
    }
    rw_json_doc *sdoc = rw_json_doc_new(NULL);
    if (rw_json_doc_parse(sdoc, sb.data, sb.len) != RW_OK) {
        fprintf(stderr, "notify_tool: the settings are not JSON: %s\n", rw_error_last());
        rw_json_doc_free(sdoc);
        rw_buf_free(&sb);
        return 2;
    }
    char *err = NULL;
    rw_opt_values *ov = rw_opt_values_from_json(t, rw_json_doc_root(sdoc), "test", &err);
    if (!ov) {
        fprintf(stderr, "notify_tool: %s\n", err ? err : "bad settings");
        free(err);
        rw_json_doc_free(sdoc);
        rw_buf_free(&sb);
        return 2;
    }
    rw_notify_env env;
    memset(&env, 0, sizeof env);
    pthread_mutex_init(&env.lock, NULL);
    rw_channel ch;
    memset(&ch, 0, sizeof ch);
    ch.name = "test";
    ch.type = t;
    ch.opts = ov;
    ch.max_attempts = 8;
    ch.env = &env;
    int status = 0;
    if (t->open && t->open(&ch) != RW_OK) {
        fprintf(stderr, "notify_tool: %s\n", rw_error_last());
        status = 2;
        goto out;
    }
    rw_buf ab;
    rw_buf_init(&ab, RW_BUF_DEFAULT_MAX);
    if (read_all(argv[3], &ab)) {
        fprintf(stderr, "notify_tool: cannot read %s\n", argv[3]);
        status = 2;
        rw_buf_free(&ab);
        goto close;
    }
    rw_json_doc *adoc = rw_json_doc_new(NULL);
    bool first = true;
    for (char *line = ab.data; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (nl) *nl = 0; /* each alert is a string of its own */
        if (len && strspn(line, " \t\r") < len) {
            if (rw_json_doc_parse(adoc, line, len) != RW_OK) {
                fprintf(stderr, "notify_tool: an alert is not JSON: %s\n", rw_error_last());
                status = 2;
                break;
            }
            if (!first && interval > 0) {
                struct timespec ts = {interval / 1000, (interval % 1000) * 1000000L};
                nanosleep(&ts, NULL);
            }
            first = false;
            const rw_json *a = rw_json_doc_root(adoc);
            const char *id = rw_json_get_str(a, "eventID");
            rw_notice n = {.event_id = id ? id : "",
                           .alert = a,
                           .alert_json = line,
                           .alert_len = len,
                           .test = test,
                           .detected_ms = detected,
                           .attempt = attempt};
            rw_send_result res;
            memset(&res, 0, sizeof res);
            int rc = t->send(&ch, &n, &res);
            if (rc == RW_OK) {
                printf("ok %s\n", n.event_id);
            } else {
                printf("fail %s %s: %s\n", res.retryable ? "retryable" : "permanent", n.event_id,
                       res.error);
                if (status == 0) status = 1;
            }
            fflush(stdout);
        }
        line = nl ? nl + 1 : NULL;
    }
    rw_json_doc_free(adoc);
    rw_buf_free(&ab);
close:
    if (t->close) t->close(&ch);
out:
    rw_opt_values_free(ov);
    rw_json_doc_free(sdoc);
    rw_buf_free(&sb);
    if (env.aws_open) rw_aws_session_close(&env.aws);
    pthread_mutex_destroy(&env.lock);
    return status;
}

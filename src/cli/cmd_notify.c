/* rootwatch notify: check the notification setup (test), send what earlier runs left (flush),
 * and list the channel types and their options (channels). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/notify_opt.h"
#include "notify/dispatch.h"
#include "notify/notify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timeutil.h"

static void usage(FILE *out) {
    fputs(
        "usage: rootwatch notify test [--channel NAME] [--config FILE]\n"
        "       rootwatch notify flush [--config FILE] [--store FILE] [--wait DURATION]\n"
        "       rootwatch notify check [--config FILE]\n"
        "       rootwatch notify channels [--format text|json]\n"
        "\n"
        "test      sends a clearly marked test alert through every configured channel (or the one\n"
        "          named) and says, channel by channel, whether it got through\n"
        "flush     sends the deliveries earlier runs left in the store (a channel was down, the\n"
        "          process was stopped), retrying for up to --wait (default 60s)\n"
        "check     shows the configuration as rootwatch reads it (secrets never shown)\n"
        "channels  lists the channel types and their options (json: for programs)\n"
        "\n"
        "options (every form):\n" RW_CLI_VERBOSITY_HELP
        "                          (-v shows each channel loaded, its secrets hidden)\n"
        "  -h, --help              show this help\n"
        "\n"
        "The configuration is --config, else $ROOTWATCH_CONFIG, ./rootwatch.yaml,\n"
        "~/.config/rootwatch/config.yaml, /etc/rootwatch/config.yaml (docs/notify.md).\n"
        "Exit status: 0 every delivery got through, 2 otherwise (or a usage error).\n",
        out);
}

static const char TEST_ALERT[] =
    "{\"eventID\":\"%s\",\"eventTime\":\"%s\",\"account\":\"000000000000\",\"region\":\"us-east-"
    "1\","
    "\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\",\"sourceIPAddress\":"
    "\"192.0.2.1\","
    "\"userAgent\":\"rootwatch notify "
    "test\",\"kind\":\"console_login\",\"outcome\":\"success\",\"mfa\":false,"
    "\"credential\":\"none\",\"accessKeyId\":null,\"readOnly\":false,\"errorCode\":null,"
    "\"errorMessage\":null,"
    "\"sensitive\":false,\"severity\":\"high\",\"reasons\":[\"TEST: this is not a real event "
    "(rootwatch notify "
    "test)\"],\"rule\":\"root-console-sign-in\",\"rules\":[\"root-console-sign-in\"],\"test\":true,"
    "\"source\":{\"file\":\"rootwatch notify "
    "test\",\"offset\":0},\"event\":{\"eventVersion\":\"1.09\","
    "\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"000000000000\",\"arn\":\"arn:aws:iam::"
    "000000000000:root\","
    "\"accountId\":\"000000000000\"},\"eventTime\":\"%s\",\"eventSource\":\"signin.amazonaws.com\","
    "\"eventName\":\"ConsoleLogin\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"192.0.2.1\","
    "\"userAgent\":\"rootwatch notify test\",\"eventID\":\"%s\",\"eventType\":\"AwsConsoleSignIn\","
    "\"recipientAccountId\":\"000000000000\"}}";

static int cmd_test(const char *config, const char *only) {
    rw_notify_config *c = rw_cli_notify_config(config);
    if (!c) return 2;
    if (only && !rw_notify_channel(c, only)) {
        rw_log_error("%s: no channel named %s", c->path, only);
        rw_notify_config_free(c);
        return 2;
    }
    int64_t now_ms = rw_time_now_ms();
    char id[64], when[32];
    snprintf(id, sizeof id, "rootwatch-test-%lld", (long long)now_ms);
    rw_time_format(now_ms / 1000, when);
    rw_buf js;
    rw_buf_init(&js, RW_BUF_DEFAULT_MAX);
    rw_buf_printf(&js, TEST_ALERT, id, when, when, id);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    if (rw_json_doc_parse(doc, js.data, js.len) != RW_OK) abort(); /* the constant above is JSON */
    rw_notice n = {.event_id = id,
                   .alert = rw_json_doc_root(doc),
                   .alert_json = js.data,
                   .alert_len = js.len,
                   .test = true,
                   .detected_ms = now_ms,
                   .attempt = 1};
    int failed = 0;
    for (size_t i = 0; i < c->nchannels; i++) {
        rw_channel *ch = c->channels[i];
        if (only && strcmp(only, ch->name)) continue;
        rw_send_result res;
        memset(&res, 0, sizeof res);
        int rc = ch->type->send(ch, &n, &res);
        if (rc == RW_OK) {
            fprintf(stderr, "notify test: %s (%s): sent\n", ch->name, ch->type->type);
        } else {
            failed++;
            /* the channel's own words, scrubbed once more of its options' secrets */
            const char *why = res.error[0] ? res.error : rw_error_last();
            rw_buf shown;
            rw_buf_init(&shown, RW_BUF_DEFAULT_MAX);
            rw_channel_scrub(ch, &shown, why, strlen(why));
            fprintf(stderr, "notify test: %s (%s): FAILED: %s%s\n", ch->name, ch->type->type,
                    shown.data ? shown.data : "", res.retryable ? " (a temporary failure)" : "");
            rw_buf_free(&shown);
        }
    }
    rw_json_doc_free(doc);
    rw_buf_free(&js);
    rw_notify_config_free(c);
    return failed ? 2 : 0;
}

static int cmd_flush(const char *config, const char *store, int64_t wait_s) {
    rw_notify_config *c = rw_cli_notify_config(config);
    if (!c) return 2;
    rw_signal_install(); /* SIGINT, SIGTERM: finish the delivery in flight, leave the rest pending
                          */
    rw_dispatch *d = NULL;
    if (rw_dispatch_open(&d, c, store) != RW_OK) {
        rw_log_error("%s", rw_error_last());
        rw_notify_config_free(c);
        return 2;
    }
    rw_dispatch_stats st;
    rw_dispatch_close(d, rw_time_now_ms() + wait_s * 1000, &st);
    int sig = rw_signal_stop_requested();
    if (sig) rw_log_warn("notify flush: stopped by %s", rw_signal_name(sig));
    rw_cli_notify_report(&st);
    rw_notify_config_free(c);
    if (sig) return rw_signal_exit_code(sig);
    return st.failed || st.pending ? 2 : 0;
}

static int cmd_check(const char *config) {
    rw_notify_config *c = rw_cli_notify_config(config);
    if (!c) return 2;
    printf("%s: %zu channels\n", c->path, c->nchannels);
    for (size_t i = 0; i < c->nchannels; i++) {
        rw_channel *ch = c->channels[i];
        printf("%s (%s): min_severity %s, max_attempts %d, ", ch->name, ch->type->type,
               rw_alert_severity_name(ch->min_severity), ch->max_attempts);
        if (ch->retry_for_s) printf("retry_for %llds, ", (long long)ch->retry_for_s);
        printf("rules ");
        if (!ch->rules) printf("all");
        for (char **r = ch->rules; r && *r; r++) printf("%s%s", r == ch->rules ? "" : ",", *r);
        putchar('\n');
        rw_buf b;
        rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
        rw_cli_notify_show_options(&b, ch, "\n  ");
        if (b.len) printf("  %s\n", b.data);
        rw_buf_free(&b);
    }
    rw_notify_config_free(c);
    return 0;
}

/* The options every channel has, beside its type's (config.c reads them). */
static const rw_opt_spec common_opts[] = {
    {"min_severity", RW_OPT_STRING, "low", false, "low, medium, high or critical"},
    {"rules", RW_OPT_LIST, NULL, false, "only alerts of these rules (default: all)"},
    {"max_attempts", RW_OPT_INT, "8", false, "deliveries given up after this many tries"},
    {"retry_for", RW_OPT_STRING, "24h", false,
     "rootwatch watch: a failing delivery retried until this long after the alert was stored "
     "(1m to 30d)"},
    {NULL, 0, NULL, false, NULL},
};

static void json_member(rw_buf *b, const char *key, const char *v) {
    rw_buf_printf(b, ",\"%s\":", key);
    if (v)
        rw_json_write_str(b, v, strlen(v));
    else
        rw_buf_puts(b, "null");
}

static void json_options(rw_buf *b, const rw_opt_spec *opts, bool common, bool *first) {
    for (const rw_opt_spec *o = opts; o && o->name; o++) {
        rw_buf_puts(b, *first ? "{\"name\":" : ",{\"name\":");
        *first = false;
        rw_json_write_str(b, o->name, strlen(o->name));
        json_member(b, "type", rw_opt_type_name(o->type));
        rw_buf_printf(b, ",\"secret\":%s,\"list\":%s,\"required\":%s,\"common\":%s",
                      rw_opt_type_secret(o->type) ? "true" : "false",
                      rw_opt_type_list(o->type) ? "true" : "false", o->required ? "true" : "false",
                      common ? "true" : "false");
        json_member(b, "default", o->def);
        json_member(b, "help", o->help);
        rw_buf_putc(b, '}');
    }
}

/* The channel types and their options: as text, or (json) an array of objects {type, summary,
 * carries_event_id, options: [{name, type, secret, list, required, common, default, help}]}. */
static int cmd_channels(const char *format) {
    if (format && !strcmp(format, "json")) {
        rw_buf b;
        rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
        rw_buf_putc(&b, '[');
        for (size_t i = 0; rw_channel_types[i]; i++) {
            const rw_channel_type *t = rw_channel_types[i];
            rw_buf_puts(&b, i ? ",{\"type\":" : "{\"type\":");
            rw_json_write_str(&b, t->type, strlen(t->type));
            json_member(&b, "summary", t->summary);
            rw_buf_printf(&b, ",\"carries_event_id\":%s,\"options\":[",
                          t->idempotency_key ? "true" : "false");
            bool first = true;
            json_options(&b, t->opts, false, &first);
            json_options(&b, common_opts, true, &first);
            rw_buf_puts(&b, "]}");
        }
        rw_buf_puts(&b, "]\n");
        fwrite(b.data, 1, b.len, stdout);
        rw_buf_free(&b);
        return 0;
    }
    for (size_t i = 0; rw_channel_types[i]; i++) {
        const rw_channel_type *t = rw_channel_types[i];
        printf("%s: %s%s\n", t->type, t->summary,
               t->idempotency_key ? " (carries the eventID)" : "");
        for (int pass = 0; pass < 2; pass++)
            for (const rw_opt_spec *o = pass ? common_opts : t->opts; o && o->name; o++)
                printf("  %-16s %-10s %s%s%s%s\n", o->name, rw_opt_type_name(o->type),
                       o->help ? o->help : "", o->required ? " (required)" : "",
                       o->def ? "; default " : "", o->def ? o->def : "");
    }
    return 0;
}

int rw_cmd_notify(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    enum { O_CONFIG = 256, O_CHANNEL, O_STORE, O_WAIT, O_FORMAT };
    static const struct option opts[] = {{"config", required_argument, 0, O_CONFIG},
                                         {"channel", required_argument, 0, O_CHANNEL},
                                         {"store", required_argument, 0, O_STORE},
                                         {"wait", required_argument, 0, O_WAIT},
                                         {"format", required_argument, 0, O_FORMAT},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *config = NULL, *channel = NULL, *store = NULL, *format = NULL;
    int64_t wait_s = 60;
    int c, ac = argc - 1;
    char **av = argv + 1; /* "test ..." as its own command line */
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(ac, av, ":h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case O_CONFIG:
            config = optarg;
            break;
        case O_CHANNEL:
            channel = optarg;
            break;
        case O_STORE:
            store = optarg;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                rw_log_error("--format: text or json, not '%s'", optarg);
                return 2;
            }
            format = optarg;
            break;
        case O_WAIT:
            if (rw_duration_parse(optarg, &wait_s) != RW_OK) {
                rw_log_error("--wait: '%s' is not a duration (90s, 5m, 1h)", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            rw_cli_bad_option(c, av);
            return rw_cli_usage_error("notify");
        }
    }
    if (!strcmp(sub, "test")) return cmd_test(config, channel);
    if (!strcmp(sub, "flush")) return cmd_flush(config, store, wait_s);
    if (!strcmp(sub, "channels")) return cmd_channels(format);
    if (!strcmp(sub, "check")) return cmd_check(config);
    rw_log_error("unknown notify command '%s' (there are: test, flush, check, channels)", sub);
    return 2;
}

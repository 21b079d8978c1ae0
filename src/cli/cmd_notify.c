/* rootwatch notify: check the notification setup (test), send what earlier runs left (flush),
 * and list the channel types and their options (channels). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/notify_opt.h"
#include "notify/dispatch.h"
#include "notify/notify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"

static void usage(FILE *out) {
    fputs(
        "usage: rootwatch notify test [--channel NAME] [--config FILE]\n"
        "       rootwatch notify flush [--config FILE] [--store FILE] [--wait DURATION]\n"
        "       rootwatch notify channels\n"
        "\n"
        "test      sends a clearly marked test alert through every configured channel (or the one\n"
        "          named) and says, channel by channel, whether it got through\n"
        "flush     sends the deliveries earlier runs left in the store (a channel was down, the\n"
        "          process was stopped), retrying for up to --wait (default 60s)\n"
        "channels  lists the channel types and their options\n"
        "\n"
        "The configuration is --config, else $ROOTWATCH_CONFIG, ./rootwatch.yaml,\n"
        "~/.config/rootwatch/config.yaml, /etc/rootwatch/config.yaml (docs/notify.md).\n"
        "Exit status: 0 every delivery got through, 2 otherwise (or a usage error).\n",
        out);
}

/* Loads the configuration the options name (or the default one); reports and returns NULL. */
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
    return c;
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
    int64_t now_ms = rw_now_ms();
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
            fprintf(stderr, "notify test: %s (%s): FAILED: %s%s\n", ch->name, ch->type->type,
                    res.error[0] ? res.error : rw_error_last(),
                    res.retryable ? " (a temporary failure)" : "");
        }
    }
    rw_json_doc_free(doc);
    rw_buf_free(&js);
    rw_notify_config_free(c);
    return failed ? 2 : 0;
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

static int cmd_flush(const char *config, const char *store, int64_t wait_s) {
    rw_notify_config *c = rw_cli_notify_config(config);
    if (!c) return 2;
    rw_dispatch *d = NULL;
    if (rw_dispatch_open(&d, c, store) != RW_OK) {
        rw_log_error("%s", rw_error_last());
        rw_notify_config_free(c);
        return 2;
    }
    rw_dispatch_stats st;
    rw_dispatch_close(d, rw_now_ms() + wait_s * 1000, &st);
    rw_cli_notify_report(&st);
    rw_notify_config_free(c);
    return st.failed || st.pending ? 2 : 0;
}

/* A URL as it may be shown: scheme://host[:port] only (the rest may hold a token). */
static void url_shown(const char *url, char *out, size_t cap) {
    const char *p = strstr(url, "://");
    size_t n = p ? (size_t)(p + 3 - url) + strcspn(p + 3, "/?#@") : strcspn(url, "/?#");
    if (p && strchr(p + 3, '@') &&
        strchr(p + 3, '@') < p + 3 + strcspn(p + 3, "/?#")) /* user:pass@ */
        n = (size_t)(p + 3 - url);
    snprintf(out, cap, "%.*s%s", (int)n, url, strlen(url) > n ? "/..." : "");
}

static int cmd_check(const char *config) {
    rw_notify_config *c = rw_cli_notify_config(config);
    if (!c) return 2;
    printf("%s: %zu channels\n", c->path, c->nchannels);
    for (size_t i = 0; i < c->nchannels; i++) {
        rw_channel *ch = c->channels[i];
        printf("%s (%s): min_severity %s, max_attempts %d, rules ", ch->name, ch->type->type,
               rw_severity_name(ch->min_severity), ch->max_attempts);
        if (!ch->rules) printf("all");
        for (char **r = ch->rules; r && *r; r++) printf("%s%s", r == ch->rules ? "" : ",", *r);
        putchar('\n');
        for (const rw_opt_spec *o = ch->type->opts; o && o->name; o++) {
            char shown[300];
            if (o->type == RW_OPT_LIST) {
                const char *const *l = rw_opt_list(ch->opts, o->name);
                if (!*l) continue;
                printf("  %s:", o->name);
                for (; *l; l++) printf(" %s", *l);
                putchar('\n');
                continue;
            }
            const char *v = rw_opt_str(ch->opts, o->name);
            if (o->type == RW_OPT_BOOL)
                v = rw_opt_bool(ch->opts, o->name) ? "true" : "false";
            else if (o->type == RW_OPT_INT) {
                snprintf(shown, sizeof shown, "%ld", rw_opt_int(ch->opts, o->name));
                v = shown;
            }
            if (!v) continue;
            if (o->type == RW_OPT_SECRET) {
                v = "(set; not shown)";
            } else if (o->type == RW_OPT_URL) {
                url_shown(v, shown, sizeof shown);
                v = shown;
            }
            printf("  %s: %s\n", o->name, v);
        }
    }
    rw_notify_config_free(c);
    return 0;
}

static int cmd_channels(void) {
    for (size_t i = 0; rw_channel_types[i]; i++) {
        const rw_channel_type *t = rw_channel_types[i];
        printf("%s: %s%s\n", t->type, t->summary,
               t->idempotency_key ? " (carries the eventID)" : "");
        for (const rw_opt_spec *o = t->opts; o && o->name; o++) {
            static const char *const types[] = {"string",  "secret", "url",
                                                "integer", "bool",   "list"};
            printf("  %-16s %-8s %s%s%s%s\n", o->name, types[o->type], o->help ? o->help : "",
                   o->required ? " (required)" : "", o->def ? "; default " : "",
                   o->def ? o->def : "");
        }
        printf("  %-16s %-8s %s\n", "min_severity", "string",
               "low, medium, high or critical; default low");
        printf("  %-16s %-8s %s\n", "rules", "list", "only alerts of these rules; default all");
        printf("  %-16s %-8s %s\n", "max_attempts", "integer",
               "deliveries given up after this many tries; default 8");
    }
    return 0;
}

int rw_cmd_notify(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    enum { O_CONFIG = 256, O_CHANNEL, O_STORE, O_WAIT };
    static const struct option opts[] = {{"config", required_argument, 0, O_CONFIG},
                                         {"channel", required_argument, 0, O_CHANNEL},
                                         {"store", required_argument, 0, O_STORE},
                                         {"wait", required_argument, 0, O_WAIT},
                                         {"verbose", no_argument, 0, 'v'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *config = NULL, *channel = NULL, *store = NULL;
    int64_t wait_s = 60;
    int c, ac = argc - 1;
    char **av = argv + 1; /* "test ..." as its own command line */
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(ac, av, ":vh", opts, NULL)) != -1) {
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
        case O_WAIT:
            if (rw_duration_parse(optarg, &wait_s) != RW_OK) {
                rw_log_error("--wait: '%s' is not a duration (90s, 5m, 1h)", optarg);
                return 2;
            }
            break;
        case 'v':
            rw_log_set_level(RW_LOG_INFO);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            rw_log_error("option '%s' needs a value", av[optind - 1]);
            return 2;
        default:
            rw_log_error("unknown option '%s'", av[optind - 1]);
            return 2;
        }
    }
    if (!strcmp(sub, "test")) return cmd_test(config, channel);
    if (!strcmp(sub, "flush")) return cmd_flush(config, store, wait_s);
    if (!strcmp(sub, "channels")) return cmd_channels();
    if (!strcmp(sub, "check")) return cmd_check(config);
    rw_log_error("unknown notify command '%s' (there are: test, flush, check, channels)", sub);
    return 2;
}

/* rootwatch watch (issue 13): the real-time service. Options and wiring: the configuration file's
 * sources: (sources/watch_config.h), channels: and store: (notify), one unordered engine whose
 * units come from every source at once (each source's enumerate on a thread of its own), alerts
 * stored and delivered by the delivery engine (notify/dispatch.h) as they are found.
 *
 * Signals: SIGTERM and SIGINT stop the sources (they receive nothing more), let the units in hand
 * settle (read, stored, acknowledged; those queued but not started are handed back: an SQS
 * message becomes visible again at once), let the delivery in flight finish, and exit 0. SIGHUP
 * reloads the configuration file: a bad one is refused (logged, its error named) and the one in
 * use kept; a good one stops the old sources (their units in hand still settle), opens the new
 * channels' delivery engine, and starts the new sources.
 *
 * Several processes on one host may share one store (competing consumers of one queue): the store
 * holds every alert once (unique eventID, SQLite in WAL mode, one transaction per alert), so a
 * message received again by another process (its first reader was killed before deleting it)
 * stores nothing new; one process at a time delivers from it (STORE.lock), the others stand by
 * and take over when it ends (rw_dispatch_open_shared). That is how exactly-once holds across
 * processes here, rather than DynamoDB claims (src/lambda/idempotency.c): the store is already
 * the outbox every delivery goes through, so a claim in DynamoDB would only move the question to
 * "claimed, then killed before delivering"; the shared store answers it with the outbox itself.
 * Processes on several hosts need a store each and would need the DynamoDB claims: not done. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/aws_opt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/notify_opt.h"
#include "cli/rules_opt.h"
#include "cli/watch_http.h"
#include "engine/engine.h"
#include "notify/dispatch.h"
#include "notify/notify.h"
#include "report/format.h"
#include "sources/watch.h"
#include "sources/watch_config.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/sdnotify.h"
#include "util/signals.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* One configuration in use: its channels, its sources and the threads running them. */
typedef struct gen {
    rw_notify_config *ncfg;
    rw_watch_config *wcfg; /* the sources' options: borrowed by them until the engine ends */
    atomic_bool stop;
    rw_watch_env env; /* borrowed by the sources until the engine ends */
    pthread_t *threads;
    size_t nthreads;
    atomic_int running; /* source threads not yet returned */
    struct gen *older;
} gen;

/* A source the engine runs, with its configured name and type: what /metrics labels it with. */
typedef struct src_label {
    const rw_source *src;
    const char *name, *type; /* borrowed from its gen's wcfg, kept until the end */
} src_label;

typedef struct watch {
    const char *config_arg;
    const char *metrics_addr; /* --metrics */
    rw_watch_http *http;      /* its server, or NULL */
    pthread_mutex_t lmu;      /* guards labels */
    src_label *labels;
    size_t nlabels;
    char **sqs; /* --sqs URLs */
    size_t nsqs;
    char *config_path;
    char *store_path;
    rw_aws_opts aws_opts;
    rw_aws_lazy aws;
    pthread_mutex_t aws_lock;
    rw_metrics *metrics;
    rw_store *store; /* env.store: the sources' checkpoints */
    rw_engine *engine;
    pthread_mutex_t dlock;
    rw_dispatch *dispatch; /* the delivery engine of the configuration in use (under dlock) */
    gen *cur;
} watch;

typedef struct run_arg {
    watch *w;
    gen *g;
    rw_source *src;
    const char *name; /* its configured name */
} run_arg;

static atomic_int reload_asked;

static void on_hup(int sig) {
    (void)sig;
    atomic_store(&reload_asked, 1); /* only a flag: the main loop reloads */
}

static void usage(FILE *out) {
    fputs(
        "usage: rootwatch watch [options]\n"
        "\n"
        "The real-time service: receives CloudTrail events as they arrive from the sources of\n"
        "the configuration file (sources:, beside channels: and store:), finds root activity,\n"
        "stores each alert once and delivers it to the channels. Logs go to standard error,\n"
        "one line per alert at info. docs/watch.md tells more.\n"
        "\n"
        "options:\n"
        "      --config FILE       the configuration (default: $ROOTWATCH_CONFIG, "
        "./rootwatch.yaml,\n"
        "                          ~/.config/rootwatch/config.yaml, /etc/rootwatch/config.yaml)\n"
        "      --sqs QUEUE_URL     also read this SQS queue (a source of type sqs with its\n"
        "                          defaults; repeat for more queues)\n"
        "      --store FILE        the alert store (default: the configuration's store:, else\n"
        "                          ~/.local/state/rootwatch/rootwatch.db); processes on one host\n"
        "                          may share it\n"
        "      --log-format FMT    text or json (one object a line: time, level, message, fields)\n"
        "  -j, --jobs N            threads reading units (default 4)\n"
        "      --rules FILE        also apply the rules in FILE (repeat for more files)\n"
        "      --no-builtin        do not apply the built-in root rules (only --rules)\n"
        "      --metrics ADDR      serve /metrics (Prometheus) and /healthz on ADDR\n"
        "                          (127.0.0.1:9464; plain HTTP, for loopback or a private\n"
        "                          network)\n"
        "      --list-sources      list the source types and their options, and "
        "exit\n" RW_CLI_VERBOSITY_HELP
        "                          (default here: info, one line per alert)\n"
        "  -h, --help              show this help\n" RW_AWS_OPTS_HELP "\n"
        "Signals: SIGTERM or SIGINT stop receiving, settle what is in hand and exit 0; SIGHUP\n"
        "reloads the configuration (a bad one is refused and the one in use kept).\n",
        out);
}

static void list_sources(void) {
    for (size_t i = 0; rw_watch_source_types[i]; i++) {
        const rw_watch_source_type *t = rw_watch_source_types[i];
        printf("%s: %s\n", t->type, t->summary ? t->summary : "");
        for (const rw_opt_spec *o = t->opts; o && o->name; o++) {
            printf("  %-20s %-8s %s", o->name, rw_opt_type_name(o->type), o->help ? o->help : "");
            if (o->required) printf(" (required)");
            if (o->def) printf(" (default %s)", o->def);
            putchar('\n');
        }
    }
}

/* ---- what sources share ---------------------------------------------------------------------- */

static rw_aws_session *env_aws(rw_watch_env *env) {
    watch *w = env->aws_ctx;
    pthread_mutex_lock(&w->aws_lock);
    rw_aws_session *s = rw_aws_lazy_get(&w->aws);
    pthread_mutex_unlock(&w->aws_lock);
    return s;
}

/* ---- alerts ---------------------------------------------------------------------------------- */

static char *safe_copy(const char *s) {
    if (!s) return NULL;
    char *c = rw_xstrdup(s);
    rw_format_term_safe(c, strlen(c));
    return c;
}

/* The configured name of a source the engine runs (its own name when not found). */
static const char *source_name(watch *w, const rw_source *src) {
    const char *name = src->name;
    pthread_mutex_lock(&w->lmu);
    for (size_t i = 0; i < w->nlabels; i++)
        if (w->labels[i].src == src) name = w->labels[i].name;
    pthread_mutex_unlock(&w->lmu);
    return name;
}

static int on_alert(void *ctx, rw_unit *u, const rw_alert *a) {
    watch *w = ctx;
    bool added = false;
    pthread_mutex_lock(&w->dlock);
    int rc = rw_dispatch_alert(w->dispatch, a, &added);
    pthread_mutex_unlock(&w->dlock);
    rw_watch_http_store(w->http, rc != RW_OK ? rw_error_last() : NULL);
    if (rc != RW_OK) return rc;
    int64_t t;
    if (added && a->event_time && rw_time_parse(a->event_time, &t) == RW_OK)
        rw_metrics_observe(w->metrics, "rootwatch_alert_lag_seconds",
                           "Seconds from a root event's eventTime to its alert stored",
                           (double)(rw_time_now_ms() - t * 1000) / 1000.0, NULL);
    const char *sev = rw_alert_severity_name(a->severity);
    /* what the record says, made safe for a terminal and a text log (a control character in an
     * event name must not forge a log line) */
    char *id = safe_copy(a->event_id), *account = safe_copy(a->account);
    char *name = safe_copy(a->event_name);
    const char *fields[] = {"source",    source_name(w, rw_unit_source(u)),
                            "unit",      rw_unit_name(u),
                            "eventID",   id,
                            "rule",      a->rule,
                            "severity",  sev,
                            "account",   account,
                            "eventName", name,
                            NULL};
    rw_log_fields(RW_LOG_INFO, fields, "alert: %s %s in account %s (%s)%s", name ? name : "?", sev,
                  account ? account : "?", a->rule ? a->rule : "?",
                  added ? "" : ": stored already, not sent again");
    free(id);
    free(account);
    free(name);
    rw_metrics_add(w->metrics, added ? "rootwatch_alerts_total" : "rootwatch_alerts_known_total",
                   added ? "Alerts found and stored, per rule and severity"
                         : "Alerts found again that the store held already (not sent again)",
                   1, (const char *[]){"rule", a->rule ? a->rule : "", "severity", sev, NULL});
    return RW_OK;
}

/* ---- what /metrics and /healthz are told -------------------------------------------------- */

static void env_health(rw_watch_env *env, const char *source, const char *error) {
    watch *w = env->health_ctx;
    rw_watch_http_source(w->http, source, error);
}

/* Each unit read: its records and whether it failed, per source (engine unit_done). */
static void on_unit_done(void *ctx, const rw_source *src, uint64_t records, bool failed, bool ok) {
    watch *w = ctx;
    const char *name = src->name, *type = src->type->type;
    pthread_mutex_lock(&w->lmu);
    for (size_t i = 0; i < w->nlabels; i++)
        if (w->labels[i].src == src) {
            name = w->labels[i].name;
            type = w->labels[i].type;
        }
    pthread_mutex_unlock(&w->lmu);
    const char *l[] = {"source", name, "type", type, NULL};
    rw_metrics_add(w->metrics, "rootwatch_source_events_total",
                   "CloudTrail records (events) read, per source", (double)records, l);
    if (failed || !ok)
        rw_metrics_add(w->metrics, "rootwatch_source_units_failed_total",
                       "Units not read in full, or whose alerts could not be stored (left to be "
                       "read again), per source",
                       1, l);
}

/* The store's deliveries by state, for /metrics (every 10 s, from the main loop, on a connection
 * of its own): a channel that is down shows as pending deliveries piling up. */
static void count_deliveries(watch *w, rw_store **conn) {
    if (!w->http) return;
    if (!*conn && rw_store_open_readonly(conn, w->store_path) != RW_OK) return;
    uint64_t n[4] = {0, 0, 0, 0};
    if (rw_store_counts(*conn, n) != RW_OK) return;
    static const char *const state[4] = {"pending", "sending", "sent", "failed"};
    for (int i = 0; i < 4; i++)
        rw_metrics_set(w->metrics, "rootwatch_store_deliveries",
                       "Deliveries in the store by state (every process sharing it: pending, "
                       "sending, sent, failed: given up)",
                       (double)n[i], (const char *[]){"state", state[i], NULL});
}

/* ---- configurations -------------------------------------------------------------------------- */

static void gen_free(gen *g) {
    if (!g) return;
    rw_notify_config_free(g->ncfg);
    rw_watch_config_free(g->wcfg);
    free(g->threads);
    free(g);
}

/* Reads the configuration file and the --sqs sources; a new gen with its sources made (not
 * started) in *srcs, or NULL with the error set. */
static gen *load(watch *w, rw_source ***srcs) {
    *srcs = NULL;
    rw_buf text;
    rw_buf_init(&text, 16 << 20);
    rw_buf_set_secret(&text); /* it may hold secrets */
    gen *g = rw_xcalloc(1, sizeof *g);
    int rc = rw_buf_read_file(&text, w->config_path);
    if (rc != RW_OK) rw_error_wrap(rc, "cannot read the configuration");
    if (rc == RW_OK)
        rc = rw_notify_config_parse(&g->ncfg, text.data ? text.data : "", text.len, w->config_path);
    if (rc == RW_OK)
        rc = rw_watch_config_parse(&g->wcfg, text.data ? text.data : "", text.len, w->config_path);
    rw_buf_free(&text);
    for (size_t i = 0; rc == RW_OK && i < w->nsqs; i++) {
        /* named after the queue; --sqs-2 ... when that name is taken */
        char name[80];
        const char *q = strrchr(w->sqs[i], '/');
        snprintf(name, sizeof name, "%.60s", q && q[1] ? q + 1 : "sqs");
        for (char *p = name; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
                *p = '_';
        for (int k = 2; rw_watch_config_has(g->wcfg, name); k++)
            snprintf(name, sizeof name, "%.60s-%d", q && q[1] ? q + 1 : "sqs", k);
        rw_json_doc *d = rw_json_doc_new(NULL);
        rw_json *o = rw_json_doc_node(d, RW_JSON_OBJECT, NULL, 0, 0);
        rw_json_doc_set_root(d, o);
        rw_json_doc_append(d, o,
                           rw_json_doc_node(d, RW_JSON_STRING, w->sqs[i], strlen(w->sqs[i]), 0),
                           "queue_url", 9);
        rc = rw_watch_config_add(g->wcfg, name, "sqs", o);
        if (rc != RW_OK) rw_error_wrap(rc, "--sqs %s", w->sqs[i]);
        rw_json_doc_free(d);
    }
    if (rc == RW_OK && g->wcfg->n == 0)
        rc = rw_error_set(RW_EINVAL,
                          "no source to watch: give --sqs QUEUE_URL, or list sources: in %s "
                          "(rootwatch watch --list-sources)",
                          w->config_path);
    g->env = (rw_watch_env){
        .aws = env_aws, .aws_ctx = w, .store = w->store, .metrics = w->metrics, .stop = &g->stop};
    g->env.health = env_health;
    g->env.health_ctx = w;
    rw_source **v = rc == RW_OK ? rw_xcalloc(g->wcfg->n, sizeof *v) : NULL;
    for (size_t i = 0; rc == RW_OK && i < g->wcfg->n; i++) {
        const rw_watch_source_conf *sc = &g->wcfg->sources[i];
        rc = sc->type->create(&v[i], sc->name, sc->opts, &g->env);
        if (rc != RW_OK) {
            rw_error_wrap(rc, "%s", w->config_path);
            for (size_t k = 0; k < i; k++) rw_source_free(v[k]);
            free(v);
            v = NULL;
        }
    }
    if (rc != RW_OK) {
        gen_free(g);
        return NULL;
    }
    *srcs = v;
    return g;
}

static void *run_source(void *arg) {
    run_arg *r = arg;
    const char *name = r->name;
    rw_engine_run(r->w->engine, r->src); /* until the source is told to stop */
    if (!atomic_load(&r->g->stop) && !rw_signal_stop_requested()) /* it failed as a whole */
        for (int i = 0; i < RW_WATCH_HTTP_FAILS; i++)
            rw_watch_http_source(r->w->http, name, "stopped (the errors above)");
    atomic_fetch_sub(&r->g->running, 1);
    free(r);
    return NULL;
}

static void start(watch *w, gen *g, rw_source **srcs) {
    g->nthreads = g->wcfg->n;
    g->threads = rw_xcalloc(g->nthreads, sizeof *g->threads);
    atomic_store(&g->running, (int)g->nthreads);
    for (size_t i = 0; i < g->nthreads; i++) {
        const rw_watch_source_conf *sc = &g->wcfg->sources[i];
        rw_log_info("source %s (%s) started", sc->name, sc->type->type);
        run_arg *r = rw_xcalloc(1, sizeof *r);
        *r = (run_arg){w, g, srcs[i], sc->name};
        pthread_mutex_lock(&w->lmu);
        w->labels = rw_xrealloc(w->labels, (w->nlabels + 1) * sizeof *w->labels);
        w->labels[w->nlabels++] = (src_label){srcs[i], sc->name, sc->type->type};
        pthread_mutex_unlock(&w->lmu);
        if (pthread_create(&g->threads[i], NULL, run_source, r) != 0) {
            rw_log_error("source %s: cannot start its thread", sc->name);
            abort();
        }
    }
    free(srcs);
    g->older = w->cur;
    w->cur = g;
}

/* Stops the sources of g: they receive no more; what they handed the engine still settles. */
static void stop_sources(gen *g) {
    atomic_store(&g->stop, true);
    for (size_t i = 0; i < g->nthreads; i++) pthread_join(g->threads[i], NULL);
    g->nthreads = 0;
}

static void reload(watch *w) {
    rw_log_info("SIGHUP: reloading %s", w->config_path);
    rw_source **srcs;
    gen *g = load(w, &srcs);
    rw_dispatch *d = NULL;
    if (g && rw_dispatch_open_counted(&d, g->ncfg, w->store_path, w->metrics) != RW_OK) {
        for (size_t i = 0; i < g->wcfg->n; i++) rw_source_free(srcs[i]);
        free(srcs);
        gen_free(g);
        g = NULL;
    }
    if (!g) {
        rw_log_error("SIGHUP: %s is refused, the configuration in use is kept: %s", w->config_path,
                     rw_error_last());
        return;
    }
    if (g->ncfg->store_path && strcmp(g->ncfg->store_path, w->store_path))
        rw_log_warn("SIGHUP: store: %s is not the store in use (%s): a new store takes effect at "
                    "the next start",
                    g->ncfg->store_path, w->store_path);
    gen *old = w->cur;
    stop_sources(old); /* first: a new source may need what an old one holds (a port) */
    pthread_mutex_lock(&w->dlock);
    rw_dispatch *od = w->dispatch;
    w->dispatch = d;
    pthread_mutex_unlock(&w->dlock);
    /* the old channels finish what is in flight; what they leave stays in the store, for the
     * new channels of the same names */
    rw_dispatch_close(od, rw_time_now_ms() + 5000, NULL);
    rw_notify_config_free(old->ncfg);
    old->ncfg = NULL;
    rw_watch_http_sources_reset(w->http);
    start(w, g, srcs);
    rw_log_info("SIGHUP: %s loaded: %zu sources, %zu channels", w->config_path, g->wcfg->n,
                g->ncfg->nchannels);
}

int rw_cmd_watch(int argc, char **argv) {
    enum {
        O_CONFIG = 256,
        O_SQS,
        O_STORE,
        O_LOGFMT,
        O_RULES,
        O_NOBUILTIN,
        O_PROFILE,
        O_ENDPOINT,
        O_LIST,
        O_METRICS
    };
    static const struct option opts[] = {{"config", required_argument, 0, O_CONFIG},
                                         {"sqs", required_argument, 0, O_SQS},
                                         {"store", required_argument, 0, O_STORE},
                                         {"log-format", required_argument, 0, O_LOGFMT},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"rules", required_argument, 0, O_RULES},
                                         {"no-builtin", no_argument, 0, O_NOBUILTIN},
                                         {"profile", required_argument, 0, O_PROFILE},
                                         {"endpoint-url", required_argument, 0, O_ENDPOINT},
                                         {"list-sources", no_argument, 0, O_LIST},
                                         {"metrics", required_argument, 0, O_METRICS},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    watch w;
    memset(&w, 0, sizeof w);
    pthread_mutex_init(&w.aws_lock, NULL);
    pthread_mutex_init(&w.dlock, NULL);
    pthread_mutex_init(&w.lmu, NULL);
    char **rule_files = NULL;
    size_t nrules = 0;
    bool no_builtin = false, json = false;
    long jobs = 4;
    rw_ruleset *rules = NULL;
    int rc = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case O_CONFIG:
            w.config_arg = optarg;
            break;
        case O_SQS:
            w.sqs = rw_xrealloc(w.sqs, (w.nsqs + 1) * sizeof *w.sqs);
            w.sqs[w.nsqs++] = optarg;
            break;
        case O_STORE:
            free(w.store_path);
            w.store_path = rw_xstrdup(optarg);
            break;
        case O_LOGFMT:
            if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                rw_error_set(RW_EINVAL, "--log-format takes text or json, not '%s'", optarg);
                goto usage_error;
            }
            json = !strcmp(optarg, "json");
            break;
        case 'j': {
            char *end;
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 1024) {
                rw_error_set(RW_EINVAL, "-j needs a number of threads from 1 to 1024, not '%s'",
                             optarg);
                goto usage_error;
            }
            break;
        }
        case O_RULES:
            rule_files = rw_xrealloc(rule_files, (nrules + 2) * sizeof *rule_files);
            rule_files[nrules++] = optarg;
            rule_files[nrules] = NULL;
            break;
        case O_NOBUILTIN:
            no_builtin = true;
            break;
        case O_PROFILE:
            w.aws_opts.profile = optarg;
            break;
        case O_ENDPOINT:
            w.aws_opts.endpoint_url = optarg;
            break;
        case O_METRICS:
            if (rw_watch_http_check(optarg) != RW_OK) {
                rw_error_wrap(RW_EINVAL, "--metrics '%s'", optarg);
                goto usage_error;
            }
            w.metrics_addr = optarg;
            break;
        case O_LIST:
            list_sources();
            free(w.sqs);
            free(w.store_path);
            free(rule_files);
            return 0;
        case 'h':
            usage(stdout);
            free(w.sqs);
            free(w.store_path);
            free(rule_files);
            return 0;
        default:
            rw_cli_bad_option(c, argv);
            goto usage_error;
        }
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL,
                     "rootwatch watch takes no arguments ('%s'): sources are in the "
                     "configuration, or --sqs QUEUE_URL",
                     argv[optind]);
        goto usage_error;
    }
    w.config_path = rw_notify_config_find(w.config_arg);
    if (!w.config_path) {
        rw_error_set(RW_EINVAL,
                     "no configuration: give --config FILE, or write one of $ROOTWATCH_CONFIG, "
                     "./rootwatch.yaml, ~/.config/rootwatch/config.yaml, "
                     "/etc/rootwatch/config.yaml, with the channels alerts go to (docs/notify.md)");
        goto usage_error;
    }
    rw_log_set_json(json);
    rw_log_set_time(json);
    /* a service: one line per alert unless told otherwise */
    rw_log_set_level(rw_cli_verbose() ? RW_LOG_DEBUG : rw_cli_quiet() ? RW_LOG_WARN : RW_LOG_INFO);
    /* systemd (Type=notify): before any thread starts, as it edits the environment */
    int64_t watchdog_us = rw_sd_init();
    int64_t watchdog_ms = 0;

    w.metrics = rw_metrics_new();
    w.aws.opts = &w.aws_opts;
    rw_source **srcs = NULL;
    gen *g = load(&w, &srcs);
    if (!g) {
        rw_log_error("%s", rw_error_last());
        rc = 2; /* a usage error: the configuration or the options */
        goto out;
    }
    /* before the store and the channels: a port in use stops nothing half started */
    if (w.metrics_addr && rw_watch_http_start(&w.http, w.metrics_addr, w.metrics) != RW_OK) {
        rw_log_error("%s", rw_error_last());
        for (size_t i = 0; i < g->wcfg->n; i++) rw_source_free(srcs[i]);
        free(srcs);
        gen_free(g);
        rc = 1;
        goto out;
    }
    if (!w.store_path)
        w.store_path =
            g->ncfg->store_path ? rw_xstrdup(g->ncfg->store_path) : rw_store_default_path();
    rules = rw_cli_load_rules(!no_builtin, rule_files, rw_time_now());
    if (!rules || rw_store_open(&w.store, w.store_path) != RW_OK ||
        rw_dispatch_open_counted(&w.dispatch, g->ncfg, w.store_path, w.metrics) != RW_OK) {
        if (rules) rw_log_error("%s", rw_error_last());
        for (size_t i = 0; i < g->wcfg->n; i++) rw_source_free(srcs[i]);
        free(srcs);
        gen_free(g);
        rc = 1;
        goto out;
    }
    g->env.store = w.store;

    rw_signal_install(); /* SIGINT, SIGTERM: a flag the engine, sources and channels poll */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);

    rw_engine_opts eo = {.rules = rules,
                         .threads = (int)jobs,
                         .ordered = false, /* a slow unit holds back no other */
                         .verbose = rw_cli_verbose(),
                         .unit_alert = on_alert,
                         .unit_done = on_unit_done,
                         .ctx = &w};
    rw_engine_new(&w.engine, &eo);
    rw_log_info("watching: %zu sources, %zu channels, store %s", g->wcfg->n, g->ncfg->nchannels,
                w.store_path);
    start(&w, g, srcs);
    char ready[160];
    snprintf(ready, sizeof ready, "READY=1\nSTATUS=watching: %zu sources, %zu channels", g->wcfg->n,
             g->ncfg->nchannels);
    rw_sd_notify(ready);
    bool all_stopped = false;
    rw_store *stats = NULL; /* count_deliveries' connection */
    int64_t counted_ms = 0;
    while (!rw_signal_stop_requested()) {
        rw_watch_http_beat(w.http);
        if (rw_time_now_ms() - counted_ms >= 10000) {
            count_deliveries(&w, &stats);
            counted_ms = rw_time_now_ms();
        }
        if (watchdog_us && rw_time_now_ms() - watchdog_ms >= watchdog_us / 2000) {
            rw_sd_notify("WATCHDOG=1"); /* the main loop turns: systemd's watchdog is fed */
            watchdog_ms = rw_time_now_ms();
        }
        if (atomic_exchange(&reload_asked, 0)) {
            struct timespec mono;
            clock_gettime(CLOCK_MONOTONIC, &mono);
            char reloading[80];
            snprintf(reloading, sizeof reloading, "RELOADING=1\nMONOTONIC_USEC=%lld",
                     (long long)mono.tv_sec * 1000000LL + mono.tv_nsec / 1000);
            rw_sd_notify(reloading);
            reload(&w);
            snprintf(ready, sizeof ready, "READY=1\nSTATUS=watching: %zu sources, %zu channels",
                     w.cur->wcfg->n, w.cur->ncfg ? w.cur->ncfg->nchannels : 0);
            rw_sd_notify(ready);
        }
        if (atomic_load(&w.cur->running) == 0) { /* sources never end by themselves */
            all_stopped = true;
            break;
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    int sig = rw_signal_stop_requested();
    rw_store_close(stats);
    rw_sd_notify("STOPPING=1");
    rw_watch_http_stopping(w.http, sig ? rw_signal_name(sig) : "every source has stopped");
    if (sig)
        rw_log_info("%s: stopping: nothing more is received; what is in hand settles",
                    rw_signal_name(sig));
    else
        rw_log_error("every source has stopped (the errors above): exiting");
    for (gen *o = w.cur; o; o = o->older) stop_sources(o);
    rw_engine_finish(w.engine); /* the units in hand settle: stored, acknowledged */
    rw_summary *sum = rw_engine_summary(w.engine);
    rw_dispatch_stats st;
    rw_dispatch_close(w.dispatch, rw_time_now_ms(), &st); /* the delivery in flight finishes */
    w.dispatch = NULL;
    rw_log_info("stopped: %llu units read, %llu alerts (%llu new in the store), %llu deliveries "
                "sent, %llu left pending, %llu units handed back unread",
                (unsigned long long)sum->files, (unsigned long long)sum->alerts,
                (unsigned long long)st.alerts_new, (unsigned long long)st.sent,
                (unsigned long long)st.pending, (unsigned long long)rw_engine_not_read(w.engine));
    rc = all_stopped && !sig ? 1 : 0; /* a stop asked for ends the sources too: not a failure */
    goto out;

usage_error:
    rc = rw_cli_usage_error("watch");
out:
    rw_engine_free(w.engine);   /* frees the sources: before the configurations they borrow */
    rw_watch_http_stop(w.http); /* after the engine: units settling still count */
    free(w.labels);
    pthread_mutex_destroy(&w.lmu);
    if (w.dispatch) rw_dispatch_close(w.dispatch, 0, NULL);
    for (gen *o = w.cur, *next; o; o = next) {
        next = o->older;
        gen_free(o);
    }
    rw_store_close(w.store);
    rw_ruleset_free(rules);
    rw_aws_lazy_close(&w.aws);
    rw_metrics_free(w.metrics);
    free(w.sqs);
    free(rule_files);
    free(w.config_path);
    free(w.store_path);
    pthread_mutex_destroy(&w.aws_lock);
    pthread_mutex_destroy(&w.dlock);
    return rc;
}

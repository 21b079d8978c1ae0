/* A test program with a source of its own, written here (nothing in the engine knows it): a spool
 * folder, each file in it a unit of work, acknowledged by deleting the file once the engine says
 * the unit is settled (its alerts stored). It shows that a source is one file filling in an
 * rw_source_type, and that a unit is acknowledged only after its alerts are in the store.
 *
 *   rw_spool_tool CONFIG STORE SPOOL_DIR
 *
 * Alerts are stored in STORE and delivered through the channels of CONFIG (waiting up to 30 s).
 * With RW_SPOOL_KILL_AT_SETTLE=N the process kills itself (SIGKILL) when the N-th unit settles,
 * after its alerts were stored and before its file is deleted: the next run reads that file again.
 * Prints "settled NAME ok|failed" per unit and exits 0 when everything was read and delivered. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "notify/dispatch.h"
#include "notify/notify.h"
#include "util/err.h"
#include "util/log.h"

typedef struct spool {
    char *dir;
    int settled;
    int kill_at;
} spool;

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int spool_enumerate(rw_source *src, rw_emit *emit) {
    spool *s = src->state;
    DIR *d = opendir(s->dir);
    if (!d) return rw_error_set(RW_EIO, "cannot open the spool folder");
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    int rc = RW_OK;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", s->dir, names[i]);
        if (rc == RW_OK) rc = rw_emit_unit(emit, path, true, NULL, NULL);
        free(names[i]);
    }
    return rc;
}

static void spool_read(rw_source *src, rw_unit *u, void **worker) {
    (void)src;
    (void)worker;
    FILE *f = fopen(rw_unit_name(u), "rb");
    if (!f) {
        rw_unit_fail(u, "cannot open");
        return;
    }
    rw_unit_read_fd(u, fileno(f));
    fclose(f);
}

static void spool_settle(rw_source *src, rw_unit *u, bool ok) {
    spool *s = src->state;
    if (++s->settled == s->kill_at) raise(SIGKILL); /* stored, not yet acknowledged */
    printf("settled %s %s\n", rw_unit_name(u), ok ? "ok" : "failed");
    fflush(stdout);
    if (ok) remove(rw_unit_name(u)); /* the acknowledgement */
}

static const rw_source_type spool_type = {
    .type = "spool",
    .enumerate = spool_enumerate,
    .read = spool_read,
    .settle = spool_settle,
};

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: rw_spool_tool CONFIG STORE SPOOL_DIR\n");
        return 2;
    }
    rw_notify_config *cfg;
    if (rw_notify_config_load(&cfg, argv[1]) != RW_OK) {
        fprintf(stderr, "%s\n", rw_error_last());
        return 2;
    }
    rw_dispatch *d;
    if (rw_dispatch_open(&d, cfg, argv[2]) != RW_OK) {
        fprintf(stderr, "%s\n", rw_error_last());
        return 2;
    }
    rw_ruleset *rules = rw_ruleset_new();
    if (rw_ruleset_load_builtin(rules) != RW_OK) return 2;
    rw_ruleset_freeze(rules, 0);
    const char *k = getenv("RW_SPOOL_KILL_AT_SETTLE");
    spool s = {argv[3], 0, k ? atoi(k) : 0};
    rw_engine_opts o = {.rules = rules, .threads = 2, .ordered = false, .dispatch = d};
    rw_engine *e;
    rw_engine_new(&e, &o);
    rw_engine_run(e, rw_source_new(&spool_type, "spool", &s));
    rw_engine_finish(e);
    bool failed = rw_engine_failed(e);
    rw_dispatch_stats st;
    rw_dispatch_close(d, rw_time_now_ms() + 30000, &st);
    printf("alerts new %llu known %llu sent %llu pending %llu\n", (unsigned long long)st.alerts_new,
           (unsigned long long)st.alerts_known, (unsigned long long)st.sent,
           (unsigned long long)st.pending);
    rw_engine_free(e);
    rw_ruleset_free(rules);
    rw_notify_config_free(cfg);
    return failed || st.pending || st.failed ? 1 : 0;
}

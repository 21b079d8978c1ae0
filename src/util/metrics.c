/* Counters, gauges and histograms rendered as Prometheus text (util/metrics.h).
 *
 * One mutex guards everything: counting is a lookup and an addition, far cheaper than the work
 * counted (a unit read, an alert delivered), and a scrape renders a few hundred lines at most.
 * Families are kept in the order their names were first used; a family's series in the order
 * their label sets were first used. A label set is kept sorted by label name, so the same labels
 * given in another order are the same series (as Prometheus sees them).
 *
 * Misuse is not fatal: a name first used as one kind and later as another keeps its first kind
 * (the later call is ignored and logged once); a negative or NaN counter increment is ignored;
 * names that are not valid Prometheus names have their other characters rendered as '_'. */
#include "util/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmalloc.h"

enum kind { K_COUNTER, K_GAUGE, K_HISTOGRAM };

static const double bucket_bounds[] = {0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600};
#define NBOUNDS (sizeof bucket_bounds / sizeof bucket_bounds[0])

typedef struct series {
    char **labels; /* name, value pairs, sorted by name; nlabels pairs */
    size_t nlabels;
    double value;              /* counter, gauge */
    uint64_t buckets[NBOUNDS]; /* histogram: observations <= each bound (not cumulative) */
    uint64_t count;            /* histogram: every observation, +Inf included */
    double sum;                /* histogram */
} series;

typedef struct family {
    char *name;
    char *help;
    enum kind kind;
    bool warned; /* a misuse was logged */
    series **series;
    size_t nseries, capseries;
} family;

struct rw_metrics {
    pthread_mutex_t mu;
    family **fams;
    size_t nfams, capfams;
};

rw_metrics *rw_metrics_new(void) {
    rw_metrics *m = rw_xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

static void series_free(series *s) {
    for (size_t i = 0; i < 2 * s->nlabels; i++) free(s->labels[i]);
    free(s->labels);
    free(s);
}

void rw_metrics_free(rw_metrics *m) {
    if (!m) return;
    for (size_t i = 0; i < m->nfams; i++) {
        family *f = m->fams[i];
        for (size_t j = 0; j < f->nseries; j++) series_free(f->series[j]);
        free(f->series);
        free(f->name);
        free(f->help);
        free(f);
    }
    free(m->fams);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const char *kind_name(enum kind k) {
    return k == K_COUNTER ? "counter" : k == K_GAUGE ? "gauge" : "histogram";
}

/* The family named name, made with kind and help when it is new; NULL when it exists as another
 * kind. Called with the lock held. */
static family *family_get(rw_metrics *m, const char *name, const char *help, enum kind kind) {
    for (size_t i = 0; i < m->nfams; i++) {
        family *f = m->fams[i];
        if (strcmp(f->name, name) != 0) continue;
        if (f->kind == kind) return f;
        if (!f->warned) {
            f->warned = true;
            rw_log_warn("metrics: %s is a %s, not a %s: the %s is not counted", name,
                        kind_name(f->kind), kind_name(kind), kind_name(kind));
        }
        return NULL;
    }
    if (m->nfams == m->capfams) {
        m->capfams = m->capfams ? 2 * m->capfams : 16;
        m->fams = rw_xrealloc(m->fams, m->capfams * sizeof *m->fams);
    }
    family *f = rw_xcalloc(1, sizeof *f);
    f->name = rw_xstrdup(name);
    f->help = rw_xstrdup(help ? help : "");
    f->kind = kind;
    m->fams[m->nfams++] = f;
    return f;
}

static family *family_find(rw_metrics *m, const char *name) {
    for (size_t i = 0; i < m->nfams; i++)
        if (strcmp(m->fams[i]->name, name) == 0) return m->fams[i];
    return NULL;
}

static size_t count_pairs(const char *const *labels) {
    size_t n = 0;
    if (labels)
        while (labels[2 * n] && labels[2 * n + 1]) n++;
    return n;
}

/* Does s hold exactly the n pairs of labels (in any order)? */
static bool series_matches(const series *s, const char *const *labels, size_t n) {
    if (s->nlabels != n) return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(s->labels[2 * j], labels[2 * i]) == 0 &&
                    strcmp(s->labels[2 * j + 1], labels[2 * i + 1]) == 0;
        if (!found) return false;
    }
    return true;
}

static series *series_find(family *f, const char *const *labels) {
    size_t n = count_pairs(labels);
    for (size_t i = 0; i < f->nseries; i++)
        if (series_matches(f->series[i], labels, n)) return f->series[i];
    return NULL;
}

static series *series_get(family *f, const char *const *labels) {
    series *s = series_find(f, labels);
    if (s) return s;
    size_t n = count_pairs(labels);
    s = rw_xcalloc(1, sizeof *s);
    s->nlabels = n;
    s->labels = rw_xcalloc(2 * n + 1, sizeof *s->labels);
    for (size_t i = 0; i < n; i++) { /* insertion sort by name */
        size_t j = i;
        while (j > 0 && strcmp(s->labels[2 * (j - 1)], labels[2 * i]) > 0) {
            s->labels[2 * j] = s->labels[2 * (j - 1)];
            s->labels[2 * j + 1] = s->labels[2 * (j - 1) + 1];
            j--;
        }
        s->labels[2 * j] = rw_xstrdup(labels[2 * i]);
        s->labels[2 * j + 1] = rw_xstrdup(labels[2 * i + 1]);
    }
    if (f->nseries == f->capseries) {
        f->capseries = f->capseries ? 2 * f->capseries : 8;
        f->series = rw_xrealloc(f->series, f->capseries * sizeof *f->series);
    }
    f->series[f->nseries++] = s;
    return s;
}

void rw_metrics_add(rw_metrics *m, const char *name, const char *help, double v,
                    const char *const *labels) {
    if (!m || !name || !(v >= 0)) return; /* negative or NaN: a counter only goes up */
    pthread_mutex_lock(&m->mu);
    family *f = family_get(m, name, help, K_COUNTER);
    if (f) series_get(f, labels)->value += v;
    pthread_mutex_unlock(&m->mu);
}

void rw_metrics_set(rw_metrics *m, const char *name, const char *help, double v,
                    const char *const *labels) {
    if (!m || !name) return;
    pthread_mutex_lock(&m->mu);
    family *f = family_get(m, name, help, K_GAUGE);
    if (f) series_get(f, labels)->value = v;
    pthread_mutex_unlock(&m->mu);
}

void rw_metrics_observe(rw_metrics *m, const char *name, const char *help, double v,
                        const char *const *labels) {
    if (!m || !name || isnan(v)) return;
    pthread_mutex_lock(&m->mu);
    family *f = family_get(m, name, help, K_HISTOGRAM);
    if (f) {
        series *s = series_get(f, labels);
        for (size_t i = 0; i < NBOUNDS; i++)
            if (v <= bucket_bounds[i]) {
                s->buckets[i]++;
                break;
            }
        s->count++;
        s->sum += v;
    }
    pthread_mutex_unlock(&m->mu);
}

double rw_metrics_get(rw_metrics *m, const char *name, const char *const *labels) {
    if (!m || !name) return 0;
    double v = 0;
    pthread_mutex_lock(&m->mu);
    family *f = family_find(m, name);
    series *s = f ? series_find(f, labels) : NULL;
    if (s) v = f->kind == K_HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&m->mu);
    return v;
}

/* ---- rendering ------------------------------------------------------------------------------ */

/* A metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]* (label names take no ':'), anything else '_'. */
static void put_name(rw_buf *out, const char *name, bool label) {
    if (!*name) {
        rw_buf_putc(out, '_');
        return;
    }
    for (size_t i = 0; name[i]; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (c == ':' && !label) || (i > 0 && c >= '0' && c <= '9');
        rw_buf_putc(out, ok ? c : '_');
    }
}

/* Label values escape backslash, double quote and line feed; help texts backslash and line feed. */
static void put_escaped(rw_buf *out, const char *s, bool quote) {
    for (; *s; s++) {
        if (*s == '\\')
            rw_buf_puts(out, "\\\\");
        else if (*s == '\n')
            rw_buf_puts(out, "\\n");
        else if (*s == '"' && quote)
            rw_buf_puts(out, "\\\"");
        else
            rw_buf_putc(out, *s);
    }
}

static void put_value(rw_buf *out, double v) {
    if (isnan(v))
        rw_buf_puts(out, "NaN");
    else if (isinf(v))
        rw_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        rw_buf_printf(out, "%.0f", v);
    else
        rw_buf_printf(out, "%.17g", v);
}

/* {a="1",b="2"} plus an le label last (histograms), or nothing when there are no labels. */
static void put_labels(rw_buf *out, const series *s, const char *le) {
    if (s->nlabels == 0 && !le) return;
    rw_buf_putc(out, '{');
    for (size_t i = 0; i < s->nlabels; i++) {
        if (i) rw_buf_putc(out, ',');
        put_name(out, s->labels[2 * i], true);
        rw_buf_puts(out, "=\"");
        put_escaped(out, s->labels[2 * i + 1], true);
        rw_buf_putc(out, '"');
    }
    if (le) rw_buf_printf(out, "%sle=\"%s\"", s->nlabels ? "," : "", le);
    rw_buf_putc(out, '}');
}

static void put_sample(rw_buf *out, const family *f, const char *suffix, const series *s,
                       const char *le, double v) {
    put_name(out, f->name, false);
    rw_buf_puts(out, suffix);
    put_labels(out, s, le);
    rw_buf_putc(out, ' ');
    put_value(out, v);
    rw_buf_putc(out, '\n');
}

void rw_metrics_render(rw_metrics *m, rw_buf *out) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nfams; i++) {
        const family *f = m->fams[i];
        if (*f->help) {
            rw_buf_puts(out, "# HELP ");
            put_name(out, f->name, false);
            rw_buf_putc(out, ' ');
            put_escaped(out, f->help, false);
            rw_buf_putc(out, '\n');
        }
        rw_buf_puts(out, "# TYPE ");
        put_name(out, f->name, false);
        rw_buf_printf(out, " %s\n", kind_name(f->kind));
        for (size_t j = 0; j < f->nseries; j++) {
            const series *s = f->series[j];
            if (f->kind != K_HISTOGRAM) {
                put_sample(out, f, "", s, NULL, s->value);
                continue;
            }
            uint64_t cum = 0;
            for (size_t b = 0; b < NBOUNDS; b++) {
                char le[32];
                cum += s->buckets[b];
                snprintf(le, sizeof le, "%g", bucket_bounds[b]);
                put_sample(out, f, "_bucket", s, le, (double)cum);
            }
            put_sample(out, f, "_bucket", s, "+Inf", (double)s->count);
            put_sample(out, f, "_sum", s, NULL, s->sum);
            put_sample(out, f, "_count", s, NULL, (double)s->count);
        }
    }
    pthread_mutex_unlock(&m->mu);
}

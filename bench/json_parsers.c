/* Parses the same CloudTrail records (one per line of an NDJSON file) with rootwatch's parser and
 * with the JSON libraries Debian packages (jansson, cJSON, json-c, yajl), building a full tree each
 * time, and prints records per second and MB per second for each: the measurement behind
 * docs/design-notes.md's choice. Built and run by bench/json_bench.sh. */
#include <cjson/cJSON.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "util/json.h"

typedef struct line {
    char *s;
    size_t n;
} line;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static rw_json_doc *doc;

static int p_rootwatch(const line *l) {
    return rw_json_doc_parse(doc, l->s, l->n) == 0 && rw_json_doc_root(doc) != NULL;
}
static int p_jansson(const line *l) {
    json_error_t e;
    json_t *j = json_loadb(l->s, l->n, 0, &e);
    if (!j) return 0;
    json_decref(j);
    return 1;
}
static int p_cjson(const line *l) {
    cJSON *j = cJSON_ParseWithLength(l->s, l->n);
    if (!j) return 0;
    cJSON_Delete(j);
    return 1;
}
int jsonc_parse(const char *s, size_t n); /* json_parsers_jsonc.c: its names clash with jansson's */
static int p_jsonc(const line *l) {
    return jsonc_parse(l->s, l->n);
}
static int p_yajl(const line *l) {
    char err[128];
    yajl_val v = yajl_tree_parse(l->s, err, sizeof err); /* needs NUL-terminated text */
    if (!v) return 0;
    yajl_tree_free(v);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: json_parsers RECORDS.ndjson [runs]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 2;
    line *lines = NULL;
    size_t n = 0, cap = 0, bytes = 0;
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t got;
    while ((got = getline(&buf, &bcap, f)) > 0) {
        while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r')) buf[--got] = 0;
        if (!got) continue;
        if (n == cap) lines = realloc(lines, (cap = cap ? cap * 2 : 1024) * sizeof *lines);
        lines[n].s = malloc((size_t)got + 1);
        memcpy(lines[n].s, buf, (size_t)got + 1);
        lines[n++].n = (size_t)got;
        bytes += (size_t)got;
    }
    fclose(f);
    free(buf);
    doc = rw_json_doc_new(NULL);
    struct {
        const char *name;
        int (*parse)(const line *);
    } ps[] = {{"rootwatch (src/util/json.c)", p_rootwatch},
              {"jansson 2.14", p_jansson},
              {"cJSON 1.7.15", p_cjson},
              {"json-c 0.16", p_jsonc},
              {"yajl 2.1 (tree)", p_yajl}};
    printf("| parser | records/s | MB/s | median of %d runs |\n|---|---:|---:|---:|\n", runs);
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        double *t = calloc((size_t)runs, sizeof *t);
        for (int r = 0; r < runs; r++) {
            double t0 = now();
            size_t ok = 0;
            for (size_t i = 0; i < n; i++) ok += (size_t)ps[k].parse(&lines[i]);
            t[r] = now() - t0;
            if (ok != n) {
                fprintf(stderr, "%s: %zu of %zu records failed to parse\n", ps[k].name, n - ok, n);
                return 1;
            }
        }
        qsort(t, (size_t)runs, sizeof *t, cmp_d);
        double med = t[runs / 2];
        printf("| %s | %.0f | %.0f | %.3f s |\n", ps[k].name, (double)n / med,
               (double)bytes / 1e6 / med, med);
        free(t);
    }
    printf("\n%zu records, %.1f MB.\n", n, (double)bytes / 1e6);
    rw_json_doc_free(doc);
    for (size_t i = 0; i < n; i++) free(lines[i].s);
    free(lines);
    return 0;
}

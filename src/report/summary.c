#include "report/summary.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static void count(rw_count **list, size_t *n, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i].name, name) == 0) {
            (*list)[i].n++;
            return;
        }
    *list = rw_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[*n].name = rw_xstrdup(name);
    (*list)[(*n)++].n = 1;
}

void rw_summary_add_alert(rw_summary *s, const rw_alert *a) {
    s->alerts++;
    s->by_kind[a->kind]++;
    s->by_severity[a->severity]++;
    count(&s->by_account, &s->naccounts, a->account ? a->account : "unknown");
}

void rw_summary_add_service(rw_summary *s, const char *service) {
    count(&s->by_service, &s->nservices, service);
}

static void size_str(uint64_t n, char out[32]) {
    if (n >= 1000000000ULL)
        snprintf(out, 32, "%.2f GB", n / 1e9);
    else if (n >= 1000000ULL)
        snprintf(out, 32, "%.1f MB", n / 1e6);
    else if (n >= 1000ULL)
        snprintf(out, 32, "%.1f kB", n / 1e3);
    else
        snprintf(out, 32, "%llu bytes", (unsigned long long)n);
}

static int cmp_count(const void *a, const void *b) {
    const rw_count *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

void rw_summary_print(FILE *out, const rw_summary *s) {
    char in[32], dec[32];
    size_str(s->bytes_in, in);
    size_str(s->bytes_out, dec);
    /* the categories in parentheses add up to the files; "with problems" is part of CloudTrail */
    fprintf(out, "summary: %llu file%s read (%llu CloudTrail", (unsigned long long)s->files,
            s->files == 1 ? "" : "s", (unsigned long long)s->files_trail);
    if (s->files_trail_problems)
        fprintf(out, " (%llu with problems)", (unsigned long long)s->files_trail_problems);
    if (s->files_digest) fprintf(out, ", %llu digest skipped", (unsigned long long)s->files_digest);
    if (s->files_other)
        fprintf(out, ", %llu not CloudTrail skipped", (unsigned long long)s->files_other);
    if (s->files_empty) fprintf(out, ", %llu empty", (unsigned long long)s->files_empty);
    if (s->files_skipped)
        fprintf(out, ", %llu links to folders or special files skipped",
                (unsigned long long)s->files_skipped);
    fprintf(out, ", %llu failed)\n", (unsigned long long)s->files_failed);
    fprintf(out,
            "summary: %llu records (%llu parsed in full), %s read, %s decompressed, in %.2f s\n",
            (unsigned long long)s->records, (unsigned long long)s->candidates, in, dec, s->seconds);
    fprintf(out, "summary: %llu alert%s", (unsigned long long)s->alerts, s->alerts == 1 ? "" : "s");
    if (s->duplicates)
        fprintf(out, ", %llu duplicate deliver%s ignored", (unsigned long long)s->duplicates,
                s->duplicates == 1 ? "y" : "ies");
    if (s->filtered) fprintf(out, ", %llu outside the filters", (unsigned long long)s->filtered);
    if (s->suppressed)
        fprintf(out, ", %llu held back by rule exceptions", (unsigned long long)s->suppressed);
    fputc('\n', out);
    if (s->alerts) {
        rw_count *acc = rw_xmalloc(s->naccounts * sizeof *acc);
        memcpy(acc, s->by_account, s->naccounts * sizeof *acc);
        qsort(acc, s->naccounts, sizeof *acc, cmp_count);
        fprintf(out, "summary: by account:");
        for (size_t i = 0; i < s->naccounts; i++)
            fprintf(out, " %s %llu", acc[i].name, (unsigned long long)acc[i].n);
        free(acc);
        fprintf(out, "\nsummary: by kind: console_login %llu, signin_other %llu, api_call %llu\n",
                (unsigned long long)s->by_kind[RW_KIND_CONSOLE_LOGIN],
                (unsigned long long)s->by_kind[RW_KIND_SIGNIN_OTHER],
                (unsigned long long)s->by_kind[RW_KIND_API_CALL]);
        fprintf(out, "summary: by severity: critical %llu, high %llu, medium %llu, low %llu\n",
                (unsigned long long)s->by_severity[RW_SEV_CRITICAL],
                (unsigned long long)s->by_severity[RW_SEV_HIGH],
                (unsigned long long)s->by_severity[RW_SEV_MEDIUM],
                (unsigned long long)s->by_severity[RW_SEV_LOW]);
    }
    if (s->nservices) {
        rw_count *svc = rw_xmalloc(s->nservices * sizeof *svc);
        memcpy(svc, s->by_service, s->nservices * sizeof *svc);
        qsort(svc, s->nservices, sizeof *svc, cmp_count);
        fprintf(out, "summary: root events made by AWS services on the account's behalf, not "
                     "alerted:");
        for (size_t i = 0; i < s->nservices; i++)
            fprintf(out, "%s %s %llu", i ? "," : "", svc[i].name, (unsigned long long)svc[i].n);
        fputc('\n', out);
        free(svc);
    }
    if (s->problems)
        fprintf(out, "summary: %llu problem%s reported above\n", (unsigned long long)s->problems,
                s->problems == 1 ? "" : "s");
}

void rw_summary_free(rw_summary *s) {
    for (size_t i = 0; i < s->naccounts; i++) free(s->by_account[i].name);
    free(s->by_account);
    s->by_account = NULL;
    s->naccounts = 0;
    for (size_t i = 0; i < s->nservices; i++) free(s->by_service[i].name);
    free(s->by_service);
    s->by_service = NULL;
    s->nservices = 0;
}

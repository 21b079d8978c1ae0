/* rootwatch scan: sources -> trail reader -> root rule -> output. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "cli/aws_opt.h"
#include "cli/commands.h"
#include "cli/notify_opt.h"
#include "cli/rules_opt.h"
#include "report/format.h"
#include "report/summary.h"
#include "rules/detect.h"
#include "rules/ruleset.h"
#include "sources/in_file.h"
#include "sources/in_lookup.h"
#include "sources/in_s3.h"
#include "trail/prefilter.h"
#include "trail/reader.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/pool.h"
#include "util/signals.h"
#include "util/strset.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define MAX_PROBLEMS_PER_FILE 50

typedef struct problem {
    uint64_t offset;
    int page; /* LookupEvents: the page the offset is in (0: not paged) */
    char *msg;
} problem;

typedef enum job_kind { JOB_FILE, JOB_S3, JOB_LOOKUP } job_kind;

typedef struct scan_job {
    job_kind kind;
    char *path;   /* a file; for S3 and LookupEvents what the user reads ("s3://b/k") */
    char *bucket; /* S3: the bucket, the key, the bucket's region */
    char *key;    /* S3: the key; LookupEvents: the region */
    const char *region;
    int page;     /* LookupEvents: the page being read */
    bool named;   /* named on the command line, not found in a folder */
    bool skipped; /* not read: a stop was asked for (SIGINT, SIGTERM) before its turn */
    char *open_error;
    int rc;
    rw_trail_stats st;
    rw_alert **alerts;
    size_t nalerts, alerts_cap;
    problem *probs;
    size_t nprobs, probs_cap;
    uint64_t more_probs; /* beyond MAX_PROBLEMS_PER_FILE */
    uint64_t suppressed; /* matched a rule, held back by one of its exceptions */
    char **filtered;     /* the eventIDs of root activity outside the filters (NULL: none) */
    size_t nfiltered, filtered_cap;
    rw_alert **service; /* root events AWS services made on the account's behalf: counted */
    size_t nservice, service_cap;
} scan_job;

typedef struct scan {
    rw_trail_opts topts;
    rw_filter filter;
    size_t max_depth;
    rw_writer *writer;
    rw_summary sum;
    rw_strset seen;
    rw_strset seen_filtered; /* counted once, as alerts are, however often delivered */
    rw_strset seen_service;
    bool failed;
    bool verbose;
    int write_rc;
    rw_pool *pool;
    rw_ruleset *rules;
    /* AWS sources */
    rw_aws_opts aws_opts;
    rw_aws_session aws;
    bool aws_open;
    rw_aws_client *aws_main; /* the submitting thread's (listings) */
    rw_lookup_query lookup;
    char **bucket_regions; /* kept for the jobs that point at them */
    size_t nbucket_regions;
    uint64_t s3_listed, s3_digests, s3_out_of_range;
    uint64_t not_read; /* inputs left unread after SIGINT or SIGTERM */
    /* --notify */
    rw_dispatch *dispatch;
    bool notify_failed;
} scan;

typedef struct worker {
    scan *s;
    rw_trail_reader *reader;
    rw_detector *det;
    rw_aws_client *aws; /* made when the first AWS job comes */
    scan_job *job;
} worker;

static void add_problem(scan_job *j, uint64_t off, const char *msg) {
    if (j->nprobs == MAX_PROBLEMS_PER_FILE) {
        j->more_probs++;
        return;
    }
    if (j->nprobs == j->probs_cap) {
        j->probs_cap = j->probs_cap ? j->probs_cap * 2 : 8;
        j->probs = rw_xrealloc(j->probs, j->probs_cap * sizeof *j->probs);
    }
    j->probs[j->nprobs].offset = off;
    j->probs[j->nprobs].page = j->page;
    j->probs[j->nprobs].msg = rw_xstrdup(msg);
    rw_format_term_safe(j->probs[j->nprobs].msg, strlen(msg)); /* it may quote the record */
    j->nprobs++;
}

static void on_problem(void *ctx, uint64_t off, const char *msg) {
    add_problem(((worker *)ctx)->job, off, msg);
}

static int on_candidate(void *ctx, const rw_trail_record *rec) {
    worker *w = ctx;
    scan_job *j = w->job;
    rw_alert *a;
    rw_verdict v = rw_detector_check(w->det, rec, j->path, &a, on_problem, w);
    if (v == RW_VERDICT_FILTERED) {
        if (j->nfiltered == j->filtered_cap) {
            j->filtered_cap = j->filtered_cap ? j->filtered_cap * 2 : 4;
            j->filtered = rw_xrealloc(j->filtered, j->filtered_cap * sizeof *j->filtered);
        }
        j->filtered[j->nfiltered++] =
            a->event_id ? rw_xstrdup(a->event_id) : NULL; /* counted once */
        rw_alert_free(a);
    }
    if (v == RW_VERDICT_SUPPRESSED) j->suppressed++;
    if (v == RW_VERDICT_SERVICE) {
        if (j->nservice == j->service_cap) {
            j->service_cap = j->service_cap ? j->service_cap * 2 : 4;
            j->service = rw_xrealloc(j->service, j->service_cap * sizeof *j->service);
        }
        j->service[j->nservice++] = a;
    }
    if (v != RW_VERDICT_ALERT) return RW_OK;
    if (j->nalerts == j->alerts_cap) {
        j->alerts_cap = j->alerts_cap ? j->alerts_cap * 2 : 4;
        j->alerts = rw_xrealloc(j->alerts, j->alerts_cap * sizeof *j->alerts);
    }
    j->alerts[j->nalerts++] = a;
    return RW_OK;
}

static void *worker_init(void *arg) {
    scan *s = arg;
    worker *w = rw_xcalloc(1, sizeof *w);
    w->s = s;
    w->reader = rw_trail_reader_new(&s->topts);
    w->det = rw_detector_new_rules(&s->filter, s->rules, s->max_depth);
    return w;
}

static void worker_fini(void *state) {
    worker *w = state;
    rw_trail_reader_free(w->reader);
    rw_detector_free(w->det);
    rw_aws_client_free(w->aws);
    free(w);
}

static void add_stats(rw_trail_stats *to, const rw_trail_stats *st) {
    to->bytes_in += st->bytes_in;
    to->bytes_out += st->bytes_out;
    to->records += st->records;
    to->candidates += st->candidates;
    to->other_values += st->other_values;
    to->errors += st->errors;
    if (to->kind == RW_TRAIL_UNKNOWN || to->kind == RW_TRAIL_EMPTY) to->kind = st->kind;
    to->gzip |= st->gzip;
}

static int on_lookup_page(void *ctx, int number, const char *data, size_t len) {
    worker *w = ctx;
    scan_job *j = w->job;
    j->page = number;
    rw_trail_sink sink = {w, on_candidate, on_problem};
    rw_trail_stats st;
    int rc = rw_trail_read_mem(w->reader, data, len, &st, &sink);
    if (rc && st.errors == 0) add_problem(j, st.bytes_out, rw_error_last());
    if (st.kind != RW_TRAIL_LOOKUP && st.kind != RW_TRAIL_EMPTY) {
        add_problem(j, 0, "the reply is not a LookupEvents response");
        rc = rc ? rc : RW_EIO;
    }
    add_stats(&j->st, &st);
    if (rc && !j->rc) j->rc = rc;
    if (rw_signal_stop_requested()) /* this page is read and kept; no more are asked for */
        return rw_error_set(RW_ECANCELED, "stopped by %s after page %d",
                            rw_signal_name(rw_signal_stop_requested()), number);
    return RW_OK; /* the next pages are still read */
}

static void work_aws(worker *w, scan_job *j) {
    if (!w->aws) w->aws = rw_aws_client_new(w->s->aws.cfg, w->s->aws.creds, NULL);
    if (j->kind == JOB_S3) {
        rw_http_response resp;
        rw_http_response_init(&resp);
        int rc = rw_s3_get(w->aws, j->region, j->bucket, j->key, &resp);
        if (rc != RW_OK) {
            j->open_error = rw_xstrdup(rw_error_last());
        } else {
            rw_trail_sink sink = {w, on_candidate, on_problem};
            j->rc = rw_trail_read_mem(w->reader, resp.body.data ? resp.body.data : "",
                                      resp.body.len, &j->st, &sink);
            if (j->rc && j->nprobs == 0) add_problem(j, j->st.bytes_out, rw_error_last());
        }
        rw_http_response_free(&resp);
        return;
    }
    j->st.kind = RW_TRAIL_UNKNOWN;
    int rc = rw_lookup_pages(w->aws, j->key, &w->s->lookup, on_lookup_page, w);
    if (rc != RW_OK) {
        j->page = 0;
        if (j->st.kind == RW_TRAIL_UNKNOWN)
            j->open_error = rw_xstrdup(rw_error_last());
        else
            add_problem(j, 0, rw_error_last()); /* the pages read so far still count */
        j->rc = rc;
    }
}

static void work(void *state, void *job) {
    worker *w = state;
    scan_job *j = job;
    if (rw_signal_stop_requested()) { /* queued before the signal: left for the next run */
        j->skipped = true;
        return;
    }
    w->job = j;
    if (j->kind != JOB_FILE) {
        work_aws(w, j);
        w->job = NULL;
        return;
    }
    bool is_stdin = strcmp(j->path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(j->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        j->open_error = rw_xstrdup(strerror(errno));
        return;
    }
    rw_trail_sink sink = {w, on_candidate, on_problem};
    j->rc = rw_trail_read_fd(w->reader, fd, &j->st, &sink);
    if (j->rc && j->nprobs == 0) add_problem(j, j->st.bytes_out, rw_error_last());
    if (!is_stdin) close(fd);
    w->job = NULL;
}

static const char *display(const scan_job *j) {
    return strcmp(j->path, "-") == 0 ? "(standard input)" : j->path;
}

static void free_job(scan_job *j) {
    for (size_t i = 0; i < j->nalerts; i++) rw_alert_free(j->alerts[i]);
    for (size_t i = 0; i < j->nprobs; i++) free(j->probs[i].msg);
    for (size_t i = 0; i < j->nfiltered; i++) free(j->filtered[i]);
    free(j->filtered);
    for (size_t i = 0; i < j->nservice; i++) rw_alert_free(j->service[i]);
    free(j->service);
    free(j->alerts);
    free(j->probs);
    free(j->open_error);
    free(j->path);
    free(j->bucket);
    free(j->key);
    free(j);
}

static void done(void *arg, void *job) {
    scan *s = arg;
    scan_job *j = job;
    rw_summary *sum = &s->sum;
    if (j->skipped) {
        s->not_read++;
        free_job(j);
        return;
    }
    sum->files++;
    if (j->open_error) {
        if (j->kind == JOB_FILE)
            rw_log_error("%s: cannot open: %s", display(j), j->open_error);
        else
            rw_log_error("%s: %s", display(j), j->open_error);
        sum->files_failed++;
        sum->problems++;
        s->failed = true;
        free_job(j);
        return;
    }
    sum->bytes_in += j->st.bytes_in;
    sum->bytes_out += j->st.bytes_out;
    sum->records += j->st.records;
    sum->candidates += j->st.candidates;
    for (size_t i = 0; i < j->nfiltered; i++)
        if (!j->filtered[i] || rw_strset_add(&s->seen_filtered, j->filtered[i])) sum->filtered++;
    sum->suppressed += j->suppressed;
    for (size_t i = 0; i < j->nservice; i++) { /* once, however often delivered */
        rw_alert *a = j->service[i];
        if (a->event_id && !rw_strset_add(&s->seen_service, a->event_id)) continue;
        rw_format_term_safe(a->invoked_by, strlen(a->invoked_by)); /* it quotes the record */
        rw_summary_add_service(sum, a->invoked_by);
    }
    const char *where = j->st.gzip ? "decompressed byte" : "byte";
    for (size_t i = 0; i < j->nprobs; i++) {
        if (j->probs[i].page)
            rw_log_error("%s: page %d, %s %llu: %s", display(j), j->probs[i].page, where,
                         (unsigned long long)j->probs[i].offset, j->probs[i].msg);
        else if (j->kind == JOB_LOOKUP)
            rw_log_error("%s: %s", display(j), j->probs[i].msg);
        else
            rw_log_error("%s: %s %llu: %s", display(j), where,
                         (unsigned long long)j->probs[i].offset, j->probs[i].msg);
    }
    if (j->more_probs)
        rw_log_error("%s: %llu more problems not shown", display(j),
                     (unsigned long long)j->more_probs);
    sum->problems += j->nprobs + j->more_probs;
    /* each file is counted in exactly one category of the summary; a problem in it (reported
     * above) makes the exit status 2 whatever the category */
    bool bad = j->nprobs > 0;
    switch (j->st.kind) {
    case RW_TRAIL_EMPTY:
    case RW_TRAIL_UNKNOWN:
        if (bad) { /* damaged before anything in it could be told (a corrupt gzip, say) */
            sum->files_failed++;
            break;
        }
        sum->files_empty++;
        if (j->named) { /* asked for by name: say so; in a folder (a .gitkeep) it is skipped */
            rw_log_error("%s: empty: no data", display(j));
            sum->problems++;
            bad = true;
        } else if (s->verbose) {
            rw_log_info("%s: skipped: empty", display(j));
        }
        break;
    case RW_TRAIL_DIGEST:
        sum->files_digest++;
        if (s->verbose) rw_log_info("%s: skipped: CloudTrail digest file", display(j));
        break;
    case RW_TRAIL_OTHER:
        sum->files_other++;
        if (j->named && !bad) {
            rw_log_error("%s: not CloudTrail data (no CloudTrail records, EventBridge events or "
                         "LookupEvents response found)",
                         display(j));
            sum->problems++;
            bad = true;
        } else if (s->verbose) {
            rw_log_info("%s: skipped: not CloudTrail data", display(j));
        }
        break;
    default:
        sum->files_trail++;
        if (bad) sum->files_trail_problems++; /* read, with records or bytes that could not be */
    }
    if (bad) s->failed = true;
    for (size_t i = 0; i < j->nalerts; i++) {
        rw_alert *a = j->alerts[i];
        if (a->event_id && !rw_strset_add(&s->seen, a->event_id)) {
            sum->duplicates++;
            continue;
        }
        if (a->event_id_derived)
            rw_log_warn("%s: %s %llu: root activity, but %s: it is identified as %s (derived from "
                        "the record's content; eventIDDerived is true in the alert)",
                        display(j), where, (unsigned long long)a->offset, a->event_id_derived,
                        a->event_id);
        rw_summary_add_alert(sum, a);
        if (!s->write_rc) s->write_rc = rw_writer_alert(s->writer, a);
        if (s->dispatch) {
            bool added;
            if (rw_dispatch_alert(s->dispatch, a, &added) != RW_OK) {
                rw_log_error("%s", rw_error_last());
                s->notify_failed = true;
            }
        }
    }
    free_job(j);
}

static void on_file(void *ctx, const char *path, bool named) {
    scan *s = ctx;
    if (rw_signal_stop_requested()) {
        s->not_read++;
        return;
    }
    scan_job *j = rw_xcalloc(1, sizeof *j);
    j->path = rw_xstrdup(path);
    j->named = named;
    rw_pool_submit(s->pool, j);
}

static void on_walk_error(void *ctx, const char *path, const char *msg) {
    scan *s = ctx;
    rw_log_error("%s: %s", path, msg);
    s->sum.files++;
    s->sum.files_failed++;
    s->sum.problems++;
    s->failed = true;
}

/* An entry of a folder that is not read (a link to a folder, a named pipe, a device). */
static void on_walk_skipped(void *ctx, const char *path, const char *what) {
    scan *s = ctx;
    if (s->verbose) rw_log_info("%s: skipped: %s", path, what);
    s->sum.files++;
    s->sum.files_skipped++;
}

static void free_list(char **list);

/* Opens the AWS session on first use (a scan of local files needs no AWS settings). */
static bool aws_ready(scan *s) {
    if (s->aws_open) return true;
    if (rw_aws_session_open(&s->aws, &s->aws_opts) != RW_OK) return false;
    s->aws_open = true;
    s->aws_main = rw_aws_client_new(s->aws.cfg, s->aws.creds, NULL);
    return true;
}

static void aws_source_failed(scan *s, const char *what) {
    rw_log_error("%s: %s", what, rw_error_last());
    s->sum.files++;
    s->sum.files_failed++;
    s->sum.problems++;
    s->failed = true;
}

typedef struct s3_listing {
    scan *s;
    const char *bucket, *region;
} s3_listing;

static int on_s3_object(void *ctx, const rw_s3_object *o) {
    s3_listing *l = ctx;
    scan *s = l->s;
    if (rw_signal_stop_requested()) { /* the listing stops here */
        s->not_read++;
        return rw_error_set(RW_ECANCELED, "stopped by %s",
                            rw_signal_name(rw_signal_stop_requested()));
    }
    s->s3_listed++;
    if (rw_s3_key_is_digest(o->key)) { /* never fetched */
        s->s3_digests++;
        s->sum.files++;
        s->sum.files_digest++;
        if (s->verbose)
            rw_log_info("s3://%s/%s: skipped: CloudTrail digest file", l->bucket, o->key);
        return RW_OK;
    }
    int64_t day;
    if ((s->filter.has_since || s->filter.has_until) && rw_s3_key_day(o->key, &day)) {
        /* a file holds events from before its delivery: a day that ends before --since holds none
         * in range; for --until, two days of delivery delay are allowed for */
        if ((s->filter.has_since && day + 86400 <= s->filter.since) ||
            (s->filter.has_until && day > s->filter.until + RW_S3_DELIVERY_DELAY)) {
            s->s3_out_of_range++;
            return RW_OK;
        }
    }
    scan_job *j = rw_xcalloc(1, sizeof *j);
    j->kind = JOB_S3;
    size_t n = strlen(l->bucket) + strlen(o->key) + 7;
    j->path = rw_xmalloc(n);
    snprintf(j->path, n, "s3://%s/%s", l->bucket, o->key);
    j->bucket = rw_xstrdup(l->bucket);
    j->key = rw_xstrdup(o->key);
    j->region = l->region;
    j->named = false;
    rw_pool_submit(s->pool, j);
    return RW_OK;
}

static void add_s3(scan *s, const char *url) {
    char *bucket = NULL, *prefix = NULL;
    if (rw_s3_url_parse(url, &bucket, &prefix) != RW_OK) {
        aws_source_failed(s, "scan");
        return;
    }
    if (!aws_ready(s)) {
        s->failed = true;
    } else {
        char *region = rw_s3_bucket_region(s->aws_main, bucket, s->aws.cfg->region);
        if (!region) {
            aws_source_failed(s, url);
        } else {
            s->bucket_regions = rw_xrealloc(s->bucket_regions,
                                            (s->nbucket_regions + 1) * sizeof *s->bucket_regions);
            s->bucket_regions[s->nbucket_regions++] = region;
            s3_listing l = {s, bucket, region};
            uint64_t before = s->s3_listed;
            rw_s3_range range = {s->filter.has_since, s->filter.has_until, s->filter.since,
                                 s->filter.until};
            rw_s3_walk_stats ws;
            if (rw_s3_walk(s->aws_main, region, bucket, prefix, &range, &ws, on_s3_object, &l) !=
                    RW_OK &&
                !rw_signal_stop_requested())
                aws_source_failed(s, url);
            if (ws.pruned_folders || ws.digest_folders)
                rw_log_info(
                    "%s: %llu folders listed; not listed: %llu year, month or day folders outside "
                    "--since/--until, %llu digest folders",
                    url, (unsigned long long)ws.listings, (unsigned long long)ws.pruned_folders,
                    (unsigned long long)ws.digest_folders);
            else if (s->s3_listed == before)
                rw_log_warn("%s: no objects", url);
        }
    }
    free(bucket);
    free(prefix);
}

static void add_lookup(scan *s, char **regions) {
    if (!aws_ready(s)) {
        s->failed = true;
        return;
    }
    char **list = NULL, *one[2] = {NULL, NULL};
    bool all = regions && regions[0] && !strcmp(regions[0], "all") && !regions[1];
    if (all) {
        if (rw_lookup_regions(s->aws_main, s->aws.cfg->region, &list) != RW_OK) {
            aws_source_failed(s, "CloudTrail LookupEvents");
            return;
        }
        regions = list;
    } else if (!regions) {
        if (!s->aws.cfg->region) {
            rw_error_set(RW_EINVAL,
                         "no region: give --regions LIST or all, or set AWS_REGION or the "
                         "profile's region");
            aws_source_failed(s, "CloudTrail LookupEvents");
            return;
        }
        one[0] = s->aws.cfg->region;
        regions = one;
    }
    for (char **r = regions; *r; r++) {
        if (rw_signal_stop_requested()) {
            s->not_read++;
            continue;
        }
        scan_job *j = rw_xcalloc(1, sizeof *j);
        j->kind = JOB_LOOKUP;
        size_t n = strlen(*r) + 32;
        j->path = rw_xmalloc(n);
        snprintf(j->path, n, "CloudTrail LookupEvents %s", *r);
        j->key = rw_xstrdup(*r);
        j->named = true;
        rw_pool_submit(s->pool, j);
    }
    free_list(list);
}

static void usage(FILE *out) {
    fputs(
        "usage: rootwatch scan [options] SOURCE...\n"
        "\n"
        "Reports every use of the root user in CloudTrail history. A SOURCE is a file, a folder\n"
        "(searched recursively) or - for standard input. Files may be CloudTrail log files\n"
        "(.json or .json.gz), NDJSON of CloudTrail records (CloudWatch Logs exports), NDJSON of\n"
        "EventBridge events, or a LookupEvents response; the kind is told from the content.\n"
        "\n"
        "options:\n"
        "  -f, --format FMT        table, json, ndjson or csv (default: table on a terminal,\n"
        "                          ndjson otherwise)\n"
        "      --since WHEN        only activity at or after WHEN: a time (2026-11-20,\n"
        "                          2026-11-20T10:00:00Z) or a duration before now (7d, 12h, 30m)\n"
        "      --until WHEN        only activity before WHEN\n"
        "      --account ID        only this account (repeat, or separate with commas)\n"
        "      --region NAME       only this region (repeat, or separate with commas)\n"
        "  -j, --jobs N            threads to use (default: all cores)\n"
        "      --summary           print the summary on standard output, after the alerts\n"
        "  -q, --quiet             print no summary\n"
        "  -v, --verbose           also name the files skipped\n"
        "      --color WHEN        auto, always or never (default: auto)\n"
        "      --rules FILE        also apply the rules in FILE (YAML; repeat for more files;\n"
        "                          docs/rules.md)\n"
        "      --no-builtin        do not apply the built-in root rules (only --rules)\n"
        "      --max-record-size N the largest record parsed, in bytes (K, M, G allowed;\n"
        "                          default 16M)\n"
        "  -h, --help              show this help\n"
        "\n"
        "AWS sources:\n"
        "  s3://BUCKET[/PREFIX]    a SOURCE may be a trail's bucket: every log file under the\n"
        "                          prefix is read (AWSLogs/<account>/... and organization trails'\n"
        "                          AWSLogs/<org-id>/<account>/...), digests skipped, days outside\n"
        "                          --since/--until skipped by the date in the key\n"
        "      --lookup-events     read the CloudTrail event history (LookupEvents, the last 90\n"
        "                          days) of the regions given by --regions\n"
        "      --regions LIST      the regions for --lookup-events, separated by commas, or all\n"
        "                          (default: the configured region)\n" RW_AWS_OPTS_HELP
        "  AWS credentials and the AWS region are found as the AWS CLI finds them (see\n"
        "  'rootwatch aws whoami'); --region filters records, it does not choose where to call.\n"
        "\n"
        "Notifying:\n"
        "      --notify            send every alert found through the configured channels, once:\n"
        "                          alerts go to the store first, so re-scanning sends nothing new\n"
        "      --config FILE       the notification configuration (docs/notify.md)\n"
        "      --store FILE        the alert store (default "
        "~/.local/state/rootwatch/rootwatch.db)\n"
        "      --notify-wait D     how long to keep retrying failed deliveries at the end\n"
        "                          (default 60s); what is left waits for 'rootwatch notify flush'\n"
        "\n"
        "Exit status: 0 no root activity, 1 root activity found, 2 an input could not be read\n"
        "or a usage error (findings from every readable input are still reported).\n",
        out);
}

/* Appends the comma-separated items of arg to a NULL-terminated list. */
static void add_list(char ***list, const char *arg) {
    size_t n = 0;
    while (*list && (*list)[n]) n++;
    char *copy = rw_xstrdup(arg), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        *list = rw_xrealloc(*list, (n + 2) * sizeof **list);
        (*list)[n++] = rw_xstrdup(t);
        (*list)[n] = NULL;
    }
    free(copy);
}

/* Appends one item (a path may hold commas) to a NULL-terminated list. */
static void add_one(char ***list, const char *arg) {
    size_t n = 0;
    while (*list && (*list)[n]) n++;
    *list = rw_xrealloc(*list, (n + 2) * sizeof **list);
    (*list)[n++] = rw_xstrdup(arg);
    (*list)[n] = NULL;
}

static void free_list(char **list) {
    for (char **p = list; p && *p; p++) free(*p);
    free(list);
}

static int parse_size(const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ULL << 10, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1ULL << 20, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1ULL << 30, end++;
    if (errno || end == s || *end || v == 0 || v > (1ULL << 40) / mul)
        return rw_error_set(RW_EINVAL, "not a size: '%s' (e.g. 16M)", s);
    *out = (size_t)(v * mul);
    return RW_OK;
}

int rw_cmd_scan(int argc, char **argv) {
    enum {
        O_SINCE = 256,
        O_UNTIL,
        O_ACCOUNT,
        O_REGION,
        O_SUMMARY,
        O_COLOR,
        O_MAXREC,
        O_RULES,
        O_NOBUILTIN,
        O_PROFILE,
        O_ENDPOINT,
        O_LOOKUP,
        O_REGIONS,
        O_NOTIFY,
        O_CONFIG,
        O_STORE,
        O_NOTIFY_WAIT
    };
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"since", required_argument, 0, O_SINCE},
                                         {"until", required_argument, 0, O_UNTIL},
                                         {"account", required_argument, 0, O_ACCOUNT},
                                         {"region", required_argument, 0, O_REGION},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"summary", no_argument, 0, O_SUMMARY},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"verbose", no_argument, 0, 'v'},
                                         {"color", required_argument, 0, O_COLOR},
                                         {"max-record-size", required_argument, 0, O_MAXREC},
                                         {"help", no_argument, 0, 'h'},
                                         {"rules", required_argument, 0, O_RULES},
                                         {"no-builtin", no_argument, 0, O_NOBUILTIN},
                                         {"profile", required_argument, 0, O_PROFILE},
                                         {"endpoint-url", required_argument, 0, O_ENDPOINT},
                                         {"lookup-events", no_argument, 0, O_LOOKUP},
                                         {"regions", required_argument, 0, O_REGIONS},
                                         {"notify", no_argument, 0, O_NOTIFY},
                                         {"config", required_argument, 0, O_CONFIG},
                                         {"store", required_argument, 0, O_STORE},
                                         {"notify-wait", required_argument, 0, O_NOTIFY_WAIT},
                                         {0, 0, 0, 0}};
    scan s;
    memset(&s, 0, sizeof s);
    rw_format fmt = isatty(STDOUT_FILENO) ? RW_FMT_TABLE : RW_FMT_NDJSON;
    bool summary_stdout = false, quiet = false, no_builtin = false;
    char **rule_files = NULL, **lookup_regions = NULL;
    bool lookup = false, jobs_given = false, notify = false;
    const char *config_path = NULL, *store_path = NULL;
    int64_t notify_wait = 60;
    rw_notify_config *ncfg = NULL;
    const char *color = "auto";
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t now = rw_time_now();
    int rc = 0, c;
    optind = 1;
    opterr = 0; /* usage errors are reported below, as every other error */
    while ((c = getopt_long(argc, argv, ":f:j:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (rw_format_parse(optarg, &fmt)) goto usage_error;
            break;
        case O_SINCE:
            if (rw_time_parse_when(optarg, now, &s.filter.since)) goto usage_error;
            s.filter.has_since = true;
            break;
        case O_UNTIL:
            if (rw_time_parse_when(optarg, now, &s.filter.until)) goto usage_error;
            s.filter.has_until = true;
            break;
        case O_ACCOUNT:
            add_list(&s.filter.accounts, optarg);
            break;
        case O_REGION:
            add_list(&s.filter.regions, optarg);
            break;
        case 'j': {
            char *end;
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 1024) {
                rw_error_set(RW_EINVAL, "-j needs a number of threads from 1 to 1024, not '%s'",
                             optarg);
                goto usage_error;
            }
            jobs_given = true;
            break;
        }
        case O_SUMMARY:
            summary_stdout = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'v':
            s.verbose = true;
            break;
        case O_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                rw_error_set(RW_EINVAL, "--color takes auto, always or never, not '%s'", optarg);
                goto usage_error;
            }
            color = optarg;
            break;
        case O_RULES:
            add_one(&rule_files, optarg);
            break;
        case O_NOBUILTIN:
            no_builtin = true;
            break;
        case O_PROFILE:
            s.aws_opts.profile = optarg;
            break;
        case O_ENDPOINT:
            s.aws_opts.endpoint_url = optarg;
            break;
        case O_LOOKUP:
            lookup = true;
            break;
        case O_REGIONS:
            add_list(&lookup_regions, optarg);
            break;
        case O_NOTIFY:
            notify = true;
            break;
        case O_CONFIG:
            config_path = optarg;
            break;
        case O_STORE:
            store_path = optarg;
            break;
        case O_NOTIFY_WAIT:
            if (rw_duration_parse(optarg, &notify_wait) != RW_OK) goto usage_error;
            break;
        case O_MAXREC:
            if (parse_size(optarg, &s.topts.max_record)) goto usage_error;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            rw_error_set(RW_EINVAL, "option '%s' needs a value", argv[optind - 1]);
            goto usage_error;
        default: {
            /* optopt: the short option, or a long option's value when given one it does not
             * take (--quiet=1), or 0 for an unknown long option */
            const char *arg = argv[optind - 1], *eq = strchr(arg, '=');
            bool is_long = strncmp(arg, "--", 2) == 0;
            if (is_long && eq && optopt)
                rw_error_set(RW_EINVAL, "option '%.*s' takes no value", (int)(eq - arg), arg);
            else if (is_long && (optopt == 0 || optopt > 127))
                rw_error_set(RW_EINVAL, "unknown option '%s'", arg);
            else
                rw_error_set(RW_EINVAL, "unknown option '-%c'", optopt);
            goto usage_error;
        }
        }
    }
    if (optind >= argc && !lookup) {
        rw_error_set(RW_EINVAL,
                     "no SOURCE given (a file, a folder, s3://BUCKET/PREFIX, or - for standard "
                     "input; or --lookup-events)");
        goto usage_error;
    }
    if ((config_path || store_path) && !notify) {
        rw_error_set(RW_EINVAL, "--config and --store go with --notify");
        goto usage_error;
    }
    if (lookup_regions && !lookup) {
        rw_error_set(RW_EINVAL, "--regions goes with --lookup-events");
        goto usage_error;
    }
    bool remote = lookup;
    for (int i = optind; i < argc; i++)
        if (!strncmp(argv[i], "s3://", 5)) remote = true;
    /* downloads and event history wait on the network: more threads than cores */
    if (remote && !jobs_given && jobs < 16) jobs = 16;
    s.lookup.has_since = s.filter.has_since;
    s.lookup.since = s.filter.since;
    s.lookup.has_until = s.filter.has_until;
    s.lookup.until = s.filter.until;
    if (s.filter.has_since && s.filter.has_until && s.filter.until <= s.filter.since) {
        rw_error_set(RW_EINVAL, "--until must be later than --since");
        goto usage_error;
    }
    if (s.verbose) rw_log_set_level(RW_LOG_INFO);
    rw_signal_install(); /* SIGINT, SIGTERM: finish what is in hand, store it, summarise */
    s.rules = rw_cli_load_rules(!no_builtin, rule_files, now);
    if (!s.rules) {
        rc = 2;
        goto out;
    }

    if (notify) {
        /* the channels and the store first: a wrong configuration stops the scan before it starts
         */
        ncfg = rw_cli_notify_config(config_path);
        if (!ncfg || rw_dispatch_open(&s.dispatch, ncfg, store_path) != RW_OK) {
            if (ncfg) rw_log_error("%s", rw_error_last());
            rc = 2;
            goto out;
        }
    }
    bool use_color = strcmp(color, "always") == 0 ||
                     (strcmp(color, "auto") == 0 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
    const char *const *lits;
    size_t nlits;
    rw_prefilter *pf = NULL; /* without literals every record is parsed */
    if (rw_ruleset_literals(s.rules, &lits, &nlits))
        pf = rw_prefilter_new((const char **)lits, nlits);
    s.topts.prefilter = pf;
    s.writer = rw_writer_new(stdout, fmt, use_color);
    rw_pool_ops ops = {worker_init, worker_fini, work, done, &s};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s.pool = rw_pool_new((int)jobs, &ops);
    rw_file_walk walk = {&s, on_file, on_walk_error, on_walk_skipped};
    for (int i = optind; i < argc; i++) {
        if (!strncmp(argv[i], "s3://", 5))
            add_s3(&s, argv[i]);
        else
            rw_file_walk_arg(argv[i], &walk);
    }
    if (lookup) add_lookup(&s, lookup_regions);
    rw_pool_finish(s.pool);
    if (s.s3_out_of_range)
        rw_log_info("%llu objects skipped: the date in their key is outside --since/--until",
                    (unsigned long long)s.s3_out_of_range);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s.sum.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int end_rc = rw_writer_end(s.writer);
    if (s.write_rc || end_rc) {
        rw_log_error("%s", rw_error_last());
        s.failed = true;
    }
    int stopped = rw_signal_stop_requested();
    if (stopped)
        rw_log_warn("stopped by %s: %llu input%s not read; the alerts found are reported%s",
                    rw_signal_name(stopped), (unsigned long long)s.not_read,
                    s.not_read == 1 ? "" : "s",
                    s.dispatch ? " and stored, and deliveries not made stay pending" : "");
    if (s.sum.files_trail == 0 && !s.failed && !stopped) {
        rw_log_error("no CloudTrail data found in the sources given: nothing was checked");
        s.failed = true;
    }
    if (lookup) {
        /* the verdict in words, as AWS's event-history check prints it; on standard output only
         * for people (the table), so that json, ndjson and csv stay machine-readable */
        const char *verdict =
            s.sum.alerts ? "Root account activity detected." : "No root account activity detected.";
        if (s.failed && !s.sum.alerts)
            verdict = "No root account activity detected in the history that could be read.";
        if (fmt == RW_FMT_TABLE) {
            /* the table already says "No root account activity detected." when it is empty */
            if (s.sum.alerts)
                printf("%s\n", verdict);
            else if (s.failed)
                fprintf(stderr, "%s\n", verdict);
            fflush(stdout);
        } else {
            fprintf(stderr, "%s\n", verdict);
        }
    }
    if (!quiet) rw_summary_print(summary_stdout ? stdout : stderr, &s.sum);
    if (s.dispatch) {
        rw_dispatch_stats nst;
        /* after a signal: no waiting for retries, only the delivery in flight is finished */
        rw_dispatch_close(s.dispatch,
                          rw_signal_stop_requested() ? 0 : rw_now_ms() + notify_wait * 1000, &nst);
        s.dispatch = NULL;
        if (!stopped && rw_signal_stop_requested())
            rw_log_warn("stopped by %s while delivering: the delivery in flight was finished, the "
                        "rest stay pending",
                        rw_signal_name(rw_signal_stop_requested()));
        rw_cli_notify_report(&nst);
        if (nst.failed || nst.pending || s.notify_failed) s.failed = true;
    }
    if (summary_stdout) fflush(stdout);
    rc = s.failed ? 2 : s.sum.alerts ? 1 : 0;
    if (rw_signal_stop_requested()) rc = rw_signal_exit_code(rw_signal_stop_requested());
    rw_prefilter_free(pf);
    rw_strset_free(&s.seen);
    rw_strset_free(&s.seen_filtered);
    rw_strset_free(&s.seen_service);
    rw_summary_free(&s.sum);
    goto out;

usage_error:
    rw_log_error("%s", rw_error_last());
    fprintf(stderr, "Try 'rootwatch scan --help'.\n");
    rc = 2;
out:
    free_list(s.filter.accounts);
    free_list(s.filter.regions);
    free_list(rule_files);
    free_list(lookup_regions);
    if (s.dispatch) rw_dispatch_close(s.dispatch, 0, NULL);
    rw_notify_config_free(ncfg);
    rw_ruleset_free(s.rules);
    rw_aws_client_free(s.aws_main);
    if (s.aws_open) rw_aws_session_close(&s.aws);
    for (size_t i = 0; i < s.nbucket_regions; i++) free(s.bucket_regions[i]);
    free(s.bucket_regions);
    return rc;
}

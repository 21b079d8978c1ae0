/* What a scan read and found, in counts. An rw_summary starts zeroed; it owns its lists
 * (by_account, by_service) and their names, which rw_summary_free frees (not the rw_summary
 * itself). */
#ifndef RW_SUMMARY_H
#define RW_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "rules/alert.h"

typedef struct rw_count {
    char *name;
    uint64_t n;
} rw_count;

typedef struct rw_summary {
    /* files = files_trail + files_digest + files_other + files_empty + files_skipped +
     * files_failed: each input is counted once (docs/alert-schema.md, Summary) */
    uint64_t files, files_trail, files_digest, files_other, files_empty, files_failed;
    uint64_t files_skipped;        /* links to folders, named pipes, devices met in folders */
    uint64_t files_trail_problems; /* of files_trail: read with problems (reported) */
    uint64_t records, candidates, bytes_in, bytes_out, problems;
    uint64_t alerts, duplicates, filtered, suppressed;
    uint64_t by_kind[3], by_severity[4];
    rw_count *by_account;
    size_t naccounts;
    rw_count *by_service; /* root events AWS services made for the account: not alerted (CIS) */
    size_t nservices;
    double seconds;
} rw_summary;

void rw_summary_add_alert(rw_summary *s, const rw_alert *a);
/* Counts a root event the AWS service (userIdentity.invokedBy) made on the account's behalf
 * (service is copied when it is new to the list). */
void rw_summary_add_service(rw_summary *s, const char *service);
void rw_summary_print(FILE *out, const rw_summary *s);
void rw_summary_free(rw_summary *s);

#endif

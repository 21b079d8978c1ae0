/* CloudTrail event history: LookupEvents, paginated, within its rate limit (2 calls per second per
 * account and region), and the account's regions (EC2 DescribeRegions). */
#ifndef RW_AWS_CLOUDTRAIL_H
#define RW_AWS_CLOUDTRAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"

typedef struct rw_lookup_query {
    bool has_since, has_until;
    int64_t since, until; /* epoch seconds */
    int max_results;      /* per page, 1 to 50 (0: 50) */
} rw_lookup_query;

/* Pages through the region's event history, handing each reply's bytes (a LookupEvents response:
 * {"Events":[{"CloudTrailEvent":"..."}], "NextToken"}) to page; a non-zero return stops. data is
 * borrowed for the call only (it is reused for the next page). */
int rw_cloudtrail_lookup_pages(rw_aws_client *c, const char *region, const rw_lookup_query *q,
                               int (*page)(void *ctx, int number, const char *data, size_t len),
                               void *ctx);
/* The regions enabled in the account: *out is a NULL-terminated list of new strings (never empty),
 * which the caller frees, each string and then the list, with free(); NULL on error. */
int rw_cloudtrail_regions(rw_aws_client *c, const char *region, char ***out);

#endif

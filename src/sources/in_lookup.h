/* CloudTrail event history as a source: one unit of work per region, read page by page through
 * LookupEvents within its rate limit (aws/cloudtrail.h). */
#ifndef RW_SOURCES_IN_LOOKUP_H
#define RW_SOURCES_IN_LOOKUP_H

#include "aws/cloudtrail.h"
#include "aws/session.h"
#include "engine/source.h"

/* regions: NULL-terminated (copied), {"all"} for every region the account has, or NULL for the
 * configured region; q is copied. The session (aws, borrowed) is opened on first use and must
 * outlive the source. */
rw_source *rw_source_lookup_new(char **regions, rw_aws_lazy *aws, const rw_lookup_query *q);

#endif

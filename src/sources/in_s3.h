/* A trail's S3 bucket as a source: every log file under s3://bucket[/prefix] is a unit of work
 * (organization trails too); digest files are counted, never fetched; with a time range, the
 * year, month and day folders outside it are never listed (aws/s3.h: rw_s3_walk). */
#ifndef RW_SOURCES_IN_S3_H
#define RW_SOURCES_IN_S3_H

#include "aws/s3.h"
#include "aws/session.h"
#include "engine/source.h"

/* A source for url (s3://bucket[/prefix]; copied); the session (aws, borrowed) is opened on first
 * use and must outlive the source. range (copied) may be NULL (everything). */
rw_source *rw_source_s3_new(const char *url, rw_aws_lazy *aws, const rw_s3_range *range);

#endif

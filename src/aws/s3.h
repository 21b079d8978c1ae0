/* A trail's S3 bucket: s3://bucket[/prefix] URLs, listing (ListObjectsV2, paginated), the
 * CloudTrail key layout (AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>), and
 * reading objects. */
#ifndef RW_AWS_S3_H
#define RW_AWS_S3_H

#include <stdbool.h>
#include <stdint.h>

#include "aws/client.h"

/* Splits s3://bucket/prefix into *bucket and *prefix ("" when none): new strings, which the caller
 * frees; both NULL and RW_EINVAL (with a message) when it is not such a URL. */
int rw_s3_url_parse(const char *url, char **bucket, char **prefix);
/* Is the key a CloudTrail digest file (under CloudTrail-Digest/)? */
bool rw_s3_key_is_digest(const char *key);
/* The day (midnight UTC, epoch seconds) in a CloudTrail key's .../YYYY/MM/DD/ part; false when the
 * key has none. */
bool rw_s3_key_day(const char *key, int64_t *day);

/* An object as a listing hands it to its callback: key is borrowed for the call only (it points
 * into the reply, freed when the page is done): copy it to keep it. */
typedef struct rw_s3_object {
    const char *key;
    uint64_t size;
} rw_s3_object;

/* Lists every object under prefix, in key order, calling each for each (a non-zero return stops
 * the listing and is returned). start_after (may be NULL) starts the listing after that key. */
int rw_s3_list(rw_aws_client *c, const char *region, const char *bucket, const char *prefix,
               const char *start_after, int (*each)(void *ctx, const rw_s3_object *o), void *ctx);
/* Lists the "folders" right below prefix (ListObjectsV2 with the delimiter "/"), in key order,
 * calling sub for each common prefix (borrowed for the call; it ends with '/'); objects right
 * below prefix are passed over. A non-zero return of sub stops the listing and is returned. */
int rw_s3_list_prefixes(rw_aws_client *c, const char *region, const char *bucket,
                        const char *prefix, int (*sub)(void *ctx, const char *prefix), void *ctx);
/* Days of delivery delay allowed for at the --until end: a log file is delivered after the events
 * it holds, so its key's date may be later than theirs. */
#define RW_S3_DELIVERY_DELAY (2 * 86400)

typedef struct rw_s3_range {
    bool has_since, has_until;
    int64_t since, until;
} rw_s3_range;

typedef struct rw_s3_walk_stats {
    uint64_t listings;       /* prefixes listed */
    uint64_t pruned_folders; /* year, month or day folders outside the range, never listed */
    uint64_t digest_folders; /* CloudTrail-Digest folders, never listed */
} rw_s3_walk_stats;

/* Lists the objects under prefix, as rw_s3_list, but with a range it walks the key layout folder
 * by folder (ListObjectsV2 with a delimiter) and lists no year, month or day folder of
 * .../CloudTrail/<region>/ that lies outside the range, nor any CloudTrail-Digest folder: a trail
 * of years is read a few days at a time without listing the rest. Without a range, one flat
 * listing. */
int rw_s3_walk(rw_aws_client *c, const char *region, const char *bucket, const char *prefix,
               const rw_s3_range *range, rw_s3_walk_stats *stats,
               int (*each)(void *ctx, const rw_s3_object *o), void *ctx);
/* The bucket's region (HeadBucket's x-amz-bucket-region; fallback, else us-east-1, when the reply
 * names none); NULL with a message when the bucket cannot be reached. A new string: the caller
 * frees it. */
char *rw_s3_bucket_region(rw_aws_client *c, const char *bucket, const char *fallback);
/* Reads an object whole into out (the body). out is the caller's, initialised with
 * rw_http_response_init, and freed by the caller with rw_http_response_free whatever this returns
 * (as for rw_aws_rest). */
int rw_s3_get(rw_aws_client *c, const char *region, const char *bucket, const char *key,
              rw_http_response *out);

#endif

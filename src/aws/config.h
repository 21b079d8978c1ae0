/* Where rootwatch's AWS settings come from, in the order the AWS CLI and SDKs use:
 *   profile:   --profile, AWS_PROFILE, "default"
 *   region:    --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region
 *   endpoints: --endpoint-url, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 *              endpoint_url, then the partition's default (aws, aws-cn, aws-us-gov)
 *   files:     AWS_CONFIG_FILE (~/.aws/config), AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials)
 *   retries:   AWS_MAX_ATTEMPTS, the profile's max_attempts (default 5)
 *
 * Ownership: *out of rw_ini_parse and rw_ini_load is the caller's, freed with rw_ini_free; *out of
 * rw_aws_config_load with rw_aws_config_free, which frees every string and INI it holds. Both are
 * NULL on error. The strings the getters return (rw_ini_get, rw_aws_config_get, rw_aws_profile_get)
 * are borrowed from the INI: valid until it (or the config holding it) is freed; they may be
 * secrets (wiped when the INI is freed): do not log them. */
#ifndef RW_AWS_CONFIG_H
#define RW_AWS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rw_ini rw_ini;

/* INI files as the AWS CLI reads them: [section] or [profile name], key = value, continuation
 * lines (indented) for nested settings, comments with # or ;. text is copied (name is for
 * messages). */
int rw_ini_parse(rw_ini **out, const char *text, size_t len, const char *name);
int rw_ini_load(rw_ini **out, const char *path); /* a missing file is an empty INI */
void rw_ini_free(rw_ini *ini);
/* The value of key in section ("default", "profile dev", "dev" ...), or NULL. */
const char *rw_ini_get(const rw_ini *ini, const char *section, const char *key);
bool rw_ini_has_section(const rw_ini *ini, const char *section);

typedef struct rw_aws_opts { /* what the command line says (NULL when not given) */
    const char *profile;
    const char *region;
    const char *endpoint_url;
} rw_aws_opts;

typedef struct rw_aws_config {
    char *profile;
    bool profile_explicit; /* named by --profile or AWS_PROFILE: it must exist */
    bool profile_option;   /* named by --profile, which (unlike AWS_PROFILE) beats the environment's
                              keys */
    char *region;          /* NULL when none is set anywhere */
    char *region_source;   /* "--region", "AWS_REGION", "profile dev", ... */
    char *endpoint_url;    /* from --endpoint-url (applies to every service) */
    int max_attempts;
    char *config_path, *credentials_path;
    rw_ini *config, *credentials;
} rw_aws_config;

/* Resolves the settings. Errors (an unreadable or malformed file, a named profile that exists
 * nowhere) return RW_EINVAL with a message naming the file, line and profile. */
int rw_aws_config_load(rw_aws_config **out, const rw_aws_opts *opts);
void rw_aws_config_free(rw_aws_config *c);
/* A setting of the active profile (config file first, then credentials file), or NULL. */
const char *rw_aws_config_get(const rw_aws_config *c, const char *key);
/* A setting of another profile (source_profile chains). */
const char *rw_aws_profile_get(const rw_aws_config *c, const char *profile, const char *key);

/* The partition of a region: "aws", "aws-cn", "aws-us-gov" (a static string). */
const char *rw_aws_partition(const char *region);
/* The URL of a service's endpoint in a region (service: "s3", "sts", "iam", "sns", "sqs",
 * "cloudtrail", "logs", "monitoring", "events", "config"), overrides first. A new string: the
 * caller frees it. */
char *rw_aws_endpoint(const rw_aws_config *c, const char *service, const char *region);

#endif

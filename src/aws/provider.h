/* The standard credential chain, in the SDKs' order:
 *   1. explicit (rootwatch's own options, when given) and the profile named by --profile;
 *   2. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (STS AssumeRoleWithWebIdentity);
 *   4. the shared files: static keys, role_arn with source_profile or credential_source
 *      (STS AssumeRole, with external_id, role_session_name, duration_seconds), credential_process
 *      (bounded: ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS or the profile's
 *      credential_process_timeout_ms, default 60 s; 1 MiB of output; see process.h);
 *   5. ECS/EKS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE;
 *   6. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT may point elsewhere;
 *      AWS_EC2_METADATA_DISABLED=true turns it off).
 * Temporary credentials are cached and refreshed 5 minutes before they expire. */
#ifndef RW_AWS_PROVIDER_H
#define RW_AWS_PROVIDER_H

#include <stdint.h>

#include "aws/config.h"
#include "aws/creds.h"

typedef struct rw_aws_provider rw_aws_provider;

/* The chain for these settings. The provider keeps a pointer to cfg. */
rw_aws_provider *rw_aws_provider_chain(const rw_aws_config *cfg);
/* A provider that always gives these credentials (tests, explicit keys). */
rw_aws_provider *rw_aws_provider_static(const rw_aws_creds *creds);
void rw_aws_provider_free(rw_aws_provider *p);
/* Credentials valid at now (cached; thread-safe). On failure returns an error code with a message
 * that says which sources were tried and why each failed, never a secret. */
int rw_aws_provider_get(rw_aws_provider *p, int64_t now, rw_aws_creds **out);

#endif

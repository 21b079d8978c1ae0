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
 * Temporary credentials are cached and refreshed 5 minutes before they expire (provider.h).
 * The chain calls STS through the client (provider_sts.h), so it sits above client.h; see
 * provider.h for the order of the files in src/aws. */
#ifndef RW_AWS_PROVIDER_CHAIN_H
#define RW_AWS_PROVIDER_CHAIN_H

#include "aws/config.h"
#include "aws/provider.h"

/* The chain for these settings: a new provider, freed with rw_aws_provider_free. cfg is borrowed
 * (the provider keeps a pointer to it): it must outlive the provider. */
rw_aws_provider *rw_aws_provider_chain(const rw_aws_config *cfg);

#endif

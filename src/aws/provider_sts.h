/* STS calls that give credentials: AssumeRole and AssumeRoleWithWebIdentity. They go through the
 * AWS client, so this sits above client.h and below the chain that uses it (provider_chain.h);
 * see provider.h for the order of the files in src/aws. */
#ifndef RW_AWS_PROVIDER_STS_H
#define RW_AWS_PROVIDER_STS_H

#include "aws/config.h"
#include "aws/creds.h"

/* Calls STS's action (AssumeRole, AssumeRoleWithWebIdentity) with params (name, value pairs,
 * NULL-terminated), signed with source (NULL: unsigned, as AssumeRoleWithWebIdentity is), in the
 * configured region (else us-east-1). *out gets the reply's credentials, described as source_desc:
 * new ones, which the caller frees with rw_aws_creds_free; on error *out is left as it was (set it
 * to NULL first). errors are prefixed with what. Every argument is borrowed for the call only
 * (source is copied, not taken). */
int rw_aws_sts_assume(const rw_aws_config *cfg, rw_aws_creds *source, const char *action,
                      const char *const *params, const char *what, const char *source_desc,
                      rw_aws_creds **out);

#endif
